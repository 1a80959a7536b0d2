//! `shiprig doctor`: read the repository's real setup and print each gap with its fix.
//! Exit 0 when nothing is missing, 1 when something is.

use serde_json::json;

use super::bootstrap_cmd::RepoBranch;
use super::env::{CONFIG_PATH, Environment};
use super::{Exit, Global, print_json};
use crate::config::Config;
use crate::github::{GitHub, Repo};
use crate::setup::doctor::{self, ConfigFact, Facts, Finding};
use crate::setup::workflows;

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub target: RepoBranch,
}

const WORKFLOWS_DIR: &str = ".github/workflows";
const CODEOWNERS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

pub async fn run(
    args: DoctorArgs,
    global: &Global,
    environment: &Environment,
) -> anyhow::Result<Exit> {
    let (repo, gh, branch) = args.target.resolve(environment).await?;
    let facts = read(&gh, &repo, branch, global.config.as_deref()).await?;
    let findings = doctor::diagnose(&facts);
    if global.json {
        print_json(&json!({
            "repository": repo.to_string(), "branch": facts.branch,
            "ok": findings.is_empty(), "findings": findings,
        }))?;
    } else {
        print!("{}", render(&repo, &findings));
    }
    Ok(if findings.is_empty() {
        Exit::Ok
    } else {
        Exit::No
    })
}

async fn read(
    gh: &GitHub,
    repo: &Repo,
    branch: String,
    local_config: Option<&std::path::Path>,
) -> anyhow::Result<Facts> {
    let config = match local_config {
        Some(path) => parsed(Config::load(path)),
        None => match gh.file_text(repo, CONFIG_PATH, None).await? {
            None => ConfigFact::Missing,
            Some(text) => parsed(Config::from_yaml(CONFIG_PATH, &text)),
        },
    };
    let protection = match gh.branch_protection(repo, &branch).await {
        Ok(found) => Ok(found),
        Err(e) if e.status() == Some(403) => Err(e.to_string()),
        Err(e) => return Err(e.into()),
    };
    let mut workflows = Vec::new();
    let mut unreadable_workflows = Vec::new();
    for name in gh.dir_files(repo, WORKFLOWS_DIR).await? {
        if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        let text = gh
            .file_text(repo, &format!("{WORKFLOWS_DIR}/{name}"), None)
            .await?;
        match workflows::read(&name, text.as_deref().unwrap_or_default()) {
            Ok(workflow) => workflows.push(workflow),
            Err(reason) => unreadable_workflows.push(reason),
        }
    }
    let mut has_codeowners = false;
    for path in CODEOWNERS {
        if gh.file_text(repo, path, None).await?.is_some() {
            has_codeowners = true;
            break;
        }
    }
    Ok(Facts {
        branch,
        config,
        labels: gh.repo_labels(repo).await?,
        protection,
        workflows,
        unreadable_workflows,
        has_codeowners,
    })
}

fn parsed(result: Result<Config, crate::config::ConfigError>) -> ConfigFact {
    match result {
        Ok(config) => ConfigFact::Valid(Box::new(config)),
        Err(e) => ConfigFact::Invalid(e.to_string()),
    }
}

fn render(repo: &Repo, findings: &[Finding]) -> String {
    if findings.is_empty() {
        return format!("{repo}: shiprig is set up; nothing is missing\n");
    }
    let mut out = format!("{repo}: {} gap(s)\n", findings.len());
    for f in findings {
        out.push_str(&format!("- [{}] {}\n    fix: {}\n", f.area, f.gap, f.fix));
    }
    out
}
