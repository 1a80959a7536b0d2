//! The pure difference between a plan file and what the repository holds: the writes that
//! make GitHub match the plan, and nothing else. Applying a plan twice gives no changes.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::marker;
use super::parse::{PlanFile, PlannedIssue, Priority};
use crate::config::Labels;
use crate::github::{Issue, Milestone};

/// What the repository holds that the plan touches.
#[derive(Debug, Clone, Default)]
pub struct Existing {
    /// The milestone titled like the plan's, in any state.
    pub milestone: Option<Milestone>,
    /// The milestone's issues, plus every issue the plan takes over by number.
    pub issues: Vec<Issue>,
    /// Blocker database ids by issue number, for the matched issues that have any.
    pub blockers: BTreeMap<u64, BTreeSet<u64>>,
}

/// One write. Issues are named by plan key; `apply` resolves keys created earlier in the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlanFileChange {
    CreateMilestone {
        title: String,
        description: String,
    },
    UpdateMilestone {
        number: u64,
        description: String,
    },
    CreateIssue {
        key: String,
        title: String,
        body: String,
        labels: Vec<String>,
    },
    UpdateIssue {
        key: String,
        number: u64,
        title: Option<String>,
        body: Option<String>,
        /// Move the issue into the plan's milestone.
        milestone: bool,
    },
    AddLabels {
        key: String,
        labels: Vec<String>,
    },
    /// A native dependency, added by the blocker's database id.
    AddBlockedBy {
        key: String,
        blocker: String,
    },
}

/// Which existing issue each plan key stands for: its marker first, then `issue: N`.
pub fn matches<'a>(plan: &PlanFile, existing: &'a Existing) -> BTreeMap<String, &'a Issue> {
    let mut found = BTreeMap::new();
    for issue in &existing.issues {
        for key in marker::plan_keys(issue.body.as_deref().unwrap_or_default()) {
            if plan.issues.iter().any(|p| p.key == key) {
                found.entry(key).or_insert(issue);
            }
        }
    }
    for planned in &plan.issues {
        let adopted = planned
            .issue
            .and_then(|n| existing.issues.iter().find(|i| i.number == n));
        if let Some(issue) = adopted {
            found.entry(planned.key.clone()).or_insert(issue);
        }
    }
    found
}

/// The writes, in the order they must happen: milestone, issues, labels, dependencies, and
/// `approved` last, so no agent starts an issue before its blockers are recorded.
pub fn diff(plan: &PlanFile, existing: &Existing, labels: &Labels) -> Vec<PlanFileChange> {
    let matched = matches(plan, existing);
    let mut changes = milestone_changes(plan, existing);
    for planned in &plan.issues {
        let wanted = wanted_labels(planned, labels);
        match matched.get(&planned.key) {
            None => changes.push(PlanFileChange::CreateIssue {
                key: planned.key.clone(),
                title: planned.title.clone(),
                body: marker::issue_body(&planned.body, &planned.key),
                labels: wanted,
            }),
            Some(issue) => {
                if !plan.create_only {
                    changes.extend(update(planned, issue, existing));
                }
                let missing: Vec<String> =
                    wanted.into_iter().filter(|l| !issue.has_label(l)).collect();
                if !missing.is_empty() {
                    changes.push(PlanFileChange::AddLabels {
                        key: planned.key.clone(),
                        labels: missing,
                    });
                }
            }
        }
    }
    changes.extend(dependency_changes(plan, existing, &matched));
    if plan.approve {
        changes.extend(approvals(plan, &matched, labels));
    }
    changes
}

fn milestone_changes(plan: &PlanFile, existing: &Existing) -> Vec<PlanFileChange> {
    match &existing.milestone {
        None => vec![PlanFileChange::CreateMilestone {
            title: plan.milestone.clone(),
            description: plan.description.clone().unwrap_or_default(),
        }],
        Some(found) => {
            let current = found.description.clone().unwrap_or_default();
            let Some(wanted) = &plan.description else {
                return Vec::new();
            };
            let wanted = marker::keep_markers(wanted, &current);
            if wanted == current {
                return Vec::new();
            }
            vec![PlanFileChange::UpdateMilestone {
                number: found.number,
                description: wanted,
            }]
        }
    }
}

fn update(planned: &PlannedIssue, issue: &Issue, existing: &Existing) -> Option<PlanFileChange> {
    let current = issue.body.as_deref().unwrap_or_default();
    let body = marker::keep_markers(&marker::issue_body(&planned.body, &planned.key), current);
    let title = (issue.title != planned.title).then(|| planned.title.clone());
    let body = (current != body).then_some(body);
    let in_milestone = match (&existing.milestone, &issue.milestone) {
        (Some(m), Some(current)) => m.number == current.number,
        _ => false,
    };
    let milestone = !in_milestone;
    (title.is_some() || body.is_some() || milestone).then(|| PlanFileChange::UpdateIssue {
        key: planned.key.clone(),
        number: issue.number,
        title,
        body,
        milestone,
    })
}

fn wanted_labels(planned: &PlannedIssue, labels: &Labels) -> Vec<String> {
    let mut wanted = planned.labels.clone();
    match planned.priority {
        Priority::Critical => wanted.push(labels.critical.clone()),
        Priority::High => wanted.push(labels.high_priority.clone()),
        Priority::Normal => {}
    }
    let mut seen = BTreeSet::new();
    wanted.retain(|l| seen.insert(l.to_lowercase()));
    wanted
}

fn dependency_changes(
    plan: &PlanFile,
    existing: &Existing,
    matched: &BTreeMap<String, &Issue>,
) -> Vec<PlanFileChange> {
    let mut changes = Vec::new();
    for planned in &plan.issues {
        let have = matched
            .get(&planned.key)
            .and_then(|i| existing.blockers.get(&i.number));
        for blocker in &planned.blocked_by {
            let recorded = match (have, matched.get(blocker)) {
                (Some(ids), Some(b)) => ids.contains(&b.id),
                _ => false,
            };
            if !recorded {
                changes.push(PlanFileChange::AddBlockedBy {
                    key: planned.key.clone(),
                    blocker: blocker.clone(),
                });
            }
        }
    }
    changes
}

fn approvals(
    plan: &PlanFile,
    matched: &BTreeMap<String, &Issue>,
    labels: &Labels,
) -> Vec<PlanFileChange> {
    plan.issues
        .iter()
        .filter(|p| {
            matched
                .get(&p.key)
                .is_none_or(|i| !i.has_label(&labels.approved) && i.is_open())
        })
        .map(|p| PlanFileChange::AddLabels {
            key: p.key.clone(),
            labels: vec![labels.approved.clone()],
        })
        .collect()
}

#[cfg(test)]
mod tests;
