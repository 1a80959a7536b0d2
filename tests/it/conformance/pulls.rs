//! Conformance calls for pull requests, CI and delivery, Actions, Apps, and error answers.

use serde_json::json;
use shiprig::emulator::Emulator;

use crate::support::emulator::{Api, REPO};
use crate::support::spec::Checker;

pub async fn run(c: &mut Checker, api: &Api, rita: &Api) {
    let p = format!("/repos/{REPO}/pulls");
    let body =
        json!({"title": "Auth tweak", "head": "feature", "base": "main", "body": "Closes #1"});
    let n = c.call(api, "POST", &p, Some(body), 201).await["number"]
        .as_u64()
        .unwrap();
    let pr = format!("{p}/{n}");
    c.get(api, &format!("{p}?state=open")).await;
    c.get(api, &pr).await;
    c.call(
        api,
        "PATCH",
        &pr,
        Some(json!({"body": "Closes #1 (edited)"})),
        200,
    )
    .await;
    c.get(api, &format!("{pr}/commits")).await;
    assert_eq!(
        c.get(api, &format!("{pr}/files"))
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let rr = format!("{pr}/requested_reviewers");
    let who = || Some(json!({"reviewers": ["rita"]}));
    c.call(api, "POST", &rr, who(), 201).await;
    c.get(api, &rr).await;
    c.call(api, "DELETE", &rr, who(), 200).await;
    let review = c
        .call(
            rita,
            "POST",
            &format!("{pr}/reviews"),
            Some(json!({"event": "APPROVE", "comments": [
                {"path": "src/auth/session.rs", "line": 1, "body": "Check the expiry here."}]})),
            200,
        )
        .await;
    c.get(api, &format!("{pr}/reviews")).await;
    let comments = c.get(api, &format!("{pr}/comments")).await;
    assert_eq!(
        comments[0]["pull_request_review_id"], review["id"],
        "{comments}"
    );
    let dismiss = format!("{pr}/reviews/{}/dismissals", review["id"]);
    c.call(api, "PUT", &dismiss, Some(json!({"message": "stale"})), 200)
        .await;
    c.call(api, "PUT", &format!("{pr}/update-branch"), None, 202)
        .await;
    let head = api.get(&pr).await["head"]["sha"]
        .as_str()
        .unwrap()
        .to_string();
    c.get(api, &format!("/repos/{REPO}/commits/{head}/pulls"))
        .await;
    c.call(
        api,
        "PUT",
        &format!("{pr}/merge"),
        Some(json!({"sha": head})),
        200,
    )
    .await;
}

pub async fn ci(c: &mut Checker, api: &Api) {
    let p = format!("/repos/{REPO}");
    let sha = api.get(&format!("{p}/git/ref/heads/main")).await["object"]["sha"]
        .as_str()
        .unwrap()
        .to_string();
    let check = json!({"name": "shiprig/human-gate", "head_sha": sha, "status": "in_progress"});
    let run = c
        .call(api, "POST", &format!("{p}/check-runs"), Some(check), 201)
        .await;
    let cr = format!("{p}/check-runs/{}", run["id"]);
    c.get(api, &cr).await;
    let done = json!({"conclusion": "success", "output": {"title": "No gate", "summary": "nothing gated"}});
    c.call(api, "PATCH", &cr, Some(done), 200).await;
    let listed = c
        .get(
            api,
            &format!("{p}/commits/{sha}/check-runs?check_name=shiprig/human-gate"),
        )
        .await;
    assert_eq!(listed["total_count"], 1);
    let status = json!({"state": "success", "context": "ci"});
    c.call(
        api,
        "POST",
        &format!("{p}/statuses/{sha}"),
        Some(status),
        201,
    )
    .await;
    c.get(api, &format!("{p}/commits/main/statuses")).await;
    c.get(api, &format!("{p}/commits/main/status")).await;
    let new = json!({"ref": "main", "environment": "staging"});
    let dep = c
        .call(api, "POST", &format!("{p}/deployments"), Some(new), 201)
        .await;
    c.get(api, &format!("{p}/deployments?environment=staging"))
        .await;
    let d = format!("{p}/deployments/{}", dep["id"]);
    c.get(api, &d).await;
    let st = json!({"state": "success", "environment_url": "https://staging.example.com"});
    c.call(api, "POST", &format!("{d}/statuses"), Some(st), 201)
        .await;
    c.get(api, &format!("{d}/statuses")).await;
    releases(c, api).await;
    actions(c, api).await;
}

async fn releases(c: &mut Checker, api: &Api) {
    let p = format!("/repos/{REPO}/releases");
    let new = json!({"tag_name": "v1.0.0", "name": "v1.0.0", "body": "notes"});
    let id = c.call(api, "POST", &p, Some(new), 201).await["id"]
        .as_u64()
        .unwrap();
    c.get(api, &p).await;
    c.get(api, &format!("{p}/latest")).await;
    c.get(api, &format!("{p}/tags/v1.0.0")).await;
    c.get(api, &format!("{p}/{id}")).await;
    c.call(
        api,
        "PATCH",
        &format!("{p}/{id}"),
        Some(json!({"body": "better notes"})),
        200,
    )
    .await;
    let upload = format!("{p}/{id}/assets?name=shiprig-linux.tar.gz&label=linux");
    c.call(api, "POST", &upload, Some(json!("binary bytes")), 201)
        .await;
    let assets = c.get(api, &format!("{p}/{id}/assets")).await;
    assert_eq!(assets[0]["name"], "shiprig-linux.tar.gz");
}

async fn actions(c: &mut Checker, api: &Api) {
    let p = format!("/repos/{REPO}");
    let wf = format!("{p}/actions/workflows/shiprig-agent.yml");
    let inputs = json!({"ref": "main", "inputs": {"issue": "7", "agent": "agent-1"}});
    c.call(api, "POST", &format!("{wf}/dispatches"), Some(inputs), 204)
        .await;
    let runs = c
        .get(api, &format!("{p}/actions/runs?event=workflow_dispatch"))
        .await;
    assert_eq!(
        runs["workflow_runs"][0]["display_title"],
        "agent agent-1 on #7"
    );
    c.get(api, &format!("{wf}/runs")).await;
    c.get(
        api,
        &format!("{p}/actions/runs/{}", runs["workflow_runs"][0]["id"]),
    )
    .await;
    c.call(
        api,
        "POST",
        &format!("{p}/dispatches"),
        Some(json!({"event_type": "deploy"})),
        204,
    )
    .await;
}

pub async fn app(c: &mut Checker, emu: &Emulator, jwt: &str) {
    let inst = emu.model().add_installation(77, "acme");
    let app = Api::new(emu, Some(jwt));
    c.get(&app, "/app").await;
    c.get(&app, &format!("/repos/{REPO}/installation")).await;
    let tokens = format!("/app/installations/{inst}/access_tokens");
    c.call(&app, "POST", &tokens, None, 201).await;
    let forged = Api::new(emu, Some("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"));
    c.call(&forged, "POST", &tokens, None, 401).await;
}

/// Error answers the subset describes, validated like the successes.
pub async fn errors(c: &mut Checker, api: &Api, emu: &Emulator) {
    let p = format!("/repos/{REPO}");
    c.call(api, "GET", &format!("{p}/issues/999"), None, 404)
        .await;
    c.call(
        api,
        "POST",
        &format!("{p}/issues"),
        Some(json!({"body": "no title"})),
        422,
    )
    .await;
    c.call(
        api,
        "DELETE",
        &format!("{p}/issues/1/labels/absent"),
        None,
        404,
    )
    .await;
    let id = api.get(&format!("{p}/issues/1")).await["id"].clone();
    let dep = format!("{p}/issues/1/dependencies/blocked_by");
    c.call(api, "POST", &dep, Some(json!({"issue_id": id})), 422)
        .await;
    c.call(api, "GET", &format!("{p}/contents/missing.txt"), None, 404)
        .await;
    c.call(api, "GET", &format!("{p}/git/ref/heads/nope"), None, 404)
        .await;
    let dup = json!({"ref": "refs/heads/main", "sha": "0"});
    c.call(api, "POST", &format!("{p}/git/refs"), Some(dup), 422)
        .await;
    c.call(
        api,
        "GET",
        &format!("{p}/branches/feature/protection"),
        None,
        404,
    )
    .await;
    c.call(api, "GET", &format!("{p}/releases/tags/v9"), None, 404)
        .await;
    c.call(
        api,
        "POST",
        &format!("{p}/milestones"),
        Some(json!({"title": "v1"})),
        422,
    )
    .await;
    emu.model().set_file(REPO, "late", "late.txt", "late\n");
    let new = json!({"title": "Late", "head": "late", "base": "main"});
    let n = api.json("POST", &format!("{p}/pulls"), Some(new)).await.1["number"]
        .as_u64()
        .unwrap();
    let stale = json!({"sha": "0000000"});
    c.call(
        api,
        "PUT",
        &format!("{p}/pulls/{n}/merge"),
        Some(stale),
        409,
    )
    .await;
}
