//! Git data: branch refs, tags and the commits of the history.

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::client::{GitHub, escape, escape_path};
use super::error::GitHubError;
use super::types::{CommitInfo, ParentRef, Repo};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct TagRef {
    pub(crate) name: String,
    pub(crate) commit: ParentRef,
}

impl GitHub {
    /// The SHA `refs/heads/<branch>` points at; `None` when the branch does not exist.
    pub(crate) async fn branch_head(
        &self,
        repo: &Repo,
        branch: &str,
    ) -> Result<Option<String>, GitHubError> {
        let path = format!("/repos/{repo}/git/ref/heads/{}", escape_path(branch));
        let found: Option<Value> = self.get_optional(&path).await?;
        Ok(found.and_then(|v| v.pointer("/object/sha")?.as_str().map(str::to_string)))
    }

    /// Points `branch` at `sha`, creating it when missing (a force update when it exists).
    pub(crate) async fn set_branch(
        &self,
        repo: &Repo,
        branch: &str,
        sha: &str,
        exists: bool,
    ) -> Result<(), GitHubError> {
        if exists {
            let path = format!("/repos/{repo}/git/refs/heads/{}", escape_path(branch));
            let body = json!({"sha": sha, "force": true});
            return self
                .send::<Value>(Method::PATCH, &path, &body)
                .await
                .map(drop);
        }
        let body = json!({"ref": format!("refs/heads/{branch}"), "sha": sha});
        self.send::<Value>(Method::POST, &format!("/repos/{repo}/git/refs"), &body)
            .await
            .map(drop)
    }

    pub(crate) async fn tags(&self, repo: &Repo) -> Result<Vec<TagRef>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/tags")).await
    }

    /// Commits reachable from `sha`, newest first (every page).
    pub(crate) async fn commits_from(
        &self,
        repo: &Repo,
        sha: &str,
    ) -> Result<Vec<CommitInfo>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/commits?sha={}", escape(sha)))
            .await
    }

    /// Whether `sha` is a commit of `repo` (`GET /repos/{o}/{r}/commits/{sha}`); GitHub answers
    /// 404 for an unknown repository and 422 for an unknown commit.
    pub(crate) async fn commit_exists(&self, repo: &Repo, sha: &str) -> Result<bool, GitHubError> {
        let path = format!("/repos/{repo}/commits/{}", escape(sha));
        match self.get_optional::<Value>(&path).await {
            Ok(found) => Ok(found.is_some()),
            Err(e) if e.status() == Some(422) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
