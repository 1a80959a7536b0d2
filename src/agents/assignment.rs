//! What the Conductor hands an agent (an [`Assignment`]: a new issue, or a pull request to
//! fix or review) and what comes back from any backend: the run it started, what a later look
//! at that run saw, and why a dispatch failed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::github::Repo;

/// One issue handed to one agent.
#[derive(Debug, Clone)]
pub struct Assignment<'a> {
    pub repo: &'a Repo,
    pub issue: u64,
    pub agent: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub url: &'a str,
    /// What the agent is asked to do.
    pub task: Task<'a>,
    /// Earlier agents' attempts at the issue (the fallback chain's handoffs), as data; empty
    /// for a first attempt.
    pub handoff: &'a str,
    /// The claim (or request) comment this dispatch settles: names the Kubernetes Job, so a
    /// lost answer is settled by reading the Job back.
    pub claim: u64,
    /// The secret holding the agent's own token, where its config names one.
    pub token_secret: Option<&'a str>,
    /// The project's test command the agent runs (`conductor.test_command`).
    pub test_command: Option<&'a str>,
}

/// The kind of work a dispatch asks for; agent workflows read it from the `task` input.
#[derive(Debug, Clone, Copy)]
pub enum Task<'a> {
    /// Implement the issue and open a pull request that closes it.
    Implement,
    /// Fix the failing checks of the agent's own pull request.
    Fix(&'a Fix),
    /// Review another agent's pull request (never one's own).
    Review { pull_request: u64 },
    /// Answer a review that requests changes on the agent's own pull request.
    Respond(&'a Respond),
}

/// A review an agent is sent back to answer: its link and text reach the agent as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Respond {
    pub pull_request: u64,
    pub review_url: String,
    pub reviewer: String,
    pub text: String,
}

/// Failing checks an agent is sent back to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub pull_request: u64,
    pub head_sha: String,
    pub failing: Vec<FailingCheck>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailingCheck {
    pub name: String,
    pub url: String,
}

impl Assignment<'_> {
    /// The data every backend passes: names are part of the contract for agent workflows.
    pub fn data(&self) -> BTreeMap<String, String> {
        let mut data = BTreeMap::from([
            ("issue".to_string(), self.issue.to_string()),
            ("agent".to_string(), self.agent.to_string()),
            ("repository".to_string(), self.repo.to_string()),
            ("title".to_string(), self.title.to_string()),
            ("body".to_string(), truncate(self.body, 20_000)),
            ("url".to_string(), self.url.to_string()),
        ]);
        let task = match self.task {
            Task::Implement => "implement",
            Task::Fix(_) => "fix",
            Task::Review { .. } => "review",
            Task::Respond(_) => "respond",
        };
        data.insert("task".into(), task.into());
        if !self.handoff.is_empty() {
            data.insert("handoff".into(), truncate(self.handoff, 20_000));
        }
        if let Some(secret) = self.token_secret {
            data.insert("token_secret".into(), secret.into());
        }
        if let Some(command) = self.test_command {
            data.insert("test_command".into(), command.into());
        }
        if let Task::Review { pull_request } = self.task {
            data.insert("pull_request".into(), pull_request.to_string());
        }
        if let Task::Respond(respond) = self.task {
            data.insert("pull_request".into(), respond.pull_request.to_string());
            data.insert("review_url".into(), respond.review_url.clone());
            data.insert("reviewer".into(), respond.reviewer.clone());
            data.insert("review".into(), truncate(&respond.text, 20_000));
        }
        if let Task::Fix(fix) = self.task {
            data.insert("pull_request".into(), fix.pull_request.to_string());
            let checks: Vec<String> = fix
                .failing
                .iter()
                .map(|c| format!("{} {}", c.name, c.url))
                .collect();
            data.insert("failing_checks".into(), checks.join("\n"));
        }
        data
    }
}

/// Cut text at a character boundary.
fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

/// What is known about an agent's run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observation {
    /// The run's id, where the backend has one (GitHub Actions).
    pub(crate) id: Option<u64>,
    /// The claim comment the run was started for, where the backend records it (Kubernetes).
    pub(crate) claim: Option<u64>,
    pub(crate) issue: u64,
    pub(crate) agent: String,
    pub(crate) state: RunState,
    pub(crate) started_at: DateTime<Utc>,
    pub(crate) url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub(crate) enum RunState {
    Running,
    Succeeded,
    Failed(String),
}

/// An agent that started, and where its run is found again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Started {
    /// The run's id (GitHub Actions).
    pub(crate) run: Option<u64>,
    /// A link to the run, or the Job's name.
    pub(crate) url: Option<String>,
}

/// Why a dispatch did not start an agent.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DispatchError {
    /// The backend refused, or the request never arrived: nothing started; withdraw and try
    /// next tick.
    #[error("{0:#}")]
    Transient(anyhow::Error),
    /// The answer was lost (5xx, reset, timeout, unreadable): the run may exist. Look for it
    /// with [`Backend::find`] before deciding.
    #[error("{0:#}")]
    Unclear(anyhow::Error),
    /// The agent itself failed (a command that exited non-zero): mark the issue `agent-failed`.
    #[error("{0}")]
    AgentFailed(String),
}
