//! `shiprig smoke` against real HTTP servers on 127.0.0.1: healthy, failing then healthy within
//! the deadline, wrong version, over the latency budget, connection refused; and monitor mode.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::Value;

use crate::support;
use crate::support::pipeline::{PipelineRig, REPO, printed};
use crate::support::text;

#[derive(Clone)]
struct Site {
    flaky_left: Arc<AtomicUsize>,
    version: Arc<std::sync::Mutex<String>>,
    down: Arc<std::sync::atomic::AtomicBool>,
}

async fn healthz(State(site): State<Site>) -> (StatusCode, &'static str) {
    if site.down.load(Ordering::SeqCst) {
        (StatusCode::SERVICE_UNAVAILABLE, "down")
    } else {
        (StatusCode::OK, "ok")
    }
}

async fn flaky(State(site): State<Site>) -> (StatusCode, &'static str) {
    let left = site.flaky_left.load(Ordering::SeqCst);
    if left > 0 {
        site.flaky_left.store(left - 1, Ordering::SeqCst);
        (StatusCode::BAD_GATEWAY, "warming up")
    } else {
        (StatusCode::OK, "ok")
    }
}

async fn version(State(site): State<Site>) -> String {
    format!(
        r#"{{"version":"{}","status":"ok"}}"#,
        site.version.lock().unwrap()
    )
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(400)).await;
    "ok"
}

/// The test's own web app on 127.0.0.1; returns its base URL.
async fn start_site(site: Site) -> String {
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/flaky", get(flaky))
        .route("/version", get(version))
        .route("/slow", get(slow))
        .with_state(site);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A URL where nothing listens: the port was bound, then let go.
async fn refused_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/healthz")
}

fn site(version: &str) -> Site {
    Site {
        flaky_left: Arc::new(AtomicUsize::new(3)),
        version: Arc::new(std::sync::Mutex::new(version.to_string())),
        down: Arc::default(),
    }
}

fn config(checks: &str, deadline: &str) -> String {
    format!(
        "version: 1\nnotify: {{slack: {{webhook_url_env: SLACK_WEBHOOK_URL}}}}\ndeploy:\n  staging:\n    command: [\"true\"]\n    smoke_deadline: {deadline}\n    smoke:\n{checks}"
    )
}

async fn smoke(rig: &PipelineRig, sha: &str) -> (Option<i32>, Value, String) {
    let out = rig
        .run(&["--json", "smoke", "staging"], &[("GITHUB_SHA", sha)])
        .await;
    let all = printed(&out);
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), json, all)
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn healthy_checks_pass_record_success_and_tell_slack() {
    let base = start_site(site("placeholder")).await;
    let checks = format!(
        "      - {{name: health, url: \"{base}/healthz\", expect_status: 200, expect_body: ok}}\n      - {{name: json, url: \"{base}/version\", expect_json: {{/status: ok}}, expect_body_regex: '\"version\"'}}\n"
    );
    let rig = PipelineRig::new(&config(&checks, "5s")).await;
    let sha = rig.main_sha();
    let (code, report, _) = smoke(&rig, &sha).await;
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["passed"], true);
    assert_eq!(check(&report, "health")["attempts"], 1);
    let statuses = rig.emu.model().statuses(REPO, &sha);
    assert!(
        statuses.contains(&("shiprig/smoke/staging".into(), "success".into())),
        "{statuses:?}"
    );
    let texts = rig.slack.texts();
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].contains("Smoke tests passed on *staging*"),
        "{texts:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_then_healthy_within_the_deadline_passes_after_retries() {
    let base = start_site(site("x")).await;
    let checks = format!("      - {{name: flaky, url: \"{base}/flaky\"}}\n");
    let rig = PipelineRig::new(&config(&checks, "20s")).await;
    let (code, report, _) = smoke(&rig, &rig.main_sha()).await;
    assert_eq!(code, Some(0), "{report}");
    let flaky = check(&report, "flaky");
    assert_eq!(flaky["passed"], true);
    assert_eq!(flaky["attempts"], 4, "three 502s, then ok: {flaky}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_version_fails_with_exit_1_naming_both_versions() {
    let base = start_site(site("0ld0000")).await;
    let checks = format!(
        "      - {{name: version, url: \"{base}/version\", expect_version: {{pointer: /version}}}}\n"
    );
    let rig = PipelineRig::new(&config(&checks, "1s")).await;
    let sha = rig.main_sha();
    let (code, report, _) = smoke(&rig, &sha).await;
    assert_eq!(code, Some(1));
    let message = check(&report, "version")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        message,
        format!("version: /version is \"0ld0000\", expected {sha}")
    );
    let statuses = rig.emu.model().statuses(REPO, &sha);
    assert!(statuses.contains(&("shiprig/smoke/staging".into(), "failure".into())));
    let texts = rig.slack.texts();
    assert_eq!(texts.len(), 1);
    assert!(
        texts[0].contains("Smoke tests FAILED on *staging*"),
        "{texts:?}"
    );
    assert!(texts[0].contains("version: /version is"), "{texts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_right_version_passes() {
    let rig_sha = {
        let rig = PipelineRig::new("version: 1\n").await;
        rig.main_sha()
    };
    // The emulator's SHAs are deterministic, so a fresh rig has the same main SHA.
    let base = start_site(site(&rig_sha[..7])).await;
    let checks = format!(
        "      - {{name: version, url: \"{base}/version\", expect_version: {{pointer: /version}}}}\n"
    );
    let rig = PipelineRig::new(&config(&checks, "2s")).await;
    assert_eq!(rig.main_sha(), rig_sha);
    let (code, report, _) = smoke(&rig, &rig_sha).await;
    assert_eq!(code, Some(0), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn over_the_latency_budget_fails() {
    let base = start_site(site("x")).await;
    let checks = format!("      - {{name: slow, url: \"{base}/slow\", max_latency_ms: 100}}\n");
    let rig = PipelineRig::new(&config(&checks, "1s")).await;
    let (code, report, _) = smoke(&rig, &rig.main_sha()).await;
    assert_eq!(code, Some(1));
    let message = check(&report, "slow")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.starts_with("took ") && message.ends_with("over the 100 ms budget"),
        "{message}"
    );
    assert!(check(&report, "slow")["latency_ms"].as_u64().unwrap() >= 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_refused_fails_after_retrying_to_the_deadline() {
    let url = refused_url().await;
    let checks = format!("      - {{name: down, url: \"{url}\"}}\n");
    let rig = PipelineRig::new(&config(&checks, "1s")).await;
    let started = std::time::Instant::now();
    let out = rig
        .run(&["smoke", "staging"], &[("GITHUB_SHA", &rig.main_sha())])
        .await;
    assert_eq!(out.status.code(), Some(1));
    let table = text(&out.stdout);
    assert!(table.contains("down   FAIL"), "{table}");
    assert!(table.contains("connection failed"), "{table}");
    assert!(
        table.contains("smoke staging: FAILED (0/1 checks passed)"),
        "{table}"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retried until the deadline"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_job_summary_gets_the_table() {
    let base = start_site(site("x")).await;
    let checks = format!("      - {{name: health, url: \"{base}/healthz\"}}\n");
    let rig = PipelineRig::new(&config(&checks, "2s")).await;
    let summary = rig.dir.path().join("summary.md");
    let summary_s = summary.display().to_string();
    let out = rig
        .run(
            &["smoke", "staging"],
            &[
                ("GITHUB_SHA", &rig.main_sha()),
                ("GITHUB_STEP_SUMMARY", &summary_s),
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("## ✅ Smoke tests: staging"), "{md}");
    assert!(md.contains("| health | pass | 200 |"), "{md}");
}

#[tokio::test(flavor = "multi_thread")]
async fn monitor_mode_tells_slack_only_when_the_state_changes() {
    let s = site("x");
    let down = s.down.clone();
    let base = start_site(s).await;
    let checks = format!("      - {{name: health, url: \"{base}/healthz\", expect_body: ok}}\n");
    let rig = PipelineRig::new(&config(&checks, "300ms")).await;
    let sha = rig.main_sha();
    // What is deployed is what monitor mode watches.
    let deploy = rig
        .run(&["deploy", "staging"], &[("GITHUB_SHA", &sha)])
        .await;
    assert_eq!(deploy.status.code(), Some(0), "{}", printed(&deploy));
    let before = rig.slack.texts().len();
    let alert = |rig: &PipelineRig| {
        let rig_env = rig.env();
        async move {
            let args: Vec<String> = ["smoke", "staging", "--alert"].map(String::from).to_vec();
            tokio::task::spawn_blocking(move || support::pipeline::shiprig(&args, &rig_env))
                .await
                .unwrap()
        }
    };
    assert_eq!(alert(&rig).await.status.code(), Some(0));
    assert_eq!(
        rig.slack.texts().len(),
        before,
        "healthy and never down: quiet"
    );
    down.store(true, Ordering::SeqCst);
    assert_eq!(alert(&rig).await.status.code(), Some(1));
    assert_eq!(alert(&rig).await.status.code(), Some(1));
    down.store(false, Ordering::SeqCst);
    assert_eq!(alert(&rig).await.status.code(), Some(0));
    assert_eq!(alert(&rig).await.status.code(), Some(0));
    let texts = rig.slack.texts()[before..].to_vec();
    assert_eq!(texts.len(), 2, "one message per change: {texts:?}");
    assert!(
        texts[0].contains("*staging* in acme/widgets is DOWN"),
        "{texts:?}"
    );
    assert!(
        texts[0].contains("health: status 503 (expected 200)"),
        "{texts:?}"
    );
    assert!(
        texts[1].contains("*staging* in acme/widgets has recovered"),
        "{texts:?}"
    );
    let uptime: Vec<_> = rig
        .emu
        .model()
        .statuses(REPO, &sha)
        .into_iter()
        .filter(|(c, _)| c == "shiprig/uptime/staging")
        .collect();
    assert_eq!(
        uptime.len(),
        2,
        "the state is written only when it changes: {uptime:?}"
    );
}
