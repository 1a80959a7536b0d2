//! The Actions environment, read once at the edge and passed in (never read deep in logic).

use std::path::PathBuf;

use anyhow::Context as _;

use super::UsageError;
use crate::config::Config;
use crate::github::{ClientOptions, GitHub, Repo};

#[derive(Debug, Clone, Default)]
pub struct Environment {
    vars: std::collections::BTreeMap<String, String>,
}

impl Environment {
    pub fn from_process() -> Self {
        Environment {
            vars: std::env::vars().collect(),
        }
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Environment {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.vars.get(name).filter(|v| !v.is_empty()).cloned()
    }

    pub fn step_summary(&self) -> Option<PathBuf> {
        self.get("GITHUB_STEP_SUMMARY").map(PathBuf::from)
    }

    /// The client, from `GITHUB_API_URL` and the token or App credentials.
    pub fn github(&self) -> anyhow::Result<GitHub> {
        let options = ClientOptions::from_env(|name| self.get(name)).map_err(UsageError)?;
        Ok(GitHub::new(options)?)
    }
}

/// `--repo`, else `GITHUB_REPOSITORY`.
pub fn repository(flag: Option<&str>, env: &Environment) -> anyhow::Result<Repo> {
    let text = flag
        .map(str::to_string)
        .or_else(|| env.get("GITHUB_REPOSITORY"))
        .ok_or_else(|| {
            UsageError("no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY".into())
        })?;
    text.parse::<Repo>().map_err(|e| UsageError(e).into())
}

pub const CONFIG_PATH: &str = ".github/shiprig.yml";

/// `--config PATH` if given, else `.github/shiprig.yml` from the repository's default branch
/// (defaults when the repository has none).
pub async fn load_config(
    local: Option<&std::path::Path>,
    gh: &GitHub,
    repo: &Repo,
) -> anyhow::Result<Config> {
    if let Some(path) = local {
        return Ok(Config::load(path)?);
    }
    let text = gh
        .file_text(repo, CONFIG_PATH, None)
        .await
        .with_context(|| format!("reading {CONFIG_PATH} from {repo}"))?;
    match text {
        Some(text) => Ok(Config::from_yaml(&format!("{repo}:{CONFIG_PATH}"), &text)?),
        None => {
            tracing::info!("{repo} has no {CONFIG_PATH}; using the defaults");
            Ok(Config::default())
        }
    }
}
