//! Credentials at the door: a command that talks to GitHub and finds neither `GITHUB_TOKEN` nor
//! the App's `SHIPRIG_APP_ID` and `SHIPRIG_APP_PRIVATE_KEY` exits 2 before its first request,
//! naming them, instead of sending anonymous requests. Commands that never talk to GitHub run
//! without any.

use std::process::Output;
use std::time::{Duration, Instant};

use shiprig::emulator::Emulator;

use crate::support::text;

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const PLAN: &str = "milestone: M\nissues:\n  - key: a\n    title: A\n";

/// The binary with no credentials, pointed at `api` for `acme/widget`, and how long it took.
fn without_credentials(api: &str, args: &[String]) -> (Output, Duration) {
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shiprig"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GITHUB_API_URL", api)
        .env("GITHUB_REPOSITORY", "acme/widget")
        .output()
        .expect("the shiprig binary runs");
    (out, started.elapsed())
}

fn reference_config() -> String {
    format!(
        "{}/tests/fixtures/config/reference.yml",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_command_that_talks_to_github_stops_before_its_first_request() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let emu = Emulator::start().await.unwrap();
    emu.model().add_repo("acme", "widget", "main");
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.yml");
    std::fs::write(&plan, PLAN).unwrap();
    let config = reference_config();
    let commands = vec![
        argv(&["conductor", "tick"]),
        argv(&["conductor", "tick", "--dry-run"]),
        argv(&["conductor", "explain", "1"]),
        argv(&["conductor", "run", "--listen", "127.0.0.1:0"]),
        argv(&["gate", "--pr", "1"]),
        argv(&["--config", &config, "gate", "--pr", "1", "--dry-run"]),
        argv(&["merge", "--pr", "1"]),
        argv(&["lifecycle", "--pr", "1"]),
        argv(&["commits", "lint", "--pr", "1"]),
        argv(&["deploy", "staging", "--sha", SHA]),
        argv(&["smoke", "staging", "--sha", SHA]),
        argv(&["release-pr", "--sha", SHA]),
        argv(&["release", "publish", "--pr", "1"]),
        argv(&["release", "shipped", "--sha", SHA]),
        argv(&["labels", "sync"]),
        argv(&["bootstrap", "--dry-run"]),
        argv(&["doctor"]),
        argv(&["plan", "apply", plan.to_str().unwrap()]),
        argv(&["product", "pull"]),
        argv(&["config", "validate", "--ref", "main"]),
    ];
    let api = emu.url();
    let runs = tokio::task::spawn_blocking(move || {
        commands
            .into_iter()
            .map(|args| {
                let (out, took) = without_credentials(&api, &args);
                (args, out, took)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for (args, out, took) in runs {
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        for name in ["GITHUB_TOKEN", "SHIPRIG_APP_ID", "SHIPRIG_APP_PRIVATE_KEY"] {
            assert!(err.contains(name), "{args:?} does not name {name}: {err}");
        }
        assert!(
            took < Duration::from_secs(10),
            "{args:?} took {took:?} to say so"
        );
    }
    assert_eq!(emu.requests(), [], "requests made without credentials");
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_that_never_talk_to_github_need_no_credentials() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let emu = Emulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap().to_string();
    let config = reference_config();
    let commands = vec![
        argv(&["init", "--dir", &root]),
        argv(&["codeowners", "--dir", &root]),
        argv(&["config", "validate", &config]),
        argv(&["config", "schema"]),
        argv(&["--config", &config, "gate", "explain", "README.md"]),
    ];
    let api = emu.url();
    let runs = tokio::task::spawn_blocking(move || {
        commands
            .into_iter()
            .map(|args| (without_credentials(&api, &args).0, args))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for (out, args) in runs {
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("GITHUB_TOKEN"), "{args:?}: {err}");
    }
    assert_eq!(emu.requests(), []);
}
