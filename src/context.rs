//! What a command runs with, read once at the edge and passed in: the process's variables,
//! the repository, a client acting for it, the config read from it, and who to tell. Every
//! read happens here before a feature's first write, so a bad config exits 2 having changed
//! nothing.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::actions_event::ActionsEvent;
use crate::config::{Config, ConfigError};
use crate::error::UsageError;
use crate::github::{ClientOptions, Credentials, DEFAULT_CACHE_BYTES, GitHub, PullRequest, Repo};
use crate::notify::{Notifier, Slack};
use crate::product::ProductTool;

pub(crate) use crate::config::CONFIG_PATH;

/// The process's variables (the Actions environment), read once; an empty value counts as unset.
#[derive(Debug, Clone, Default)]
pub(crate) struct Vars {
    vars: std::collections::BTreeMap<String, String>,
}

impl Vars {
    pub(crate) fn from_process() -> Self {
        Vars {
            vars: std::env::vars().collect(),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<String> {
        self.vars.get(name).filter(|v| !v.is_empty()).cloned()
    }

    /// The client's settings: `GITHUB_API_URL` and the token or App credentials.
    pub(crate) fn client_options(&self) -> anyhow::Result<ClientOptions> {
        Ok(ClientOptions::from_env(|name| self.get(name)).map_err(UsageError)?)
    }

    /// The client, from `GITHUB_API_URL` and the token or App credentials.
    pub(crate) fn github(&self) -> anyhow::Result<GitHub> {
        Ok(GitHub::new(self.client_options()?)?)
    }

    /// Whether shiprig acts as a GitHub App (whose pushes and pull requests start workflows,
    /// unlike `GITHUB_TOKEN`'s).
    pub(crate) fn acts_as_app(&self) -> bool {
        matches!(
            self.client_options().map(|o| o.credentials),
            Ok(Credentials::App { .. })
        )
    }

    /// `KUBECONFIG`, where the agents' or the lease's cluster is described outside a cluster.
    pub(crate) fn kubeconfig(&self) -> Option<PathBuf> {
        self.get("KUBECONFIG").map(PathBuf::from)
    }

    /// The Actions event (`GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`) through its one reader;
    /// empty outside Actions.
    pub(crate) fn event(&self) -> Result<ActionsEvent, UsageError> {
        let path = self.get("GITHUB_EVENT_PATH").map(PathBuf::from);
        ActionsEvent::read(self.get("GITHUB_EVENT_NAME").as_deref(), path.as_deref())
    }
}

/// `--repo`, else `GITHUB_REPOSITORY`.
pub(crate) fn repository(flag: Option<&str>, vars: &Vars) -> anyhow::Result<Repo> {
    let text = flag
        .map(str::to_string)
        .or_else(|| vars.get("GITHUB_REPOSITORY"))
        .ok_or_else(|| {
            UsageError("no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY".into())
        })?;
    text.parse::<Repo>().map_err(|e| UsageError(e).into())
}

/// A client acting for `repo`, from `GITHUB_API_URL` and the token or App credentials.
pub(crate) fn client(repo: &Repo, vars: &Vars) -> anyhow::Result<GitHub> {
    Ok(vars.github()?.for_repo(repo))
}

/// `--config PATH` if given, else `.github/shiprig.yml` from the repository's default branch
/// (defaults when the repository has none).
pub(crate) async fn load_config(
    local: Option<&Path>,
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

/// The config as the repository holds it at `git_ref`, named by where it came from; a file
/// that is not there is a usage error, one that does not parse is the parse's answer.
pub(crate) async fn config_at(
    gh: &GitHub,
    repo: &Repo,
    git_ref: &str,
) -> anyhow::Result<(String, Result<Config, ConfigError>)> {
    let source = format!("{repo}@{git_ref}:{CONFIG_PATH}");
    let text = gh.file_text(repo, CONFIG_PATH, Some(git_ref)).await?;
    let text = text.ok_or_else(|| UsageError(format!("{source} does not exist")))?;
    let parsed = Config::from_yaml(&source, &text);
    Ok((source, parsed))
}

/// `--branch`, else the repository's default branch.
pub(crate) async fn branch_or_default(
    gh: &GitHub,
    repo: &Repo,
    flag: Option<&str>,
) -> anyhow::Result<String> {
    match flag {
        Some(branch) => Ok(branch.to_string()),
        None => Ok(gh.default_branch(repo).await?),
    }
}

/// Slack from the variables the config names: a bot token with a channel when both are set,
/// else the webhook; neither set, no Slack.
pub(crate) fn notifier(config: &Config, vars: &Vars) -> anyhow::Result<Notifier> {
    let Some(slack) = &config.notify.slack else {
        return Ok(Notifier::default());
    };
    let token = slack.bot_token_env.as_deref().and_then(|n| vars.get(n));
    if let (Some(token), Some(channel)) = (token, &slack.channel) {
        let api = vars
            .get("SLACK_API_URL")
            .unwrap_or_else(|| crate::notify::slack::DEFAULT_API_URL.into());
        return Ok(Notifier {
            slack: Some(Slack::bot(api, token, channel)?),
        });
    }
    match vars.get(&slack.webhook_url_env) {
        Some(url) => Ok(Notifier {
            slack: Some(Slack::webhook(url)?),
        }),
        None => {
            tracing::info!("{} is not set; Slack stays quiet", slack.webhook_url_env);
            Ok(Notifier::default())
        }
    }
}

/// The configured product tool; one that cannot be built (its token unset) is reported and
/// left out, like an unset Slack: telling people never stops a tick.
pub(crate) fn product_hook(config: &Config, vars: &Vars) -> Option<ProductTool> {
    match product_tool(config, vars) {
        Ok(tool) => tool,
        Err(e) => {
            tracing::warn!("the product tool stays uninformed: {e:#}");
            None
        }
    }
}

/// The configured product tool (none configured: `None`); one that cannot be built (its
/// token unset) is bad usage.
pub(crate) fn product_tool(
    config: &Config,
    vars: &Vars,
) -> Result<Option<ProductTool>, UsageError> {
    ProductTool::from_config(&config.product, |name| vars.get(name))
        .map_err(|e| UsageError(format!("{e:#}")))
}

/// What every repository command (the Conductor's tick, lifecycle, merge, deploy, smoke,
/// release, commits, labels, plans) works with.
pub(crate) struct Ctx {
    pub(crate) repo: Repo,
    pub(crate) gh: GitHub,
    pub(crate) config: Config,
    pub(crate) notifier: Notifier,
}

impl Ctx {
    /// Reads everything before the first write, so a bad config exits 2 having changed nothing.
    pub(crate) async fn load(
        repo: Option<&str>,
        config: Option<&Path>,
        vars: &Vars,
    ) -> anyhow::Result<Ctx> {
        let repo = repository(repo, vars)?;
        let gh = client(&repo, vars)?;
        let config = load_config(config, &gh, &repo).await?;
        let notifier = notifier(&config, vars)?;
        Ok(Ctx {
            repo,
            gh,
            config,
            notifier,
        })
    }

    /// What the long-lived service runs with: the home repository (`--repo`), a client for
    /// the whole installation whose retries give up after `retry_budget` and which keeps
    /// answers for conditional requests, the home repository's config, and Slack.
    pub(crate) async fn load_service(
        repo: Option<&str>,
        config: Option<&Path>,
        vars: &Vars,
        retry_budget: std::time::Duration,
    ) -> anyhow::Result<Ctx> {
        let repo = repository(repo, vars)?;
        let mut options = vars.client_options()?;
        options.retry.budget = retry_budget;
        let gh = GitHub::new(options)?.with_response_cache(DEFAULT_CACHE_BYTES);
        let config = load_config(config, &gh.for_repo(&repo), &repo).await?;
        let notifier = notifier(&config, vars)?;
        Ok(Ctx {
            repo,
            gh,
            config,
            notifier,
        })
    }

    /// A pull request as the API has it now (never an event's copy).
    pub(crate) async fn pull(&self, number: u64) -> anyhow::Result<PullRequest> {
        self.gh
            .pull(&self.repo, number)
            .await
            .with_context(|| format!("reading pull request #{number}"))
    }
}

/// The SHA to act on: `--sha`, else `GITHUB_SHA`; exit 2 when neither is set.
pub(crate) fn sha(flag: Option<String>) -> anyhow::Result<String> {
    flag.filter(|s| !s.is_empty())
        .ok_or_else(|| UsageError("no SHA: pass --sha or set GITHUB_SHA".into()).into())
}

/// Appends Markdown to the job summary file: the one place a job summary is written.
pub(crate) fn write_summary(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening the job summary {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing the job summary {}", path.display()))
}
