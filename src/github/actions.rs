//! GitHub Actions: dispatching a workflow and reading the runs it started.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client::{GitHub, escape};
use super::error::GitHubError;
use super::states::{RunConclusion, RunStatus};
use super::types::Repo;

/// The run a `workflow_dispatch` started (`return_run_details: true`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct DispatchedRun {
    pub(crate) workflow_run_id: u64,
    pub(crate) html_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct WorkflowRun {
    pub(crate) id: u64,
    #[serde(default)]
    pub(crate) display_title: String,
    #[serde(default)]
    pub(crate) status: Option<RunStatus>,
    #[serde(default)]
    pub(crate) conclusion: Option<RunConclusion>,
    pub(crate) event: String,
    #[serde(default)]
    pub(crate) html_url: String,
    pub(crate) created_at: DateTime<Utc>,
}

impl GitHub {
    /// `workflow_dispatch`; inputs are data, never spliced into a script.
    pub(crate) async fn dispatch_workflow(
        &self,
        repo: &Repo,
        workflow: &str,
        git_ref: &str,
        inputs: &BTreeMap<String, String>,
    ) -> Result<Option<DispatchedRun>, GitHubError> {
        let path = format!(
            "/repos/{repo}/actions/workflows/{}/dispatches",
            escape(workflow)
        );
        let body = json!({ "ref": git_ref, "inputs": inputs, "return_run_details": true });
        // 200 with the run, or 204 from a GitHub that does not know `return_run_details` yet.
        self.send::<Option<DispatchedRun>>(Method::POST, &path, &body)
            .await
    }

    /// The most recent runs of `workflow` started by `workflow_dispatch` (one page).
    pub(crate) async fn dispatched_runs(
        &self,
        repo: &Repo,
        workflow: &str,
    ) -> Result<Vec<WorkflowRun>, GitHubError> {
        #[derive(Deserialize)]
        struct WorkflowRuns {
            workflow_runs: Vec<WorkflowRun>,
        }
        let path = format!(
            "/repos/{repo}/actions/workflows/{}/runs?event=workflow_dispatch&per_page=100",
            escape(workflow)
        );
        self.get::<WorkflowRuns>(&path)
            .await
            .map(|r| r.workflow_runs)
    }
}
