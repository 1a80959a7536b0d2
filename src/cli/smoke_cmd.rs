//! `shiprig smoke ENV` (after a deploy) and `shiprig smoke ENV --alert` (monitor mode).

use anyhow::Context as _;
use serde::Serialize;

use super::env::Environment;
use super::pipeline_ctx::{self, Ctx};
use super::{Exit, Global, UsageError, print_json};
use crate::github::CommitStatus;
use crate::notify::Event;
use crate::smoke::{self, Health, RunOptions, SmokeReport};

#[derive(Debug, clap::Args)]
pub struct SmokeArgs {
    /// The environment, as named under `deploy:` in the config.
    pub environment: String,
    /// The SHA under test, for `expect_version` and the commit status (default: `GITHUB_SHA`).
    #[arg(long, env = "GITHUB_SHA")]
    pub sha: Option<String>,
    /// Monitor mode: tell Slack only when the state changes (down, recovered).
    #[arg(long, env = "SHIPRIG_ALERT")]
    pub alert: bool,
    /// The repository (default: `GITHUB_REPOSITORY`).
    #[arg(long, env = "GITHUB_REPOSITORY", value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Run the checks but write nothing (no status, no Slack).
    #[arg(long, env = "SHIPRIG_DRY_RUN")]
    pub dry_run: bool,
    /// Where to write the Markdown job summary (Actions sets `GITHUB_STEP_SUMMARY`).
    #[arg(long, env = "GITHUB_STEP_SUMMARY", value_name = "PATH")]
    pub summary: Option<std::path::PathBuf>,
}

/// What `--json` prints.
#[derive(Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    report: &'a SmokeReport,
    dry_run: bool,
    /// Monitor mode: the state recorded before this run, and whether it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    previous: Option<Option<Health>>,
    changed: bool,
}

pub async fn run(args: SmokeArgs, global: &Global, env: &Environment) -> anyhow::Result<Exit> {
    let ctx = Ctx::load(args.repo.as_deref(), global, env).await?;
    let environment = ctx.config.deploy.get(&args.environment).ok_or_else(|| {
        UsageError(format!(
            "no environment `{}` under `deploy:`",
            args.environment
        ))
    })?;
    if environment.smoke.is_empty() {
        return Err(UsageError(format!(
            "environment `{}` has no smoke checks",
            args.environment
        ))
        .into());
    }
    let sha = match (args.alert, args.sha.clone()) {
        (true, flag) => deployed_sha(&ctx, &args.environment).await?.or(flag),
        (false, flag) => flag,
    };
    let previous = match (&sha, args.alert) {
        (Some(sha), true) => Some(recorded_health(&ctx, &args.environment, sha).await?),
        (None, true) => {
            return Err(UsageError(format!(
                "monitor mode keeps its state on the deployed SHA: `{}` has no deployment; pass --sha",
                args.environment
            ))
            .into());
        }
        (_, false) => None,
    };
    let options = RunOptions::new(environment.smoke_deadline.into(), sha.clone());
    let report = smoke::run(&args.environment, &environment.smoke, &options).await?;
    let changed = match previous {
        Some(previous) => smoke::transition(previous, Health::of(&report)).is_some(),
        None => false,
    };
    if !args.dry_run {
        record(&ctx, &args, &report, sha.as_deref(), changed).await?;
    }
    if let Some(path) = &args.summary {
        pipeline_ctx::append_summary(path, &smoke::summary_markdown(&report))?;
    }
    if global.json {
        let out = Output {
            report: &report,
            dry_run: args.dry_run,
            previous,
            changed,
        };
        print_json(&out)?;
    } else {
        print!("{}", smoke::table(&report));
    }
    Ok(if report.passed { Exit::Ok } else { Exit::No })
}

/// Monitor mode watches what is deployed: the SHA of the environment's newest deployment.
async fn deployed_sha(ctx: &Ctx, environment: &str) -> anyhow::Result<Option<String>> {
    let deployment = ctx
        .gh
        .latest_deployment(&ctx.repo, environment)
        .await
        .with_context(|| format!("reading the newest {environment} deployment"))?;
    Ok(deployment.map(|d| d.sha))
}

async fn recorded_health(
    ctx: &Ctx,
    environment: &str,
    sha: &str,
) -> anyhow::Result<Option<Health>> {
    let context = smoke::uptime_context(environment);
    let statuses = ctx
        .gh
        .latest_statuses(&ctx.repo, sha)
        .await
        .with_context(|| format!("reading the last {context} state"))?;
    Ok(statuses
        .iter()
        .find(|s| s.context == context)
        .and_then(|s| Health::from_status(&s.state)))
}

/// After a deploy: the commit status `release-pr` relies on, and a Slack message. In monitor
/// mode: a status and a message only when the state changed.
async fn record(
    ctx: &Ctx,
    args: &SmokeArgs,
    report: &SmokeReport,
    sha: Option<&str>,
    changed: bool,
) -> anyhow::Result<()> {
    let env_name = &args.environment;
    let health = Health::of(report);
    let context = if args.alert {
        smoke::uptime_context(env_name)
    } else {
        smoke::smoke_context(env_name)
    };
    if let Some(sha) = sha
        && (!args.alert || changed)
    {
        let failed = report.failures().len();
        let status = CommitStatus {
            context: context.clone(),
            state: health.status_state().into(),
            description: Some(if report.passed {
                format!("{} checks passed", report.checks.len())
            } else {
                format!("{failed} of {} checks failed", report.checks.len())
            }),
        };
        ctx.gh
            .create_status(&ctx.repo, sha, &status)
            .await
            .with_context(|| format!("recording {context} on {sha}"))?;
    }
    let event = if args.alert {
        changed.then(|| Event::HealthChanged {
            repo: ctx.repo.to_string(),
            environment: env_name.clone(),
            up: report.passed,
            failures: report.failures(),
        })
    } else {
        Some(Event::SmokeFinished {
            repo: ctx.repo.to_string(),
            environment: env_name.clone(),
            sha: sha.map(str::to_string),
            passed: report.passed,
            failures: report.failures(),
        })
    };
    if let Some(event) = event {
        ctx.notifier.tell(event).await;
    }
    Ok(())
}
