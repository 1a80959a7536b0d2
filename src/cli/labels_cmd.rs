//! `shiprig labels sync`: create or update shiprig's own labels; never delete or rename one.

use clap::Subcommand;

use super::args::{DryRun, Global, RepoArg, print_json};
use crate::context::Vars;
use crate::error::Exit;
use crate::github::Repo;
use crate::setup::labels::{self, LabelsReport, LabelsRequest};

#[derive(Debug, Subcommand)]
pub(crate) enum LabelsCommand {
    /// Create or update shiprig's labels (names from the config) with colours and descriptions.
    Sync(SyncArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct SyncArgs {
    #[command(flatten)]
    pub(crate) repo: RepoArg,
    #[command(flatten)]
    pub(crate) dry: DryRun,
}

pub(crate) async fn run(
    command: LabelsCommand,
    global: &Global,
    vars: &Vars,
) -> anyhow::Result<Exit> {
    let LabelsCommand::Sync(args) = command;
    let dry_run = args.dry.dry_run;
    let ctx = args.repo.load(global, vars).await?;
    let request = LabelsRequest {
        repo: ctx.repo.clone(),
        config: ctx.config,
        dry_run,
    };
    let report = labels::sync(&ctx.gh, &request).await?;
    if global.json {
        print_json(&serde_json::json!({
            "repository": ctx.repo.to_string(), "dry_run": dry_run,
            "changes": report.changes, "applied": report.applied,
        }))?;
    } else {
        print!("{}", render(&ctx.repo, &report, dry_run));
    }
    Ok(Exit::Ok)
}

pub(crate) fn render(repo: &Repo, report: &LabelsReport, dry_run: bool) -> String {
    if report.changes.is_empty() {
        return format!("{repo}: labels are in place\n");
    }
    let verb = if dry_run { "would" } else { "did" };
    report
        .changes
        .iter()
        .map(|c| format!("{repo}: {verb} {}\n", c.describe()))
        .collect()
}
