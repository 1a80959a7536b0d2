//! CI and delivery routes: check runs, commit statuses, deployments, releases, Actions.

use serde_json::{Map, Value, json};

use super::{Route, r, repo_of};
use crate::emulator::http::{ApiError, Reply, Req, Res, page_of, paginate};
use crate::emulator::model::{CheckRun, Deployment, DeploymentStatus, Model, Release, Status};

pub(crate) const ROUTES: &[Route] = &[
    r("POST", "/repos/{owner}/{repo}/check-runs", create_check),
    r(
        "GET",
        "/repos/{owner}/{repo}/check-runs/{check_run_id}",
        get_check,
    ),
    r(
        "PATCH",
        "/repos/{owner}/{repo}/check-runs/{check_run_id}",
        update_check,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/commits/{ref}/check-runs",
        checks_for_ref,
    ),
    r(
        "POST",
        "/repos/{owner}/{repo}/statuses/{sha}",
        create_status,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/commits/{ref}/statuses",
        statuses_for_ref,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/commits/{ref}/status",
        combined_status,
    ),
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
        "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
        dispatch,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
        runs_for_workflow,
    ),
    r("GET", "/repos/{owner}/{repo}/actions/runs", list_runs),
    r(
        "GET",
        "/repos/{owner}/{repo}/actions/runs/{run_id}",
        get_run,
    ),
    r(
        "POST",
        "/repos/{owner}/{repo}/dispatches",
        repository_dispatch,
    ),
];

fn opt(req: &Req, key: &str) -> Option<String> {
    req.str(key).map(str::to_string)
}

/// Applies the mutable fields of a check-run body (status, conclusion, output, …).
fn apply_check(
    c: &mut CheckRun,
    req: &Req,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    if let Some(s) = req.str("status") {
        if ![
            "queued",
            "in_progress",
            "completed",
            "waiting",
            "requested",
            "pending",
        ]
        .contains(&s)
        {
            return Err(ApiError::invalid("CheckRun", "status", "invalid"));
        }
        c.status = s.to_string();
    }
    if let Some(k) = req.str("conclusion") {
        c.conclusion = Some(k.to_string());
        c.status = "completed".to_string();
    }
    if c.status == "completed" && c.conclusion.is_none() {
        return Err(ApiError::missing_field("CheckRun", "conclusion"));
    }
    if c.status == "completed" && c.completed_at.is_none() {
        c.completed_at = Some(now);
    }
    c.details_url = opt(req, "details_url").or(c.details_url.take());
    c.external_id = opt(req, "external_id").or(c.external_id.take());
    if let Some(o) = req.body.get("output") {
        let field = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
        c.title = field("title").or(c.title.take());
        c.summary = field("summary").or(c.summary.take());
        c.text = field("text").or(c.text.take());
    }
    Ok(())
}

fn create_check(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let name = req.need("name", "CheckRun")?.to_string();
    let head_sha = req.need("head_sha", "CheckRun")?.to_string();
    if !m.repos[ri].git.commits.contains_key(&head_sha) {
        return Err(ApiError::unprocessable(&format!(
            "No commit found for SHA: {head_sha}"
        )));
    }
    let now = m.now();
    let app_id = app_of_actor(m, req);
    let mut c = CheckRun {
        id: m.next_id("check"),
        name,
        head_sha,
        status: "queued".into(),
        conclusion: None,
        details_url: None,
        external_id: None,
        title: None,
        summary: None,
        text: None,
        started_at: now,
        completed_at: None,
        app_id,
    };
    apply_check(&mut c, req, now)?;
    m.repos[ri].checks.push(c.clone());
    Ok(Reply::created(m.check_json(ri, &c)))
}

/// The App behind the actor, when the actor is an App's bot.
fn app_of_actor(m: &Model, req: &Req) -> Option<u64> {
    let actor = req.actor.as_deref()?;
    m.apps
        .iter()
        .find(|a| a.bot_login().eq_ignore_ascii_case(actor))
        .map(|a| a.id)
}

fn find_check(m: &Model, ri: usize, req: &Req) -> Result<usize, ApiError> {
    let id = req.num("check_run_id")?;
    m.repos[ri]
        .checks
        .iter()
        .position(|c| c.id == id)
        .ok_or_else(ApiError::not_found)
}

fn get_check(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let i = find_check(m, ri, req)?;
    Ok(Reply::ok(m.check_json(ri, &m.repos[ri].checks[i])))
}

fn update_check(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let i = find_check(m, ri, req)?;
    let now = m.now();
    let mut c = m.repos[ri].checks[i].clone();
    if let Some(n) = req.str("name") {
        c.name = n.to_string();
    }
    apply_check(&mut c, req, now)?;
    m.repos[ri].checks[i] = c.clone();
    Ok(Reply::ok(m.check_json(ri, &c)))
}

fn checks_for_ref(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let sha = m.repos[ri]
        .git
        .resolve(req.param("ref"))
        .ok_or_else(ApiError::not_found)?;
    let mut runs: Vec<&CheckRun> = m.repos[ri]
        .checks
        .iter()
        .filter(|c| c.head_sha == sha && req.q("check_name").is_none_or(|n| c.name == n))
        .filter(|c| req.q("status").is_none_or(|s| c.status == s))
        .collect();
    if req.q("filter").unwrap_or("latest") == "latest" {
        let mut seen = Vec::new();
        runs.reverse();
        runs.retain(|c| {
            if seen.contains(&&c.name) {
                false
            } else {
                seen.push(&c.name);
                true
            }
        });
        runs.reverse();
    }
    let total = runs.len();
    let items = runs.iter().map(|c| m.check_json(ri, c)).collect();
    let (page, headers) = page_of(req, &m.base_url, items);
    let mut reply = Reply::ok(json!({"total_count": total, "check_runs": page}));
    reply.headers = headers;
    Ok(reply)
}

fn create_status(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let actor = req.actor()?.to_string();
    let sha = req.param("sha").to_string();
    let state = req.need("state", "Status")?.to_string();
    if !["error", "failure", "pending", "success"].contains(&state.as_str()) {
        return Err(ApiError::invalid("Status", "state", "custom"));
    }
    if !m.repos[ri].git.commits.contains_key(&sha) {
        return Err(ApiError::unprocessable(&format!(
            "No commit found for SHA: {sha}"
        )));
    }
    let s = Status {
        id: m.next_id("status"),
        sha,
        state,
        creator: actor,
        created_at: m.now(),
        context: req.str("context").unwrap_or("default").to_string(),
        description: opt(req, "description"),
        target_url: opt(req, "target_url"),
    };
    m.repos[ri].statuses.push(s.clone());
    Ok(Reply::created(m.status_json(ri, &s)))
}

fn statuses_of(m: &Model, ri: usize, req: &Req) -> Result<(String, Vec<Status>), ApiError> {
    let sha = m.repos[ri]
        .git
        .resolve(req.param("ref"))
        .ok_or_else(ApiError::not_found)?;
    let mut v: Vec<Status> = m.repos[ri]
        .statuses
        .iter()
        .filter(|s| s.sha == sha)
        .cloned()
        .collect();
    v.reverse();
    Ok((sha, v))
}

fn statuses_for_ref(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let (_, v) = statuses_of(m, ri, req)?;
    let items = v.iter().map(|s| m.status_json(ri, s)).collect();
    Ok(paginate(req, &m.base_url, items))
}

/// The latest status per context, combined: failure/error wins, then pending, then success.
fn combined_status(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let (sha, all) = statuses_of(m, ri, req)?;
    let mut latest: Vec<&Status> = Vec::new();
    for s in &all {
        if !latest.iter().any(|l| l.context == s.context) {
            latest.push(s);
        }
    }
    let state = if latest
        .iter()
        .any(|s| s.state == "failure" || s.state == "error")
    {
        "failure"
    } else if latest.is_empty() || latest.iter().any(|s| s.state == "pending") {
        "pending"
    } else {
        "success"
    };
    let api = m.repo_api(ri);
    Ok(Reply::ok(json!({
        "state": state, "sha": sha, "total_count": latest.len(),
        "statuses": latest.iter().map(|s| m.status_json(ri, s)).collect::<Vec<_>>(),
        "repository": m.repo_json(ri), "commit_url": format!("{api}/commits/{sha}"),
        "url": format!("{api}/commits/{sha}/status"),
    })))
}

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
    find_release(m, ri, req)?;
    Ok(paginate(req, &m.base_url, Vec::new()))
}

/// `workflow_dispatch`: 204, and a queued run whose title comes from the file's `run-name`.
fn dispatch(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let actor = req.actor()?.to_string();
    let reference = req.need("ref", "WorkflowDispatch")?.to_string();
    let inputs: Map<String, Value> = req
        .body
        .get("inputs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    m.dispatch_workflow(ri, req.param("workflow_id"), &reference, inputs, &actor)?;
    Ok(Reply::no_content())
}

fn runs_reply(m: &Model, ri: usize, req: &Req, workflow: Option<&str>) -> Res {
    let runs: Vec<Value> = m.repos[ri]
        .runs
        .iter()
        .rev()
        .filter(|w| {
            workflow.is_none_or(|f| {
                w.workflow == f
                    || crate::emulator::render::workflow_id(&w.workflow).to_string() == f
            })
        })
        .filter(|w| req.q("branch").is_none_or(|b| w.head_branch == b))
        .filter(|w| req.q("event").is_none_or(|e| w.event == e))
        .filter(|w| {
            req.q("status")
                .is_none_or(|s| w.status == s || w.conclusion.as_deref() == Some(s))
        })
        .filter(|w| {
            req.q("actor")
                .is_none_or(|a| w.actor.eq_ignore_ascii_case(a))
        })
        .filter(|w| req.q("head_sha").is_none_or(|s| w.head_sha == s))
        .map(|w| m.run_json(ri, w))
        .collect();
    let total = runs.len();
    let (page, headers) = page_of(req, &m.base_url, runs);
    let mut reply = Reply::ok(json!({"total_count": total, "workflow_runs": page}));
    reply.headers = headers;
    Ok(reply)
}

fn list_runs(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    runs_reply(m, ri, req, None)
}

fn runs_for_workflow(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    runs_reply(m, ri, req, Some(req.param("workflow_id")))
}

fn get_run(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let id = req.num("run_id")?;
    let w = m.repos[ri]
        .runs
        .iter()
        .find(|w| w.id == id)
        .ok_or_else(ApiError::not_found)?;
    Ok(Reply::ok(m.run_json(ri, w)))
}

fn repository_dispatch(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let event = req.need("event_type", "RepositoryDispatch")?.to_string();
    let payload = req.body.get("client_payload").cloned().unwrap_or(json!({}));
    m.repos[ri].repo_dispatches.push((event, payload));
    Ok(Reply::no_content())
}
