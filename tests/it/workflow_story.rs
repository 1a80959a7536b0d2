//! The whole rig as installed, driven only through the workflows `shiprig init --phase 3`
//! writes: each event GitHub would send starts the workflows and jobs it would, and each step
//! that uses the action runs through `scripts/run.sh` with what Actions gives it (payload
//! file, `GITHUB_*`, a job token with the job's permissions, secrets and vars). A plan is
//! applied → the Conductor dispatches the agent → the agent's PR touches auth → lifecycle and
//! commit lint → the gate waits for a person → she approves → merge → staging deploy, smoke
//! and the release PR → a person merges it → publish, production deploy, smoke → the issue is
//! `done`, the milestone closed, and Slack heard each step once. A failing step names its
//! workflow, job and step. Every request shiprig sent is checked against GitHub's description.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use shiprig::emulator::{Permission, ReviewState, UserKind};
use shiprig::setup::templates;

use crate::support;
use crate::support::pipeline::{HOOK_SECRET, REPO, Rig, start_app};
use crate::support::workflow::runner::{Actions, example};

const APP_ID: u64 = 77;

fn config(app: &str) -> String {
    format!(
        r#"version: 1
conductor:
  agents:
    - {{name: agent-1, login: rig-agent-1}}
  dispatch:
    github_actions: {{workflow: shiprig-agent.yml, ref: main}}
notify:
  slack: {{webhook_url_env: SLACK_WEBHOOK_URL}}
gate:
  rules:
    auth: {{paths: ["src/auth/**"], owners: ["@alice"]}}
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

const PLAN: &str = r#"milestone: Login
approve: true
issues:
  - key: login
    title: Login page
    body: Sign in with a password.
"#;

/// `init --phase 3` in a folder, with this story's config, committed to main.
fn install(rig: &Rig, config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shiprig"))
        .args([
            "init",
            "--phase",
            "3",
            "--dir",
            dir.path().to_str().unwrap(),
        ])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    std::fs::write(dir.path().join(".github/shiprig.yml"), config).unwrap();
    let mut files = Vec::new();
    for sub in [".github", ".github/workflows"] {
        for entry in std::fs::read_dir(dir.path().join(sub)).unwrap().flatten() {
            if entry.path().is_file() {
                let rel = format!("{sub}/{}", entry.file_name().to_string_lossy());
                files.push((rel, std::fs::read_to_string(entry.path()).unwrap()));
            }
        }
    }
    let pairs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    rig.emu
        .model()
        .set_files(REPO, "main", &pairs, "ci: set up shiprig");
    dir
}

/// A payload from GitHub's own example, about this repository and `pull` as it is now.
async fn pull_event(rig: &Rig, event: &str, action: &str, pull: u64) -> Value {
    let mut payload = example(event, Some(action));
    let (_, current) = rig
        .api("GET", &format!("/repos/{REPO}/pulls/{pull}"), Value::Null)
        .await;
    payload["pull_request"] = current.clone();
    payload["number"] = json!(pull);
    payload["repository"] = current["base"]["repo"].clone();
    payload
}

fn push_event(rig: &Rig, branch: &str) -> Value {
    let mut payload = example("push", None);
    let sha = rig.emu.model().branch_sha(REPO, branch).unwrap();
    payload["ref"] = json!(format!("refs/heads/{branch}"));
    payload["after"] = json!(sha);
    payload["repository"]["full_name"] = json!(REPO);
    payload
}

fn commands(ran: &[support::workflow::runner::StepRun]) -> Vec<String> {
    ran.iter()
        .map(|r| format!("{}: {}", r.workflow, r.command))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_installed_workflows_take_a_plan_to_production() {
    story(None).await;
}

/// The same story through `workflows-templates/` as written (under the names `init` gives
/// them; only their placeholder pin differs from what `init` writes).
#[tokio::test(flavor = "multi_thread")]
async fn the_templates_as_written_take_a_plan_to_production() {
    let dir = tempfile::tempdir().unwrap();
    let phase_3 = [
        templates::GATE,
        templates::LIFECYCLE,
        templates::MERGE,
        templates::COMMITS,
        templates::DEPLOY,
        templates::RELEASE,
        templates::MONITOR,
        templates::CONDUCTOR,
        templates::AGENT,
    ];
    for (path, text) in phase_3 {
        let name = path.rsplit('/').next().unwrap();
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    story(Some(dir.path())).await;
}

/// The story, with the workflows `init --phase 3` wrote, or the ones in `workflows`.
async fn story(workflows: Option<&std::path::Path>) {
    let started = std::time::Instant::now();
    let app = start_app(Arc::new(Mutex::new(String::new()))).await;
    let config = config(&app);
    let rig = Rig::new(&config).await;
    let (private, public) = support::emulator::rsa_pair();
    {
        let mut m = rig.emu.model();
        for (login, role) in [
            ("rig-agent-1", Permission::Write),
            ("alice", Permission::Write),
        ] {
            m.add_user(login, UserKind::User);
            m.set_permission(REPO, login, role);
        }
        m.register_app(APP_ID, &public);
        m.add_installation(APP_ID, "acme");
    }
    let installed = install(&rig, &config);
    let installed_workflows = installed.path().join(".github/workflows");
    let mut actions = Actions::from_dir(
        workflows.unwrap_or(&installed_workflows),
        REPO,
        &rig.emu,
        rig.dir.path(),
    );
    actions.secrets.insert(
        "SLACK_WEBHOOK_URL".into(),
        format!("{}?{HOOK_SECRET}", rig.slack.url()),
    );
    actions
        .secrets
        .insert("SHIPRIG_APP_PRIVATE_KEY".into(), private);
    actions
        .vars
        .insert("SHIPRIG_APP_ID".into(), APP_ID.to_string());

    // A planning session's plan, applied by a maintainer with their own token (shiprig's
    // identity never approves); `approved` is an `issues` event.
    let plan = rig.dir.path().join("plan.yml");
    std::fs::write(&plan, PLAN).unwrap();
    rig.emu.model().add_token("ghp_mia_maintainer", "mia");
    let out = rig
        .run(
            &["plan", "apply", plan.to_str().unwrap()],
            &[("GITHUB_TOKEN", "ghp_mia_maintainer")],
        )
        .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        support::pipeline::printed(&out)
    );
    let issue = 1;
    let mut labeled = example("issues", Some("labeled"));
    labeled["issue"]["number"] = json!(issue);
    let ran = actions.deliver(&rig.emu, "issues", &labeled);
    assert_eq!(commands(&ran), ["shiprig-conductor.yml: conductor tick"]);
    assert_eq!(
        rig.labels(issue),
        ["agent:agent-1", "approved", "in-progress"]
    );
    let dispatched = rig.emu.model().workflow_runs(REPO);
    assert_eq!(dispatched.len(), 1, "the agent workflow was dispatched");

    // The agent's work: a branch and a PR that touches auth and closes the issue.
    rig.commit(
        "agent-1/login",
        &[("src/auth/login.rs", "pub fn login() {}\n")],
        "feat(auth): login page",
    );
    let pull = rig.emu.model().create_pull(
        REPO,
        "agent-1/login",
        "main",
        "feat(auth): login page",
        &format!("Closes #{issue}"),
        "rig-agent-1",
    );
    let opened = pull_event(&rig, "pull_request", "opened", pull).await;
    let ran = actions.deliver(&rig.emu, "pull_request", &opened);
    assert_eq!(
        commands(&ran),
        [
            "shiprig-commits.yml: commits lint",
            "shiprig-lifecycle.yml: lifecycle"
        ]
    );
    assert_eq!(
        rig.labels(issue),
        ["agent:agent-1", "approved", "in-review"]
    );
    let ran = actions.deliver(&rig.emu, "pull_request_target", &opened);
    assert_eq!(commands(&ran), ["shiprig-gate.yml: gate"]);
    assert!(
        ran[0].outputs.contains("verdict=no\n"),
        "{}",
        ran[0].outputs
    );
    assert!(rig.labels(pull).contains(&"human-gate:auth".to_string()));

    // A person approves: the gate passes, and the merge follows on the same review.
    let head = rig.emu.model().pull(REPO, pull).unwrap().head_sha;
    rig.emu
        .model()
        .add_review(REPO, pull, "alice", ReviewState::Approved, "LGTM");
    let mut review = pull_event(&rig, "pull_request_review", "submitted", pull).await;
    review["review"]["user"]["login"] = json!("alice");
    review["review"]["commit_id"] = json!(head);
    review["review"]["state"] = json!("approved");
    // Both workflows start on the review; the merge must not depend on the gate's run being
    // first, so here it goes first.
    actions.workflows.reverse();
    let ran = actions.deliver(&rig.emu, "pull_request_review", &review);
    actions.workflows.reverse();
    assert_eq!(
        commands(&ran),
        [
            "shiprig-merge.yml: gate",
            "shiprig-merge.yml: merge",
            "shiprig-gate.yml: gate"
        ]
    );
    assert!(
        ran[0].outputs.contains("verdict=ok\n"),
        "{}",
        ran[0].outputs
    );
    assert!(
        rig.emu.model().pull(REPO, pull).unwrap().merged,
        "{}",
        ran[1].log
    );

    // Merged: lifecycle closes the issue; the push to main deploys, smokes, opens the release.
    let closed = pull_event(&rig, "pull_request", "closed", pull).await;
    actions.deliver(&rig.emu, "pull_request", &closed);
    assert_eq!(rig.emu.model().issue(REPO, issue).unwrap().state, "closed");
    let ran = actions.deliver(&rig.emu, "push", &push_event(&rig, "main"));
    assert_eq!(
        commands(&ran),
        [
            "shiprig-deploy.yml: deploy staging",
            "shiprig-deploy.yml: smoke staging",
            "shiprig-deploy.yml: release-pr"
        ]
    );
    let release_pr = pull + 1;
    let release = rig.emu.model().issue(REPO, release_pr).unwrap();
    assert_eq!(release.title, "chore(release): v0.1.0");

    // A person merges the release PR: the push to production publishes and deploys.
    rig.emu.model().merge_pull(REPO, release_pr, "mia");
    let ran = actions.deliver(&rig.emu, "push", &push_event(&rig, "production"));
    assert_eq!(
        commands(&ran),
        [
            "shiprig-release.yml: release publish",
            "shiprig-release.yml: deploy production",
            "shiprig-release.yml: smoke production"
        ]
    );
    assert_eq!(rig.emu.model().releases(REPO), ["v0.1.0"]);
    assert_eq!(rig.labels(issue), ["approved", "done"]);

    // The next schedule: the tick closes the finished milestone; the monitor finds
    // production up, as it was, and says nothing.
    let ran = actions.deliver(&rig.emu, "schedule", &json!({"schedule": "2-59/5 * * * *"}));
    assert_eq!(
        commands(&ran),
        [
            "shiprig-conductor.yml: conductor tick",
            "shiprig-monitor.yml: smoke production"
        ]
    );
    assert_eq!(rig.emu.model().milestone_open(REPO, 1), Some(false));

    // Slack heard each step once, in order.
    let texts = rig.slack.texts();
    let heard = [
        "*agent-1* started on acme/widgets #1",
        "Pull request acme/widgets #2",
        "needs a human review: `auth`. Who may approve: `@alice`",
        "deployed `",
        "Smoke tests passed on *staging*",
        "released <",
        "to *production*",
        "Smoke tests passed on *production*",
        "Milestone <",
    ];
    assert_eq!(texts.len(), heard.len(), "{texts:#?}");
    for (text, want) in texts.iter().zip(heard) {
        assert!(text.contains(want), "{text:?} should contain {want:?}");
    }
    assert!(texts[3].contains("to *staging*"), "{}", texts[3]);

    // Everything but this test's own reads of the pull request (a GET with a `null` body).
    let sent: Vec<_> = rig
        .emu
        .requests()
        .into_iter()
        .filter(|r| !(r.method == "GET" && r.body == Some(Value::Null)))
        .collect();
    assert!(sent.len() > 100, "{}", sent.len());
    let problems = support::requests::check_log(&support::spec::Spec::load(), &sent);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    println!(
        "workflow story: {} steps in {:?}",
        actions.ran.len(),
        started.elapsed()
    );
}
