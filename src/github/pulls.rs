//! Pull requests: reading, opening and editing them, their files, reviews and commits, and
//! merging.

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::client::{GitHub, escape};
use super::error::GitHubError;
use super::page::Listing;
use super::states::{FileStatus, PullState, ReviewState};
use super::types::{CommitInfo, Repo, User, label_names};

/// A branch end of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct Branch {
    #[serde(rename = "ref")]
    pub(crate) name: String,
    pub(crate) sha: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PullRequest {
    pub(crate) id: u64,
    pub(crate) number: u64,
    pub(crate) title: String,
    #[serde(default)]
    pub(crate) body: Option<String>,
    pub(crate) state: PullState,
    pub(crate) head: Branch,
    pub(crate) base: Branch,
    pub(crate) user: Option<User>,
    #[serde(default, deserialize_with = "label_names")]
    pub(crate) labels: Vec<String>,
    #[serde(default)]
    pub(crate) html_url: String,
    #[serde(default)]
    pub(crate) draft: bool,
    #[serde(default)]
    pub(crate) merged_at: Option<String>,
    #[serde(default)]
    pub(crate) merge_commit_sha: Option<String>,
    /// How many issue comments it has (the full object only; lists leave it out).
    #[serde(default)]
    pub(crate) comments: Option<u64>,
    /// Who merged it; only the single pull request's read has it.
    #[serde(default)]
    pub(crate) merged_by: Option<User>,
}

impl PullRequest {
    pub(crate) fn is_merged(&self) -> bool {
        self.merged_at.is_some()
    }

    /// Open: not closed, and not merged.
    pub(crate) fn is_open(&self) -> bool {
        self.state == PullState::Open && !self.is_merged()
    }

    /// Issues of the same repository the pull request says it closes (`Closes #12`, `fixes #3`),
    /// plus the issue an agent branch is named for (`agent/12-…`).
    pub(crate) fn linked_issues(&self) -> Vec<u64> {
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
pub(crate) fn closing_references(text: &str) -> Vec<u64> {
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

/// What a new or updated pull request says.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PullText<'a> {
    pub(crate) title: &'a str,
    pub(crate) body: &'a str,
}

/// One file of a pull request as GitHub lists it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PullFile {
    pub(crate) filename: String,
    pub(crate) status: FileStatus,
    #[serde(default)]
    pub(crate) previous_filename: Option<String>,
    #[serde(default)]
    pub(crate) patch: Option<String>,
    /// The blob SHA at the head (at the base for a removed file).
    #[serde(default)]
    pub(crate) sha: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct Review {
    #[serde(default)]
    pub(crate) id: u64,
    pub(crate) user: Option<User>,
    pub(crate) state: ReviewState,
    #[serde(default)]
    pub(crate) html_url: Option<String>,
    #[serde(default)]
    pub(crate) commit_id: Option<String>,
    #[serde(default)]
    pub(crate) body: Option<String>,
}

/// GitHub lists at most 3,000 files a pull request, 100 a page: one page more shows the cap.
const FILE_PAGES: usize = 31;

impl GitHub {
    pub(crate) async fn pull(&self, repo: &Repo, number: u64) -> Result<PullRequest, GitHubError> {
        self.get(&format!("/repos/{repo}/pulls/{number}")).await
    }

    /// Every open pull request.
    pub(crate) async fn open_pulls(&self, repo: &Repo) -> Result<Vec<PullRequest>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/pulls?state=open"))
            .await
    }

    /// Open pull requests from `head` (a branch of `repo`) into `base`.
    pub(crate) async fn open_pulls_from(
        &self,
        repo: &Repo,
        head: &str,
        base: &str,
    ) -> Result<Vec<PullRequest>, GitHubError> {
        let head = escape(&format!("{}:{head}", repo.owner));
        self.get_all(&format!(
            "/repos/{repo}/pulls?state=open&head={head}&base={}",
            escape(base)
        ))
        .await
    }

    /// Pull requests whose head is `sha` (a status event names only the commit).
    pub(crate) async fn pulls_for_commit(
        &self,
        repo: &Repo,
        sha: &str,
    ) -> Result<Vec<PullRequest>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/commits/{}/pulls", escape(sha)))
            .await
    }

    pub(crate) async fn create_pull(
        &self,
        repo: &Repo,
        head: &str,
        base: &str,
        text: &PullText<'_>,
    ) -> Result<PullRequest, GitHubError> {
        let body = json!({"head": head, "base": base, "title": text.title, "body": text.body});
        self.send(Method::POST, &format!("/repos/{repo}/pulls"), &body)
            .await
    }

    pub(crate) async fn update_pull(
        &self,
        repo: &Repo,
        number: u64,
        text: &PullText<'_>,
    ) -> Result<PullRequest, GitHubError> {
        let path = format!("/repos/{repo}/pulls/{number}");
        self.send(Method::PATCH, &path, text).await
    }

    /// Every page of the file list; a failing page leaves the listing incomplete with its error.
    pub(crate) async fn pull_files(&self, repo: &Repo, number: u64) -> Listing<PullFile> {
        self.list(
            &format!("/repos/{repo}/pulls/{number}/files"),
            Some(FILE_PAGES),
        )
        .await
    }

    pub(crate) async fn pull_reviews(
        &self,
        repo: &Repo,
        number: u64,
    ) -> Result<Vec<Review>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/pulls/{number}/reviews"))
            .await
    }

    /// The commits of a pull request; GitHub stops this list at 250 (`compare` lists them all).
    pub(crate) async fn pull_commits(
        &self,
        repo: &Repo,
        number: u64,
    ) -> Result<Vec<CommitInfo>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/pulls/{number}/commits"))
            .await
    }

    /// Merges with `sha` pinned: GitHub refuses (409) when the head moved since.
    pub(crate) async fn merge_pull(
        &self,
        repo: &Repo,
        number: u64,
        sha: &str,
        method: &str,
    ) -> Result<(), GitHubError> {
        let path = format!("/repos/{repo}/pulls/{number}/merge");
        let body = json!({"sha": sha, "merge_method": method});
        self.send::<Value>(Method::PUT, &path, &body)
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
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
