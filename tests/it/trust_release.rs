//! docs/security.md#case-43 and #case-45: the release ships what staging tested, and `done` goes
//! only to issues the rig dispatched or a person linked. The attacker is an agent with a write
//! token: it pushes onto `shiprig/release`, or names an unrelated issue in its pull request's body.

use std::sync::{Arc, Mutex};

use shiprig::emulator::{Permission, UserKind};

use crate::support::pipeline::{PipelineRig, REPO, printed, start_app};

const AGENT: &str = "rig-agent";

fn config(app: &str) -> String {
    format!(
        "version: 1\nconductor:\n  agents: [{{name: a1, login: {AGENT}}}]\n  dispatch:\n    command: {{argv: [\"true\"]}}\ndeploy:\n  staging:\n    command: [\"true\"]\n    smoke:\n      - {{name: health, url: \"{app}/healthz\", expect_body: ok}}\n"
    )
}

async fn rig() -> PipelineRig {
    let app = start_app(Arc::new(Mutex::new(String::new()))).await;
    let rig = PipelineRig::new(&config(&app)).await;
    let mut m = rig.emu.model();
    m.add_user(AGENT, UserKind::User);
    m.set_permission(REPO, AGENT, Permission::Write);
    drop(m);
    rig
}

async fn ok(rig: &PipelineRig, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = rig.run(args, env).await;
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {all}");
    all
}

/// A smoke-tested commit on main and its release pull request; returns (sha, pull number).
async fn released(rig: &PipelineRig, files: &[(&str, &str)], message: &str) -> (String, u64) {
    let sha = rig.commit("main", files, message);
    ok(rig, &["smoke", "staging"], &[("GITHUB_SHA", &sha)]).await;
    let out = ok(rig, &["--json", "release-pr"], &[("GITHUB_SHA", &sha)]).await;
    let pull = (1..=20)
        .rev()
        .find(|n| {
            rig.emu
                .model()
                .pull(REPO, *n)
                .is_some_and(|p| p.state == "open")
        })
        .unwrap_or_else(|| panic!("no release pull request: {out}"));
    (sha, pull)
}

fn release_body(rig: &PipelineRig, pull: u64) -> String {
    rig.emu
        .model()
        .issue(REPO, pull)
        .unwrap()
        .body
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn case_43_a_commit_pushed_onto_the_release_branch_is_reset_and_told() {
    let rig = rig().await;
    let (tested, pull) = released(&rig, &[("src/a.rs", "a\n")], "feat: search (#9)").await;
    assert_eq!(
        rig.emu.model().branch_sha(REPO, "shiprig/release"),
        Some(tested.clone())
    );

    // The agent pushes its own commit onto the release branch after the PR opened.
    let pushed = rig.commit(
        "shiprig/release",
        &[("src/a.rs", "a\nexfiltrate()\n")],
        "chore: tidy",
    );
    let out = ok(&rig, &["release-pr"], &[("GITHUB_SHA", &tested)]).await;
    assert_eq!(
        rig.emu.model().branch_sha(REPO, "shiprig/release"),
        Some(tested.clone()),
        "reset to the smoke-tested SHA: {out}"
    );
    assert!(
        out.contains(&pushed) && out.contains("reset to"),
        "says so: {out}"
    );
    let body = release_body(&rig, pull);
    assert!(body.contains(&pushed) && body.contains("reset"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn case_43_publish_refuses_a_merged_head_other_than_the_vouched_sha() {
    let rig = rig().await;
    let (tested, pull) = released(&rig, &[("src/a.rs", "a\n")], "feat: search (#9)").await;
    // The agent pushes onto the release branch and a maintainer merges before any rerun.
    let pushed = rig.commit(
        "shiprig/release",
        &[("src/a.rs", "a\nexfiltrate()\n")],
        "chore: tidy",
    );
    rig.emu.model().merge_pull(REPO, pull, "mia");
    rig.emu.clear_requests();
    let number = pull.to_string();
    let out = rig.run(&["release", "publish", "--pr", &number], &[]).await;
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains(&pushed) && all.contains(&tested), "{all}");
    assert!(rig.emu.writes().is_empty(), "no tag, no release, no labels");
    assert!(rig.emu.model().releases(REPO).is_empty());
    assert!(!rig.emu.model().refs(REPO).contains_key("refs/tags/v0.1.0"));
}

#[tokio::test(flavor = "multi_thread")]
async fn case_45_an_agent_pull_request_naming_an_unrelated_issue_never_marks_it_done() {
    let rig = rig().await;
    let feature = {
        let mut m = rig.emu.model();
        let unrelated = m.create_issue(REPO, "Rotate the signing keys", "", &["approved"], "mia");
        m.set_file(REPO, "agent/search", "src/s.rs", "s\n");
        let pull = m.create_pull(
            REPO,
            "agent/search",
            "main",
            "feat: search",
            &format!("Adds search.\n\nCloses #{unrelated}"),
            AGENT,
        );
        (unrelated, pull)
    };
    let (unrelated, feature_pull) = feature;
    rig.commit(
        "main",
        &[("src/s.rs", "s\n")],
        &format!("feat: search (#{feature_pull})"),
    );
    // A person's pull request links the issue it fixes: that one is done.
    let (linked, fix_pull) = {
        let mut m = rig.emu.model();
        let linked = m.create_issue(REPO, "Footer overlaps", "", &["approved"], "mia");
        m.set_file(REPO, "mia/footer", "src/f.rs", "f\n");
        let pull = m.create_pull(
            REPO,
            "mia/footer",
            "main",
            "fix: footer",
            &format!("Fixes #{linked}"),
            "mia",
        );
        (linked, pull)
    };
    let message = format!("fix: footer (#{fix_pull})");
    let (_, pull) = released(&rig, &[("src/f.rs", "f\n")], &message).await;
    let merged = rig.emu.model().merge_pull(REPO, pull, "mia");
    let number = pull.to_string();
    let out = ok(&rig, &["release", "publish", "--pr", &number], &[]).await;
    assert!(out.contains("published v0.1.0"), "{out}");
    // Production deployed it (no production smoke checks here): the listed issues turn done.
    let out = ok(&rig, &["release", "shipped"], &[("GITHUB_SHA", &merged)]).await;
    assert!(
        !rig.labels(unrelated).contains(&"done".to_string()),
        "{:?}: {out}",
        rig.labels(unrelated)
    );
    assert!(
        rig.labels(linked).contains(&"done".to_string()),
        "a person's link counts: {out}"
    );
}
