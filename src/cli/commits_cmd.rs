//! `shiprig commits lint`: on `pull_request` opened, edited, synchronize.

use anyhow::Context as _;
use clap::Subcommand;
use serde::Serialize;

use super::env::Environment;
use super::pipeline_ctx::{self, PullArgs};
use super::{Exit, Global, print_json};
use crate::commits::{self, Problem};

#[derive(Debug, Subcommand)]
pub enum CommitsCommand {
    /// Check the pull request title and its commits; annotate what is not conventional.
    Lint(LintArgs),
}

#[derive(Debug, clap::Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub target: PullArgs,
}

#[derive(Serialize)]
struct Report {
    pull: u64,
    checked: usize,
    /// Merge commits are not linted: they carry no change of their own.
    merges_skipped: usize,
    problems: Vec<Problem>,
}

pub async fn run(
    command: CommitsCommand,
    global: &Global,
    env: &Environment,
) -> anyhow::Result<Exit> {
    let CommitsCommand::Lint(args) = command;
    let (ctx, pull) = pipeline_ctx::load_pull(&args.target, global, env).await?;
    let number = pull.number;
    let commits = ctx
        .gh
        .pull_commits(&ctx.repo, number)
        .await
        .with_context(|| format!("reading the commits of #{number}"))?;
    let mut problems: Vec<Problem> = commits::lint("title", &pull.title)
        .err()
        .into_iter()
        .collect();
    let mut merges = 0;
    for c in &commits {
        if c.parents.len() > 1 {
            merges += 1;
            continue;
        }
        let short: String = c.sha.chars().take(7).collect();
        problems.extend(commits::lint(&format!("commit {short}"), &c.commit.message).err());
    }
    let report = Report {
        pull: number,
        checked: commits.len() + 1 - merges,
        merges_skipped: merges,
        problems,
    };
    if global.json {
        print_json(&report)?;
    } else {
        for problem in &report.problems {
            println!("{}", commits::annotation(problem));
        }
        println!(
            "#{number}: {} checked, {} not conventional",
            report.checked,
            report.problems.len()
        );
    }
    Ok(if report.problems.is_empty() {
        Exit::Ok
    } else {
        Exit::No
    })
}
