//! `shiprig plan apply`: a plan file (one milestone, its issues and which block which) made
//! true on GitHub, idempotently. [`parse`] reads and checks the plan, [`diff`] decides the
//! writes purely, [`apply`] reads and acts. Each issue carries its plan key in a hidden
//! marker, so a second run finds everything and writes nothing.

pub(crate) mod apply;
pub mod diff;
pub(crate) mod marker;
pub(crate) mod parse;

use serde::Serialize;

pub(crate) use apply::PlanFileApplied;
pub use diff::{Existing, PlanFileChange, diff};
pub use parse::PlanFile;
pub(crate) use parse::{PlannedIssue, Priority};

use crate::config::Labels;
use crate::github::{GitHub, Repo};

/// One plan run's full account, for the terminal and `--json`.
#[derive(Debug, Serialize)]
pub(crate) struct PlanFileReport {
    pub(crate) repository: String,
    pub(crate) milestone: String,
    pub(crate) dry_run: bool,
    pub(crate) changes: Vec<PlanFileChange>,
    pub(crate) applied: Option<PlanFileApplied>,
}

impl PlanFileReport {
    pub(crate) fn ok(&self) -> bool {
        self.applied.as_ref().is_none_or(|a| a.failed.is_none())
    }
}

/// What `shiprig plan apply` (and the product tool's pull, per feature) asks for: make the
/// repository hold `plan`.
#[derive(Debug, Clone)]
pub(crate) struct PlanFileRequest {
    pub(crate) repo: Repo,
    pub(crate) plan: PlanFile,
    /// shiprig's labels, as the config names them.
    pub(crate) labels: Labels,
    pub(crate) dry_run: bool,
}

/// Read, decide, and (unless `dry_run`) act.
pub(crate) async fn run(gh: &GitHub, request: &PlanFileRequest) -> anyhow::Result<PlanFileReport> {
    let (repo, plan, labels, dry_run) = (
        &request.repo,
        &request.plan,
        &request.labels,
        request.dry_run,
    );
    let existing = apply::read(gh, repo, plan).await?;
    let changes = diff(plan, &existing, labels);
    let applied = if dry_run {
        None
    } else {
        Some(apply::apply(gh, repo, plan, &existing, &changes).await)
    };
    Ok(PlanFileReport {
        repository: repo.to_string(),
        milestone: plan.milestone.clone(),
        dry_run,
        changes,
        applied,
    })
}

/// One change as a person reads it.
pub(crate) fn describe(change: &PlanFileChange) -> String {
    match change {
        PlanFileChange::CreateMilestone { title, .. } => format!("create milestone {title:?}"),
        PlanFileChange::UpdateMilestone { number, .. } => {
            format!("update the description of milestone {number}")
        }
        PlanFileChange::CreateIssue { key, title, .. } => format!("create issue `{key}` {title:?}"),
        PlanFileChange::UpdateIssue {
            key,
            number,
            title,
            body,
            milestone,
        } => {
            let mut parts = Vec::new();
            if title.is_some() {
                parts.push("title");
            }
            if body.is_some() {
                parts.push("body");
            }
            if *milestone {
                parts.push("milestone");
            }
            format!("update #{number} `{key}` ({})", parts.join(", "))
        }
        PlanFileChange::AddLabels { key, labels } => format!("label `{key}` {}", labels.join(", ")),
        PlanFileChange::AddBlockedBy { key, blocker } => {
            format!("mark `{key}` blocked by `{blocker}`")
        }
    }
}
