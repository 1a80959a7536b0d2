//! `shiprig commits lint`: on `pull_request` opened, edited, synchronize.

use clap::Subcommand;

use super::args::{Global, PrArg, print_json};
use crate::commits::{self, LintRequest};
use crate::context::Vars;
use crate::error::Exit;

#[derive(Debug, Subcommand)]
pub(crate) enum CommitsCommand {
    /// Check the pull request title and its commits; annotate what is not conventional.
    Lint(LintArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct LintArgs {
    #[command(flatten)]
    pub(crate) target: PrArg,
}

pub(crate) async fn run(
    command: CommitsCommand,
    global: &Global,
    vars: &Vars,
) -> anyhow::Result<Exit> {
    let CommitsCommand::Lint(args) = command;
    let (ctx, pull) = args.target.load(global, vars).await?;
    let request = LintRequest {
        repo: ctx.repo,
        pull,
    };
    let report = commits::lint_pull(&ctx.gh, &request).await?;
    if global.json {
        print_json(&report)?;
    } else {
        for problem in &report.problems {
            println!("{}", commits::annotation(problem));
        }
        println!(
            "#{}: {} checked, {} not conventional",
            report.pull,
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
