//! What every pipeline command (lifecycle, merge, deploy, smoke, release, commits) sets up
//! first: the repository, the client, the config, Slack, and the Actions event.

use anyhow::Context as _;

use super::conductor_cmd::notifier;
use super::env::{self, Environment};
use super::{Global, UsageError};
use crate::config::Config;
use crate::github::{GitHub, Repo};
use crate::notify::Notifier;

pub struct Ctx {
    pub repo: Repo,
    pub gh: GitHub,
    pub config: Config,
    pub notifier: Notifier,
}

impl Ctx {
    /// Reads everything before the first write, so a bad config exits 2 having changed nothing.
    pub async fn load(
        repo: Option<&str>,
        global: &Global,
        environment: &Environment,
    ) -> anyhow::Result<Ctx> {
        let repo = env::repository(repo, environment)?;
        let gh = environment.github()?.for_repo(&repo);
        let config = env::load_config(global.config.as_deref(), &gh, &repo).await?;
        let notifier = notifier(&config, environment)?;
        Ok(Ctx {
            repo,
            gh,
            config,
            notifier,
        })
    }
}

/// The Actions event payload (`GITHUB_EVENT_PATH`), or `Null` outside Actions.
pub fn event(environment: &Environment) -> anyhow::Result<serde_json::Value> {
    let Some(path) = environment.get("GITHUB_EVENT_PATH") else {
        return Ok(serde_json::Value::Null);
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading the event payload {path}"))?;
    serde_json::from_str(&text)
        .map_err(|e| UsageError(format!("the event payload {path} is not JSON: {e}")).into())
}

/// The pull request a command acts on and its repository.
#[derive(Debug, Clone, clap::Args)]
pub struct PullArgs {
    /// The pull request (default: the one the event names).
    #[arg(long, env = "SHIPRIG_PR")]
    pub pr: Option<u64>,
    /// The repository (default: `GITHUB_REPOSITORY`).
    #[arg(long, env = "GITHUB_REPOSITORY", value_name = "OWNER/NAME")]
    pub repo: Option<String>,
}

/// The context and the pull request `args` (or the event) names, read fresh from the API.
pub async fn load_pull(
    args: &PullArgs,
    global: &Global,
    environment: &Environment,
) -> anyhow::Result<(Ctx, crate::github::PullRequest)> {
    let event = event(environment)?;
    let number = pull_number(args.pr, &event)?;
    let ctx = Ctx::load(args.repo.as_deref(), global, environment).await?;
    let pull = ctx
        .gh
        .pull(&ctx.repo, number)
        .await
        .with_context(|| format!("reading pull request #{number}"))?;
    Ok((ctx, pull))
}

/// `--pr`, else the pull request the event names; exit 2 when there is none.
pub fn pull_number(flag: Option<u64>, event: &serde_json::Value) -> anyhow::Result<u64> {
    flag.or_else(|| event.pointer("/pull_request/number")?.as_u64())
        .or_else(|| event.pointer("/number")?.as_u64())
        .ok_or_else(|| {
            UsageError("no pull request: pass --pr N or run on a pull_request event".into()).into()
        })
}

/// Appends Markdown to the job summary file.
pub fn append_summary(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening the job summary {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing the job summary {}", path.display()))
}

/// The SHA to act on: `--sha`, else `GITHUB_SHA`; exit 2 when neither is set.
pub fn sha(flag: Option<String>) -> anyhow::Result<String> {
    flag.filter(|s| !s.is_empty())
        .ok_or_else(|| UsageError("no SHA: pass --sha or set GITHUB_SHA".into()).into())
}

/// Text from outside (check names, logins, labels) as one printable line: no control characters,
/// so it cannot start a line of its own and issue a workflow command (`::add-mask::`).
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect()
}
