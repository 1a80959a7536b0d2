//! `shiprig codeowners`: writes `.github/CODEOWNERS` from `.github/CODEOWNERS.template` and the
//! gate's rules; `--check` writes nothing and exits 1 with a diff when the file drifted.

use std::path::PathBuf;

use anyhow::Context as _;
use serde_json::json;

use super::args::{Global, print_json};
use crate::config::Config;
use crate::error::Exit;
use crate::setup::codeowners::{self, PATH, TEMPLATE_PATH};
use crate::setup::init::unified_diff;
use crate::setup::templates;

#[derive(Debug, clap::Args)]
pub(crate) struct CodeownersArgs {
    /// The repository's folder.
    #[arg(long, env = "SHIPRIG_DIR", default_value = ".", value_name = "PATH")]
    pub(crate) dir: PathBuf,
    /// Write nothing; exit 1 with a diff when .github/CODEOWNERS is not what it should be.
    #[arg(long)]
    pub(crate) check: bool,
}

pub(crate) fn run(args: CodeownersArgs, global: &Global) -> anyhow::Result<Exit> {
    let config_path = global
        .config
        .clone()
        .unwrap_or_else(|| args.dir.join(templates::CONFIG_PATH));
    let config = Config::load(&config_path)?;
    let template = std::fs::read_to_string(args.dir.join(TEMPLATE_PATH))
        .unwrap_or_else(|_| templates::CODEOWNERS.1.to_string());
    let wanted = codeowners::render(&template, &config);
    let target = args.dir.join(PATH);
    let current = std::fs::read_to_string(&target).unwrap_or_default();
    let diff = (current != wanted).then(|| unified_diff(PATH, &current, &wanted));
    if !args.check && diff.is_some() {
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, &wanted)
            .with_context(|| format!("writing {}", target.display()))?;
    }
    if global.json {
        print_json(&json!({"path": PATH, "check": args.check,
            "up_to_date": diff.is_none(), "diff": diff}))?;
    } else {
        match (&diff, args.check) {
            (None, _) => println!("{PATH} is up to date"),
            (Some(diff), true) => print!(
                "{PATH} does not match the gate's rules; `shiprig codeowners` rewrites it:\n{diff}"
            ),
            (Some(_), false) => println!("wrote {PATH}"),
        }
    }
    Ok(match (diff, args.check) {
        (Some(_), true) => Exit::No,
        _ => Exit::Ok,
    })
}
