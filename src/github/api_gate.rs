//! Typed calls the human gate makes: a pull request, its files, reviews and commits, and the
//! check run or commit status it posts.

use http::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::escape;
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
    /// Lines added plus removed; `0` for a pure rename or mode change.
    #[serde(default)]
    pub changes: Option<u64>,
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

/// A commit of a pull request: who wrote it, who committed it, its message. `author` and
/// `committer` are `null` when GitHub cannot link the commit's email to an account; the git
/// names and emails in `commit` are always there.
#[derive(Debug, Clone, Deserialize)]
pub struct PullCommit {
    #[serde(default)]
    pub sha: String,
    pub author: Option<User>,
    pub committer: Option<User>,
    pub commit: CommitMessage,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommitMessage {
    pub message: String,
    #[serde(default)]
    pub author: Option<GitIdentity>,
    #[serde(default)]
    pub committer: Option<GitIdentity>,
}

/// A git author or committer line: what the commit says, linked to an account or not.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GitIdentity {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// Every commit `head` has that `base` lacks, or why the list is not whole.
#[derive(Debug, Clone, Default)]
pub struct CommitListing {
    pub commits: Vec<PullCommit>,
    /// GitHub's count; more than `commits.len()` when a page could not be read in full.
    pub total: usize,
}

/// The compare API lists 100 commits a page; past this many pages the gate stops reading and
/// fails closed (it cannot know every writer).
pub const COMPARE_PAGES: usize = 100;

/// A file's bytes at a ref, as the contents API gives them.
#[derive(Debug, Clone)]
pub struct Blob {
    pub size: u64,
    /// `None` when GitHub sends no content (files over 1 MB; `encoding: none`).
    pub content: Option<Vec<u8>>,
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

    /// A file at `git_ref` through the contents API; `None` when it does not exist there.
    pub async fn file_blob(
        &self,
        repo: &Repo,
        path: &str,
        git_ref: &str,
    ) -> Result<Option<Blob>, GitHubError> {
        use base64::Engine as _;
        #[derive(Deserialize)]
        struct Content {
            #[serde(default)]
            size: u64,
            #[serde(default)]
            content: String,
            #[serde(default)]
            encoding: String,
        }
        let segments: Vec<String> = path.split('/').map(escape).collect();
        let api_path = format!(
            "/repos/{repo}/contents/{}?ref={}",
            segments.join("/"),
            escape(git_ref)
        );
        let Some(found) = self.get_optional::<Content>(&api_path).await? else {
            return Ok(None);
        };
        if found.encoding != "base64" {
            return Ok(Some(Blob {
                size: found.size,
                content: None,
            }));
        }
        let compact: String = found.content.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|e| GitHubError::Decode {
                method: "GET".into(),
                path: api_path.clone(),
                message: e.to_string(),
            })?;
        Ok(Some(Blob {
            size: found.size.max(bytes.len() as u64),
            content: Some(bytes),
        }))
    }

    /// The paths of the files directly in `folder` (`""`: the root) at `git_ref`.
    pub async fn folder_files(
        &self,
        repo: &Repo,
        folder: &str,
        git_ref: &str,
    ) -> Result<Vec<String>, GitHubError> {
        #[derive(Deserialize)]
        struct Entry {
            path: String,
            #[serde(rename = "type")]
            kind: String,
        }
        let segments: Vec<String> = folder.split('/').map(escape).collect();
        let path = format!(
            "/repos/{repo}/contents/{}?ref={}",
            segments.join("/"),
            escape(git_ref)
        );
        let entries: Option<Vec<Entry>> = self.get_optional(&path).await?;
        Ok(entries
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.kind == "file")
            .map(|e| e.path)
            .collect())
    }

    /// Every commit between `base` and `head` through the compare API, 100 a page: the pull
    /// request commits list stops at 250, this does not.
    pub async fn compare_commits(
        &self,
        repo: &Repo,
        base: &str,
        head: &str,
    ) -> Result<CommitListing, GitHubError> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            total_commits: usize,
            #[serde(default)]
            commits: Vec<PullCommit>,
        }
        let path = format!("/repos/{repo}/compare/{}...{}", escape(base), escape(head));
        let mut listing = CommitListing::default();
        for page in 1..=COMPARE_PAGES {
            let found: Page = self
                .get(&format!("{path}?per_page=100&page={page}"))
                .await?;
            listing.total = found.total_commits;
            let empty = found.commits.is_empty();
            listing.commits.extend(found.commits);
            if empty || listing.commits.len() >= listing.total {
                break;
            }
        }
        Ok(listing)
    }

    /// The `external_id` of every run of the check `name` on `sha` (all of them, not only the
    /// latest): where the gate records who pushed that commit.
    pub async fn check_run_records(
        &self,
        repo: &Repo,
        sha: &str,
        name: &str,
    ) -> Result<Vec<String>, GitHubError> {
        #[derive(Deserialize)]
        struct Runs {
            check_runs: Vec<Run>,
        }
        #[derive(Deserialize)]
        struct Run {
            #[serde(default)]
            external_id: Option<String>,
        }
        let path = format!(
            "/repos/{repo}/commits/{}/check-runs?check_name={}&filter=all&per_page=100",
            escape(sha),
            escape(name)
        );
        let runs: Runs = self.get(&path).await?;
        Ok(runs
            .check_runs
            .into_iter()
            .filter_map(|r| r.external_id)
            .collect())
    }

    /// A completed check run on `sha`, with `external_id` when given.
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
        let mut body = json!({
            "name": name, "head_sha": sha, "status": "completed", "conclusion": conclusion,
            "output": {"title": title, "summary": summary},
        });
        if let Some(id) = external_id {
            body["external_id"] = json!(id);
        }
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
