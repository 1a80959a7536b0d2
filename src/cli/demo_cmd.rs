//! `shiprig demo`: the design's example on the built-in emulator, printed round by round.

use std::fmt::Write as _;

use super::conductor_cmd::describe;
use super::{Exit, Global, print_json};
use crate::conductor::Effect;
use crate::demo::{self, Round, Scenario};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {}

pub async fn run(_args: DemoArgs, global: &Global) -> anyhow::Result<Exit> {
    let scenarios = demo::run().await?;
    if global.json {
        print_json(&serde_json::json!({ "scenarios": scenarios }))?;
    } else {
        print!("{}", render(&scenarios));
    }
    Ok(Exit::Ok)
}

pub fn render(scenarios: &[Scenario]) -> String {
    let mut out = String::from(
        "shiprig demo: the real Conductor, through the real GitHub client, against the built-in\n\
         GitHub emulator (acme/widget), with two simulated agents and a fake Slack.\n",
    );
    for (index, scenario) in scenarios.iter().enumerate() {
        let _ = writeln!(out, "\n=== Scenario {}: {} ===\n{}", index + 1, scenario.name, scenario.story);
        for round in &scenario.rounds {
            render_round(&mut out, round);
        }
    }
    out
}

fn render_round(out: &mut String, round: &Round) {
    let r = &round.requests;
    let _ = writeln!(out, "\nRound {} ({} GitHub requests: {} read, {} write)", round.round, r.total(), r.reads, r.writes);
    if round.effects.is_empty() && round.failed.is_empty() {
        let _ = writeln!(out, "  nothing to change: the rig is at rest");
    }
    for effect in &round.effects {
        let _ = writeln!(out, "  {}", line(effect));
    }
    for failure in &round.failed {
        let _ = writeln!(out, "  FAILED    {failure}");
    }
    let waiting: Vec<String> = round
        .queue
        .iter()
        .filter(|e| matches!(e.standing, crate::conductor::Standing::Waiting))
        .map(|e| format!("#{}", e.issue))
        .collect();
    if !waiting.is_empty() {
        let _ = writeln!(out, "  queue     still waiting for an agent: {}", waiting.join(", "));
    }
    for text in &round.slack {
        let _ = writeln!(out, "  slack     {text}");
    }
    for told in &round.product {
        let _ = writeln!(out, "  product   {told}");
    }
    for work in &round.agents {
        let _ = writeln!(
            out,
            "  agent     {} opened PR #{} (\"Closes #{}\") and merged it: #{} is closed",
            work.agent, work.pull_request, work.issue, work.issue
        );
    }
}

fn line(effect: &Effect) -> String {
    match effect {
        Effect::Start { issue, title, agent, .. } => format!("start     {agent} takes #{issue} {title}"),
        Effect::AddLabel { issue, reason, .. } => format!("blocked   #{issue} ({reason})"),
        Effect::RemoveLabel { issue, .. } => format!("unblocked #{issue}: its last blocker closed"),
        Effect::CloseMilestone { title, .. } => format!("milestone {title:?} closed: all its issues are done"),
        other => describe(other),
    }
}
