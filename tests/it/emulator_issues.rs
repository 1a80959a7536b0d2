//! Emulator behaviour for issues: dependency summaries, label idempotence and events,
//! pagination, auth and rate limits.

use serde_json::json;

use crate::support::emulator::{Api, REPO, TOKEN, seeded};

#[tokio::test]
async fn closing_the_last_open_blocker_clears_the_dependents_summary() {
    let emu = seeded().await;
    let (a, b, c, x) = {
        let mut m = emu.model();
        let a = m.create_issue(REPO, "A", "", &["approved"], "mia");
        let b = m.create_issue(REPO, "B", "", &[], "mia");
        let c = m.create_issue(REPO, "C", "", &[], "mia");
        let x = m.create_issue("acme/infra", "X", "", &[], "acme");
        m.set_permission("acme/infra", "mia", shiprig::emulator::Permission::Triage);
        m.add_blocked_by(REPO, a, REPO, b);
        (a, b, c, x)
    };
    let api = Api::new(&emu, Some(TOKEN));
    let x_id = emu.model().issue("acme/infra", x).unwrap().id;
    let (s, _) = api
        .json(
            "POST",
            &format!("/repos/{REPO}/issues/{a}/dependencies/blocked_by"),
            Some(json!({"issue_id": x_id})),
        )
        .await;
    assert_eq!(s, 201);
    let summary = |v: &serde_json::Value| v["issue_dependencies_summary"].clone();
    let issue = api.get(&format!("/repos/{REPO}/issues/{a}")).await;
    assert_eq!(
        summary(&issue),
        json!({"blocked_by": 2, "total_blocked_by": 2, "blocking": 0, "total_blocking": 0})
    );
    let blocker = api.get(&format!("/repos/{REPO}/issues/{b}")).await;
    assert_eq!(blocker["issue_dependencies_summary"]["blocking"], 1);

    emu.model().close_issue(REPO, b, "mia");
    let (s, _) = api
        .json(
            "PATCH",
            &format!("/repos/acme/infra/issues/{x}"),
            Some(json!({"state": "closed"})),
        )
        .await;
    assert_eq!(s, 200);
    let issue = api.get(&format!("/repos/{REPO}/issues/{a}")).await;
    assert_eq!(
        summary(&issue),
        json!({"blocked_by": 0, "total_blocked_by": 2, "blocking": 0, "total_blocking": 0})
    );
    let list = api
        .get(&format!("/repos/{REPO}/issues/{a}/dependencies/blocked_by"))
        .await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(
        list[1]["repository_url"],
        format!("{}/repos/acme/infra", emu.url())
    );

    // Self-block and duplicates are refused; removing an edge answers with the blocker.
    let a_id = emu.model().issue(REPO, a).unwrap().id;
    let path = format!("/repos/{REPO}/issues/{a}/dependencies/blocked_by");
    assert_eq!(
        api.json("POST", &path, Some(json!({"issue_id": a_id})))
            .await
            .0,
        422
    );
    assert_eq!(
        api.json("POST", &path, Some(json!({"issue_id": x_id})))
            .await
            .0,
        422
    );
    let (s, v) = api.json("DELETE", &format!("{path}/{x_id}"), None).await;
    assert_eq!((s, v["number"].as_u64()), (200, Some(x)));
    let _ = c;
}

#[tokio::test]
async fn adding_a_label_twice_records_one_event_and_removing_a_missing_one_is_404() {
    let emu = seeded().await;
    let n = emu.model().create_issue(REPO, "Widget", "", &[], "mia");
    let api = Api::new(&emu, Some(TOKEN));
    let path = format!("/repos/{REPO}/issues/{n}/labels");
    for _ in 0..2 {
        let (s, v) = api
            .json("POST", &path, Some(json!({"labels": ["Approved"]})))
            .await;
        assert_eq!(s, 200);
        assert_eq!(v[0]["name"], "Approved");
    }
    let events = api.get(&format!("/repos/{REPO}/issues/{n}/events")).await;
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["event"], "labeled");
    assert_eq!(events[0]["actor"]["login"], "mia");
    assert_eq!(
        events[0]["label"],
        json!({"name": "Approved", "color": "ededed"})
    );
    assert_eq!(events[0]["created_at"], "2026-01-05T09:00:00Z");
    // Labels match case-insensitively, and the repo label was created on first use.
    let labels = api.get(&format!("/repos/{REPO}/labels")).await;
    assert_eq!(labels.as_array().unwrap().len(), 1);
    let (s, v) = api.json("DELETE", &format!("{path}/nope"), None).await;
    assert_eq!(
        (s, v["message"].as_str()),
        (404, Some("Label does not exist"))
    );
    emu.model().advance(chrono::Duration::minutes(5));
    let (s, _) = api.json("DELETE", &format!("{path}/approved"), None).await;
    assert_eq!(s, 200);
    let repo_events = api.get(&format!("/repos/{REPO}/issues/events")).await;
    assert_eq!(repo_events[0]["event"], "unlabeled");
    assert_eq!(repo_events[0]["issue"]["number"], n);
    assert_eq!(repo_events[0]["created_at"], "2026-01-05T09:05:00Z");
    assert_eq!(
        emu.model().issue_events(REPO, n),
        vec!["labeled", "unlabeled"]
    );
}

#[tokio::test]
async fn pagination_over_250_issues_follows_github_link_headers() {
    let emu = seeded().await;
    {
        let mut m = emu.model();
        for i in 0..250 {
            m.create_issue(REPO, &format!("issue {i}"), "", &["approved"], "mia");
            m.advance(chrono::Duration::seconds(1));
        }
    }
    let api = Api::new(&emu, Some(TOKEN));
    let mut url = format!(
        "{}/repos/{REPO}/issues?labels=approved&per_page=100",
        emu.url()
    );
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let r = api.send("GET", &url, None).await;
        let link = r
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_string());
        let items: Vec<serde_json::Value> = r.json().await.unwrap();
        seen.extend(items.iter().map(|i| i["number"].as_u64().unwrap()));
        pages += 1;
        let Some(link) = link else { break };
        if pages == 1 {
            assert!(link.contains("rel=\"last\""), "{link}");
            assert!(link.contains("labels=approved"), "{link}");
            assert!(link.contains("page=3"), "{link}");
        }
        let next = link.split(", ").find(|p| p.ends_with("rel=\"next\""));
        match next {
            Some(n) => url = n[1..n.find('>').unwrap()].to_string(),
            None => {
                assert!(
                    link.contains("rel=\"first\"") && link.contains("rel=\"prev\""),
                    "{link}"
                );
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 250);
    assert_eq!(seen[0], 250, "newest first by default");
    let asc = api
        .get(&format!(
            "/repos/{REPO}/issues?sort=created&direction=asc&per_page=2"
        ))
        .await;
    assert_eq!(asc[0]["number"], 1);
}

#[tokio::test]
async fn auth_and_rate_limit_behave_like_github() {
    let emu = seeded().await;
    let anon = Api::new(&emu, None);
    let (s, _) = anon
        .json("GET", &format!("/repos/{REPO}/issues"), None)
        .await;
    assert_eq!(s, 200);
    let (s, v) = anon
        .json(
            "POST",
            &format!("/repos/{REPO}/issues"),
            Some(json!({"title": "x"})),
        )
        .await;
    assert_eq!(
        (s, v["message"].as_str()),
        (401, Some("Requires authentication"))
    );
    let bad = Api::new(&emu, Some("ghp_nope"));
    let (s, v) = bad.json("GET", &format!("/repos/{REPO}"), None).await;
    assert_eq!((s, v["message"].as_str()), (401, Some("Bad credentials")));

    emu.model().set_rate_limit(TOKEN, 2);
    let api = Api::new(&emu, Some(TOKEN));
    let r = api.send("GET", &format!("/repos/{REPO}"), None).await;
    assert_eq!(r.headers()["x-ratelimit-remaining"], "1");
    assert_eq!(r.headers()["x-ratelimit-resource"], "core");
    assert!(r.headers().contains_key("x-github-request-id"));
    let _ = api.send("GET", &format!("/repos/{REPO}"), None).await;
    let r = api.send("GET", &format!("/repos/{REPO}"), None).await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(r.headers()["x-ratelimit-remaining"], "0");
    let reset: i64 = r.headers()["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(reset, emu.model().now().timestamp() + 3600);
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .starts_with("API rate limit exceeded for mia")
    );
    // The window renews by the model clock.
    emu.model().advance(chrono::Duration::hours(1));
    assert_eq!(
        api.send("GET", &format!("/repos/{REPO}"), None)
            .await
            .status()
            .as_u16(),
        200
    );
    let writes = emu.writes();
    assert_eq!(writes.len(), 1);
    assert_eq!((writes[0].status, writes[0].actor.as_deref()), (401, None));
}

#[tokio::test]
async fn assignees_milestones_and_filters() {
    let emu = seeded().await;
    let api = Api::new(&emu, Some(TOKEN));
    let ms = emu.model().create_milestone(REPO, "v1");
    let (s, issue) = api
        .json(
            "POST",
            &format!("/repos/{REPO}/issues"),
            Some(json!({
            "title": "Claim me", "labels": ["approved", "critical"], "milestone": ms,
            "assignees": ["rig-agent-1", "stranger"]})),
        )
        .await;
    assert_eq!(s, 201);
    let n = issue["number"].as_u64().unwrap();
    assert_eq!(
        issue["assignees"].as_array().unwrap().len(),
        1,
        "non-assignable users are dropped"
    );
    let found = api
        .get(&format!(
            "/repos/{REPO}/issues?labels=APPROVED,critical&milestone={ms}&assignee=rig-agent-1"
        ))
        .await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    let none = api
        .get(&format!("/repos/{REPO}/issues?labels=approved,blocked"))
        .await;
    assert!(none.as_array().unwrap().is_empty());
    let m = api.get(&format!("/repos/{REPO}/milestones/{ms}")).await;
    assert_eq!(
        (m["open_issues"].as_u64(), m["closed_issues"].as_u64()),
        (Some(1), Some(0))
    );
    api.json(
        "PATCH",
        &format!("/repos/{REPO}/issues/{n}"),
        Some(json!({"state": "closed"})),
    )
    .await;
    let m = api.get(&format!("/repos/{REPO}/milestones/{ms}")).await;
    assert_eq!(
        (m["open_issues"].as_u64(), m["closed_issues"].as_u64()),
        (Some(0), Some(1))
    );
    let (s, m) = api
        .json(
            "PATCH",
            &format!("/repos/{REPO}/milestones/{ms}"),
            Some(json!({"state": "closed"})),
        )
        .await;
    assert_eq!((s, m["state"].as_str()), (200, Some("closed")));
    let kinds = emu.model().issue_events(REPO, n);
    assert_eq!(
        kinds,
        vec!["labeled", "labeled", "assigned", "milestoned", "closed"]
    );
    let view = emu.model().issue(REPO, n).unwrap();
    assert_eq!(
        (view.state.as_str(), view.milestone.as_deref()),
        ("closed", Some("v1"))
    );
}

#[tokio::test]
async fn writes_need_the_right_role_and_unknown_routes_are_404() {
    let emu = seeded().await;
    let n = emu.model().create_issue(REPO, "Mine", "", &[], "rex");
    let other = emu.model().create_issue(REPO, "Theirs", "", &[], "mia");
    let rex = Api::new(&emu, Some("ghp_rex"));
    let labels = json!({"labels": ["approved"]});
    let (s, v) = rex
        .json(
            "POST",
            &format!("/repos/{REPO}/issues/{other}/labels"),
            Some(labels),
        )
        .await;
    assert_eq!(
        (s, v["message"].as_str()),
        (
            403,
            Some("Resource not accessible by personal access token")
        )
    );
    assert!(emu.model().issue(REPO, other).unwrap().labels.is_empty());
    let (s, _) = rex
        .json(
            "POST",
            &format!("/repos/{REPO}/issues/{other}/comments"),
            Some(json!({"body": "+1"})),
        )
        .await;
    assert_eq!(s, 201, "anyone may comment");
    let (s, _) = rex
        .json(
            "PATCH",
            &format!("/repos/{REPO}/issues/{n}"),
            Some(json!({"title": "Mine, edited"})),
        )
        .await;
    assert_eq!(s, 200, "authors edit their own issues");
    let (s, _) = rex
        .json(
            "PATCH",
            &format!("/repos/{REPO}/issues/{other}"),
            Some(json!({"state": "closed"})),
        )
        .await;
    assert_eq!(s, 403);
    let r = rex
        .send("GET", "/repos/acme/widgets/nothing/here", None)
        .await;
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(
        r.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (v["message"].as_str(), v["documentation_url"].as_str()),
        (Some("Not Found"), Some("https://docs.github.com/rest"))
    );
}

#[tokio::test]
async fn deleted_and_hidden_blockers() {
    let emu = seeded().await;
    let (a, gone, hidden) = {
        let mut m = emu.model();
        let a = m.create_issue(REPO, "A", "", &["approved"], "mia");
        let gone = m.create_issue(REPO, "Gone", "", &[], "mia");
        let hidden = m.create_issue("acme/infra", "Secret", "", &[], "acme");
        m.add_blocked_by(REPO, a, REPO, gone);
        m.add_blocked_by(REPO, a, "acme/infra", hidden);
        m.delete_issue(REPO, gone);
        m.hide_issue("acme/infra", hidden);
        (a, gone, hidden)
    };
    let api = Api::new(&emu, Some(TOKEN));
    let (s, v) = api
        .json("GET", &format!("/repos/{REPO}/issues/{gone}"), None)
        .await;
    assert_eq!(
        (s, v["message"].as_str()),
        (410, Some("This issue was deleted"))
    );
    assert_eq!(
        api.json("GET", &format!("/repos/acme/infra/issues/{hidden}"), None)
            .await
            .0,
        404
    );
    let issue = api.get(&format!("/repos/{REPO}/issues/{a}")).await;
    assert_eq!(
        issue["issue_dependencies_summary"]["blocked_by"], 1,
        "the hidden blocker still counts"
    );
    let listed = api
        .get(&format!("/repos/{REPO}/issues/{a}/dependencies/blocked_by"))
        .await;
    assert!(
        listed.as_array().unwrap().is_empty(),
        "but the listing cannot show it"
    );
    let all = api.get(&format!("/repos/{REPO}/issues?state=all")).await;
    assert_eq!(all.as_array().unwrap().len(), 1);
}
