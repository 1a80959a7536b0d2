//! `shiprig release-pr` through the binary: only after staging smoke passed, one pull request
//! updated in place, never moved back to an older SHA; `commits lint` annotations.

use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::support::pipeline::{PipelineRig, REPO, printed, start_app};
use crate::support::text;

fn config(app: &str) -> String {
    format!(
        "version: 1\ndeploy:\n  staging:\n    command: [\"true\"]\n    smoke:\n      - {{name: health, url: \"{app}/healthz\", expect_body: ok}}\n"
    )
}

async fn release_pr(rig: &PipelineRig, sha: &str) -> (Option<i32>, Value) {
    let out = rig
        .run(
            &["--json", "release-pr"],
            &[
                ("GITHUB_SHA", sha),
                ("GITHUB_SERVER_URL", "https://github.example"),
            ],
        )
        .await;
    let all = printed(&out);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{all}"));
    (out.status.code(), json)
}

async fn smoke(rig: &PipelineRig, sha: &str) {
    let out = rig.run(&["smoke", "staging"], &[("GITHUB_SHA", sha)]).await;
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
}

fn release_pulls(rig: &PipelineRig) -> Vec<(u64, String, String)> {
    let m = rig.emu.model();
    (1..=20)
        .filter_map(|n| m.pull(REPO, n).map(|p| (n, p)))
        .filter(|(_, p)| p.state == "open")
        .map(|(n, _)| {
            let i = m.issue(REPO, n).unwrap();
            (n, i.title, i.body.unwrap_or_default())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn release_pr_waits_for_smoke_then_keeps_one_pull_request_up_to_date() {
    let app = start_app(Arc::new(Mutex::new(String::new()))).await;
    let rig = PipelineRig::new(&config(&app)).await;
    let first = rig.commit(
        "main",
        &[("src/a.rs", "a\n")],
        "feat(api): add tool calls (#5)",
    );

    // No smoke result yet: refused, nothing written.
    rig.emu.clear_requests();
    let (code, report) = release_pr(&rig, &first).await;
    assert_eq!(code, Some(1));
    assert_eq!(report["outcome"]["outcome"], "smoke_not_passed");
    assert!(rig.emu.writes().is_empty());

    smoke(&rig, &first).await;
    let (code, report) = release_pr(&rig, &first).await;
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["outcome"]["outcome"], "created");
    let pulls = release_pulls(&rig);
    assert_eq!(pulls.len(), 1);
    assert_eq!(pulls[0].1, "chore(release): v0.1.0");
    assert!(pulls[0].2.contains("add tool calls"), "{}", pulls[0].2);

    // A second push: the same pull request, its body updated.
    let second = rig.commit("main", &[("src/b.rs", "b\n")], "fix: empty bodies (#6)");
    smoke(&rig, &second).await;
    let (_, report) = release_pr(&rig, &second).await;
    assert_eq!(report["outcome"]["outcome"], "updated");
    let pulls = release_pulls(&rig);
    assert_eq!(pulls.len(), 1, "never a second release pull request");
    assert!(pulls[0].2.contains("add tool calls") && pulls[0].2.contains("empty bodies"));
    assert_eq!(
        rig.emu.model().branch_sha(REPO, "shiprig/release"),
        Some(second.clone())
    );

    // A late run for the older push does not move the release back.
    let (_, report) = release_pr(&rig, &first).await;
    assert_eq!(report["outcome"]["outcome"], "stale");
    assert_eq!(
        rig.emu.model().branch_sha(REPO, "shiprig/release"),
        Some(second.clone())
    );

    // Nothing new: nothing written.
    rig.emu.clear_requests();
    let (_, report) = release_pr(&rig, &second).await;
    assert_eq!(report["outcome"]["outcome"], "unchanged");
    assert!(rig.emu.writes().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn commits_lint_annotates_with_the_fix_and_escapes_the_text() {
    let rig = PipelineRig::new("version: 1\n").await;
    rig.commit("topic", &[("x", "1\n")], "feat: fine");
    rig.commit(
        "topic",
        &[("x", "2\n")],
        "Fixed the thing\r\n::add-mask::oops",
    );
    let pr = rig.emu.model().create_pull(
        REPO,
        "topic",
        "main",
        "Add dark mode %0A::stop-commands::x",
        "",
        "mia",
    );
    let out = rig
        .run(&["commits", "lint", "--pr", &pr.to_string()], &[])
        .await;
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0].starts_with("::error title=title is not a conventional commit::Add dark mode %250A::stop-commands::x%0A"), "{}", lines[0]);
    assert!(
        lines[0].ends_with("Write it as: feat: add dark mode %250A::stop-commands::x"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("Write it as: fix: the thing"),
        "{}",
        lines[1]
    );
    assert!(!stdout.contains("\n::add-mask::"), "{stdout}");
    assert_eq!(lines[2], format!("#{pr}: 3 checked, 2 not conventional"));
}
