//! shiprig's own small views of GitHub objects: only the fields shiprig reads.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

/// `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Repo {
    pub owner: String,
    pub name: String,
}

impl Repo {
    pub fn new(owner: impl Into<String>, name: impl Into<String>) -> Self {
        Repo {
            owner: owner.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for Repo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl FromStr for Repo {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid = |part: &str| {
            !part.is_empty()
                && !part.trim_matches('.').is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        match s.split_once('/') {
            Some((owner, name)) if valid(owner) && valid(name) => Ok(Repo::new(owner, name)),
            _ => Err(format!("expected a repository as OWNER/NAME, got {s:?}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct User {
    pub login: String,
    #[serde(rename = "type", default)]
    pub kind: String,
}

impl User {
    /// GitHub Apps and `[bot]` accounts.
    pub fn is_bot(&self) -> bool {
        self.kind == "Bot" || self.login.ends_with("[bot]")
    }
}

/// The counts GitHub keeps on every issue; `blocked_by` counts open blockers only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct DependencySummary {
    pub blocked_by: u32,
    pub blocking: u32,
    pub total_blocked_by: u32,
    pub total_blocking: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct MilestoneRef {
    pub number: u64,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Issue {
    /// The database id: what native dependencies are keyed by.
    pub id: u64,
    pub number: u64,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    pub state: String,
    #[serde(deserialize_with = "label_names")]
    pub labels: Vec<String>,
    #[serde(default)]
    pub assignees: Vec<User>,
    #[serde(default)]
    pub milestone: Option<MilestoneRef>,
    pub user: Option<User>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub html_url: String,
    /// `https://api.github.com/repos/OWNER/NAME`: which repository the issue lives in.
    #[serde(default)]
    pub repository_url: String,
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
    #[serde(default)]
    pub issue_dependencies_summary: Option<DependencySummary>,
}

impl Issue {
    pub fn is_open(&self) -> bool {
        self.state == "open"
    }

    pub fn has_label(&self, name: &str) -> bool {
        self.labels.iter().any(|l| l.eq_ignore_ascii_case(name))
    }

    pub fn is_pull_request(&self) -> bool {
        self.pull_request.is_some()
    }

    /// The repository from `repository_url`, when GitHub sent one.
    pub fn repo(&self) -> Option<Repo> {
        let mut parts = self.repository_url.rsplit('/');
        let name = parts.next()?;
        let owner = parts.next()?;
        Some(Repo::new(owner, name))
    }
}

/// Labels arrive as objects (`{"name": …}`); shiprig only needs the names.
fn label_names<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Label {
        Named { name: String },
        Plain(String),
    }
    let labels = Vec::<Label>::deserialize(deserializer)?;
    Ok(labels
        .into_iter()
        .map(|l| match l {
            Label::Named { name } | Label::Plain(name) => name,
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct EventLabel {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct IssueEvent {
    pub id: u64,
    pub event: String,
    #[serde(default)]
    pub actor: Option<User>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub label: Option<EventLabel>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Milestone {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub state: String,
    #[serde(default)]
    pub description: Option<String>,
    pub open_issues: u64,
    pub closed_issues: u64,
    #[serde(default)]
    pub html_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Comment {
    pub id: u64,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub body: Option<String>,
    pub user: Option<User>,
    #[serde(default)]
    pub html_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct WorkflowRun {
    pub id: u64,
    #[serde(default)]
    pub display_title: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub conclusion: Option<String>,
    pub event: String,
    #[serde(default)]
    pub html_url: String,
    pub created_at: DateTime<Utc>,
}

/// `GET /repos/{o}/{r}/collaborators/{u}/permission`: `role_name` carries maintain and triage.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CollaboratorPermission {
    pub permission: String,
    #[serde(default)]
    pub role_name: Option<String>,
}

impl CollaboratorPermission {
    /// The finest role GitHub reported (`maintain` rather than the legacy `write`).
    pub fn role(&self) -> &str {
        self.role_name
            .as_deref()
            .filter(|r| !r.is_empty())
            .unwrap_or(&self.permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repos_parse_strictly() {
        assert_eq!(
            "acme/rig".parse::<Repo>().unwrap(),
            Repo::new("acme", "rig")
        );
        assert!("acme".parse::<Repo>().is_err());
        assert!("acme/rig/x".parse::<Repo>().is_err());
        assert!("../x".parse::<Repo>().is_err());
    }

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

/// A branch end of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Branch {
    #[serde(rename = "ref")]
    pub name: String,
    pub sha: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PullRequest {
    pub id: u64,
    pub number: u64,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    pub state: String,
    pub head: Branch,
    pub base: Branch,
    pub user: Option<User>,
    #[serde(default, deserialize_with = "label_names")]
    pub labels: Vec<String>,
    #[serde(default)]
    pub html_url: String,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub merged_at: Option<String>,
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
}

impl PullRequest {
    pub fn is_merged(&self) -> bool {
        self.merged_at.is_some()
    }

    pub fn author(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.login.as_str())
    }

    pub fn has_label(&self, name: &str) -> bool {
        self.labels.iter().any(|l| l.eq_ignore_ascii_case(name))
    }

    /// Issues of the same repository the pull request says it closes (`Closes #12`, `fixes #3`),
    /// plus the issue an agent branch is named for (`agent/12-…`).
    pub fn linked_issues(&self) -> Vec<u64> {
        let mut found = closing_references(self.body.as_deref().unwrap_or_default());
        found.extend(closing_references(&self.title));
        if let Some(number) = self.head.name.strip_prefix("agent/").and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        }) {
            found.push(number);
        }
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// GitHub's closing keywords followed by `#N` (same repository only).
pub fn closing_references(text: &str) -> Vec<u64> {
    const KEYWORDS: [&str; 9] = [
        "close", "closes", "closed", "fix", "fixes", "fixed", "resolve", "resolves", "resolved",
    ];
    let words: Vec<&str> = text.split_whitespace().collect();
    words
        .windows(2)
        .filter(|pair| {
            KEYWORDS.contains(&pair[0].trim_end_matches(':').to_ascii_lowercase().as_str())
        })
        .filter_map(|pair| {
            let digits: String = pair[1]
                .strip_prefix('#')?
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .collect()
}

#[cfg(test)]
mod pull_tests {
    use super::closing_references;

    #[test]
    fn closing_keywords_link_issues() {
        assert_eq!(
            closing_references("Closes #12 and fixes: #3; see #4"),
            vec![12, 3]
        );
        assert_eq!(closing_references("Resolved #7."), vec![7]);
        assert!(closing_references("mentions #5 only").is_empty());
    }
}

/// A check run on a commit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CheckRun {
    pub id: u64,
    pub name: String,
    pub status: String,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
}

impl CheckRun {
    /// Finished and red.
    pub fn failed(&self) -> bool {
        self.status == "completed"
            && matches!(
                self.conclusion.as_deref(),
                Some("failure" | "timed_out" | "cancelled" | "action_required" | "startup_failure")
            )
    }
}

/// A repository as an owner's repository list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct RepositorySummary {
    pub full_name: String,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub archived: bool,
}
