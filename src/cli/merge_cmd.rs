//! `shiprig merge`: on check suite, check run, status and review events.

use anyhow::Context as _;
use serde::Serialize;

use super::env::Environment;
use super::pipeline_ctx::{self, Ctx, PullArgs};
use super::{Exit, Global, print_json};
use crate::merge::{self, Decision};

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    #[command(flatten)]
    pub target: PullArgs,
    /// Explain the decision and merge nothing.
    #[arg(long, env = "SHIPRIG_DRY_RUN")]
    pub dry_run: bool,
}

#[derive(Serialize)]
struct Outcome {
    #[serde(flatten)]
    decision: Decision,
    merged: bool,
    dry_run: bool,
}

pub async fn run(args: MergeArgs, global: &Global, env: &Environment) -> anyhow::Result<Exit> {
    let event = pipeline_ctx::event(env)?;
    let ctx = Ctx::load(args.target.repo.as_deref(), global, env).await?;
    let numbers = pull_numbers(&ctx, args.target.pr, &event).await?;
    let mut outcomes = Vec::new();
    for number in numbers {
        let facts = merge::read(&ctx.gh, &ctx.repo, number)
            .await
            .with_context(|| format!("reading pull request #{number}"))?;
        let mut decision = merge::decide(&facts, &ctx.config);
        let mut merged = false;
        if decision.merge && !args.dry_run {
            match ctx
                .gh
                .merge_pull(&ctx.repo, number, &decision.sha, merge::MERGE_METHOD)
                .await
            {
                Ok(()) => merged = true,
                // 409: the head moved after the decision; the next event decides again.
                Err(e) if matches!(e.status(), Some(405 | 409)) => {
                    decision
                        .reasons
                        .push(format!("GitHub refused the merge: {e}"));
                }
                Err(e) => return Err(e).with_context(|| format!("merging #{number}")),
            }
        }
        outcomes.push(Outcome {
            decision,
            merged,
            dry_run: args.dry_run,
        });
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

fn render(o: &Outcome) -> String {
    let d = &o.decision;
    let short = &d.sha[..d.sha.len().min(7)];
    let head = match (o.merged, d.merge, o.dry_run) {
        (true, _, _) => format!("#{}: merged {short}", d.pull),
        (false, true, true) => format!("#{}: would merge {short}", d.pull),
        _ => format!("#{}: not merging {short}", d.pull),
    };
    let mut out = format!(
        "{head} (approved by: {})\n",
        if d.approved_by.is_empty() {
            "nobody".into()
        } else {
            pipeline_ctx::one_line(&d.approved_by.join(", "))
        }
    );
    for reason in &d.reasons {
        out.push_str(&format!("  - {}\n", pipeline_ctx::one_line(reason)));
    }
    out
}

/// `--pr`, else the pull requests the event names: `pull_request`/`pull_request_review`,
/// `check_suite`/`check_run` (their `pull_requests`), or `status` (open PRs whose head is the SHA).
async fn pull_numbers(
    ctx: &Ctx,
    flag: Option<u64>,
    event: &serde_json::Value,
) -> anyhow::Result<Vec<u64>> {
    if let Ok(number) = pipeline_ctx::pull_number(flag, event) {
        return Ok(vec![number]);
    }
    let listed = event
        .pointer("/check_suite/pull_requests")
        .or_else(|| event.pointer("/check_run/check_suite/pull_requests"))
        .or_else(|| event.pointer("/check_run/pull_requests"))
        .and_then(|v| v.as_array());
    if let Some(listed) = listed {
        return Ok(listed.iter().filter_map(|p| p["number"].as_u64()).collect());
    }
    if let Some(sha) = event.pointer("/sha").and_then(|v| v.as_str()) {
        let pulls = ctx
            .gh
            .pulls_for_commit(&ctx.repo, sha)
            .await
            .with_context(|| format!("finding the pull requests of {sha}"))?;
        return Ok(pulls
            .into_iter()
            .filter(|p| p.state == "open")
            .map(|p| p.number)
            .collect());
    }
    pipeline_ctx::pull_number(flag, event).map(|n| vec![n])
}
