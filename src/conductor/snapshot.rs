//! What one tick knows about the repository: plain data, read by `read`, judged by `plan`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::attempt::Handoff;
use super::claim::ClaimRecord;
use crate::agents::{FailingCheck, Observation};
use crate::config::Permission;
use crate::github::{IssueText, Repo};

/// An open issue the Conductor looks after (approved, or carrying an in-flight label).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackedIssue {
    pub number: u64,
    /// Database id (dependencies are keyed by it).
    pub id: u64,
    pub title: String,
    pub url: String,
    pub labels: BTreeSet<String>,
    pub assignees: BTreeSet<String>,
    pub milestone: Option<u64>,
    /// Open blockers according to `issue_dependencies_summary`.
    pub open_blockers: u32,
    /// Open issues this one blocks, from the same summary.
    pub blocking: u32,
    pub created_at: DateTime<Utc>,
    /// Last activity on the issue (a claim comment updates it).
    pub updated_at: DateTime<Utc>,
    /// The issue's text, handed to agents as data.
    pub body: String,
}

impl TrackedIssue {
    pub fn has(&self, label: &str) -> bool {
        self.labels.iter().any(|l| l.eq_ignore_ascii_case(label))
    }
}

/// A blocker as read from `GET …/dependencies/blocked_by`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocker {
    pub repo: Repo,
    pub number: u64,
    pub open: bool,
}

/// Who added `approved` last, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approval {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// The actor's role on the repository; `None` when GitHub knows none.
    pub permission: Option<Permission>,
    /// The actor is a bot (an App's account, a `[bot]` login): never an approver.
    pub bot: bool,
    /// The issue's text as read with the approval, and when it last changed: an approval is
    /// for the text it saw, and the agent gets that text.
    pub text: Option<IssueText>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackedMilestone {
    pub number: u64,
    pub title: String,
    pub url: String,
    pub description: String,
    pub open_issues: u64,
    pub closed_issues: u64,
}

/// A snapshot of one repository. Optional parts are read only when a decision needs them
/// (see `plan::needs`), which is what keeps a quiet tick down to a few requests.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Snapshot {
    pub repo: Option<Repo>,
    /// Approved and in-flight open issues, by number.
    pub issues: BTreeMap<u64, TrackedIssue>,
    /// False when a page of the issue list could not be read: only additive, local
    /// decisions are safe then (nothing is started, nothing is removed for being missing).
    pub complete: bool,
    pub milestones: Vec<TrackedMilestone>,
    /// Approval facts, for the issues whose order mattered.
    pub approvals: BTreeMap<u64, Approval>,
    /// Issues whose approval was looked up and could not be read, with why: they are held
    /// (never dispatched on an approval nobody could check) and the summary says why.
    pub approvals_unknown: BTreeMap<u64, String>,
    /// The current round's claim comments of claimed issues, where they were read.
    pub claims: BTreeMap<u64, Vec<ClaimRecord>>,
    /// Who added an issue's agent label and when, where the issue's events were read (a claim
    /// whose comment never made it leaves only its labels).
    pub claim_labels: BTreeMap<u64, Option<(String, DateTime<Utc>)>>,
    /// The login shiprig acts as, when a decision needed it (`None` inside: GitHub would not say).
    pub viewer: Option<Option<String>>,
    /// Full blocker lists, for the issues where the summary was not enough.
    pub blockers: BTreeMap<u64, Vec<Blocker>>,
    /// The current fallback chain's handoffs, for the issues whose comments were read.
    pub handoffs: BTreeMap<u64, Vec<Handoff>>,
    /// Issues whose comments were read, with the shiprig markers found in them.
    pub markers: BTreeMap<u64, BTreeSet<String>>,
    /// Agent runs the backend could find, when they were read.
    pub runs: Option<Vec<Observation>>,
    /// Issues an open pull request refers to, when the pull requests were read.
    pub linked_pulls: Option<BTreeSet<u64>>,
    /// Agents' open pull requests with their failing checks, when they were read.
    pub agent_pulls: Option<Vec<AgentPull>>,
    /// The issues (any state) of milestones that have no open issue left, where they were read.
    pub milestone_issues: BTreeMap<u64, Vec<TrackedIssue>>,
    /// Agents of a shared pool busy in other repositories (`conductor run` over many).
    pub busy_elsewhere: BTreeSet<String>,
}

impl Snapshot {
    /// The agents this repository's claims keep busy.
    pub(crate) fn busy_agents(&self, agent_prefix: &str, in_progress: &str) -> BTreeSet<String> {
        self.issues
            .values()
            .filter(|i| i.has(in_progress))
            .flat_map(|i| {
                i.labels
                    .iter()
                    .filter_map(|l| l.strip_prefix(agent_prefix))
                    .map(str::to_string)
            })
            .collect()
    }
}

/// An agent's open pull request and the state of its checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentPull {
    pub number: u64,
    pub title: String,
    pub url: String,
    pub head_sha: String,
    pub agent: String,
    /// The issue it closes, when it names one.
    pub issue: Option<u64>,
    pub failing: Vec<FailingCheck>,
    /// The head SHAs an agent was already sent back to fix (one per attempt).
    pub fixes: Vec<String>,
    /// The head SHAs a review agent was already asked to review.
    pub reviews: Vec<String>,
    /// Each reviewer's latest deciding review where it requests changes.
    pub changes_requested: Vec<ChangeRequest>,
    /// The reviews the author agent was already sent back to answer (one per review round).
    pub responses: Vec<u64>,
}

/// A review that requests changes, as the Conductor weighs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeRequest {
    pub id: u64,
    pub reviewer: String,
    pub url: String,
    /// The review's text: data for the agent, never instructions.
    #[serde(skip)]
    pub body: String,
    pub commit_id: String,
    /// A bot's account.
    pub bot: bool,
    /// The reviewer's role on the repository, where it was read (only for reviews not yet
    /// answered); `None` inside: GitHub knows none.
    pub permission: Option<Option<Permission>>,
}
