//! Label routes (repository labels and an issue's labels) and milestone routes.

use serde_json::Value;

use super::{Route, r, repo_of};
use crate::http::{ApiError, Reply, Req, Res, paginate};
use crate::model::Model;

pub(crate) const ROUTES: &[Route] = &[
    r(
        "GET",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels",
        issue_labels,
    ),
    r(
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels",
        add,
    ),
    r(
        "PUT",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels",
        set,
    ),
    r(
        "DELETE",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels",
        remove_all,
    ),
    r(
        "DELETE",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
        remove,
    ),
    r("GET", "/repos/{owner}/{repo}/labels", list_repo),
    r("POST", "/repos/{owner}/{repo}/labels", create_label),
    r("GET", "/repos/{owner}/{repo}/labels/{name}", get_label),
    r("PATCH", "/repos/{owner}/{repo}/labels/{name}", update_label),
    r(
        "DELETE",
        "/repos/{owner}/{repo}/labels/{name}",
        delete_label,
    ),
    r("GET", "/repos/{owner}/{repo}/milestones", list_milestones),
    r("POST", "/repos/{owner}/{repo}/milestones", create_milestone),
    r(
        "GET",
        "/repos/{owner}/{repo}/milestones/{milestone_number}",
        get_milestone,
    ),
    r(
        "PATCH",
        "/repos/{owner}/{repo}/milestones/{milestone_number}",
        update_milestone,
    ),
];

fn labels_of(m: &Model, ri: usize, n: u64) -> Result<Vec<Value>, ApiError> {
    let i = m.issue_ref(ri, n)?;
    Ok(i.labels.iter().map(|l| m.label_json(ri, l)).collect())
}

fn issue_labels(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let items = labels_of(m, ri, req.num("issue_number")?)?;
    Ok(paginate(req, &m.base_url, items))
}

/// The label names of an add/set body: `{"labels": [...]}` or a bare array.
fn names(req: &Req) -> Result<Vec<String>, ApiError> {
    req.strings("labels")
        .or_else(|| req.body.is_array().then(|| req.strings("")).flatten())
        .ok_or_else(|| ApiError::missing_field("Label", "labels"))
}

fn add(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("issue_number")?;
    let actor = req.actor()?.to_string();
    m.add_labels(ri, n, &names(req)?, &actor)?;
    Ok(Reply::ok(Value::Array(labels_of(m, ri, n)?)))
}

fn set(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("issue_number")?;
    let actor = req.actor()?.to_string();
    m.set_labels(ri, n, &names(req)?, &actor)?;
    Ok(Reply::ok(Value::Array(labels_of(m, ri, n)?)))
}

fn remove_all(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("issue_number")?;
    let actor = req.actor()?.to_string();
    m.set_labels(ri, n, &[], &actor)?;
    Ok(Reply::no_content())
}

fn remove(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("issue_number")?;
    let actor = req.actor()?.to_string();
    m.remove_label_inner(ri, n, req.param("name"), &actor)?;
    Ok(Reply::ok(Value::Array(labels_of(m, ri, n)?)))
}

fn list_repo(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let names: Vec<String> = m.repos[ri].labels.iter().map(|l| l.name.clone()).collect();
    let items = names.iter().map(|n| m.label_json(ri, n)).collect();
    Ok(paginate(req, &m.base_url, items))
}

fn create_label(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let name = req.need("name", "Label")?.to_string();
    if m.label_ref(ri, &name).is_some() {
        return Err(ApiError::invalid("Label", "name", "already_exists"));
    }
    m.ensure_label(ri, &name);
    apply_label_fields(m, ri, &name, req)?;
    Ok(Reply::created(m.label_json(ri, &name)))
}

fn apply_label_fields(m: &mut Model, ri: usize, name: &str, req: &Req) -> Result<String, ApiError> {
    let color = req
        .str("color")
        .map(|c| c.trim_start_matches('#').to_lowercase());
    if color
        .as_ref()
        .is_some_and(|c| c.len() != 6 || !c.chars().all(|x| x.is_ascii_hexdigit()))
    {
        return Err(ApiError::invalid("Label", "color", "invalid"));
    }
    let label = m.repos[ri]
        .labels
        .iter_mut()
        .find(|l| l.name.eq_ignore_ascii_case(name))
        .ok_or_else(ApiError::not_found)?;
    if let Some(c) = color {
        label.color = c;
    }
    if let Some(d) = req.body.get("description") {
        label.description = d.as_str().map(str::to_string);
    }
    if let Some(new) = req.str("new_name") {
        label.name = new.to_string();
    }
    Ok(label.name.clone())
}

fn get_label(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let name = req.param("name");
    m.label_ref(ri, name).ok_or_else(ApiError::not_found)?;
    Ok(Reply::ok(m.label_json(ri, name)))
}

fn update_label(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let old = req.param("name").to_string();
    let new = apply_label_fields(m, ri, &old, req)?;
    if new != old {
        for i in m.repos[ri].issues.iter_mut() {
            for l in i.labels.iter_mut().filter(|l| l.eq_ignore_ascii_case(&old)) {
                *l = new.clone();
            }
        }
    }
    Ok(Reply::ok(m.label_json(ri, &new)))
}

fn delete_label(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let name = req.param("name").to_string();
    m.label_ref(ri, &name).ok_or_else(ApiError::not_found)?;
    m.repos[ri]
        .labels
        .retain(|l| !l.name.eq_ignore_ascii_case(&name));
    for i in m.repos[ri].issues.iter_mut() {
        i.labels.retain(|l| !l.eq_ignore_ascii_case(&name));
    }
    Ok(Reply::no_content())
}

fn list_milestones(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let state = req.q("state").unwrap_or("open");
    let mut numbers: Vec<u64> = m.repos[ri]
        .milestones
        .iter()
        .filter(|x| state == "all" || (state == "closed") != x.open)
        .map(|x| x.number)
        .collect();
    if req.q("direction") == Some("desc") {
        numbers.reverse();
    }
    let items = numbers.iter().map(|n| m.milestone_json(ri, *n)).collect();
    Ok(paginate(req, &m.base_url, items))
}

fn create_milestone(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let actor = req.actor()?.to_string();
    let title = req.need("title", "Milestone")?.to_string();
    let n = m.new_milestone(ri, &title, req.str("description"), &actor)?;
    if let Some(due) = req.str("due_on") {
        m.repos[ri].milestones[n as usize - 1].due_on = Some(due.to_string());
    }
    if req.str("state") == Some("closed") {
        set_milestone_state(m, ri, n, false);
    }
    Ok(Reply::created(m.milestone_json(ri, n)))
}

fn get_milestone(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("milestone_number")?;
    match m.milestone_json(ri, n) {
        Value::Null => Err(ApiError::not_found()),
        v => Ok(Reply::ok(v)),
    }
}

fn set_milestone_state(m: &mut Model, ri: usize, n: u64, open: bool) {
    let now = m.now();
    if let Some(ms) = m.repos[ri].milestones.iter_mut().find(|x| x.number == n) {
        ms.open = open;
        ms.closed_at = (!open).then_some(now);
        ms.updated_at = now;
    }
}

fn update_milestone(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("milestone_number")?;
    let now = m.now();
    let ms = m.repos[ri]
        .milestones
        .iter_mut()
        .find(|x| x.number == n)
        .ok_or_else(ApiError::not_found)?;
    if let Some(t) = req.str("title") {
        ms.title = t.to_string();
    }
    if let Some(d) = req.body.get("description") {
        ms.description = d.as_str().map(str::to_string);
    }
    if let Some(d) = req.body.get("due_on") {
        ms.due_on = d.as_str().map(str::to_string);
    }
    ms.updated_at = now;
    match req.str("state") {
        Some("closed") => set_milestone_state(m, ri, n, false),
        Some("open") => set_milestone_state(m, ri, n, true),
        Some(_) => return Err(ApiError::invalid("Milestone", "state", "invalid")),
        None => {}
    }
    Ok(Reply::ok(m.milestone_json(ri, n)))
}
