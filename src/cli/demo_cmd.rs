//! `shiprig demo`: the design's example on the built-in emulator, printed round by round.

use std::fmt::Write as _;

use anyhow::Context as _;

use super::args::{Global, print_json};
use crate::conductor::Effect;
use crate::conductor::render::describe;
use crate::demo::{self, Round, Scenario};
use crate::error::Exit;

#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {}

pub(crate) async fn run(_args: DemoArgs, global: &Global) -> anyhow::Result<Exit> {
    let binary = std::env::current_exe().context("finding the shiprig executable")?;
    let scenarios = demo::run(&binary).await?;
    if global.json {
        print_json(&serde_json::json!({ "scenarios": scenarios }))?;
    } else {
        print!("{}", render(&scenarios));
    }
    Ok(Exit::Ok)
}

pub(crate) fn render(scenarios: &[Scenario]) -> String {
    let mut out = String::from(
        "shiprig demo: the real Conductor, through the real GitHub client, against the built-in\n\
         GitHub emulator (acme/widget), with two simulated agents and a fake Slack.\n",
    );
    for (index, scenario) in scenarios.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n=== Scenario {}: {} ===\n{}",
            index + 1,
            scenario.name,
            scenario.story
        );
        for round in &scenario.rounds {
            render_round(&mut out, round);
        }
        for step in &scenario.steps {
            render_step(&mut out, step);
        }
    }
    out
}

fn render_step(out: &mut String, step: &demo::pipeline::DemoStep) {
    let _ = writeln!(out, "\n{}", step.title);
    if step.command.is_empty() {
        let _ = writeln!(out, "  person    {}", step.outcome);
    } else {
        let code = step.exit_code.map_or("killed".into(), |c| c.to_string());
        let _ = writeln!(out, "  ran       {} (exit {code})", step.command);
        if !step.outcome.is_empty() {
            let _ = writeln!(out, "  said      {}", step.outcome);
        }
    }
    for text in &step.slack {
        let _ = writeln!(out, "  slack     \"{}\"", plain(text));
    }
}

fn render_round(out: &mut String, round: &Round) {
    let r = &round.requests;
    let _ = writeln!(
        out,
        "\nRound {} ({} GitHub requests: {} read, {} write)",
        round.round,
        r.total(),
        r.reads,
        r.writes
    );
    if round.effects.is_empty() && round.failed.is_empty() {
        let _ = writeln!(out, "  nothing to change: the rig is at rest");
    }
    let titles: std::collections::BTreeMap<u64, &crate::conductor::QueueEntry> =
        round.queue.iter().map(|e| (e.issue, e)).collect();
    for effect in &round.effects {
        let _ = writeln!(out, "  {}", line(effect, &titles));
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
        let _ = writeln!(
            out,
            "  queue     still waiting for an agent: {}",
            waiting.join(", ")
        );
    }
    for text in &round.slack {
        let _ = writeln!(out, "  slack     \"{}\"", plain(text));
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
    for happening in &round.happenings {
        let _ = writeln!(out, "  meanwhile {happening}");
    }
}

/// Slack mrkdwn as a person reads it: links as their text, no emphasis marks or emoji codes.
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            break;
        };
        let inner = &rest[start + 1..start + end];
        out.push_str(inner.split_once('|').map_or(inner, |(_, label)| label));
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    let words: Vec<&str> = out
        .split(' ')
        .filter(|w| !(w.starts_with(':') && w.ends_with(':') && w.len() > 2))
        .collect();
    words
        .join(" ")
        .replace('*', "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn line(
    effect: &Effect,
    queue: &std::collections::BTreeMap<u64, &crate::conductor::QueueEntry>,
) -> String {
    let title = |n: &u64| queue.get(n).map(|e| e.title.as_str()).unwrap_or_default();
    match effect {
        Effect::Start {
            issue,
            title,
            agent,
            ..
        } => {
            let rank = match queue.get(issue).map(|e| e.rank) {
                Some(crate::conductor::Rank::Critical) => " (critical: first in the queue)",
                Some(crate::conductor::Rank::HighPriority) => " (high priority)",
                _ => "",
            };
            format!("start     {agent} takes #{issue} {title}{rank}")
        }
        Effect::AddLabel { issue, reason, .. } => {
            format!("blocked   #{issue} {} ({reason})", title(issue))
        }
        Effect::RemoveLabel { issue, .. } => format!(
            "unblocked #{issue} {}: its last blocker closed",
            title(issue)
        ),
        Effect::CloseMilestone { title, .. } => {
            format!("milestone {title:?} closed: all its issues are done")
        }
        other => describe(other),
    }
}
