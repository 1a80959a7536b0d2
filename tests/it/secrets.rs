//! docs/security.md#case-32: shiprig's secrets stay with shiprig. A `GITHUB_API_URL` with a
//! password in it is never printed, and deploy commands inherit no token, key or webhook URL unless
//! the environment's `env:` lists it.

use crate::support::pipeline::{PipelineRig, REPO, printed};

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
    let rig = PipelineRig::new("version: 1\n").await;
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

/// Credentials a runner's environment commonly holds, none of them named like a secret by
/// the old `_TOKEN`/`_KEY` rule for most of them.
const PLANTED: &[(&str, &str)] = &[
    ("DATABASE_URL", "postgres://app:hunter2@db.internal/app"),
    ("GH_PAT", "ghp_plantedpersonalaccesstoken"),
    (
        "KUBE_CONFIG",
        "apiVersion: v1\nusers: [{token: kube-secret}]",
    ),
    ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/planted"),
    ("AWS_ACCESS_KEY_ID", "AKIAPLANTED"),
    ("AWS_SESSION_TOKEN", "planted-session"),
    ("NPM_TOKEN", "npm_planted"),
    (
        "DOCKER_AUTH_CONFIG",
        "{\"auths\":{\"r\":{\"auth\":\"planted\"}}}",
    ),
    ("SENTRY_DSN", "https://planted@sentry.example/1"),
    ("REDIS_URL", "redis://:planted@cache:6379"),
    ("OPENAI_API_KEY", "sk-planted"),
    ("STRIPE_SECRET", "sk_live_planted"),
    ("SSH_AUTH_SOCK", "/tmp/planted-agent.sock"),
    ("VAULT_ADDR_CREDENTIALS", "planted-vault"),
];

const CHANNELS: &[&str] = &["GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH"];

fn dump_config(dump: &std::path::Path, env: &str) -> String {
    let script = format!("env > '{}'", dump.display());
    let command = serde_json::to_string(&["sh", "-c", &script]).unwrap();
    format!("version: 1\ndeploy:\n  staging:\n    command: {command}\n    timeout: 1m\n{env}")
}

#[tokio::test(flavor = "multi_thread")]
async fn case_44_deploy_commands_start_from_a_clean_environment() {
    let rig = PipelineRig::new("version: 1\n").await;
    let sha = rig.main_sha();
    let dump = rig.dir.path().join("env.txt");
    let channel = rig.dir.path().join("channel");
    let channel = channel.display().to_string();
    let mut env: Vec<(&str, &str)> = vec![("GITHUB_SHA", sha.as_str())];
    env.extend(PLANTED.iter().copied());
    env.extend(CHANNELS.iter().map(|c| (*c, channel.as_str())));

    std::fs::write(&rig.config, dump_config(&dump, "    env: [REDIS_URL]\n")).unwrap();
    let out = rig.run(&["deploy", "staging"], &env).await;
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let seen = std::fs::read_to_string(&dump).expect("the command dumped its environment");
    let names: Vec<&str> = seen
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(n, _)| n)
        .collect();
    for (name, _) in PLANTED.iter().filter(|(n, _)| *n != "REDIS_URL") {
        assert!(
            !names.contains(name),
            "{name} reached the deploy command:\n{seen}"
        );
    }
    for name in CHANNELS
        .iter()
        .chain(&["GITHUB_TOKEN", "SLACK_WEBHOOK_URL"])
    {
        assert!(
            !names.contains(name),
            "{name} reached the deploy command:\n{seen}"
        );
    }
    assert!(
        seen.contains("REDIS_URL=redis://:planted@cache:6379"),
        "listed, so passed: {seen}"
    );
    assert!(
        names.contains(&"PATH") && names.contains(&"GITHUB_SHA"),
        "{seen}"
    );
    assert!(seen.contains(&format!("SHIPRIG_SHA={sha}")), "{seen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn case_44_a_file_channel_cannot_be_listed_under_env() {
    let rig = PipelineRig::new("version: 1\n").await;
    let dump = rig.dir.path().join("env.txt");
    std::fs::write(
        &rig.config,
        dump_config(&dump, "    env: [GITHUB_OUTPUT]\n"),
    )
    .unwrap();
    let sha = rig.main_sha();
    let out = rig
        .run(&["deploy", "staging"], &[("GITHUB_SHA", &sha)])
        .await;
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("GITHUB_OUTPUT") && all.contains("shiprig.yml:"),
        "{all}"
    );
    assert!(!dump.exists(), "nothing ran");
}

#[tokio::test(flavor = "multi_thread")]
async fn case_44_command_agents_start_from_a_clean_environment() {
    let rig = PipelineRig::new("version: 1\n").await;
    let dump = rig.dir.path().join("agent-env.txt");
    let script = format!("env > '{}'", dump.display());
    let argv = serde_json::to_string(&["sh", "-c", &script]).unwrap();
    let config = format!(
        "version: 1\nconductor:\n  agents: [{{name: a1}}]\n  dispatch:\n    command: {{argv: {argv}, timeout: 30s, env: [GH_PAT]}}\n"
    );
    std::fs::write(&rig.config, config).unwrap();
    {
        let mut m = rig.emu.model();
        m.create_issue(REPO, "Add CSV export", "Export the table.", &[], "mia");
        m.add_label(REPO, 1, "approved", "mia");
    }
    let channel = rig.dir.path().join("channel").display().to_string();
    let mut env: Vec<(&str, &str)> = PLANTED.to_vec();
    env.extend(CHANNELS.iter().map(|c| (*c, channel.as_str())));
    let out = rig.run(&["conductor", "tick"], &env).await;
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let seen = std::fs::read_to_string(&dump).expect("the agent command ran");
    let names: Vec<&str> = seen
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(n, _)| n)
        .collect();
    for (name, _) in PLANTED.iter().filter(|(n, _)| *n != "GH_PAT") {
        assert!(!names.contains(name), "{name} reached the agent:\n{seen}");
    }
    for name in CHANNELS
        .iter()
        .chain(&["GITHUB_TOKEN", "SLACK_WEBHOOK_URL"])
    {
        assert!(!names.contains(name), "{name} reached the agent:\n{seen}");
    }
    assert!(
        seen.contains("GH_PAT=ghp_plantedpersonalaccesstoken"),
        "listed: {seen}"
    );
    assert!(seen.contains("SHIPRIG_ISSUE=1"), "the issue's data: {seen}");
}
