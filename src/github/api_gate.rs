//! Typed calls the human gate makes: a pull request, its files, reviews and commits, and the
//! check run or commit status it posts.

use http::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{GitHub, GitHubError, Listing, Repo, User};

/// The fields of a pull request the gate reads.
#[derive(Debug, Clone, Deserialize)]
pub struct GatePull {
    pub number: u64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    pub user: Option<User>,
    #[serde(default)]
    pub labels: Vec<NamedLabel>,
    pub head: Side,
    pub base: Side,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Side {
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub sha: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NamedLabel {
    pub name: String,
}

/// One file of a pull request as GitHub lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct PullFile {
    pub filename: String,
    pub status: String,
    #[serde(default)]
    pub previous_filename: Option<String>,
    #[serde(default)]
    pub patch: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PullReview {
    pub user: Option<User>,
    pub state: String,
    #[serde(default)]
    pub commit_id: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
}

/// A commit of a pull request: who wrote it, who committed it, its message.
#[derive(Debug, Clone, Deserialize)]
pub struct PullCommit {
    pub author: Option<User>,
    pub committer: Option<User>,
    pub commit: CommitMessage,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommitMessage {
    pub message: String,
}

/// GitHub lists at most 3,000 files a pull request, 100 a page: one page more shows the cap.
const FILE_PAGES: usize = 31;

impl GitHub {
    pub async fn pull_request(&self, repo: &Repo, number: u64) -> Result<GatePull, GitHubError> {
        self.get(&format!("/repos/{repo}/pulls/{number}")).await
    }

    /// Every page of the file list; a failing page leaves the listing incomplete with its error.
    pub async fn pull_files(&self, repo: &Repo, number: u64) -> Listing<PullFile> {
        self.list(
            &format!("/repos/{repo}/pulls/{number}/files"),
            Some(FILE_PAGES),
        )
        .await
    }

    pub async fn pull_reviews(
        &self,
        repo: &Repo,
        number: u64,
    ) -> Result<Vec<PullReview>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/pulls/{number}/reviews"))
            .await
    }

    pub async fn gate_commits(
        &self,
        repo: &Repo,
        number: u64,
    ) -> Result<Vec<PullCommit>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/pulls/{number}/commits"))
            .await
    }

    /// A completed check run on `sha`.
    pub async fn complete_check_run(
        &self,
        repo: &Repo,
        name: &str,
        sha: &str,
        conclusion: &str,
        title: &str,
        summary: &str,
    ) -> Result<(), GitHubError> {
        let body = json!({
            "name": name, "head_sha": sha, "status": "completed", "conclusion": conclusion,
            "output": {"title": title, "summary": summary},
        });
        self.send::<Value>(Method::POST, &format!("/repos/{repo}/check-runs"), &body)
            .await
            .map(drop)
    }

    /// A commit status: where a token may not create check runs.
    pub async fn commit_status(
        &self,
        repo: &Repo,
        sha: &str,
        state: &str,
        context: &str,
        description: &str,
    ) -> Result<(), GitHubError> {
        let description: String = description.chars().take(140).collect();
        let body = json!({"state": state, "context": context, "description": description});
        let path = format!("/repos/{repo}/statuses/{}", super::api::escape(sha));
        self.send::<Value>(Method::POST, &path, &body)
            .await
            .map(drop)
    }
}
