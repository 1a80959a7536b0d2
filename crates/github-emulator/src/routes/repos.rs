//! Repository-level routes: the repo, collaborators, branches and protection, CODEOWNERS
//! errors, the rate limit, and GitHub App endpoints.

use serde_json::{Value, json};

use super::{Route, r, repo_of};
use crate::http::{ApiError, Reply, Req, Res, paginate};
use crate::model::{Model, Permission, ts};

pub(crate) const ROUTES: &[Route] = &[
    r("GET", "/repos/{owner}/{repo}", get_repo),
    r("GET", "/users/{username}/repos", list_owner_repos),
    r(
        "GET",
        "/repos/{owner}/{repo}/collaborators",
        list_collaborators,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/collaborators/{username}",
        check_collaborator,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/collaborators/{username}/permission",
        permission,
    ),
    r("GET", "/repos/{owner}/{repo}/branches/{branch}", get_branch),
    r(
        "GET",
        "/repos/{owner}/{repo}/branches/{branch}/protection",
        get_protection,
    ),
    r(
        "PUT",
        "/repos/{owner}/{repo}/branches/{branch}/protection",
        put_protection,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/rules/branches/{branch*}",
        branch_rules,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/codeowners/errors",
        codeowners_errors,
    ),
    r(
        "GET",
        "/repos/{owner}/{repo}/installation",
        repo_installation,
    ),
    r("GET", "/rate_limit", rate_limit),
    r("GET", "/app", get_app),
    r(
        "POST",
        "/app/installations/{installation_id}/access_tokens",
        access_token,
    ),
];

fn get_repo(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    Ok(Reply::ok(m.repo_json(ri)))
}

/// A `collaborator` object: a user plus `permissions` and `role_name`.
fn collaborator_json(m: &Model, ri: usize, login: &str) -> Value {
    let p = m.permission_of(ri, login);
    let mut v = m.user_json(login);
    v["role_name"] = json!(p.map_or("none", |p| p.role_name()));
    v["permissions"] = permission_flags(p);
    v
}

fn permission_flags(p: Option<crate::model::Permission>) -> Value {
    use crate::model::Permission as P;
    let at_least = |min: P| p.is_some_and(|p| p >= min);
    json!({"admin": at_least(P::Admin), "maintain": at_least(P::Maintain), "push": at_least(P::Write),
           "triage": at_least(P::Triage), "pull": at_least(P::Read)})
}

/// The repositories a user or organization owns (GitHub serves organizations here too).
fn list_owner_repos(m: &mut Model, req: &Req) -> Res {
    let items = m
        .repos_of(req.param("username"))
        .into_iter()
        .map(|ri| m.repo_json(ri))
        .collect();
    Ok(paginate(req, &m.base_url, items))
}

fn list_collaborators(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let items = m
        .collaborators(ri)
        .iter()
        .map(|l| collaborator_json(m, ri, l))
        .collect();
    Ok(paginate(req, &m.base_url, items))
}

fn check_collaborator(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    match m.permission_of(ri, req.param("username")) {
        Some(_) => Ok(Reply::no_content()),
        None => Err(ApiError::not_found()),
    }
}

/// Legacy `permission` (admin/write/read/none) plus the fine `role_name`, as GitHub answers.
fn permission(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let login = req.param("username");
    if m.user(login).is_none() {
        return Err(ApiError::not_found());
    }
    let p = m.permission_of(ri, login);
    Ok(Reply::ok(json!({
        "permission": p.map_or("none", |p| p.legacy()),
        "role_name": p.map_or("none", |p| p.role_name()),
        "user": collaborator_json(m, ri, login),
    })))
}

fn get_branch(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let name = req.param("branch");
    let sha = m.repos[ri]
        .git
        .refs
        .get(&format!("refs/heads/{name}"))
        .ok_or_else(|| ApiError::new(404, "Branch not found"))?;
    Ok(Reply::ok(m.branch_json(ri, name, sha)))
}

fn get_protection(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    admin_only(m, ri, req)?;
    let name = req.param("branch");
    let body = m.repos[ri]
        .protections
        .get(name)
        .ok_or_else(|| ApiError::new(404, "Branch not protected"))?;
    Ok(Reply::ok(protection_json(m, ri, name, body)))
}

/// Classic branch protection is for admins: GitHub answers an integration's token (the
/// Actions token, an App) 403 and anyone else without admin 404.
fn admin_only(m: &Model, ri: usize, req: &Req) -> Result<(), ApiError> {
    let Some(actor) = req.actor.as_deref() else {
        return Err(ApiError::new(404, "Not Found"));
    };
    if m.permission_of(ri, actor) == Some(Permission::Admin) {
        return Ok(());
    }
    if m.is_integration(actor) {
        return Err(ApiError::new(403, "Resource not accessible by integration"));
    }
    Err(ApiError::new(404, "Not Found"))
}

/// Every active rule for a branch, at every level; readable with read access.
fn branch_rules(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let items = m.branch_rules_json(ri, req.param("branch"));
    Ok(paginate(req, &m.base_url, items))
}

/// Stores the protection settings; the four top-level keys are required (null allowed).
fn put_protection(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let name = req.param("branch").to_string();
    if !m.repos[ri]
        .git
        .refs
        .contains_key(&format!("refs/heads/{name}"))
    {
        return Err(ApiError::new(404, "Branch not found"));
    }
    for key in [
        "required_status_checks",
        "enforce_admins",
        "required_pull_request_reviews",
        "restrictions",
    ] {
        if req.body.get(key).is_none() {
            return Err(ApiError::missing_field("Protection", key));
        }
    }
    m.repos[ri]
        .protections
        .insert(name.clone(), req.body.clone());
    Ok(Reply::ok(protection_json(m, ri, &name, &req.body)))
}

fn protection_json(m: &Model, ri: usize, branch: &str, body: &Value) -> Value {
    let url = format!("{}/branches/{branch}/protection", m.repo_api(ri));
    let flag = |k: &str| body.get(k).and_then(Value::as_bool).unwrap_or(false);
    let mut v = json!({
        "url": url,
        "enforce_admins": {"url": format!("{url}/enforce_admins"), "enabled": flag("enforce_admins")},
        "required_linear_history": {"enabled": flag("required_linear_history")},
        "allow_force_pushes": {"enabled": flag("allow_force_pushes")},
        "allow_deletions": {"enabled": flag("allow_deletions")},
        "block_creations": {"enabled": flag("block_creations")},
        "required_conversation_resolution": {"enabled": flag("required_conversation_resolution")},
        "required_signatures": {"url": format!("{url}/required_signatures"), "enabled": false},
    });
    if let Some(c) = body.get("required_status_checks").filter(|c| !c.is_null()) {
        // GitHub lists the names of `checks` under `contexts` as well.
        let named = c
            .get("checks")
            .and_then(Value::as_array)
            .map(|l| Value::Array(l.iter().map(|x| x["context"].clone()).collect()));
        let contexts = c.get("contexts").cloned().or(named).unwrap_or(json!([]));
        let pinned = |list: &Vec<Value>| {
            let with_app = |x: &Value| json!({"context": x["context"], "app_id": x.get("app_id").cloned().unwrap_or(Value::Null)});
            Value::Array(list.iter().map(with_app).collect())
        };
        let checks = c
            .get("checks")
            .and_then(Value::as_array)
            .map(pinned)
            .unwrap_or_else(|| {
                json!(contexts.as_array().map(|a| {
                    a.iter()
                        .map(|x| json!({"context": x, "app_id": null}))
                        .collect::<Vec<_>>()
                }))
            });
        v["required_status_checks"] = json!({"url": format!("{url}/required_status_checks"),
            "contexts_url": format!("{url}/required_status_checks/contexts"),
            "strict": c.get("strict").and_then(Value::as_bool).unwrap_or(false),
            "contexts": contexts, "checks": checks});
    }
    if let Some(r) = body
        .get("required_pull_request_reviews")
        .filter(|r| !r.is_null())
    {
        let b = |k: &str| r.get(k).and_then(Value::as_bool).unwrap_or(false);
        v["required_pull_request_reviews"] = json!({"url": format!("{url}/required_pull_request_reviews"),
            "dismiss_stale_reviews": b("dismiss_stale_reviews"),
            "require_code_owner_reviews": b("require_code_owner_reviews"),
            "require_last_push_approval": b("require_last_push_approval"),
            "required_approving_review_count": r.get("required_approving_review_count").and_then(Value::as_u64).unwrap_or(1)});
    }
    v
}

/// Checks each CODEOWNERS owner against the model's users.
fn codeowners_errors(m: &mut Model, req: &Req) -> Res {
    let ri = repo_of(m, req)?;
    let reference = req
        .q("ref")
        .unwrap_or(&m.repos[ri].default_branch)
        .to_string();
    let sha = m.repos[ri]
        .git
        .resolve(&reference)
        .ok_or_else(ApiError::not_found)?;
    let tree = &m.repos[ri].git.commits[&sha].tree;
    let (path, entry) = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"]
        .iter()
        .find_map(|p| tree.get(*p).map(|e| (*p, e)))
        .ok_or_else(ApiError::not_found)?;
    let text = String::from_utf8_lossy(&entry.content).into_owned();
    let mut errors = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let content = line.split('#').next().unwrap_or("");
        for owner in content.split_whitespace().skip(1) {
            let known = match owner.strip_prefix('@') {
                Some(o) if o.contains('/') => true,
                Some(o) => m.user(o).is_some(),
                None => owner.contains('@'),
            };
            if !known {
                let column = line.find(owner).unwrap_or(0) + 1;
                errors.push(json!({"line": n + 1, "column": column, "kind": "Unknown owner", "source": line,
                    "suggestion": format!("make sure {owner} exists and has write access to the repository"),
                    "message": format!("Unknown owner on line {}: make sure {owner} exists and has write access to the repository\n\n  {line}", n + 1),
                    "path": path}));
            }
        }
    }
    Ok(Reply::ok(json!({"errors": errors})))
}

fn rate_limit(m: &mut Model, req: &Req) -> Res {
    let key = req.actor.clone().unwrap_or_else(|| "anonymous".to_string());
    let b = m.budget(&key).clone();
    let core = json!({"limit": b.limit, "remaining": b.limit.saturating_sub(b.used), "reset": b.reset.timestamp(), "used": b.used});
    let reset = (m.now() + chrono::Duration::minutes(1)).timestamp();
    let search = json!({"limit": 30, "remaining": 30, "reset": reset, "used": 0});
    Ok(Reply::ok(json!({
        "resources": {"core": core, "search": search, "graphql": core},
        "rate": core,
    })))
}

fn app_id(req: &Req) -> Result<u64, ApiError> {
    req.app
        .ok_or_else(|| ApiError::new(401, "A JSON web token could not be decoded"))
}

fn get_app(m: &mut Model, req: &Req) -> Res {
    Ok(Reply::ok(m.app_json(app_id(req)?)))
}

fn repo_installation(m: &mut Model, req: &Req) -> Res {
    let app = app_id(req)?;
    let ri = repo_of(m, req)?;
    let owner = &m.repos[ri].owner;
    let inst = m
        .installations
        .iter()
        .find(|i| i.app_id == app && i.owner.eq_ignore_ascii_case(owner))
        .ok_or_else(ApiError::not_found)?;
    Ok(Reply::ok(m.installation_json(inst)))
}

fn access_token(m: &mut Model, req: &Req) -> Res {
    let app = app_id(req)?;
    let id = req.num("installation_id")?;
    let (token, expires_at) = m.mint_installation_token(app, id)?;
    Ok(Reply::created(json!({
        "token": token, "expires_at": ts(expires_at),
        "permissions": {"checks": "write", "contents": "write", "issues": "write", "metadata": "read",
            "pull_requests": "write", "statuses": "write", "deployments": "write", "actions": "write"},
        "repository_selection": "all",
    })))
}
