//! SECURITY case 32: shiprig's secrets stay with shiprig. A `GITHUB_API_URL` with a password
//! in it is never printed, and deploy commands inherit no token, key or webhook URL unless the
//! environment's `env:` lists it.

use crate::support::pipeline::{Rig, printed};

#[test]
fn case_32_userinfo_in_the_api_url_is_never_printed() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shiprig"))
        .args(["gate", "--pr", "1"])
        .env_clear()
        .env("GITHUB_API_URL", "http://alice:s3cret@127.0.0.1:9")
        .env("GITHUB_TOKEN", "t")
        .env("GITHUB_REPOSITORY", "acme/rig")
        .output()
        .expect("the binary runs");
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(all.contains("127.0.0.1:9"), "{all}");
    assert!(!all.contains("s3cret") && !all.contains("alice"), "{all}");
}

fn config(env: &str) -> String {
    let script = "echo \"token=[${GITHUB_TOKEN:+set}] key=[${ANTHROPIC_API_KEY:+set}] agent=[${SHIPRIG_AGENT_TOKEN:+set}] hook=[${SLACK_WEBHOOK_URL:+set}] path=[${PATH:+set}]\"";
    let command = serde_json::to_string(&["sh", "-c", script]).unwrap();
    format!("version: 1\ndeploy:\n  staging:\n    command: {command}\n    timeout: 1m\n{env}")
}

#[tokio::test(flavor = "multi_thread")]
async fn case_32_deploy_commands_get_shiprigs_secrets_only_when_listed() {
    let rig = Rig::new("version: 1\n").await;
    let sha = rig.main_sha();
    let secrets = [
        ("GITHUB_SHA", sha.as_str()),
        ("ANTHROPIC_API_KEY", "sk-1"),
        ("SHIPRIG_AGENT_TOKEN", "ghp_agent"),
        ("SLACK_WEBHOOK_URL", "http://127.0.0.1:9/hook"),
    ];
    std::fs::write(&rig.config, config("")).unwrap();
    let out = rig.run(&["deploy", "staging"], &secrets).await;
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("token=[] key=[] agent=[] hook=[] path=[set]"),
        "{all}"
    );

    std::fs::write(&rig.config, config("    env: [GITHUB_TOKEN]\n")).unwrap();
    let out = rig.run(&["deploy", "staging"], &secrets).await;
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("token=[set] key=[] agent=[] hook=[]"),
        "listed, so passed on: {all}"
    );
}
