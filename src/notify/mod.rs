//! Telling people: Slack messages and the product tool hook. Never fails a tick.

pub mod critical;
pub mod slack;
mod slack_pipeline;

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

pub use slack::Slack;

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
}

/// A boxed future, so hooks stay object safe.
pub type HookFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// The product tool (Asana, ClickUp, …) hears when a milestone is complete.
pub trait ProductHook: Send + Sync {
    fn name(&self) -> &str;
    /// `description` carries the marker that links the milestone to its feature.
    fn milestone_complete<'a>(
        &'a self,
        title: &'a str,
        url: &'a str,
        description: &'a str,
    ) -> HookFuture<'a>;
}

/// Where messages go. Each send is attempted once: a missed message is reported, not retried,
/// so a rerun can never repeat it.
#[derive(Debug, Clone, Default)]
pub struct Notifier {
    pub slack: Option<Slack>,
}

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub event: Event,
    pub channel: String,
    pub error: Option<String>,
}

impl Notifier {
    pub async fn tell(&self, event: Event) -> Vec<Delivery> {
        let Some(slack) = &self.slack else {
            return Vec::new();
        };
        let error = slack.post(&event).await.err().map(|e| format!("{e:#}"));
        if let Some(error) = &error {
            tracing::warn!("Slack did not take a message: {error}");
        }
        vec![Delivery {
            event,
            channel: "slack".into(),
            error,
        }]
    }
}
