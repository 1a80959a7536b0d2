//! Typed calls for the endpoints shiprig uses; each is one line of intent over the door.

use std::collections::BTreeMap;

use base64::Engine;
use http::Method;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    CheckRun, CollaboratorPermission, Comment, GitHub, GitHubError, Issue, IssueEvent, Listing,
    Milestone, PullRequest, Repo, RepositorySummary, WorkflowRun,
};

/// The run a `workflow_dispatch` started (`return_run_details: true`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DispatchedRun {
    pub workflow_run_id: u64,
    pub html_url: String,
}

/// Everything but unreserved characters is escaped inside one path segment or query value.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn escape(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

impl GitHub {
    pub async fn issue(&self, repo: &Repo, number: u64) -> Result<Issue, GitHubError> {
        self.get(&format!("/repos/{repo}/issues/{number}")).await
    }

    /// Open issues carrying every label in `labels` (pull requests filtered out).
    pub async fn open_issues_with_labels(&self, repo: &Repo, labels: &[&str]) -> Listing<Issue> {
        let joined = labels
            .iter()
            .map(|l| escape(l))
            .collect::<Vec<_>>()
            .join(",");
        let path =
            format!("/repos/{repo}/issues?state=open&labels={joined}&sort=created&direction=asc");
        let mut listing: Listing<Issue> = self.list(&path, None).await;
        listing.items.retain(|issue| !issue.is_pull_request());
        listing
    }

    pub async fn issue_events(
        &self,
        repo: &Repo,
        number: u64,
    ) -> Result<Vec<IssueEvent>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/issues/{number}/events"))
            .await
    }

    pub async fn blocked_by(&self, repo: &Repo, number: u64) -> Result<Vec<Issue>, GitHubError> {
        self.get_all(&format!(
            "/repos/{repo}/issues/{number}/dependencies/blocked_by"
        ))
        .await
    }

    /// Adds a native dependency; `blocker_id` is the blocker's database id, not its number.
    pub async fn add_blocked_by(
        &self,
        repo: &Repo,
        number: u64,
        blocker_id: u64,
    ) -> Result<(), GitHubError> {
        let path = format!("/repos/{repo}/issues/{number}/dependencies/blocked_by");
        self.send::<Value>(Method::POST, &path, &json!({ "issue_id": blocker_id }))
            .await
            .map(drop)
    }

    pub async fn add_labels(
        &self,
        repo: &Repo,
        number: u64,
        labels: &[String],
    ) -> Result<(), GitHubError> {
        let path = format!("/repos/{repo}/issues/{number}/labels");
        self.send::<Value>(Method::POST, &path, &json!({ "labels": labels }))
            .await
            .map(drop)
    }

    /// Removes one label; a label already gone is not an error.
    pub async fn remove_label(
        &self,
        repo: &Repo,
        number: u64,
        label: &str,
    ) -> Result<(), GitHubError> {
        let path = format!("/repos/{repo}/issues/{number}/labels/{}", escape(label));
        match self.delete(&path).await {
            Err(e) if e.is_not_found() => Ok(()),
            other => other,
        }
    }

    pub async fn add_assignees(
        &self,
        repo: &Repo,
        number: u64,
        logins: &[String],
    ) -> Result<(), GitHubError> {
        let path = format!("/repos/{repo}/issues/{number}/assignees");
        self.send::<Value>(Method::POST, &path, &json!({ "assignees": logins }))
            .await
            .map(drop)
    }

    pub async fn remove_assignees(
        &self,
        repo: &Repo,
        number: u64,
        logins: &[String],
    ) -> Result<(), GitHubError> {
        let path = format!("/repos/{repo}/issues/{number}/assignees");
        self.send::<Value>(Method::DELETE, &path, &json!({ "assignees": logins }))
            .await
            .map(drop)
    }

    pub async fn comments(&self, repo: &Repo, number: u64) -> Result<Vec<Comment>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/issues/{number}/comments"))
            .await
    }

    pub async fn create_comment(
        &self,
        repo: &Repo,
        number: u64,
        body: &str,
    ) -> Result<Comment, GitHubError> {
        let path = format!("/repos/{repo}/issues/{number}/comments");
        self.send(Method::POST, &path, &json!({ "body": body }))
            .await
    }

    pub async fn update_comment(
        &self,
        repo: &Repo,
        id: u64,
        body: &str,
    ) -> Result<Comment, GitHubError> {
        let path = format!("/repos/{repo}/issues/comments/{id}");
        self.send(Method::PATCH, &path, &json!({ "body": body }))
            .await
    }

    pub async fn open_milestones(&self, repo: &Repo) -> Result<Vec<Milestone>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/milestones?state=open"))
            .await
    }

    pub async fn close_milestone(
        &self,
        repo: &Repo,
        number: u64,
    ) -> Result<Milestone, GitHubError> {
        let path = format!("/repos/{repo}/milestones/{number}");
        self.send(Method::PATCH, &path, &json!({ "state": "closed" }))
            .await
    }

    /// The role of `login` on `repo`; `None` when GitHub does not know the user.
    pub async fn permission(
        &self,
        repo: &Repo,
        login: &str,
    ) -> Result<Option<String>, GitHubError> {
        let path = format!("/repos/{repo}/collaborators/{}/permission", escape(login));
        let found: Option<CollaboratorPermission> = self.get_optional(&path).await?;
        Ok(found.map(|p| p.role().to_string()))
    }

    /// `workflow_dispatch`; inputs are data, never spliced into a script.
    pub async fn dispatch_workflow(
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
    pub async fn dispatched_runs(
        &self,
        repo: &Repo,
        workflow: &str,
    ) -> Result<Vec<WorkflowRun>, GitHubError> {
        #[derive(Deserialize)]
        struct Runs {
            workflow_runs: Vec<WorkflowRun>,
        }
        let path = format!(
            "/repos/{repo}/actions/workflows/{}/runs?event=workflow_dispatch&per_page=100",
            escape(workflow)
        );
        self.get::<Runs>(&path).await.map(|r| r.workflow_runs)
    }

    /// The check runs on a commit (one page of 100; agents' pull requests have few).
    pub async fn check_runs(&self, repo: &Repo, sha: &str) -> Result<Vec<CheckRun>, GitHubError> {
        #[derive(Deserialize)]
        struct Runs {
            check_runs: Vec<CheckRun>,
        }
        let path = format!(
            "/repos/{repo}/commits/{}/check-runs?per_page=100",
            escape(sha)
        );
        self.get::<Runs>(&path).await.map(|r| r.check_runs)
    }

    /// The repositories `owner` (a user or an organization) owns, with their topics.
    pub async fn owner_repositories(
        &self,
        owner: &str,
    ) -> Result<Vec<RepositorySummary>, GitHubError> {
        self.get_all(&format!("/users/{}/repos?type=owner", escape(owner)))
            .await
    }

    /// Every open pull request.
    pub async fn open_pulls(&self, repo: &Repo) -> Result<Vec<PullRequest>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/pulls?state=open"))
            .await
    }

    /// A file's text at `git_ref` (default branch when `None`) through the contents API;
    /// `None` when it does not exist.
    pub async fn file_text(
        &self,
        repo: &Repo,
        path: &str,
        git_ref: Option<&str>,
    ) -> Result<Option<String>, GitHubError> {
        #[derive(Deserialize)]
        struct Content {
            #[serde(default)]
            content: String,
            #[serde(default)]
            encoding: String,
        }
        let segments: Vec<String> = path.split('/').map(escape).collect();
        let mut api_path = format!("/repos/{repo}/contents/{}", segments.join("/"));
        if let Some(git_ref) = git_ref {
            api_path = format!("{api_path}?ref={}", escape(git_ref));
        }
        let Some(content) = self.get_optional::<Content>(&api_path).await? else {
            return Ok(None);
        };
        let decode_error = |message: String| GitHubError::Decode {
            method: "GET".into(),
            path: api_path.clone(),
            message,
        };
        if content.encoding != "base64" {
            return Err(decode_error(format!(
                "unsupported encoding {:?}",
                content.encoding
            )));
        }
        let compact: String = content.content.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|e| decode_error(e.to_string()))?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|e| decode_error(e.to_string()))
    }
}
