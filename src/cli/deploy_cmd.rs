//! `shiprig deploy ENV`.

use super::args::{DryRun, Global, RepoArg, print_json};
use crate::context::{self, Vars};
use crate::deploy::{self, DeployReport, DeployRequest};
use crate::error::{Exit, UsageError};

#[derive(Debug, clap::Args)]
pub(crate) struct DeployArgs {
    /// The environment, as named under `deploy:` in the config.
    pub(crate) environment: String,
    /// The commit to deploy (default: `GITHUB_SHA`).
    #[arg(long, env = "GITHUB_SHA")]
    pub(crate) sha: Option<String>,
    #[command(flatten)]
    pub(crate) repo: RepoArg,
    #[command(flatten)]
    pub(crate) dry: DryRun,
}

pub(crate) async fn run(args: DeployArgs, global: &Global, vars: &Vars) -> anyhow::Result<Exit> {
    let sha = context::sha(args.sha)?;
    let ctx = args.repo.load(global, vars).await?;
    let Some(environment) = ctx.config.deploy.get(&args.environment) else {
        let known: Vec<&str> = ctx.config.deploy.keys().map(String::as_str).collect();
        return Err(UsageError(format!(
            "no environment `{}` under `deploy:`; configured: {}",
            args.environment,
            if known.is_empty() {
                "(none)".into()
            } else {
                known.join(", ")
            }
        ))
        .into());
    };
    let log_url = deploy::actions_run_url(
        vars.get("GITHUB_SERVER_URL"),
        &ctx.repo,
        vars.get("GITHUB_RUN_ID"),
    );
    let request = DeployRequest {
        environment: environment.clone(),
        repo: ctx.repo,
        name: args.environment,
        sha,
        log_url,
        dry_run: args.dry.dry_run,
    };
    let report = deploy::run(&ctx.gh, &ctx.notifier, &request).await?;
    if global.json {
        print_json(&report)?;
    } else {
        print!("{}", render(&report));
    }
    Ok(if report.ok { Exit::Ok } else { Exit::No })
}

fn render(report: &DeployReport) -> String {
    let mut out = String::new();
    for step in &report.steps {
        let how = step
            .ended
            .as_ref()
            .map_or_else(|| "would run".to_string(), |e| e.describe());
        out.push_str(&format!("  {:?}: {how}\n", step.argv));
    }
    let verdict = match (report.dry_run, report.failure()) {
        _ if report.skipped.is_some() => {
            format!("skipped: {}", report.skipped.as_deref().unwrap_or(""))
        }
        (true, _) => "dry run, nothing written".to_string(),
        (false, None) => "deployed".to_string(),
        (false, Some(why)) => format!("FAILED: {why}"),
    };
    out.push_str(&format!(
        "deploy {} at {}: {verdict}\n",
        report.environment, report.sha
    ));
    out
}
