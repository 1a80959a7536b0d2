//! Scenario 3, the pipeline: an agent's pull request touches auth code and waits for a human,
//! her approval lets it merge, staging deploys and smoke tests a real local HTTP server, the
//! release pull request opens, a person merges it, production deploys and smokes, and the
//! issue is `done`. Each step is the shiprig binary itself, run as the workflows run it,
//! against the emulator, a fake Slack and a web app on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;
use serde::Serialize;

use crate::emulator::slack::FakeSlack;
use crate::emulator::{Emulator, Permission, ReviewState, UserKind};

const REPO: &str = "acme/widget";
const TOKEN: &str = "ghs_demo_pipeline";
const BOT: &str = "shiprig[bot]";
const AGENT: &str = "rig-agent-1";
/// The auth code owner who reviews.
const REVIEWER: &str = "alice";
/// Who merges the release pull request.
const RELEASER: &str = "maya";

/// One step of the pipeline: what ran, how it ended, and what Slack heard.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DemoStep {
    pub(crate) title: String,
    /// `shiprig …` as run, or empty for a person's action.
    pub(crate) command: String,
    pub(crate) exit_code: Option<i32>,
    /// The command's first line of output, or what the person did.
    pub(crate) outcome: String,
    pub(crate) slack: Vec<String>,
}

fn config(app: &str) -> String {
    format!(
        r#"version: 1
conductor:
  agents:
    - {{name: agent-1, login: {AGENT}}}
notify:
  slack: {{webhook_url_env: SLACK_WEBHOOK_URL}}
gate:
  rules:
    auth: {{paths: ["src/auth/**"], owners: ["@{REVIEWER}"]}}
deploy:
  staging:
    command: ["true"]
    url: {app}
    smoke_deadline: 5s
    smoke:
      - {{name: health, url: "{app}/healthz", expect_body: ok}}
  production:
    command: ["true"]
    url: {app}
    smoke_deadline: 5s
    smoke:
      - {{name: health, url: "{app}/healthz", expect_body: ok}}
release: {{production_branch: production, tag_prefix: v}}
"#
    )
}

/// The world the pipeline runs in, and the binary that runs each step.
struct Pipeline {
    emu: Emulator,
    slack: FakeSlack,
    binary: PathBuf,
    dir: PathBuf,
    steps: Vec<DemoStep>,
}

impl Pipeline {
    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("GITHUB_API_URL".into(), self.emu.url()),
            ("GITHUB_REPOSITORY".into(), REPO.into()),
            ("GITHUB_TOKEN".into(), TOKEN.into()),
            ("GITHUB_SERVER_URL".into(), "https://github.example".into()),
            ("SLACK_WEBHOOK_URL".into(), self.slack.url().to_string()),
        ]
    }

    /// Runs `shiprig args` with the rig's environment and `extra`; records the step.
    async fn run(&mut self, title: &str, args: &[&str], extra: &[(&str, &str)]) -> Option<i32> {
        let heard = self.slack.texts().len();
        let mut command = Command::new(&self.binary);
        command.args(args).env_clear().envs(self.env());
        command.envs(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        command.current_dir(&self.dir);
        let out = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("the step's thread")
            .map(|o| (o.status.code(), o.stdout));
        let (code, stdout) = out.unwrap_or((None, Vec::new()));
        // The first line says it, but a table's first line is its header.
        let printed = String::from_utf8_lossy(&stdout).into_owned();
        let mut lines = printed.lines().map(str::trim).filter(|l| !l.is_empty());
        let first = lines.next().unwrap_or_default();
        let outcome = if first.starts_with("check ") {
            lines.next().unwrap_or(first)
        } else {
            first
        }
        .to_string();
        self.steps.push(DemoStep {
            title: title.into(),
            command: format!("shiprig {}", args.join(" ")),
            exit_code: code,
            outcome,
            slack: self.slack.texts().split_off(heard),
        });
        code
    }

    /// A person's action in the world, recorded as a step.
    fn person(&mut self, title: &str, what: String) {
        self.steps.push(DemoStep {
            title: title.into(),
            command: String::new(),
            exit_code: None,
            outcome: what,
            slack: Vec::new(),
        });
    }
}

/// A web app on 127.0.0.1 for the smoke tests: `/healthz` answers `ok`.
async fn start_app() -> anyhow::Result<String> {
    let app = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}"))
}

/// The repository, its people, the config on main, and issue #1 claimed by agent-1.
fn seed(emu: &Emulator, config: &str) {
    let mut m = emu.model();
    m.add_repo("acme", "widget", "main");
    m.add_user(BOT, UserKind::Bot);
    m.add_token(TOKEN, BOT);
    m.set_permission(REPO, BOT, Permission::Write);
    for (login, role) in [
        (AGENT, Permission::Write),
        (REVIEWER, Permission::Write),
        (RELEASER, Permission::Maintain),
    ] {
        m.add_user(login, UserKind::User);
        m.set_permission(REPO, login, role);
    }
    m.set_file(REPO, "main", ".github/shiprig.yml", config);
    m.set_file(REPO, "production", ".github/shiprig.yml", config);
    let issue = m.create_issue(REPO, "Sign in with passkeys", "", &[], RELEASER);
    for label in ["approved", "in-progress", "agent:agent-1"] {
        m.add_label(REPO, issue, label, RELEASER);
    }
    // The Conductor's claim record: what lets `release publish` list #1 as shipped.
    let claim = crate::conductor::claim::started_marker("agent-1", "demo", None);
    m.add_comment(
        REPO,
        issue,
        &format!("{claim}\n:robot_face: **agent-1** is working on this issue."),
        BOT,
    );
}

/// Runs the pipeline with `binary` (the shiprig executable) for every step.
pub(crate) async fn run(binary: &Path) -> anyhow::Result<Vec<DemoStep>> {
    let emu = Emulator::start().await.context("starting the emulator")?;
    let slack = FakeSlack::start()
        .await
        .context("starting the fake Slack")?;
    let app = start_app().await.context("starting the web app")?;
    seed(&emu, &config(&app));
    let mut p = Pipeline {
        emu,
        slack,
        binary: binary.to_path_buf(),
        dir: scratch()?,
        steps: Vec::new(),
    };
    let pull = agent_opens_pull(&mut p);
    through_review(&mut p, pull).await;
    to_staging(&mut p).await;
    to_production(&mut p, pull + 1).await?;
    let labels = p
        .emu
        .model()
        .issue(REPO, 1)
        .map(|i| i.labels)
        .unwrap_or_default();
    p.person("done", format!("#1 is labelled: {}", labels.join(", ")));
    let _ = std::fs::remove_dir_all(&p.dir);
    Ok(p.steps)
}

/// The agent's pull request from review to merge: the gate holds it until the owner approves.
async fn through_review(p: &mut Pipeline, pull: u64) {
    let pr = pull.to_string();
    p.run(
        "lifecycle: the issue goes to review",
        &["lifecycle", "--pr", &pr],
        &[],
    )
    .await;
    p.run(
        "gate: auth code waits for a human",
        &["gate", "--pr", &pr],
        &[],
    )
    .await;
    p.run("merge: not without the gate", &["merge", "--pr", &pr], &[])
        .await;
    p.emu
        .model()
        .add_review(REPO, pull, REVIEWER, ReviewState::Approved, "Looks right.");
    p.person(
        "review",
        format!("{REVIEWER} (auth owner) approves #{pull}"),
    );
    p.run("gate: the owner approved", &["gate", "--pr", &pr], &[])
        .await;
    p.run(
        "merge: squash, pinned to the head",
        &["merge", "--pr", &pr],
        &[],
    )
    .await;
    p.run(
        "lifecycle: merged (GitHub closed #1; it stays in review until released)",
        &["lifecycle", "--pr", &pr],
        &[],
    )
    .await;
}

/// A push to main: the staging deploy, its smoke tests and the release pull request.
async fn to_staging(p: &mut Pipeline) {
    let main = p.emu.model().branch_sha(REPO, "main").unwrap_or_default();
    let at = [("GITHUB_SHA", main.as_str())];
    p.run("push to main: staging deploy", &["deploy", "staging"], &at)
        .await;
    p.run("push to main: staging smoke", &["smoke", "staging"], &at)
        .await;
    p.run("push to main: the release PR", &["release-pr"], &at)
        .await;
}

/// A person merges the release pull request; the push to production publishes, deploys,
/// smoke-tests, and only then marks the shipped issues done.
async fn to_production(p: &mut Pipeline, release: u64) -> anyhow::Result<()> {
    p.emu.model().merge_pull(REPO, release, RELEASER);
    p.person(
        "release",
        format!("{RELEASER} merges release PR #{release} into production"),
    );
    let production = p
        .emu
        .model()
        .branch_sha(REPO, "production")
        .unwrap_or_default();
    let event = p.dir.join("push.json");
    std::fs::write(
        &event,
        serde_json::json!({"ref": "refs/heads/production", "after": production}).to_string(),
    )?;
    let event = event.display().to_string();
    let push = [
        ("GITHUB_SHA", production.as_str()),
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_EVENT_PATH", event.as_str()),
    ];
    p.run(
        "push to production: publish",
        &["release", "publish"],
        &push,
    )
    .await;
    p.run("production deploy", &["deploy", "production"], &push)
        .await;
    p.run("production smoke", &["smoke", "production"], &push)
        .await;
    let shipped = [push[0], push[1], push[2], ("SHIPRIG_JOB_STATUS", "success")];
    p.run(
        "shipped: done after the production smoke",
        &["release", "shipped"],
        &shipped,
    )
    .await;
    Ok(())
}

/// A fresh folder for the deploy commands and the event file.
fn scratch() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("shiprig-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// The agent's branch touches auth code; its pull request closes #1.
fn agent_opens_pull(p: &mut Pipeline) -> u64 {
    let mut m = p.emu.model();
    m.set_files_by(
        REPO,
        "agent-1/passkeys",
        &[("src/auth/passkeys.rs", "pub fn sign_in() {}\n")],
        "feat(auth): sign in with passkeys",
        AGENT,
    );
    let pull = m.create_pull(
        REPO,
        "agent-1/passkeys",
        "main",
        "feat(auth): sign in with passkeys",
        "Closes #1",
        AGENT,
    );
    drop(m);
    p.person(
        "agent",
        format!("agent-1 opens #{pull} touching src/auth/passkeys.rs"),
    );
    pull
}
