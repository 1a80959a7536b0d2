//! Issue routes: list/create/get/update, comments, assignees, events and the timeline.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{Route, r, repo_of};
use crate::http::{ApiError, Reply, Req, Res, page_of, paginate};
use crate::model::{Issue, Model, issues::NewIssue};

pub(crate) const ROUTES: &[Route] = &[
    r("GET", "/repos/{owner}/{repo}/issues", list),
    r("POST", "/repos/{owner}/{repo}/issues", create),
    r("GET", "/repos/{owner}/{repo}/issues/events", repo_events),
    r(
        "GET",
        "/repos/{owner}/{repo}/issues/comments/{comment_id}",
        get_comment,
    ),
    r(
        "PATCH",
        "/repos/{owner}/{repo}/issues/comments/{comment_id}",
        update_comment,
    ),
    r("GET", "/repos/{owner}/{repo}/issues/{issue_number}", get),
    r(
        "PATCH",
        "/repos/{owner}/{repo}/issues/{issue_number}",
        update,
    ),
    r(
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/assignees",
        add_assignees,
    ),
    r(
        "DELETE",
        "/repos/{owner}/{repo}/issues/{issue_number}/assignees",
        remove_assignees,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/issues/{issue_number}/assignees/{assignee}",
        check_assignee,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        list_comments,
    ),
    r(
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        create_comment,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/issues/{issue_number}/events",
        issue_events,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/issues/{issue_number}/timeline",
        timeline,
    ),
    r("GET", "/repos/{owner}/{repo}/assignees", list_assignees),
    r(
        "GET",
        "/repos/{owner}/{repo}/assignees/{assignee}",
        check_repo_assignee,
    ),
    r("GET", "/search/issues", search),
];

/// Whether an issue passes the list filters of `GET /issues`.
fn keep(model: &Model, ri: usize, i: &Issue, req: &Req, since: Option<DateTime<Utc>>) -> bool {
    let state_ok = match req.q("state").unwrap_or("open") {
        "closed" => !i.state_open,
        "all" => true,
        _ => i.state_open,
    };
    let labels_ok = req.q("labels").is_none_or(|ls| {
        ls.split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .all(|want| i.labels.iter().any(|have| have.eq_ignore_ascii_case(want)))
    });
    let milestone_ok = match req.q("milestone") {
        None => true,
        Some("*") => i.milestone.is_some(),
        Some("none") => i.milestone.is_none(),
        Some(n) => n.parse().ok() == i.milestone,
    };
    let assignee_ok = match req.q("assignee") {
        None => true,
        Some("*") => !i.assignees.is_empty(),
        Some("none") => i.assignees.is_empty(),
        Some(a) => i.assignees.iter().any(|x| x.eq_ignore_ascii_case(a)),
    };
    let creator_ok = req
        .q("creator")
        .is_none_or(|c| i.user.eq_ignore_ascii_case(c));
    let since_ok = since.is_none_or(|s| i.updated_at >= s);
    let _ = (model, ri);
    state_ok && labels_ok && milestone_ok && assignee_ok && creator_ok && since_ok
}

fn parse_since(req: &Req) -> Result<Option<DateTime<Utc>>, ApiError> {
    req.q("since")
        .map(|s| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| ApiError::invalid("Issue", "since", "invalid"))
        })
        .transpose()
}

fn sort_issues(items: &mut [&Issue], req: &Req) {
    match req.q("sort").unwrap_or("created") {
        "updated" => items.sort_by_key(|i| (i.updated_at, i.number)),
        _ => items.sort_by_key(|i| (i.created_at, i.number)),
    }
    if req.q("direction").unwrap_or("desc") != "asc" {
        items.reverse();
    }
}

fn list(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let since = parse_since(req)?;
    let mut items: Vec<&Issue> = m.repos[ri]
        .issues
        .iter()
        .filter(|i| i.gone.is_none() && keep(m, ri, i, req, since))
        .collect();
    sort_issues(&mut items, req);
    let (page, headers) = page_of(req, &m.base_url, items);
    let json = page.iter().map(|i| m.issue_json(ri, i)).collect();
    Ok(Reply {
        status: 200,
        body: Some(Value::Array(json)),
        headers,
    })
}

fn create(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let actor = req.actor()?.to_string();
    let title = req.need("title", "Issue")?.to_string();
    let milestone = req.body.get("milestone").and_then(Value::as_u64);
    let mut assignees = req.strings("assignees").unwrap_or_default();
    assignees.extend(req.str("assignee").map(str::to_string));
    let new = NewIssue {
        title: &title,
        body: req.str("body"),
        labels: req.strings("labels").unwrap_or_default(),
        assignees,
        milestone,
        author: &actor,
    };
    if milestone.is_some_and(|n| !m.repos[ri].milestones.iter().any(|x| x.number == n)) {
        return Err(ApiError::invalid("Issue", "milestone", "invalid"));
    }
    let n = m.new_issue(ri, new, None);
    Ok(Reply::created(m.issue_json_n(ri, n)))
}

fn get(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("issue_number")?;
    m.issue_ref(ri, n)?;
    Ok(Reply::ok(m.issue_json_n(ri, n)))
}

/// `PATCH /issues/{n}`: each present field is applied the way GitHub applies it.
fn update(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("issue_number")?;
    let actor = req.actor()?.to_string();
    m.issue_ref(ri, n)?;
    let body = req.body.get("body").map(|b| b.as_str());
    m.edit_text(ri, n, req.str("title"), body, &actor)?;
    if let Some(labels) = req.strings("labels") {
        m.set_labels(ri, n, &labels, &actor)?;
    }
    if let Some(want) = req.strings("assignees") {
        let current = m.issue_ref(ri, n)?.assignees.clone();
        let gone: Vec<String> = current
            .into_iter()
            .filter(|c| !want.iter().any(|w| w.eq_ignore_ascii_case(c)))
            .collect();
        m.remove_assignees(ri, n, &gone, &actor);
        m.add_assignees(ri, n, &want, &actor);
    }
    if let Some(ms) = req.body.get("milestone") {
        m.set_issue_milestone(ri, n, ms.as_u64(), &actor)?;
    }
    match req.str("state") {
        Some("closed") => m.set_state(ri, n, false, req.str("state_reason"), &actor)?,
        Some("open") => m.set_state(ri, n, true, None, &actor)?,
        Some(_) => return Err(ApiError::invalid("Issue", "state", "invalid")),
        None => {}
    }
    m.touch(ri, n);
    Ok(Reply::ok(m.issue_json_n(ri, n)))
}

fn add_assignees(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("issue_number")?;
    let actor = req.actor()?.to_string();
    m.issue_ref(ri, n)?;
    m.add_assignees(ri, n, &req.strings("assignees").unwrap_or_default(), &actor);
    Ok(Reply::created(m.issue_json_n(ri, n)))
}

fn remove_assignees(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("issue_number")?;
    let actor = req.actor()?.to_string();
    m.issue_ref(ri, n)?;
    m.remove_assignees(ri, n, &req.strings("assignees").unwrap_or_default(), &actor);
    Ok(Reply::ok(m.issue_json_n(ri, n)))
}

fn check_assignee(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    m.issue_ref(ri, req.num("issue_number")?)?;
    check(m, ri, req.param("assignee"))
}

fn check_repo_assignee(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    check(m, ri, req.param("assignee"))
}

fn check(m: &Model, ri: usize, login: &str) -> Res {
    if m.user(login).is_some() && m.assignable(ri, login) {
        Ok(Reply::no_content())
    } else {
        Err(ApiError::not_found())
    }
}

fn list_assignees(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let users = m.collaborators(ri).iter().map(|l| m.user_json(l)).collect();
    Ok(paginate(req, &m.base_url, users))
}

fn list_comments(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("issue_number")?;
    m.issue_ref(ri, n)?;
    let items = m.repos[ri]
        .comments
        .iter()
        .filter(|c| c.issue == n)
        .map(|c| m.comment_json(ri, c))
        .collect();
    Ok(paginate(req, &m.base_url, items))
}

fn create_comment(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("issue_number")?;
    let actor = req.actor()?.to_string();
    let body = req.need("body", "IssueComment")?.to_string();
    let id = m.new_comment(ri, n, &body, &actor)?;
    comment_reply(m, ri, id, 201)
}

fn comment_reply(m: &Model, ri: usize, id: u64, status: u16) -> Res {
    let c = m.repos[ri]
        .comments
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(ApiError::not_found)?;
    Ok(Reply::json(status, m.comment_json(ri, c)))
}

fn get_comment(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    comment_reply(m, ri, req.num("comment_id")?, 200)
}

fn update_comment(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let id = req.num("comment_id")?;
    let body = req.need("body", "IssueComment")?.to_string();
    let now = m.now();
    let c = m.repos[ri]
        .comments
        .iter_mut()
        .find(|c| c.id == id)
        .ok_or_else(ApiError::not_found)?;
    c.body = body;
    c.updated_at = now;
    comment_reply(m, ri, id, 200)
}

fn issue_events(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("issue_number")?;
    m.issue_ref(ri, n)?;
    let items = m.repos[ri]
        .events
        .iter()
        .filter(|e| e.issue == n)
        .map(|e| m.event_json(ri, e, false))
        .collect();
    Ok(paginate(req, &m.base_url, items))
}

/// Repository-level events: newest first, each with its issue embedded.
fn repo_events(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let items = m.repos[ri]
        .events
        .iter()
        .rev()
        .filter(|e| m.issue_ref(ri, e.issue).is_ok())
        .map(|e| m.event_json(ri, e, true))
        .collect();
    Ok(paginate(req, &m.base_url, items))
}

fn timeline(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("issue_number")?;
    m.issue_ref(ri, n)?;
    let items = m.timeline_json(ri, n);
    Ok(paginate(req, &m.base_url, items))
}

/// `GET /search/issues` for queries like `repo:o/r is:issue is:open label:x`.
fn search(m: &mut Model, req: &Req) -> Res {
    let q = req
        .q("q")
        .ok_or_else(|| ApiError::missing_field("Search", "q"))?;
    let terms: Vec<&str> = q.split_whitespace().collect();
    let repo = terms.iter().find_map(|t| t.strip_prefix("repo:"));
    let mut items = Vec::new();
    for (ri, r) in m.repos.iter().enumerate() {
        if repo.is_some_and(|name| !r.full_name().eq_ignore_ascii_case(name)) {
            continue;
        }
        for i in r
            .issues
            .iter()
            .filter(|i| i.gone.is_none() && search_keep(i, &terms))
        {
            let mut v = m.issue_json(ri, i);
            v["score"] = json!(1.0);
            if v["body"].is_null()
                && let Some(o) = v.as_object_mut()
            {
                o.remove("body");
            }
            items.push(v);
        }
    }
    let total = items.len();
    let (page, headers) = crate::http::page_of(req, &m.base_url, items);
    let mut reply = Reply::ok(
        json!({"total_count": total, "incomplete_results": false, "search_type": "lexical", "items": page}),
    );
    reply.headers = headers;
    Ok(reply)
}

fn search_keep(i: &Issue, terms: &[&str]) -> bool {
    terms.iter().all(|t| match t.split_once(':') {
        Some(("is" | "state", "open")) => i.state_open,
        Some(("is" | "state", "closed")) => !i.state_open,
        Some(("is" | "type", "issue")) => i.pull.is_none(),
        Some(("is" | "type", "pr")) => i.pull.is_some(),
        Some(("label", l)) => i
            .labels
            .iter()
            .any(|x| x.eq_ignore_ascii_case(l.trim_matches('"'))),
        Some(("-label", l)) => !i
            .labels
            .iter()
            .any(|x| x.eq_ignore_ascii_case(l.trim_matches('"'))),
        Some(("assignee", a)) => i.assignees.iter().any(|x| x.eq_ignore_ascii_case(a)),
        Some(("author", a)) => i.user.eq_ignore_ascii_case(a),
        Some(("no", "assignee")) => i.assignees.is_empty(),
        Some(_) => true,
        None => {
            let word = t.to_lowercase();
            i.title.to_lowercase().contains(&word)
                || i.body
                    .as_deref()
                    .unwrap_or("")
                    .to_lowercase()
                    .contains(&word)
        }
    })
}
