//! `shiprig release-pr` (push to main) and `shiprig release publish` (release PR merged).

use clap::Subcommand;

use super::args::{DryRun, Global, PullArgs, RepoArg, print_json};
use crate::context::{self, Ctx, Vars};
use crate::error::{Exit, UsageError};
use crate::release::{self, Links, pull::Ending};

#[derive(Debug, clap::Args)]
pub struct ReleasePrArgs {
    /// The main-branch commit to release (default: `GITHUB_SHA`, else the main branch's head).
    #[arg(long, env = "GITHUB_SHA")]
    pub sha: Option<String>,
    #[command(flatten)]
    pub repo: RepoArg,
    #[command(flatten)]
    pub dry: DryRun,
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
    #[command(flatten)]
    pub dry: DryRun,
}

fn links(ctx: &Ctx, vars: &Vars) -> Links {
    Links {
        server: vars
            .get("GITHUB_SERVER_URL")
            .unwrap_or_else(|| "https://github.com".into()),
        repo: ctx.repo.clone(),
    }
}

pub async fn run_pr(args: ReleasePrArgs, global: &Global, vars: &Vars) -> anyhow::Result<Exit> {
    let dry_run = args.dry.dry_run;
    let ctx = args.repo.load(global, vars).await?;
    let sha = release::pull::sha_to_release(&ctx.gh, &ctx.repo, &ctx.config, args.sha).await?;
    if !vars.acts_as_app() && !dry_run {
        eprintln!(
            "warning: opening the release pull request with GITHUB_TOKEN: GitHub starts no workflow runs for it. \
             Set SHIPRIG_APP_ID and SHIPRIG_APP_PRIVATE_KEY so CI runs on the release."
        );
    }
    let links = links(&ctx, vars);
    let result =
        release::release_pr(&ctx.gh, &ctx.repo, &ctx.config, &sha, &links, dry_run).await?;
    if global.json {
        print_json(&result)?;
    } else {
        let version = result
            .prepared
            .as_ref()
            .and_then(|p| p.tag.clone())
            .unwrap_or_default();
        println!("release-pr {sha}: {}", describe(&result.outcome, &version));
        if dry_run && let Some(p) = &result.prepared {
            print!("{}", p.changelog);
        }
    }
    Ok(match result.outcome {
        Ending::SmokeNotPassed { .. } => Exit::No,
        _ => Exit::Ok,
    })
}

fn describe(outcome: &Ending, tag: &str) -> String {
    match outcome {
        Ending::Created { pull } => format!("opened release pull request #{pull} for {tag}"),
        Ending::Updated { pull } => format!("updated release pull request #{pull} for {tag}"),
        Ending::Unchanged { pull } => {
            format!("release pull request #{pull} for {tag} is up to date")
        }
        Ending::WouldWrite { pull: Some(pull) } => format!("would update #{pull} for {tag}"),
        Ending::WouldWrite { pull: None } => {
            format!("would open a release pull request for {tag}")
        }
        Ending::NothingToRelease => "nothing to release since the last tag".into(),
        Ending::SmokeNotPassed { state } => format!(
            "not releasing: staging smoke tests have not passed on this SHA (status: {})",
            state.as_deref().unwrap_or("none")
        ),
        Ending::Stale { branch_sha } => {
            format!("not releasing: the release branch already holds the newer {branch_sha}")
        }
    }
}

pub async fn run(command: ReleaseCommand, global: &Global, vars: &Vars) -> anyhow::Result<Exit> {
    let ReleaseCommand::Publish(args) = command;
    let event = vars.event()?;
    let (ctx, pull) = match context::pull_number(args.target.pr, &event) {
        Ok(_) => args.target.load(global, vars).await?,
        Err(_) => {
            let ctx = args.target.repo.load(global, vars).await?;
            let sha = pushed_sha(&event, vars)?;
            let found =
                release::publish::find_release_pull(&ctx.gh, &ctx.repo, &ctx.config, &sha).await?;
            match found {
                Some(pull) => (ctx, pull),
                None => {
                    let why = format!(
                        "{sha} was not made by merging a release pull request; nothing to publish, nothing to deploy"
                    );
                    no_deploy(vars, &why)?;
                    return Ok(Exit::Ok);
                }
            }
        }
    };
    if let Err(why) = release::publish::check_release_pull(&pull, &ctx.config) {
        no_deploy(vars, &format!("{why}; nothing to publish"))?;
        return Ok(Exit::No);
    }
    // Lists leave out who merged: read the pull request itself.
    let merged = ctx.pull(pull.number).await?;
    if let Err(why) = release::publish::merged_by_person(&merged, &ctx.config) {
        no_deploy(
            vars,
            &format!("{why}; nothing to publish, nothing to deploy"),
        )?;
        return Ok(Exit::Ok);
    }
    let links = links(&ctx, vars);
    let dry_run = args.dry.dry_run;
    let published = release::publish(
        &ctx.gh,
        &ctx.repo,
        &ctx.config,
        &pull,
        &links,
        &ctx.notifier,
        dry_run,
    )
    .await?;
    deploy_output(vars, !dry_run)?;
    if global.json {
        print_json(&published)?;
    } else {
        let verb = match (dry_run, published.created) {
            (true, _) => "would publish",
            (false, true) => "published",
            (false, false) => "already published",
        };
        let issues: Vec<String> = published.issues.iter().map(|n| format!("#{n}")).collect();
        let done = if issues.is_empty() {
            "(none)".into()
        } else {
            issues.join(", ")
        };
        println!(
            "{verb} {} {}; done: {done}",
            published.tag, published.release_url
        );
    }
    Ok(Exit::Ok)
}

/// The release workflow's production job runs on `deploy=true` only (GITHUB_OUTPUT).
fn deploy_output(vars: &Vars, deploy: bool) -> anyhow::Result<()> {
    let file = vars.get("GITHUB_OUTPUT");
    crate::actions_log::step_output(file.as_deref(), "deploy", &deploy.to_string())?;
    Ok(())
}

/// Says why production is not deployed, and tells the workflow so.
fn no_deploy(vars: &Vars, why: &str) -> anyhow::Result<()> {
    eprintln!("release publish: {}", crate::actions_log::one_line(why));
    deploy_output(vars, false)
}

/// The commit a push event brought (`after`), else `GITHUB_SHA`; exit 2 with neither.
fn pushed_sha(event: &serde_json::Value, vars: &Vars) -> anyhow::Result<String> {
    let after = event
        .get("after")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string);
    context::sha(after.or_else(|| vars.get("GITHUB_SHA"))).map_err(|_| {
        UsageError(
            "no pull request and no pushed commit: pass --pr N, or run on the push to the production branch"
                .into(),
        )
        .into()
    })
}
