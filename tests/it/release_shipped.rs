//! `done` means deployed and smoke-tested in production: `release publish` lists the shipped
//! issues in the GitHub Release; `release shipped`, after the production deploy and smoke,
//! marks them `done` (Slack once, and once more when the queue is empty). A failed production
//! smoke leaves them `in-review`; a rerun after the fix finishes once.

use std::sync::{Arc, Mutex};

use crate::support::pipeline::{PipelineRig, REPO, printed, start_app};

fn config(app: &str) -> String {
    format!(
        "version: 1\nnotify:\n  slack: {{webhook_url_env: SLACK_WEBHOOK_URL}}\ndeploy:\n  staging:\n    command: [\"true\"]\n    smoke:\n      - {{name: health, url: \"{app}/healthz\", expect_body: ok}}\n  production:\n    command: [\"true\"]\n    smoke_deadline: 1s\n    smoke:\n      - {{name: version, url: \"{app}/version\", expect_body: good}}\n"
    )
}

async fn ok(rig: &PipelineRig, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = rig.run(args, env).await;
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {all}");
    all
}

/// A person's fix for an `approved`, `in-review` issue, released and the release PR merged
/// and published; returns (issue, the production commit).
async fn published(rig: &PipelineRig, extra_approved: bool) -> (u64, String) {
    let (issue, fix) = {
        let mut m = rig.emu.model();
        let issue = m.create_issue(
            REPO,
            "Footer overlaps",
            "",
            &["approved", "in-review"],
            "mia",
        );
        if extra_approved {
            m.create_issue(REPO, "Dark mode", "", &["approved"], "mia");
        }
        m.set_file(REPO, "mia/footer", "src/f.rs", "f\n");
        let pull = m.create_pull(
            REPO,
            "mia/footer",
            "main",
            "fix: footer",
            &format!("Fixes #{issue}"),
            "mia",
        );
        (issue, pull)
    };
    let sha = rig.commit(
        "main",
        &[("src/f.rs", "f\n")],
        &format!("fix: footer (#{fix})"),
    );
    ok(rig, &["smoke", "staging"], &[("GITHUB_SHA", &sha)]).await;
    ok(rig, &["release-pr"], &[("GITHUB_SHA", &sha)]).await;
    let pull = (1..=20)
        .rev()
        .find(|n| {
            rig.emu
                .model()
                .pull(REPO, *n)
                .is_some_and(|p| p.state == "open")
        })
        .expect("a release pull request");
    let merged = rig.emu.model().merge_pull(REPO, pull, "mia");
    let out = ok(rig, &["release", "publish", "--pr", &pull.to_string()], &[]).await;
    assert!(out.contains("published v0.1.0"), "{out}");
    (issue, merged)
}

fn has(labels: &[String], name: &str) -> bool {
    labels.iter().any(|l| l == name)
}

fn heard(rig: &PipelineRig, what: &str) -> usize {
    rig.slack
        .texts()
        .iter()
        .filter(|t| t.contains(what))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn done_only_after_production_smoke_passes_and_the_drained_queue_is_told_once() {
    let version = Arc::new(Mutex::new("good".to_string()));
    let app = start_app(version.clone()).await;
    let rig = PipelineRig::new(&config(&app)).await;
    let (issue, sha) = published(&rig, false).await;
    let env = [("GITHUB_SHA", sha.as_str())];

    // Published, not yet deployed: the issue is still in review, and `release shipped` before
    // the production smoke marks nothing.
    let labels = rig.labels(issue);
    assert!(
        !has(&labels, "done") && has(&labels, "in-review"),
        "{labels:?}"
    );
    let early = rig.run(&["release", "shipped"], &env).await;
    assert_eq!(early.status.code(), Some(1), "{}", printed(&early));
    assert!(
        printed(&early).contains("stay in review"),
        "{}",
        printed(&early)
    );
    assert!(!has(&rig.labels(issue), "done"));

    ok(&rig, &["deploy", "production"], &env).await;
    ok(&rig, &["smoke", "production"], &env).await;
    let out = ok(
        &rig,
        &["release", "shipped"],
        &[("GITHUB_SHA", &sha), ("SHIPRIG_JOB_STATUS", "success")],
    )
    .await;
    assert!(out.contains(&format!("done: #{issue}")), "{out}");
    assert!(out.contains("the queue is empty"), "{out}");
    let labels = rig.labels(issue);
    assert!(
        has(&labels, "done") && !has(&labels, "in-review"),
        "{labels:?}"
    );
    assert_eq!(
        heard(&rig, "is live in production"),
        1,
        "{:#?}",
        rig.slack.texts()
    );
    assert_eq!(heard(&rig, "The queue of"), 1, "{:#?}", rig.slack.texts());

    // A rerun changes nothing and says nothing.
    let writes = rig.emu.writes().len();
    let again = ok(&rig, &["release", "shipped"], &env).await;
    assert!(again.contains("already done"), "{again}");
    assert_eq!(rig.emu.writes().len(), writes, "a rerun writes nothing");
    assert_eq!(heard(&rig, "is live in production"), 1);
    assert_eq!(heard(&rig, "The queue of"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_production_smoke_leaves_issues_in_review_and_the_rerun_after_the_fix_finishes_once()
 {
    let version = Arc::new(Mutex::new("broken".to_string()));
    let app = start_app(version.clone()).await;
    let rig = PipelineRig::new(&config(&app)).await;
    let (issue, sha) = published(&rig, true).await;
    let env = [("GITHUB_SHA", sha.as_str())];
    let summary = tempfile::NamedTempFile::new().unwrap();
    let summary_path = summary.path().display().to_string();

    ok(&rig, &["deploy", "production"], &env).await;
    let smoke = rig.run(&["smoke", "production"], &env).await;
    assert_ne!(smoke.status.code(), Some(0), "{}", printed(&smoke));
    // The job failed: the step after it runs anyway and says why the issues wait.
    let held = rig
        .run(
            &["release", "shipped"],
            &[
                ("GITHUB_SHA", &sha),
                ("SHIPRIG_JOB_STATUS", "failure"),
                ("GITHUB_STEP_SUMMARY", &summary_path),
            ],
        )
        .await;
    assert_eq!(held.status.code(), Some(1), "{}", printed(&held));
    let labels = rig.labels(issue);
    assert!(
        !has(&labels, "done") && has(&labels, "in-review"),
        "{labels:?}"
    );
    let written = std::fs::read_to_string(summary.path()).unwrap();
    assert!(written.contains("Release held in review"), "{written}");
    assert!(
        written.contains(&format!("#{issue} stay in review")),
        "{written}"
    );
    assert_eq!(
        heard(&rig, "is not verified in production"),
        1,
        "{:#?}",
        rig.slack.texts()
    );

    // Fixed and rerun: done once; another approved issue is still queued, so no "drained".
    *version.lock().unwrap() = "good".into();
    ok(&rig, &["smoke", "production"], &env).await;
    let out = ok(
        &rig,
        &["release", "shipped"],
        &[("GITHUB_SHA", &sha), ("SHIPRIG_JOB_STATUS", "success")],
    )
    .await;
    assert!(out.contains(&format!("done: #{issue}")), "{out}");
    assert!(!out.contains("the queue is empty"), "{out}");
    ok(&rig, &["release", "shipped"], &env).await;
    let labels = rig.labels(issue);
    assert!(
        has(&labels, "done") && !has(&labels, "in-review"),
        "{labels:?}"
    );
    assert_eq!(
        heard(&rig, "is live in production"),
        1,
        "{:#?}",
        rig.slack.texts()
    );
    assert_eq!(heard(&rig, "The queue of"), 0);
}
