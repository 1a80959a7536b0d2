//! `shiprig product pull`: each ready feature becomes a milestone (found again by the marker
//! in its description) with a starting issue per user story. Each feature is turned into a
//! plan ([`plan_file_for`], pure) and applied by the same code as `shiprig plan apply`, so a second
//! pull writes nothing.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{Feature, ProductTool};
use crate::config::{Labels, ProductPriorities};
use crate::github::{GitHub, Milestone, MilestoneFilter, MilestoneState, Repo};
use crate::plan_file::{
    self, PlanFile, PlanFileReport, PlanFileRequest, PlannedIssue, Priority, marker,
};

/// Longest milestone title shiprig writes.
const MAX_TITLE: usize = 200;
/// Longest feature description copied into a milestone.
const MAX_DESCRIPTION: usize = 2000;

#[derive(Debug, Serialize)]
pub(crate) struct ProductPullReport {
    pub(crate) tool: String,
    pub(crate) dry_run: bool,
    pub(crate) features: Vec<FeaturePull>,
}

#[derive(Debug, Serialize)]
pub(crate) struct FeaturePull {
    pub(crate) feature: String,
    pub(crate) name: String,
    #[serde(flatten)]
    pub(crate) outcome: FeaturePullOutcome,
}

/// What a pull did for one feature.
#[derive(Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(crate) enum FeaturePullOutcome {
    /// Its milestone and starting issues, created or found.
    Planned { plan: Box<PlanFileReport> },
    /// Its milestone had closed but the tool was never told (it was down at the time): told
    /// now, or (`error`) still not.
    Completed {
        milestone: String,
        error: Option<String>,
    },
}

impl ProductPullReport {
    pub(crate) fn ok(&self) -> bool {
        self.features.iter().all(|f| match &f.outcome {
            FeaturePullOutcome::Planned { plan } => plan.ok(),
            FeaturePullOutcome::Completed { error, .. } => error.is_none(),
        })
    }
}

/// What `shiprig product pull` asks for: the ready queue as milestones in `repo`.
#[derive(Debug, Clone)]
pub(crate) struct ProductRequest {
    pub(crate) repo: Repo,
    /// shiprig's labels, as the config names them.
    pub(crate) labels: Labels,
    pub(crate) dry_run: bool,
}

/// Reads the ready queue and applies one plan per feature.
pub(crate) async fn pull(
    gh: &GitHub,
    tool: &ProductTool,
    request: &ProductRequest,
) -> anyhow::Result<ProductPullReport> {
    let (repo, labels, dry_run) = (&request.repo, &request.labels, request.dry_run);
    let features = tool.ready().await?;
    let milestones = gh.milestones(repo, MilestoneFilter::All).await?;
    let mut report = ProductPullReport {
        tool: tool.tool().to_string(),
        dry_run,
        features: Vec::new(),
    };
    for feature in &features {
        let outcome = match closed_milestone(tool.tool(), feature, &milestones) {
            Some(closed) => FeaturePullOutcome::Completed {
                milestone: closed.title.clone(),
                error: if dry_run {
                    None
                } else {
                    let told = tool.complete(&feature.id, &closed.title, &closed.html_url);
                    told.await.err().map(|e| format!("{e:#}"))
                },
            },
            None => {
                let plan = plan_file_for(tool.tool(), feature, &milestones, tool.priorities());
                let request = PlanFileRequest {
                    repo: repo.clone(),
                    plan,
                    labels: labels.clone(),
                    dry_run,
                };
                let applied = plan_file::run(gh, &request).await?;
                FeaturePullOutcome::Planned {
                    plan: Box::new(applied),
                }
            }
        };
        report.features.push(FeaturePull {
            feature: feature.id.clone(),
            name: feature.name.clone(),
            outcome,
        });
    }
    Ok(report)
}

/// The feature's linked milestone, when it is closed: its work is done and only the status
/// write-back is missing.
fn closed_milestone<'a>(
    tool: &str,
    feature: &Feature,
    milestones: &'a [Milestone],
) -> Option<&'a Milestone> {
    linked(tool, feature, milestones).filter(|m| m.state == MilestoneState::Closed)
}

fn linked<'a>(tool: &str, feature: &Feature, milestones: &'a [Milestone]) -> Option<&'a Milestone> {
    milestones.iter().find(|m| {
        marker::feature_of(m.description.as_deref().unwrap_or_default())
            == Some((tool.to_string(), feature.id.clone()))
    })
}

/// The plan that makes one feature's milestone and starting issues exist.
pub(crate) fn plan_file_for(
    tool: &str,
    feature: &Feature,
    milestones: &[Milestone],
    priorities: &ProductPriorities,
) -> PlanFile {
    let link = marker::feature(tool, &feature.id);
    let linked = linked(tool, feature, milestones);
    let name: String = clean(&feature.name).chars().take(MAX_TITLE).collect();
    let (milestone, description) = match linked {
        Some(m) => (m.title.clone(), None),
        None => match milestones.iter().find(|m| m.title == name) {
            Some(m)
                if marker::feature_of(m.description.as_deref().unwrap_or_default()).is_none() =>
            {
                let current = m.description.clone().unwrap_or_default();
                (name, Some(format!("{}\n\n{link}", current.trim_end())))
            }
            Some(_) => (
                format!("{name} ({tool} {})", feature.id),
                Some(describe(tool, feature)),
            ),
            None => (name, Some(describe(tool, feature))),
        },
    };
    PlanFile {
        milestone,
        description,
        approve: false,
        create_only: true,
        issues: stories(tool, feature, rank(feature.priority.as_deref(), priorities)),
    }
}

/// The rank a feature's priority in the product tool gives its issues.
pub(crate) fn rank(priority: Option<&str>, priorities: &ProductPriorities) -> Priority {
    let named = |names: &[String]| {
        priority.is_some_and(|p| {
            names
                .iter()
                .any(|n| n.trim().eq_ignore_ascii_case(p.trim()))
        })
    };
    if named(&priorities.critical) {
        Priority::Critical
    } else if named(&priorities.high_priority) {
        Priority::High
    } else {
        Priority::Normal
    }
}

fn describe(tool: &str, feature: &Feature) -> String {
    let text: String = feature
        .description
        .trim()
        .chars()
        .take(MAX_DESCRIPTION)
        .collect();
    let url = clean(&feature.url);
    let mut out = String::new();
    if !text.is_empty() {
        out.push_str(&text);
        out.push_str("\n\n");
    }
    out.push_str(&format!(
        "Feature in {tool}: {url}\n{}",
        marker::feature(tool, &feature.id)
    ));
    out
}

fn stories(tool: &str, feature: &Feature, priority: Priority) -> Vec<PlannedIssue> {
    let mut used = BTreeSet::new();
    feature
        .stories
        .iter()
        .filter(|s| marker::is_id(&s.id) && !clean(&s.name).is_empty())
        .map(|s| {
            let mut key = format!("story-{}", slug(&s.id));
            while !used.insert(key.clone()) {
                key.push('x');
            }
            PlannedIssue {
                key,
                title: clean(&s.name).chars().take(MAX_TITLE).collect(),
                body: format!(
                    "A user story of the {tool} feature {}.",
                    clean(&feature.url)
                ),
                labels: Vec::new(),
                priority,
                blocked_by: Vec::new(),
                issue: None,
            }
        })
        .collect()
}

/// One line, no control characters.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

fn slug(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
