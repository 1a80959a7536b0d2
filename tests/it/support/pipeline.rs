//! Shared pieces of the pipeline stories: an emulator with a repository, fake Slack, a local
//! config file, and the real binary run against them.
#![allow(dead_code)]

use std::process::{Command, Output};

use shiprig::emulator::slack::FakeSlack;
use shiprig::emulator::{Emulator, Permission, UserKind};

use super::text;

pub const REPO: &str = "acme/widgets";
pub const TOKEN: &str = "ghs_pipeline_secret_token";
pub const HOOK_SECRET: &str = "hook-secret-path";
pub const BOT: &str = "shiprig-bot";

pub struct PipelineRig {
    pub emu: Emulator,
    pub slack: FakeSlack,
    pub dir: tempfile::TempDir,
    pub config: std::path::PathBuf,
}

impl PipelineRig {
    /// `acme/widgets` with `main` and `production`, a maintainer `mia`, shiprig's token, and
    /// `config` (YAML) as the local config file.
    pub async fn new(config: &str) -> PipelineRig {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let emu = Emulator::start().await.expect("emulator starts");
        {
            let mut m = emu.model();
            m.add_repo("acme", "widgets", "main");
            m.add_user("mia", UserKind::User);
            m.add_user(BOT, UserKind::Bot);
            m.set_permission(REPO, "mia", Permission::Maintain);
            m.set_permission(REPO, BOT, Permission::Admin);
            m.add_token(TOKEN, BOT);
            m.set_file(REPO, "main", "README.md", "widgets\n");
            let main = m.branch_sha(REPO, "main").unwrap();
            m.set_file(REPO, "production", "README.md", "widgets\n");
            let _ = main;
        }
        let slack = FakeSlack::start().await.expect("fake Slack starts");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shiprig.yml");
        std::fs::write(&path, config).unwrap();
        PipelineRig {
            emu,
            slack,
            dir,
            config: path,
        }
    }

    pub fn main_sha(&self) -> String {
        self.emu.model().branch_sha(REPO, "main").unwrap()
    }

    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("GITHUB_API_URL".into(), self.emu.url()),
            ("GITHUB_REPOSITORY".into(), REPO.into()),
            ("GITHUB_TOKEN".into(), TOKEN.into()),
            ("SHIPRIG_CONFIG".into(), self.config.display().to_string()),
            (
                "SLACK_WEBHOOK_URL".into(),
                format!("{}?{HOOK_SECRET}", self.slack.url()),
            ),
        ]
    }

    /// Runs the binary with `args`, the rig's environment and `extra` on top.
    pub async fn run(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut env = self.env();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        tokio::task::spawn_blocking(move || shiprig(&args, &env))
            .await
            .unwrap()
    }
}

/// The binary under test; `SHIPRIG_TEST_BIN` points at a copy when a shared target directory
/// may be rebuilt by another checkout while the tests run.
fn binary() -> String {
    std::env::var("SHIPRIG_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_shiprig").to_string())
}

pub fn shiprig(args: &[String], env: &[(String, String)]) -> Output {
    let mut command = Command::new(binary());
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the shiprig binary runs")
}

/// Everything the binary printed, checked for leaked secrets on the way.
pub fn printed(out: &Output) -> String {
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains(TOKEN), "the token leaked: {all}");
    assert!(!all.contains(HOOK_SECRET), "the webhook URL leaked: {all}");
    all
}

impl PipelineRig {
    /// A write or read through the API as shiprig's token, for what another tool would do
    /// (CI posting a check run).
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let response = reqwest::Client::new()
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}{path}", self.emu.url()),
            )
            .bearer_auth(TOKEN)
            .header("accept", "application/vnd.github+json")
            .header("user-agent", "shiprig-tests")
            .json(&body)
            .send()
            .await
            .expect("the emulator answers");
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// Commits `files` to `branch` with `message`, a minute after the last commit.
    pub fn commit(&self, branch: &str, files: &[(&str, &str)], message: &str) -> String {
        let mut m = self.emu.model();
        m.advance(chrono::Duration::minutes(1));
        m.set_files(REPO, branch, files, message)
    }

    pub fn labels(&self, issue: u64) -> Vec<String> {
        let mut labels = self.emu.model().issue(REPO, issue).unwrap().labels;
        labels.sort();
        labels
    }
}

/// A web app for smoke tests on 127.0.0.1: `/healthz` answers `ok`, `/version` the SHA in
/// `version`.
pub async fn start_app(version: std::sync::Arc<std::sync::Mutex<String>>) -> String {
    use axum::routing::get;
    let app = axum::Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/version",
            get(move || {
                let version = version.clone();
                async move { format!(r#"{{"version":"{}"}}"#, version.lock().unwrap()) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}
