//! Repositories: the repository itself, its labels, branches with their protection and
//! rules, file contents, collaborators' permissions, an owner's repositories, and comparing
//! two commits.

use base64::Engine as _;
use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::client::{GitHub, escape, escape_path};
use super::error::GitHubError;
use super::types::{CommitInfo, Repo};

/// A repository label as shiprig reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct RepoLabel {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) color: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
}

/// The parts of a branch's protection shiprig cares about, plus what it must carry over
/// unchanged when it writes the protection back (a PUT replaces all of it).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct BranchProtection {
    #[serde(default)]
    pub(crate) required_status_checks: Option<RequiredChecks>,
    #[serde(default)]
    pub(crate) required_pull_request_reviews: Option<RequiredReviews>,
    #[serde(default)]
    pub(crate) enforce_admins: Option<Enabled>,
    #[serde(default)]
    pub(crate) restrictions: Option<Restrictions>,
    #[serde(default)]
    pub(crate) required_linear_history: Option<Enabled>,
    #[serde(default)]
    pub(crate) allow_force_pushes: Option<Enabled>,
    #[serde(default)]
    pub(crate) allow_deletions: Option<Enabled>,
    #[serde(default)]
    pub(crate) block_creations: Option<Enabled>,
    #[serde(default)]
    pub(crate) required_conversation_resolution: Option<Enabled>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct Enabled {
    #[serde(default)]
    pub(crate) enabled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct RequiredChecks {
    #[serde(default)]
    pub(crate) strict: bool,
    #[serde(default)]
    pub(crate) contexts: Vec<String>,
    #[serde(default)]
    pub(crate) checks: Vec<RequiredCheck>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct RequiredCheck {
    pub(crate) context: String,
    #[serde(default)]
    pub(crate) app_id: Option<i64>,
}

impl RequiredChecks {
    /// Every required check name, from `contexts` and `checks`.
    pub(crate) fn names(&self) -> Vec<String> {
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
pub(crate) struct RequiredReviews {
    #[serde(default)]
    pub(crate) dismiss_stale_reviews: bool,
    #[serde(default)]
    pub(crate) require_code_owner_reviews: bool,
    #[serde(default)]
    pub(crate) require_last_push_approval: bool,
    #[serde(default)]
    pub(crate) required_approving_review_count: u32,
}

/// Who may push: kept as it is when shiprig rewrites the protection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct Restrictions {
    #[serde(default)]
    pub(crate) users: Vec<Login>,
    #[serde(default)]
    pub(crate) teams: Vec<Slug>,
    #[serde(default)]
    pub(crate) apps: Vec<Slug>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct Login {
    pub(crate) login: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct Slug {
    pub(crate) slug: String,
}

/// `GET /repos/{o}/{r}/collaborators/{u}/permission`: `role_name` carries maintain and triage.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct CollaboratorPermission {
    pub(crate) permission: String,
    #[serde(default)]
    pub(crate) role_name: Option<String>,
}

impl CollaboratorPermission {
    /// The finest role GitHub reported (`maintain` rather than the legacy `write`).
    pub(crate) fn role(&self) -> &str {
        self.role_name
            .as_deref()
            .filter(|r| !r.is_empty())
            .unwrap_or(&self.permission)
    }
}

/// A repository as an owner's repository list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct RepositorySummary {
    pub(crate) full_name: String,
    #[serde(default)]
    pub(crate) topics: Vec<String>,
    #[serde(default)]
    pub(crate) archived: bool,
}

/// A file's bytes at a ref, as the contents API gives them.
#[derive(Debug, Clone)]
pub(crate) struct Blob {
    /// The blob's SHA.
    pub(crate) sha: String,
    pub(crate) size: u64,
    /// `None` when GitHub sends no content (files over 1 MB; `encoding: none`).
    pub(crate) content: Option<Vec<u8>>,
}

/// What the contents API says of a file.
#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    sha: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    content: String,
    #[serde(default)]
    encoding: String,
}

impl Content {
    /// The bytes when GitHub sent them (base64); `None` for any other encoding.
    fn bytes(&self, api_path: &str) -> Result<Option<Vec<u8>>, GitHubError> {
        if self.encoding != "base64" {
            return Ok(None);
        }
        let compact: String = self.content.split_whitespace().collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map(Some)
            .map_err(|e| unreadable(api_path, e.to_string()))
    }
}

fn unreadable(api_path: &str, message: String) -> GitHubError {
    GitHubError::Decode {
        method: "GET".into(),
        path: api_path.to_string(),
        message,
    }
}

/// `GET /repos/{o}/{r}/contents/{path}`, at `git_ref` or the default branch.
fn contents_path(repo: &Repo, path: &str, git_ref: Option<&str>) -> String {
    let api_path = format!("/repos/{repo}/contents/{}", escape_path(path));
    match git_ref {
        Some(git_ref) => format!("{api_path}?ref={}", escape(git_ref)),
        None => api_path,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct Comparison {
    pub(crate) status: String,
    pub(crate) total_commits: usize,
    pub(crate) commits: Vec<CommitInfo>,
}

/// Commits per compare page (GitHub's largest).
const COMPARE_PAGE: usize = 100;

/// Pages of a comparison read at most; past them `total_commits` says more exist (the gate
/// then fails closed: it cannot know every writer).
pub(crate) const COMPARE_PAGES: usize = 100;

impl GitHub {
    pub(crate) async fn default_branch(&self, repo: &Repo) -> Result<String, GitHubError> {
        #[derive(Deserialize)]
        struct RepoFields {
            default_branch: String,
        }
        let found: RepoFields = self.get(&format!("/repos/{repo}")).await?;
        Ok(found.default_branch)
    }

    /// The repositories `owner` (a user or an organization) owns, with their topics.
    pub(crate) async fn owner_repositories(
        &self,
        owner: &str,
    ) -> Result<Vec<RepositorySummary>, GitHubError> {
        self.get_all(&format!("/users/{}/repos?type=owner", escape(owner)))
            .await
    }

    /// One repository with its topics, read afresh; `None` when GitHub does not show it (gone,
    /// or no longer reachable with these credentials).
    pub(crate) async fn repository_summary(
        &self,
        repo: &Repo,
    ) -> Result<Option<RepositorySummary>, GitHubError> {
        self.get_optional(&format!("/repos/{repo}")).await
    }

    /// The role of `login` on `repo`; `None` when GitHub does not know the user.
    pub(crate) async fn permission(
        &self,
        repo: &Repo,
        login: &str,
    ) -> Result<Option<String>, GitHubError> {
        let path = format!("/repos/{repo}/collaborators/{}/permission", escape(login));
        let found: Option<CollaboratorPermission> = self.get_optional(&path).await?;
        Ok(found.map(|p| p.role().to_string()))
    }

    /// Every label of the repository.
    pub(crate) async fn repo_labels(&self, repo: &Repo) -> Result<Vec<RepoLabel>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/labels")).await
    }

    pub(crate) async fn create_repo_label(
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
    pub(crate) async fn update_repo_label(
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
}

/// Branches: their protection summary, rulesets and full protection settings.
impl GitHub {
    /// A branch as `GET /repos/{o}/{r}/branches/{b}` gives it: its `protection` summary lists
    /// the required checks to anyone with read access (the full settings need admin).
    pub(crate) async fn branch(&self, repo: &Repo, branch: &str) -> Result<Value, GitHubError> {
        self.get(&format!("/repos/{repo}/branches/{}", escape(branch)))
            .await
    }

    /// Every active ruleset rule for `branch`, at every level (`GET .../rules/branches/{b}`),
    /// readable with read access.
    pub(crate) async fn branch_rules(
        &self,
        repo: &Repo,
        branch: &str,
    ) -> Result<Vec<Value>, GitHubError> {
        self.get_all(&format!("/repos/{repo}/rules/branches/{}", escape(branch)))
            .await
    }

    /// The branch's protection; `None` when the branch is not protected.
    pub(crate) async fn branch_protection(
        &self,
        repo: &Repo,
        branch: &str,
    ) -> Result<Option<BranchProtection>, GitHubError> {
        let path = format!("/repos/{repo}/branches/{}/protection", escape(branch));
        self.get_optional(&path).await
    }

    /// Replaces the branch's protection with `body` (GitHub's PUT replaces all of it).
    pub(crate) async fn put_branch_protection(
        &self,
        repo: &Repo,
        branch: &str,
        body: &Value,
    ) -> Result<BranchProtection, GitHubError> {
        let path = format!("/repos/{repo}/branches/{}/protection", escape(branch));
        self.send(Method::PUT, &path, body).await
    }
}

/// Contents: one request, read as bytes, as text, or as a folder's files.
impl GitHub {
    /// A file at `git_ref` through the contents API; `None` when it does not exist there.
    pub(crate) async fn file_blob(
        &self,
        repo: &Repo,
        path: &str,
        git_ref: &str,
    ) -> Result<Option<Blob>, GitHubError> {
        let api_path = contents_path(repo, path, Some(git_ref));
        let Some(found) = self.get_optional::<Content>(&api_path).await? else {
            return Ok(None);
        };
        let content = found.bytes(&api_path)?;
        let size = content
            .as_ref()
            .map_or(found.size, |bytes| found.size.max(bytes.len() as u64));
        Ok(Some(Blob {
            sha: found.sha.clone(),
            size,
            content,
        }))
    }

    /// A file's text at `git_ref` (default branch when `None`); `None` when it does not exist.
    pub(crate) async fn file_text(
        &self,
        repo: &Repo,
        path: &str,
        git_ref: Option<&str>,
    ) -> Result<Option<String>, GitHubError> {
        let api_path = contents_path(repo, path, git_ref);
        let Some(found) = self.get_optional::<Content>(&api_path).await? else {
            return Ok(None);
        };
        let Some(bytes) = found.bytes(&api_path)? else {
            let message = format!("unsupported encoding {:?}", found.encoding);
            return Err(unreadable(&api_path, message));
        };
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|e| unreadable(&api_path, e.to_string()))
    }

    /// The paths of the files directly in `folder` (`""`: the root) at `git_ref` (default
    /// branch when `None`); empty when the folder is missing.
    pub(crate) async fn folder_files(
        &self,
        repo: &Repo,
        folder: &str,
        git_ref: Option<&str>,
    ) -> Result<Vec<String>, GitHubError> {
        #[derive(Deserialize)]
        struct ContentEntry {
            path: String,
            #[serde(rename = "type")]
            kind: String,
        }
        let path = contents_path(repo, folder, git_ref);
        let entries: Option<Vec<ContentEntry>> = self.get_optional(&path).await?;
        Ok(entries
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.kind == "file")
            .map(|e| e.path)
            .collect())
    }
}

/// Comparing two commits.
impl GitHub {
    /// `base...head`: the commits in `head` that `base` lacks, oldest first, page after page
    /// (an unpaged compare lists only the newest 250), at most [`COMPARE_PAGES`] pages.
    pub(crate) async fn compare(
        &self,
        repo: &Repo,
        base: &str,
        head: &str,
    ) -> Result<Comparison, GitHubError> {
        let path = format!("/repos/{repo}/compare/{}...{}", escape(base), escape(head));
        let mut all: Option<Comparison> = None;
        for page in 1..=COMPARE_PAGES {
            let part: Comparison = self
                .get(&format!("{path}?per_page={COMPARE_PAGE}&page={page}"))
                .await?;
            let last = part.commits.len() < COMPARE_PAGE;
            match &mut all {
                None => all = Some(part),
                Some(all) => all.commits.extend(part.commits),
            }
            let comparison = all.as_ref().expect("set above");
            if last || comparison.commits.len() >= comparison.total_commits {
                break;
            }
        }
        Ok(all.expect("one page at least"))
    }

    /// How `head` relates to `base` (`ahead`, `behind`, `diverged`, `identical`), in one
    /// request that lists a single commit.
    pub(crate) async fn compare_status(
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
}
