//! `shiprig lifecycle`: on `pull_request` opened, closed (and reopened, edited).

use super::args::{DryRun, Global, PrArg, print_json};
use crate::actions_log::one_line;
use crate::context::Vars;
use crate::error::Exit;
use crate::lifecycle::{self, LifecycleRequest};

#[derive(Debug, clap::Args)]
pub(crate) struct LifecycleArgs {
    #[command(flatten)]
    pub(crate) target: PrArg,
    #[command(flatten)]
    pub(crate) dry: DryRun,
}

pub(crate) async fn run(args: LifecycleArgs, global: &Global, vars: &Vars) -> anyhow::Result<Exit> {
    // Always the current state from the API, never the event's copy.
    let (ctx, pull) = args.target.load(global, vars).await?;
    let request = LifecycleRequest {
        repo: ctx.repo,
        config: ctx.config,
        pull,
        dry_run: args.dry.dry_run,
    };
    let report = lifecycle::run(&ctx.gh, &ctx.notifier, &request).await?;
    if global.json {
        print_json(&report)?;
    } else {
        let verb = if report.dry_run { "would" } else { "did" };
        let number = report.pull;
        if report.effects.is_empty() {
            println!("#{number}: nothing to change");
        }
        for effect in &report.effects {
            println!(
                "#{number}: {verb} {}",
                one_line(&lifecycle::describe(effect))
            );
        }
    }
    Ok(Exit::Ok)
}
