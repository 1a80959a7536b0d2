//! Conformance calls for issues, labels, milestones, assignees, comments and relations.

use serde_json::json;

use crate::support::emulator::{Api, REPO};
use crate::support::spec::Checker;

pub async fn run(c: &mut Checker, api: &Api) {
    let p = format!("/repos/{REPO}");
    let new = |t: &str| Some(json!({"title": t, "labels": ["approved"]}));
    let a = c
        .call(api, "POST", &format!("{p}/issues"), new("A"), 201)
        .await;
    let b = c
        .call(api, "POST", &format!("{p}/issues"), new("B"), 201)
        .await;
    let sub = c
        .call(api, "POST", &format!("{p}/issues"), new("S"), 201)
        .await;
    let (na, nb) = (a["number"].as_u64().unwrap(), b["number"].as_u64().unwrap());
    let i = format!("{p}/issues/{na}");
    c.get(api, &format!("{p}/issues?state=all&labels=approved"))
        .await;
    c.get(api, &i).await;
    c.call(api, "PATCH", &i, Some(json!({"title": "A1"})), 200)
        .await;
    labels(c, api, na, nb).await;
    milestones_and_people(c, api, na).await;
    comments(c, api, na).await;
    relations(c, api, na, nb, sub["id"].as_u64().unwrap()).await;
    c.get(api, &format!("{i}/events")).await;
    c.get(api, &format!("{p}/issues/events?per_page=5")).await;
    c.get(api, &format!("{i}/timeline")).await;
    c.get(
        api,
        &format!("/search/issues?q=repo%3A{REPO}+is%3Aissue+is%3Aopen+label%3Aapproved"),
    )
    .await;
}

async fn labels(c: &mut Checker, api: &Api, na: u64, nb: u64) {
    let p = format!("/repos/{REPO}");
    let (la, lb) = (
        format!("{p}/issues/{na}/labels"),
        format!("{p}/issues/{nb}/labels"),
    );
    c.call(
        api,
        "POST",
        &la,
        Some(json!({"labels": ["high-priority"]})),
        200,
    )
    .await;
    c.call(api, "PUT", &lb, Some(json!({"labels": ["bug", "x"]})), 200)
        .await;
    c.get(api, &la).await;
    c.call(api, "DELETE", &format!("{lb}/x"), None, 200).await;
    c.call(api, "DELETE", &lb, None, 204).await;
    c.get(api, &format!("{p}/labels")).await;
    let body = json!({"name": "tmp label", "color": "ff0000"});
    c.call(api, "POST", &format!("{p}/labels"), Some(body), 201)
        .await;
    let l = format!("{p}/labels/tmp%20label");
    c.get(api, &l).await;
    c.call(api, "PATCH", &l, Some(json!({"description": "d"})), 200)
        .await;
    c.call(api, "DELETE", &l, None, 204).await;
}

async fn milestones_and_people(c: &mut Checker, api: &Api, n: u64) {
    let p = format!("/repos/{REPO}");
    let ms = c
        .call(
            api,
            "POST",
            &format!("{p}/milestones"),
            Some(json!({"title": "v1"})),
            201,
        )
        .await;
    let m = ms["number"].as_u64().unwrap();
    c.call(
        api,
        "PATCH",
        &format!("{p}/issues/{n}"),
        Some(json!({"milestone": m})),
        200,
    )
    .await;
    c.get(api, &format!("{p}/milestones?state=all")).await;
    c.get(api, &format!("{p}/milestones/{m}")).await;
    let edit = Some(json!({"description": "first"}));
    c.call(api, "PATCH", &format!("{p}/milestones/{m}"), edit, 200)
        .await;
    let who = || Some(json!({"assignees": ["rig-agent-1"]}));
    c.call(
        api,
        "POST",
        &format!("{p}/issues/{n}/assignees"),
        who(),
        201,
    )
    .await;
    c.call(
        api,
        "DELETE",
        &format!("{p}/issues/{n}/assignees"),
        who(),
        200,
    )
    .await;
    c.call(
        api,
        "GET",
        &format!("{p}/issues/{n}/assignees/mia"),
        None,
        204,
    )
    .await;
    c.get(api, &format!("{p}/assignees")).await;
    c.call(api, "GET", &format!("{p}/assignees/rita"), None, 204)
        .await;
}

async fn comments(c: &mut Checker, api: &Api, n: u64) {
    let p = format!("/repos/{REPO}");
    let body = Some(json!({"body": "hello"}));
    let cm = c
        .call(api, "POST", &format!("{p}/issues/{n}/comments"), body, 201)
        .await;
    c.get(api, &format!("{p}/issues/{n}/comments")).await;
    let one = format!("{p}/issues/comments/{}", cm["id"]);
    c.call(api, "PATCH", &one, Some(json!({"body": "edited"})), 200)
        .await;
    assert_eq!(c.get(api, &one).await["body"], "edited");
}

async fn relations(c: &mut Checker, api: &Api, na: u64, nb: u64, sub_id: u64) {
    let p = format!("/repos/{REPO}");
    let b_id = api.get(&format!("{p}/issues/{nb}")).await["id"]
        .as_u64()
        .unwrap();
    let dep = format!("{p}/issues/{na}/dependencies/blocked_by");
    c.call(api, "POST", &dep, Some(json!({"issue_id": b_id})), 201)
        .await;
    c.get(api, &dep).await;
    c.get(api, &format!("{p}/issues/{nb}/dependencies/blocking"))
        .await;
    c.call(api, "DELETE", &format!("{dep}/{b_id}"), None, 200)
        .await;
    let subs = format!("{p}/issues/{na}/sub_issues");
    c.call(
        api,
        "POST",
        &subs,
        Some(json!({"sub_issue_id": sub_id})),
        201,
    )
    .await;
    c.call(api, "POST", &subs, Some(json!({"sub_issue_id": b_id})), 201)
        .await;
    c.get(api, &subs).await;
    let order = Some(json!({"sub_issue_id": b_id, "before_id": sub_id}));
    c.call(api, "PATCH", &format!("{subs}/priority"), order, 200)
        .await;
    c.get(api, &format!("{p}/issues/{nb}/parent")).await;
    let gone = Some(json!({"sub_issue_id": b_id}));
    c.call(
        api,
        "DELETE",
        &format!("{p}/issues/{na}/sub_issue"),
        gone,
        200,
    )
    .await;
}
