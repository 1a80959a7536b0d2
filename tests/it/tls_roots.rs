//! The system's CA certificates are read only when an https connection needs them: a run
//! that talks plain http (the emulator here, a GitHub Enterprise Server or a Slack relay
//! behind a local proxy) works where the system has none, and building a client reads none.

use crate::support::pipeline::{PipelineRig, REPO, printed, shiprig};

const CONFIG: &str = "version: 1\nconductor:\n  agents: [{name: agent-1, login: rig-agent-1}]\nnotify:\n  slack: {webhook_url_env: SLACK_WEBHOOK_URL}\ngate:\n  rules:\n    auth: {paths: [\"src/auth/**\"], owners: [\"@alice\"]}\n";

/// The gate on a pull request that needs a person, on a system without CA certificates
/// (`SSL_CERT_FILE` an empty file, `SSL_CERT_DIR` an empty folder): GitHub and Slack, both
/// over http, hear from it as anywhere else.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_over_plain_http_needs_no_ca_certificates() {
    let rig = PipelineRig::new(CONFIG).await;
    let pull = {
        let mut m = rig.emu.model();
        m.set_files(REPO, "main", &[(".github/shiprig.yml", CONFIG)], "config");
        m.set_files(
            REPO,
            "agent-1/login",
            &[("src/auth/login.rs", "pub fn login() {}\n")],
            "feat(auth): login",
        );
        m.create_pull(
            REPO,
            "agent-1/login",
            "main",
            "feat(auth): login",
            "",
            "rig-agent-1",
        )
    };
    let empty = tempfile::tempdir().unwrap();
    let file = empty.path().join("ca-certificates.crt");
    std::fs::write(&file, "").unwrap();
    let folder = empty.path().join("certs");
    std::fs::create_dir(&folder).unwrap();
    // The rig's environment without its local config (a real gate run reads the base's).
    let mut env: Vec<(String, String)> = rig
        .env()
        .into_iter()
        .filter(|(name, _)| name != "SHIPRIG_CONFIG")
        .collect();
    env.extend([
        ("SSL_CERT_FILE".into(), file.display().to_string()),
        ("SSL_CERT_DIR".into(), folder.display().to_string()),
    ]);
    let args = ["gate".to_string(), "--pr".into(), pull.to_string()];
    let out = tokio::task::spawn_blocking(move || shiprig(&args, &env))
        .await
        .unwrap();
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(1), "a person is needed: {all}");
    assert!(
        rig.labels(pull).contains(&"human-gate:auth".to_string()),
        "{all}"
    );
    let texts = rig.slack.texts();
    assert!(
        texts.iter().any(|t| t.contains("needs a human review")),
        "{texts:#?}"
    );
}
