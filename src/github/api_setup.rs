//! Typed calls for setting a repository up: its labels, its default branch, its branch
//! protection and its workflow files.

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::api::escape;
use super::{GitHub, GitHubError, Repo};

/// A repository label as shiprig reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct RepoLabel {
    pub name: String,
    #[serde(default)]
    pub color: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// The parts of a branch's protection shiprig cares about, plus what it must carry over
/// unchanged when it writes the protection back (a PUT replaces all of it).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct BranchProtection {
    #[serde(default)]
    pub required_status_checks: Option<RequiredChecks>,
    #[serde(default)]
    pub required_pull_request_reviews: Option<RequiredReviews>,
    #[serde(default)]
    pub enforce_admins: Option<Enabled>,
    #[serde(default)]
    pub restrictions: Option<Restrictions>,
    #[serde(default)]
    pub required_linear_history: Option<Enabled>,
    #[serde(default)]
    pub allow_force_pushes: Option<Enabled>,
    #[serde(default)]
    pub allow_deletions: Option<Enabled>,
    #[serde(default)]
    pub block_creations: Option<Enabled>,
    #[serde(default)]
    pub required_conversation_resolution: Option<Enabled>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Enabled {
    #[serde(default)]
    pub enabled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct RequiredChecks {
    #[serde(default)]
    pub strict: bool,
    #[serde(default)]
    pub contexts: Vec<String>,
    #[serde(default)]
    pub checks: Vec<RequiredCheck>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct RequiredCheck {
    pub context: String,
    #[serde(default)]
    pub app_id: Option<i64>,
}

impl RequiredChecks {
    /// Every required check name, from `contexts` and `checks`.
    pub fn names(&self) -> Vec<String> {
        let mut names = self.contexts.clone();
        for check in &self.checks {
            if !names.contains(&check.context) {
                names.push(check.context.clone());
            }
        }
        names
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct RequiredReviews {
    #[serde(default)]
    pub dismiss_stale_reviews: bool,
    #[serde(default)]
    pub require_code_owner_reviews: bool,
    #[serde(default)]
    pub require_last_push_approval: bool,
    #[serde(default)]
    pub required_approving_review_count: u32,
}

/// Who may push: kept as it is when shiprig rewrites the protection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Restrictions {
    #[serde(default)]
    pub users: Vec<Login>,
    #[serde(default)]
    pub teams: Vec<Slug>,
    #[serde(default)]
    pub apps: Vec<Slug>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Login {
    pub login: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Slug {
    pub slug: String,
}

/// One entry of a directory listing through the contents API.
#[derive(Debug, Clone, Deserialize)]
struct DirEntry {
    name: String,
    #[serde(rename = "type")]
    kind: String,
}

impl GitHub {
    /// Every label of the repository.
    pub async fn repo_labels(&self, repo: &Repo) -> Result<Vec<RepoLabel>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/labels")).await
    }

    pub async fn create_repo_label(
        &self,
        repo: &Repo,
        label: &RepoLabel,
    ) -> Result<RepoLabel, GitHubError> {
        let body =
            json!({ "name": label.name, "color": label.color, "description": label.description });
        self.send(Method::POST, &format!("/repos/{repo}/labels"), &body)
            .await
    }

    /// Sets a label's colour and description; its name is left as it is (never renamed).
    pub async fn update_repo_label(
        &self,
        repo: &Repo,
        name: &str,
        color: &str,
        description: Option<&str>,
    ) -> Result<RepoLabel, GitHubError> {
        let path = format!("/repos/{repo}/labels/{}", escape(name));
        let body = json!({ "color": color, "description": description });
        self.send(Method::PATCH, &path, &body).await
    }

    pub async fn default_branch(&self, repo: &Repo) -> Result<String, GitHubError> {
        #[derive(Deserialize)]
        struct Repository {
            default_branch: String,
        }
        let found: Repository = self.get(&format!("/repos/{repo}")).await?;
        Ok(found.default_branch)
    }

    /// Whether `sha` is a commit of `repo` (`GET /repos/{o}/{r}/commits/{sha}`); GitHub answers
    /// 404 for an unknown repository and 422 for an unknown commit.
    pub async fn commit_exists(&self, repo: &Repo, sha: &str) -> Result<bool, GitHubError> {
        let path = format!("/repos/{repo}/commits/{}", escape(sha));
        match self.get_optional::<serde_json::Value>(&path).await {
            Ok(found) => Ok(found.is_some()),
            Err(e) if e.status() == Some(422) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The branch's protection; `None` when the branch is not protected.
    pub async fn branch_protection(
        &self,
        repo: &Repo,
        branch: &str,
    ) -> Result<Option<BranchProtection>, GitHubError> {
        let path = format!("/repos/{repo}/branches/{}/protection", escape(branch));
        self.get_optional(&path).await
    }

    /// Replaces the branch's protection with `body` (GitHub's PUT replaces all of it).
    pub async fn put_branch_protection(
        &self,
        repo: &Repo,
        branch: &str,
        body: &Value,
    ) -> Result<BranchProtection, GitHubError> {
        let path = format!("/repos/{repo}/branches/{}/protection", escape(branch));
        self.send(Method::PUT, &path, body).await
    }

    /// The names of the files in a directory of the default branch; empty when it is missing.
    pub async fn dir_files(&self, repo: &Repo, dir: &str) -> Result<Vec<String>, GitHubError> {
        let segments: Vec<String> = dir.split('/').map(escape).collect();
        let path = format!("/repos/{repo}/contents/{}", segments.join("/"));
        let entries: Option<Vec<DirEntry>> = self.get_optional(&path).await?;
        Ok(entries
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.kind == "file")
            .map(|e| e.name)
            .collect())
    }
}
