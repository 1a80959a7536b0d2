//! Reading a repository's real shiprig setup: the [`DoctorFacts`] `doctor` diagnoses.

use std::path::PathBuf;

use super::codeowners;
use super::doctor::{ConfigFact, DoctorFacts, ProductionFact};
use super::workflows::{self, Workflow};
use crate::config::{CONFIG_PATH, Config, ConfigError};
use crate::github::{GitHub, Repo};

const WORKFLOWS_DIR: &str = ".github/workflows";
const CODEOWNERS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// What `shiprig doctor` asks for: the setup of `repo` around `branch`.
#[derive(Debug, Clone)]
pub struct DoctorRequest {
    pub repo: Repo,
    /// The protected branch (the default branch unless named).
    pub branch: String,
    /// A local config instead of the repository's config file.
    pub local_config: Option<PathBuf>,
}

/// Everything `doctor` needs, read from the repository at the request's branch.
pub async fn read(gh: &GitHub, request: &DoctorRequest) -> anyhow::Result<DoctorFacts> {
    let (repo, branch) = (&request.repo, request.branch.clone());
    let config = match &request.local_config {
        Some(path) => parsed(Config::load(path)),
        None => match gh.file_text(repo, CONFIG_PATH, None).await? {
            None => ConfigFact::Missing,
            Some(text) => parsed(Config::from_yaml(CONFIG_PATH, &text)),
        },
    };
    let protection = protection(gh, repo, &branch).await?;
    let production = production(gh, repo, &branch, &config).await?;
    let rules = gh.branch_rules(repo, &branch).await?;
    let (workflows, unreadable_workflows) = read_workflows(gh, repo).await?;
    let mut codeowners = None;
    for path in CODEOWNERS {
        if let Some(text) = gh.file_text(repo, path, None).await? {
            codeowners = Some((path.to_string(), text));
            break;
        }
    }
    let unresolved_pins = unresolved_pins(gh, &workflows).await?;
    let codeowners_template = gh.file_text(repo, codeowners::TEMPLATE_PATH, None).await?;
    Ok(DoctorFacts {
        branch,
        config,
        labels: gh.repo_labels(repo).await?,
        protection,
        workflows,
        unreadable_workflows,
        codeowners,
        codeowners_template,
        unresolved_pins,
        app_id: gh.configured_app_id(),
        rules,
        production,
        agent_identities: Vec::new(),
    })
}

/// Who each agent's token acts as, for the agents whose token `env` holds (the variable named
/// by the agent's `token_secret`). Never prints or keeps a token.
pub(crate) async fn agent_identities(
    gh: &GitHub,
    config: &ConfigFact,
    env: impl Fn(&str) -> Option<String>,
) -> Vec<super::doctor::AgentIdentity> {
    let ConfigFact::Valid(config) = config else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for agent in &config.conductor.agents {
        let secret = agent.token().to_string();
        let Some(token) = env(&secret) else {
            continue;
        };
        let login = gh
            .login_of_token(&token)
            .await
            .map_err(|e| crate::secrets::redact_urls(&e.to_string()).into_owned());
        found.push(super::doctor::AgentIdentity {
            agent: agent.name.clone(),
            secret,
            login,
        });
    }
    found
}

/// The production branch named by the config (the default's when it is not valid), unless it
/// is the default branch.
async fn production(
    gh: &GitHub,
    repo: &Repo,
    default: &str,
    config: &ConfigFact,
) -> anyhow::Result<Option<ProductionFact>> {
    let defaults = Config::default();
    let config = match config {
        ConfigFact::Valid(config) => config.as_ref(),
        _ => &defaults,
    };
    let branch = config.release.production_branch.clone();
    if branch == default {
        return Ok(None);
    }
    let protection = if branch_exists(gh, repo, &branch).await? {
        Some(protection(gh, repo, &branch).await?)
    } else {
        None
    };
    Ok(Some(ProductionFact { branch, protection }))
}

/// The branch's protection; `Err` with the reason when it could not be read.
async fn protection(
    gh: &GitHub,
    repo: &Repo,
    branch: &str,
) -> anyhow::Result<Result<Option<crate::github::BranchProtection>, String>> {
    Ok(match gh.branch_protection(repo, branch).await {
        // GitHub answers 404 to a non-admin for a protected branch: its summary tells them apart.
        Ok(None) if protected(gh, repo, branch).await? => {
            Err("the branch is protected, but its settings need admin rights to read".to_string())
        }
        Ok(found) => Ok(found),
        Err(e) if e.status() == Some(403) => Err(e.to_string()),
        Err(e) => return Err(e.into()),
    })
}

/// The workflow files, read; and the reasons of those that are not valid YAML.
pub(super) async fn read_workflows(
    gh: &GitHub,
    repo: &Repo,
) -> anyhow::Result<(Vec<Workflow>, Vec<String>)> {
    let mut read = Vec::new();
    let mut unreadable = Vec::new();
    for path in gh.folder_files(repo, WORKFLOWS_DIR, None).await? {
        let name = path.rsplit('/').next().unwrap_or(&path);
        if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        let text = gh.file_text(repo, &path, None).await?;
        match workflows::read(name, text.as_deref().unwrap_or_default()) {
            Ok(workflow) => read.push(workflow),
            Err(reason) => unreadable.push(reason),
        }
    }
    Ok((read, unreadable))
}

/// Each distinct shiprig pin whose commit cannot be found on the action's repository.
async fn unresolved_pins(
    gh: &GitHub,
    workflows: &[Workflow],
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

fn parsed(result: Result<Config, ConfigError>) -> ConfigFact {
    match result {
        Ok(config) => ConfigFact::Valid(Box::new(config)),
        Err(e) => ConfigFact::Invalid(e.to_string()),
    }
}

/// Whether `branch` exists (`GET .../branches/{b}`, readable with read access).
pub(super) async fn branch_exists(gh: &GitHub, repo: &Repo, branch: &str) -> anyhow::Result<bool> {
    match gh.branch(repo, branch).await {
        Ok(_) => Ok(true),
        Err(e) if e.status() == Some(404) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
