//! Check runs and commit statuses.

use serde_json::{Value, json};

use super::{Route, r, repo_of};
use crate::http::{ApiError, Reply, Req, Res, page_of, paginate};
use crate::model::{CheckRun, Model, Status};

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
];

pub(super) fn opt(req: &Req, key: &str) -> Option<String> {
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
    let app_id = Some(app_of_actor(m, req).unwrap_or(ACTIONS_APP_ID));
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

/// The GitHub Actions App: every check run not created by an installed App carries it.
pub(crate) const ACTIONS_APP_ID: u64 = 15368;

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
