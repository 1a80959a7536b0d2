//! Git objects: commits holding whole trees, refs, annotated tags, and tree diffs with patches.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sha1::{Digest, Sha1};

use super::Model;
use crate::http::ApiError;

/// One tree entry: a blob (`100644`), a symlink (`120000`, content = target) or a submodule
/// (`160000`, content = the commit SHA).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub mode: String,
    pub content: Vec<u8>,
}

impl Entry {
    pub fn file(content: Vec<u8>) -> Entry {
        Entry {
            mode: "100644".to_string(),
            content,
        }
    }

    pub fn sha(&self) -> String {
        blob_sha(&self.content)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Commit {
    pub sha: String,
    pub tree: BTreeMap<String, Entry>,
    pub parents: Vec<String>,
    pub message: String,
    pub author: String,
    pub date: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct Tag {
    pub sha: String,
    pub tag: String,
    pub message: String,
    pub object: String,
    pub tagger: String,
    pub date: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Git {
    pub commits: HashMap<String, Commit>,
    /// Full ref name (`refs/heads/main`) → SHA.
    pub refs: BTreeMap<String, String>,
    pub tags: Vec<Tag>,
}

/// Git's blob id: sha1 over `blob <len>\0<content>`.
pub(crate) fn blob_sha(content: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(format!("blob {}\0", content.len()).as_bytes());
    h.update(content);
    hex(&h.finalize())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// sha1 over arbitrary parts, for deterministic object ids.
pub(crate) fn sha_of(parts: &[&str]) -> String {
    let mut h = Sha1::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex(&h.finalize())
}

impl Git {
    /// Stores a commit and returns its SHA (sha1 over tree, parents, message, author, date).
    pub fn commit(
        &mut self,
        tree: BTreeMap<String, Entry>,
        parents: Vec<String>,
        message: &str,
        author: &str,
        date: DateTime<Utc>,
    ) -> String {
        let listing: String = tree
            .iter()
            .map(|(p, e)| format!("{} {} {}\n", e.mode, e.sha(), p))
            .collect();
        let date_s = super::ts(date);
        let mut parts = vec![listing.as_str(), message, author, date_s.as_str()];
        parts.extend(parents.iter().map(String::as_str));
        let sha = sha_of(&parts);
        self.commits.insert(
            sha.clone(),
            Commit {
                sha: sha.clone(),
                tree,
                parents,
                message: message.to_string(),
                author: author.to_string(),
                date,
            },
        );
        sha
    }

    /// Resolves a branch, tag, full ref or (prefix of a) SHA to a commit SHA.
    pub fn resolve(&self, reference: &str) -> Option<String> {
        for full in [
            reference.to_string(),
            format!("refs/heads/{reference}"),
            format!("refs/tags/{reference}"),
        ] {
            if let Some(sha) = self.refs.get(&full) {
                return Some(self.peel(sha));
            }
        }
        if reference.len() >= 7 {
            return self
                .commits
                .keys()
                .find(|k| k.starts_with(reference))
                .cloned();
        }
        None
    }

    /// Follows an annotated tag object to its commit.
    fn peel(&self, sha: &str) -> String {
        match self.tags.iter().find(|t| t.sha == sha) {
            Some(t) => t.object.clone(),
            None => sha.to_string(),
        }
    }

    /// Commits reachable from `head`, newest first (first-parent walk plus merged parents).
    pub fn history(&self, head: &str) -> Vec<&Commit> {
        let mut out: Vec<&Commit> = Vec::new();
        let mut stack = vec![head.to_string()];
        while let Some(sha) = stack.pop() {
            let Some(c) = self.commits.get(&sha) else {
                continue;
            };
            if out.iter().any(|o| o.sha == c.sha) {
                continue;
            }
            out.push(c);
            stack.extend(c.parents.iter().rev().cloned());
        }
        out.sort_by_key(|c| std::cmp::Reverse(c.date));
        out
    }

    /// The newest commit reachable from both `a` and `b` (falls back to `a`).
    pub fn merge_base(&self, a: &str, b: &str) -> String {
        let from_a: Vec<&str> = self.history(a).iter().map(|c| c.sha.as_str()).collect();
        self.history(b)
            .iter()
            .find(|c| from_a.contains(&c.sha.as_str()))
            .map_or_else(|| a.to_string(), |c| c.sha.clone())
    }

    /// Commits in `head` not in `base`, oldest first.
    pub fn commits_between(&self, base: &str, head: &str) -> Vec<&Commit> {
        let base_set: Vec<String> = self.history(base).iter().map(|c| c.sha.clone()).collect();
        let mut v: Vec<&Commit> = self
            .history(head)
            .into_iter()
            .filter(|c| !base_set.contains(&c.sha))
            .collect();
        v.reverse();
        v
    }
}

/// One changed file between two trees.
#[derive(Debug, Clone)]
pub(crate) struct FileChange {
    pub filename: String,
    pub previous_filename: Option<String>,
    pub status: &'static str,
    pub sha: String,
    pub additions: usize,
    pub deletions: usize,
    pub patch: Option<String>,
}

/// Compares two trees the way GitHub lists PR files: renames are removed+added pairs with the
/// same content.
pub(crate) fn diff_trees(
    base: &BTreeMap<String, Entry>,
    head: &BTreeMap<String, Entry>,
) -> Vec<FileChange> {
    let mut out = Vec::new();
    let removed: Vec<&String> = base.keys().filter(|p| !head.contains_key(*p)).collect();
    let mut renamed_from: Vec<&String> = Vec::new();
    for (path, entry) in head {
        match base.get(path) {
            Some(old) if old == entry => {}
            Some(old) => out.push(change(path, None, "modified", &old.content, entry)),
            None => {
                let from = removed
                    .iter()
                    .find(|r| !renamed_from.contains(r) && base[**r] == *entry);
                match from {
                    Some(from) => {
                        renamed_from.push(from);
                        out.push(change(path, Some(from), "renamed", &entry.content, entry));
                    }
                    None => out.push(change(path, None, "added", b"", entry)),
                }
            }
        }
    }
    for path in removed.into_iter().filter(|r| !renamed_from.contains(r)) {
        let gone = Entry {
            mode: base[path].mode.clone(),
            content: Vec::new(),
        };
        let mut c = change(path, None, "removed", &base[path].content, &gone);
        c.sha = base[path].sha();
        out.push(c);
    }
    out.sort_by(|a, b| a.filename.cmp(&b.filename));
    out
}

fn change(
    path: &str,
    from: Option<&str>,
    status: &'static str,
    old: &[u8],
    new: &Entry,
) -> FileChange {
    let texts = (!is_binary(old) && !is_binary(&new.content))
        .then(|| (std::str::from_utf8(old), std::str::from_utf8(&new.content)));
    let (mut patch, additions, deletions) = match texts {
        Some((Ok(a), Ok(b))) if a != b || status != "renamed" => unified(a, b),
        _ => (None, 0, 0),
    };
    // Like GitHub, a file's diff past 20,000 lines or 1 MB comes without its patch.
    if additions + deletions > 20_000 || patch.as_ref().is_some_and(|p| p.len() > 1_000_000) {
        patch = None;
    }
    FileChange {
        filename: path.to_string(),
        previous_filename: from.map(str::to_string),
        status,
        sha: new.sha(),
        additions,
        deletions,
        patch,
    }
}

/// Git's test for binary content: a NUL byte in the first 8,000 bytes. GitHub lists such a
/// file with `changes: 0` and no `patch`.
pub(crate) fn is_binary(content: &[u8]) -> bool {
    content.iter().take(8000).any(|b| *b == 0)
}

/// A one-hunk unified diff of two texts (LCS on lines); None when identical.
pub(crate) fn unified(old: &str, new: &str) -> (Option<String>, usize, usize) {
    if old == new {
        return (None, 0, 0);
    }
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = line_ops(&a, &b);
    let (mut adds, mut dels) = (0, 0);
    let mut body = String::new();
    for (op, line) in &ops {
        match op {
            '+' => adds += 1,
            '-' => dels += 1,
            _ => {}
        }
        body.push(*op);
        body.push_str(line);
        body.push('\n');
    }
    let start = |n: usize| usize::from(n > 0);
    let header = format!(
        "@@ -{},{} +{},{} @@\n",
        start(a.len()),
        a.len(),
        start(b.len()),
        b.len()
    );
    (
        Some(format!("{header}{}", body.trim_end_matches('\n'))),
        adds,
        dels,
    )
}

fn line_ops<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<(char, &'a str)> {
    if a.len() * b.len() > 4_000_000 {
        let mut v: Vec<(char, &str)> = a.iter().map(|l| ('-', *l)).collect();
        v.extend(b.iter().map(|l| ('+', *l)));
        return v;
    }
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push((' ', a[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(('-', a[i]));
            i += 1;
        } else {
            out.push(('+', b[j]));
            j += 1;
        }
    }
    out
}

impl Model {
    /// Commits `content` at `path` on `branch` (created from the default branch if missing);
    /// returns the new commit SHA.
    pub fn set_file(&mut self, repo: &str, branch: &str, path: &str, content: &str) -> String {
        self.write_entry(
            repo,
            branch,
            path,
            Some(Entry::file(content.as_bytes().to_vec())),
        )
    }

    /// Commits many files on `branch` in one commit; returns the new commit SHA.
    pub fn set_files(
        &mut self,
        repo: &str,
        branch: &str,
        files: &[(&str, &str)],
        message: &str,
    ) -> String {
        let ri = self.seed_ri(repo);
        let owner = self.repos[ri].owner.clone();
        self.commit_change(ri, branch, message, &owner, |tree| {
            for (path, content) in files {
                tree.insert(path.to_string(), Entry::file(content.as_bytes().to_vec()));
            }
        })
        .expect("emulator: set_files")
    }

    /// Commits many files on `branch` in one commit written by `author`; returns its SHA.
    pub fn set_files_by(
        &mut self,
        repo: &str,
        branch: &str,
        files: &[(&str, &str)],
        message: &str,
        author: &str,
    ) -> String {
        let ri = self.seed_ri(repo);
        self.add_user(author, super::UserKind::User);
        self.commit_change(ri, branch, message, author, |tree| {
            for (path, content) in files {
                tree.insert(path.to_string(), Entry::file(content.as_bytes().to_vec()));
            }
        })
        .expect("emulator: set_files_by")
    }

    /// Commits `files` on `branch` as a git identity (`Name <email>`) that no account has:
    /// GitHub shows such a commit with `author: null`. Returns its SHA.
    pub fn set_files_unlinked(
        &mut self,
        repo: &str,
        branch: &str,
        files: &[(&str, &str)],
        message: &str,
        identity: &str,
    ) -> String {
        let ri = self.seed_ri(repo);
        self.commit_change(ri, branch, message, identity, |tree| {
            for (path, content) in files {
                tree.insert(path.to_string(), Entry::file(content.as_bytes().to_vec()));
            }
        })
        .expect("emulator: set_files_unlinked")
    }

    /// Commits a deletion of `path` on `branch`; returns the new commit SHA.
    pub fn delete_file(&mut self, repo: &str, branch: &str, path: &str) -> String {
        self.write_entry(repo, branch, path, None)
    }

    /// Commits a symlink (mode 120000) at `path` pointing to `target`.
    pub fn set_symlink(&mut self, repo: &str, branch: &str, path: &str, target: &str) -> String {
        let e = Entry {
            mode: "120000".to_string(),
            content: target.as_bytes().to_vec(),
        };
        self.write_entry(repo, branch, path, Some(e))
    }

    /// Commits a submodule entry (mode 160000) at `path` pinned to `sha`.
    pub fn set_submodule(&mut self, repo: &str, branch: &str, path: &str, sha: &str) -> String {
        let e = Entry {
            mode: "160000".to_string(),
            content: sha.as_bytes().to_vec(),
        };
        self.write_entry(repo, branch, path, Some(e))
    }

    fn write_entry(
        &mut self,
        repo: &str,
        branch: &str,
        path: &str,
        entry: Option<Entry>,
    ) -> String {
        let ri = self.seed_ri(repo);
        let message = match &entry {
            Some(_) => format!("Update {path}"),
            None => format!("Delete {path}"),
        };
        let owner = self.repos[ri].owner.clone();
        self.commit_change(ri, branch, &message, &owner, |tree| match entry {
            Some(e) => {
                tree.insert(path.to_string(), e);
            }
            None => {
                tree.remove(path);
            }
        })
        .expect("emulator: set_file")
    }

    /// Applies `edit` to the tree of `branch` (or the default branch, when new), commits and
    /// moves the branch.
    pub(crate) fn commit_change(
        &mut self,
        ri: usize,
        branch: &str,
        message: &str,
        author: &str,
        edit: impl FnOnce(&mut BTreeMap<String, Entry>),
    ) -> Result<String, ApiError> {
        let now = self.now();
        let repo = &mut self.repos[ri];
        let full = format!("refs/heads/{branch}");
        let parent = match repo.git.refs.get(&full) {
            Some(sha) => sha.clone(),
            None => repo
                .git
                .resolve(&repo.default_branch)
                .ok_or_else(ApiError::not_found)?,
        };
        let mut tree = repo.git.commits[&parent].tree.clone();
        edit(&mut tree);
        let sha = repo.git.commit(tree, vec![parent], message, author, now);
        repo.git.refs.insert(full, sha.clone());
        self.sync_heads(ri);
        Ok(sha)
    }

    /// The SHA a branch points at.
    pub fn branch_sha(&self, repo: &str, branch: &str) -> Option<String> {
        let ri = self.find_repo(repo)?;
        self.repos[ri]
            .git
            .refs
            .get(&format!("refs/heads/{branch}"))
            .cloned()
    }

    /// The content of `path` at `reference`, as text.
    pub fn file_at(&self, repo: &str, reference: &str, path: &str) -> Option<String> {
        let g = &self.repos[self.find_repo(repo)?].git;
        let sha = g.resolve(reference)?;
        let e = g.commits.get(&sha)?.tree.get(path)?;
        String::from_utf8(e.content.clone()).ok()
    }

    /// Every ref of a repository (`refs/heads/main` → SHA).
    pub fn refs(&self, repo: &str) -> BTreeMap<String, String> {
        self.find_repo(repo)
            .map(|ri| self.repos[ri].git.refs.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unified_diff_counts_lines() {
        let (patch, adds, dels) = unified("a\nb\nc\n", "a\nB\nc\nd\n");
        assert_eq!((adds, dels), (2, 1));
        assert_eq!(patch.unwrap(), "@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d");
    }

    #[test]
    fn renames_pair_identical_content() {
        let mut base = BTreeMap::new();
        base.insert("src/auth/s.rs".to_string(), Entry::file(b"x\n".to_vec()));
        let mut head = BTreeMap::new();
        head.insert("src/util/s.rs".to_string(), Entry::file(b"x\n".to_vec()));
        let d = diff_trees(&base, &head);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].status, "renamed");
        assert_eq!(d[0].previous_filename.as_deref(), Some("src/auth/s.rs"));
    }

    #[test]
    fn a_nul_byte_makes_a_file_binary_with_no_patch_and_no_changes() {
        let mut base = BTreeMap::new();
        base.insert("data/x.sql".to_string(), Entry::file(b"a\n".to_vec()));
        let mut head = BTreeMap::new();
        let content = b"\0\nDELETE FROM users;\n".to_vec();
        head.insert("data/x.sql".to_string(), Entry::file(content));
        let d = diff_trees(&base, &head);
        assert_eq!(
            (d[0].additions, d[0].deletions, d[0].patch.clone()),
            (0, 0, None)
        );
        let late = [vec![b'a'; 8000], vec![0u8]].concat();
        assert!(!is_binary(&late), "only the first 8,000 bytes count");
    }
}
