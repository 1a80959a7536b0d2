//! Checks and statuses on a commit: check runs (read and posted) and commit statuses.

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client::{GitHub, escape};
use super::error::GitHubError;
use super::identity::CheckApp;
use super::states::{CommitState, RunConclusion, RunStatus};
use super::types::Repo;

/// A check run on a commit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct CheckRun {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) status: RunStatus,
    #[serde(default)]
    pub(crate) conclusion: Option<RunConclusion>,
    #[serde(default)]
    pub(crate) html_url: Option<String>,
}

impl CheckRun {
    /// Finished and red.
    pub(crate) fn failed(&self) -> bool {
        self.status == RunStatus::Completed
            && self.conclusion.as_ref().is_some_and(RunConclusion::is_red)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct CommitStatus {
    pub(crate) context: String,
    pub(crate) state: CommitState,
    #[serde(default)]
    pub(crate) description: Option<String>,
}

/// GitHub refuses a status description longer than this.
const DESCRIPTION_CHARS: usize = 140;

/// The check runs list wraps its items.
#[derive(Deserialize)]
struct Runs<T> {
    check_runs: Vec<T>,
}

impl GitHub {
    /// The check runs on a commit (one page of 100; agents' pull requests have few).
    pub(crate) async fn check_runs(
        &self,
        repo: &Repo,
        sha: &str,
    ) -> Result<Vec<CheckRun>, GitHubError> {
        let path = format!(
            "/repos/{repo}/commits/{}/check-runs?per_page=100",
            escape(sha)
        );
        self.get::<Runs<CheckRun>>(&path)
            .await
            .map(|r| r.check_runs)
    }

    /// The `external_id` of every run of the check `name` on `sha` (all of them, not only the
    /// latest) that shiprig's own App created: where the gate records who pushed that commit.
    /// A run of the same name from any other App or workflow is nobody's record.
    pub(crate) async fn check_run_records(
        &self,
        repo: &Repo,
        sha: &str,
        name: &str,
    ) -> Result<Vec<String>, GitHubError> {
        #[derive(Deserialize)]
        struct Run {
            #[serde(default)]
            external_id: Option<String>,
            #[serde(default)]
            app: Option<CheckApp>,
        }
        let path = format!(
            "/repos/{repo}/commits/{}/check-runs?check_name={}&filter=all&per_page=100",
            escape(sha),
            escape(name)
        );
        let runs: Runs<Run> = self.get(&path).await?;
        Ok(runs
            .check_runs
            .into_iter()
            .filter(|r| self.wrote_check(r.app.as_ref()))
            .filter_map(|r| r.external_id)
            .collect())
    }

    /// A completed check run on `sha`, with `external_id` when given. Its answer tells who
    /// shiprig writes as.
    #[allow(clippy::too_many_arguments)]
    pub async fn complete_check_run(
        &self,
        repo: &Repo,
        name: &str,
        sha: &str,
        conclusion: &str,
        title: &str,
        summary: &str,
        external_id: Option<&str>,
    ) -> Result<(), GitHubError> {
        #[derive(Deserialize)]
        struct CreatedCheck {
            #[serde(default)]
            app: Option<CheckApp>,
        }
        let mut body = json!({
            "name": name, "head_sha": sha, "status": "completed", "conclusion": conclusion,
            "output": {"title": title, "summary": summary},
        });
        if let Some(id) = external_id {
            body["external_id"] = json!(id);
        }
        let created: CreatedCheck = self
            .send(Method::POST, &format!("/repos/{repo}/check-runs"), &body)
            .await?;
        self.learn_check_app(created.app.as_ref());
        Ok(())
    }

    /// The latest status of each context on `git_ref`.
    pub(crate) async fn latest_statuses(
        &self,
        repo: &Repo,
        git_ref: &str,
    ) -> Result<Vec<CommitStatus>, GitHubError> {
        #[derive(Deserialize)]
        struct Combined {
            statuses: Vec<CommitStatus>,
        }
        let path = format!("/repos/{repo}/commits/{}/status", escape(git_ref));
        self.get::<Combined>(&path).await.map(|c| c.statuses)
    }

    /// A commit status: also where a token may not create check runs. A description past
    /// GitHub's 140 characters is cut rather than refused.
    pub(crate) async fn create_status(
        &self,
        repo: &Repo,
        sha: &str,
        status: &CommitStatus,
    ) -> Result<(), GitHubError> {
        let status = CommitStatus {
            description: (status.description.as_ref())
                .map(|d| d.chars().take(DESCRIPTION_CHARS).collect()),
            ..status.clone()
        };
        #[derive(Deserialize)]
        struct CreatedStatus {
            #[serde(default)]
            creator: Option<super::types::User>,
        }
        let path = format!("/repos/{repo}/statuses/{}", escape(sha));
        let created: CreatedStatus = self.send(Method::POST, &path, &status).await?;
        if let Some(creator) = created.creator {
            self.learn_login(&creator.login);
        }
        Ok(())
    }
}
