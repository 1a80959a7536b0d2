//! `shiprig release-pr` (push to main) and `shiprig release publish` (release PR merged).

use anyhow::Context as _;
use clap::Subcommand;

use super::env::Environment;
use super::pipeline_ctx::{self, Ctx, PullArgs};
use super::{Exit, Global, UsageError, print_json};
use crate::github::Credentials;
use crate::release::{self, Links, pull::Outcome};

#[derive(Debug, clap::Args)]
pub struct ReleasePrArgs {
    /// The main-branch commit to release (default: `GITHUB_SHA`, else the main branch's head).
    #[arg(long, env = "GITHUB_SHA")]
    pub sha: Option<String>,
    /// The repository (default: `GITHUB_REPOSITORY`).
    #[arg(long, env = "GITHUB_REPOSITORY", value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Print the version and changelog and write nothing.
    #[arg(long, env = "SHIPRIG_DRY_RUN")]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum ReleaseCommand {
    /// After the release PR merged: tag, GitHub Release, `done` on the shipped issues, Slack.
    Publish(PublishArgs),
}

#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub target: PullArgs,
    /// Print what would be published and write nothing.
    #[arg(long, env = "SHIPRIG_DRY_RUN")]
    pub dry_run: bool,
}

fn links(ctx: &Ctx, env: &Environment) -> Links {
    Links {
        server: env
            .get("GITHUB_SERVER_URL")
            .unwrap_or_else(|| "https://github.com".into()),
        repo: ctx.repo.clone(),
    }
}

pub async fn run_pr(
    args: ReleasePrArgs,
    global: &Global,
    env: &Environment,
) -> anyhow::Result<Exit> {
    let ctx = Ctx::load(args.repo.as_deref(), global, env).await?;
    let sha = match args.sha.filter(|s| !s.is_empty()) {
        Some(sha) => sha,
        None => ctx
            .gh
            .branch_head(&ctx.repo, &ctx.config.release.main_branch)
            .await
            .context("reading the main branch")?
            .ok_or_else(|| UsageError(format!("no branch `{}`", ctx.config.release.main_branch)))?,
    };
    let app = matches!(
        crate::github::ClientOptions::from_env(|n| env.get(n)).map(|o| o.credentials),
        Ok(Credentials::App { .. })
    );
    if !app && !args.dry_run {
        eprintln!(
            "warning: opening the release pull request with GITHUB_TOKEN: GitHub starts no workflow runs for it. \
             Set SHIPRIG_APP_ID and SHIPRIG_APP_PRIVATE_KEY so CI runs on the release."
        );
    }
    let links = links(&ctx, env);
    let result =
        release::release_pr(&ctx.gh, &ctx.repo, &ctx.config, &sha, &links, args.dry_run).await?;
    if global.json {
        print_json(&result)?;
    } else {
        let version = result
            .prepared
            .as_ref()
            .and_then(|p| p.tag.clone())
            .unwrap_or_default();
        println!("release-pr {sha}: {}", describe(&result.outcome, &version));
        if args.dry_run
            && let Some(p) = &result.prepared
        {
            print!("{}", p.changelog);
        }
    }
    Ok(match result.outcome {
        Outcome::SmokeNotPassed { .. } => Exit::No,
        _ => Exit::Ok,
    })
}

fn describe(outcome: &Outcome, tag: &str) -> String {
    match outcome {
        Outcome::Created { pull } => format!("opened release pull request #{pull} for {tag}"),
        Outcome::Updated { pull } => format!("updated release pull request #{pull} for {tag}"),
        Outcome::Unchanged { pull } => {
            format!("release pull request #{pull} for {tag} is up to date")
        }
        Outcome::WouldWrite { pull: Some(pull) } => format!("would update #{pull} for {tag}"),
        Outcome::WouldWrite { pull: None } => {
            format!("would open a release pull request for {tag}")
        }
        Outcome::NothingToRelease => "nothing to release since the last tag".into(),
        Outcome::SmokeNotPassed { state } => format!(
            "not releasing: staging smoke tests have not passed on this SHA (status: {})",
            state.as_deref().unwrap_or("none")
        ),
        Outcome::Stale { branch_sha } => {
            format!("not releasing: the release branch already holds the newer {branch_sha}")
        }
    }
}

pub async fn run(
    command: ReleaseCommand,
    global: &Global,
    env: &Environment,
) -> anyhow::Result<Exit> {
    let ReleaseCommand::Publish(args) = command;
    let event = pipeline_ctx::event(env)?;
    let (ctx, pull) = match pipeline_ctx::pull_number(args.target.pr, &event) {
        Ok(_) => pipeline_ctx::load_pull(&args.target, global, env).await?,
        Err(_) => {
            let ctx = Ctx::load(args.target.repo.as_deref(), global, env).await?;
            let sha = pushed_sha(&event, env)?;
            match pull_for_push(&ctx, &sha).await? {
                Some(pull) => (ctx, pull),
                None => {
                    eprintln!(
                        "release publish: {sha} was not made by merging a release pull request; nothing to publish"
                    );
                    return Ok(Exit::Ok);
                }
            }
        }
    };
    if let Err(why) = release::publish::check_release_pull(&pull, &ctx.config) {
        eprintln!("release publish: {why}; nothing to publish");
        return Ok(Exit::No);
    }
    let links = links(&ctx, env);
    let published = release::publish(
        &ctx.gh,
        &ctx.repo,
        &ctx.config,
        &pull,
        &links,
        &ctx.notifier,
        args.dry_run,
    )
    .await?;
    if global.json {
        print_json(&published)?;
    } else {
        let verb = match (args.dry_run, published.created) {
            (true, _) => "would publish",
            (false, true) => "published",
            (false, false) => "already published",
        };
        let issues: Vec<String> = published.issues.iter().map(|n| format!("#{n}")).collect();
        println!(
            "{verb} {} {}; done: {}",
            published.tag,
            published.release_url,
            if issues.is_empty() {
                "(none)".into()
            } else {
                issues.join(", ")
            }
        );
    }
    Ok(Exit::Ok)
}

/// The commit a push event brought (`after`), else `GITHUB_SHA`; exit 2 with neither.
fn pushed_sha(event: &serde_json::Value, env: &Environment) -> anyhow::Result<String> {
    let after = event
        .get("after")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string);
    pipeline_ctx::sha(after.or_else(|| env.get("GITHUB_SHA"))).map_err(|_| {
        UsageError(
            "no pull request and no pushed commit: pass --pr N, or run on the push to the production branch"
                .into(),
        )
        .into()
    })
}

/// The merged release pull request that made `sha`, found from the commit.
async fn pull_for_push(ctx: &Ctx, sha: &str) -> anyhow::Result<Option<crate::github::PullRequest>> {
    let pulls = ctx
        .gh
        .pulls_for_commit(&ctx.repo, sha)
        .await
        .with_context(|| format!("reading the pull requests of {sha}"))?;
    Ok(release::publish::release_pull_for_push(&pulls, sha, &ctx.config).cloned())
}
