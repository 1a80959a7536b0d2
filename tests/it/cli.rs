//! The binary through its contract: exit codes, `--json`, `--dry-run`, the job summary, and
//! that secrets never reach the output.

use std::process::{Command, Output};

use shiprig::demo::World;

use crate::support::text;

fn shiprig(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shiprig"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the shiprig binary runs")
}

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/config/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn config_validate_accepts_the_reference_config() {
    let out = shiprig(&["config", "validate", &fixture("reference.yml")], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("valid"));
}

#[test]
fn config_validate_rejects_a_typo_with_line_column_and_the_allowed_keys() {
    let out = shiprig(&["config", "validate", &fixture("typo.yml")], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("typo.yml:2:1"), "{err}");
    assert!(
        err.contains("approvers") && err.contains("conductor"),
        "{err}"
    );
}

#[test]
fn each_bad_value_gets_its_own_message() {
    for (file, expected) in [
        ("bad_glob.yml", "glob"),
        ("bad_regex.yml", "regex"),
        ("bad_duration.yml", "duration"),
    ] {
        let out = shiprig(&["config", "validate", &fixture(file)], &[]);
        assert_eq!(out.status.code(), Some(2), "{file}");
        let err = text(&out.stderr).to_lowercase();
        assert!(
            err.contains(expected) && err.contains(&format!("{file}:")),
            "{file}: {err}"
        );
    }
}

#[test]
fn config_validate_json_names_the_place() {
    let out = shiprig(&["--json", "config", "validate", &fixture("typo.yml")], &[]);
    assert_eq!(out.status.code(), Some(2));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["valid"], false);
    assert_eq!(
        (value["line"].as_u64(), value["column"].as_u64()),
        (Some(2), Some(1))
    );
}

#[test]
fn config_schema_is_json_schema() {
    let out = shiprig(&["config", "schema"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        schema["$schema"]
            .as_str()
            .unwrap_or_default()
            .contains("json-schema.org")
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        shiprig(&["conductor", "tick"], &[]).status.code(),
        Some(2),
        "no repository"
    );
    assert_eq!(shiprig(&["no-such-command"], &[]).status.code(), Some(2));
    let out = shiprig(&["conductor", "tick", "--repo", "not a repo"], &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["conductor", "tick", "--help"],
        vec!["config", "validate", "--help"],
        vec!["demo", "--help"],
    ] {
        let out = shiprig(&args, &[]);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(text(&out.stdout).contains("Usage"), "{args:?}");
    }
}

/// `--help` lists the commands in the order a repository meets them: set-up, the queue, the
/// Conductor, a pull request's way to production, then the demo.
#[test]
fn help_lists_the_commands_in_the_order_of_the_flow() {
    let out = shiprig(&["--help"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    let listed: Vec<&str> = help
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        listed,
        [
            "init",
            "codeowners",
            "bootstrap",
            "doctor",
            "labels",
            "config",
            "product",
            "plan",
            "conductor",
            "gate",
            "commits",
            "merge",
            "deploy",
            "smoke",
            "release-pr",
            "release",
            "lifecycle",
            "demo",
            "help",
        ],
        "{help}"
    );
}

#[test]
fn demo_prints_rounds_and_json() {
    let out = shiprig(&["demo"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("Round 1") && shown.contains("agent-1 takes #1 LLM tool API"),
        "{shown}"
    );
    assert!(
        shown.contains("milestone \"AI Chat Widget\" closed"),
        "{shown}"
    );
    assert!(
        shown.contains("=== Scenario 3: pipeline ===")
            && shown.contains("needs a human review: `auth`")
            && shown.contains("#2: merged")
            && shown.contains("published v0.1.0")
            && shown.contains("Smoke tests passed on production")
            && shown.contains("#1 is labelled: approved, done"),
        "{shown}"
    );
    // `done` prints only after the production smoke passed.
    let smoked = shown.find("Smoke tests passed on production").unwrap();
    let done = shown
        .find("v0.1.0: done: #1")
        .expect("release shipped marks #1 done");
    assert!(smoked < done, "{shown}");
    let out = shiprig(&["--json", "demo"], &[]);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let scenarios = value["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 3);
    let steps = scenarios[2]["steps"].as_array().unwrap();
    let codes: Vec<(String, Option<i64>)> = steps
        .iter()
        .filter(|s| s["command"] != "")
        .map(|s| {
            (
                s["command"].as_str().unwrap().to_string(),
                s["exit_code"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        codes[1],
        ("shiprig gate --pr 2".to_string(), Some(1)),
        "waits for a human"
    );
    let others_ok = codes
        .iter()
        .enumerate()
        .all(|(i, (_, code))| i == 1 || *code == Some(0));
    assert!(others_ok, "{codes:?}");
    assert_eq!(codes.len(), 13, "{codes:?}");
}

const TOKEN: &str = "ghs_cli_test_secret_token_value";
const HOOK_SECRET: &str = "hook-secret-path";

async fn world_with_token() -> World {
    let world = World::new().await.unwrap();
    world.seed_design_example();
    world
        .emulator
        .model()
        .add_token(TOKEN, shiprig::demo::world::CONDUCTOR_LOGIN);
    world
}

fn env_for(world: &World) -> Vec<(&'static str, String)> {
    vec![
        ("GITHUB_API_URL", world.emulator.url()),
        ("GITHUB_REPOSITORY", world.full_name()),
        ("GITHUB_TOKEN", TOKEN.to_string()),
        (
            "SLACK_WEBHOOK_URL",
            format!("{}?{HOOK_SECRET}", world.slack.url()),
        ),
    ]
}

fn run_blocking(args: Vec<String>, env: Vec<(&'static str, String)>) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    shiprig(&args, &env)
}

#[tokio::test(flavor = "multi_thread")]
async fn conductor_tick_dry_run_json_writes_nothing() {
    let world = world_with_token().await;
    let args = vec![
        "--json".into(),
        "conductor".into(),
        "tick".into(),
        "--dry-run".into(),
    ];
    let out = tokio::task::spawn_blocking({
        let env = env_for(&world);
        move || run_blocking(args, env)
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["dry_run"], true);
    assert!(report["applied"].is_null());
    let kinds: Vec<&str> = report["plan"]["effects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "start").count(),
        2,
        "{kinds:?}"
    );
    assert!(report["requests"]["reads"].as_u64().unwrap() > 0);
    assert!(world.emulator.writes().is_empty());
    assert!(!text(&out.stdout).contains(TOKEN) && !text(&out.stderr).contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn conductor_tick_acts_writes_the_summary_and_keeps_secrets() {
    let world = world_with_token().await;
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let mut env = env_for(&world);
    env.push(("GITHUB_STEP_SUMMARY", summary.display().to_string()));
    let out = tokio::task::spawn_blocking(move || {
        run_blocking(vec!["conductor".into(), "tick".into(), "-vv".into()], env)
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("did start agent-1 on #1"), "{shown}");
    assert_eq!(world.slack.texts().len(), 2);
    let markdown = std::fs::read_to_string(&summary).unwrap();
    assert!(markdown.contains("| 1 | #1 LLM tool API"), "{markdown}");
    assert!(
        markdown.contains("```mermaid") && markdown.contains("i1 --> i3"),
        "{markdown}"
    );
    for output in [shown, text(&out.stderr), markdown] {
        assert!(!output.contains(TOKEN), "the token leaked");
        assert!(!output.contains(HOOK_SECRET), "the webhook URL leaked");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_config_exits_2_before_any_request() {
    let world = world_with_token().await;
    let env = env_for(&world);
    let args = vec![
        "--config".into(),
        fixture("bad_glob.yml"),
        "conductor".into(),
        "tick".into(),
    ];
    let out = tokio::task::spawn_blocking(move || run_blocking(args, env))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("bad_glob.yml:"));
    assert!(world.emulator.writes().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn github_refusing_exits_3_with_a_readable_error() {
    let world = world_with_token().await;
    let mut env: Vec<(&'static str, String)> = env_for(&world)
        .into_iter()
        .filter(|(k, _)| *k != "GITHUB_TOKEN")
        .collect();
    env.push(("GITHUB_TOKEN", "ghp_revoked_token".into()));
    env.push(("SHIPRIG_CONFIG", fixture("reference.yml")));
    let out = tokio::task::spawn_blocking(move || {
        run_blocking(vec!["conductor".into(), "tick".into()], env)
    })
    .await
    .unwrap();
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "stdout: {}\nstderr: {err}",
        text(&out.stdout)
    );
    assert!(
        err.contains("GET /repos/acme/widget/issues")
            && err.contains("401")
            && err.contains("Bad credentials"),
        "{err}"
    );
    assert!(!err.contains("ghp_revoked_token"));
}

/// Log lines written to a pipe or a file are plain text: colour is for a terminal only.
#[test]
fn logs_to_a_pipe_carry_no_colour_codes() {
    // `gate explain` compiles the rules' glob set, which logs at debug level.
    let config = fixture("reference.yml");
    let out = shiprig(
        &["--config", &config, "gate", "explain", "README.md"],
        &[("SHIPRIG_LOG", "debug")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let log = text(&out.stderr);
    assert!(log.contains("DEBUG"), "the command logged: {log}");
    assert!(
        !log.contains('\u{1b}'),
        "escape codes in a piped log: {log:?}"
    );
}
