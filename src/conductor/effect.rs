//! What the Conductor decides and what it did: the effects of a plan, the queue, the facts a
//! plan still needs, and the account of one tick. Types only; `plan` makes them, `apply`
//! performs them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::snapshot::Snapshot;
use crate::github::RequestStats;
use crate::notify::Delivery;

/// One write the tick will make. `apply` performs exactly these and nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    AddLabel {
        issue: u64,
        label: String,
        reason: String,
    },
    RemoveLabel {
        issue: u64,
        label: String,
        reason: String,
    },
    /// Give a claimed issue back its agent's login as assignee (a claim left half-done).
    Assign { issue: u64, login: String },
    /// Claim the issue for the agent (labels, assignee), verify the claim, dispatch, notify.
    Start {
        issue: u64,
        title: String,
        url: String,
        agent: String,
        login: Option<String>,
        /// The issue's text for the agent (data, never script); left out of `--json`.
        #[serde(skip)]
        body: String,
        /// Earlier agents' attempts of the fallback chain (data); empty for a first start.
        #[serde(skip)]
        handoff: String,
        /// Who takes the issue on if this agent fails at once (a command that exits non-zero):
        /// the next agent of the fallback chain; none hands the issue to a person.
        fallback: Option<String>,
    },
    /// Dispatch a verified claim that a tick left without a dispatch (it stopped, or lost an
    /// answer it could not settle), then record the run and notify, as a start would.
    FinishClaim {
        issue: u64,
        title: String,
        url: String,
        agent: String,
        /// The claim comment and its tick token.
        claim: u64,
        tick: String,
        #[serde(skip)]
        body: String,
        #[serde(skip)]
        handoff: String,
        fallback: Option<String>,
    },
    /// Take back claim labels shiprig added that no claim or run stands behind, so the issue
    /// goes back to the queue.
    WithdrawClaim {
        issue: u64,
        agent: String,
        login: Option<String>,
        reason: String,
    },
    /// Comment once (hidden marker) that the issue sits on a dependency cycle.
    ReportCycle { issue: u64, cycle: Vec<u64> },
    /// Close a milestone whose work has shipped (every issue closed, the rig's all `done`), then
    /// tell Slack and the product tool.
    CloseMilestone {
        number: u64,
        title: String,
        url: String,
        description: String,
    },
    /// Send the agent back to fix its pull request's failing checks (attempt `attempt`).
    Fix {
        pull_request: u64,
        issue: Option<u64>,
        title: String,
        url: String,
        agent: String,
        head_sha: String,
        failing: Vec<crate::agents::FailingCheck>,
        attempt: u32,
    },
    /// Send the author agent back to answer a review that requests changes (round `round`).
    Respond {
        pull_request: u64,
        issue: Option<u64>,
        title: String,
        url: String,
        agent: String,
        head_sha: String,
        review: u64,
        review_url: String,
        reviewer: String,
        /// The review's text, as data for the agent; left out of `--json`.
        #[serde(skip)]
        text: String,
        round: u32,
    },
    /// Ask the review agent to review another agent's pull request at `head_sha`.
    Review {
        pull_request: u64,
        title: String,
        url: String,
        reviewer: String,
        author: String,
        head_sha: String,
    },
    /// The agent failed for good and the fallback chain names a next agent: label the issue
    /// `handed-off`, comment once who tried and how it ended, free the failed agent. The next
    /// agent takes it on a later tick.
    HandOff {
        issue: u64,
        title: String,
        /// The failed agent's login, taken off the issue.
        login: Option<String>,
        next: String,
        attempt: super::attempt::Attempt,
    },
    /// The agent's run failed or stalled: label `agent-failed`, free the agent, comment once
    /// with the run's link and the reason, tell Slack.
    AgentFailed {
        issue: u64,
        title: String,
        agent: String,
        login: Option<String>,
        reason: String,
        url: String,
    },
}

/// Priority rank: lower goes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Rank {
    Critical,
    HighPriority,
    Normal,
}

impl Rank {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Rank::Critical => "critical",
            Rank::HighPriority => "high",
            Rank::Normal => "normal",
        }
    }
}

/// Where an approved issue stands, for the queue table and `--json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Standing {
    Next {
        agent: String,
    },
    Waiting,
    Blocked,
    InCycle,
    InProgress {
        agent: Option<String>,
    },
    InReview,
    Held {
        label: String,
    },
    /// Its agent failed; it waits for the next agent of the fallback chain (`None`: unknown
    /// until the handoffs are read, or none left).
    HandedOff {
        next: Option<String>,
    },
    Untrusted {
        actor: String,
    },
    /// Who approved it, or when, could not be read: nothing is dispatched on it.
    Unverified {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueEntry {
    pub issue: u64,
    pub title: String,
    pub(crate) rank: Rank,
    pub(crate) approved_at: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub standing: Standing,
}

/// Facts the next read should fetch before the plan is final.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Needs {
    pub approvals: BTreeSet<u64>,
    pub blockers: BTreeSet<u64>,
    pub(crate) comments: BTreeSet<u64>,
    /// Issues whose events show who added their claim labels.
    pub(crate) label_events: BTreeSet<u64>,
    /// The login shiprig acts as.
    pub(crate) viewer: bool,
    /// The agents' runs, to see whether one failed.
    pub(crate) runs: bool,
    /// The open pull requests, to see whether a long-running claim has one.
    pub(crate) pulls: bool,
    /// Agents' pull requests and their checks, to send an agent back when CI is red.
    pub(crate) agent_pulls: bool,
    /// Milestones with no open issue, whose closed issues say whether their work shipped.
    pub milestones: BTreeSet<u64>,
}

impl Needs {
    pub fn is_empty(&self) -> bool {
        self.approvals.is_empty()
            && self.blockers.is_empty()
            && self.comments.is_empty()
            && self.label_events.is_empty()
            && !self.viewer
            && !self.runs
            && !self.pulls
            && !self.agent_pulls
            && self.milestones.is_empty()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TickPlan {
    pub effects: Vec<Effect>,
    pub queue: Vec<QueueEntry>,
    pub(crate) cycles: BTreeMap<u64, Vec<u64>>,
    pub idle_agents: Vec<String>,
    pub needs: Needs,
    pub notes: Vec<String>,
}

/// What applying a plan did.
#[derive(Debug, Default, Serialize)]
pub struct Applied {
    pub done: Vec<Effect>,
    pub failed: Vec<Failed>,
    /// Starts given up because a concurrent tick claimed first.
    pub withdrawn: Vec<Withdrawn>,
    pub notified: Vec<Delivery>,
    pub product: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Failed {
    pub(crate) effect: Effect,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct Withdrawn {
    pub(crate) issue: u64,
    pub(crate) agent: String,
    pub(crate) reason: String,
}

impl Applied {
    pub fn ok(&self) -> bool {
        self.failed.is_empty()
    }
}

/// One tick's full account, for the terminal, `--json` and the job summary.
#[derive(Debug, Serialize)]
pub struct TickReport {
    pub(crate) repository: String,
    pub(crate) dry_run: bool,
    pub plan: TickPlan,
    pub applied: Option<Applied>,
    pub requests: RequestStats,
    #[serde(skip)]
    pub snapshot: Snapshot,
}
