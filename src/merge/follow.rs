//! What a merge made with the Actions token must start itself: GitHub starts no workflow from that
//! token's events but `workflow_dispatch` (docs/architecture.md, "GitHub facts that decide the
//! design"). So the deploy of the main branch, the lifecycle of the merged pull request and a
//! Conductor tick are dispatched, each once: the runs already dispatched since the merge are read
//! back first, so a run after a lost answer starts nothing twice. [`plan`] decides; [`start`] reads
//! and writes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::github::{GitHub, Repo, WorkflowRun};

/// The follow-on workflows, as `shiprig init` names them.
pub(crate) const DEPLOY: &str = "shiprig-deploy.yml";
pub(crate) const LIFECYCLE: &str = "shiprig-lifecycle.yml";
pub(crate) const CONDUCTOR: &str = "shiprig-conductor.yml";

/// One `workflow_dispatch` to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct FollowOn {
    pub(crate) workflow: String,
    pub(crate) inputs: BTreeMap<String, String>,
}

/// The title the lifecycle's `run-name` gives a run dispatched for pull request `pull`.
pub(crate) fn lifecycle_title(pull: u64) -> String {
    format!("shiprig lifecycle #{pull}")
}

/// The dispatches still to make for pull request `pull`, merged at `merged_at`, given the
/// `workflow_dispatch` runs each workflow already has (`already`, by file).
pub(crate) fn plan(
    pull: u64,
    merged_at: DateTime<Utc>,
    already: &BTreeMap<String, Vec<WorkflowRun>>,
) -> Vec<FollowOn> {
    let since =
        |workflow: &str, title: Option<&str>| {
            already.get(workflow).into_iter().flatten().any(|run| {
                run.created_at >= merged_at && title.is_none_or(|t| run.display_title == t)
            })
        };
    let title = lifecycle_title(pull);
    let wanted = [
        (DEPLOY, None, BTreeMap::new()),
        (
            LIFECYCLE,
            Some(title.as_str()),
            BTreeMap::from([("pull_request".to_string(), pull.to_string())]),
        ),
        (CONDUCTOR, None, BTreeMap::new()),
    ];
    wanted
        .into_iter()
        .filter(|(workflow, title, _)| !since(workflow, *title))
        .map(|(workflow, _, inputs)| FollowOn {
            workflow: workflow.to_string(),
            inputs,
        })
        .collect()
}

/// What came of one follow-on: `started` (a run id when GitHub said), `already` (a run since
/// the merge), `absent` (the repository has no such workflow), or the error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct FollowOnResult {
    pub(crate) workflow: String,
    pub(crate) outcome: String,
}

/// Reads back the runs dispatched so far, then dispatches what [`plan`] says is missing, on
/// `branch`. A workflow the repository lacks (404, 422) is skipped; any other error is reported
/// and the rest still start.
pub(crate) async fn start(
    gh: &GitHub,
    repo: &Repo,
    branch: &str,
    pull: u64,
    merged_at: DateTime<Utc>,
) -> Vec<FollowOnResult> {
    let mut already = BTreeMap::new();
    let mut out = Vec::new();
    for workflow in [DEPLOY, LIFECYCLE, CONDUCTOR] {
        match gh.dispatched_runs(repo, workflow).await {
            Ok(runs) => {
                already.insert(workflow.to_string(), runs);
            }
            Err(e) if matches!(e.status(), Some(404)) => {
                out.push(FollowOnResult {
                    workflow: workflow.into(),
                    outcome: "absent".into(),
                });
            }
            // Unknown: dispatching could repeat a run, so this one waits for the next merge.
            Err(e) => out.push(FollowOnResult {
                workflow: workflow.into(),
                outcome: format!("not read back: {e}"),
            }),
        }
    }
    for f in plan(pull, merged_at, &already) {
        if !already.contains_key(&f.workflow) {
            continue;
        }
        let outcome = match gh
            .dispatch_workflow(repo, &f.workflow, branch, &f.inputs)
            .await
        {
            Ok(Some(run)) => format!("started run {}", run.workflow_run_id),
            Ok(None) => "started".into(),
            Err(e) if matches!(e.status(), Some(404 | 422)) => "absent".into(),
            Err(e) => format!("not started: {e}"),
        };
        out.push(FollowOnResult {
            workflow: f.workflow,
            outcome,
        });
    }
    for workflow in already.keys() {
        if !out.iter().any(|s| &s.workflow == workflow) {
            out.push(FollowOnResult {
                workflow: workflow.clone(),
                outcome: "already".into(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(title: &str, at: &str) -> WorkflowRun {
        WorkflowRun {
            id: 1,
            display_title: title.into(),
            status: None,
            conclusion: None,
            event: "workflow_dispatch".into(),
            html_url: String::new(),
            created_at: at.parse().unwrap(),
        }
    }

    #[test]
    fn every_follow_on_starts_once_after_the_merge() {
        let merged: DateTime<Utc> = "2026-01-01T10:00:00Z".parse().unwrap();
        let none = BTreeMap::new();
        let all: Vec<_> = plan(7, merged, &none)
            .into_iter()
            .map(|f| f.workflow)
            .collect();
        assert_eq!(all, [DEPLOY, LIFECYCLE, CONDUCTOR]);
        assert_eq!(
            plan(7, merged, &none)[1].inputs["pull_request"],
            "7",
            "lifecycle is told its pull request"
        );
        // After a lost answer: the deploy and the lifecycle of #7 ran since the merge, an
        // older tick and another pull request's lifecycle do not count.
        let already = BTreeMap::from([
            (
                DEPLOY.to_string(),
                vec![run("shiprig deploy", "2026-01-01T10:00:01Z")],
            ),
            (
                LIFECYCLE.to_string(),
                vec![
                    run(&lifecycle_title(6), "2026-01-01T10:00:02Z"),
                    run(&lifecycle_title(7), "2026-01-01T10:00:02Z"),
                ],
            ),
            (
                CONDUCTOR.to_string(),
                vec![run("shiprig conductor", "2026-01-01T09:59:59Z")],
            ),
        ]);
        let left: Vec<_> = plan(7, merged, &already)
            .into_iter()
            .map(|f| f.workflow)
            .collect();
        assert_eq!(left, [CONDUCTOR]);
        let left: Vec<_> = plan(8, merged, &already)
            .into_iter()
            .map(|f| f.workflow)
            .collect();
        assert_eq!(left, [LIFECYCLE, CONDUCTOR]);
    }
}
