//! What the fallback chain records of one agent's attempt at an issue, shared by the plan,
//! its effects and the snapshot. Types only.

use serde::Serialize;

use crate::agents::FailingCheck;

/// One agent's attempt at an issue, as the handoff tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub agent: String,
    /// The run's link (or the Job's name).
    pub(crate) run: String,
    /// The agent's pull request, when it opened one: number and link.
    pub(crate) pull_request: Option<(u64, String)>,
    pub(crate) failing: Vec<FailingCheck>,
    /// What the agent or its run reported (data: escaped when written).
    pub(crate) reported: String,
}

/// A handoff read back from shiprig's own comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Handoff {
    pub(crate) comment_id: u64,
    /// The agent that tried and failed.
    pub(crate) agent: String,
    /// The comment's text without its marker (written escaped by shiprig).
    pub(crate) text: String,
}
