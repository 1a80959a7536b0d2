//! The review agent acts as its own GitHub user with its own token: its approval is what lets
//! an ungated pull request merge with no person; a gated one still waits for a person; a
//! change it requested holds the merge; and GitHub refuses an author's review of its own pull
//! request, which is why the reviewer needs an identity of its own. Each step goes through the
//! emulator's API with the actor's own token, and `merge` is the real binary.

use serde_json::{Value, json};
use shiprig::emulator::{Permission, UserKind};

use crate::support::gate_rig::{AGENT_TOKEN, BinaryRun, CONFIG, GateRig, REPO};

const REVIEWER_TOKEN: &str = "reviewer-token";
const BOB_TOKEN: &str = "bob-token";

/// The gate rig's config with a review agent of its own identity.
fn config() -> String {
    CONFIG.replace(
        "    - {name: agent-2, login: rig-agent-2}\n",
        "    - {name: agent-2, login: rig-agent-2}\n    - {name: reviewer, login: rig-reviewer, token_secret: SHIPRIG_AGENT_TOKEN_REVIEWER}\n  review_agent: reviewer\n",
    )
}

async fn rig() -> GateRig {
    let rig = GateRig::with_config(Some(&config())).await;
    {
        let mut m = rig.emu.model();
        m.add_user("rig-reviewer", UserKind::User);
        m.set_permission(REPO, "rig-reviewer", Permission::Write);
        m.add_token(REVIEWER_TOKEN, "rig-reviewer");
        m.add_token(BOB_TOKEN, "bob");
    }
    rig
}

/// agent-1 opens a pull request with its own token, as the agent workflow does.
async fn agent_opens(rig: &GateRig, branch: &str, files: &[(&str, &str)]) -> u64 {
    rig.emu.model().set_files(REPO, branch, files, "feat: work");
    let body = json!({"head": branch, "base": "main", "title": "feat: work", "body": "Closes #1"});
    let (status, pull) = rig
        .api(AGENT_TOKEN, "POST", &format!("/repos/{REPO}/pulls"), body)
        .await;
    assert_eq!(status, 201, "{pull}");
    let number = pull["number"].as_u64().unwrap();
    rig.emu
        .model()
        .add_label(REPO, number, "agent:agent-1", "rig-agent-1");
    number
}

async fn review(rig: &GateRig, token: &str, pr: u64, event: &str, body: &str) -> (u16, Value) {
    let head = rig.head(pr);
    rig.api(
        token,
        "POST",
        &format!("/repos/{REPO}/pulls/{pr}/reviews"),
        json!({"commit_id": head, "event": event, "body": body}),
    )
    .await
}

async fn merge(rig: &GateRig, pr: u64) -> BinaryRun {
    let run = rig.shiprig(&["merge", "--pr", &pr.to_string()]).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    run
}

fn merged(rig: &GateRig, pr: u64) -> bool {
    rig.emu.model().pull(REPO, pr).unwrap().merged
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_agents_approval_merges_an_ungated_pull_request_with_no_person() {
    let rig = rig().await;
    let pr = agent_opens(&rig, "agent/1-docs", &[("docs/guide.md", "# Guide\n")]).await;
    let run = merge(&rig, pr).await;
    assert!(!merged(&rig, pr), "no approval yet: {}", run.stdout);

    let (status, body) = review(&rig, REVIEWER_TOKEN, pr, "APPROVE", "Tests pass.").await;
    assert_eq!(status, 200, "{body}");
    let run = merge(&rig, pr).await;
    assert!(merged(&rig, pr), "{}{}", run.stdout, run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gated_pull_request_gets_the_agents_review_and_still_waits_for_a_person() {
    let rig = rig().await;
    let pr = agent_opens(
        &rig,
        "agent/1-pay",
        &[("src/billing/pay.rs", "fn pay() {}\n")],
    )
    .await;
    let (status, body) = review(&rig, REVIEWER_TOKEN, pr, "APPROVE", "Tests pass.").await;
    assert_eq!(status, 200, "{body}");
    let run = merge(&rig, pr).await;
    assert!(
        !merged(&rig, pr) && run.stdout.contains("payments"),
        "{}",
        run.stdout
    );

    let (status, body) = review(&rig, BOB_TOKEN, pr, "APPROVE", "Reviewed the billing.").await;
    assert_eq!(status, 200, "{body}");
    let run = merge(&rig, pr).await;
    assert!(merged(&rig, pr), "{}{}", run.stdout, run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_the_review_agent_requested_hold_the_merge_until_it_approves_the_new_head() {
    let rig = rig().await;
    let pr = agent_opens(&rig, "agent/1-docs", &[("docs/guide.md", "# Guide\n")]).await;
    let (status, body) = review(
        &rig,
        REVIEWER_TOKEN,
        pr,
        "REQUEST_CHANGES",
        "`cargo test` fails: guide_links.",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let run = merge(&rig, pr).await;
    assert!(
        !merged(&rig, pr) && run.stdout.contains("rig-reviewer requested changes"),
        "{}",
        run.stdout
    );

    // The author agent pushes a fix; the approval of the old head would not do, the new one does.
    rig.push(pr, "docs/guide.md", "# Guide\n\nFixed links.\n");
    let run = merge(&rig, pr).await;
    assert!(!merged(&rig, pr), "{}", run.stdout);
    let (status, body) = review(&rig, REVIEWER_TOKEN, pr, "APPROVE", "Tests pass now.").await;
    assert_eq!(status, 200, "{body}");
    let run = merge(&rig, pr).await;
    assert!(merged(&rig, pr), "{}{}", run.stdout, run.stderr);
}

/// GitHub's rule, kept by the emulator: an author's approval or change request on its own pull
/// request is refused (422). A reviewer sharing the author's token could never approve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_author_reviewing_its_own_pull_request_is_refused() {
    let rig = rig().await;
    let pr = agent_opens(&rig, "agent/1-docs", &[("docs/guide.md", "# Guide\n")]).await;
    for event in ["APPROVE", "REQUEST_CHANGES"] {
        let (status, body) = review(&rig, AGENT_TOKEN, pr, event, "Looks right to me.").await;
        assert_eq!(status, 422, "{event}: {body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("your own pull request"),
            "{body}"
        );
    }
    assert!(rig.emu.model().pull(REPO, pr).unwrap().reviews.is_empty());
    let run = merge(&rig, pr).await;
    assert!(!merged(&rig, pr), "{}", run.stdout);

    // The reviewer's own pull request: its approval of it is refused the same way, and the
    // review agent never counts for a change it wrote.
    rig.emu
        .model()
        .set_files(REPO, "reviewer/notes", &[("docs/notes.md", "n\n")], "docs");
    let (status, own) = rig
        .api(
            REVIEWER_TOKEN,
            "POST",
            &format!("/repos/{REPO}/pulls"),
            json!({"head": "reviewer/notes", "base": "main", "title": "docs: notes"}),
        )
        .await;
    assert_eq!(status, 201, "{own}");
    let own = own["number"].as_u64().unwrap();
    let (status, _) = review(&rig, REVIEWER_TOKEN, own, "APPROVE", "ok").await;
    assert_eq!(status, 422);
    // Seeded past the API (as a stale review would be): the gate still ignores it.
    rig.review(
        own,
        "rig-reviewer",
        shiprig::emulator::ReviewState::Approved,
        "ok",
    );
    let run = merge(&rig, own).await;
    assert!(!merged(&rig, own), "{}", run.stdout);
}
