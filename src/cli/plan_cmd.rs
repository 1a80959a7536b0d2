//! `shiprig plan apply PLAN.yml`.

use std::path::PathBuf;

use clap::Subcommand;

use super::args::{DryRun, Global, RepoArg, print_json};
use crate::context::Vars;
use crate::error::Exit;
use crate::plan_file::{self, PlanFile, PlanFileReport, PlanFileRequest};

#[derive(Debug, Subcommand)]
pub(crate) enum PlanCommand {
    /// Create or update a milestone, its issues and their `blocked_by` dependencies from a
    /// plan file. Idempotent: applying the same plan twice writes nothing the second time.
    Apply(ApplyArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct ApplyArgs {
    /// The plan file (YAML).
    #[arg(env = "SHIPRIG_PLAN", value_name = "PLAN.yml")]
    pub(crate) file: PathBuf,
    #[command(flatten)]
    pub(crate) repo: RepoArg,
    #[command(flatten)]
    pub(crate) dry: DryRun,
}

pub(crate) async fn run(
    command: PlanCommand,
    global: &Global,
    vars: &Vars,
) -> anyhow::Result<Exit> {
    let PlanCommand::Apply(args) = command;
    let plan = PlanFile::load(&args.file)?;
    let ctx = args.repo.load(global, vars).await?;
    let request = PlanFileRequest {
        repo: ctx.repo,
        plan,
        labels: ctx.config.labels,
        dry_run: args.dry.dry_run,
    };
    let report = plan_file::run(&ctx.gh, &request).await?;
    if global.json {
        print_json(&report)?;
    } else {
        print!("{}", render(&report));
    }
    Ok(if report.ok() { Exit::Ok } else { Exit::Outside })
}

/// The plan run as a person reads it.
pub(crate) fn render(report: &PlanFileReport) -> String {
    let verb = if report.dry_run { "would" } else { "did" };
    let mut out = String::new();
    if report.changes.is_empty() {
        out.push_str(&format!(
            "{}: milestone {:?} already matches the plan\n",
            report.repository, report.milestone
        ));
    }
    let done = report.applied.as_ref().map_or(usize::MAX, |a| a.done.len());
    for (i, change) in report.changes.iter().enumerate() {
        let verb = if i < done { verb } else { "skipped" };
        out.push_str(&format!(
            "{}: {verb} {}\n",
            report.repository,
            plan_file::describe(change)
        ));
    }
    if let Some(failed) = report.applied.as_ref().and_then(|a| a.failed.as_ref()) {
        out.push_str(&format!(
            "  failed: {}: {}\n",
            plan_file::describe(&failed.change),
            failed.error
        ));
    }
    out
}
