//! Emulator behaviour for pull requests, contents, checks and workflow dispatch.

use base64::Engine;
use serde_json::{Value, json};
use shiprig::emulator::ReviewState;

use crate::support::emulator::{Api, REPO, TOKEN, seeded};

#[tokio::test]
async fn pull_files_show_renames_deletions_and_patches() {
    let emu = seeded().await;
    let n = {
        let mut m = emu.model();
        m.set_file(REPO, "main", "src/auth/session.rs", "fn a() {}\n");
        m.set_file(REPO, "main", "src/payments/charge.rs", "fn charge() {}\n");
        m.set_file(REPO, "main", "old.txt", "gone\n");
        m.set_file(REPO, "main", "src/lib.rs", "mod a;\nmod b;\n");
        m.delete_file(REPO, "feature", "src/auth/session.rs");
        m.set_file(REPO, "feature", "src/util/session.rs", "fn a() {}\n");
        m.delete_file(REPO, "feature", "old.txt");
        m.set_file(REPO, "feature", "src/lib.rs", "mod a;\nmod c;\n");
        m.set_symlink(REPO, "feature", "src/payments/link", "../auth");
        m.create_pull(REPO, "feature", "main", "Move session", "", "rig-agent-1")
    };
    let api = Api::new(&emu, Some(TOKEN));
    let files = api.get(&format!("/repos/{REPO}/pulls/{n}/files")).await;
    let by_name = |f: &str| {
        files
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["filename"] == f)
            .cloned()
            .unwrap()
    };
    let renamed = by_name("src/util/session.rs");
    assert_eq!(
        (
            renamed["status"].as_str(),
            renamed["previous_filename"].as_str()
        ),
        (Some("renamed"), Some("src/auth/session.rs"))
    );
    assert_eq!(by_name("old.txt")["status"], "removed");
    assert_eq!(by_name("old.txt")["patch"], "@@ -1,1 +0,0 @@\n-gone");
    let lib = by_name("src/lib.rs");
    assert_eq!(
        (
            lib["status"].as_str(),
            lib["additions"].as_u64(),
            lib["deletions"].as_u64()
        ),
        (Some("modified"), Some(1), Some(1))
    );
    assert_eq!(lib["patch"], "@@ -1,2 +1,2 @@\n mod a;\n-mod b;\n+mod c;");
    assert_eq!(by_name("src/payments/link")["status"], "added");
    let pr = api.get(&format!("/repos/{REPO}/pulls/{n}")).await;
    assert_eq!(
        (pr["changed_files"].as_u64(), pr["user"]["type"].as_str()),
        (Some(4), Some("Bot"))
    );
    let link = api
        .get(&format!(
            "/repos/{REPO}/contents/src/payments/link?ref=feature"
        ))
        .await;
    assert_eq!(
        (link["type"].as_str(), link["target"].as_str()),
        (Some("symlink"), Some("../auth"))
    );
    let (s, _) = api
        .json("GET", &format!("/repos/{REPO}/contents/nope.rs"), None)
        .await;
    assert_eq!(s, 404);
    let file = api.get(&format!("/repos/{REPO}/contents/src/lib.rs")).await;
    let raw: String = file["content"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(raw)
            .unwrap(),
        b"mod a;\nmod b;\n"
    );
}

#[tokio::test]
async fn merge_checks_the_head_sha_and_reviews_keep_their_commit() {
    let emu = seeded().await;
    let (n, first_head) = {
        let mut m = emu.model();
        m.set_file(REPO, "fix", "src/x.rs", "x\n");
        let n = m.create_pull(REPO, "fix", "main", "Fix", "", "rig-agent-1");
        (n, m.pull(REPO, n).unwrap().head_sha)
    };
    emu.model()
        .add_user("rita", shiprig::emulator::UserKind::User);
    emu.model()
        .set_permission(REPO, "rita", shiprig::emulator::Permission::Write);
    emu.model().add_token("ghp_rita", "rita");
    let rita = Api::new(&emu, Some("ghp_rita"));
    let (s, review) = rita
        .json(
            "POST",
            &format!("/repos/{REPO}/pulls/{n}/reviews"),
            Some(json!({"event": "APPROVE"})),
        )
        .await;
    assert_eq!(
        (s, review["commit_id"].as_str()),
        (200, Some(first_head.as_str()))
    );
    let author = Api::new(&emu, Some(TOKEN));
    let second = emu.model().push_to_pull(REPO, n, "src/x.rs", "y\n");
    let (s, v) = author
        .json(
            "PUT",
            &format!("/repos/{REPO}/pulls/{n}/merge"),
            Some(json!({"sha": first_head})),
        )
        .await;
    assert_eq!(
        (s, v["message"].as_str()),
        (
            409,
            Some("Head branch was modified. Review and try the merge again.")
        )
    );
    assert!(!emu.model().pull(REPO, n).unwrap().merged);
    let reviews = author
        .get(&format!("/repos/{REPO}/pulls/{n}/reviews"))
        .await;
    assert_eq!(reviews[0]["commit_id"], first_head.as_str());
    assert_eq!(reviews[0]["user"]["type"], "User");
    emu.model()
        .add_review(REPO, n, "rig-agent-1", ReviewState::ChangesRequested, "no");
    let (s, _) = author
        .json(
            "PUT",
            &format!(
                "/repos/{REPO}/pulls/{n}/reviews/{}/dismissals",
                review["id"]
            ),
            Some(json!({"message": "stale"})),
        )
        .await;
    assert_eq!(s, 200);
    let states: Vec<ReviewState> = emu
        .model()
        .pull(REPO, n)
        .unwrap()
        .reviews
        .iter()
        .map(|r| r.1)
        .collect();
    assert_eq!(
        states,
        vec![ReviewState::Dismissed, ReviewState::ChangesRequested]
    );
    let (s, v) = author
        .json(
            "PUT",
            &format!("/repos/{REPO}/pulls/{n}/merge"),
            Some(json!({"sha": second})),
        )
        .await;
    assert_eq!((s, v["merged"].as_bool()), (200, Some(true)));
    let issue = emu.model().issue(REPO, n).unwrap();
    assert_eq!(issue.state, "closed");
    assert_eq!(
        emu.model().file_at(REPO, "main", "src/x.rs").as_deref(),
        Some("y\n")
    );
    let (s, _) = author
        .json("PUT", &format!("/repos/{REPO}/pulls/{n}/merge"), None)
        .await;
    assert_eq!(s, 405);
}

#[tokio::test]
async fn pull_files_stop_at_3000_like_github() {
    let emu = seeded().await;
    let n = {
        let mut m = emu.model();
        let names: Vec<String> = (0..3005).map(|i| format!("gen/f{i:04}.txt")).collect();
        let files: Vec<(&str, &str)> = names.iter().map(|p| (p.as_str(), "x\n")).collect();
        m.set_files(REPO, "big", &files, "generate");
        m.create_pull(REPO, "big", "main", "Big", "", "mia")
    };
    let api = Api::new(&emu, Some(TOKEN));
    let r = api
        .send(
            "GET",
            &format!("/repos/{REPO}/pulls/{n}/files?per_page=100&page=30"),
            None,
        )
        .await;
    let link = r.headers()["link"].to_str().unwrap().to_string();
    let page: Vec<Value> = r.json().await.unwrap();
    assert_eq!(page.len(), 100);
    assert!(!link.contains("rel=\"next\""), "{link}");
    let beyond = api
        .get(&format!(
            "/repos/{REPO}/pulls/{n}/files?per_page=100&page=31"
        ))
        .await;
    assert!(beyond.as_array().unwrap().is_empty());
    assert_eq!(
        api.get(&format!("/repos/{REPO}/pulls/{n}")).await["changed_files"],
        3005
    );
}

#[tokio::test]
async fn workflow_dispatch_renders_run_name_and_keeps_inputs() {
    let emu = seeded().await;
    emu.model().set_file(
        REPO,
        "main",
        ".github/workflows/agent.yml",
        "run-name: \"${{ inputs.agent }}: #${{ inputs.issue }}\"\n",
    );
    let api = Api::new(&emu, Some(TOKEN));
    let body = json!({"ref": "main", "inputs": {"issue": "12", "agent": "agent-2"}});
    let (s, _) = api
        .json(
            "POST",
            &format!("/repos/{REPO}/actions/workflows/agent.yml/dispatches"),
            Some(body),
        )
        .await;
    assert_eq!(s, 204);
    let body = json!({"ref": "main", "inputs": {"issue": "13"}});
    let (s, _) = api
        .json(
            "POST",
            &format!("/repos/{REPO}/actions/workflows/other.yml/dispatches"),
            Some(body),
        )
        .await;
    assert_eq!(s, 204);
    let (s, _) = api
        .json(
            "POST",
            &format!("/repos/{REPO}/actions/workflows/agent.yml/dispatches"),
            Some(json!({"ref": "nope"})),
        )
        .await;
    assert_eq!(s, 422);
    let runs = emu.model().workflow_runs(REPO);
    assert_eq!(runs.len(), 2);
    assert_eq!(
        (
            runs[0].display_title.as_str(),
            runs[0].status.as_str(),
            runs[0].event.as_str()
        ),
        ("agent-2: #12", "queued", "workflow_dispatch")
    );
    assert_eq!(runs[0].inputs["issue"], "12");
    assert_eq!(runs[1].display_title, "other.yml");
    emu.model()
        .set_run_status(REPO, runs[0].id, "completed", Some("failure"));
    let listed = api
        .get(&format!(
            "/repos/{REPO}/actions/workflows/agent.yml/runs?status=failure"
        ))
        .await;
    assert_eq!(listed["total_count"], 1);
    assert_eq!(listed["workflow_runs"][0]["actor"]["login"], "mia");
}

#[tokio::test]
async fn check_runs_filter_by_name_and_same_seed_gives_same_bytes() {
    let mut bodies = Vec::new();
    for _ in 0..2 {
        let emu = seeded().await;
        let sha = emu.model().branch_sha(REPO, "main").unwrap();
        let n = emu
            .model()
            .create_issue(REPO, "Same", "body", &["approved"], "mia");
        let api = Api::new(&emu, Some(TOKEN));
        for name in ["shiprig/human-gate", "ci"] {
            let (s, _) = api
                .json(
                    "POST",
                    &format!("/repos/{REPO}/check-runs"),
                    Some(json!({"name": name, "head_sha": sha, "conclusion": "success"})),
                )
                .await;
            assert_eq!(s, 201);
        }
        let gate = api
            .get(&format!(
                "/repos/{REPO}/commits/main/check-runs?check_name=shiprig/human-gate"
            ))
            .await;
        assert_eq!(gate["total_count"], 1);
        assert_eq!(emu.model().check_runs(REPO, &sha).len(), 2);
        let issue = api
            .send("GET", &format!("/repos/{REPO}/issues/{n}"), None)
            .await
            .text()
            .await
            .unwrap();
        bodies.push(issue.replace(&emu.url(), "BASE"));
    }
    assert_eq!(bodies[0], bodies[1]);
}
