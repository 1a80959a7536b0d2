//! What smoke testing keeps in GitHub and tells people: the commit status `release-pr` relies
//! on, and in monitor mode the last health, read back from that status on the deployed SHA.

use anyhow::Context as _;

use super::judge::{Health, SmokeReport, smoke_context, uptime_context};
use crate::github::{CommitStatus, GitHub, Repo};
use crate::notify::Event;

/// Monitor mode watches what is deployed: the SHA of the environment's newest deployment.
pub(crate) async fn deployed_sha(
    gh: &GitHub,
    repo: &Repo,
    environment: &str,
) -> anyhow::Result<Option<String>> {
    let deployment = gh
        .latest_deployment(repo, environment)
        .await
        .with_context(|| format!("reading the newest {environment} deployment"))?;
    Ok(deployment.map(|d| d.sha))
}

/// The health monitor mode recorded on `sha` last time, if any.
pub(crate) async fn recorded_health(
    gh: &GitHub,
    repo: &Repo,
    environment: &str,
    sha: &str,
) -> anyhow::Result<Option<Health>> {
    let context = uptime_context(environment);
    let statuses = gh
        .latest_statuses(repo, sha)
        .await
        .with_context(|| format!("reading the last {context} state"))?;
    Ok(statuses
        .iter()
        .find(|s| s.context == context)
        .and_then(|s| Health::from_status(&s.state)))
}

/// After a deploy: the commit status `release-pr` relies on, and the Slack message to send. In
/// monitor mode (`alert`): a status and a message only when the state changed.
pub(crate) async fn record(
    gh: &GitHub,
    repo: &Repo,
    environment: &str,
    alert: bool,
    report: &SmokeReport,
    sha: Option<&str>,
    changed: bool,
) -> anyhow::Result<Option<Event>> {
    let context = if alert {
        uptime_context(environment)
    } else {
        smoke_context(environment)
    };
    if let Some(sha) = sha
        && (!alert || changed)
    {
        let status = status(context.clone(), report);
        gh.create_status(repo, sha, &status)
            .await
            .with_context(|| format!("recording {context} on {sha}"))?;
    }
    let event = if alert {
        changed.then(|| Event::HealthChanged {
            repo: repo.to_string(),
            environment: environment.to_string(),
            up: report.passed,
            failures: report.failures(),
        })
    } else {
        Some(Event::SmokeFinished {
            repo: repo.to_string(),
            environment: environment.to_string(),
            sha: sha.map(str::to_string),
            passed: report.passed,
            failures: report.failures(),
        })
    };
    Ok(event)
}

fn status(context: String, report: &SmokeReport) -> CommitStatus {
    let failed = report.failures().len();
    CommitStatus {
        context,
        state: Health::of(report).status_state(),
        description: Some(if report.passed {
            format!("{} checks passed", report.checks.len())
        } else {
            format!("{failed} of {} checks failed", report.checks.len())
        }),
    }
}
