//! `shiprig config validate|schema`.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;

use super::args::{Global, RepoArg, print_json};
use crate::config::{self, Config};
use crate::context::{self, CONFIG_PATH, Vars};
use crate::error::Exit;

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Check a config: a local file (default `.github/shiprig.yml`), or with `--ref` the file in
    /// the repository at that ref through the contents API. Exit 2 names file, line and column.
    Validate {
        /// The file to check.
        path: Option<PathBuf>,
        /// Read the config from the repository at this branch, tag or SHA instead.
        #[arg(long = "ref", env = "SHIPRIG_CONFIG_REF", value_name = "REF")]
        git_ref: Option<String>,
        /// The repository for `--ref`.
        #[command(flatten)]
        repo: RepoArg,
    },
    /// Print the config's JSON Schema, for editors and CI validation.
    Schema,
}

pub(crate) async fn run(
    command: ConfigCommand,
    global: &Global,
    vars: &Vars,
) -> anyhow::Result<Exit> {
    match command {
        ConfigCommand::Schema => {
            println!("{}", serde_json::to_string_pretty(&config::json_schema())?);
            Ok(Exit::Ok)
        }
        ConfigCommand::Validate {
            path,
            git_ref,
            repo,
        } => {
            let (source, result) = match git_ref {
                Some(git_ref) => {
                    let repo = context::repository(repo.repo.as_deref(), vars)?;
                    let gh = context::client(&repo, vars)?;
                    context::config_at(&gh, &repo, &git_ref).await?
                }
                None => {
                    let path = path
                        .or_else(|| global.config.clone())
                        .unwrap_or_else(|| PathBuf::from(CONFIG_PATH));
                    (path.display().to_string(), Config::load(&path))
                }
            };
            report(&source, result, global.json)
        }
    }
}

fn report(
    source: &str,
    result: Result<Config, config::ConfigError>,
    as_json: bool,
) -> anyhow::Result<Exit> {
    match result {
        Ok(config) => {
            if as_json {
                print_json(
                    &json!({ "valid": true, "file": source, "agents": config.conductor.agents.len(), "gate_rules": config.gate.rules.len() }),
                )?;
            } else {
                println!(
                    "{source}: valid ({} agent(s), {} gate rule(s))",
                    config.conductor.agents.len(),
                    config.gate.rules.len()
                );
            }
            Ok(Exit::Ok)
        }
        Err(error) => {
            if as_json {
                print_json(
                    &json!({ "valid": false, "file": error.file, "line": error.line, "column": error.column, "message": error.message }),
                )?;
            } else {
                eprintln!("{error}");
            }
            Ok(Exit::Usage)
        }
    }
}
