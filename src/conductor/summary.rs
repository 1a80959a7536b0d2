//! The job summary: the ordered queue as a table and a Mermaid graph per open milestone,
//! coloured by state like the design's diagrams. Issue titles are data: escaped everywhere.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::effect::{Effect, Standing, TickPlan, TickReport};
use super::snapshot::Snapshot;
use crate::markdown::{inline, mermaid_label};

pub fn markdown(report: &TickReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## shiprig Conductor: {}\n",
        inline(&report.repository, 200)
    );
    let _ = writeln!(out, "{}\n", headline(report));
    for note in &report.plan.notes {
        let _ = writeln!(out, "> {}\n", inline(note, 200));
    }
    queue_table(&mut out, &report.plan);
    for milestone in &report.snapshot.milestones {
        let members: Vec<u64> = report
            .snapshot
            .issues
            .values()
            .filter(|i| i.milestone == Some(milestone.number))
            .map(|i| i.number)
            .collect();
        if !members.is_empty() {
            let _ = writeln!(out, "\n### Milestone: {}\n", inline(&milestone.title, 200));
            out.push_str(&mermaid(&report.snapshot, &report.plan, &members));
        }
    }
    out
}

fn headline(report: &TickReport) -> String {
    let effects = report.plan.effects.len();
    let mode = if report.dry_run {
        " (dry run: nothing written)"
    } else {
        ""
    };
    format!(
        "{effects} change(s) planned{mode}; {} request(s) to GitHub ({} read, {} write).",
        report.requests.total(),
        report.requests.reads,
        report.requests.writes
    )
}

fn queue_table(out: &mut String, plan: &TickPlan) {
    if plan.queue.is_empty() {
        out.push_str("The queue is empty.\n");
        return;
    }
    out.push_str("| # | issue | priority | approved | state |\n|---|---|---|---|---|\n");
    for (position, entry) in plan.queue.iter().enumerate() {
        let approved = entry
            .approved_at
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | #{} {} | {} | {} | {} |",
            position + 1,
            entry.issue,
            inline(&entry.title, 200),
            entry.rank.label(),
            approved,
            describe(&entry.standing)
        );
    }
}

pub(crate) fn describe(standing: &Standing) -> String {
    match standing {
        Standing::Next { agent } => format!("starting: {agent}"),
        Standing::Waiting => "waiting for an agent".into(),
        Standing::Blocked => "blocked".into(),
        Standing::InCycle => "dependency cycle".into(),
        Standing::InProgress { agent } => {
            format!("in progress ({})", agent.as_deref().unwrap_or("?"))
        }
        Standing::InReview => "in review".into(),
        Standing::Held { label } => format!("held ({label})"),
        Standing::HandedOff { next: Some(next) } => format!("handed off: next for {next}"),
        Standing::HandedOff { next: None } => "handed off".into(),
        Standing::Untrusted { actor } => format!("approval by {actor} not honoured"),
        Standing::Unverified { reason } => format!("held: {reason}"),
    }
}

/// A Mermaid flowchart of the milestone's issues: an arrow from each blocker to what it blocks.
fn mermaid(snapshot: &Snapshot, plan: &TickPlan, members: &[u64]) -> String {
    let standing: BTreeMap<u64, &Standing> =
        plan.queue.iter().map(|e| (e.issue, &e.standing)).collect();
    let starting: Vec<u64> = plan
        .effects
        .iter()
        .filter_map(|e| {
            if let Effect::Start { issue, .. } = e {
                Some(*issue)
            } else {
                None
            }
        })
        .collect();
    let mut out = String::from("```mermaid\nflowchart LR\n");
    for &number in members {
        let title = snapshot
            .issues
            .get(&number)
            .map(|i| i.title.as_str())
            .unwrap_or("");
        let class = match standing.get(&number) {
            _ if starting.contains(&number) => "progress",
            Some(Standing::InProgress { .. }) => "progress",
            Some(Standing::InReview) => "review",
            Some(Standing::Blocked) | Some(Standing::InCycle) => "blocked",
            _ => "ready",
        };
        let _ = writeln!(
            out,
            "  i{number}[\"#{number} {}\"]:::{class}",
            mermaid_label(title, 60)
        );
    }
    for (&number, blockers) in &snapshot.blockers {
        for blocker in blockers
            .iter()
            .filter(|b| members.contains(&b.number) && members.contains(&number))
        {
            let _ = writeln!(out, "  i{} --> i{number}", blocker.number);
        }
    }
    out.push_str("  classDef ready fill:#dbeafe,stroke:#1d4ed8\n");
    out.push_str("  classDef progress fill:#fef3c7,stroke:#b45309\n");
    out.push_str("  classDef review fill:#ede9fe,stroke:#6d28d9\n");
    out.push_str("  classDef blocked fill:#fee2e2,stroke:#b91c1c\n");
    out.push_str("```\n");
    out
}
