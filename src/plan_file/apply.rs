//! Reading what a plan touches and performing its changes: thin I/O around [`super::diff`].

use std::collections::BTreeMap;

use anyhow::Context as _;
use serde::Serialize;

use super::diff::{Existing, PlanFileChange, matches};
use super::parse::PlanFile;
use crate::error::UsageError;
use crate::github::{GitHub, IssueUpdate, MilestoneFilter, NewIssue, Repo};

/// Reads the milestone titled like the plan's, its issues, the issues the plan takes over,
/// and the blockers of matched issues that have any. Reads only: a plan that cannot apply
/// (an issue to take over that does not exist) stops here, before any write.
pub(crate) async fn read(gh: &GitHub, repo: &Repo, plan: &PlanFile) -> anyhow::Result<Existing> {
    let milestones = gh
        .milestones(repo, MilestoneFilter::All)
        .await
        .context("reading milestones")?;
    let milestone = milestones.into_iter().find(|m| m.title == plan.milestone);
    let mut existing = Existing::default();
    if let Some(found) = &milestone {
        existing.issues = gh
            .milestone_issues(repo, found.number)
            .await
            .with_context(|| format!("reading the issues of milestone {:?}", found.title))?;
    }
    existing.milestone = milestone;
    for number in plan.issues.iter().filter_map(|p| p.issue) {
        if existing.issues.iter().any(|i| i.number == number) {
            continue;
        }
        let issue = match gh.issue(repo, number).await {
            Err(e) if e.is_not_found() => {
                let missing = format!("the plan takes over issue #{number}, which does not exist");
                return Err(UsageError(missing).into());
            }
            found => found?,
        };
        if issue.is_pull_request() {
            return Err(UsageError(format!("#{number} is a pull request, not an issue")).into());
        }
        existing.issues.push(issue);
    }
    let wanted: Vec<(u64, bool)> = {
        let matched = matches(plan, &existing);
        plan.issues
            .iter()
            .filter(|p| !p.blocked_by.is_empty())
            .filter_map(|p| matched.get(&p.key))
            .map(|i| {
                let none = i
                    .issue_dependencies_summary
                    .is_some_and(|s| s.total_blocked_by == 0);
                (i.number, none)
            })
            .collect()
    };
    for (number, none) in wanted {
        if none {
            continue;
        }
        let blockers = gh.blocked_by(repo, number).await?;
        existing
            .blockers
            .insert(number, blockers.iter().map(|b| b.id).collect());
    }
    Ok(existing)
}

/// What applying the changes did; a failed change stops the run (later ones build on it).
#[derive(Debug, Default, Serialize)]
pub(crate) struct PlanFileApplied {
    pub(crate) done: Vec<PlanFileChange>,
    pub(crate) failed: Option<FailedChange>,
    /// The issue number behind each plan key, after the run.
    pub(crate) issues: BTreeMap<String, u64>,
    pub(crate) milestone: Option<u64>,
}

#[derive(Debug, Serialize)]
pub(crate) struct FailedChange {
    pub(crate) change: PlanFileChange,
    pub(crate) error: String,
}

/// Issue numbers and database ids by plan key, filled as the run creates issues.
struct Known {
    milestone: Option<u64>,
    issues: BTreeMap<String, (u64, u64)>,
}

pub(crate) async fn apply(
    gh: &GitHub,
    repo: &Repo,
    plan: &PlanFile,
    existing: &Existing,
    changes: &[PlanFileChange],
) -> PlanFileApplied {
    let mut known = Known {
        milestone: existing.milestone.as_ref().map(|m| m.number),
        issues: matches(plan, existing)
            .into_iter()
            .map(|(k, i)| (k, (i.number, i.id)))
            .collect(),
    };
    let mut applied = PlanFileApplied::default();
    for change in changes {
        if let Err(e) = perform(gh, repo, change, &mut known).await {
            applied.failed = Some(FailedChange {
                change: change.clone(),
                error: format!("{e:#}"),
            });
            break;
        }
        applied.done.push(change.clone());
    }
    applied.issues = known
        .issues
        .iter()
        .map(|(k, (n, _))| (k.clone(), *n))
        .collect();
    applied.milestone = known.milestone;
    applied
}

async fn perform(
    gh: &GitHub,
    repo: &Repo,
    change: &PlanFileChange,
    known: &mut Known,
) -> anyhow::Result<()> {
    match change {
        PlanFileChange::CreateMilestone { title, description } => {
            let created = gh.create_milestone(repo, title, description).await?;
            known.milestone = Some(created.number);
        }
        PlanFileChange::UpdateMilestone {
            number,
            description,
        } => {
            gh.update_milestone_description(repo, *number, description)
                .await?;
        }
        PlanFileChange::CreateIssue {
            key,
            title,
            body,
            labels,
        } => {
            let new = NewIssue {
                title,
                body,
                labels,
                milestone: known.milestone,
            };
            let issue = gh.create_issue(repo, &new).await?;
            known.issues.insert(key.clone(), (issue.number, issue.id));
        }
        PlanFileChange::UpdateIssue {
            number,
            title,
            body,
            milestone,
            ..
        } => {
            let update = IssueUpdate {
                title: title.clone(),
                body: body.clone(),
                milestone: known.milestone.filter(|_| *milestone),
            };
            gh.update_issue(repo, *number, &update).await?;
        }
        PlanFileChange::AddLabels { key, labels } => {
            gh.add_labels(repo, number_of(known, key)?.0, labels)
                .await?;
        }
        PlanFileChange::AddBlockedBy { key, blocker } => {
            let (number, _) = number_of(known, key)?;
            let (_, blocker_id) = number_of(known, blocker)?;
            gh.add_blocked_by(repo, number, blocker_id).await?;
        }
    }
    Ok(())
}

fn number_of(known: &Known, key: &str) -> anyhow::Result<(u64, u64)> {
    known
        .issues
        .get(key)
        .copied()
        .with_context(|| format!("no issue for plan key `{key}` (its creation failed)"))
}
