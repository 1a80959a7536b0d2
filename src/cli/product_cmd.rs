//! `shiprig product pull`.

use clap::Subcommand;

use super::env::{self, Environment};
use super::{Exit, Global, UsageError, plan_cmd, print_json};
use crate::product::ProductTool;
use crate::product::pull::{self, Outcome};

#[derive(Debug, Subcommand)]
pub enum ProductCommand {
    /// Read the product tool's "ready to build" queue and create one milestone per feature,
    /// with a starting issue per user story. Idempotent by a marker in each milestone.
    Pull(PullArgs),
}

#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// The repository (default: `GITHUB_REPOSITORY`).
    #[arg(long, env = "GITHUB_REPOSITORY", value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Print the changes and write nothing.
    #[arg(long, env = "SHIPRIG_DRY_RUN")]
    pub dry_run: bool,
}

pub async fn run(
    command: ProductCommand,
    global: &Global,
    environment: &Environment,
) -> anyhow::Result<Exit> {
    let ProductCommand::Pull(args) = command;
    let repo = env::repository(args.repo.as_deref(), environment)?;
    let gh = environment.github()?.for_repo(&repo);
    let config = env::load_config(global.config.as_deref(), &gh, &repo).await?;
    let tool = ProductTool::from_config(&config.product, |name| environment.get(name))
        .map_err(|e| UsageError(format!("{e:#}")))?
        .ok_or_else(|| {
            UsageError(
                "no product tool configured: add `product.clickup` or `product.asana`".into(),
            )
        })?;
    let report = pull::pull(&gh, &repo, &tool, &config.labels, args.dry_run).await?;
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
                Outcome::Planned { plan } => print!("{}", plan_cmd::render(plan)),
                Outcome::Completed {
                    milestone,
                    error: None,
                } => {
                    println!("  milestone {milestone:?} is closed: marked done")
                }
                Outcome::Completed {
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
