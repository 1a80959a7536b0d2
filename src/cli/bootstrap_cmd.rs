//! `shiprig bootstrap`: shiprig's labels, and branch protection that makes the gate count.

use serde_json::{Value, json};

use super::args::{DryRun, Global, RepoArg, print_json};
use super::labels_cmd;
use crate::context::{self, Vars};
use crate::error::Exit;
use crate::github::{GitHub, Repo};
use crate::setup::bootstrap::{self, BootstrapRequest};
use crate::setup::protection::ProtectionGap;

/// The repository and the branch whose protection a command reads or writes.
#[derive(Debug, clap::Args)]
pub(crate) struct RepoBranch {
    #[command(flatten)]
    pub(crate) repo: RepoArg,
    /// The protected branch (default: the repository's default branch).
    #[arg(long, env = "SHIPRIG_BRANCH")]
    pub(crate) branch: Option<String>,
}

impl RepoBranch {
    /// The repository, a client acting for it, and the branch.
    pub(crate) async fn resolve(&self, vars: &Vars) -> anyhow::Result<(Repo, GitHub, String)> {
        let repo = context::repository(self.repo.repo.as_deref(), vars)?;
        let gh = context::client(&repo, vars)?;
        let branch = context::branch_or_default(&gh, &repo, self.branch.as_deref()).await?;
        Ok((repo, gh, branch))
    }
}

#[derive(Debug, clap::Args)]
pub(crate) struct BootstrapArgs {
    #[command(flatten)]
    pub(crate) target: RepoBranch,
    #[command(flatten)]
    pub(crate) dry: DryRun,
}

pub(crate) async fn run(args: BootstrapArgs, global: &Global, vars: &Vars) -> anyhow::Result<Exit> {
    let dry_run = args.dry.dry_run;
    let (repo, gh, branch) = args.target.resolve(vars).await?;
    let config = context::load_config(global.config.as_deref(), &gh, &repo).await?;
    let request = BootstrapRequest {
        repo: repo.clone(),
        branch: branch.clone(),
        config,
        dry_run,
    };
    let report = bootstrap::run(&gh, &request).await?;
    if global.json {
        let labels = &report.labels;
        print_json(&json!({
            "repository": repo.to_string(), "branch": branch, "dry_run": dry_run,
            "labels": {"changes": labels.changes, "applied": labels.applied},
            "protection": {"gaps": report.gaps, "put": report.put.unwrap_or(Value::Null),
                "unpinned": report.unpinned},
            "ci": {"checks": report.ci_checks, "skipped": report.ci_skipped},
            "production": report.production,
        }))?;
    } else {
        print!("{}", labels_cmd::render(&repo, &report.labels, dry_run));
        print!("{}", render(&repo, &branch, &report.gaps, dry_run));
        if let Some(note) = &report.unpinned {
            println!("note: {note}");
        }
        print!("{}", render_ci(&report.ci_checks, &report.ci_skipped));
        if let Some(p) = &report.production {
            if p.exists {
                print!("{}", render(&repo, &p.branch, &p.gaps, dry_run));
            } else {
                println!(
                    "note: the production branch `{}` does not exist, so nothing protects it; bootstrap creates no branch that deploys production: create it from `{branch}` (`git push origin {branch}:{}`) and run bootstrap again",
                    p.branch, p.branch
                );
            }
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

fn render_ci(checks: &[String], skipped: &[String]) -> String {
    let mut out = String::new();
    if checks.is_empty() {
        out.push_str("note: no CI check found: no workflow other than shiprig's runs on `pull_request`, so pull requests merge on the gate and commit lint alone\n");
    } else {
        let names: Vec<String> = checks.iter().map(|c| format!("`{c}`")).collect();
        out.push_str(&format!(
            "CI checks required from GitHub Actions: {}\n",
            names.join(", ")
        ));
    }
    for job in skipped {
        out.push_str(&format!("note: {job} names its checks at run time (matrix, expression or reusable workflow): not required; add them in the branch's settings\n"));
    }
    out
}
