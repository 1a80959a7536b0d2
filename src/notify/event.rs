//! What people hear about: every event shiprig tells Slack.

use serde::Serialize;

/// Something shiprig just did that people should hear about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    AgentStarted {
        repo: String,
        issue: u64,
        title: String,
        url: String,
        agent: String,
    },
    MilestoneComplete {
        repo: String,
        title: String,
        url: String,
    },
    CycleFound {
        repo: String,
        issue: u64,
        cycle: Vec<u64>,
    },
    AgentFailed {
        repo: String,
        issue: u64,
        title: String,
        agent: String,
        reason: String,
        url: String,
    },
    FixRequested {
        repo: String,
        pull_request: u64,
        title: String,
        url: String,
        agent: String,
        checks: Vec<String>,
    },
    /// The author agent is sent back to answer a review that requests changes.
    ChangesRequested {
        repo: String,
        pull_request: u64,
        title: String,
        url: String,
        agent: String,
        reviewer: String,
        round: u32,
        max_rounds: u32,
    },
    ReviewRequested {
        repo: String,
        pull_request: u64,
        title: String,
        url: String,
        reviewer: String,
        author: String,
    },
    PullRequestOpened {
        repo: String,
        number: u64,
        title: String,
        url: String,
        /// The issue it closes, when it names one.
        issue: Option<u64>,
        agent: Option<String>,
    },
    /// The gate needs a human: which categories, who may approve.
    HumanReviewNeeded {
        repo: String,
        number: u64,
        title: String,
        url: String,
        categories: Vec<String>,
        approvers: Vec<String>,
    },
    CriticalIssueFiled {
        repo: String,
        issue: u64,
        title: String,
        url: String,
    },
    /// `shiprig deploy ENV` finished (`ok` false: a command failed or timed out).
    DeployFinished {
        repo: String,
        environment: String,
        sha: String,
        ok: bool,
        detail: String,
        url: Option<String>,
    },
    /// `shiprig smoke ENV` finished; `failures` is `check: reason` per failed check.
    SmokeFinished {
        repo: String,
        environment: String,
        sha: Option<String>,
        passed: bool,
        failures: Vec<String>,
    },
    /// Monitor mode (`smoke --alert`) saw the environment go down or come back.
    HealthChanged {
        repo: String,
        environment: String,
        up: bool,
        failures: Vec<String>,
    },
    /// A pull request closed without merging: its issues went back to the queue.
    IssueReturned {
        repo: String,
        issue: u64,
        pull: u64,
        url: String,
    },
    /// `shiprig release publish` tagged and published a release.
    ReleasePublished {
        repo: String,
        tag: String,
        url: String,
        issues: Vec<u64>,
    },
    /// `shiprig release shipped`: production deployed and smoke-tested the release; its issues
    /// are `done`.
    ReleaseShipped {
        repo: String,
        tag: String,
        url: String,
        issues: Vec<u64>,
    },
    /// `shiprig release shipped`: production did not deploy or pass its smoke tests; the
    /// release's issues stay `in-review`.
    ReleaseHeld {
        repo: String,
        tag: String,
        url: String,
        why: String,
        issues: Vec<u64>,
    },
    /// The last approved work shipped: no open `approved` issue is left in the queue.
    QueueDrained { repo: String },
}
