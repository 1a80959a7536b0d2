//! Deployments and their statuses, and the releases a deploy publishes.

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::client::{GitHub, escape};
use super::error::GitHubError;
use super::types::{Repo, User};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct Deployment {
    pub(crate) id: u64,
    pub(crate) sha: String,
    pub(crate) environment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct ReleaseInfo {
    pub(crate) id: u64,
    pub(crate) tag_name: String,
    #[serde(default)]
    pub(crate) html_url: String,
    /// The commit or branch the release was made at.
    #[serde(default)]
    pub(crate) target_commitish: String,
    #[serde(default)]
    pub(crate) body: Option<String>,
    /// Who created the release.
    #[serde(default)]
    pub(crate) author: Option<User>,
}

impl GitHub {
    pub(crate) async fn create_deployment(
        &self,
        repo: &Repo,
        sha: &str,
        environment: &str,
    ) -> Result<Deployment, GitHubError> {
        let body = json!({
            "ref": sha, "environment": environment, "auto_merge": false,
            "required_contexts": [], "description": format!("shiprig deploy {environment}"),
            "production_environment": environment == "production",
        });
        self.send(Method::POST, &format!("/repos/{repo}/deployments"), &body)
            .await
    }

    pub(crate) async fn create_deployment_status(
        &self,
        repo: &Repo,
        id: u64,
        status: &Value,
    ) -> Result<(), GitHubError> {
        let path = format!("/repos/{repo}/deployments/{id}/statuses");
        self.send::<Value>(Method::POST, &path, status)
            .await
            .map(drop)
    }

    /// The newest deployment to `environment`, if any.
    pub(crate) async fn latest_deployment(
        &self,
        repo: &Repo,
        environment: &str,
    ) -> Result<Option<Deployment>, GitHubError> {
        let path = format!(
            "/repos/{repo}/deployments?environment={}&per_page=1",
            escape(environment)
        );
        let found: Vec<Deployment> = self.get(&path).await?;
        Ok(found.into_iter().next())
    }
}

/// Releases.
impl GitHub {
    pub(crate) async fn release_by_tag(
        &self,
        repo: &Repo,
        tag: &str,
    ) -> Result<Option<ReleaseInfo>, GitHubError> {
        self.get_optional(&format!("/repos/{repo}/releases/tags/{}", escape(tag)))
            .await
    }

    /// The newest releases (one page of 30, newest first).
    pub(crate) async fn recent_releases(
        &self,
        repo: &Repo,
    ) -> Result<Vec<ReleaseInfo>, GitHubError> {
        self.get(&format!("/repos/{repo}/releases?per_page=30"))
            .await
    }

    /// Creates the release and, when missing, its tag at `target`.
    pub(crate) async fn create_release(
        &self,
        repo: &Repo,
        tag: &str,
        target: &str,
        body: &str,
    ) -> Result<ReleaseInfo, GitHubError> {
        let request =
            json!({"tag_name": tag, "target_commitish": target, "name": tag, "body": body});
        self.send(Method::POST, &format!("/repos/{repo}/releases"), &request)
            .await
    }
}
