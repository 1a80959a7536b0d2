//! Deployments, deployment statuses and releases.

use serde_json::{Value, json};

use super::ci::opt;
use super::{Route, r, repo_of};
use crate::http::{ApiError, Reply, Req, Res, paginate};
use crate::model::{Asset, Deployment, DeploymentStatus, Model, Release};

pub(crate) const ROUTES: &[Route] = &[
    r("GET", "/repos/{owner}/{repo}/deployments", list_deployments),
    r(
        "POST",
        "/repos/{owner}/{repo}/deployments",
        create_deployment,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/deployments/{deployment_id}",
        get_deployment,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
        list_deployment_statuses,
    ),
    r(
        "POST",
        "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
        create_deployment_status,
    ),
    r("GET", "/repos/{owner}/{repo}/releases", list_releases),
    r("POST", "/repos/{owner}/{repo}/releases", create_release),
    r(
        "GET",
        "/repos/{owner}/{repo}/releases/latest",
        latest_release,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/releases/tags/{tag}",
        release_by_tag,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/releases/{release_id}",
        get_release,
    ),
    r(
        "PATCH",
        "/repos/{owner}/{repo}/releases/{release_id}",
        update_release,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/releases/{release_id}/assets",
        release_assets,
    ),
    r(
        "POST",
        "/repos/{owner}/{repo}/releases/{release_id}/assets",
        upload_asset,
    ),
];

fn list_deployments(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let items = m.repos[ri]
        .deployments
        .iter()
        .rev()
        .filter(|d| req.q("environment").is_none_or(|e| d.environment == e))
        .filter(|d| req.q("sha").is_none_or(|s| d.sha == s))
        .filter(|d| req.q("ref").is_none_or(|s| d.reference == s))
        .map(|d| m.deployment_json(ri, d))
        .collect();
    Ok(paginate(req, &m.base_url, items))
}

fn create_deployment(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let actor = req.actor()?.to_string();
    let reference = req.need("ref", "Deployment")?.to_string();
    let sha = m.repos[ri]
        .git
        .resolve(&reference)
        .ok_or_else(|| ApiError::unprocessable(&format!("No ref found for: {reference}")))?;
    let d = Deployment {
        id: m.next_id("deployment"),
        sha,
        reference,
        creator: actor,
        created_at: m.now(),
        task: req.str("task").unwrap_or("deploy").to_string(),
        environment: req.str("environment").unwrap_or("production").to_string(),
        description: opt(req, "description"),
        payload: req.body.get("payload").cloned().unwrap_or(json!({})),
    };
    m.repos[ri].deployments.push(d.clone());
    Ok(Reply::created(m.deployment_json(ri, &d)))
}

fn find_deployment(m: &Model, ri: usize, req: &Req) -> Result<usize, ApiError> {
    let id = req.num("deployment_id")?;
    m.repos[ri]
        .deployments
        .iter()
        .position(|d| d.id == id)
        .ok_or_else(ApiError::not_found)
}

fn get_deployment(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let i = find_deployment(m, ri, req)?;
    Ok(Reply::ok(
        m.deployment_json(ri, &m.repos[ri].deployments[i]),
    ))
}

fn list_deployment_statuses(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let id = m.repos[ri].deployments[find_deployment(m, ri, req)?].id;
    let items = m.repos[ri]
        .deployment_statuses
        .iter()
        .rev()
        .filter(|s| s.deployment == id)
        .map(|s| m.deployment_status_json(ri, s))
        .collect();
    Ok(paginate(req, &m.base_url, items))
}

fn create_deployment_status(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let actor = req.actor()?.to_string();
    let deployment = m.repos[ri].deployments[find_deployment(m, ri, req)?].id;
    let state = req.need("state", "DeploymentStatus")?.to_string();
    let valid = [
        "error",
        "failure",
        "inactive",
        "in_progress",
        "queued",
        "pending",
        "success",
    ];
    if !valid.contains(&state.as_str()) {
        return Err(ApiError::invalid("DeploymentStatus", "state", "invalid"));
    }
    let text = |k: &str| req.str(k).unwrap_or("").to_string();
    let s = DeploymentStatus {
        id: m.next_id("deployment"),
        deployment,
        state,
        creator: actor,
        created_at: m.now(),
        description: text("description"),
        environment_url: text("environment_url"),
        log_url: req
            .str("log_url")
            .or(req.str("target_url"))
            .unwrap_or("")
            .to_string(),
    };
    m.repos[ri].deployment_statuses.push(s.clone());
    Ok(Reply::created(m.deployment_status_json(ri, &s)))
}

fn list_releases(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let items = m.repos[ri]
        .releases
        .iter()
        .rev()
        .map(|r| m.release_json(ri, r))
        .collect();
    Ok(paginate(req, &m.base_url, items))
}

/// Creates a release; the tag is created at `target_commitish` when it does not exist.
fn create_release(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let actor = req.actor()?.to_string();
    let tag = req.need("tag_name", "Release")?.to_string();
    if m.repos[ri].releases.iter().any(|r| r.tag_name == tag) {
        return Err(ApiError::invalid("Release", "tag_name", "already_exists"));
    }
    let target = req
        .str("target_commitish")
        .unwrap_or(&m.repos[ri].default_branch)
        .to_string();
    let draft = req
        .body
        .get("draft")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let full = format!("refs/tags/{tag}");
    if !draft && !m.repos[ri].git.refs.contains_key(&full) {
        let sha = m.repos[ri]
            .git
            .resolve(&target)
            .ok_or_else(|| ApiError::invalid("Release", "target_commitish", "invalid"))?;
        m.repos[ri].git.refs.insert(full, sha);
    }
    let now = m.now();
    let r = Release {
        id: m.next_id("release"),
        tag_name: tag,
        target_commitish: target,
        name: opt(req, "name"),
        body: opt(req, "body"),
        draft,
        author: actor,
        created_at: now,
        assets: Vec::new(),
        published_at: (!draft).then_some(now),
        prerelease: req
            .body
            .get("prerelease")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    m.repos[ri].releases.push(r.clone());
    Ok(Reply::created(m.release_json(ri, &r)))
}

fn latest_release(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let r = m.repos[ri]
        .releases
        .iter()
        .filter(|r| !r.draft && !r.prerelease)
        .max_by_key(|r| (r.published_at, r.id))
        .ok_or_else(ApiError::not_found)?;
    Ok(Reply::ok(m.release_json(ri, r)))
}

fn release_by_tag(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let r = m.repos[ri]
        .releases
        .iter()
        .find(|r| r.tag_name == req.param("tag"))
        .ok_or_else(ApiError::not_found)?;
    Ok(Reply::ok(m.release_json(ri, r)))
}

fn find_release(m: &Model, ri: usize, req: &Req) -> Result<usize, ApiError> {
    let id = req.num("release_id")?;
    m.repos[ri]
        .releases
        .iter()
        .position(|r| r.id == id)
        .ok_or_else(ApiError::not_found)
}

fn get_release(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let i = find_release(m, ri, req)?;
    Ok(Reply::ok(m.release_json(ri, &m.repos[ri].releases[i])))
}

fn update_release(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let i = find_release(m, ri, req)?;
    let now = m.now();
    let r = &mut m.repos[ri].releases[i];
    if let Some(n) = req.body.get("name") {
        r.name = n.as_str().map(str::to_string);
    }
    if let Some(b) = req.body.get("body") {
        r.body = b.as_str().map(str::to_string);
    }
    if let Some(p) = req.body.get("prerelease").and_then(Value::as_bool) {
        r.prerelease = p;
    }
    if let Some(d) = req.body.get("draft").and_then(Value::as_bool) {
        r.draft = d;
        r.published_at = if d {
            None
        } else {
            r.published_at.or(Some(now))
        };
    }
    let r = r.clone();
    Ok(Reply::ok(m.release_json(ri, &r)))
}

fn release_assets(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let r = &m.repos[ri].releases[find_release(m, ri, req)?];
    let items = r.assets.iter().map(|a| m.asset_json(ri, r, a)).collect();
    Ok(paginate(req, &m.base_url, items))
}

/// Uploads an asset (the raw body; `name` and `label` in the query); 422 on a duplicate name.
fn upload_asset(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let actor = req.actor()?.to_string();
    let i = find_release(m, ri, req)?;
    let name = req
        .q("name")
        .ok_or_else(|| ApiError::missing_field("ReleaseAsset", "name"))?
        .to_string();
    if m.repos[ri].releases[i]
        .assets
        .iter()
        .any(|a| a.name == name)
    {
        return Err(ApiError::invalid("ReleaseAsset", "name", "already_exists"));
    }
    let asset = Asset {
        id: m.next_id("asset"),
        name,
        label: req.q("label").map(str::to_string),
        content_type: "application/octet-stream".to_string(),
        size: req.raw_len,
        uploader: actor,
        created_at: m.now(),
    };
    let r = &mut m.repos[ri].releases[i];
    r.assets.push(asset.clone());
    let r = r.clone();
    Ok(Reply::created(m.asset_json(ri, &r, &asset)))
}
