//! The whole rig as installed, driven only through the workflows `shiprig init --phase 3`
//! writes: each event GitHub would send starts the workflows and jobs it would, and each step
//! that uses the action runs through `scripts/run.sh` with what Actions gives it (payload
//! file, `GITHUB_*`, a job token with the job's permissions, secrets and vars). A plan is
//! applied → the Conductor dispatches the agent → the agent's PR touches auth → lifecycle and
//! commit lint → the gate waits for a person → she approves → merge → staging deploy, smoke
//! and the release PR → a person merges it → publish, production deploy, smoke, and only then
//! `release shipped`: the issue is `done`, the milestone closed, and Slack heard each step once
//! (when production's smoke fails, the issue stays `in-review` until a rerun of the failed jobs
//! ships it; a direct push to production deploys nothing). A failing step names its
//! workflow, job and step. Every request shiprig sent is checked against GitHub's description.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use shiprig::emulator::{ACTIONS_LOGIN, Permission, UserKind};
use shiprig::setup::templates;

use crate::support;
use crate::support::pipeline::{HOOK_SECRET, PipelineRig, REPO, start_app};
use crate::support::workflow::runner::Actions;

const APP_ID: u64 = 77;

fn config(app: &str) -> String {
    config_with(app, app)
}

/// The story's config with staging and production served from their own URLs.
fn config_with(staging: &str, production: &str) -> String {
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
    url: {staging}
    smoke_deadline: 5s
    smoke:
      - {{name: health, url: "{staging}/healthz", expect_body: ok}}
  production:
    command: ["true"]
    url: {production}
    smoke_deadline: 5s
    smoke:
      - {{name: health, url: "{production}/healthz", expect_body: ok}}
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

/// `init --phase 3` in a folder, with this story's config (and `workflows` over init's),
/// committed to main.
fn install(
    rig: &PipelineRig,
    config: &str,
    workflows: Option<&std::path::Path>,
) -> tempfile::TempDir {
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
    if let Some(own) = workflows {
        for entry in std::fs::read_dir(own).unwrap().flatten() {
            std::fs::copy(
                entry.path(),
                dir.path().join(".github/workflows").join(entry.file_name()),
            )
            .unwrap();
        }
    }
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

/// A person's or an agent's own API call, with their token.
async fn as_user(rig: &PipelineRig, token: &str, method: &str, path: &str, body: Value) -> Value {
    let url = format!("{}{path}", rig.emu.url());
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(token)
        .header("accept", "application/vnd.github+json")
        .header("user-agent", "shiprig-tests");
    if !body.is_null() {
        request = request.json(&body);
    }
    let resp = request.send().await.unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{status}: {body}");
    body
}

fn commands(ran: &[support::workflow::runner::StepRun]) -> Vec<String> {
    ran.iter()
        .map(|r| format!("{}: {}", r.workflow, r.command))
        .collect()
}

/// How the rig acts: as a GitHub App (`SHIPRIG_APP_ID` and its key), or with each job's
/// Actions token alone.
#[derive(Debug, Clone, Copy, PartialEq)]
enum RigIdentity {
    App,
    ActionsToken,
}

#[tokio::test(flavor = "multi_thread")]
async fn the_installed_workflows_take_a_plan_to_production_as_an_app() {
    story(None, RigIdentity::App, Production::Up).await;
}

/// Production's smoke test fails after the release PR's merge (its health check answers 500):
/// the production job fails, `release shipped` still runs, and the issue stays `in-review`;
/// Slack hears that the release is not verified, and the next tick leaves the milestone open.
/// Production recovers and a person re-runs the failed jobs: the same run's next attempt
/// deploys and smokes again, the issue turns `done` once, and the milestone completes on the
/// tick after, each told once.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_production_smoke_holds_the_issues_in_review_until_the_rerun_ships_them() {
    story(None, RigIdentity::App, Production::DownAtFirst).await;
}

/// Without an App, every job acts with its Actions token, and GitHub starts nothing from the
/// merge's events (the push starts no deploy): `shiprig merge` dispatches the deploy, the
/// lifecycle and a Conductor tick itself, and the rig reaches production with no maintainer's
/// hand but the release PR's merge.
#[tokio::test(flavor = "multi_thread")]
async fn with_the_actions_token_alone_the_merge_starts_the_rest_and_reaches_production() {
    story(None, RigIdentity::ActionsToken, Production::Up).await;
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
        templates::REVIEW,
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
    story(Some(dir.path()), RigIdentity::App, Production::Up).await;
}

const ALICE_TOKEN: &str = "ghp_alice_reviews";
const AGENT_TOKEN: &str = "ghp_agent_1_own_token";

/// How production answers its smoke test when the release reaches it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Production {
    Up,
    /// Its health check answers 500 until the story brings it back.
    DownAtFirst,
}

/// A production web app whose `/healthz` answers `ok`, or 500 while `up` is false.
async fn start_production(up: Arc<AtomicBool>) -> String {
    use axum::http::StatusCode;
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/healthz",
        get(move || {
            let up = up.load(Ordering::SeqCst);
            async move {
                if up {
                    (StatusCode::OK, "ok")
                } else {
                    (StatusCode::INTERNAL_SERVER_ERROR, "down")
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// The story, with the workflows `init --phase 3` wrote, or the ones in `workflows`. Nothing
/// is handed to a workflow but people's acts the emulator cannot see and schedule ticks:
/// every other event is raised by the emulator from the write that caused it and delivered
/// under GitHub's rules (support/workflow/rules.rs).
async fn story(workflows: Option<&std::path::Path>, identity: RigIdentity, production: Production) {
    let started = std::time::Instant::now();
    let app = start_app(Arc::new(Mutex::new(String::new()))).await;
    let production_up = Arc::new(AtomicBool::new(production == Production::Up));
    let production_app = start_production(production_up.clone()).await;
    let config = config_with(&app, &production_app);
    let rig = PipelineRig::new(&config).await;
    let (private, public) = support::emulator::rsa_pair();
    {
        let mut m = rig.emu.model();
        for (login, role, token) in [
            ("rig-agent-1", Permission::Write, AGENT_TOKEN),
            ("alice", Permission::Write, ALICE_TOKEN),
        ] {
            m.add_user(login, UserKind::User);
            m.set_permission(REPO, login, role);
            m.add_token(token, login);
        }
        m.register_app(APP_ID, &public);
        m.add_installation(APP_ID, "acme");
    }
    let _installed = install(&rig, &config, workflows);
    let mut actions = Actions::new(REPO, &rig.emu, rig.dir.path());
    if production == Production::DownAtFirst {
        // Failures the story causes at the wire: production's health check answers 500.
        actions.may_fail.extend([
            "shiprig-release.yml: smoke production".to_string(),
            "shiprig-release.yml: release shipped".to_string(),
        ]);
    }
    actions.secrets.insert(
        "SLACK_WEBHOOK_URL".into(),
        format!("{}?{HOOK_SECRET}", rig.slack.url()),
    );
    if identity == RigIdentity::App {
        actions
            .secrets
            .insert("SHIPRIG_APP_PRIVATE_KEY".into(), private);
        actions
            .vars
            .insert("SHIPRIG_APP_ID".into(), APP_ID.to_string());
    }

    // A maintainer applies a planning session's plan with their own token (shiprig's identity
    // never approves): the issue is created `approved`, and its `labeled` event starts a
    // Conductor tick, which dispatches the agent.
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
    let ran = actions.settle(&rig.emu);
    assert!(
        commands(&ran).contains(&"shiprig-conductor.yml: conductor tick".to_string()),
        "{:?}",
        commands(&ran)
    );
    assert_eq!(
        rig.labels(issue),
        ["agent:agent-1", "approved", "in-progress"]
    );
    let dispatched = rig.emu.model().workflow_runs(REPO);
    assert_eq!(
        dispatched.len(),
        1,
        "the agent workflow was dispatched once"
    );

    // The agent's work, with its own token: a branch and a PR that touches auth and closes
    // the issue. Its `pull_request` starts commit lint and lifecycle (the PR's copy) and the
    // gate (the base's copy, pull_request_target).
    rig.commit(
        "agent-1/login",
        &[("src/auth/login.rs", "pub fn login() {}\n")],
        "feat(auth): login page",
    );
    let opened = as_user(
        &rig,
        AGENT_TOKEN,
        "POST",
        &format!("/repos/{REPO}/pulls"),
        json!({"title": "feat(auth): login page", "head": "agent-1/login", "base": "main",
            "body": format!("Closes #{issue}")}),
    )
    .await;
    let pull = opened["number"].as_u64().unwrap();
    let ran = actions.settle(&rig.emu);
    let gate = ran
        .iter()
        .find(|r| r.workflow == "shiprig-gate.yml")
        .expect("the gate ran on the agent's pull request");
    assert!(gate.outputs.contains("verdict=no\n"), "{}", gate.outputs);
    for wanted in [
        "shiprig-commits.yml: commits lint",
        "shiprig-lifecycle.yml: lifecycle",
    ] {
        assert!(
            commands(&ran).contains(&wanted.to_string()),
            "{:?}",
            commands(&ran)
        );
    }
    assert_eq!(
        rig.labels(issue),
        ["agent:agent-1", "approved", "in-review"]
    );
    assert!(rig.labels(pull).contains(&"human-gate:auth".to_string()));

    // A person approves, through the API. Her review starts shiprig-review.yml (the PR's
    // copy, nothing in it); its end starts shiprig-merge.yml from main's copy, which judges
    // the gate again and merges.
    let head = rig.emu.model().pull(REPO, pull).unwrap().head_sha;
    as_user(
        &rig,
        ALICE_TOKEN,
        "POST",
        &format!("/repos/{REPO}/pulls/{pull}/reviews"),
        json!({"commit_id": head, "event": "APPROVE", "body": "LGTM"}),
    )
    .await;
    let ran = actions.settle(&rig.emu);
    let merge_steps: Vec<_> = commands(&ran)
        .into_iter()
        .filter(|c| c.starts_with("shiprig-merge.yml"))
        .collect();
    assert_eq!(
        merge_steps,
        ["shiprig-merge.yml: gate", "shiprig-merge.yml: merge"]
    );
    assert!(
        rig.emu.model().pull(REPO, pull).unwrap().merged,
        "{:#?}",
        ran.iter().map(|r| r.log.clone()).collect::<Vec<_>>()
    );

    if identity == RigIdentity::ActionsToken {
        // The merge acted with the Actions token: its push and its closed pull request start
        // nothing, so shiprig merge dispatched the follow-ons itself (the exception GitHub
        // allows), each once: the deploy of main, the lifecycle of the pull request, a tick.
        assert!(
            actions.hops.iter().any(|h| h.event == "push"
                && h.actor == ACTIONS_LOGIN
                && h.outcome.contains("no run")),
            "the merge's push was raised, and started nothing"
        );
        let dispatched: Vec<_> = actions
            .hops
            .iter()
            .filter(|h| h.event == "workflow_dispatch" && h.actor == ACTIONS_LOGIN)
            .map(|h| h.outcome.clone())
            .filter(|w| w != "shiprig-agent.yml")
            .collect();
        assert_eq!(
            dispatched,
            [
                "shiprig-deploy.yml",
                "shiprig-lifecycle.yml",
                "shiprig-conductor.yml"
            ]
        );
        for wanted in [
            "shiprig-lifecycle.yml: lifecycle",
            "shiprig-conductor.yml: conductor tick",
        ] {
            assert!(
                commands(&ran).contains(&wanted.to_string()),
                "{:?}",
                commands(&ran)
            );
        }
        let runs = rig.emu.model().workflow_runs(REPO);
        let lifecycle = runs
            .iter()
            .find(|r| r.workflow == "shiprig-lifecycle.yml")
            .unwrap();
        assert_eq!(
            lifecycle.display_title,
            format!("shiprig lifecycle #{pull}")
        );
        assert_eq!(lifecycle.inputs["pull_request"], json!(pull.to_string()));
        let merge_log = &ran.iter().find(|r| r.command == "merge").unwrap().log;
        assert!(
            merge_log.contains("merged with the Actions token: GitHub starts no workflow"),
            "{merge_log}"
        );
        // The merge again, as after a lost answer: the runs dispatched since the merge are
        // read back, and nothing starts twice.
        let before = rig.emu.model().workflow_runs(REPO).len();
        let number = pull.to_string();
        let out = rig
            .run(&["merge", "--pr", &number], &[("GITHUB_ACTIONS", "true")])
            .await;
        let printed = support::pipeline::printed(&out);
        assert_eq!(out.status.code(), Some(0), "{printed}");
        assert_eq!(
            rig.emu.model().workflow_runs(REPO).len(),
            before,
            "{printed}"
        );
        for workflow in [
            "shiprig-deploy.yml",
            "shiprig-lifecycle.yml",
            "shiprig-conductor.yml",
        ] {
            assert!(
                printed.contains(&format!("#{pull}: {workflow}: already")),
                "{printed}"
            );
        }
    } else {
        // The merge's own events carry on: the issue it closed starts a Conductor tick at
        // once (the milestone stays open: merged is not shipped), the push to main deploys
        // staging, smokes it and opens the release PR.
        assert_eq!(rig.emu.model().issue(REPO, issue).unwrap().state, "closed");
        assert!(
            actions.hops.iter().any(|h| h.event == "issues"
                && h.action.as_deref() == Some("closed")
                && h.outcome == "shiprig-conductor.yml"),
            "the closed issue woke the Conductor"
        );
        assert_eq!(rig.emu.model().milestone_open(REPO, 1), Some(true));
    }
    assert_eq!(rig.emu.model().issue(REPO, issue).unwrap().state, "closed");
    let deployed: Vec<_> = commands(&ran)
        .into_iter()
        .filter(|c| c.starts_with("shiprig-deploy.yml"))
        .collect();
    assert_eq!(
        deployed,
        [
            "shiprig-deploy.yml: deploy staging",
            "shiprig-deploy.yml: smoke staging",
            "shiprig-deploy.yml: release-pr"
        ]
    );
    let release_pr = pull + 1;
    let release = rig.emu.model().issue(REPO, release_pr).unwrap();
    assert_eq!(release.title, "chore(release): v0.1.0");

    // A person merges the release PR (through the model: a person's act, delivered by hand):
    // the push to production publishes and deploys.
    rig.emu.model().merge_pull(REPO, release_pr, "mia");
    let sha = rig.emu.model().branch_sha(REPO, "production").unwrap();
    let mut ran = actions.by_hand(
        &rig.emu,
        "push",
        "mia",
        json!({"ref": "refs/heads/production", "after": sha}),
    );
    let mut minute = 5;
    if production == Production::DownAtFirst {
        ran = held_then_rerun(&rig, &mut actions, issue, &production_up, ran);
        minute = 15;
    }
    assert_eq!(
        commands(&ran),
        [
            "shiprig-release.yml: release publish",
            "shiprig-release.yml: deploy production",
            "shiprig-release.yml: smoke production",
            "shiprig-release.yml: release shipped"
        ]
    );
    assert!(
        ran[0].outputs.contains("deploy=true\n"),
        "{}",
        ran[0].outputs
    );
    assert_eq!(rig.emu.model().releases(REPO), ["v0.1.0"]);
    assert_eq!(rig.labels(issue), ["approved", "done"]);
    // `done` came from the step after production smoke, not from publish: publish lists the
    // issue in the release, `release shipped` marks it.
    let result = |command: &str| -> Value {
        let run = ran.iter().find(|r| r.command == command).unwrap();
        serde_json::from_str(run.log.trim()).unwrap_or_else(|e| panic!("{e}: {}", run.log))
    };
    assert_eq!(result("release publish")["issues"], json!([issue]));
    let shipped = result("release shipped");
    assert_eq!(shipped["newly_done"], json!([issue]), "{shipped}");
    assert_eq!(shipped["held"], Value::Null, "{shipped}");
    assert_eq!(shipped["queue_drained"], json!(true), "{shipped}");

    // An agent pushes straight to the production branch (its token can write there): the
    // release workflow runs, publishes nothing and deploys nothing.
    let deployments = rig.emu.model().deployments(REPO).len();
    let pushed = rig.emu.model().set_files_by(
        REPO,
        "production",
        &[("src/auth/login.rs", "pub fn login() { backdoor() }\n")],
        "fix: hotfix",
        "rig-agent-1",
    );
    let ran = actions.by_hand(
        &rig.emu,
        "push",
        "rig-agent-1",
        json!({"ref": "refs/heads/production", "after": pushed}),
    );
    assert_eq!(commands(&ran), ["shiprig-release.yml: release publish"]);
    assert!(
        ran[0].outputs.contains("deploy=false\n"),
        "{}",
        ran[0].outputs
    );
    assert!(
        ran[0]
            .log
            .contains("not made by merging a release pull request"),
        "{}",
        ran[0].log
    );
    assert_eq!(rig.emu.model().deployments(REPO).len(), deployments);
    assert_eq!(rig.emu.model().releases(REPO), ["v0.1.0"]);
    if identity == RigIdentity::ActionsToken {
        finish(&rig, &actions, identity, started);
        return;
    }

    // The next schedule: the tick finds the milestone's work `done` and closes it; the
    // monitor finds production up, as it was, and says nothing. A second tick a minute later
    // is dropped.
    let ran = actions.tick(&rig.emu, minute);
    assert_eq!(
        commands(&ran),
        [
            "shiprig-conductor.yml: conductor tick",
            "shiprig-monitor.yml: smoke production"
        ]
    );
    assert!(actions.tick(&rig.emu, minute + 1).is_empty());
    assert_eq!(rig.emu.model().milestone_open(REPO, 1), Some(false));

    // Slack heard each step once, in order, `done` only after the production smoke (the
    // milestone's end from the Conductor's tick after it).
    let mut texts = rig.slack.texts();
    let milestone = texts.iter().filter(|t| t.contains("Milestone <")).count();
    assert_eq!(milestone, 1, "{texts:#?}");
    texts.retain(|t| !t.contains("Milestone <"));
    let mut heard = vec![
        "*agent-1* started on acme/widgets #1",
        "Pull request acme/widgets #2",
        "needs a human review: `auth`. Who may approve: `@alice`",
        "deployed `",
        "Smoke tests passed on *staging*",
        "released <",
        "to *production*",
        "Smoke tests passed on *production*",
        "is live in production and smoke-tested — done: #1",
        "The queue of acme/widgets is empty",
    ];
    if production == Production::DownAtFirst {
        // The first attempt: deployed, smoke failed, held; the rerun deploys again.
        heard.splice(
            7..7,
            [
                "Smoke tests FAILED on *production*",
                "is not verified in production",
                "to *production*",
            ],
        );
    }
    assert_eq!(texts.len(), heard.len(), "{texts:#?}");
    for (text, want) in texts.iter().zip(heard) {
        assert!(text.contains(want), "{text:?} should contain {want:?}");
    }
    assert!(texts[3].contains("to *staging*"), "{}", texts[3]);

    finish(&rig, &actions, identity, started);
}

/// The release run's first attempt, with production down: the production job fails at its
/// smoke test, `release shipped` runs after it and holds the issue `in-review` (failing its
/// job too), and the milestone stays open on the next tick. Production comes back; a person
/// re-runs the failed jobs. Returns the rerun's steps.
fn held_then_rerun(
    rig: &PipelineRig,
    actions: &mut Actions,
    issue: u64,
    production_up: &AtomicBool,
    first: Vec<support::workflow::runner::StepRun>,
) -> Vec<support::workflow::runner::StepRun> {
    assert_eq!(
        commands(&first),
        [
            "shiprig-release.yml: release publish",
            "shiprig-release.yml: deploy production",
            "shiprig-release.yml: smoke production",
            "shiprig-release.yml: release shipped"
        ]
    );
    assert_eq!(
        commands(&actions.failed),
        [
            "shiprig-release.yml: smoke production",
            "shiprig-release.yml: release shipped"
        ]
    );
    let shipped = first.last().unwrap();
    assert!(
        shipped.log.contains("\"held\""),
        "release shipped says why the issue waits: {}",
        shipped.log
    );
    assert_eq!(
        rig.labels(issue),
        ["agent:agent-1", "approved", "in-review"]
    );
    assert_eq!(rig.emu.model().releases(REPO), ["v0.1.0"]);
    let heard = |what: &str| {
        let texts = rig.slack.texts();
        texts.iter().filter(|t| t.contains(what)).count()
    };
    assert_eq!(heard("is not verified in production"), 1);
    assert_eq!(heard("is live in production"), 0);
    let comments = rig.emu.model().issue(REPO, issue).unwrap().comments;

    // Production recovers. The next tick finds nothing `done`: the milestone stays open, and
    // the monitor finds production up.
    production_up.store(true, Ordering::SeqCst);
    let ran = actions.tick(&rig.emu, 5);
    assert_eq!(
        commands(&ran),
        [
            "shiprig-conductor.yml: conductor tick",
            "shiprig-monitor.yml: smoke production"
        ]
    );
    assert_eq!(rig.emu.model().milestone_open(REPO, 1), Some(true));
    assert_eq!(heard("Milestone <"), 0);

    // A person re-runs the failed jobs: publish keeps its result and output, the production
    // job and `release shipped` run again.
    let failed_before = actions.failed.len();
    let ran = actions.rerun_failed(&rig.emu, "shiprig-release.yml");
    assert_eq!(
        commands(&ran),
        [
            "shiprig-release.yml: deploy production",
            "shiprig-release.yml: smoke production",
            "shiprig-release.yml: release shipped"
        ]
    );
    assert_eq!(actions.failed.len(), failed_before, "nothing failed again");
    assert_eq!(rig.emu.model().releases(REPO), ["v0.1.0"]);
    let after = rig.emu.model().issue(REPO, issue).unwrap().comments;
    assert!(after.starts_with(&comments), "{after:#?}");
    let unique: std::collections::BTreeSet<_> = after.iter().collect();
    assert_eq!(
        unique.len(),
        after.len(),
        "a comment written twice: {after:#?}"
    );
    // The run as its last attempt shows it: publish from the first, the rest from the rerun.
    let mut ran = ran;
    ran.insert(0, first[0].clone());
    ran
}

/// What every run of the story ends with: only people's acts and schedule ticks delivered by
/// hand, every request as GitHub describes it, and the chain of runs printed.
fn finish(
    rig: &PipelineRig,
    actions: &Actions,
    identity: RigIdentity,
    started: std::time::Instant,
) {
    for kind in actions.by_hand.keys() {
        assert!(
            ["push", "schedule"].contains(&kind.as_str()),
            "{kind} was delivered by hand"
        );
    }
    // Everything shiprig sent, checked against GitHub's description (this test's own calls
    // as people go through `as_user`, which the log also holds: they are GitHub calls too).
    let sent = rig.emu.requests();
    assert!(sent.len() > 50, "{}", sent.len());
    let problems = support::requests::check_log(&support::spec::OpenApiSpec::load(), &sent);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    println!(
        "workflow story ({identity:?}): {} steps in {:?}; by hand: {:?}\nchain of runs:\n  {}",
        actions.ran.len(),
        started.elapsed(),
        actions.by_hand,
        actions
            .hops
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

/// docs/security.md#case-35, as an agent would try it: its pull request edits shiprig-merge.yml (a
/// deploy instead of the gate). A person reviews; the merge that runs is main's copy, started
/// by workflow_run, and no step of the edited copy ever runs. (An edit that also adds a trigger
/// running the pull request's copy, such as `pull_request_review`, would run: GitHub runs that
/// copy. What stops it is outside the workflow files: an agent token without the `workflows`
/// permission cannot push a workflow change, and the required check is pinned to the App.)
#[tokio::test(flavor = "multi_thread")]
async fn case_35_a_pull_request_that_edits_shiprig_merge_never_runs_its_edit() {
    let app = start_app(Arc::new(Mutex::new(String::new()))).await;
    let config = config(&app);
    let rig = PipelineRig::new(&config).await;
    {
        let mut m = rig.emu.model();
        for (login, token) in [("rig-agent-1", AGENT_TOKEN), ("alice", ALICE_TOKEN)] {
            m.add_user(login, UserKind::User);
            m.set_permission(REPO, login, Permission::Write);
            m.add_token(token, login);
        }
    }
    let _installed = install(&rig, &config, None);
    let mut actions = Actions::new(REPO, &rig.emu, rig.dir.path());
    let merge = rig
        .emu
        .model()
        .file_at(REPO, "main", ".github/workflows/shiprig-merge.yml")
        .unwrap();
    let edited = merge.replace("command: gate", "command: deploy staging");
    assert_ne!(edited, merge);
    rig.commit(
        "agent-1/sneaky",
        &[
            (".github/workflows/shiprig-merge.yml", edited.as_str()),
            ("src/auth/login.rs", "pub fn login() {}\n"),
        ],
        "ci: faster merges",
    );
    let opened = as_user(
        &rig,
        AGENT_TOKEN,
        "POST",
        &format!("/repos/{REPO}/pulls"),
        json!({"title": "ci: faster merges", "head": "agent-1/sneaky", "base": "main", "body": ""}),
    )
    .await;
    let pull = opened["number"].as_u64().unwrap();
    actions.settle(&rig.emu);
    let head = rig.emu.model().pull(REPO, pull).unwrap().head_sha;
    as_user(
        &rig,
        ALICE_TOKEN,
        "POST",
        &format!("/repos/{REPO}/pulls/{pull}/reviews"),
        json!({"commit_id": head, "event": "APPROVE", "body": "LGTM"}),
    )
    .await;
    actions.settle(&rig.emu);
    let merge_runs: Vec<_> = actions
        .ran
        .iter()
        .filter(|r| r.workflow == "shiprig-merge.yml")
        .map(|r| r.command.clone())
        .collect();
    assert_eq!(merge_runs, ["gate", "merge"], "main's copy ran, once");
    assert!(
        actions
            .ran
            .iter()
            .all(|r| r.workflow != "shiprig-merge.yml" || r.command != "deploy staging"),
        "the edited copy ran"
    );
    let started: Vec<_> = actions
        .hops
        .iter()
        .filter(|h| h.outcome == "shiprig-merge.yml")
        .map(|h| h.event.clone())
        .collect();
    assert_eq!(started, ["workflow_run"]);
}

const REVIEWER_TOKEN: &str = "ghp_reviewer_own_token";

/// The token an agent's run acts with: the secret its dispatch names (`token_secret`), as the
/// agent workflow takes it.
fn token_of(actions: &Actions, inputs: &serde_json::Map<String, Value>) -> String {
    let secret = inputs
        .get("token_secret")
        .and_then(Value::as_str)
        .unwrap_or("SHIPRIG_AGENT_TOKEN");
    actions.secrets[secret].clone()
}

/// The agent workflow's `wake` job after an agent's run: it starts a Conductor tick with the
/// job's Actions token (workflow_dispatch, which that token may cause).
async fn wake(rig: &PipelineRig, actions: &mut Actions) -> Vec<support::workflow::runner::StepRun> {
    let token = "ghs_agent_wake_job";
    {
        let mut m = rig.emu.model();
        m.add_token(token, ACTIONS_LOGIN);
        m.set_permission(REPO, ACTIONS_LOGIN, Permission::Write);
    }
    as_user(
        rig,
        token,
        "POST",
        &format!("/repos/{REPO}/actions/workflows/shiprig-conductor.yml/dispatches"),
        json!({"ref": "main"}),
    )
    .await;
    let ran = actions.settle(&rig.emu);
    assert!(
        commands(&ran).contains(&"shiprig-conductor.yml: conductor tick".to_string()),
        "{:?}",
        commands(&ran)
    );
    ran
}

/// The runs of the agent workflow the Conductor dispatched for `task`, oldest first.
fn dispatched(rig: &PipelineRig, task: &str) -> Vec<serde_json::Map<String, Value>> {
    let mut runs = rig.emu.model().workflow_runs(REPO);
    runs.sort_by_key(|r| r.id);
    runs.into_iter()
        .map(|r| r.inputs)
        .filter(|i| i.get("task").and_then(Value::as_str).unwrap_or("implement") == task)
        .collect()
}

/// The review agent at work, as the agent workflow's review task does it with its own token:
/// it reads the pull request through the API, "runs the tests" (here: looks for a test of the
/// change among the files), and submits APPROVE or REQUEST_CHANGES with its reasons.
async fn review_agent(
    rig: &PipelineRig,
    actions: &Actions,
    inputs: &serde_json::Map<String, Value>,
) {
    assert_eq!(inputs["task"], "review");
    let token = token_of(actions, inputs);
    let pull = inputs["pull_request"].as_str().unwrap();
    let files = as_user(
        rig,
        &token,
        "GET",
        &format!("/repos/{REPO}/pulls/{pull}/files"),
        Value::Null,
    )
    .await;
    let tested = files
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["filename"].as_str().unwrap().starts_with("tests/"));
    let command = inputs["test_command"].as_str().unwrap();
    let (event, body, comments) = if tested {
        (
            "APPROVE",
            format!("`{command}` passes, and the change is tested."),
            json!([]),
        )
    } else {
        (
            "REQUEST_CHANGES",
            format!("`{command}` passes, but no test covers src/pages/login.rs: add one."),
            json!([{"path": "src/pages/login.rs", "line": 1, "body": "Test an empty password."}]),
        )
    };
    let head = rig
        .emu
        .model()
        .pull(REPO, pull.parse().unwrap())
        .unwrap()
        .head_sha;
    as_user(
        rig,
        &token,
        "POST",
        &format!("/repos/{REPO}/pulls/{pull}/reviews"),
        json!({"commit_id": head, "event": event, "body": body, "comments": comments}),
    )
    .await;
}

/// The rig as installed with a review agent of its own identity (`rig-reviewer`, its token in
/// SHIPRIG_AGENT_TOKEN_REVIEWER) and a test command; the plan applied, agent-1 dispatched.
async fn review_rig() -> (
    PipelineRig,
    Actions,
    serde_json::Map<String, Value>,
    tempfile::TempDir,
) {
    let app = start_app(Arc::new(Mutex::new(String::new()))).await;
    let config = config(&app).replace(
        "    - {name: agent-1, login: rig-agent-1}\n",
        "    - {name: agent-1, login: rig-agent-1}\n    - {name: reviewer, login: rig-reviewer, token_secret: SHIPRIG_AGENT_TOKEN_REVIEWER}\n  review_agent: reviewer\n  test_command: cargo test\n",
    );
    assert!(config.contains("review_agent"));
    let rig = PipelineRig::new(&config).await;
    let (private, public) = support::emulator::rsa_pair();
    {
        let mut m = rig.emu.model();
        for (login, token) in [
            ("rig-agent-1", AGENT_TOKEN),
            ("rig-reviewer", REVIEWER_TOKEN),
            ("mia", "ghp_mia_maintainer"),
        ] {
            m.add_user(login, UserKind::User);
            m.set_permission(REPO, login, Permission::Write);
            m.add_token(token, login);
        }
        m.set_permission(REPO, "mia", Permission::Maintain);
        m.register_app(APP_ID, &public);
        m.add_installation(APP_ID, "acme");
    }
    let installed = install(&rig, &config, None);
    let mut actions = Actions::new(REPO, &rig.emu, rig.dir.path());
    for (name, value) in [
        (
            "SLACK_WEBHOOK_URL",
            format!("{}?{HOOK_SECRET}", rig.slack.url()),
        ),
        ("SHIPRIG_APP_PRIVATE_KEY", private),
        ("SHIPRIG_AGENT_TOKEN", AGENT_TOKEN.to_string()),
        ("SHIPRIG_AGENT_TOKEN_REVIEWER", REVIEWER_TOKEN.to_string()),
    ] {
        actions.secrets.insert(name.into(), value);
    }
    actions
        .vars
        .insert("SHIPRIG_APP_ID".into(), APP_ID.to_string());

    // The plan is applied; its `labeled` event starts a tick, which sends agent-1.
    let plan = rig.dir.path().join("plan.yml");
    std::fs::write(&plan, PLAN).unwrap();
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
    actions.settle(&rig.emu);
    let implement = dispatched(&rig, "implement");
    assert_eq!(implement.len(), 1);
    assert_eq!(implement[0]["test_command"], "cargo test");

    (
        rig,
        actions,
        implement.into_iter().next().unwrap(),
        installed,
    )
}

/// agent-1's work, with its own token: a branch with `path`, a pull request and its label.
async fn agent_opens(
    rig: &PipelineRig,
    actions: &mut Actions,
    implement: &serde_json::Map<String, Value>,
    path: &str,
) -> u64 {
    let token = token_of(actions, implement);
    rig.commit(
        "agent/1-login-page",
        &[(path, "pub fn login() {}\n")],
        "feat(pages): login page",
    );
    let opened = as_user(
        rig,
        &token,
        "POST",
        &format!("/repos/{REPO}/pulls"),
        json!({"title": "feat(pages): login page", "head": "agent/1-login-page", "base": "main",
            "body": "Closes #1\n\nTests: `cargo test` passed.\n\nShiprig-Agent: agent-1\n"}),
    )
    .await;
    let pull = opened["number"].as_u64().unwrap();
    as_user(
        rig,
        &token,
        "POST",
        &format!("/repos/{REPO}/issues/{pull}/labels"),
        json!({"labels": ["agent:agent-1"]}),
    )
    .await;
    pull
}

/// As installed, with a review agent of its own identity: agent-1's pull request touches no
/// gated path; the Conductor sends the review agent, which requests changes; the Conductor
/// sends agent-1 back with the review's text; agent-1 pushes a test; the review agent approves
/// the new head, and the merge workflow merges it with no person's review.
#[tokio::test(flavor = "multi_thread")]
async fn an_ungated_agent_pull_request_goes_through_a_review_round_and_merges_with_no_person() {
    let (rig, mut actions, implement, _installed) = review_rig().await;
    assert_eq!(implement["test_command"], "cargo test");
    let pull = agent_opens(&rig, &mut actions, &implement, "src/pages/login.rs").await;
    let ran = actions.settle(&rig.emu);
    let gate = ran
        .iter()
        .find(|r| r.workflow == "shiprig-gate.yml")
        .expect("the gate ran");
    assert!(gate.outputs.contains("verdict=ok\n"), "{}", gate.outputs);
    assert!(!rig.emu.model().pull(REPO, pull).unwrap().merged);

    // The next tick sends the review agent, with its own token's secret.
    wake(&rig, &mut actions).await;
    let reviews = dispatched(&rig, "review");
    assert_eq!(
        reviews.len(),
        1,
        "{:?}",
        rig.emu.model().workflow_runs(REPO)
    );
    assert_eq!(reviews[0]["agent"], "reviewer");
    assert_eq!(reviews[0]["token_secret"], "SHIPRIG_AGENT_TOKEN_REVIEWER");
    assert_eq!(reviews[0]["pull_request"], pull.to_string());

    // It requests changes: the merge workflow runs and does not merge.
    review_agent(&rig, &actions, &reviews[0]).await;
    let ran = actions.settle(&rig.emu);
    assert!(
        commands(&ran).contains(&"shiprig-merge.yml: merge".to_string()),
        "{:?}",
        commands(&ran)
    );
    assert!(!rig.emu.model().pull(REPO, pull).unwrap().merged);

    // The next tick sends agent-1 back with the review's text, once.
    wake(&rig, &mut actions).await;
    let responds = dispatched(&rig, "respond");
    assert_eq!(responds.len(), 1);
    assert_eq!(responds[0]["agent"], "agent-1");
    assert_eq!(responds[0]["reviewer"], "rig-reviewer");
    assert!(
        responds[0]["review"]
            .as_str()
            .unwrap()
            .contains("no test covers src/pages/login.rs"),
        "{:?}",
        responds[0]
    );
    assert_eq!(
        dispatched(&rig, "review").len(),
        1,
        "the same head: no new review"
    );

    // agent-1 reads the review's line comments, which belong to it, with its own token.
    let token = token_of(&actions, &responds[0]);
    let review_id: u64 = responds[0]["review_url"]
        .as_str()
        .unwrap()
        .rsplit('-')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let lines = as_user(
        &rig,
        &token,
        "GET",
        &format!("/repos/{REPO}/pulls/{pull}/comments"),
        Value::Null,
    )
    .await;
    let mine: Vec<&Value> = lines
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["pull_request_review_id"] == review_id)
        .collect();
    assert_eq!(mine.len(), 1, "{lines}");
    assert_eq!(mine[0]["body"], "Test an empty password.");

    // It pushes a test to the same branch (a git push, which the emulator does not see as an
    // event; the merge judges the gate itself) and says so on the pull request.
    rig.commit(
        "agent/1-login-page",
        &[("tests/login.rs", "#[test]\nfn logs_in() {}\n")],
        "test(pages): login page",
    );
    as_user(
        &rig,
        &token,
        "POST",
        &format!("/repos/{REPO}/issues/{pull}/comments"),
        json!({"body": "respond: pushed to `agent/1-login-page`. Tests: `cargo test` passed."}),
    )
    .await;

    // The next tick asks for a review of the new head; the review agent approves; the merge
    // workflow merges with no person.
    wake(&rig, &mut actions).await;
    let reviews = dispatched(&rig, "review");
    assert_eq!(reviews.len(), 2);
    assert_eq!(dispatched(&rig, "respond").len(), 1, "answered once");
    review_agent(&rig, &actions, &reviews[1]).await;
    let ran = actions.settle(&rig.emu);
    let merged = rig.emu.model().pull(REPO, pull).unwrap();
    assert!(
        merged.merged,
        "{:#?}",
        ran.iter().map(|r| r.log.clone()).collect::<Vec<_>>()
    );
    assert!(
        merged
            .reviews
            .iter()
            .all(|(who, _, _)| who == "rig-reviewer"),
        "{:?}",
        merged.reviews
    );
    assert_eq!(rig.emu.model().issue(REPO, 1).unwrap().state, "closed");
    let sent = rig.emu.requests();
    let problems = support::requests::check_log(&support::spec::OpenApiSpec::load(), &sent);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// As installed, with a review agent: agent-1's pull request touches auth. The review agent
/// reviews and approves it; the merge workflow runs and does not merge (the gate counts only
/// people); alice, the auth owner, approves, and it merges.
#[tokio::test(flavor = "multi_thread")]
async fn a_gated_agent_pull_request_gets_the_agents_review_and_still_waits_for_a_person() {
    let (rig, mut actions, implement, _installed) = review_rig().await;
    rig.emu.model().add_token(ALICE_TOKEN, "alice");
    rig.emu.model().add_user("alice", UserKind::User);
    rig.emu
        .model()
        .set_permission(REPO, "alice", Permission::Write);
    rig.commit(
        "agent/1-login-page",
        &[("tests/login.rs", "#[test]\nfn logs_in() {}\n")],
        "test(auth): login",
    );
    let pull = agent_opens(&rig, &mut actions, &implement, "src/auth/login.rs").await;
    let ran = actions.settle(&rig.emu);
    let gate = ran
        .iter()
        .find(|r| r.workflow == "shiprig-gate.yml")
        .expect("the gate ran");
    assert!(gate.outputs.contains("verdict=no\n"), "{}", gate.outputs);

    wake(&rig, &mut actions).await;
    let reviews = dispatched(&rig, "review");
    assert_eq!(reviews.len(), 1);
    review_agent(&rig, &actions, &reviews[0]).await;
    let ran = actions.settle(&rig.emu);
    let merge = ran
        .iter()
        .find(|r| r.workflow == "shiprig-merge.yml" && r.command == "merge")
        .expect("the merge workflow ran");
    assert!(
        merge.log.contains("auth") && !rig.emu.model().pull(REPO, pull).unwrap().merged,
        "{}",
        merge.log
    );

    let head = rig.emu.model().pull(REPO, pull).unwrap().head_sha;
    as_user(
        &rig,
        ALICE_TOKEN,
        "POST",
        &format!("/repos/{REPO}/pulls/{pull}/reviews"),
        json!({"commit_id": head, "event": "APPROVE", "body": "Auth looks right."}),
    )
    .await;
    actions.settle(&rig.emu);
    assert!(rig.emu.model().pull(REPO, pull).unwrap().merged);
}
