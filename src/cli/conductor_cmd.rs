//! `shiprig conductor tick`, `shiprig conductor run` and `shiprig conductor explain`.

use clap::Subcommand;

use super::args::{DryRun, Global, RepoArg, SummaryArg, print_json};
use super::service_cmd;
use crate::conductor::job::{self, ExplainRequest, TickRequest};
use crate::conductor::{explain as explanation, render, summary};
use crate::context::{self, Vars};
use crate::error::Exit;
use crate::notify::ProductHook;

#[derive(Debug, Subcommand)]
pub(crate) enum ConductorCommand {
    /// One stateless pass: keep `blocked` true, order the queue, start idle agents, close
    /// finished milestones. Safe to run at any time, also twice at once.
    Tick(TickArgs),
    /// The same tick in a loop, as a long-lived service: every `--interval` (jittered), over
    /// `conductor.repositories` with one shared agent pool, a status page (`/`,
    /// `/api/v1/state`), `/healthz` and `/metrics` on `--listen`, leader election over a Kubernetes Lease with `--lease`. SIGTERM finishes the
    /// tick in flight, then exits 0.
    Run(service_cmd::ServiceRunArgs),
    /// Why one issue is or is not being worked on, read off the plan a tick makes (writes
    /// nothing): whether its approval counts, its open blockers, its place in the queue, the
    /// agents' capacity, its claim and run, and the one thing that would move it next.
    Explain(ConductorExplainArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct ConductorExplainArgs {
    #[command(flatten)]
    pub(crate) repo: RepoArg,
    /// The issue's number.
    pub(crate) issue: u64,
}

#[derive(Debug, clap::Args)]
pub(crate) struct TickArgs {
    #[command(flatten)]
    pub(crate) repo: RepoArg,
    #[command(flatten)]
    pub(crate) dry: DryRun,
    #[command(flatten)]
    pub(crate) summary: SummaryArg,
}

pub(crate) async fn run(
    command: ConductorCommand,
    global: &Global,
    vars: &Vars,
) -> anyhow::Result<Exit> {
    let args = match command {
        ConductorCommand::Tick(args) => args,
        ConductorCommand::Run(args) => return service_cmd::run(args, global, vars).await,
        ConductorCommand::Explain(args) => return explain(args, global, vars).await,
    };
    let ctx = args.repo.load(global, vars).await?;
    let product = context::product_hook(&ctx.config, vars);
    let request = TickRequest {
        repo: ctx.repo,
        config: ctx.config,
        event: vars.event()?,
        kubeconfig: vars.kubeconfig(),
        dry_run: args.dry.dry_run,
        with_graph: args.summary.summary.is_some(),
    };
    let product = product.as_ref().map(|p| p as &dyn ProductHook);
    let report = job::run(&ctx.gh, &ctx.notifier, product, &request).await?;
    args.summary.write(|| summary::markdown(&report))?;
    if global.json {
        print_json(&report)?;
    } else {
        print!("{}", render::render(&report));
    }
    let failed = report.applied.as_ref().is_some_and(|a| !a.ok());
    Ok(if failed { Exit::Outside } else { Exit::Ok })
}

async fn explain(args: ConductorExplainArgs, global: &Global, vars: &Vars) -> anyhow::Result<Exit> {
    let ctx = args.repo.load(global, vars).await?;
    let request = ExplainRequest {
        repo: ctx.repo,
        config: ctx.config,
        issue: args.issue,
        kubeconfig: vars.kubeconfig(),
    };
    let found = job::explain_issue(&ctx.gh, &ctx.notifier, &request).await?;
    if global.json {
        print_json(&found)?;
    } else {
        print!("{}", explanation::render(&found));
    }
    Ok(Exit::Ok)
}
