//! Typed calls for the pipeline after the gate: pulls, reviews, checks, statuses, deployments,
//! history (compare, tags), refs and releases.

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::api::escape;
use super::{GitHub, GitHubError, PullRequest, Repo, User};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Review {
    pub user: Option<User>,
    pub state: String,
    #[serde(default)]
    pub commit_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CommitStatus {
    pub context: String,
    pub state: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Deployment {
    pub id: u64,
    pub sha: String,
    pub environment: String,
}

/// A commit as the compare and commit lists give it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CommitInfo {
    pub sha: String,
    pub commit: CommitMessage,
    #[serde(default)]
    pub parents: Vec<ParentRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CommitMessage {
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ParentRef {
    pub sha: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Comparison {
    pub status: String,
    pub total_commits: u64,
    pub commits: Vec<CommitInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct TagRef {
    pub name: String,
    pub commit: ParentRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ReleaseInfo {
    pub id: u64,
    pub tag_name: String,
    #[serde(default)]
    pub html_url: String,
}

/// What a new or updated pull request says.
#[derive(Debug, Clone, Serialize)]
pub struct PullText<'a> {
    pub title: &'a str,
    pub body: &'a str,
}

impl GitHub {
    pub async fn pull(&self, repo: &Repo, number: u64) -> Result<PullRequest, GitHubError> {
        self.get(&format!("/repos/{repo}/pulls/{number}")).await
    }

    /// Open pull requests from `head` (a branch of `repo`) into `base`.
    pub async fn open_pulls_from(
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
    pub async fn pulls_for_commit(
        &self,
        repo: &Repo,
        sha: &str,
    ) -> Result<Vec<PullRequest>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/commits/{}/pulls", escape(sha)))
            .await
    }

    pub async fn create_pull(
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

    pub async fn update_pull(
        &self,
        repo: &Repo,
        number: u64,
        text: &PullText<'_>,
    ) -> Result<PullRequest, GitHubError> {
        let path = format!("/repos/{repo}/pulls/{number}");
        self.send(Method::PATCH, &path, text).await
    }

    pub async fn pull_commits(
        &self,
        repo: &Repo,
        number: u64,
    ) -> Result<Vec<CommitInfo>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/pulls/{number}/commits"))
            .await
    }

    pub async fn reviews(&self, repo: &Repo, number: u64) -> Result<Vec<Review>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/pulls/{number}/reviews"))
            .await
    }

    /// Merges with `sha` pinned: GitHub refuses (409) when the head moved since.
    pub async fn merge_pull(
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

    /// The latest status of each context on `git_ref`.
    pub async fn latest_statuses(
        &self,
        repo: &Repo,
        git_ref: &str,
    ) -> Result<Vec<CommitStatus>, GitHubError> {
        #[derive(Deserialize)]
        struct Combined {
            statuses: Vec<CommitStatus>,
        }
        let path = format!("/repos/{repo}/commits/{}/status", escape(git_ref));
        self.get::<Combined>(&path).await.map(|c| c.statuses)
    }

    pub async fn create_status(
        &self,
        repo: &Repo,
        sha: &str,
        status: &CommitStatus,
    ) -> Result<(), GitHubError> {
        let path = format!("/repos/{repo}/statuses/{}", escape(sha));
        self.send::<Value>(Method::POST, &path, status)
            .await
            .map(drop)
    }

    /// A branch as `GET /repos/{o}/{r}/branches/{b}` gives it: its `protection` summary lists
    /// the required checks to anyone with read access (the full settings need admin).
    pub async fn branch(&self, repo: &Repo, branch: &str) -> Result<Value, GitHubError> {
        self.get(&format!("/repos/{repo}/branches/{}", escape(branch)))
            .await
    }

    /// Every active ruleset rule for `branch`, at every level (`GET .../rules/branches/{b}`),
    /// readable with read access.
    pub async fn branch_rules(&self, repo: &Repo, branch: &str) -> Result<Vec<Value>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/rules/branches/{}", escape(branch)))
            .await
    }

    pub async fn create_deployment(
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

    pub async fn create_deployment_status(
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
    pub async fn latest_deployment(
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

    /// `base...head`: the commits in `head` that `base` lacks, oldest first, every page of
    /// them (an unpaged compare lists only the newest 250).
    pub async fn compare(
        &self,
        repo: &Repo,
        base: &str,
        head: &str,
    ) -> Result<Comparison, GitHubError> {
        let path = format!("/repos/{repo}/compare/{}...{}", escape(base), escape(head));
        let mut all: Option<Comparison> = None;
        for page in 1.. {
            let part: Comparison = self
                .get(&format!("{path}?per_page={COMPARE_PAGE}&page={page}"))
                .await?;
            let last = part.commits.len() < COMPARE_PAGE;
            match &mut all {
                None => all = Some(part),
                Some(all) => all.commits.extend(part.commits),
            }
            let comparison = all.as_ref().expect("set above");
            if last || comparison.commits.len() as u64 >= comparison.total_commits {
                break;
            }
        }
        Ok(all.expect("one page at least"))
    }

    /// How `head` relates to `base` (`ahead`, `behind`, `diverged`, `identical`), in one
    /// request that lists a single commit.
    pub async fn compare_status(
        &self,
        repo: &Repo,
        base: &str,
        head: &str,
    ) -> Result<String, GitHubError> {
        let path = format!(
            "/repos/{repo}/compare/{}...{}?per_page=1",
            escape(base),
            escape(head)
        );
        self.get::<Comparison>(&path).await.map(|c| c.status)
    }

    /// Commits reachable from `sha`, newest first (every page).
    pub async fn commits_from(
        &self,
        repo: &Repo,
        sha: &str,
    ) -> Result<Vec<CommitInfo>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/commits?sha={}", escape(sha)))
            .await
    }

    pub async fn tags(&self, repo: &Repo) -> Result<Vec<TagRef>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/tags")).await
    }

    /// The SHA `refs/heads/<branch>` points at; `None` when the branch does not exist.
    pub async fn branch_head(
        &self,
        repo: &Repo,
        branch: &str,
    ) -> Result<Option<String>, GitHubError> {
        let path = format!("/repos/{repo}/git/ref/heads/{}", escape_ref(branch));
        let found: Option<Value> = self.get_optional(&path).await?;
        Ok(found.and_then(|v| v.pointer("/object/sha")?.as_str().map(str::to_string)))
    }

    /// Points `branch` at `sha`, creating it when missing (a force update when it exists).
    pub async fn set_branch(
        &self,
        repo: &Repo,
        branch: &str,
        sha: &str,
        exists: bool,
    ) -> Result<(), GitHubError> {
        if exists {
            let path = format!("/repos/{repo}/git/refs/heads/{}", escape_ref(branch));
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

    pub async fn release_by_tag(
        &self,
        repo: &Repo,
        tag: &str,
    ) -> Result<Option<ReleaseInfo>, GitHubError> {
        self.get_optional(&format!("/repos/{repo}/releases/tags/{}", escape(tag)))
            .await
    }

    /// Creates the release and, when missing, its tag at `target`.
    pub async fn create_release(
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

    /// Closes an issue as completed.
    pub async fn close_issue(&self, repo: &Repo, number: u64) -> Result<(), GitHubError> {
        let path = format!("/repos/{repo}/issues/{number}");
        let body = json!({"state": "closed", "state_reason": "completed"});
        self.send::<Value>(Method::PATCH, &path, &body)
            .await
            .map(drop)
    }
}

/// Commits per compare page (GitHub's largest).
const COMPARE_PAGE: usize = 100;

/// A branch name inside a ref path: each segment escaped, slashes kept.
fn escape_ref(branch: &str) -> String {
    branch.split('/').map(escape).collect::<Vec<_>>().join("/")
}
