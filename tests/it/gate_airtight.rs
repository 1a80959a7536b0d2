//! The holes a reviewer could slip through, closed: writers the gate could not see
//! (docs/security.md #case-10 and #case-12), inputs it could not read that used to pass (cases 8,
//! 16, 17), and events it must refuse before judging. Each drives the real binary against the
//! emulator.

use serde_json::json;
use shiprig::emulator::{Fault, ReviewState};

use crate::support::gate_rig::{CONFIG, GateRig, REPO};

fn failing(rig: &GateRig, sha: &str) -> String {
    assert_eq!(
        rig.conclusion(sha).as_deref(),
        Some("failure"),
        "{}",
        rig.summary(sha)
    );
    rig.summary(sha)
}

/// A `pull_request_review` payload for the PR as it is now.
fn review_event(rig: &GateRig, pr: u64, reviewer: &str) -> serde_json::Value {
    let mut event = rig.pull_event(pr, "submitted", reviewer);
    event["review"] = json!({"state": "approved", "user": {"login": reviewer}});
    event
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_10_a_pusher_recorded_on_synchronize_cannot_approve_on_a_later_review_run() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr("pay", &[("src/billing/a.rs", "x\n")], "dev");
    let push = rig.pull_event(pr, "synchronize", "pete");
    let run = rig.gate("pull_request_target", &push, &[]).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let head = rig.head(pr);
    let recorded = rig.check(&head).and_then(|c| c.external_id);
    assert_eq!(recorded.as_deref(), Some("shiprig:pushed-by=pete"));

    // The pusher approves; the review's own run knows nothing of the push but the record.
    rig.review(pr, "pete", ReviewState::Approved, "");
    let run = rig
        .gate("pull_request_review", &review_event(&rig, pr, "pete"), &[])
        .await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = failing(&rig, &head);
    assert!(
        summary.contains("pete: pushed the head commit"),
        "{summary}"
    );
    let carried = rig.check(&head).and_then(|c| c.external_id);
    assert_eq!(carried.as_deref(), Some("shiprig:pushed-by=pete"));

    rig.review(pr, "bob", ReviewState::Approved, "");
    let run = rig
        .gate("pull_request_review", &review_event(&rig, pr, "bob"), &[])
        .await;
    assert_eq!(run.code, Some(0), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_12_an_unknown_pusher_is_said_and_the_gate_wide_count_applies() {
    let config = CONFIG
        .replace(
            "payments:     {paths: [\"src/billing/**\"]}",
            "payments:     {paths: [\"src/billing/**\"], min_approvals: 1}",
        )
        .replace(
            "min_approvals: 1, min_permission",
            "min_approvals: 2, min_permission",
        );
    let rig = GateRig::with_config(Some(&config)).await;
    let pr = rig.open_pr("pay", &[("src/billing/a.rs", "x\n")], "dev");
    rig.review(pr, "bob", ReviewState::Approved, "");
    let run = rig
        .gate("pull_request_review", &review_event(&rig, pr, "bob"), &[])
        .await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = failing(&rig, &rig.head(pr));
    assert!(summary.contains("is unknown"), "{summary}");
    assert!(summary.contains("needs 2 approval(s), has 1"), "{summary}");

    // Once the push's run has recorded its pusher, the category's own count holds.
    let push = rig.pull_event(pr, "synchronize", "dev");
    assert_eq!(
        rig.gate("pull_request_target", &push, &[]).await.code,
        Some(0)
    );
    let run = rig
        .gate("pull_request_review", &review_event(&rig, pr, "bob"), &[])
        .await;
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert!(!rig.summary(&rig.head(pr)).contains("is unknown"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_10_the_writer_of_commit_251_cannot_approve() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr("pay", &[("src/billing/a.rs", "0\n")], "dev");
    {
        let mut m = rig.emu.model();
        for i in 1..260 {
            let author = if i == 255 { "carl" } else { "dev" };
            let text = format!("{i}\n");
            m.set_files_by(REPO, "pay", &[("src/billing/a.rs", &text)], "more", author);
        }
    }
    rig.review(pr, "carl", ReviewState::Approved, "");
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = failing(&rig, &rig.head(pr));
    assert!(summary.contains("carl: a commit author"), "{summary}");
    let pages: Vec<String> = rig
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/compare/"))
        .map(|r| r.query)
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages[2].contains("page=3"), "{pages:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_10_an_unlinked_commit_is_named_and_its_writer_cannot_approve() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr("pay", &[("src/billing/a.rs", "x\n")], "dev");
    rig.emu.model().set_files_unlinked(
        REPO,
        "pay",
        &[("src/billing/b.rs", "y\n")],
        "more",
        "Carl Jones <carl@example.com>",
    );
    rig.review(pr, "carl", ReviewState::Approved, "");
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = failing(&rig, &rig.head(pr));
    assert!(summary.contains("does not link"), "{summary}");
    assert!(summary.contains("by Carl Jones \\<carl"), "{summary}");
    assert!(
        summary.contains("carl: matches the writer `Carl Jones`"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_10_an_approver_credited_as_co_author_does_not_count() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr("pay", &[("src/billing/a.rs", "x\n")], "dev");
    rig.emu.model().set_files_by(
        REPO,
        "pay",
        &[("src/billing/b.rs", "y\n")],
        "feat: pair work\n\nCo-authored-by: Bob B <bob@example.com>",
        "dev",
    );
    rig.review(pr, "bob", ReviewState::Approved, "");
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = failing(&rig, &rig.head(pr));
    assert!(summary.contains("bob: matches the writer"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_16_a_manifest_that_cannot_be_read_fails_closed_naming_it() {
    let rig = GateRig::new().await;
    let cargo = "[package]\nname = \"rig\"\n\n[dependencies]\nserde = \"1\"\nevil = \"1\"\n";
    let pr = rig.open_pr("deps", &[("Cargo.toml", cargo)], "dev");
    rig.emu.inject(Fault::status(
        Some("GET"),
        "/repos/acme/rig/contents/Cargo.toml",
        404,
    ));
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = failing(&rig, &rig.head(pr));
    assert!(
        summary.contains("### dependencies") && summary.contains("cannot read Cargo.toml"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_17_a_large_text_file_without_a_patch_is_read_for_diff_patterns() {
    let rig = GateRig::new().await;
    let mut big = "let x = 1;\n".repeat(20_001);
    big.push_str("db.exec(\"DELETE FROM users\");\n");
    let pr = rig.open_pr("big", &[("src/jobs/cleanup.rs", &big)], "dev");
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = failing(&rig, &rig.head(pr));
    assert!(
        summary.contains("### deletion") && summary.contains("DELETE FROM users"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_17_a_patchless_file_too_large_to_read_fails_closed_for_diff_patterns() {
    let rig = GateRig::new().await;
    let huge = "0123456789abcdef\n".repeat(70_000);
    let pr = rig.open_pr("huge", &[("data/dump.sql.txt", &huge)], "dev");
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = failing(&rig, &rig.head(pr));
    assert!(
        summary.contains("### deletion") && summary.contains("over the 1 MiB"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_16_paths_differing_in_case_or_separator_are_gated() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr("case", &[("SRC/Billing/charge.rs", "x\n")], "dev");
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = failing(&rig, &rig.head(pr));
    assert!(summary.contains("### payments"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_without_a_usable_head_sha_exits_2_and_posts_nothing() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr("pay", &[("src/billing/a.rs", "x\n")], "dev");
    for sha in [json!(""), json!(null), json!("HEAD")] {
        let mut event = rig.pull_event(pr, "synchronize", "dev");
        event["pull_request"]["head"]["sha"] = sha.clone();
        let run = rig.gate("pull_request_target", &event, &[]).await;
        assert_eq!(run.code, Some(2), "{sha}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains("head.sha"), "{}", run.stderr);
    }
    let group = json!({"action": "checks_requested", "merge_group": {"head_sha": "",
        "head_ref": format!("refs/heads/gh-readonly-queue/main/pr-{pr}-abc")}});
    assert_eq!(rig.gate("merge_group", &group, &[]).await.code, Some(2));
    assert!(rig.emu.requests().is_empty(), "{:?}", rig.emu.requests());
    assert!(rig.check(&rig.head(pr)).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_event_from_a_fork_or_a_deleted_fork_exits_3_before_judging() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr("pay", &[("src/billing/a.rs", "x\n")], "dev");
    for repo in [json!({"full_name": "mallory/rig"}), json!(null)] {
        let mut event = rig.pull_event(pr, "synchronize", "mallory");
        event["pull_request"]["head"]["repo"] = repo.clone();
        let run = rig.gate("pull_request", &event, &[]).await;
        assert_eq!(run.code, Some(3), "{repo}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains("pull_request_target"), "{}", run.stderr);
    }
    assert!(rig.emu.requests().is_empty(), "{:?}", rig.emu.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_16_a_file_included_with_dash_r_is_read_as_requirements() {
    let rig = GateRig::new().await;
    rig.emu.model().set_files(
        REPO,
        "main",
        &[
            ("requirements.txt", "-r common.txt\nflask==3.0\n"),
            ("common.txt", "requests==2.32.0\n"),
            ("requirements/base.txt", "click==8\n"),
        ],
        "python",
    );
    let pr = rig.open_pr(
        "deps",
        &[
            ("common.txt", "requests==2.32.0\nevil-pkg==1.0\n"),
            ("requirements/base.txt", "click==8\nrich==13\n"),
        ],
        "dev",
    );
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = failing(&rig, &rig.head(pr));
    assert!(
        summary.contains("new \\`evil-pkg\\` ==1.0 (requirements in common.txt)"),
        "{summary}"
    );
    assert!(summary.contains("new \\`rich\\`"), "{summary}");
}
