//! `shiprig labels sync`: create or update shiprig's own labels; never delete or rename one.

use clap::Subcommand;
use serde::Serialize;

use super::env::{self, Environment};
use super::{Exit, Global, print_json};
use crate::config::Config;
use crate::github::{GitHub, Repo, RepoLabel};
use crate::setup::labels::{self, LabelChange};

#[derive(Debug, Subcommand)]
pub enum LabelsCommand {
    /// Create or update shiprig's labels (names from the config) with colours and descriptions.
    Sync(SyncArgs),
}

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// The repository (default: `GITHUB_REPOSITORY`).
    #[arg(long, env = "GITHUB_REPOSITORY", value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Print the changes and make none.
    #[arg(long, env = "SHIPRIG_DRY_RUN")]
    pub dry_run: bool,
}

/// What a sync decided and did.
#[derive(Debug, Serialize)]
pub struct LabelsReport {
    pub changes: Vec<LabelChange>,
    pub applied: usize,
}

pub async fn run(
    command: LabelsCommand,
    global: &Global,
    environment: &Environment,
) -> anyhow::Result<Exit> {
    let LabelsCommand::Sync(args) = command;
    let repo = env::repository(args.repo.as_deref(), environment)?;
    let gh = environment.github()?.for_repo(&repo);
    let config = env::load_config(global.config.as_deref(), &gh, &repo).await?;
    let report = sync(&gh, &repo, &config, args.dry_run).await?;
    if global.json {
        print_json(&serde_json::json!({
            "repository": repo.to_string(), "dry_run": args.dry_run,
            "changes": report.changes, "applied": report.applied,
        }))?;
    } else {
        print!("{}", render(&repo, &report, args.dry_run));
    }
    Ok(Exit::Ok)
}

/// Reads the labels, plans, and (unless `dry_run`) makes each change.
pub async fn sync(
    gh: &GitHub,
    repo: &Repo,
    config: &Config,
    dry_run: bool,
) -> anyhow::Result<LabelsReport> {
    let changes = plan(gh, repo, config).await?;
    apply(gh, repo, changes, dry_run).await
}

/// The label changes `config` asks of the repository (reads only).
pub async fn plan(gh: &GitHub, repo: &Repo, config: &Config) -> anyhow::Result<Vec<LabelChange>> {
    let existing = gh.repo_labels(repo).await?;
    Ok(labels::plan(&labels::desired(config), &existing))
}

/// Makes each change (none when `dry_run`).
pub async fn apply(
    gh: &GitHub,
    repo: &Repo,
    changes: Vec<LabelChange>,
    dry_run: bool,
) -> anyhow::Result<LabelsReport> {
    let mut applied = 0;
    for change in changes.iter().filter(|_| !dry_run) {
        match change {
            LabelChange::Create { label } => {
                let new = RepoLabel {
                    name: label.name.clone(),
                    color: label.color.clone(),
                    description: Some(label.description.clone()),
                };
                gh.create_repo_label(repo, &new).await?;
            }
            LabelChange::Update { name, label } => {
                gh.update_repo_label(repo, name, &label.color, Some(&label.description))
                    .await?;
            }
        }
        applied += 1;
    }
    Ok(LabelsReport { changes, applied })
}

pub fn render(repo: &Repo, report: &LabelsReport, dry_run: bool) -> String {
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
