//! `shiprig bootstrap`: shiprig's labels, and branch protection that makes the gate count.

use serde_json::{Value, json};

use super::args::{DryRun, Global, RepoArg, print_json};
use super::labels_cmd;
use crate::context::{self, Vars};
use crate::error::Exit;
use crate::github::{GitHub, Repo};
use crate::setup::bootstrap;
use crate::setup::protection::ProtectionGap;

/// The repository and the branch whose protection a command reads or writes.
#[derive(Debug, clap::Args)]
pub struct RepoBranch {
    #[command(flatten)]
    pub repo: RepoArg,
    /// The protected branch (default: the repository's default branch).
    #[arg(long, env = "SHIPRIG_BRANCH")]
    pub branch: Option<String>,
}

impl RepoBranch {
    /// The repository, a client acting for it, and the branch.
    pub async fn resolve(&self, vars: &Vars) -> anyhow::Result<(Repo, GitHub, String)> {
        let repo = context::repository(self.repo.repo.as_deref(), vars)?;
        let gh = vars.github()?.for_repo(&repo);
        let branch = context::branch_or_default(&gh, &repo, self.branch.as_deref()).await?;
        Ok((repo, gh, branch))
    }
}

#[derive(Debug, clap::Args)]
pub struct BootstrapArgs {
    #[command(flatten)]
    pub target: RepoBranch,
    #[command(flatten)]
    pub dry: DryRun,
}

pub async fn run(args: BootstrapArgs, global: &Global, vars: &Vars) -> anyhow::Result<Exit> {
    let dry_run = args.dry.dry_run;
    let (repo, gh, branch) = args.target.resolve(vars).await?;
    let config = context::load_config(global.config.as_deref(), &gh, &repo).await?;
    let report = bootstrap::run(&gh, &repo, &branch, &config, dry_run).await?;
    if global.json {
        let labels = &report.labels;
        print_json(&json!({
            "repository": repo.to_string(), "branch": branch, "dry_run": dry_run,
            "labels": {"changes": labels.changes, "applied": labels.applied},
            "protection": {"gaps": report.gaps, "put": report.put.unwrap_or(Value::Null),
                "unpinned": report.unpinned},
        }))?;
    } else {
        print!("{}", labels_cmd::render(&repo, &report.labels, dry_run));
        print!("{}", render(&repo, &branch, &report.gaps, dry_run));
        if let Some(note) = &report.unpinned {
            println!("note: {note}");
        }
    }
    Ok(Exit::Ok)
}

fn render(repo: &Repo, branch: &str, gaps: &[ProtectionGap], dry_run: bool) -> String {
    if gaps.is_empty() {
        return format!("{repo}: `{branch}` protection already has what the gate needs\n");
    }
    let verb = if dry_run {
        "would protect"
    } else {
        "protected"
    };
    let mut out = format!("{repo}: {verb} `{branch}`, closing:\n");
    for gap in gaps {
        out.push_str(&format!("  - {}\n", gap.describe(branch)));
    }
    out
}
