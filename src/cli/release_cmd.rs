//! `shiprig release-pr` (push to main), `shiprig release publish` (release PR merged) and
//! `shiprig release shipped` (production deployed and smoke-tested).

use clap::Subcommand;

use super::args::{DryRun, Global, PrArg, RepoArg, SummaryArg, print_json};
use crate::actions_event::{self, ActionsEvent};
use crate::context::{self, Ctx, Vars};
use crate::error::{Exit, UsageError};
use crate::release::{
    self, Links, PublishRequest, PublishRun, ReleasePrRequest, ReleasePull, ShippedRequest,
    pull::ReleasePrOutcome,
};

#[derive(Debug, clap::Args)]
pub(crate) struct ReleasePrArgs {
    /// The main-branch commit to release (default: `GITHUB_SHA`, else the main branch's head).
    #[arg(long, env = "GITHUB_SHA")]
    pub(crate) sha: Option<String>,
    #[command(flatten)]
    pub(crate) repo: RepoArg,
    #[command(flatten)]
    pub(crate) dry: DryRun,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ReleaseCommand {
    /// After the release PR merged: tag and GitHub Release listing the shipped issues, Slack.
    Publish(PublishArgs),
    /// After production deployed and smoke-tested the release: `done` on its issues, Slack.
    Shipped(ShippedArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct ShippedArgs {
    /// The commit production runs (default: the pushed commit, else `GITHUB_SHA`).
    #[arg(long)]
    pub(crate) sha: Option<String>,
    /// The production job's status so far (`${{ job.status }}`): anything but `success` holds
    /// the issues in review.
    #[arg(long, env = "SHIPRIG_JOB_STATUS", value_name = "STATUS")]
    pub(crate) job_status: Option<String>,
    #[command(flatten)]
    pub(crate) repo: RepoArg,
    #[command(flatten)]
    pub(crate) summary: SummaryArg,
    #[command(flatten)]
    pub(crate) dry: DryRun,
}

#[derive(Debug, clap::Args)]
pub(crate) struct PublishArgs {
    #[command(flatten)]
    pub(crate) target: PrArg,
    #[command(flatten)]
    pub(crate) dry: DryRun,
}

fn links(ctx: &Ctx, vars: &Vars) -> Links {
    Links {
        server: vars
            .get("GITHUB_SERVER_URL")
            .unwrap_or_else(|| "https://github.com".into()),
        repo: ctx.repo.clone(),
    }
}

pub(crate) async fn run_pr(
    args: ReleasePrArgs,
    global: &Global,
    vars: &Vars,
) -> anyhow::Result<Exit> {
    let dry_run = args.dry.dry_run;
    let ctx = args.repo.load(global, vars).await?;
    let sha = release::pull::sha_to_release(&ctx.gh, &ctx.repo, &ctx.config, args.sha).await?;
    if !vars.acts_as_app() && !dry_run {
        eprintln!(
            "warning: opening the release pull request with GITHUB_TOKEN: GitHub starts no workflow runs for it. \
             Set SHIPRIG_APP_ID and SHIPRIG_APP_PRIVATE_KEY so CI runs on the release."
        );
    }
    let request = ReleasePrRequest {
        links: links(&ctx, vars),
        repo: ctx.repo,
        config: ctx.config,
        sha: sha.clone(),
        dry_run,
    };
    let result = release::release_pr(&ctx.gh, &request).await?;
    if global.json {
        print_json(&result)?;
    } else {
        let version = result
            .prepared
            .as_ref()
            .and_then(|p| p.tag.clone())
            .unwrap_or_default();
        println!("release-pr {sha}: {}", describe(&result.outcome, &version));
        if let Some(from) = &result.reset_from {
            println!(
                "release-pr {sha}: {} held {from}, a commit staging never smoke-tested: reset to {sha}",
                crate::merge::RELEASE_BRANCH
            );
        }
        if dry_run && let Some(p) = &result.prepared {
            print!("{}", p.changelog);
        }
    }
    Ok(match result.outcome {
        ReleasePrOutcome::SmokeNotPassed { .. } => Exit::No,
        _ => Exit::Ok,
    })
}

fn describe(outcome: &ReleasePrOutcome, tag: &str) -> String {
    match outcome {
        ReleasePrOutcome::Created { pull } => {
            format!("opened release pull request #{pull} for {tag}")
        }
        ReleasePrOutcome::Updated { pull } => {
            format!("updated release pull request #{pull} for {tag}")
        }
        ReleasePrOutcome::Unchanged { pull } => {
            format!("release pull request #{pull} for {tag} is up to date")
        }
        ReleasePrOutcome::WouldWrite { pull: Some(pull) } => {
            format!("would update #{pull} for {tag}")
        }
        ReleasePrOutcome::WouldWrite { pull: None } => {
            format!("would open a release pull request for {tag}")
        }
        ReleasePrOutcome::NothingToRelease => "nothing to release since the last tag".into(),
        ReleasePrOutcome::SmokeNotPassed { state } => format!(
            "not releasing: staging smoke tests have not passed on this SHA (status: {})",
            state.as_ref().map_or("none", |s| s.as_str())
        ),
        ReleasePrOutcome::Stale { branch_sha } => {
            format!("not releasing: the release branch already holds the newer {branch_sha}")
        }
    }
}

pub(crate) async fn run(
    command: ReleaseCommand,
    global: &Global,
    vars: &Vars,
) -> anyhow::Result<Exit> {
    match command {
        ReleaseCommand::Publish(args) => run_publish(args, global, vars).await,
        ReleaseCommand::Shipped(args) => run_shipped(args, global, vars).await,
    }
}

async fn run_shipped(args: ShippedArgs, global: &Global, vars: &Vars) -> anyhow::Result<Exit> {
    let sha = match args.sha {
        Some(sha) => context::sha(Some(sha))?,
        None => pushed_sha(&vars.event()?, vars)?,
    };
    let ctx = args.repo.load(global, vars).await?;
    let request = ShippedRequest {
        repo: ctx.repo,
        config: ctx.config,
        sha: sha.clone(),
        job_status: args.job_status.filter(|s| !s.is_empty()),
        dry_run: args.dry.dry_run,
    };
    let found = release::shipped(&ctx.gh, &ctx.notifier, &request).await?;
    let Some(shipped) = found else {
        eprintln!("release shipped: shiprig published no release at {sha}; nothing to mark done");
        return Ok(Exit::Ok);
    };
    args.summary.write(|| shipped_summary(&shipped))?;
    if global.json {
        print_json(&shipped)?;
    } else {
        println!("{}", shipped_line(&shipped));
    }
    Ok(if shipped.held.is_some() {
        Exit::No
    } else {
        Exit::Ok
    })
}

fn numbers(issues: &[u64]) -> String {
    if issues.is_empty() {
        return "(none)".into();
    }
    let list: Vec<String> = issues.iter().map(|n| format!("#{n}")).collect();
    list.join(", ")
}

fn shipped_line(s: &release::Shipped) -> String {
    let issues = numbers(&s.issues);
    match (&s.held, s.dry_run) {
        (Some(why), _) => format!(
            "{}: not verified in production ({why}); {issues} stay in review",
            s.tag
        ),
        (None, true) => format!("{}: would mark done: {issues}", s.tag),
        (None, false) if s.newly_done.is_empty() => format!("{}: already done: {issues}", s.tag),
        (None, false) => {
            let drained = if s.queue_drained {
                "; the queue is empty"
            } else {
                ""
            };
            format!("{}: done: {}{drained}", s.tag, numbers(&s.newly_done))
        }
    }
}

fn shipped_summary(s: &release::Shipped) -> String {
    let head = if s.held.is_some() {
        "### :warning: Release held in review"
    } else {
        "### :white_check_mark: Release shipped"
    };
    format!(
        "{head}\n\n[{}]({}): {}\n",
        s.tag,
        s.release_url,
        shipped_line(s)
    )
}

async fn run_publish(args: PublishArgs, global: &Global, vars: &Vars) -> anyhow::Result<Exit> {
    let event = vars.event()?;
    let ctx = args.target.repo.load(global, vars).await?;
    let pull = match actions_event::pull_number(args.target.pr, &event) {
        Ok(number) => ReleasePull::Number(number),
        Err(_) => ReleasePull::MergedAs(pushed_sha(&event, vars)?),
    };
    let dry_run = args.dry.dry_run;
    let request = PublishRequest {
        links: links(&ctx, vars),
        repo: ctx.repo,
        config: ctx.config,
        pull,
        dry_run,
    };
    let published = match release::publish::run(&ctx.gh, &ctx.notifier, &request).await? {
        PublishRun::Published(published) => published,
        PublishRun::Nothing { why, refused } => {
            no_deploy(vars, &why)?;
            return Ok(if refused { Exit::No } else { Exit::Ok });
        }
    };
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
        let shipping = if issues.is_empty() {
            "(none)".into()
        } else {
            issues.join(", ")
        };
        println!(
            "{verb} {} {}; done after production: {shipping}",
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
fn pushed_sha(event: &ActionsEvent, vars: &Vars) -> anyhow::Result<String> {
    context::sha(event.pushed_sha().or_else(|| vars.get("GITHUB_SHA"))).map_err(|_| {
        UsageError(
            "no pull request and no pushed commit: pass --pr N, or run on the push to the production branch"
                .into(),
        )
        .into()
    })
}
