//! Git routes: commits, compare, contents, refs, tags, merges, and the dependency-graph diff.

use base64::Engine;
use serde_json::{Value, json};

use super::{Route, r, repo_of};
use crate::http::{ApiError, Reply, Req, Res, page_of, paginate};
use crate::model::Model;
use crate::model::git::{Entry, diff_trees};

pub(crate) const ROUTES: &[Route] = &[
    r("GET", "/repos/{owner}/{repo}/commits", list_commits),
    r("GET", "/repos/{owner}/{repo}/commits/{ref}", get_commit),
    r("GET", "/repos/{owner}/{repo}/compare/{basehead*}", compare),
    r("GET", "/repos/{owner}/{repo}/contents/{path*}", get_content),
    // `contents/` with an empty path (the trailing slash is trimmed): the root folder.
    r("GET", "/repos/{owner}/{repo}/contents", get_content),
    r("PUT", "/repos/{owner}/{repo}/contents/{path*}", put_content),
    r("GET", "/repos/{owner}/{repo}/git/ref/{ref*}", get_ref),
    r(
        "GET",
        "/repos/{owner}/{repo}/git/matching-refs/{ref*}",
        matching_refs,
    ),
    r("POST", "/repos/{owner}/{repo}/git/refs", create_ref),
    r("PATCH", "/repos/{owner}/{repo}/git/refs/{ref*}", update_ref),
    r(
        "DELETE",
        "/repos/{owner}/{repo}/git/refs/{ref*}",
        delete_ref,
    ),
    r("POST", "/repos/{owner}/{repo}/git/tags", create_tag),
    r("GET", "/repos/{owner}/{repo}/tags", list_tags),
    r("POST", "/repos/{owner}/{repo}/merges", merge),
    r(
        "GET",
        "/repos/{owner}/{repo}/dependency-graph/compare/{basehead*}",
        dependency_diff,
    ),
];

fn resolve(m: &Model, ri: usize, reference: &str) -> Result<String, ApiError> {
    m.repos[ri]
        .git
        .resolve(reference)
        .ok_or_else(|| ApiError::new(404, &format!("No commit found for SHA: {reference}")))
}

fn list_commits(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let start = req
        .q("sha")
        .unwrap_or(&m.repos[ri].default_branch)
        .to_string();
    let head = resolve(m, ri, &start)?;
    let g = &m.repos[ri].git;
    let items = g
        .history(&head)
        .into_iter()
        .filter(|c| {
            req.q("path").is_none_or(|p| {
                let parent = c.parents.first().and_then(|s| g.commits.get(s));
                parent.map(|x| x.tree.get(p)) != Some(c.tree.get(p))
            })
        })
        .map(|c| m.commit_json(ri, c, false))
        .collect();
    Ok(paginate(req, &m.base_url, items))
}

fn get_commit(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let sha = resolve(m, ri, req.param("ref"))?;
    let c = &m.repos[ri].git.commits[&sha];
    Ok(Reply::ok(m.commit_json(ri, c, true)))
}

fn compare(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let (base_ref, head_ref) = req
        .param("basehead")
        .split_once("...")
        .ok_or_else(ApiError::not_found)?;
    let base = resolve(m, ri, base_ref)?;
    let head = resolve(m, ri, head_ref)?;
    let g = &m.repos[ri].git;
    let ahead = g.commits_between(&base, &head);
    let behind = g.commits_between(&head, &base).len();
    let status = match (ahead.len(), behind) {
        (0, 0) => "identical",
        (_, 0) => "ahead",
        (0, _) => "behind",
        _ => "diverged",
    };
    let merge_base = g.merge_base(&base, &head);
    let files: Vec<Value> = diff_trees(&g.commits[&merge_base].tree, &g.commits[&head].tree)
        .iter()
        .map(|f| m.file_json(ri, f, &head))
        .collect();
    let html = format!("{}/compare/{base_ref}...{head_ref}", m.repo_html(ri));
    let total = ahead.len();
    // Like GitHub: without `per_page`/`page` at most 250 commits, the newest; with them,
    // pages of the whole comparison (a Link header) and the files on the first page only.
    let paged = req.q("per_page").is_some() || req.q("page").is_some();
    let (listed, files, headers) = if paged {
        let first = req.q("page").is_none_or(|p| p == "1");
        let (page, headers) = page_of(req, &m.base_url, ahead);
        (page, if first { files } else { Vec::new() }, headers)
    } else {
        let newest = ahead[total.saturating_sub(COMPARE_UNPAGED_CAP)..].to_vec();
        (newest, files, Vec::new())
    };
    let commits: Vec<Value> = listed.iter().map(|c| m.commit_json(ri, c, false)).collect();
    let mut reply = Reply::ok(json!({
        "url": format!("{}/compare/{base_ref}...{head_ref}", m.repo_api(ri)),
        "html_url": html, "permalink_url": format!("{}/compare/{base}...{head}", m.repo_html(ri)),
        "diff_url": format!("{html}.diff"), "patch_url": format!("{html}.patch"),
        "base_commit": m.commit_json(ri, &g.commits[&base], false),
        "merge_base_commit": m.commit_json(ri, &g.commits[&merge_base], false),
        "status": status, "ahead_by": total, "behind_by": behind, "total_commits": total,
        "commits": commits,
        "files": files,
    }));
    reply.headers = headers;
    Ok(reply)
}

/// GitHub's limit on the commits of an unpaged compare.
pub const COMPARE_UNPAGED_CAP: usize = 250;

fn get_content(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let reference = req
        .q("ref")
        .unwrap_or(&m.repos[ri].default_branch)
        .to_string();
    let sha = resolve(m, ri, &reference)?;
    let tree = &m.repos[ri].git.commits[&sha].tree;
    let path = req.param("path").trim_matches('/');
    if let Some(e) = tree.get(path) {
        return Ok(Reply::ok(m.content_json(ri, path, &reference, e)));
    }
    // The root lists everything at the top.
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    };
    let mut names: Vec<(String, bool)> = tree
        .keys()
        .filter_map(|k| k.strip_prefix(&prefix))
        .map(|rest| match rest.split_once('/') {
            Some((dir, _)) => (dir.to_string(), true),
            None => (rest.to_string(), false),
        })
        .collect();
    names.dedup();
    if names.is_empty() {
        return Err(ApiError::not_found());
    }
    let items = names
        .iter()
        .map(|(name, is_dir)| {
            dir_entry(
                m,
                ri,
                &reference,
                &format!("{prefix}{name}"),
                *is_dir,
                tree.get(&format!("{prefix}{name}")),
            )
        })
        .collect();
    Ok(Reply::ok(Value::Array(items)))
}

fn dir_entry(
    m: &Model,
    ri: usize,
    reference: &str,
    path: &str,
    is_dir: bool,
    e: Option<&Entry>,
) -> Value {
    match (is_dir, e) {
        (false, Some(e)) => {
            let mut v = m.content_json(ri, path, reference, e);
            if let Some(o) = v.as_object_mut() {
                o.remove("content");
                o.remove("encoding");
            }
            v
        }
        _ => {
            let url = format!("{}/contents/{path}?ref={reference}", m.repo_api(ri));
            let html = format!("{}/tree/{reference}/{path}", m.repo_html(ri));
            let sha = crate::model::git::sha_of(&[path, reference]);
            json!({"type": "dir", "size": 0, "name": path.rsplit('/').next(), "path": path, "sha": sha,
                "url": url, "git_url": null, "html_url": html, "download_url": null,
                "_links": {"self": url, "git": null, "html": html}})
        }
    }
}

/// Creates or updates a file with a commit; `sha` must name the blob being replaced.
fn put_content(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let actor = req.actor()?.to_string();
    let path = req.param("path").trim_matches('/').to_string();
    let message = req.need("message", "Content")?.to_string();
    let encoded: String = req.need("content", "Content")?.split_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| ApiError::invalid("Content", "content", "invalid"))?;
    let branch = req
        .str("branch")
        .unwrap_or(&m.repos[ri].default_branch)
        .to_string();
    m.direct_push_allowed(ri, &branch, &actor)?;
    let current = resolve(m, ri, &branch)?;
    let existing = m.repos[ri].git.commits[&current]
        .tree
        .get(&path)
        .map(Entry::sha);
    match (&existing, req.str("sha")) {
        (Some(_), None) => {
            return Err(ApiError::unprocessable(
                "Invalid request.\n\n\"sha\" wasn't supplied.",
            ));
        }
        (Some(old), Some(given)) if old != given => {
            return Err(ApiError::new(
                409,
                &format!("{path} does not match {given}"),
            ));
        }
        _ => {}
    }
    let entry = Entry::file(bytes);
    let e2 = entry.clone();
    let sha = m.commit_change(ri, &branch, &message, &actor, |t| {
        t.insert(path.clone(), e2);
    })?;
    let mut content = m.content_json(ri, &path, &branch, &entry);
    if let Some(o) = content.as_object_mut() {
        o.remove("content");
        o.remove("encoding");
    }
    let commit = m.commit_json(ri, &m.repos[ri].git.commits[&sha], false);
    let body = json!({"content": content, "commit": {
        "sha": sha, "node_id": commit["node_id"], "url": commit["commit"]["url"], "html_url": commit["html_url"],
        "author": commit["commit"]["author"], "committer": commit["commit"]["committer"],
        "message": message, "tree": commit["commit"]["tree"], "parents": commit["parents"],
        "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null}}});
    Ok(Reply::json(
        if existing.is_some() { 200 } else { 201 },
        body,
    ))
}

fn get_ref(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let full = format!("refs/{}", req.param("ref"));
    let sha = m.repos[ri]
        .git
        .refs
        .get(&full)
        .ok_or_else(ApiError::not_found)?;
    Ok(Reply::ok(m.ref_json(ri, &full, sha)))
}

fn matching_refs(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let prefix = format!("refs/{}", req.param("ref"));
    let items: Vec<Value> = m.repos[ri]
        .git
        .refs
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(k, v)| m.ref_json(ri, k, v))
        .collect();
    Ok(Reply::ok(Value::Array(items)))
}

fn create_ref(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let full = req.need("ref", "Reference")?.to_string();
    let sha = req.need("sha", "Reference")?.to_string();
    if !full.starts_with("refs/") || full.matches('/').count() < 2 {
        return Err(ApiError::unprocessable("Reference name is not valid"));
    }
    let g = &mut m.repos[ri].git;
    if g.refs.contains_key(&full) {
        return Err(ApiError::unprocessable("Reference already exists"));
    }
    if !g.commits.contains_key(&sha) && !g.tags.iter().any(|t| t.sha == sha) {
        return Err(ApiError::unprocessable("Object does not exist"));
    }
    g.refs.insert(full.clone(), sha.clone());
    Ok(Reply::created(m.ref_json(ri, &full, &sha)))
}

/// Moves a ref; without `force` only fast-forwards are allowed.
fn update_ref(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let full = format!("refs/{}", req.param("ref"));
    let sha = req.need("sha", "Reference")?.to_string();
    let force = req
        .body
        .get("force")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    m.direct_push_allowed(ri, &full, req.actor()?)?;
    let g = &m.repos[ri].git;
    let old = g
        .refs
        .get(&full)
        .cloned()
        .ok_or_else(|| ApiError::unprocessable("Reference does not exist"))?;
    if !g.commits.contains_key(&sha) {
        return Err(ApiError::unprocessable("Object does not exist"));
    }
    if !force && !g.history(&sha).iter().any(|c| c.sha == old) {
        return Err(ApiError::unprocessable("Update is not a fast forward"));
    }
    m.repos[ri].git.refs.insert(full.clone(), sha.clone());
    m.sync_heads(ri);
    Ok(Reply::ok(m.ref_json(ri, &full, &sha)))
}

fn delete_ref(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let full = format!("refs/{}", req.param("ref"));
    m.direct_push_allowed(ri, &full, req.actor()?)?;
    m.repos[ri]
        .git
        .refs
        .remove(&full)
        .ok_or_else(|| ApiError::unprocessable("Reference does not exist"))?;
    Ok(Reply::no_content())
}

fn create_tag(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let actor = req.actor()?.to_string();
    let tag = req.need("tag", "Tag")?.to_string();
    let message = req.need("message", "Tag")?.to_string();
    let object = req.need("object", "Tag")?.to_string();
    if !m.repos[ri].git.commits.contains_key(&object) {
        return Err(ApiError::unprocessable("Object does not exist"));
    }
    let tagger = req
        .body
        .pointer("/tagger/name")
        .and_then(Value::as_str)
        .unwrap_or(&actor)
        .to_string();
    let now = m.now();
    let sha = crate::model::git::sha_of(&["tag", &tag, &message, &object, &tagger]);
    let t = crate::model::git::Tag {
        sha,
        tag,
        message,
        object,
        tagger,
        date: now,
    };
    m.repos[ri].git.tags.push(t.clone());
    Ok(Reply::created(m.tag_object_json(ri, &t)))
}

fn list_tags(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let g = &m.repos[ri].git;
    let mut tags: Vec<(String, String)> = g
        .refs
        .keys()
        .filter_map(|k| {
            k.strip_prefix("refs/tags/")
                .map(|n| (n.to_string(), g.resolve(k).unwrap_or_default()))
        })
        .collect();
    tags.reverse();
    let items = tags.iter().map(|(n, s)| m.tag_json(ri, n, s)).collect();
    Ok(paginate(req, &m.base_url, items))
}

/// `POST /merges`: 204 when head is already in base, else a merge commit on base.
fn merge(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let actor = req.actor()?.to_string();
    let base_name = req.need("base", "Merge")?.to_string();
    m.direct_push_allowed(ri, &base_name, &actor)?;
    let base = resolve(m, ri, &base_name).map_err(|_| ApiError::new(404, "Base does not exist"))?;
    let head = resolve(m, ri, req.need("head", "Merge")?)
        .map_err(|_| ApiError::new(404, "Head does not exist"))?;
    let g = &mut m.repos[ri].git;
    if g.history(&base).iter().any(|c| c.sha == head) {
        return Ok(Reply::no_content());
    }
    let mut tree = g.commits[&base].tree.clone();
    tree.extend(g.commits[&head].tree.clone());
    let msg = req
        .str("commit_message")
        .map_or_else(|| format!("Merge {head} into {base_name}"), str::to_string);
    let now = m.now();
    let g = &mut m.repos[ri].git;
    let sha = g.commit(tree, vec![base, head], &msg, &actor, now);
    g.refs
        .insert(format!("refs/heads/{base_name}"), sha.clone());
    m.sync_heads(ri);
    let c = &m.repos[ri].git.commits[&sha];
    Ok(Reply::created(m.commit_json(ri, c, false)))
}

fn dependency_diff(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let (base, head) = req
        .param("basehead")
        .split_once("...")
        .ok_or_else(ApiError::not_found)?;
    resolve(m, ri, base)?;
    resolve(m, ri, head)?;
    Ok(Reply::ok(json!([])))
}
