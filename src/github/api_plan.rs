//! Typed calls for planning: milestones and issues created or updated from a plan file or a
//! product tool's ready queue.

use http::Method;
use serde::Serialize;

use super::{GitHub, GitHubError, Issue, Milestone, Repo};

/// The fields of a new issue; labels and milestone are set in the same request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewIssue<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub labels: &'a [String],
    pub milestone: Option<u64>,
}

/// A partial issue update: only present fields are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IssueUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub milestone: Option<u64>,
}

impl GitHub {
    /// Every milestone, open and closed (titles are unique per repository in either state).
    pub async fn all_milestones(&self, repo: &Repo) -> Result<Vec<Milestone>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/milestones?state=all"))
            .await
    }

    pub async fn create_milestone(
        &self,
        repo: &Repo,
        title: &str,
        description: &str,
    ) -> Result<Milestone, GitHubError> {
        let body = serde_json::json!({ "title": title, "description": description });
        self.send(Method::POST, &format!("/repos/{repo}/milestones"), &body)
            .await
    }

    pub async fn update_milestone_description(
        &self,
        repo: &Repo,
        number: u64,
        description: &str,
    ) -> Result<Milestone, GitHubError> {
        let body = serde_json::json!({ "description": description });
        let path = format!("/repos/{repo}/milestones/{number}");
        self.send(Method::PATCH, &path, &body).await
    }

    /// Every issue of a milestone in any state (pull requests filtered out).
    pub async fn milestone_issues(
        &self,
        repo: &Repo,
        milestone: u64,
    ) -> Result<Vec<Issue>, GitHubError> {
        let path = format!("/repos/{repo}/issues?milestone={milestone}&state=all");
        let mut issues: Vec<Issue> = self.get_all(&path).await?;
        issues.retain(|i| !i.is_pull_request());
        Ok(issues)
    }

    pub async fn create_issue(
        &self,
        repo: &Repo,
        issue: &NewIssue<'_>,
    ) -> Result<Issue, GitHubError> {
        self.send(Method::POST, &format!("/repos/{repo}/issues"), issue)
            .await
    }

    pub async fn update_issue(
        &self,
        repo: &Repo,
        number: u64,
        update: &IssueUpdate,
    ) -> Result<Issue, GitHubError> {
        let path = format!("/repos/{repo}/issues/{number}");
        self.send(Method::PATCH, &path, update).await
    }

    /// An issue by number; `None` when it does not exist.
    pub async fn issue_optional(
        &self,
        repo: &Repo,
        number: u64,
    ) -> Result<Option<Issue>, GitHubError> {
        self.get_optional::<Issue>(&format!("/repos/{repo}/issues/{number}"))
            .await
    }
}
