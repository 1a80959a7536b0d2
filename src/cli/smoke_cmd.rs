//! `shiprig smoke ENV` (after a deploy) and `shiprig smoke ENV --alert` (monitor mode).

use super::args::{DryRun, Global, RepoArg, SummaryArg, print_json};
use crate::context::Vars;
use crate::error::Exit;
use crate::smoke::{self, SmokeRequest};

#[derive(Debug, clap::Args)]
pub(crate) struct SmokeArgs {
    /// The environment, as named under `deploy:` in the config.
    pub(crate) environment: String,
    /// The SHA under test, for `expect_version` and the commit status (default: `GITHUB_SHA`).
    #[arg(long, env = "GITHUB_SHA")]
    pub(crate) sha: Option<String>,
    /// Monitor mode: tell Slack only when the state changes (down, recovered).
    #[arg(long, env = "SHIPRIG_ALERT")]
    pub(crate) alert: bool,
    #[command(flatten)]
    pub(crate) repo: RepoArg,
    #[command(flatten)]
    pub(crate) dry: DryRun,
    #[command(flatten)]
    pub(crate) summary: SummaryArg,
}

pub(crate) async fn run(args: SmokeArgs, global: &Global, vars: &Vars) -> anyhow::Result<Exit> {
    let ctx = args.repo.load(global, vars).await?;
    let request = SmokeRequest {
        repo: ctx.repo,
        environments: ctx.config.deploy,
        environment: args.environment,
        sha: args.sha,
        alert: args.alert,
        dry_run: args.dry.dry_run,
    };
    let run = smoke::check_environment(&ctx.gh, &ctx.notifier, &request).await?;
    args.summary
        .write(|| smoke::summary_markdown(&run.report))?;
    if global.json {
        print_json(&run)?;
    } else {
        print!("{}", smoke::table(&run.report));
    }
    Ok(if run.report.passed {
        Exit::Ok
    } else {
        Exit::No
    })
}
