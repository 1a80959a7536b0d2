//! Conformance calls for the repository, collaborators, branches, commits, contents and refs.

use base64::Engine;
use serde_json::json;

use crate::support::emulator::{Api, REPO};
use crate::support::spec::Checker;

/// `admin` holds the admin role classic branch protection needs.
pub async fn run(c: &mut Checker, api: &Api, admin: &Api) {
    let p = format!("/repos/{REPO}");
    c.get(api, &p).await;
    let owned = c.get(api, "/users/acme/repos").await;
    assert!(
        owned.as_array().is_some_and(|repos| !repos.is_empty()),
        "{owned}"
    );
    c.get(api, &format!("{p}/collaborators")).await;
    c.call(api, "GET", &format!("{p}/collaborators/rita"), None, 204)
        .await;
    let perm = c
        .get(api, &format!("{p}/collaborators/mia/permission"))
        .await;
    assert_eq!(
        (perm["permission"].as_str(), perm["role_name"].as_str()),
        (Some("write"), Some("maintain"))
    );
    c.get(api, &format!("{p}/branches/main")).await;
    let protection = json!({"required_status_checks": {"strict": true, "contexts": ["shiprig/human-gate"]},
        "enforce_admins": true, "required_pull_request_reviews": {"required_approving_review_count": 1},
        "restrictions": null});
    c.call(
        admin,
        "PUT",
        &format!("{p}/branches/main/protection"),
        Some(protection),
        200,
    )
    .await;
    c.get(admin, &format!("{p}/branches/main/protection")).await;
    // Without admin, classic protection is hidden; the branch's summary and the rules are not.
    c.call(
        api,
        "GET",
        &format!("{p}/branches/main/protection"),
        None,
        404,
    )
    .await;
    let branch = c.get(api, &format!("{p}/branches/main")).await;
    assert_eq!(
        branch["protection"]["required_status_checks"]["contexts"],
        json!(["shiprig/human-gate"])
    );
    let rules = c.get(api, &format!("{p}/rules/branches/main")).await;
    assert_eq!(
        rules[0]["parameters"]["required_status_checks"][0]["context"], "ci/build",
        "{rules}"
    );
    // What `shiprig bootstrap` sends: the gate's review settings, read back as written.
    let bootstrap = shiprig::setup::protection::body(None, "shiprig/human-gate", 1, None);
    c.call(
        admin,
        "PUT",
        &format!("{p}/branches/main/protection"),
        Some(bootstrap),
        200,
    )
    .await;
    let read = c.get(admin, &format!("{p}/branches/main/protection")).await;
    let reviews = &read["required_pull_request_reviews"];
    for setting in [
        "dismiss_stale_reviews",
        "require_last_push_approval",
        "require_code_owner_reviews",
    ] {
        assert_eq!(reviews[setting], true, "{setting}");
    }
    let errs = c.get(api, &format!("{p}/codeowners/errors")).await;
    assert_eq!(
        errs["errors"].as_array().unwrap().len(),
        1,
        "@ghost is unknown"
    );
    c.get(api, "/rate_limit").await;
    c.get(api, &format!("{p}/commits?sha=main")).await;
    c.get(api, &format!("{p}/commits/feature")).await;
    let cmp = c.get(api, &format!("{p}/compare/main...feature")).await;
    assert_eq!(cmp["status"], "ahead");
    contents(c, api).await;
    refs(c, api).await;
    c.get(api, &format!("{p}/dependency-graph/compare/main...feature"))
        .await;
}

async fn contents(c: &mut Checker, api: &Api) {
    let p = format!("/repos/{REPO}/contents");
    c.get(api, &format!("{p}/src/auth/session.rs?ref=feature"))
        .await;
    let link = c.get(api, &format!("{p}/src/link?ref=feature")).await;
    assert_eq!(link["type"], "symlink");
    c.get(api, &format!("{p}/src?ref=feature")).await;
    let root = c.get(api, &format!("{p}?ref=feature")).await;
    assert!(root.as_array().is_some_and(|items| !items.is_empty()));
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    // main is protected by now (a pull request is required): write to a branch of its own.
    let main = api.get(&format!("/repos/{REPO}/git/ref/heads/main")).await["object"]["sha"].clone();
    let scratch = json!({"ref": "refs/heads/scratch", "sha": main});
    let made = api
        .json("POST", &format!("/repos/{REPO}/git/refs"), Some(scratch))
        .await;
    assert_eq!(made.0, 201, "{}", made.1);
    let add = json!({"message": "add", "content": b64("a\n"), "branch": "scratch"});
    let created = c
        .call(api, "PUT", &format!("{p}/notes/a.md"), Some(add), 201)
        .await;
    let edit = json!({"message": "edit", "content": b64("b\n"), "sha": created["content"]["sha"], "branch": "scratch"});
    c.call(api, "PUT", &format!("{p}/notes/a.md"), Some(edit), 200)
        .await;
}

async fn refs(c: &mut Checker, api: &Api) {
    let p = format!("/repos/{REPO}");
    let main = c.get(api, &format!("{p}/git/ref/heads/main")).await["object"]["sha"].clone();
    c.get(api, &format!("{p}/git/matching-refs/heads/")).await;
    let new = json!({"ref": "refs/heads/tmp", "sha": main});
    c.call(api, "POST", &format!("{p}/git/refs"), Some(new), 201)
        .await;
    let tmp = format!("{p}/git/refs/heads/tmp");
    c.call(
        api,
        "PATCH",
        &tmp,
        Some(json!({"sha": main, "force": true})),
        200,
    )
    .await;
    c.call(api, "DELETE", &tmp, None, 204).await;
    let tag = json!({"tag": "v0.1.0", "message": "v0.1.0", "object": main, "type": "commit"});
    let t = c
        .call(api, "POST", &format!("{p}/git/tags"), Some(tag), 201)
        .await;
    let tag_ref = json!({"ref": "refs/tags/v0.1.0", "sha": t["sha"]});
    assert_eq!(
        api.json("POST", &format!("{p}/git/refs"), Some(tag_ref))
            .await
            .0,
        201
    );
    c.get(api, &format!("{p}/tags")).await;
    // main takes no direct merge now that it is protected; an unprotected branch does.
    let merge = json!({"base": "scratch", "head": "other"});
    c.call(api, "POST", &format!("{p}/merges"), Some(merge), 201)
        .await;
}
