//! Pull requests: head/base branches, files from tree diffs, reviews, merges.

use chrono::{DateTime, Utc};

use super::git::{FileChange, diff_trees};
use super::issues::NewIssue;
use super::{Model, UserKind};
use crate::http::ApiError;

/// A review's state as GitHub reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Commented,
    Dismissed,
    Pending,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Approved => "APPROVED",
            ReviewState::ChangesRequested => "CHANGES_REQUESTED",
            ReviewState::Commented => "COMMENTED",
            ReviewState::Dismissed => "DISMISSED",
            ReviewState::Pending => "PENDING",
        }
    }

    /// The state a review `event` (APPROVE, REQUEST_CHANGES, COMMENT, or none) leads to.
    pub(crate) fn from_event(event: Option<&str>) -> Option<ReviewState> {
        match event {
            None | Some("") => Some(ReviewState::Pending),
            Some("APPROVE") => Some(ReviewState::Approved),
            Some("REQUEST_CHANGES") => Some(ReviewState::ChangesRequested),
            Some("COMMENT") => Some(ReviewState::Commented),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Review {
    pub id: u64,
    pub user: String,
    pub body: String,
    pub state: ReviewState,
    pub commit_id: String,
    pub submitted_at: DateTime<Utc>,
    /// Line comments submitted with the review: on GitHub they belong to it.
    pub comments: Vec<ReviewComment>,
}

/// A line comment of a review.
#[derive(Debug, Clone)]
pub(crate) struct ReviewComment {
    pub id: u64,
    pub path: String,
    pub line: Option<u64>,
    pub body: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Pull {
    pub id: u64,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub draft: bool,
    pub merged_at: Option<DateTime<Utc>>,
    pub merged_by: Option<String>,
    pub merge_commit_sha: Option<String>,
    pub reviews: Vec<Review>,
    pub requested_reviewers: Vec<String>,
}

/// A pull request's state as a test asserts it.
#[derive(Debug, Clone, PartialEq)]
pub struct PullView {
    pub number: u64,
    pub state: String,
    pub merged: bool,
    pub head_sha: String,
    pub base_ref: String,
    pub reviews: Vec<(String, ReviewState, String)>,
}

impl Model {
    /// Opens a pull request; 422 when a branch is missing or the PR already exists.
    pub(crate) fn open_pull(
        &mut self,
        ri: usize,
        head: &str,
        base: &str,
        new: NewIssue<'_>,
        draft: bool,
    ) -> Result<u64, ApiError> {
        let git = &self.repos[ri].git;
        let head_sha = git
            .refs
            .get(&format!("refs/heads/{head}"))
            .cloned()
            .ok_or_else(|| ApiError::invalid("PullRequest", "head", "invalid"))?;
        if !git.refs.contains_key(&format!("refs/heads/{base}")) {
            return Err(ApiError::invalid("PullRequest", "base", "invalid"));
        }
        let dup = self.repos[ri].issues.iter().any(|i| {
            i.state_open
                && i.pull
                    .as_ref()
                    .is_some_and(|p| p.head_ref == head && p.base_ref == base)
        });
        if dup {
            return Err(ApiError::unprocessable(&format!(
                "A pull request already exists for {}:{head}.",
                self.repos[ri].owner
            )));
        }
        let pull = super::Pull {
            id: self.next_id("pull"),
            head_ref: head.to_string(),
            head_sha,
            base_ref: base.to_string(),
            draft,
            merged_at: None,
            merged_by: None,
            merge_commit_sha: None,
            reviews: Vec::new(),
            requested_reviewers: Vec::new(),
        };
        Ok(self.new_issue(ri, new, Some(pull)))
    }

    pub(crate) fn pull_ref(&self, ri: usize, number: u64) -> Result<&super::Pull, ApiError> {
        self.issue_ref(ri, number)?
            .pull
            .as_ref()
            .ok_or_else(ApiError::not_found)
    }

    pub(crate) fn pull_mut(
        &mut self,
        ri: usize,
        number: u64,
    ) -> Result<&mut super::Pull, ApiError> {
        self.issue_mut(ri, number)?
            .pull
            .as_mut()
            .ok_or_else(ApiError::not_found)
    }

    /// Moves the PR's head to the branch's current SHA (a push to the head branch).
    pub(crate) fn sync_heads(&mut self, ri: usize) {
        let refs = self.repos[ri].git.refs.clone();
        for issue in self.repos[ri].issues.iter_mut().filter(|i| i.state_open) {
            if let Some(p) = issue.pull.as_mut()
                && let Some(sha) = refs.get(&format!("refs/heads/{}", p.head_ref))
            {
                p.head_sha = sha.clone();
            }
        }
    }

    /// The base branch's current SHA of a pull request.
    pub(crate) fn base_sha(&self, ri: usize, p: &super::Pull) -> String {
        self.repos[ri].git.resolve(&p.base_ref).unwrap_or_default()
    }

    /// Files changed by a pull request: the head tree against the merge base's tree.
    pub(crate) fn pull_files(
        &self,
        ri: usize,
        number: u64,
    ) -> Result<std::sync::Arc<Vec<FileChange>>, ApiError> {
        let p = self.pull_ref(ri, number)?;
        let g = &self.repos[ri].git;
        let base_sha = match &p.merge_commit_sha {
            Some(m) => g.merge_base(&g.commits[m].parents[0], &p.head_sha),
            None => g.merge_base(&self.base_sha(ri, p), &p.head_sha),
        };
        let base_tree = &g
            .commits
            .get(&base_sha)
            .ok_or_else(ApiError::not_found)?
            .tree;
        let head_tree = &g
            .commits
            .get(&p.head_sha)
            .ok_or_else(ApiError::not_found)?
            .tree;
        let key = (base_sha.clone(), p.head_sha.clone());
        let mut memo = self.diffs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(files) = memo.get(&key) {
            return Ok(files.clone());
        }
        if memo.len() >= 64 {
            memo.clear();
        }
        let files = std::sync::Arc::new(diff_trees(base_tree, head_tree));
        memo.insert(key, files.clone());
        Ok(files)
    }

    /// Merges: 405 when not mergeable, 409 when `sha` is not the head. Returns the merge SHA.
    pub(crate) fn merge_inner(
        &mut self,
        ri: usize,
        number: u64,
        sha: Option<&str>,
        actor: &str,
    ) -> Result<String, ApiError> {
        self.merge_with(ri, number, sha, actor, false)
    }

    /// Merges with a merge commit, or squashed into one single-parent commit.
    pub(crate) fn merge_with(
        &mut self,
        ri: usize,
        number: u64,
        sha: Option<&str>,
        actor: &str,
        squash: bool,
    ) -> Result<String, ApiError> {
        let issue = self.issue_ref(ri, number)?;
        let p = issue.pull.clone().ok_or_else(ApiError::not_found)?;
        if !issue.state_open || p.merged_at.is_some() {
            return Err(ApiError::new(405, "Pull Request is not mergeable"));
        }
        if sha.is_some_and(|s| s != p.head_sha) {
            return Err(ApiError::new(
                409,
                "Head branch was modified. Review and try the merge again.",
            ));
        }
        self.pinned_checks_met(ri, &p.base_ref, &p.head_sha)?;
        let issue = self.issue_ref(ri, number)?;
        let title = issue.title.clone();
        let now = self.now();
        let git = &mut self.repos[ri].git;
        let base = git.resolve(&p.base_ref).ok_or_else(ApiError::not_found)?;
        let mut tree = git.commits[&base].tree.clone();
        let base_of_head = &git.commits[&p.head_sha].tree;
        for (path, e) in base_of_head {
            tree.insert(path.clone(), e.clone());
        }
        let removed: Vec<String> = diff_trees(&git.commits[&base].tree, base_of_head)
            .into_iter()
            .filter(|f| f.status == "removed" || f.status == "renamed")
            .map(|f| f.previous_filename.unwrap_or(f.filename))
            .collect();
        for r in removed {
            tree.remove(&r);
        }
        let msg = format!("{title} (#{number})");
        let parents = if squash {
            vec![base]
        } else {
            vec![base, p.head_sha.clone()]
        };
        let merge = git.commit(tree, parents, &msg, actor, now);
        git.refs
            .insert(format!("refs/heads/{}", p.base_ref), merge.clone());
        let pull = self.pull_mut(ri, number)?;
        pull.merged_at = Some(now);
        pull.merged_by = Some(actor.to_string());
        pull.merge_commit_sha = Some(merge.clone());
        self.set_state(ri, number, false, None, actor)?;
        self.record(ri, number, actor, "merged").commit_id = Some(merge.clone());
        self.close_linked_issues(ri, number, actor, &merge)?;
        self.sync_heads(ri);
        Ok(merge)
    }

    /// Adds a review on the current head (or `commit_id`); returns its id.
    pub(crate) fn review_inner(
        &mut self,
        ri: usize,
        number: u64,
        user: &str,
        state: ReviewState,
        body: &str,
        commit_id: Option<&str>,
    ) -> Result<u64, ApiError> {
        let id = self.next_id("review");
        let now = self.now();
        let p = self.pull_mut(ri, number)?;
        let commit_id = commit_id
            .map(str::to_string)
            .unwrap_or_else(|| p.head_sha.clone());
        p.requested_reviewers
            .retain(|r| !r.eq_ignore_ascii_case(user));
        p.reviews.push(Review {
            id,
            user: user.to_string(),
            body: body.to_string(),
            state,
            commit_id,
            submitted_at: now,
            comments: Vec::new(),
        });
        self.touch(ri, number);
        Ok(id)
    }

    /// Attaches line comments (`path`, `line`, `body`) to review `id`, as GitHub takes them
    /// with the review.
    pub(crate) fn review_comments_inner(
        &mut self,
        ri: usize,
        number: u64,
        id: u64,
        comments: Vec<(String, Option<u64>, String)>,
    ) -> Result<(), ApiError> {
        let ids: Vec<u64> = comments
            .iter()
            .map(|_| self.next_id("review_comment"))
            .collect();
        let p = self.pull_mut(ri, number)?;
        let review = p
            .reviews
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or_else(ApiError::not_found)?;
        for (id, (path, line, body)) in ids.into_iter().zip(comments) {
            review.comments.push(ReviewComment {
                id,
                path,
                line,
                body,
            });
        }
        Ok(())
    }

    // ---- seeding helpers ----

    /// Opens a pull request from `head_branch` into `base_branch`; returns its number.
    pub fn create_pull(
        &mut self,
        repo: &str,
        head_branch: &str,
        base_branch: &str,
        title: &str,
        body: &str,
        author: &str,
    ) -> u64 {
        let ri = self.seed_ri(repo);
        self.add_user(author, UserKind::User);
        let new = NewIssue {
            title,
            body: Some(body),
            labels: Vec::new(),
            assignees: Vec::new(),
            milestone: None,
            author,
        };
        self.open_pull(ri, head_branch, base_branch, new, false)
            .expect("emulator: create_pull")
    }

    /// Merges a pull request as `actor`; returns the merge commit SHA.
    pub fn merge_pull(&mut self, repo: &str, number: u64, actor: &str) -> String {
        let ri = self.seed_ri(repo);
        self.merge_inner(ri, number, None, actor)
            .expect("emulator: merge_pull")
    }

    /// Records a review by `reviewer` on the PR's current head; returns the review id.
    pub fn add_review(
        &mut self,
        repo: &str,
        number: u64,
        reviewer: &str,
        state: ReviewState,
        body: &str,
    ) -> u64 {
        let ri = self.seed_ri(repo);
        self.add_user(reviewer, UserKind::User);
        self.review_inner(ri, number, reviewer, state, body, None)
            .expect("emulator: add_review")
    }

    /// Moves a pull request's head: commits `content` at `path` on its head branch.
    pub fn push_to_pull(&mut self, repo: &str, number: u64, path: &str, content: &str) -> String {
        let ri = self.seed_ri(repo);
        let head = self
            .pull_ref(ri, number)
            .expect("emulator: pull")
            .head_ref
            .clone();
        let sha = self.set_file(repo, &head, path, content);
        self.sync_heads(ri);
        sha
    }

    pub fn pull(&self, repo: &str, number: u64) -> Option<PullView> {
        let ri = self.find_repo(repo)?;
        let i = self.issue_ref(ri, number).ok()?;
        let p = i.pull.as_ref()?;
        Some(PullView {
            number,
            state: if i.state_open { "open" } else { "closed" }.to_string(),
            merged: p.merged_at.is_some(),
            head_sha: p.head_sha.clone(),
            base_ref: p.base_ref.clone(),
            reviews: p
                .reviews
                .iter()
                .map(|r| (r.user.clone(), r.state, r.commit_id.clone()))
                .collect(),
        })
    }
}
