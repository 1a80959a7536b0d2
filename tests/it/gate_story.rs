//! The human gate end to end through the real binary: an agent's pull request touches auth code
//! and adds a crate; the agent's and a bot's approvals change nothing; a code owner's does; a
//! new push needs a new approval.

use shiprig::emulator::ReviewState;

use crate::support;
use crate::support::gate_rig::{GateRig, REPO};

const NEW_CRATE: &str =
    "[package]\nname = \"rig\"\n\n[dependencies]\nserde = \"1\"\nleftpad = \"0.1\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_pr_waits_for_a_code_owner_and_again_after_a_push() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr(
        "agent-1/login",
        &[
            ("src/auth/login.rs", "pub fn login() {}\n"),
            ("Cargo.toml", NEW_CRATE),
        ],
        "rig-agent-1",
    );
    rig.emu.model().add_label(REPO, pr, "agent:agent-1", "acme");
    rig.emu.model().add_label(REPO, pr, "bug", "acme");

    // 1. The check fails, naming both categories, the file and the crate.
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let head = rig.head(pr);
    assert_eq!(rig.conclusion(&head).as_deref(), Some("failure"));
    let summary = rig.summary(&head);
    assert!(
        summary.contains("### auth") && summary.contains("src/auth/login.rs"),
        "{summary}"
    );
    assert!(
        summary.contains("### dependencies") && summary.contains("leftpad"),
        "{summary}"
    );
    assert!(summary.contains("@alice, @acme/security"), "{summary}");
    assert!(summary.contains("agent `agent-1`"), "{summary}");
    assert_eq!(
        rig.labels(pr),
        [
            "agent:agent-1",
            "bug",
            "human-gate",
            "human-gate:auth",
            "human-gate:dependencies"
        ]
    );
    assert_eq!(rig.comments(pr).len(), 1);

    // 2. The agent's own approval and a bot's change nothing; the comment is edited in place.
    // Someone removes shiprig's label while it still applies: it comes back.
    assert!(
        rig.emu
            .model()
            .remove_label(REPO, pr, "human-gate:auth", "dev")
    );
    rig.review(pr, "rig-agent-1", ReviewState::Approved, "LGTM");
    rig.review(pr, "helper[bot]", ReviewState::Approved, "LGTM");
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert_eq!(rig.conclusion(&head).as_deref(), Some("failure"));
    let summary = rig.summary(&head);
    assert!(
        summary.contains("rig-agent-1: the login of agent `agent-1`"),
        "{summary}"
    );
    assert!(summary.contains("helper\\[bot\\]: a bot"), "{summary}");
    let comments = rig.comments(pr);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].contains("helper\\[bot\\]: a bot"));
    assert!(rig.labels(pr).contains(&"human-gate:auth".to_string()));

    // 3. A code owner approves: the check passes; only `human-gate` goes.
    rig.review(pr, "alice", ReviewState::Approved, "");
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(rig.conclusion(&head).as_deref(), Some("success"));
    assert!(rig.summary(&head).contains("approved by alice"));
    assert_eq!(
        rig.labels(pr),
        [
            "agent:agent-1",
            "bug",
            "human-gate:auth",
            "human-gate:dependencies"
        ]
    );
    assert_eq!(rig.comments(pr).len(), 1);

    // 4. A new push: failing again on the new head until re-approved.
    let pushed = rig.push(pr, "src/auth/login.rs", "pub fn login() { todo!() }\n");
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert_eq!(rig.conclusion(&pushed).as_deref(), Some("failure"));
    assert!(
        rig.summary(&pushed)
            .contains("alice: approved an older commit")
    );
    assert!(rig.labels(pr).contains(&"human-gate".to_string()));
    assert_eq!(
        rig.conclusion(&head).as_deref(),
        Some("success"),
        "the old SHA keeps its own result"
    );

    rig.review(pr, "alice", ReviewState::Approved, "");
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(rig.conclusion(&pushed).as_deref(), Some("success"));
    assert_eq!(
        rig.comments(pr).len(),
        1,
        "one sticky comment the whole way"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_and_json_print_the_verdict_and_write_nothing() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr("f", &[("src/billing/pay.rs", "x\n")], "dev");
    rig.emu.clear_requests();
    let event = rig.pull_event(pr, "opened", "dev");
    let run = rig
        .gate(
            "pull_request_target",
            &event,
            &[("SHIPRIG_DRY_RUN", "true"), ("SHIPRIG_JSON", "true")],
        )
        .await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(rig.emu.writes().is_empty());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["verdict"]["outcome"], "needs_human");
    assert_eq!(report["verdict"]["gated"][0]["category"], "payments");
    let reads = report["requests"]["reads"].as_u64().unwrap();
    assert_eq!(reads as usize, rig.emu.requests().len());
    assert_eq!(report["requests"]["writes"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ungated_change_passes_quietly_and_merge_groups_get_an_answer() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr("docs", &[("docs/guide.md", "hello\n")], "dev");
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(rig.conclusion(&rig.head(pr)).as_deref(), Some("success"));
    assert!(rig.comments(pr).is_empty(), "nothing to say, no comment");
    assert!(rig.labels(pr).is_empty());

    // The merge queue's commit gets the PR's verdict; an auth PR without approval fails there.
    let gated = rig.open_pr("auth", &[("src/auth/x.rs", "x\n")], "dev");
    let group_sha = rig.emu.model().set_files(
        REPO,
        "gh-readonly-queue/main/pr-2-abc",
        &[("src/auth/x.rs", "x\n")],
        "queue",
    );
    let event = serde_json::json!({"action": "checks_requested", "merge_group": {
        "head_sha": group_sha, "head_ref": format!("refs/heads/gh-readonly-queue/main/pr-{gated}-abc"),
        "base_sha": rig.emu.model().branch_sha(REPO, "main").unwrap(), "base_ref": "refs/heads/main"}});
    let run = rig.gate("merge_group", &event, &[]).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert_eq!(rig.conclusion(&group_sha).as_deref(), Some("failure"));
    rig.review(gated, "bob", ReviewState::Approved, "");
    rig.review(gated, "alice", ReviewState::Approved, "");
    let run = rig.gate("merge_group", &event, &[]).await;
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(rig.conclusion(&group_sha).as_deref(), Some("success"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_check_runs_are_refused_a_commit_status_of_the_same_name_is_posted() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr("status", &[("src/auth/a.rs", "x\n")], "dev");
    rig.emu.inject(shiprig::emulator::Fault::status(
        Some("POST"),
        "/repos/*/*/check-runs",
        403,
    ));
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let head = rig.head(pr);
    let statuses = rig.emu.model().commit_statuses(REPO, &head);
    assert_eq!(statuses.len(), 1);
    assert_eq!(
        (statuses[0].0.as_str(), statuses[0].1.as_str()),
        (support::gate_rig::CHECK, "failure")
    );
}
