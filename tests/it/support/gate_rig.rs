//! A repository on the emulator with the gate's people and rules, and ways to run the real
//! gate on it: through the binary (event file in; check run, labels and comment out) or
//! in-process on a fake clock where retries would otherwise wait in real time.

#![allow(dead_code)]

use std::sync::Arc;

use serde_json::{Value, json};
use shiprig::emulator::{CheckRunView, Emulator, Permission, ReviewState, UserKind};
use shiprig::gate::{self, GateEvent, GateReport, GateRequest};
use shiprig::github::{ClientOptions, Credentials, FakeClock, GitHub, Repo, Secret};

pub const REPO: &str = "acme/rig";
pub const TOKEN: &str = "gate-token";
pub const CHECK: &str = "shiprig/human-gate";
/// The write token an agent holds: it acts as `rig-agent-1`.
pub const AGENT_TOKEN: &str = "agent-token";

pub const CONFIG: &str = r#"version: 1
conductor:
  agents:
    - {name: agent-1, login: rig-agent-1}
    - {name: agent-2, login: rig-agent-2}
gate:
  rules:
    auth:         {paths: ["src/auth/**", "**/session*"], owners: ["@alice", "@acme/security"]}
    payments:     {paths: ["src/billing/**"]}
    schema:       {paths: ["migrations/**", "**/*.sql"]}
    deletion:     {paths: ["src/retention/**"], diff_patterns: ['(?i)\bDELETE\s+FROM\b']}
    dependencies: {new_dependencies: true}
  teams: {acme/security: [sam]}
  humans: {min_approvals: 1, min_permission: write}
"#;

pub struct GateRig {
    pub emu: Emulator,
    pub dir: tempfile::TempDir,
}

/// What one run of the binary gave.
#[derive(Debug)]
pub struct BinaryRun {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl GateRig {
    /// `acme/rig` with the config on `main`, and its people: alice (auth owner), sam (in
    /// @acme/security), bob (write), dev (the usual author), mallory (read), the agent's login
    /// and a bot.
    pub async fn new() -> GateRig {
        GateRig::with_config(Some(CONFIG)).await
    }

    pub async fn with_config(config: Option<&str>) -> GateRig {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let emu = Emulator::start().await.expect("the emulator starts");
        {
            let mut m = emu.model();
            m.add_user("github-actions[bot]", UserKind::Bot);
            m.add_user("helper[bot]", UserKind::Bot);
            m.add_user("helper", UserKind::Bot);
            m.add_repo("acme", "rig", "main");
            m.add_token(TOKEN, "github-actions[bot]");
            m.add_token(AGENT_TOKEN, "rig-agent-1");
            // The workflow's GITHUB_TOKEN may write checks and statuses on its repository.
            m.set_permission(REPO, "github-actions[bot]", Permission::Write);
            for (login, permission) in [
                ("alice", Permission::Write),
                ("sam", Permission::Maintain),
                ("bob", Permission::Write),
                ("dev", Permission::Write),
                ("carl", Permission::Write),
                ("pete", Permission::Write),
                ("mallory", Permission::Read),
                ("rig-agent-1", Permission::Write),
                ("rig-agent-2", Permission::Write),
                ("helper[bot]", Permission::Write),
                ("helper", Permission::Write),
            ] {
                m.add_user(login, UserKind::User);
                m.set_permission(REPO, login, permission);
            }
            let mut files = vec![
                ("src/lib.rs", "pub mod auth;\n"),
                ("src/auth/tokens.rs", "pub fn token() {}\n"),
                ("migrations/001_init.sql", "CREATE TABLE users (id int);\n"),
                (
                    "Cargo.toml",
                    "[package]\nname = \"rig\"\n\n[dependencies]\nserde = \"1\"\n",
                ),
            ];
            if let Some(config) = config {
                files.push((".github/shiprig.yml", config));
            }
            m.set_files(REPO, "main", &files, "seed");
        }
        GateRig {
            emu,
            dir: tempfile::tempdir().expect("a temp dir"),
        }
    }

    /// Opens a PR by `author` from `branch` with `files` committed on it.
    pub fn open_pr(&self, branch: &str, files: &[(&str, &str)], author: &str) -> u64 {
        let mut m = self.emu.model();
        m.set_files(REPO, branch, files, "change");
        m.create_pull(REPO, branch, "main", "A change", "", author)
    }

    pub fn head(&self, pr: u64) -> String {
        self.emu.model().pull(REPO, pr).expect("the PR").head_sha
    }

    pub fn review(&self, pr: u64, reviewer: &str, state: ReviewState, body: &str) {
        self.emu.model().add_review(REPO, pr, reviewer, state, body);
    }

    pub fn push(&self, pr: u64, path: &str, content: &str) -> String {
        self.emu.model().push_to_pull(REPO, pr, path, content)
    }

    /// A `pull_request_target` style payload for the PR as it is now.
    pub fn pull_event(&self, pr: u64, action: &str, sender: &str) -> Value {
        let view = self.emu.model().pull(REPO, pr).expect("the PR");
        let base_sha = self.emu.model().branch_sha(REPO, &view.base_ref).unwrap();
        let side = |r: &str, sha: &str| json!({"ref": r, "sha": sha, "repo": {"full_name": REPO}});
        json!({
            "action": action,
            "sender": {"login": sender},
            "repository": {"full_name": REPO},
            "pull_request": {"number": pr, "head": side("head", &view.head_sha), "base": side(&view.base_ref, &base_sha)},
        })
    }

    /// Runs the binary on an event; `extra` adds or overrides environment variables.
    pub async fn gate(&self, name: &str, payload: &Value, extra: &[(&str, &str)]) -> BinaryRun {
        let path = self.dir.path().join("event.json");
        std::fs::write(&path, payload.to_string()).unwrap();
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_shiprig"));
        command
            .arg("gate")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("GITHUB_API_URL", self.emu.url())
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_REPOSITORY", REPO)
            .env("GITHUB_EVENT_NAME", name)
            .env("GITHUB_EVENT_PATH", &path);
        for (key, value) in extra {
            command.env(key, value);
        }
        let out = command.output().await.expect("the shiprig binary runs");
        BinaryRun {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs the binary with `args` and the workflow's environment (no event).
    pub async fn shiprig(&self, args: &[&str]) -> BinaryRun {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_shiprig"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("GITHUB_API_URL", self.emu.url())
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_REPOSITORY", REPO)
            .output()
            .await
            .expect("the shiprig binary runs");
        BinaryRun {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// A request through the API with `token`: what an agent or another workflow does.
    pub async fn api(&self, token: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
        let response = reqwest::Client::new()
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}{path}", self.emu.url()),
            )
            .bearer_auth(token)
            .header("accept", "application/vnd.github+json")
            .header("user-agent", "shiprig-tests")
            .json(&body)
            .send()
            .await
            .expect("the emulator answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `pull_request_target` `synchronize` for the PR's current head.
    pub async fn gate_pr(&self, pr: u64) -> BinaryRun {
        let event = self.pull_event(pr, "synchronize", "dev");
        self.gate("pull_request_target", &event, &[]).await
    }

    /// The library entry point on a fake clock (retries wait no real time).
    pub async fn gate_in_process(&self, event: GateEvent) -> (GateReport, Arc<FakeClock>) {
        let clock = Arc::new(FakeClock::new(chrono::Utc::now()));
        let options = ClientOptions::new(self.emu.url(), Credentials::Token(Secret::new(TOKEN)));
        let gh = GitHub::with_clock(options, clock.clone()).unwrap();
        let repo: Repo = REPO.parse().unwrap();
        let gh = gh.for_repo(&repo);
        let report = gate::run(
            &gh,
            &GateRequest {
                repo: repo.clone(),
                event,
                dry_run: false,
                local_config: None,
                pull: None,
            },
        )
        .await;
        (report, clock)
    }

    /// The latest gate check run on `sha`.
    pub fn check(&self, sha: &str) -> Option<CheckRunView> {
        self.emu
            .model()
            .check_runs(REPO, sha)
            .into_iter()
            .rev()
            .find(|c| c.name == CHECK)
    }

    pub fn conclusion(&self, sha: &str) -> Option<String> {
        self.check(sha).and_then(|c| c.conclusion)
    }

    pub fn summary(&self, sha: &str) -> String {
        self.check(sha).and_then(|c| c.summary).unwrap_or_default()
    }

    pub fn labels(&self, pr: u64) -> Vec<String> {
        let mut labels = self.emu.model().issue(REPO, pr).unwrap().labels;
        labels.sort();
        labels
    }

    pub fn comments(&self, pr: u64) -> Vec<String> {
        self.emu.model().issue(REPO, pr).unwrap().comments
    }
}
