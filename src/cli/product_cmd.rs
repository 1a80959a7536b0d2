//! `shiprig product pull`.

use clap::Subcommand;

use super::args::{DryRun, Global, RepoArg, print_json};
use super::plan_cmd;
use crate::context::{self, Vars};
use crate::error::{Exit, UsageError};
use crate::product::pull::{self, FeaturePullOutcome, ProductRequest};

#[derive(Debug, Subcommand)]
pub(crate) enum ProductCommand {
    /// Read the product tool's "ready to build" queue and create one milestone per feature,
    /// with a starting issue per user story. Idempotent by a marker in each milestone.
    Pull(ProductPullArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct ProductPullArgs {
    #[command(flatten)]
    pub(crate) repo: RepoArg,
    #[command(flatten)]
    pub(crate) dry: DryRun,
}

pub(crate) async fn run(
    command: ProductCommand,
    global: &Global,
    vars: &Vars,
) -> anyhow::Result<Exit> {
    let ProductCommand::Pull(args) = command;
    let ctx = args.repo.load(global, vars).await?;
    let tool = context::product_tool(&ctx.config, vars)?.ok_or_else(|| {
        UsageError("no product tool configured: add `product.clickup` or `product.asana`".into())
    })?;
    let request = ProductRequest {
        repo: ctx.repo,
        labels: ctx.config.labels,
        dry_run: args.dry.dry_run,
    };
    let report = pull::pull(&ctx.gh, &tool, &request).await?;
    if global.json {
        print_json(&report)?;
    } else if report.features.is_empty() {
        println!("{}: nothing is ready to build", report.tool);
    } else {
        for feature in &report.features {
            println!(
                "{} feature {} {:?}:",
                report.tool, feature.feature, feature.name
            );
            match &feature.outcome {
                FeaturePullOutcome::Planned { plan } => print!("{}", plan_cmd::render(plan)),
                FeaturePullOutcome::Completed {
                    milestone,
                    error: None,
                } => {
                    println!("  milestone {milestone:?} is closed: marked done")
                }
                FeaturePullOutcome::Completed {
                    milestone,
                    error: Some(e),
                } => {
                    println!("  milestone {milestone:?} is closed; marking it done failed: {e}")
                }
            }
        }
    }
    Ok(if report.ok() { Exit::Ok } else { Exit::Outside })
}
