//! Issues: the issues themselves, their labels, assignees, comments and events, native
//! dependencies (blocked by), and the milestones that group them.

use chrono::{DateTime, Utc};
use http::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::client::{GitHub, escape};
use super::error::GitHubError;
use super::page::Listing;
use super::states::{IssueState, MilestoneState};
use super::types::{Repo, User, label_names};

/// The counts GitHub keeps on every issue; `blocked_by` counts open blockers only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct DependencySummary {
    pub(crate) blocked_by: u32,
    pub(crate) blocking: u32,
    pub(crate) total_blocked_by: u32,
    pub(crate) total_blocking: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct MilestoneRef {
    pub number: u64,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Issue {
    /// The database id: what native dependencies are keyed by.
    pub(crate) id: u64,
    pub number: u64,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    pub(crate) state: IssueState,
    #[serde(deserialize_with = "label_names")]
    pub labels: Vec<String>,
    #[serde(default)]
    pub(crate) assignees: Vec<User>,
    #[serde(default)]
    pub milestone: Option<MilestoneRef>,
    pub(crate) user: Option<User>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    #[serde(default)]
    pub(crate) html_url: String,
    /// `https://api.github.com/repos/OWNER/NAME`: which repository the issue lives in.
    #[serde(default)]
    pub(crate) repository_url: String,
    #[serde(default)]
    pub(crate) pull_request: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) issue_dependencies_summary: Option<DependencySummary>,
}

impl Issue {
    pub(crate) fn is_open(&self) -> bool {
        self.state == IssueState::Open
    }

    pub fn has_label(&self, name: &str) -> bool {
        self.labels.iter().any(|l| l.eq_ignore_ascii_case(name))
    }

    pub(crate) fn is_pull_request(&self) -> bool {
        self.pull_request.is_some()
    }

    /// The repository from `repository_url`, when GitHub sent one.
    pub(crate) fn repo(&self) -> Option<Repo> {
        let mut parts = self.repository_url.rsplit('/');
        let name = parts.next()?;
        let owner = parts.next()?;
        Some(Repo::new(owner, name))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct EventLabel {
    pub(crate) name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct IssueEvent {
    pub(crate) id: u64,
    pub(crate) event: String,
    #[serde(default)]
    pub(crate) actor: Option<User>,
    pub(crate) created_at: DateTime<Utc>,
    #[serde(default)]
    pub(crate) label: Option<EventLabel>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Milestone {
    pub(crate) id: u64,
    pub(crate) number: u64,
    pub(crate) title: String,
    pub(crate) state: MilestoneState,
    #[serde(default)]
    pub description: Option<String>,
    pub(crate) open_issues: u64,
    pub(crate) closed_issues: u64,
    #[serde(default)]
    pub(crate) html_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Comment {
    pub(crate) id: u64,
    pub(crate) created_at: DateTime<Utc>,
    #[serde(default)]
    pub(crate) body: Option<String>,
    pub(crate) user: Option<User>,
    #[serde(default)]
    pub(crate) html_url: String,
}

/// The fields of a new issue; labels and milestone are set in the same request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct NewIssue<'a> {
    pub(crate) title: &'a str,
    pub(crate) body: &'a str,
    pub(crate) labels: &'a [String],
    pub(crate) milestone: Option<u64>,
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

/// Which milestones a listing asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MilestoneFilter {
    Open,
    /// Open and closed (titles are unique per repository in either state).
    All,
}

impl MilestoneFilter {
    fn query(self) -> &'static str {
        match self {
            MilestoneFilter::Open => "open",
            MilestoneFilter::All => "all",
        }
    }
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

    /// Every issue of a milestone in any state (pull requests filtered out).
    pub(crate) async fn milestone_issues(
        &self,
        repo: &Repo,
        milestone: u64,
    ) -> Result<Vec<Issue>, GitHubError> {
        let path = format!("/repos/{repo}/issues?milestone={milestone}&state=all");
        let mut issues: Vec<Issue> = self.get_all(&path).await?;
        issues.retain(|i| !i.is_pull_request());
        Ok(issues)
    }

    pub(crate) async fn create_issue(
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
        self.edit_issue(repo, number, update).await
    }

    /// Closes an issue as completed.
    pub(crate) async fn close_issue(&self, repo: &Repo, number: u64) -> Result<(), GitHubError> {
        let body = json!({"state": "closed", "state_reason": "completed"});
        self.edit_issue::<Value>(repo, number, &body)
            .await
            .map(drop)
    }

    /// `PATCH /repos/{o}/{r}/issues/{n}`: every edit of an issue goes through here.
    async fn edit_issue<T: DeserializeOwned>(
        &self,
        repo: &Repo,
        number: u64,
        body: &impl Serialize,
    ) -> Result<T, GitHubError> {
        let path = format!("/repos/{repo}/issues/{number}");
        self.send(Method::PATCH, &path, body).await
    }

    pub(crate) async fn issue_events(
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
    pub(crate) async fn add_blocked_by(
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
}

/// Labels, assignees and comments of an issue or pull request (GitHub keeps them on the issue).
impl GitHub {
    pub(crate) async fn add_labels(
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
    pub(crate) async fn remove_label(
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

    pub(crate) async fn add_assignees(
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

    pub(crate) async fn remove_assignees(
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

    pub(crate) async fn comments(
        &self,
        repo: &Repo,
        number: u64,
    ) -> Result<Vec<Comment>, GitHubError> {
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
        let comment: Comment = self
            .send(Method::POST, &path, &json!({ "body": body }))
            .await?;
        if let Some(user) = &comment.user {
            self.learn_login(&user.login);
        }
        Ok(comment)
    }

    pub(crate) async fn update_comment(
        &self,
        repo: &Repo,
        id: u64,
        body: &str,
    ) -> Result<Comment, GitHubError> {
        let path = format!("/repos/{repo}/issues/comments/{id}");
        self.send(Method::PATCH, &path, &json!({ "body": body }))
            .await
    }
}

/// Milestones.
impl GitHub {
    pub(crate) async fn milestones(
        &self,
        repo: &Repo,
        state: MilestoneFilter,
    ) -> Result<Vec<Milestone>, GitHubError> {
        let path = format!("/repos/{repo}/milestones?state={}", state.query());
        self.get_all(&path).await
    }

    pub(crate) async fn create_milestone(
        &self,
        repo: &Repo,
        title: &str,
        description: &str,
    ) -> Result<Milestone, GitHubError> {
        let body = json!({ "title": title, "description": description });
        self.send(Method::POST, &format!("/repos/{repo}/milestones"), &body)
            .await
    }

    pub(crate) async fn update_milestone_description(
        &self,
        repo: &Repo,
        number: u64,
        description: &str,
    ) -> Result<Milestone, GitHubError> {
        let body = json!({ "description": description });
        self.edit_milestone(repo, number, &body).await
    }

    pub(crate) async fn close_milestone(
        &self,
        repo: &Repo,
        number: u64,
    ) -> Result<Milestone, GitHubError> {
        let body = json!({ "state": "closed" });
        self.edit_milestone(repo, number, &body).await
    }

    /// `PATCH /repos/{o}/{r}/milestones/{n}`: every edit of a milestone goes through here.
    async fn edit_milestone(
        &self,
        repo: &Repo,
        number: u64,
        body: &Value,
    ) -> Result<Milestone, GitHubError> {
        let path = format!("/repos/{repo}/milestones/{number}");
        self.send(Method::PATCH, &path, body).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_repository_comes_from_its_url() {
        let json = serde_json::json!({
            "id": 1, "number": 2, "title": "t", "state": "open", "labels": [{"name": "approved"}],
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "repository_url": "https://api.github.com/repos/acme/rig", "user": null
        });
        let issue: Issue = serde_json::from_value(json).unwrap();
        assert_eq!(issue.repo(), Some(Repo::new("acme", "rig")));
        assert!(issue.has_label("Approved"));
    }
}
