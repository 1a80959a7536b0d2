//! `shiprig deploy ENV`: a GitHub Deployment for the SHA, the environment's `before` commands
//! and deploy command (argv lists, never a shell), and deployment statuses `in_progress`, then
//! `success` or `failure` with the environment URL and the log URL.

pub(crate) mod command;

use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;
use serde_json::json;

use crate::config::Environment;
use crate::github::{GitHub, Repo};
use crate::notify::{Event, Notifier};

pub(crate) use command::Ended;

/// What `shiprig deploy` asks for: one environment at one SHA.
#[derive(Debug, Clone)]
pub(crate) struct DeployRequest {
    pub(crate) repo: Repo,
    /// The environment's name under `deploy:`.
    pub(crate) name: String,
    pub(crate) environment: Environment,
    pub(crate) sha: String,
    /// The Actions run that holds the log, when there is one.
    pub(crate) log_url: Option<String>,
    /// Only list the commands.
    pub(crate) dry_run: bool,
}

/// One deploy's request with the handles it acts through.
struct Deploy<'a> {
    pub(crate) gh: &'a GitHub,
    pub(crate) repo: &'a Repo,
    pub(crate) name: &'a str,
    pub(crate) environment: &'a Environment,
    pub(crate) sha: &'a str,
    /// The Actions run that holds the log, when there is one.
    pub(crate) log_url: Option<String>,
    pub(crate) notifier: &'a Notifier,
}

/// One command of the deploy and how it ended (`None`: not run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Step {
    pub(crate) argv: Vec<String>,
    pub(crate) ended: Option<Ended>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct DeployReport {
    pub(crate) environment: String,
    pub(crate) sha: String,
    pub(crate) dry_run: bool,
    pub(crate) deployment_id: Option<u64>,
    pub(crate) environment_url: Option<String>,
    pub(crate) log_url: Option<String>,
    pub(crate) steps: Vec<Step>,
    pub(crate) ok: bool,
    /// Why nothing was deployed: the environment already runs a newer commit.
    pub(crate) skipped: Option<String>,
}

impl DeployReport {
    /// What went wrong, for a status description and Slack.
    pub(crate) fn failure(&self) -> Option<String> {
        let step = self
            .steps
            .iter()
            .find(|s| s.ended.as_ref().is_some_and(|e| !e.ok()))?;
        let ended = step.ended.as_ref()?;
        Some(format!("`{}` {}", step.argv.join(" "), ended.describe()))
    }
}

/// The commands in the order they run: each `before`, then the deploy command.
pub(crate) fn plan(environment: &Environment) -> Vec<Vec<String>> {
    let mut steps = environment.before.clone();
    steps.push(environment.command.clone());
    steps
}

/// Runs the deploy; `dry_run` only lists the commands. Each command must succeed before the
/// next starts; the timeout covers all of them together.
pub(crate) async fn run(
    gh: &GitHub,
    notifier: &Notifier,
    request: &DeployRequest,
) -> anyhow::Result<DeployReport> {
    let d = Deploy {
        gh,
        repo: &request.repo,
        name: &request.name,
        environment: &request.environment,
        sha: &request.sha,
        log_url: request.log_url.clone(),
        notifier,
    };
    deploy(&d, request.dry_run).await
}

async fn deploy(d: &Deploy<'_>, dry_run: bool) -> anyhow::Result<DeployReport> {
    let mut report = DeployReport {
        environment: d.name.to_string(),
        sha: d.sha.to_string(),
        dry_run,
        deployment_id: None,
        environment_url: d.environment.url.clone(),
        log_url: d.log_url.clone(),
        steps: plan(d.environment)
            .into_iter()
            .map(|argv| Step { argv, ended: None })
            .collect(),
        ok: true,
        skipped: None,
    };
    report.skipped = newer_deployed(d).await?;
    if dry_run || report.skipped.is_some() {
        return Ok(report);
    }
    let deployment =
        d.gh.create_deployment(d.repo, d.sha, d.name)
            .await
            .with_context(|| format!("creating the {} deployment of {}", d.name, d.sha))?;
    report.deployment_id = Some(deployment.id);
    post_status(d, deployment.id, "in_progress", "deploying").await?;
    run_steps(d, &mut report).await;
    let (state, description) = match report.failure() {
        None => ("success", "deployed".to_string()),
        Some(why) => ("failure", why),
    };
    post_status(d, deployment.id, state, &description).await?;
    d.notifier
        .tell(Event::DeployFinished {
            repo: d.repo.to_string(),
            environment: d.name.to_string(),
            sha: d.sha.to_string(),
            ok: report.ok,
            detail: description,
            url: d.log_url.clone().or_else(|| d.environment.url.clone()),
        })
        .await;
    Ok(report)
}

/// Two pushes close together: a run for the older one that starts late must not roll the
/// environment back over the newer one.
async fn newer_deployed(d: &Deploy<'_>) -> anyhow::Result<Option<String>> {
    let latest =
        d.gh.latest_deployment(d.repo, d.name)
            .await
            .with_context(|| format!("reading the newest {} deployment", d.name))?;
    let Some(latest) = latest.filter(|l| l.sha != d.sha) else {
        return Ok(None);
    };
    let status =
        d.gh.compare_status(d.repo, d.sha, &latest.sha)
            .await
            .with_context(|| format!("comparing {} with the deployed {}", d.sha, latest.sha))?;
    Ok((status == "ahead").then(|| {
        format!(
            "{} already has {}, which is newer than {}",
            d.name, latest.sha, d.sha
        )
    }))
}

async fn run_steps(d: &Deploy<'_>, report: &mut DeployReport) {
    let started = std::time::Instant::now();
    let budget: Duration = d.environment.timeout.into();
    let env = [("SHIPRIG_SHA", d.sha), ("SHIPRIG_ENVIRONMENT", d.name)];
    for step in &mut report.steps {
        let left = budget.saturating_sub(started.elapsed());
        eprintln!("shiprig deploy {}: running {:?}", d.name, step.argv);
        let ended = if left.is_zero() {
            Ended::TimedOut {
                after_secs: budget.as_secs(),
            }
        } else {
            match command::run(&step.argv, &env, &d.environment.env, left).await {
                // The budget covers every step; name the budget, not what was left of it.
                Ended::TimedOut { .. } => Ended::TimedOut {
                    after_secs: budget.as_secs(),
                },
                ended => ended,
            }
        };
        let ok = ended.ok();
        step.ended = Some(ended);
        if !ok {
            report.ok = false;
            return;
        }
    }
}

async fn post_status(
    d: &Deploy<'_>,
    id: u64,
    state: &str,
    description: &str,
) -> anyhow::Result<()> {
    // GitHub caps a status description at 140 characters.
    let description: String = description.chars().take(140).collect();
    let mut body = json!({"state": state, "description": description, "environment": d.name,
                          "auto_inactive": true});
    if let Some(url) = &d.environment.url {
        body["environment_url"] = json!(url);
    }
    if let Some(url) = &d.log_url {
        body["log_url"] = json!(url);
    }
    d.gh.create_deployment_status(d.repo, id, &body)
        .await
        .with_context(|| format!("posting the `{state}` status of deployment {id}"))
}

/// The Actions run's page, from what Actions sets (`GITHUB_SERVER_URL`, `GITHUB_RUN_ID`).
pub(crate) fn actions_run_url(
    server: Option<String>,
    repo: &Repo,
    run_id: Option<String>,
) -> Option<String> {
    let run_id = run_id?;
    let server = server.unwrap_or_else(|| "https://github.com".into());
    Some(format!(
        "{}/{repo}/actions/runs/{run_id}",
        server.trim_end_matches('/')
    ))
}
