//! Properties of the plan diff: applying its changes to a repository makes the next diff empty,
//! also when a run stopped partway (a crash, a failed write) and the next run finishes it.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::json;
use shiprig::config::Labels;
use shiprig::github::{Issue, MilestoneRef};
use shiprig::plan_file::diff::matches;
use shiprig::plan_file::{Existing, PlanFile, PlanFileChange, diff};

/// A plan of `n` issues; edge `(i, j)` with `j < i` makes `k{i}` blocked by `k{j}`.
fn plan_text(n: usize, edges: &[(usize, usize)], labels: &[u8], approve: bool) -> String {
    let mut text = format!("milestone: M\napprove: {approve}\nissues:\n");
    for i in 0..n {
        let mut blockers: Vec<String> = edges
            .iter()
            .filter(|(from, to)| *from == i && to < from)
            .map(|(_, to)| format!("k{to}"))
            .collect();
        blockers.sort();
        blockers.dedup();
        let label = labels.get(i).copied().unwrap_or(0);
        let priority = ["normal", "high", "critical"][usize::from(label % 3)];
        text.push_str(&format!(
            "  - {{key: k{i}, title: T{i}, body: 'B{i}', labels: [l{label}], priority: {priority}, blocked_by: [{}]}}\n",
            blockers.join(", ")
        ));
    }
    text
}

fn new_issue(number: u64, title: &str, body: &str, labels: &[String]) -> Issue {
    serde_json::from_value(json!({
        "id": 1000 + number, "number": number, "title": title, "body": body, "state": "open",
        "labels": labels, "milestone": { "number": 1, "title": "M" },
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    }))
    .unwrap()
}

/// Applies changes to an in-memory repository the way GitHub would.
fn simulate(plan: &PlanFile, existing: &mut Existing, changes: &[PlanFileChange]) {
    let mut keys: BTreeMap<String, u64> = matches(plan, existing)
        .into_iter()
        .map(|(k, i)| (k, i.number))
        .collect();
    for change in changes {
        match change {
            PlanFileChange::CreateMilestone { title, description } => {
                existing.milestone = Some(
                    serde_json::from_value(json!({
                        "id": 77, "number": 1, "title": title, "state": "open",
                        "description": description, "open_issues": 0, "closed_issues": 0
                    }))
                    .unwrap(),
                );
            }
            PlanFileChange::UpdateMilestone { description, .. } => {
                existing.milestone.as_mut().unwrap().description = Some(description.clone());
            }
            PlanFileChange::CreateIssue {
                key,
                title,
                body,
                labels,
            } => {
                let number = existing.issues.len() as u64 + 1;
                existing.issues.push(new_issue(number, title, body, labels));
                keys.insert(key.clone(), number);
            }
            PlanFileChange::UpdateIssue {
                number,
                title,
                body,
                milestone,
                ..
            } => {
                let issue = existing
                    .issues
                    .iter_mut()
                    .find(|i| i.number == *number)
                    .unwrap();
                if let Some(t) = title {
                    issue.title = t.clone();
                }
                if let Some(b) = body {
                    issue.body = Some(b.clone());
                }
                if *milestone {
                    issue.milestone = Some(MilestoneRef {
                        number: 1,
                        title: "M".into(),
                    });
                }
            }
            PlanFileChange::AddLabels { key, labels } => {
                let issue = existing
                    .issues
                    .iter_mut()
                    .find(|i| i.number == keys[key])
                    .unwrap();
                for label in labels {
                    if !issue.has_label(label) {
                        issue.labels.push(label.clone());
                    }
                }
            }
            PlanFileChange::AddBlockedBy { key, blocker } => {
                existing
                    .blockers
                    .entry(keys[key])
                    .or_default()
                    .insert(1000 + keys[blocker]);
            }
        }
    }
}

proptest! {
    #[test]
    fn applied_changes_leave_nothing_to_do_even_after_a_crash(
        n in 1usize..10,
        edges in proptest::collection::vec((0usize..10, 0usize..10), 0..25),
        labels in proptest::collection::vec(0u8..6, 10),
        approve in any::<bool>(),
        crash_at in 0usize..60,
    ) {
        let text = plan_text(n, &edges, &labels, approve);
        let plan = PlanFile::from_yaml("PLAN.yml", &text).unwrap();
        let config = Labels::default();
        let mut repo = Existing::default();
        let first = diff(&plan, &repo, &config);
        let stop = crash_at.min(first.len());
        simulate(&plan, &mut repo, &first[..stop]);
        let rest = diff(&plan, &repo, &config);
        prop_assert_eq!(rest.len(), first.len() - stop, "the next run does only what is left");
        simulate(&plan, &mut repo, &rest);
        prop_assert_eq!(diff(&plan, &repo, &config), vec![]);
        prop_assert_eq!(repo.issues.len(), n, "no issue is created twice");
        if approve {
            prop_assert!(repo.issues.iter().all(|i| i.has_label("approved")));
        }
    }
}
