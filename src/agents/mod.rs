//! Agents: where the Conductor starts work — a GitHub Actions workflow, a Kubernetes Job, or a
//! local command — and how it finds a run again to see whether it failed or stalled.
//!
//! Whatever the backend, the issue reaches the agent as data (workflow inputs, environment
//! variables), never as shell or workflow-expression text.

mod actions;
mod assignment;
mod command;
pub(crate) mod kubernetes;

use chrono::{DateTime, Utc};

use crate::config::{Config, ConfiguredBackend};
use crate::github::{GitHub, Repo};
pub use assignment::{Assignment, FailingCheck, Fix, Respond, Task};
pub(crate) use assignment::{DispatchError, Observation, RunState, Started};

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
            Some(ConfiguredBackend::GithubActions(actions)) => Backend::Actions(actions.clone()),
            Some(ConfiguredBackend::Command(command)) => Backend::Command(command.clone()),
            Some(ConfiguredBackend::Kubernetes(_)) => {
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
            Some(ConfiguredBackend::Kubernetes(settings)) => Backend::Kubernetes(Box::new(
                kubernetes::Jobs::connect(settings, kubeconfig).await?,
            )),
            _ => Backend::from_dispatch(&config.conductor.dispatch),
        })
    }

    /// Start the agent.
    pub(crate) async fn dispatch(
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
    pub(crate) async fn find(
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
    pub(crate) async fn observe(
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
}
