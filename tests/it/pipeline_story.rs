//! From an approved issue to `done`, through the real binary against the emulator: claimed by
//! the Conductor, PR opened (`in-review`), gate passes, auto-merged, deployed to staging, smoke
//! passed, release PR, merged by a human, published, issue `done`; every Slack message checked.
//!
//! `shiprig gate` is not part of this branch: the story posts the `shiprig/human-gate` check
//! run on the head SHA the way the gate does.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use shiprig::emulator::{Permission, ReviewState, UserKind};

use crate::support;
use crate::support::pipeline::{BOT, PipelineRig, REPO, printed, start_app};

const AGENT_WORKFLOW: &str = "name: agent\non:\n  workflow_dispatch:\n    inputs:\n      issue: {required: true}\n      agent: {required: true}\n";

fn config(app: &str) -> String {
    format!(
        r#"version: 1
conductor:
  agents:
    - {{name: agent-1, login: rig-agent-1}}
    - {{name: reviewer, login: rig-reviewer, token_secret: SHIPRIG_AGENT_TOKEN_REVIEWER}}
  dispatch:
    github_actions: {{workflow: shiprig-agent.yml, ref: main}}
  review_agent: reviewer
notify:
  slack: {{webhook_url_env: SLACK_WEBHOOK_URL}}
deploy:
  staging:
    command: ["true"]
    url: https://staging.example.com
    smoke_deadline: 5s
    smoke:
      - {{name: health, url: "{app}/healthz", expect_body: ok}}
      - {{name: version, url: "{app}/version", expect_version: {{pointer: /version}}}}
"#
    )
}

async fn ok(rig: &PipelineRig, args: &[&str], extra: &[(&str, &str)]) -> String {
    let out = rig.run(args, extra).await;
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(0), "shiprig {args:?}: {all}");
    all
}

async fn seed(rig: &PipelineRig) -> u64 {
    {
        let mut m = rig.emu.model();
        for agent in ["rig-agent-1", "rig-reviewer"] {
            m.add_user(agent, UserKind::User);
            m.set_permission(REPO, agent, Permission::Write);
        }
        m.set_file(
            REPO,
            "main",
            ".github/workflows/shiprig-agent.yml",
            AGENT_WORKFLOW,
        );
        // `merge` judges by the base branch's config, as the gate does.
        let config = std::fs::read_to_string(&rig.config).unwrap();
        m.set_file(REPO, "main", ".github/shiprig.yml", &config);
    }
    let mut m = rig.emu.model();
    let issue = m.create_issue(REPO, "Chat UI", "Build the chat UI.", &[], "mia");
    m.add_label(REPO, issue, "approved", "mia");
    issue
}

/// The agent's work: a branch with a conventional commit and a PR that closes the issue.
fn open_pull(rig: &PipelineRig, issue: u64) -> u64 {
    rig.commit(
        "agent-1/chat-ui",
        &[("src/chat.rs", "pub fn chat() {}\n")],
        "feat(ui): chat UI",
    );
    rig.emu.model().create_pull(
        REPO,
        "agent-1/chat-ui",
        "main",
        "feat(ui): chat UI",
        &format!("Closes #{issue}"),
        "rig-agent-1",
    )
}

async fn pass_checks(rig: &PipelineRig, sha: &str) {
    for name in ["ci", "shiprig/human-gate"] {
        let (status, body) = rig
            .api(
                "POST",
                &format!("/repos/{REPO}/check-runs"),
                json!({"name": name, "head_sha": sha, "status": "completed", "conclusion": "success"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approved_issue_goes_all_the_way_to_done() {
    let version = Arc::new(Mutex::new(String::new()));
    let app = start_app(version.clone()).await;
    let rig = PipelineRig::new(&config(&app)).await;
    let issue = seed(&rig).await;
    let actions = [("GITHUB_SERVER_URL", "https://github.example")];

    // Claimed.
    ok(&rig, &["conductor", "tick"], &[]).await;
    assert_eq!(
        rig.labels(issue),
        ["agent:agent-1", "approved", "in-progress"]
    );

    // PR opened: in review.
    let pull = open_pull(&rig, issue);
    let pr = pull.to_string();
    ok(&rig, &["lifecycle", "--pr", &pr], &[]).await;
    assert_eq!(
        rig.labels(issue),
        ["agent:agent-1", "approved", "in-review"]
    );
    ok(&rig, &["commits", "lint", "--pr", &pr], &[]).await;

    // Not yet: no review. Then CI passes, the review agent reviews and a maintainer approves
    // (an agent's approval never counts).
    let waiting = ok(&rig, &["merge", "--pr", &pr], &[]).await;
    assert!(waiting.contains("no approving review"), "{waiting}");
    let head = rig.emu.model().pull(REPO, pull).unwrap().head_sha;
    pass_checks(&rig, &head).await;
    rig.emu
        .model()
        .add_review(REPO, pull, "rig-reviewer", ReviewState::Approved, "LGTM");
    rig.emu
        .model()
        .add_review(REPO, pull, "mia", ReviewState::Approved, "");
    let before_merge = rig.emu.requests().len();
    let merged = ok(&rig, &["merge", "--pr", &pr], &[]).await;
    assert!(merged.contains("merged"), "{merged}");
    let put: Vec<Value> = rig
        .emu
        .writes()
        .into_iter()
        .skip_while(|w| (w.seq as usize) <= before_merge)
        .filter(|w| w.path.ends_with("/merge"))
        .filter_map(|w| w.body)
        .collect();
    assert_eq!(
        put,
        [json!({"sha": head, "merge_method": "squash"})],
        "pinned to the evaluated head"
    );
    assert!(rig.emu.model().pull(REPO, pull).unwrap().merged);
    ok(&rig, &["lifecycle", "--pr", &pr], &[]).await;
    let closed = rig.emu.model().issue(REPO, issue).unwrap();
    assert_eq!(closed.state, "closed", "the merge closed the linked issue");
    assert_eq!(
        rig.labels(issue),
        ["agent:agent-1", "approved", "in-review"],
        "awaiting deploy"
    );

    // Staging: deploy and smoke the merge commit.
    let main = rig.main_sha();
    *version.lock().unwrap() = main.clone();
    ok(&rig, &["deploy", "staging"], &[("GITHUB_SHA", &main)]).await;
    ok(&rig, &["smoke", "staging"], &[("GITHUB_SHA", &main)]).await;

    // Release PR, merged by a human.
    let opened = ok(&rig, &["release-pr"], &[("GITHUB_SHA", &main), actions[0]]).await;
    assert!(opened.contains("opened release pull request"), "{opened}");
    let release = rig.emu.model().issue(REPO, pull + 1).unwrap();
    assert!(release.is_pull_request && release.title == "chore(release): v0.1.0");
    let body = release.body.unwrap();
    assert!(
        body.contains("* **ui:** chat UI ([#2](https://github.example/acme/widgets/pull/2))"),
        "{body}"
    );
    rig.emu.model().merge_pull(REPO, pull + 1, "mia");

    // Published on the push to production: the merged release PR is found from the commit.
    let release_pr = (pull + 1).to_string();
    let pushed = rig.emu.model().branch_sha(REPO, "production").unwrap();
    let event = rig.dir.path().join("push.json");
    std::fs::write(
        &event,
        json!({"ref": "refs/heads/production", "after": pushed}).to_string(),
    )
    .unwrap();
    let event = event.display().to_string();
    let published = ok(
        &rig,
        &["release", "publish"],
        &[
            actions[0],
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_EVENT_PATH", &event),
            ("GITHUB_SHA", &pushed),
        ],
    )
    .await;
    assert!(published.contains("published v0.1.0"), "{published}");
    assert_eq!(rig.emu.model().releases(REPO), ["v0.1.0"]);
    assert!(rig.emu.model().refs(REPO).contains_key("refs/tags/v0.1.0"));
    assert!(
        rig.emu
            .model()
            .release_body(REPO, "v0.1.0")
            .unwrap()
            .contains("chat UI")
    );
    assert!(
        !rig.labels(issue).contains(&"done".to_string()),
        "published is not yet done: {:?}",
        rig.labels(issue)
    );
    // Production deployed and smoke-tested it: the step after the smoke marks it done.
    let push_env = [
        actions[0],
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_EVENT_PATH", &event),
        ("GITHUB_SHA", &pushed),
        ("SHIPRIG_JOB_STATUS", "success"),
    ];
    let shipped = ok(&rig, &["release", "shipped"], &push_env).await;
    assert!(shipped.contains(&format!("done: #{issue}")), "{shipped}");
    assert_eq!(rig.labels(issue), ["approved", "done"]);
    let again = ok(&rig, &["release", "shipped"], &push_env).await;
    assert!(again.contains("already done"), "{again}");
    // A rerun publishes nothing twice.
    ok(
        &rig,
        &["release", "publish", "--pr", &release_pr],
        &[actions[0]],
    )
    .await;
    assert_eq!(rig.emu.model().releases(REPO), ["v0.1.0"]);

    let texts = rig.slack.texts();
    let short = &main[..7];
    let expected = [
        "agent-1* started on acme/widgets #1".to_string(),
        "Pull request acme/widgets #2".to_string(),
        format!("acme/widgets deployed `{short}` to *staging*"),
        format!("Smoke tests passed on *staging* in acme/widgets at `{short}`"),
        "acme/widgets released <".to_string(),
        "is live in production and smoke-tested — done: #1".to_string(),
        "The queue of acme/widgets is empty".to_string(),
    ];
    assert_eq!(texts.len(), expected.len(), "{texts:#?}");
    for (text, want) in texts.iter().zip(&expected) {
        assert!(
            text.contains(want.as_str()),
            "{text:?} should contain {want:?}"
        );
    }
    assert!(texts[4].contains("|v0.1.0> — shipped #1"), "{}", texts[4]);
    assert!(
        texts[1].contains("by *agent-1* (closes #1)"),
        "{}",
        texts[1]
    );
    let _ = BOT;

    // Every request shiprig sent is one GitHub's description accepts.
    let shiprig_requests: Vec<_> = rig
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.actor.as_deref() == Some(BOT))
        .collect();
    assert!(shiprig_requests.len() > 50, "{}", shiprig_requests.len());
    let problems =
        support::requests::check_log(&support::spec::OpenApiSpec::load(), &shiprig_requests);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
