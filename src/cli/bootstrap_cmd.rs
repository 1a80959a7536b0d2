//! `shiprig bootstrap`: shiprig's labels, and branch protection that makes the gate count
//! (its check required, stale approvals dismissed, the last push approved by someone else,
//! code owners' review required), keeping every other protection setting as it was.

use serde_json::{Value, json};

use super::env::{self, Environment};
use super::labels_cmd;
use super::{Exit, Global, print_json};
use crate::github::{GitHub, Repo};
use crate::setup::protection::{self, ProtectionGap};

/// The repository and the branch whose protection a command reads or writes.
#[derive(Debug, clap::Args)]
pub struct RepoBranch {
    /// The repository (default: `GITHUB_REPOSITORY`).
    #[arg(long, env = "GITHUB_REPOSITORY", value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// The protected branch (default: the repository's default branch).
    #[arg(long, env = "SHIPRIG_BRANCH")]
    pub branch: Option<String>,
}

impl RepoBranch {
    /// The repository, a client acting for it, and the branch.
    pub async fn resolve(
        &self,
        environment: &Environment,
    ) -> anyhow::Result<(Repo, GitHub, String)> {
        let repo = env::repository(self.repo.as_deref(), environment)?;
        let gh = environment.github()?.for_repo(&repo);
        let branch = match &self.branch {
            Some(branch) => branch.clone(),
            None => gh.default_branch(&repo).await?,
        };
        Ok((repo, gh, branch))
    }
}

#[derive(Debug, clap::Args)]
pub struct BootstrapArgs {
    #[command(flatten)]
    pub target: RepoBranch,
    /// Print what would change and change nothing.
    #[arg(long, env = "SHIPRIG_DRY_RUN")]
    pub dry_run: bool,
}

pub async fn run(
    args: BootstrapArgs,
    global: &Global,
    environment: &Environment,
) -> anyhow::Result<Exit> {
    let (repo, gh, branch) = args.target.resolve(environment).await?;
    let config = env::load_config(global.config.as_deref(), &gh, &repo).await?;
    // Read and decide everything first, so a failed read leaves the repository untouched.
    let label_changes = labels_cmd::plan(&gh, &repo, &config).await?;
    let current = gh.branch_protection(&repo, &branch).await?;
    let check = &config.gate.check_name;
    let min = config.gate.humans.min_approvals;
    let gaps = protection::gaps(current.as_ref(), check, min);
    let body = (!gaps.is_empty()).then(|| protection::body(current.as_ref(), check, min));
    let labels = labels_cmd::apply(&gh, &repo, label_changes, args.dry_run).await?;
    if let (Some(body), false) = (&body, args.dry_run) {
        gh.put_branch_protection(&repo, &branch, body).await?;
    }
    if global.json {
        print_json(&json!({
            "repository": repo.to_string(), "branch": branch, "dry_run": args.dry_run,
            "labels": {"changes": labels.changes, "applied": labels.applied},
            "protection": {"gaps": gaps, "put": body.unwrap_or(Value::Null)},
        }))?;
    } else {
        print!("{}", labels_cmd::render(&repo, &labels, args.dry_run));
        print!("{}", render(&repo, &branch, &gaps, args.dry_run));
    }
    Ok(Exit::Ok)
}

fn render(
    repo: &crate::github::Repo,
    branch: &str,
    gaps: &[ProtectionGap],
    dry_run: bool,
) -> String {
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
