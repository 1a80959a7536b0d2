//! Agents: where the Conductor starts work — a GitHub Actions workflow, a Kubernetes Job, or a
//! local command — and how it finds a run again to see whether it failed or stalled.
//!
//! Whatever the backend, the issue reaches the agent as data (workflow inputs, environment
//! variables), never as shell or workflow-expression text.

mod actions;
mod command;
pub mod kubernetes;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::{Backend as Configured, Config};
use crate::github::{GitHub, Repo};

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
    /// The claim (or request) comment this dispatch settles: names the Kubernetes Job, so a
    /// lost answer is settled by reading the Job back.
    pub claim: u64,
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
        };
        data.insert("task".into(), task.into());
        if let Task::Review { pull_request } = self.task {
            data.insert("pull_request".into(), pull_request.to_string());
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
    pub id: Option<u64>,
    /// The claim comment the run was started for, where the backend records it (Kubernetes).
    pub claim: Option<u64>,
    pub issue: u64,
    pub agent: String,
    pub state: RunState,
    pub started_at: DateTime<Utc>,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum RunState {
    Running,
    Succeeded,
    Failed(String),
}

/// An agent that started, and where its run is found again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Started {
    /// The run's id (GitHub Actions).
    pub run: Option<u64>,
    /// A link to the run, or the Job's name.
    pub url: Option<String>,
}

/// Why a dispatch did not start an agent.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
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

/// The configured backend, ready to use.
#[derive(Clone)]
pub enum Backend {
    Actions(crate::config::GithubActionsDispatch),
    Kubernetes(Box<kubernetes::Jobs>),
    Command(crate::config::CommandDispatch),
    /// No backend: the claim labels are the hand-off.
    Labels,
    /// Configured but not connected; every dispatch fails for this reason.
    Unavailable(&'static str),
}

impl Backend {
    /// The backend of a dispatch config, without connecting anywhere: Kubernetes needs a
    /// cluster connection made at the edge ([`Backend::from_config`]) and is unavailable here.
    pub fn from_dispatch(dispatch: &crate::config::Dispatch) -> Backend {
        match dispatch.backend() {
            Some(Configured::GithubActions(actions)) => Backend::Actions(actions.clone()),
            Some(Configured::Command(command)) => Backend::Command(command.clone()),
            Some(Configured::Kubernetes(_)) => {
                Backend::Unavailable("Kubernetes dispatch needs a cluster connection")
            }
            None => Backend::Labels,
        }
    }

    /// Build from config; Kubernetes needs `KUBECONFIG` or the in-cluster service account,
    /// and the Job template file.
    pub async fn from_config(
        config: &Config,
        kubeconfig: Option<&std::path::Path>,
    ) -> anyhow::Result<Backend> {
        Ok(match config.conductor.dispatch.backend() {
            Some(Configured::Kubernetes(settings)) => Backend::Kubernetes(Box::new(
                kubernetes::Jobs::connect(settings, kubeconfig).await?,
            )),
            _ => Backend::from_dispatch(&config.conductor.dispatch),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Actions(_) => "github_actions",
            Backend::Kubernetes(_) => "kubernetes",
            Backend::Command(_) => "command",
            Backend::Labels => "labels",
            Backend::Unavailable(_) => "unavailable",
        }
    }

    /// Start the agent.
    pub async fn dispatch(
        &self,
        gh: &GitHub,
        assignment: &Assignment<'_>,
    ) -> Result<Started, DispatchError> {
        match self {
            Backend::Actions(actions) => actions::dispatch(gh, actions, assignment).await,
            Backend::Kubernetes(jobs) => jobs.dispatch(assignment).await,
            Backend::Command(command) => command::run(command, assignment).await,
            Backend::Labels => Ok(Started::default()),
            Backend::Unavailable(why) => Err(DispatchError::Transient(anyhow::anyhow!(*why))),
        }
    }

    /// After an unclear answer: the run this assignment started, if it exists (a run of the
    /// agent on the issue created at or after `since`; the Job named after the claim).
    pub async fn find(
        &self,
        gh: &GitHub,
        assignment: &Assignment<'_>,
        since: DateTime<Utc>,
    ) -> anyhow::Result<Option<Started>> {
        match self {
            Backend::Actions(actions) => actions::find(gh, actions, assignment, since).await,
            Backend::Kubernetes(jobs) => jobs.find(assignment).await,
            Backend::Command(_) | Backend::Labels | Backend::Unavailable(_) => Ok(None),
        }
    }

    /// The runs this backend can find again (the `command` backend keeps none).
    pub async fn observe(
        &self,
        gh: &GitHub,
        repo: &Repo,
        agents: &[String],
    ) -> anyhow::Result<Vec<Observation>> {
        match self {
            Backend::Actions(actions) => actions::observe(gh, repo, actions, agents).await,
            Backend::Kubernetes(jobs) => jobs.observe(repo).await,
            Backend::Command(_) | Backend::Labels => Ok(Vec::new()),
            Backend::Unavailable(why) => anyhow::bail!(*why),
        }
    }

    /// Whether runs can be observed at all (else stalls are judged from the issue's activity).
    pub fn keeps_runs(&self) -> bool {
        matches!(self, Backend::Actions(_) | Backend::Kubernetes(_))
    }
}
