//! `shiprig lifecycle` through the binary: a pull request closed without merging returns its
//! issue to the queue and frees the agent; a rerun changes nothing and says nothing.

use crate::support::pipeline::{PipelineRig, REPO, printed};

#[tokio::test(flavor = "multi_thread")]
async fn closed_unmerged_returns_the_issue_once() {
    let rig = PipelineRig::new(
        "version: 1\nconductor: {agents: [{name: agent-1, login: rig-agent-1}]}\nnotify: {slack: {webhook_url_env: SLACK_WEBHOOK_URL}}\n",
    )
    .await;
    let issue = {
        let mut m = rig.emu.model();
        m.add_user("rig-agent-1", shiprig::emulator::UserKind::User);
        m.set_permission(REPO, "rig-agent-1", shiprig::emulator::Permission::Write);
        let issue = m.create_issue(REPO, "Analytics", "", &[], "mia");
        for label in ["approved", "in-review", "agent:agent-1"] {
            m.add_label(REPO, issue, label, "mia");
        }
        m.assign(REPO, issue, &["rig-agent-1"], "mia");
        issue
    };
    rig.commit("agent-1/analytics", &[("a", "1\n")], "feat: analytics");
    let pr = rig.emu.model().create_pull(
        REPO,
        "agent-1/analytics",
        "main",
        "feat: analytics",
        &format!("Fixes #{issue}"),
        "rig-agent-1",
    );
    let (status, _) = rig
        .api(
            "PATCH",
            &format!("/repos/{REPO}/pulls/{pr}"),
            serde_json::json!({"state": "closed"}),
        )
        .await;
    assert_eq!(status, 200);

    let dry = rig
        .run(&["lifecycle", "--pr", &pr.to_string(), "--dry-run"], &[])
        .await;
    assert!(printed(&dry).contains("would unlabel acme/widgets#1 `in-review`"));
    assert_eq!(
        rig.labels(issue),
        ["agent:agent-1", "approved", "in-review"],
        "a dry run writes nothing"
    );

    let event = rig.dir.path().join("event.json");
    std::fs::write(
        &event,
        format!(r#"{{"action": "closed", "pull_request": {{"number": {pr}}}}}"#),
    )
    .unwrap();
    let event = event.display().to_string();
    for _ in 0..2 {
        let out = rig
            .run(&["lifecycle"], &[("GITHUB_EVENT_PATH", &event)])
            .await;
        assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    }
    assert_eq!(rig.labels(issue), ["approved"]);
    let view = rig.emu.model().issue(REPO, issue).unwrap();
    assert!(view.assignees.is_empty() && view.state == "open");
    let texts = rig.slack.texts();
    assert_eq!(texts.len(), 1, "told once: {texts:?}");
    assert!(
        texts[0].contains(&format!("#{pr}>")) && texts[0].contains("#1 is back in the queue"),
        "{texts:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_closes_linked_issues_only_on_merges_into_the_default_branch() {
    let rig = PipelineRig::new("version: 1\n").await;
    let (a, b, c) = {
        let mut m = rig.emu.model();
        (
            m.create_issue(REPO, "a", "", &[], "mia"),
            m.create_issue(REPO, "b", "", &[], "mia"),
            m.create_issue(REPO, "c", "", &[], "mia"),
        )
    };
    rig.commit("topic", &[("t", "1\n")], "feat: t");
    let body = format!("Resolves #{a}, fixes: acme/widgets#{b}; see #{c}; closes acme/infra#{c}");
    let into_main = rig
        .emu
        .model()
        .create_pull(REPO, "topic", "main", "feat: t", &body, "mia");
    rig.commit("other", &[("o", "1\n")], "feat: o");
    let elsewhere = rig.emu.model().create_pull(
        REPO,
        "other",
        "production",
        "feat: o",
        &format!("Closes #{c}"),
        "mia",
    );
    let (status, merged) = rig
        .api(
            "PUT",
            &format!("/repos/{REPO}/pulls/{into_main}/merge"),
            serde_json::json!({"merge_method": "squash"}),
        )
        .await;
    assert_eq!(status, 200, "{merged}");
    rig.emu.model().merge_pull(REPO, elsewhere, "mia");
    let state = |n| rig.emu.model().issue(REPO, n).unwrap().state;
    assert_eq!(
        (state(a), state(b), state(c)),
        ("closed".into(), "closed".into(), "open".into())
    );
    let main = rig.main_sha();
    assert_eq!(merged["sha"], main.as_str());
    let (_, commit) = rig
        .api(
            "GET",
            &format!("/repos/{REPO}/commits/{main}"),
            serde_json::Value::Null,
        )
        .await;
    assert_eq!(
        commit["parents"].as_array().unwrap().len(),
        1,
        "a squash merge has one parent"
    );
    assert_eq!(
        commit["commit"]["message"],
        format!("feat: t (#{into_main})")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn merge_explains_without_letting_a_check_name_issue_workflow_commands() {
    let rig = PipelineRig::new("version: 1\n").await;
    rig.commit("topic", &[("t", "1\n")], "feat: t");
    let pr = rig
        .emu
        .model()
        .create_pull(REPO, "topic", "main", "feat: t", "", "mia");
    let head = rig.emu.model().pull(REPO, pr).unwrap().head_sha;
    let hostile = "ci\n::add-mask::x\n::stop-commands::y";
    let (status, _) = rig
        .api(
            "POST",
            &format!("/repos/{REPO}/check-runs"),
            serde_json::json!({"name": hostile, "head_sha": head, "status": "completed", "conclusion": "failure"}),
        )
        .await;
    assert_eq!(status, 201);
    rig.emu.clear_requests();
    let out = rig
        .run(&["merge", "--pr", &pr.to_string(), "--dry-run"], &[])
        .await;
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("not merging"), "{all}");
    assert!(all.contains("concluded failure"), "{all}");
    assert!(
        all.lines().all(|l| !l.trim_start().starts_with("::")),
        "{all}"
    );
    assert!(rig.emu.writes().is_empty());
}
