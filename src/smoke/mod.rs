//! Smoke tests: an environment's HTTP checks, judged by pure rules, run concurrently with
//! retries until a deadline, reported as a table, a job summary and JSON.
//!
//! `--alert` (monitor mode) keeps the last state in GitHub as the commit status
//! [`uptime_context`] on the SHA of the environment's newest deployment, and tells Slack only when
//! the state changes.

mod judge;
mod probe;
mod record;
mod report;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::Environment;
use crate::error::UsageError;
use crate::github::{GitHub, Repo};
use crate::notify::Notifier;

pub(crate) use judge::{Health, SmokeReport, smoke_context, transition};
pub(crate) use probe::{RunOptions, run};
pub(crate) use report::{summary_markdown, table};

/// What a smoke run is asked to do.
#[derive(Debug, Clone)]
pub(crate) struct SmokeRequest {
    pub(crate) repo: Repo,
    /// The environments the config names under `deploy:`.
    pub(crate) environments: BTreeMap<String, Environment>,
    /// The environment, as named under `deploy:`.
    pub(crate) environment: String,
    /// The SHA under test (monitor mode prefers the deployed one).
    pub(crate) sha: Option<String>,
    /// Monitor mode: record and tell only when the state changes.
    pub(crate) alert: bool,
    pub(crate) dry_run: bool,
}

/// What a smoke run found, and in monitor mode what it found before.
#[derive(Debug, Serialize)]
pub(crate) struct SmokeRun {
    #[serde(flatten)]
    pub(crate) report: SmokeReport,
    pub(crate) dry_run: bool,
    /// Monitor mode: the state recorded before this run, and whether it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) previous: Option<Option<Health>>,
    pub(crate) changed: bool,
}

/// Runs an environment's checks and (unless `dry_run`) records the result and tells people.
pub(crate) async fn check_environment(
    gh: &GitHub,
    notifier: &Notifier,
    request: &SmokeRequest,
) -> anyhow::Result<SmokeRun> {
    let name = &request.environment;
    let repo = &request.repo;
    let environment = request
        .environments
        .get(name)
        .ok_or_else(|| UsageError(format!("no environment `{name}` under `deploy:`")))?;
    if environment.smoke.is_empty() {
        return Err(UsageError(format!("environment `{name}` has no smoke checks")).into());
    }
    let sha = if request.alert {
        record::deployed_sha(gh, repo, name)
            .await?
            .or(request.sha.clone())
    } else {
        request.sha.clone()
    };
    let previous = match (&sha, request.alert) {
        (Some(sha), true) => Some(record::recorded_health(gh, repo, name, sha).await?),
        (None, true) => {
            return Err(UsageError(format!(
                "monitor mode keeps its state on the deployed SHA: `{name}` has no deployment; pass --sha"
            ))
            .into());
        }
        (_, false) => None,
    };
    let options = RunOptions::new(environment.smoke_deadline.into(), sha.clone());
    let report = run(name, &environment.smoke, &options).await?;
    let changed = previous.is_some_and(|p| transition(p, Health::of(&report)).is_some());
    if !request.dry_run {
        let alert = request.alert;
        let told = record::record(gh, repo, name, alert, &report, sha.as_deref(), changed).await?;
        if let Some(event) = told {
            notifier.tell(event).await;
        }
    }
    Ok(SmokeRun {
        report,
        dry_run: request.dry_run,
        previous,
        changed,
    })
}

#[cfg(test)]
mod tests;
