//! `shiprig init`: write the config and the workflows a phase needs, never overwriting a
//! user's file without `--force` (a diff shows what would change instead).

use std::path::PathBuf;

use serde_json::json;

use super::args::{DryRun, Global, print_json};
use crate::error::{Exit, UsageError};
use crate::setup::init::{self, FileAction, NextStep};
use crate::setup::templates::{self, PHASES};

#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// 1: gate, lifecycle and staging deploy; 2: release PR, production, smoke and monitor;
    /// 3: Conductor and agents; 4: product sync. Each phase includes the ones before.
    #[arg(long, env = "SHIPRIG_PHASE", default_value_t = 1)]
    pub(crate) phase: u8,
    /// The repository's folder.
    #[arg(long, env = "SHIPRIG_DIR", default_value = ".", value_name = "PATH")]
    pub(crate) dir: PathBuf,
    /// Replace files that differ from what this phase writes.
    #[arg(long, env = "SHIPRIG_FORCE")]
    pub(crate) force: bool,
    #[command(flatten)]
    pub(crate) dry: DryRun,
}

pub(crate) fn run(args: InitArgs, global: &Global) -> anyhow::Result<Exit> {
    if !PHASES.contains(&args.phase) {
        return Err(UsageError(format!(
            "--phase {} is not a phase: expected 1, 2, 3 or 4",
            args.phase
        ))
        .into());
    }
    let (wanted, actions) = init::plan_dir(&args.dir, args.phase, args.force);
    if !args.dry.dry_run {
        init::apply(&args.dir, &wanted, &actions)?;
    }
    let refused = actions
        .iter()
        .any(|a| matches!(a, FileAction::Refuse { .. }));
    // What is left to do, once the files are (or would be) in place; a run that changed
    // nothing, or kept a file, leaves nothing new.
    let next_steps = if !refused && actions.iter().any(FileAction::writes) {
        init::next_steps(args.phase, &args.dir)
    } else {
        Vec::new()
    };
    if global.json {
        print_json(&json!({
            "phase": args.phase, "dir": args.dir, "dry_run": args.dry.dry_run, "files": actions,
            "next_steps": next_steps,
        }))?;
    } else {
        print!("{}", render(&actions, args.dry.dry_run));
        let starter = actions
            .iter()
            .any(|a| a.path() == templates::STARTER_CI_PATH && a.writes());
        if starter {
            println!(
                "note: no CI workflow was found, so {} is a starting one for this repository's language: adapt its commands; `shiprig bootstrap` makes its check required",
                templates::STARTER_CI_PATH
            );
        }
        print!("{}", render_next_steps(&next_steps));
    }
    Ok(if refused { Exit::No } else { Exit::Ok })
}

/// The steps left, numbered, each with its details beneath it.
fn render_next_steps(steps: &[NextStep]) -> String {
    if steps.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nnext steps:\n");
    for (n, step) in steps.iter().enumerate() {
        out.push_str(&format!("  {}. {}\n", n + 1, step.step));
        for line in &step.details {
            out.push_str(&format!("     {line}\n"));
        }
    }
    out
}

fn render(actions: &[FileAction], dry_run: bool) -> String {
    let mut out = String::new();
    for action in actions {
        let (verb, diff) = match action {
            FileAction::Create { .. } if dry_run => ("would create", None),
            FileAction::Create { .. } => ("created", None),
            FileAction::Unchanged { .. } => ("unchanged", None),
            FileAction::Overwrite { diff, .. } if dry_run => ("would overwrite", Some(diff)),
            FileAction::Overwrite { diff, .. } => ("overwrote", Some(diff)),
            FileAction::Refuse { diff, .. } => ("kept (differs; --force replaces it)", Some(diff)),
        };
        out.push_str(&format!("{verb}: {}\n", action.path()));
        if let Some(diff) = diff {
            out.push_str(diff);
        }
    }
    out
}
