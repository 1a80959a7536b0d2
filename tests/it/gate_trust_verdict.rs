//! docs/security.md#case-33, #case-34, #case-38 and #case-41 (the gate's side): a verdict belongs
//! to one pull request, its base SHA and its head SHA, and `merge` decides from its own reading of
//! the gate. Each test is the attacker's steps against the emulator, with the real binary (or the
//! library entry point where the test must act while the gate reads).

use std::time::Duration;

use serde_json::{Value, json};
use shiprig::emulator::{Fault, ReviewState};
use shiprig::gate::{GateEnding, GateEvent};

use crate::support::gate_rig::{AGENT_TOKEN, BinaryRun, CHECK, CONFIG, GateRig, REPO};

/// The agent opens a pull request from `head` into `base` with its own token.
async fn agent_opens(rig: &GateRig, head: &str, base: &str) -> u64 {
    let body = json!({"head": head, "base": base, "title": "feat: sessions"});
    let (status, pull) = rig
        .api(AGENT_TOKEN, "POST", &format!("/repos/{REPO}/pulls"), body)
        .await;
    assert_eq!(status, 201, "{pull}");
    pull["number"].as_u64().unwrap()
}

/// The gate on the `opened` event the agent's pull request caused.
async fn gate_opened(rig: &GateRig, pr: u64) -> BinaryRun {
    let event = rig.pull_event(pr, "opened", "rig-agent-1");
    rig.gate("pull_request_target", &event, &[]).await
}

async fn merge(rig: &GateRig, pr: u64) -> BinaryRun {
    let run = rig.shiprig(&["merge", "--pr", &pr.to_string()]).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    run
}

fn merged(rig: &GateRig, pr: u64) -> bool {
    rig.emu.model().pull(REPO, pr).unwrap().merged
}

/// What shiprig's token wrote (the attacker's own writes left out).
fn shiprig_writes(rig: &GateRig) -> Vec<String> {
    rig.emu
        .writes()
        .into_iter()
        .filter(|w| w.actor.as_deref() == Some("github-actions[bot]"))
        .map(|w| format!("{} {}", w.method, w.path))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_33_decoy_pr_sharing_the_head_sha_never_merges_the_real_one() {
    let rig = GateRig::new().await;
    // The agent pushes an auth change and opens the real pull request into main: gated.
    rig.emu.model().set_files(
        REPO,
        "agent/sessions",
        &[("src/auth/session.rs", "pub fn session() {}\n")],
        "feat: sessions",
    );
    let real = agent_opens(&rig, "agent/sessions", "main").await;
    let head = rig.head(real);
    let run = gate_opened(&rig, real).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);

    // A branch the agent owns, without rules, and a decoy of the same commit into it.
    rig.emu
        .model()
        .set_file(REPO, "agent-owned", ".github/shiprig.yml", "version: 1\n");
    let decoy = agent_opens(&rig, "agent/sessions", "agent-owned").await;
    assert_eq!(
        rig.head(decoy),
        head,
        "two open pull requests, one head SHA"
    );
    let decoy_run = gate_opened(&rig, decoy).await;

    // A writer who owns nothing in auth approves the real one: `merge` judges it itself.
    rig.review(real, "bob", ReviewState::Approved, "");
    let run = merge(&rig, real).await;
    assert!(
        !merged(&rig, real),
        "the decoy's verdict merged the real one"
    );
    assert!(run.stdout.contains("not merging"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("the human gate: A human must approve: auth"),
        "{}",
        run.stdout
    );

    // The decoy passes on its own base, but the check on the shared SHA speaks for both.
    let out = format!("{}{}", decoy_run.stdout, decoy_run.stderr);
    assert_eq!(decoy_run.code, Some(1), "{out}");
    assert_eq!(
        rig.conclusion(&head).as_deref(),
        Some("failure"),
        "{}",
        rig.summary(&head)
    );
    let summary = rig.summary(&head);
    assert!(
        summary.contains(&format!("#{real} into `main`: A human must approve: auth")),
        "{summary}"
    );

    // The auth owner approves: the real one passes, so the shared check does, and it merges.
    rig.review(real, "alice", ReviewState::Approved, "");
    let review = rig.pull_event(real, "submitted", "alice");
    let run = rig.gate("pull_request_review", &review, &[]).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(rig.conclusion(&head).as_deref(), Some("success"));
    let run = merge(&rig, real).await;
    assert!(run.stdout.contains("merged"), "{}", run.stdout);
    assert!(merged(&rig, real));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_34_a_success_named_like_the_gate_and_a_read_only_approval_never_merge() {
    let rig = GateRig::new().await;
    rig.emu.model().set_files(
        REPO,
        "agent/notes",
        &[("docs/notes.md", "notes\n")],
        "docs: notes",
    );
    let pr = agent_opens(&rig, "agent/notes", "main").await;
    let head = rig.head(pr);
    // The agent's own `success`: a commit status with its token, and a check run from a
    // workflow it controls (the Actions token).
    let status = json!({"state": "success", "context": CHECK, "description": "LGTM"});
    let (code, body) = rig
        .api(
            AGENT_TOKEN,
            "POST",
            &format!("/repos/{REPO}/statuses/{head}"),
            status,
        )
        .await;
    assert_eq!(code, 201, "{body}");
    let check =
        json!({"name": CHECK, "head_sha": head, "status": "completed", "conclusion": "success"});
    let (code, body) = rig
        .api(
            crate::support::gate_rig::TOKEN,
            "POST",
            &format!("/repos/{REPO}/check-runs"),
            check,
        )
        .await;
    assert_eq!(code, 201, "{body}");
    // mallory may only read.
    rig.review(pr, "mallory", ReviewState::Approved, "LGTM");
    let run = merge(&rig, pr).await;
    assert!(run.stdout.contains("not merging"), "{}", run.stdout);
    assert!(
        run.stdout.contains("no approving review") && run.stdout.contains("approved by: nobody"),
        "{}",
        run.stdout
    );
    assert!(
        !merged(&rig, pr),
        "a name and a read-only approval merged it"
    );

    // bob may write: an approval the gate counts, and `merge` merges on its own verdict,
    // pinned to the head it judged.
    rig.review(pr, "bob", ReviewState::Approved, "");
    rig.emu.clear_requests();
    let run = merge(&rig, pr).await;
    assert!(run.stdout.contains("merged"), "{}", run.stdout);
    assert!(merged(&rig, pr));
    let put: Vec<Value> = rig
        .emu
        .writes()
        .into_iter()
        .filter(|w| w.path.ends_with("/merge"))
        .filter_map(|w| w.body)
        .collect();
    assert_eq!(put, [json!({"sha": head, "merge_method": "squash"})]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_38_a_pr_retargeted_while_the_gate_reads_gets_nothing_for_the_old_base() {
    let rig = GateRig::new().await;
    let strict = CONFIG.replace("  rules:\n", "  rules:\n    docs: {paths: [\"docs/**\"]}\n");
    rig.emu
        .model()
        .set_file(REPO, "release", ".github/shiprig.yml", &strict);
    let pr = rig.open_pr("doc", &[("docs/guide.md", "x\n")], "dev");
    let head = rig.head(pr);
    rig.emu.clear_requests();
    // The pull request is retargeted while the gate reads main's rules.
    rig.emu.inject(Fault::delay(
        Some("GET"),
        &format!("/repos/{REPO}/pulls/{pr}/reviews"),
        Duration::from_millis(400),
    ));
    let ((report, _), status) = tokio::join!(rig.gate_in_process(GateEvent::local(pr)), async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let retarget = json!({"base": "release"});
        let path = format!("/repos/{REPO}/pulls/{pr}");
        rig.api(AGENT_TOKEN, "PATCH", &path, retarget).await.0
    });
    assert_eq!(status, 200);
    assert_eq!(report.ending, GateEnding::Superseded, "{:?}", report.notes);
    assert!(
        report.notes.iter().any(|n| n.contains("the base moved")),
        "{:?}",
        report.notes
    );
    assert!(rig.check(&head).is_none(), "main's verdict was posted");
    assert_eq!(shiprig_writes(&rig), Vec::<String>::new());

    // The `edited` event judges the new base.
    rig.emu.clear_faults();
    let edited = rig.pull_event(pr, "edited", "dev");
    let run = rig.gate("pull_request_target", &edited, &[]).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(
        rig.summary(&head).contains("### docs"),
        "{}",
        rig.summary(&head)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_41_an_agent_without_a_login_never_counts_as_a_reviewer() {
    let rig = GateRig::new().await;
    let loginless = CONFIG.replace(
        "    - {name: agent-2, login: rig-agent-2}\n",
        "    - {name: agent-2}\n",
    );
    assert_ne!(loginless, CONFIG);
    let path = rig.dir.path().join("shiprig.yml");
    std::fs::write(&path, &loginless).unwrap();
    let run = rig
        .shiprig(&["config", "validate", path.to_str().unwrap()])
        .await;
    let all = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(run.code, Some(2), "{all}");
    let place = format!("{}:5:7:", path.display());
    assert!(
        all.contains(&place) && all.contains("agent `agent-2` has no `login`"),
        "{all}"
    );

    // The same config on the base: agent-2 (working as rig-agent-2) approves agent-1's work.
    rig.emu
        .model()
        .set_file(REPO, "main", ".github/shiprig.yml", &loginless);
    let pr = rig.open_pr(
        "pay",
        &[("src/billing/pay.rs", "fn pay() {}\n")],
        "rig-agent-1",
    );
    let head = rig.head(pr);
    rig.review(pr, "rig-agent-2", ReviewState::Approved, "");
    let run = gate_opened(&rig, pr).await;
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert_eq!(rig.conclusion(&head).as_deref(), Some("failure"));
    let summary = rig.summary(&head);
    assert!(
        summary.contains("main:5:7: agent") && summary.contains("agent-2"),
        "{summary}"
    );
    let run = rig.shiprig(&["merge", "--pr", &pr.to_string()]).await;
    assert_ne!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(!merged(&rig, pr));

    // With its login configured, neither that agent nor a bot approves: not for the gate, not
    // for `merge`.
    rig.emu
        .model()
        .set_file(REPO, "main", ".github/shiprig.yml", CONFIG);
    rig.review(pr, "helper[bot]", ReviewState::Approved, "");
    let run = gate_opened(&rig, pr).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = rig.summary(&head);
    assert!(summary.contains("payments"), "{summary}");
    let run = merge(&rig, pr).await;
    assert!(
        run.stdout.contains("not merging") && run.stdout.contains("approved by: nobody"),
        "{}",
        run.stdout
    );
    assert!(!merged(&rig, pr));
}
