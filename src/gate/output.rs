//! What the gate says: the check run's title and summary, the sticky comment, the labels, the
//! job summary and the terminal line. Every piece of PR text is data: one line, escaped, cut.

use std::fmt::Write as _;

use super::approvals::short;
use super::verdict::{GateVerdict, Gated, Outcome, Trigger};
use crate::config::Config;
use crate::markdown::{code, inline};

/// The hidden marker that finds the sticky comment again.
pub(crate) const MARKER: &str = "<!-- shiprig:human-gate -->";
/// GitHub refuses check summaries over 65,535 characters.
const SUMMARY_LIMIT: usize = 60_000;
const TRIGGERS_SHOWN: usize = 25;

pub(crate) fn title(verdict: &GateVerdict) -> String {
    let held: Vec<String> = verdict.held_by().map(|s| format!("#{}", s.pull)).collect();
    if verdict.outcome == Outcome::Pass && !held.is_empty() {
        return format!(
            "Held by another pull request of this commit: {}",
            held.join(", ")
        );
    }
    match verdict.outcome {
        Outcome::Pass if verdict.gated.is_empty() => "No gated change".to_string(),
        Outcome::Pass => format!("Approved: {}", names(verdict.gated.iter())),
        Outcome::NeedsHuman => format!(
            "A human must approve: {}",
            names(verdict.gated.iter().filter(|g| !g.satisfied()))
        ),
        Outcome::CannotJudge => "The gate cannot judge this change".to_string(),
    }
}

/// Other open pull requests of the same head: the check on the SHA speaks for all of them.
fn siblings(out: &mut String, verdict: &GateVerdict) {
    if verdict.held_by().next().is_none() {
        return;
    }
    let _ = writeln!(
        out,
        "This commit is the head of other open pull requests, and the check on it speaks for all of them: it passes only when every one does.\n"
    );
    for s in verdict.held_by() {
        let _ = writeln!(
            out,
            "- #{} into {}: {}",
            s.pull,
            code(&s.base_ref, 100),
            inline(&s.title, 300)
        );
    }
    out.push('\n');
}

fn names<'a>(gated: impl Iterator<Item = &'a Gated>) -> String {
    gated
        .map(|g| g.category.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The check run's summary (Markdown).
pub fn summary(verdict: &GateVerdict, config: &Config) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "**{}** on `{}`\n",
        title(verdict),
        short(&verdict.head_sha)
    );
    if let Some(reason) = &verdict.reason {
        let _ = writeln!(out, "The gate fails closed: {}\n", inline(reason, 500));
    }
    siblings(&mut out, verdict);
    for gated in &verdict.gated {
        category(&mut out, gated, config);
    }
    // Notes are written by the gate; any PR text in them was escaped when they were made.
    for note in &verdict.notes {
        let _ = writeln!(out, "{note}\n");
    }
    if let Some(agent) = &verdict.agent {
        let _ = writeln!(
            out,
            "Written by agent {}: its approvals never count.\n",
            code(agent, 60)
        );
    }
    if !verdict.ignored.is_empty() {
        out.push_str("Approvals that do not count:\n");
        for ignored in &verdict.ignored {
            let _ = writeln!(out, "- {}: {}", inline(&ignored.login, 60), ignored.reason);
        }
    }
    cap(out)
}

fn category(out: &mut String, gated: &Gated, config: &Config) {
    let state = if gated.satisfied() {
        format!("approved by {}", gated.approved_by.join(", "))
    } else {
        format!(
            "needs {} approval(s), has {}",
            gated.needed,
            gated.approved_by.len()
        )
    };
    let _ = writeln!(out, "### {} — {state}\n", gated.category);
    let who = if gated.owners.is_empty() {
        format!(
            "anyone with `{}` permission",
            serde_json::to_value(config.gate.humans.min_permission)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        )
    } else {
        gated.owners.join(", ")
    };
    let _ = writeln!(
        out,
        "Who may approve: {who} (not the author, a commit author, a bot or an agent).\n"
    );
    for trigger in gated.triggers.iter().take(TRIGGERS_SHOWN) {
        let _ = writeln!(out, "- {}", describe(trigger));
    }
    if gated.triggers.len() > TRIGGERS_SHOWN {
        let _ = writeln!(
            out,
            "- … and {} more",
            gated.triggers.len() - TRIGGERS_SHOWN
        );
    }
    out.push('\n');
}

pub fn describe(trigger: &Trigger) -> String {
    match trigger {
        Trigger::File { path, status } => format!("{status}: {}", inline(path, 200)),
        Trigger::Line { path, sign, text } => format!(
            "line in {}: {sign}{}",
            inline(path, 200),
            inline(text.trim(), 120)
        ),
        Trigger::Dependency(change) => inline(&change.describe(), 300),
        Trigger::Unreadable { path, reason } => {
            format!("cannot read {}: {}", inline(path, 200), inline(reason, 200))
        }
    }
}

fn cap(mut text: String) -> String {
    if text.len() > SUMMARY_LIMIT {
        let mut end = SUMMARY_LIMIT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("\n\n… (cut to fit GitHub's limit)\n");
    }
    text
}

/// The sticky comment: the marker, then the summary.
pub fn comment(verdict: &GateVerdict, config: &Config) -> String {
    format!(
        "{MARKER}\n## shiprig human gate\n\n{}",
        summary(verdict, config)
    )
}

/// shiprig's own labels for this verdict: `human-gate` while a human is needed (or the gate
/// cannot judge), `human-gate:<category>` for each category the change touches.
pub fn labels(verdict: &GateVerdict, config: &Config) -> Vec<String> {
    let base = &config.labels.human_gate;
    let mut out = Vec::new();
    if verdict.outcome != Outcome::Pass {
        out.push(base.clone());
    }
    out.extend(
        verdict
            .gated
            .iter()
            .map(|g| format!("{base}:{}", g.category)),
    );
    out
}

/// Whether a label is one shiprig owns (and so may add or remove).
pub(crate) fn owns_label(label: &str, config: &Config) -> bool {
    let base = &config.labels.human_gate;
    label.eq_ignore_ascii_case(base)
        || label
            .get(..base.len() + 1)
            .is_some_and(|p| p.eq_ignore_ascii_case(&format!("{base}:")))
}

/// Labels to add and to remove so the owned labels equal `desired`; others are never touched.
pub(crate) fn label_changes(
    current: &[String],
    desired: &[String],
    config: &Config,
) -> (Vec<String>, Vec<String>) {
    let has = |list: &[String], l: &str| list.iter().any(|x| x.eq_ignore_ascii_case(l));
    let add = desired
        .iter()
        .filter(|d| !has(current, d))
        .cloned()
        .collect();
    let remove = current
        .iter()
        .filter(|c| owns_label(c, config) && !has(desired, c))
        .cloned()
        .collect();
    (add, remove)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn only_owned_labels_are_removed() {
        let config = Config::default();
        let current = vec![
            "human-gate:auth".to_string(),
            "bug".to_string(),
            "human-gatekeeper".to_string(),
        ];
        let desired = vec!["human-gate".to_string(), "human-gate:payments".to_string()];
        let (add, remove) = label_changes(&current, &desired, &config);
        assert_eq!(add, desired);
        assert_eq!(remove, ["human-gate:auth"]);
    }
}
