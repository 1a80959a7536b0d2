//! `shiprig doctor`: read the repository's real setup and print each gap with its fix.
//! Exit 0 when nothing is missing, 1 when something is.

use serde_json::json;

use super::args::{Global, print_json};
use super::bootstrap_cmd::RepoBranch;
use crate::context::Vars;
use crate::error::Exit;
use crate::github::Repo;
use crate::setup::doctor::{self, Finding};
use crate::setup::inspect::{self, DoctorRequest};

#[derive(Debug, clap::Args)]
pub(crate) struct DoctorArgs {
    #[command(flatten)]
    pub(crate) target: RepoBranch,
}

pub(crate) async fn run(args: DoctorArgs, global: &Global, vars: &Vars) -> anyhow::Result<Exit> {
    let (repo, gh, branch) = args.target.resolve(vars).await?;
    let request = DoctorRequest {
        repo: repo.clone(),
        branch,
        local_config: global.config.clone(),
    };
    let mut facts = inspect::read(&gh, &request).await?;
    facts.agent_identities = inspect::agent_identities(&gh, &facts.config, |n| vars.get(n)).await;
    let findings = doctor::diagnose(&facts);
    if global.json {
        print_json(&json!({
            "repository": repo.to_string(), "branch": facts.branch,
            "ok": findings.is_empty(), "findings": findings,
        }))?;
    } else {
        print!("{}", render(&repo, &findings));
    }
    Ok(if findings.is_empty() {
        Exit::Ok
    } else {
        Exit::No
    })
}

fn render(repo: &Repo, findings: &[Finding]) -> String {
    if findings.is_empty() {
        return format!("{repo}: shiprig is set up; nothing is missing\n");
    }
    let mut out = format!("{repo}: {} gap(s)\n", findings.len());
    for f in findings {
        out.push_str(&format!("- [{}] {}\n    fix: {}\n", f.area, f.gap, f.fix));
    }
    out
}
