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
        // GitHub answers 404 to a non-admin for a protected branch: its summary tells them apart.
        Ok(None) if protected(gh, repo, &branch).await? => {
            Err("the branch is protected, but its settings need admin rights to read".to_string())
        }
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
    let mut codeowners = None;
    for path in CODEOWNERS {
        if let Some(text) = gh.file_text(repo, path, None).await? {
            codeowners = Some((path.to_string(), text));
            break;
        }
    }
    let unresolved_pins = unresolved_pins(gh, &workflows).await?;
    let codeowners_template = gh
        .file_text(repo, crate::setup::codeowners::TEMPLATE_PATH, None)
        .await?;
    Ok(Facts {
        branch,
        config,
        labels: gh.repo_labels(repo).await?,
        protection,
        workflows,
        unreadable_workflows,
        codeowners,
        codeowners_template,
        unresolved_pins,
    })
}

/// Each distinct shiprig pin whose commit cannot be found on the action's repository.
async fn unresolved_pins(
    gh: &GitHub,
    workflows: &[workflows::Workflow],
) -> anyhow::Result<Vec<(String, String)>> {
    let mut pins: Vec<&String> = workflows.iter().flat_map(|w| &w.pins).collect();
    pins.sort();
    pins.dedup();
    let mut unresolved = Vec::new();
    for pin in pins {
        let Some((action, sha)) = pin.split_once('@') else {
            continue;
        };
        let Ok(repo) = action.parse::<Repo>() else {
            unresolved.push((pin.clone(), format!("`{action}` is not owner/name")));
            continue;
        };
        if !gh.commit_exists(&repo, sha).await? {
            unresolved.push((pin.clone(), format!("{repo} has no commit {sha}")));
        }
    }
    Ok(unresolved)
}

/// Whether the branch's summary (readable by anyone who can read the repository) says it is
/// protected.
async fn protected(gh: &GitHub, repo: &Repo, branch: &str) -> anyhow::Result<bool> {
    let summary = gh.branch(repo, branch).await?;
    Ok(summary["protected"] == serde_json::Value::Bool(true))
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
