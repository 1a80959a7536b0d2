//! Pull request routes: list/create/get/update, files, commits, merge, reviews, reviewers.

use serde_json::{Value, json};

use super::{Route, r, repo_of};
use crate::http::{ApiError, Reply, Req, Res, page_with_cap, paginate};
use crate::model::issues::NewIssue;
use crate::model::{Model, ReviewState};

pub(crate) const ROUTES: &[Route] = &[
    r("GET", "/repos/{owner}/{repo}/pulls", list),
    r("POST", "/repos/{owner}/{repo}/pulls", create),
    r("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", get),
    r("PATCH", "/repos/{owner}/{repo}/pulls/{pull_number}", update),
    r(
        "GET",
        "/repos/{owner}/{repo}/pulls/{pull_number}/commits",
        commits,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/pulls/{pull_number}/files",
        files,
    ),
    r(
        "PUT",
        "/repos/{owner}/{repo}/pulls/{pull_number}/merge",
        merge,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
        reviewers,
    ),
    r(
        "POST",
        "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
        request_reviewers,
    ),
    r(
        "DELETE",
        "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
        unrequest_reviewers,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
        reviews,
    ),
    r(
        "POST",
        "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
        create_review,
    ),
    r(
        "PUT",
        "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals",
        dismiss,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/pulls/{pull_number}/comments",
        review_comments,
    ),
    r(
        "PUT",
        "/repos/{owner}/{repo}/pulls/{pull_number}/update-branch",
        update_branch,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/commits/{commit_sha}/pulls",
        for_commit,
    ),
];

fn list(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let state = req.q("state").unwrap_or("open");
    let head = req
        .q("head")
        .map(|h| h.rsplit(':').next().unwrap_or(h).to_string());
    let mut numbers: Vec<u64> = m.repos[ri]
        .issues
        .iter()
        .filter(|i| {
            let Some(p) = &i.pull else { return false };
            let state_ok = state == "all" || (state == "open") == i.state_open;
            state_ok
                && head.as_ref().is_none_or(|h| &p.head_ref == h)
                && req.q("base").is_none_or(|b| p.base_ref == b)
        })
        .map(|i| i.number)
        .collect();
    if req.q("direction").unwrap_or("desc") == "desc" {
        numbers.reverse();
    }
    let items = numbers.iter().map(|n| m.pull_json(ri, *n)).collect();
    Ok(paginate(req, &m.base_url, items))
}

fn create(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let actor = req.actor()?.to_string();
    let title = req.need("title", "PullRequest")?.to_string();
    let head = req.need("head", "PullRequest")?;
    let head = head.rsplit(':').next().unwrap_or(head).to_string();
    let base = req.need("base", "PullRequest")?.to_string();
    let draft = req
        .body
        .get("draft")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let new = NewIssue {
        title: &title,
        body: req.str("body"),
        labels: Vec::new(),
        assignees: Vec::new(),
        milestone: None,
        author: &actor,
    };
    let n = m.open_pull(ri, &head, &base, new, draft)?;
    Ok(Reply::created(m.pull_json(ri, n)))
}

fn get(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("pull_number")?;
    m.pull_ref(ri, n)?;
    Ok(Reply::ok(m.pull_json(ri, n)))
}

fn update(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("pull_number")?;
    let actor = req.actor()?.to_string();
    if let Some(base) = req.str("base") {
        if !m.repos[ri]
            .git
            .refs
            .contains_key(&format!("refs/heads/{base}"))
        {
            return Err(ApiError::invalid("PullRequest", "base", "invalid"));
        }
        m.pull_mut(ri, n)?.base_ref = base.to_string();
    }
    m.pull_ref(ri, n)?;
    if let Some(t) = req.str("title") {
        m.issue_mut(ri, n)?.title = t.to_string();
    }
    if let Some(b) = req.body.get("body") {
        m.issue_mut(ri, n)?.body = b.as_str().map(str::to_string);
    }
    match req.str("state") {
        Some("closed") => m.set_state(ri, n, false, None, &actor)?,
        Some("open") => m.set_state(ri, n, true, None, &actor)?,
        _ => {}
    }
    m.touch(ri, n);
    Ok(Reply::ok(m.pull_json(ri, n)))
}

fn commits(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let p = m.pull_ref(ri, req.num("pull_number")?)?;
    let base = match &p.merge_commit_sha {
        Some(mc) => m.repos[ri].git.commits[mc].parents[0].clone(),
        None => m.base_sha(ri, p),
    };
    let g = &m.repos[ri].git;
    let items = g
        .commits_between(&base, &p.head_sha)
        .into_iter()
        .map(|c| m.commit_json(ri, c, false))
        .collect();
    // Like GitHub, the list stops at 250 commits; the compare API lists the rest.
    let (page, headers) = page_with_cap(req, &m.base_url, items, 250);
    let mut reply = Reply::ok(Value::Array(page));
    reply.headers = headers;
    Ok(reply)
}

/// Files of a pull request, paginated; like GitHub, only the first 3000 are listed.
fn files(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("pull_number")?;
    let head = m.pull_ref(ri, n)?.head_sha.clone();
    let files = m.pull_files(ri, n)?;
    // Cut the page first: a page of a long list renders only its own files.
    let (page, headers) = page_with_cap(req, &m.base_url, files.iter().collect(), 3000);
    let page = page
        .into_iter()
        .map(|f| m.file_json(ri, f, &head))
        .collect();
    let mut reply = Reply::ok(Value::Array(page));
    reply.headers = headers;
    Ok(reply)
}

fn merge(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("pull_number")?;
    let actor = req.actor()?.to_string();
    let squash = match req.str("merge_method").unwrap_or("merge") {
        "merge" | "rebase" => false,
        "squash" => true,
        _ => return Err(ApiError::invalid("PullRequest", "merge_method", "invalid")),
    };
    let sha = m.merge_with(ri, n, req.str("sha"), &actor, squash)?;
    Ok(Reply::ok(
        json!({"sha": sha, "merged": true, "message": "Pull Request successfully merged"}),
    ))
}

fn reviewers(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let p = m.pull_ref(ri, req.num("pull_number")?)?;
    let users: Vec<Value> = p
        .requested_reviewers
        .iter()
        .map(|r| m.user_json(r))
        .collect();
    Ok(Reply::ok(json!({"users": users, "teams": []})))
}

fn request_reviewers(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("pull_number")?;
    let author = m.issue_ref(ri, n)?.user.clone();
    let wanted = req.strings("reviewers").unwrap_or_default();
    if wanted.iter().any(|w| w.eq_ignore_ascii_case(&author)) {
        return Err(ApiError::unprocessable(
            "Review cannot be requested from pull request author.",
        ));
    }
    if wanted.iter().any(|w| m.permission_of(ri, w).is_none()) {
        return Err(ApiError::unprocessable(
            "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the repository.",
        ));
    }
    let p = m.pull_mut(ri, n)?;
    for w in wanted {
        if !p
            .requested_reviewers
            .iter()
            .any(|x| x.eq_ignore_ascii_case(&w))
        {
            p.requested_reviewers.push(w);
        }
    }
    Ok(Reply::created(m.pull_json(ri, n)))
}

fn unrequest_reviewers(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("pull_number")?;
    let gone = req.strings("reviewers").unwrap_or_default();
    m.pull_mut(ri, n)?
        .requested_reviewers
        .retain(|r| !gone.iter().any(|g| g.eq_ignore_ascii_case(r)));
    Ok(Reply::ok(m.pull_json(ri, n)))
}

fn reviews(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("pull_number")?;
    let p = m.pull_ref(ri, n)?;
    let items = p.reviews.iter().map(|r| m.review_json(ri, n, r)).collect();
    Ok(paginate(req, &m.base_url, items))
}

fn create_review(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("pull_number")?;
    let actor = req.actor()?.to_string();
    let state = ReviewState::from_event(req.str("event"))
        .ok_or_else(|| ApiError::invalid("PullRequestReview", "event", "invalid"))?;
    let body = req.str("body").unwrap_or("");
    let author = m.issue_ref(ri, n)?.user.clone();
    if author.eq_ignore_ascii_case(&actor)
        && state != ReviewState::Commented
        && state != ReviewState::Pending
    {
        let verb = if state == ReviewState::Approved {
            "approve"
        } else {
            "request changes on"
        };
        return Err(ApiError::unprocessable(&format!(
            "Unprocessable Entity: Can not {verb} your own pull request"
        )));
    }
    if body.is_empty()
        && matches!(
            state,
            ReviewState::ChangesRequested | ReviewState::Commented
        )
    {
        return Err(ApiError::missing_field("PullRequestReview", "body"));
    }
    let comments = line_comments(req)?;
    let id = m.review_inner(ri, n, &actor, state, body, req.str("commit_id"))?;
    m.review_comments_inner(ri, n, id, comments)?;
    review_reply(m, ri, n, id)
}

/// A review's `comments` (`path`, `body`, and `line` or `position`): each needs a path and a
/// body, as on GitHub, and belongs to the review.
fn line_comments(req: &Req) -> Result<Vec<(String, Option<u64>, String)>, ApiError> {
    let Some(list) = req.body.get("comments").and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    list.iter()
        .map(|c| {
            let field = |k: &str| c.get(k).and_then(Value::as_str).map(str::to_string);
            let path = field("path")
                .ok_or_else(|| ApiError::missing_field("PullRequestReviewComment", "path"))?;
            let body = field("body")
                .ok_or_else(|| ApiError::missing_field("PullRequestReviewComment", "body"))?;
            let line = c
                .get("line")
                .or_else(|| c.get("position"))
                .and_then(Value::as_u64);
            Ok((path, line, body))
        })
        .collect()
}

/// `GET …/pulls/{n}/comments`: every review's line comments, each naming its review.
fn review_comments(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("pull_number")?;
    let p = m.pull_ref(ri, n)?;
    let items = p
        .reviews
        .iter()
        .flat_map(|r| r.comments.iter().map(move |c| (r, c)))
        .map(|(r, c)| m.review_comment_json(ri, n, r, c))
        .collect();
    Ok(paginate(req, &m.base_url, items))
}

fn review_reply(m: &Model, ri: usize, n: u64, id: u64) -> Res {
    let p = m.pull_ref(ri, n)?;
    let r = p
        .reviews
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(ApiError::not_found)?;
    Ok(Reply::ok(m.review_json(ri, n, r)))
}

fn dismiss(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("pull_number")?;
    let id = req.num("review_id")?;
    req.need("message", "PullRequestReview")?;
    let p = m.pull_mut(ri, n)?;
    let r = p
        .reviews
        .iter_mut()
        .find(|r| r.id == id)
        .ok_or_else(ApiError::not_found)?;
    if r.state == ReviewState::Pending {
        return Err(ApiError::unprocessable(
            "Can not dismiss a pending pull request review",
        ));
    }
    r.state = ReviewState::Dismissed;
    review_reply(m, ri, n, id)
}

/// Brings the base branch into the head branch with a merge commit.
fn update_branch(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let n = req.num("pull_number")?;
    let actor = req.actor()?.to_string();
    let p = m.pull_ref(ri, n)?.clone();
    if req
        .str("expected_head_sha")
        .is_some_and(|s| s != p.head_sha)
    {
        return Err(ApiError::unprocessable(
            "expected head sha didn’t match current head ref.",
        ));
    }
    let base = m.base_sha(ri, &p);
    let now = m.now();
    let g = &mut m.repos[ri].git;
    let mut tree = g.commits[&base].tree.clone();
    tree.extend(g.commits[&p.head_sha].tree.clone());
    let msg = format!("Merge branch '{}' into {}", p.base_ref, p.head_ref);
    let sha = g.commit(tree, vec![p.head_sha.clone(), base], &msg, &actor, now);
    g.refs.insert(format!("refs/heads/{}", p.head_ref), sha);
    m.sync_heads(ri);
    let url = format!("{}/pull/{n}", m.repo_html(ri));
    Ok(Reply::json(
        202,
        json!({"message": "Updating pull request branch.", "url": url}),
    ))
}

fn for_commit(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let sha = m.repos[ri]
        .git
        .resolve(req.param("commit_sha"))
        .ok_or_else(ApiError::not_found)?;
    let numbers: Vec<u64> = m.repos[ri]
        .issues
        .iter()
        .filter(|i| {
            i.pull.as_ref().is_some_and(|p| {
                p.head_sha == sha || p.merge_commit_sha.as_deref() == Some(sha.as_str())
            })
        })
        .map(|i| i.number)
        .collect();
    let items = numbers.iter().map(|n| m.pull_json(ri, *n)).collect();
    Ok(paginate(req, &m.base_url, items))
}
