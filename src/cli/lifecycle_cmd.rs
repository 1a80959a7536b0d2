//! `shiprig lifecycle`: on `pull_request` opened, closed (and reopened, edited).

use anyhow::Context as _;
use serde::Serialize;

use super::env::Environment;
use super::pipeline_ctx::{self, PullArgs};
use super::{Exit, Global, print_json};
use crate::lifecycle::{self, Effect, PullState};

#[derive(Debug, clap::Args)]
pub struct LifecycleArgs {
    #[command(flatten)]
    pub target: PullArgs,
    /// Print what would change and write nothing.
    #[arg(long, env = "SHIPRIG_DRY_RUN")]
    pub dry_run: bool,
}

#[derive(Serialize)]
struct Report {
    pull: u64,
    state: PullState,
    dry_run: bool,
    effects: Vec<Effect>,
}

pub async fn run(args: LifecycleArgs, global: &Global, env: &Environment) -> anyhow::Result<Exit> {
    // Always the current state from the API, never the event's copy.
    let (ctx, pull) = pipeline_ctx::load_pull(&args.target, global, env).await?;
    let number = pull.number;
    let linked = lifecycle::read_linked(&ctx.gh, &ctx.repo, &pull).await;
    let main = &ctx.config.release.main_branch;
    let effects = lifecycle::plan(&ctx.repo, &pull, &linked, &ctx.config, main);
    if !args.dry_run {
        lifecycle::apply(&ctx.gh, &ctx.notifier, &effects)
            .await
            .with_context(|| format!("updating the issues of #{number}"))?;
    }
    let report = Report {
        pull: number,
        state: PullState::of(&pull),
        dry_run: args.dry_run,
        effects,
    };
    if global.json {
        print_json(&report)?;
    } else {
        let verb = if args.dry_run { "would" } else { "did" };
        if report.effects.is_empty() {
            println!("#{number}: nothing to change");
        }
        for effect in &report.effects {
            let what = pipeline_ctx::one_line(&lifecycle::describe(effect));
            println!("#{number}: {verb} {what}");
        }
    }
    Ok(Exit::Ok)
}
