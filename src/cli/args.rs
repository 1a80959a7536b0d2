//! The flags many commands share, declared once and flattened into each command's arguments.

use std::path::PathBuf;

use crate::actions_event;
use crate::context::{self, Ctx, Vars};
use crate::github::PullRequest;

/// `--repo`: the repository a command acts on.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RepoArg {
    /// The repository (default: `GITHUB_REPOSITORY`).
    #[arg(long, env = "GITHUB_REPOSITORY", value_name = "OWNER/NAME")]
    pub(crate) repo: Option<String>,
}

impl RepoArg {
    /// The repository, its client, config and Slack.
    pub(crate) async fn load(&self, global: &Global, vars: &Vars) -> anyhow::Result<Ctx> {
        Ctx::load(self.repo.as_deref(), global.config.as_deref(), vars).await
    }
}

/// `--dry-run`: decide and print, write nothing.
#[derive(Debug, Clone, Copy, clap::Args)]
pub(crate) struct DryRun {
    /// Print what would change and write nothing.
    #[arg(long, env = "SHIPRIG_DRY_RUN")]
    pub(crate) dry_run: bool,
}

/// `--summary`: where the Markdown job summary goes.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SummaryArg {
    /// Where to write the Markdown job summary (Actions sets `GITHUB_STEP_SUMMARY`).
    #[arg(long, env = "GITHUB_STEP_SUMMARY", value_name = "PATH")]
    pub(crate) summary: Option<PathBuf>,
}

impl SummaryArg {
    /// Appends `markdown` to the job summary when there is one.
    pub(crate) fn write(&self, markdown: impl FnOnce() -> String) -> anyhow::Result<()> {
        match &self.summary {
            Some(path) => context::write_summary(path, &markdown()),
            None => Ok(()),
        }
    }
}

/// `--pr` and `--repo`: the pull request a command acts on and its repository.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct PrArg {
    /// The pull request (default: the one the event names).
    #[arg(long, env = "SHIPRIG_PR")]
    pub(crate) pr: Option<u64>,
    #[command(flatten)]
    pub(crate) repo: RepoArg,
}

impl PrArg {
    /// The context and the pull request `--pr` (or the event) names, read fresh from the API.
    pub(crate) async fn load(
        &self,
        global: &Global,
        vars: &Vars,
    ) -> anyhow::Result<(Ctx, PullRequest)> {
        let number = actions_event::pull_number(self.pr, &vars.event()?)?;
        let ctx = self.repo.load(global, vars).await?;
        let pull = ctx.pull(number).await?;
        Ok((ctx, pull))
    }
}

/// Options every command takes.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Global {
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true, env = "SHIPRIG_JSON")]
    pub(crate) json: bool,
    /// More log output on stderr (-v info, -vv debug). `SHIPRIG_LOG` takes a tracing filter.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// A local shiprig config instead of `.github/shiprig.yml` from the repository.
    #[arg(long, global = true, env = "SHIPRIG_CONFIG", value_name = "PATH")]
    pub(crate) config: Option<std::path::PathBuf>,
}

/// Print a value as pretty JSON on stdout.
pub(crate) fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
