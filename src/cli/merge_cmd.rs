//! `shiprig merge`: on check suite, check run, status and review events.

use super::args::{DryRun, Global, PrArg, print_json};
use crate::actions_log::one_line;
use crate::context::Vars;
use crate::error::Exit;
use crate::merge::{self, MergeRequest, Merged};

#[derive(Debug, clap::Args)]
pub(crate) struct MergeArgs {
    /// `--pr`, else the pull requests the event names.
    #[command(flatten)]
    pub(crate) target: PrArg,
    #[command(flatten)]
    pub(crate) dry: DryRun,
}

pub(crate) async fn run(args: MergeArgs, global: &Global, vars: &Vars) -> anyhow::Result<Exit> {
    let event = vars.event()?;
    let ctx = args.target.repo.load(global, vars).await?;
    let request = MergeRequest {
        repo: ctx.repo,
        config: ctx.config,
        pr: args.target.pr,
        event,
        dry_run: args.dry.dry_run,
    };
    let outcomes = merge::run(&ctx.gh, &request).await?;
    let in_actions = vars.get("GITHUB_ACTIONS").as_deref() == Some("true");
    if in_actions && !vars.acts_as_app() {
        for (pull, started) in merge::follow_on(&ctx.gh, &request, &outcomes).await {
            for s in started {
                eprintln!("#{pull}: {}: {}", s.workflow, one_line(&s.outcome));
            }
        }
        if outcomes.iter().any(|o| o.merged) {
            eprintln!("{}", stalled());
        }
    }
    if global.json {
        print_json(&outcomes)?;
    } else {
        for o in &outcomes {
            print!("{}", render(o));
        }
    }
    Ok(Exit::Ok)
}

/// What a merge made with the Actions token leaves undone: GitHub starts no workflow from its
/// events (docs/architecture.md, "GitHub facts that decide the design").
fn stalled() -> &'static str {
    "::notice title=shiprig merge::merged with the Actions token: GitHub starts no workflow from this merge's events, so shiprig started the deploy, the lifecycle of the pull request and a Conductor tick by workflow_dispatch (needs `actions: write`). Set SHIPRIG_APP_ID and SHIPRIG_APP_PRIVATE_KEY so the merge acts as the App and its own events carry on (`shiprig doctor` reports this)."
}

fn render(o: &Merged) -> String {
    let d = &o.decision;
    let short = &d.sha[..d.sha.len().min(7)];
    let head = match (o.merged, d.merge, o.dry_run) {
        (true, _, _) => format!("#{}: merged {short}", d.pull),
        (false, true, true) => format!("#{}: would merge {short}", d.pull),
        _ => format!("#{}: not merging {short}", d.pull),
    };
    let approvers = if d.approved_by.is_empty() {
        "nobody".into()
    } else {
        one_line(&d.approved_by.join(", "))
    };
    let mut out = format!("{head} (approved by: {approvers})\n");
    for reason in &d.reasons {
        out.push_str(&format!("  - {}\n", one_line(reason)));
    }
    out
}
