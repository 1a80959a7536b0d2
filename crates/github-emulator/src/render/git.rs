//! JSON for commits, file diffs, contents, refs, tags and branches.

use base64::Engine;
use serde_json::{Value, json};

use super::WEB;
use crate::model::git::{Commit, FileChange, sha_of};
use crate::model::{Model, ts};

impl Model {
    /// A commit's git identity: `Name <email>` as written (a commit GitHub cannot link to an
    /// account), or a login with its noreply address.
    fn git_user(&self, login: &str, date: chrono::DateTime<chrono::Utc>) -> Value {
        if let Some((name, email)) = login.strip_suffix('>').and_then(|l| l.split_once(" <")) {
            return json!({"name": name, "email": email, "date": ts(date)});
        }
        json!({"name": login, "email": format!("{login}@users.noreply.github.com"), "date": ts(date)})
    }

    /// A `commit` object; `files` adds the diff against the first parent.
    pub(crate) fn commit_json(&self, ri: usize, c: &Commit, files: bool) -> Value {
        let api = self.repo_api(ri);
        let tree_sha = sha_of(&[
            &c.tree.keys().cloned().collect::<Vec<_>>().join("\n"),
            &c.sha,
        ]);
        let parents: Vec<Value> = c
            .parents
            .iter()
            .map(|p| json!({"sha": p, "url": format!("{api}/commits/{p}"), "html_url": format!("{}/commit/{p}", self.repo_html(ri))}))
            .collect();
        let author = self
            .user(&c.author)
            .map(|u| self.user_json(&u.login.clone()));
        let mut v = json!({
            "sha": c.sha, "node_id": format!("C_{}", &c.sha[..20]), "url": format!("{api}/commits/{}", c.sha),
            "html_url": format!("{}/commit/{}", self.repo_html(ri), c.sha),
            "comments_url": format!("{api}/commits/{}/comments", c.sha),
            "commit": {
                "url": format!("{api}/git/commits/{}", c.sha), "message": c.message, "comment_count": 0,
                "author": self.git_user(&c.author, c.date), "committer": self.git_user(&c.author, c.date),
                "tree": {"sha": tree_sha, "url": format!("{api}/git/trees/{tree_sha}")},
                "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null},
            },
            "author": author.clone().unwrap_or(Value::Null), "committer": author.unwrap_or(Value::Null),
            "parents": parents,
        });
        if files {
            let g = &self.repos[ri].git;
            let base = c
                .parents
                .first()
                .and_then(|p| g.commits.get(p))
                .map(|p| p.tree.clone())
                .unwrap_or_default();
            let changes = crate::model::git::diff_trees(&base, &c.tree);
            let (a, d) = changes
                .iter()
                .fold((0, 0), |(a, d), f| (a + f.additions, d + f.deletions));
            v["stats"] = json!({"additions": a, "deletions": d, "total": a + d});
            v["files"] = Value::Array(
                changes
                    .iter()
                    .map(|f| self.file_json(ri, f, &c.sha))
                    .collect(),
            );
        }
        v
    }

    /// A `diff-entry` object.
    pub(crate) fn file_json(&self, ri: usize, f: &FileChange, reference: &str) -> Value {
        let api = self.repo_api(ri);
        let html = self.repo_html(ri);
        let mut v = json!({
            "sha": f.sha, "filename": f.filename, "status": f.status,
            "additions": f.additions, "deletions": f.deletions, "changes": f.additions + f.deletions,
            "blob_url": format!("{html}/blob/{reference}/{}", f.filename),
            "raw_url": format!("{html}/raw/{reference}/{}", f.filename),
            "contents_url": format!("{api}/contents/{}?ref={reference}", f.filename),
        });
        if let Some(p) = &f.patch {
            v["patch"] = json!(p);
        }
        if let Some(p) = &f.previous_filename {
            v["previous_filename"] = json!(p);
        }
        v
    }

    /// The `contents` answer for one tree entry: file, symlink or submodule.
    pub(crate) fn content_json(
        &self,
        ri: usize,
        path: &str,
        reference: &str,
        e: &crate::model::git::Entry,
    ) -> Value {
        let api = self.repo_api(ri);
        let html = format!("{}/blob/{reference}/{path}", self.repo_html(ri));
        let sha = e.sha();
        let url = format!("{api}/contents/{path}?ref={reference}");
        let git_url = format!("{api}/git/blobs/{sha}");
        let name = path.rsplit('/').next().unwrap_or(path);
        let mut v = json!({
            "type": "file", "size": e.content.len(), "name": name, "path": path, "sha": sha,
            "url": url, "git_url": git_url, "html_url": html,
            "download_url": format!("https://raw.githubusercontent.com/{}/{reference}/{path}", self.repos[ri].full_name()),
            "_links": {"self": url, "git": git_url, "html": html},
        });
        let text = String::from_utf8_lossy(&e.content).into_owned();
        match e.mode.as_str() {
            "120000" => {
                v["type"] = json!("symlink");
                v["target"] = json!(text);
            }
            "160000" => {
                v["type"] = json!("submodule");
                v["sha"] = json!(text);
                v["submodule_git_url"] = json!(format!("{WEB}/{}.git", path));
                v["download_url"] = Value::Null;
            }
            _ => {
                v["encoding"] = json!("base64");
                v["content"] = json!(wrap76(
                    &base64::engine::general_purpose::STANDARD.encode(&e.content)
                ));
            }
        }
        v
    }

    /// A `git-ref` object.
    pub(crate) fn ref_json(&self, ri: usize, full: &str, sha: &str) -> Value {
        let api = self.repo_api(ri);
        let is_tag = self.repos[ri].git.tags.iter().any(|t| t.sha == sha);
        let (kind, obj_url) = if is_tag {
            ("tag", format!("{api}/git/tags/{sha}"))
        } else {
            ("commit", format!("{api}/git/commits/{sha}"))
        };
        json!({
            "ref": full, "node_id": format!("REF_{}", &sha_of(&[full])[..16]),
            "url": format!("{api}/git/{full}"),
            "object": {"type": kind, "sha": sha, "url": obj_url},
        })
    }

    /// A `git-tag` (annotated tag object).
    pub(crate) fn tag_object_json(&self, ri: usize, t: &crate::model::git::Tag) -> Value {
        let api = self.repo_api(ri);
        json!({
            "node_id": format!("TAG_{}", &t.sha[..16]), "tag": t.tag, "sha": t.sha,
            "url": format!("{api}/git/tags/{}", t.sha), "message": t.message,
            "tagger": self.git_user(&t.tagger, t.date),
            "object": {"sha": t.object, "type": "commit", "url": format!("{api}/git/commits/{}", t.object)},
            "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null},
        })
    }

    /// A `tag` list entry for `refs/tags/<name>`.
    pub(crate) fn tag_json(&self, ri: usize, name: &str, sha: &str) -> Value {
        let api = self.repo_api(ri);
        json!({
            "name": name, "node_id": format!("TAG_{}", &sha_of(&[name])[..16]),
            "commit": {"sha": sha, "url": format!("{api}/commits/{sha}")},
            "zipball_url": format!("{api}/zipball/refs/tags/{name}"),
            "tarball_url": format!("{api}/tarball/refs/tags/{name}"),
        })
    }

    /// A `branch-with-protection` object.
    pub(crate) fn branch_json(&self, ri: usize, name: &str, sha: &str) -> Value {
        let api = self.repo_api(ri);
        let g = &self.repos[ri].git;
        let commit = g
            .commits
            .get(sha)
            .map_or(Value::Null, |c| self.commit_json(ri, c, false));
        let protection = self.repos[ri].protections.get(name);
        json!({
            "name": name, "commit": commit, "protected": protection.is_some(),
            "_links": {"self": format!("{api}/branches/{name}"), "html": format!("{}/tree/{name}", self.repo_html(ri))},
            "protection": protection_summary(protection),
            "protection_url": format!("{api}/branches/{name}/protection"),
        })
    }
}

/// The `protection` summary a branch shows anyone who can read it: whether it is protected and
/// which status checks it requires (the full settings need admin).
fn protection_summary(protection: Option<&Value>) -> Value {
    let checks = protection.and_then(|p| p.pointer("/required_status_checks"));
    let listed = |key: &str| {
        checks
            .and_then(|c| c.get(key))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut contexts = listed("contexts");
    contexts.extend(
        listed("checks")
            .iter()
            .filter_map(|c| c.get("context").cloned()),
    );
    contexts.dedup();
    let admins = protection.is_some_and(|p| {
        p["enforce_admins"] == json!(true)
            || p.pointer("/enforce_admins/enabled") == Some(&json!(true))
    });
    let level = match (checks.filter(|c| !c.is_null()), admins) {
        (None, _) => "off",
        (Some(_), true) => "everyone",
        (Some(_), false) => "non_admins",
    };
    let pinned = listed("checks");
    let app_of = |c: &Value| {
        pinned
            .iter()
            .find(|p| p.get("context") == Some(c))
            .and_then(|p| p.get("app_id").cloned())
            .unwrap_or(Value::Null)
    };
    let checks: Vec<Value> = contexts
        .iter()
        .map(|c| json!({"context": c, "app_id": app_of(c)}))
        .collect();
    json!({"enabled": protection.is_some(), "required_status_checks": {
        "enforcement_level": level, "contexts": contexts, "checks": checks}})
}

/// Base64 wrapped at 76 columns with newlines, as the contents API returns it.
fn wrap76(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 76 + 1);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && i % 76 == 0 {
            out.push('\n');
        }
        out.push(c);
    }
    out.push('\n');
    out
}
