//! The Conductor's tick as a person reads it: one line per effect, what failed, what stood
//! down, and the requests it took.

use super::{Effect, TickReport};

/// The tick as a person reads it.
pub(crate) fn render(report: &TickReport) -> String {
    let mut out = String::new();
    let verb = if report.dry_run { "would" } else { "did" };
    if report.plan.effects.is_empty() {
        out.push_str(&format!("{}: nothing to change\n", report.repository));
    }
    for effect in &report.plan.effects {
        out.push_str(&format!(
            "{}: {verb} {}\n",
            report.repository,
            describe(effect)
        ));
    }
    if let Some(applied) = &report.applied {
        for failed in &applied.failed {
            out.push_str(&format!(
                "  failed: {}: {}\n",
                describe(&failed.effect),
                failed.error
            ));
        }
        for withdrawn in &applied.withdrawn {
            out.push_str(&format!(
                "  stood down: #{} ({})\n",
                withdrawn.issue, withdrawn.reason
            ));
        }
    }
    for note in &report.plan.notes {
        out.push_str(&format!("  note: {note}\n"));
    }
    let r = &report.requests;
    out.push_str(&format!(
        "  requests: {} ({} read, {} write, {} retried)\n",
        r.total(),
        r.reads,
        r.writes,
        r.retries
    ));
    out
}

pub(crate) fn describe(effect: &Effect) -> String {
    match effect {
        Effect::AddLabel {
            issue,
            label,
            reason,
        } => format!("label #{issue} `{label}` ({reason})"),
        Effect::RemoveLabel {
            issue,
            label,
            reason,
        } => format!("unlabel #{issue} `{label}` ({reason})"),
        Effect::Assign { issue, login } => format!("assign #{issue} to {login}"),
        Effect::Start {
            issue,
            agent,
            title,
            ..
        } => format!(
            "start {agent} on #{issue} {}",
            crate::markdown::inline(title, 200)
        ),
        Effect::FinishClaim {
            issue,
            agent,
            claim,
            ..
        } => format!("finish {agent}'s half-claim on #{issue} (claim {claim}, never dispatched)"),
        Effect::WithdrawClaim {
            issue,
            agent,
            reason,
            ..
        } => format!("withdraw {agent}'s claim labels from #{issue} ({reason})"),
        Effect::ReportCycle { issue, cycle } => {
            format!("report the dependency cycle of #{issue} ({cycle:?})")
        }
        Effect::CloseMilestone { title, .. } => format!("close milestone {title:?}"),
        Effect::Review {
            pull_request,
            reviewer,
            author,
            ..
        } => {
            format!("ask {reviewer} to review #{pull_request} by {author}")
        }
        Effect::Respond {
            pull_request,
            agent,
            reviewer,
            round,
            ..
        } => format!(
            "send {agent} back to answer {reviewer}'s requested changes on #{pull_request} (round {round})"
        ),
        Effect::Fix {
            pull_request,
            agent,
            failing,
            attempt,
            ..
        } => {
            let names: Vec<&str> = failing.iter().map(|c| c.name.as_str()).collect();
            format!(
                "send {agent} back to fix #{pull_request} (attempt {attempt}: {})",
                names.join(", ")
            )
        }
        Effect::HandOff {
            issue,
            next,
            attempt,
            ..
        } => format!(
            "hand #{issue} from {} on to {next} (fallback: {})",
            attempt.agent,
            crate::markdown::inline(&attempt.reported, 200)
        ),
        Effect::AgentFailed {
            issue,
            agent,
            reason,
            ..
        } => {
            format!("mark #{issue} agent-failed ({agent}: {reason})")
        }
    }
}
