//! Native issue dependencies (`blocked_by`/`blocking`) and sub-issues.

use serde_json::Value;

use super::{Route, r, repo_of};
use crate::http::{ApiError, Reply, Req, Res, paginate};
use crate::model::Model;

pub(crate) const ROUTES: &[Route] = &[
    r(
        "GET",
        "/repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by",
        blocked_by,
    ),
    r(
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by",
        add_blocked_by,
    ),
    r(
        "DELETE",
        "/repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by/{issue_id}",
        remove_blocked_by,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocking",
        blocking,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/issues/{issue_number}/parent",
        parent,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues",
        list_subs,
    ),
    r(
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues",
        add_sub,
    ),
    r(
        "DELETE",
        "/repos/{owner}/{repo}/issues/{issue_number}/sub_issue",
        remove_sub,
    ),
    r(
        "PATCH",
        "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues/priority",
        reprioritize,
    ),
];

/// The database id of `{owner}/{repo}#{issue_number}`.
fn issue_id(m: &Model, req: &Req) -> Result<(usize, u64), ApiError> {
    let ri = repo_of(m, req)?;
    let id = m.issue_ref(ri, req.num("issue_number")?)?.id;
    Ok((ri, id))
}

fn body_id(req: &Req, key: &str) -> Result<u64, ApiError> {
    req.body
        .get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| ApiError::missing_field("Issue", key))
}

fn issues(m: &Model, ids: Vec<u64>) -> Vec<Value> {
    ids.into_iter()
        .map(|id| m.issue_json_by_id(id))
        .filter(|v| !v.is_null())
        .collect()
}

fn blocked_by(m: &mut Model, req: &Req) -> Res {
    let (_, id) = issue_id(m, req)?;
    let ids = m.deps.iter().filter(|d| d.0 == id).map(|d| d.1).collect();
    Ok(paginate(req, &m.base_url, issues(m, ids)))
}

fn blocking(m: &mut Model, req: &Req) -> Res {
    let (_, id) = issue_id(m, req)?;
    let ids = m.deps.iter().filter(|d| d.1 == id).map(|d| d.0).collect();
    Ok(paginate(req, &m.base_url, issues(m, ids)))
}

/// Answers 201 with the blocked issue, as GitHub does.
fn add_blocked_by(m: &mut Model, req: &Req) -> Res {
    let (ri, id) = issue_id(m, req)?;
    let blocker = body_id(req, "issue_id")?;
    m.block(id, blocker)?;
    let n = req.num("issue_number")?;
    m.touch(ri, n);
    Ok(Reply::created(m.issue_json_n(ri, n)))
}

fn remove_blocked_by(m: &mut Model, req: &Req) -> Res {
    let (ri, id) = issue_id(m, req)?;
    let blocker = req.num("issue_id")?;
    let before = m.deps.len();
    m.deps.retain(|d| *d != (id, blocker));
    if m.deps.len() == before {
        return Err(ApiError::not_found());
    }
    m.touch(ri, req.num("issue_number")?);
    Ok(Reply::ok(m.issue_json_by_id(blocker)))
}

fn parent(m: &mut Model, req: &Req) -> Res {
    let (_, id) = issue_id(m, req)?;
    let p = m
        .sub_issues
        .iter()
        .find(|s| s.1 == id)
        .map(|s| s.0)
        .ok_or_else(ApiError::not_found)?;
    Ok(Reply::ok(m.issue_json_by_id(p)))
}

fn list_subs(m: &mut Model, req: &Req) -> Res {
    let (_, id) = issue_id(m, req)?;
    let ids = m
        .sub_issues
        .iter()
        .filter(|s| s.0 == id)
        .map(|s| s.1)
        .collect();
    Ok(paginate(req, &m.base_url, issues(m, ids)))
}

fn add_sub(m: &mut Model, req: &Req) -> Res {
    let (ri, id) = issue_id(m, req)?;
    let child = body_id(req, "sub_issue_id")?;
    if m.issue_by_id(child).is_none() {
        return Err(ApiError::not_found());
    }
    if child == id || m.sub_issues.iter().any(|s| s.0 == id && s.1 == child) {
        return Err(ApiError::unprocessable("Sub-issue cannot be added"));
    }
    let has_parent = m.sub_issues.iter().any(|s| s.1 == child);
    if has_parent && req.body.get("replace_parent") != Some(&Value::Bool(true)) {
        return Err(ApiError::unprocessable(
            "Issue may not contain duplicate parents",
        ));
    }
    m.sub_issues.retain(|s| s.1 != child);
    m.sub_issues.push((id, child));
    Ok(Reply::created(m.issue_json_n(ri, req.num("issue_number")?)))
}

fn remove_sub(m: &mut Model, req: &Req) -> Res {
    let (ri, id) = issue_id(m, req)?;
    let child = body_id(req, "sub_issue_id")?;
    let before = m.sub_issues.len();
    m.sub_issues.retain(|s| *s != (id, child));
    if before == m.sub_issues.len() {
        return Err(ApiError::not_found());
    }
    Ok(Reply::ok(m.issue_json_n(ri, req.num("issue_number")?)))
}

/// Moves a sub-issue before or after a sibling.
fn reprioritize(m: &mut Model, req: &Req) -> Res {
    let (ri, id) = issue_id(m, req)?;
    let child = body_id(req, "sub_issue_id")?;
    let pos = m
        .sub_issues
        .iter()
        .position(|s| *s == (id, child))
        .ok_or_else(ApiError::not_found)?;
    let edge = m.sub_issues.remove(pos);
    let anchor = |key: &str| req.body.get(key).and_then(Value::as_u64);
    let at = match (anchor("after_id"), anchor("before_id")) {
        (Some(a), _) => m
            .sub_issues
            .iter()
            .position(|s| *s == (id, a))
            .map(|p| p + 1),
        (_, Some(b)) => m.sub_issues.iter().position(|s| *s == (id, b)),
        _ => None,
    };
    let Some(at) = at else {
        m.sub_issues.insert(pos, edge);
        return Err(ApiError::invalid("SubIssue", "after_id", "invalid"));
    };
    m.sub_issues.insert(at, edge);
    Ok(Reply::ok(m.issue_json_n(ri, req.num("issue_number")?)))
}
