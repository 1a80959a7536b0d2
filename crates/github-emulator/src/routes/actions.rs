//! GitHub Actions: workflow dispatch, workflow runs, and repository dispatch.

use serde_json::{Map, Value, json};

use super::{Route, r, repo_of};
use crate::http::{ApiError, Reply, Req, Res, page_of};
use crate::model::Model;

pub(crate) const ROUTES: &[Route] = &[
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

/// `workflow_dispatch`: a queued run whose title comes from the file's `run-name`; 204, or
/// 200 with the run's id and URLs when the request sets `return_run_details`.
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
    let id = m.dispatch_workflow(ri, req.param("workflow_id"), &reference, inputs, &actor)?;
    if req.body.get("return_run_details").and_then(Value::as_bool) != Some(true) {
        return Ok(Reply::no_content());
    }
    Ok(Reply::ok(json!({
        "workflow_run_id": id,
        "run_url": format!("{}/actions/runs/{id}", m.repo_api(ri)),
        "html_url": format!("{}/actions/runs/{id}", m.repo_html(ri)),
    })))
}

fn runs_reply(m: &Model, ri: usize, req: &Req, workflow: Option<&str>) -> Res {
    let runs: Vec<Value> = m.repos[ri]
        .runs
        .iter()
        .rev()
        .filter(|w| {
            workflow.is_none_or(|f| {
                w.workflow == f || crate::render::workflow_id(&w.workflow).to_string() == f
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
