//! The product side end to end: a feature marked ready in ClickUp or Asana → `product pull`
//! (the real binary) → milestone and starting issues → `plan apply` → Conductor ticks with
//! simulated agents → milestone closed → the feature is done with a comment; every Slack
//! message snapshot-checked.

use shiprig::config::Config;
use shiprig::emulator::asana::FakeAsana;
use shiprig::emulator::clickup::FakeClickUp;
use shiprig::emulator::slack::BOT_TOKEN;
use shiprig::notify::{Notifier, ProductHook, Slack};
use shiprig::product::ProductTool;

use crate::support::integrations::{
    agents_config, file, github_env, planner_env, shiprig, slack_messages, work_until_quiet, world,
};
use crate::support::text;

const CLICKUP_TOKEN: &str = "pk_42_integrations";
const ASANA_TOKEN: &str = "2/1200/asana-integrations";

fn clickup_config() -> String {
    format!(
        "{}notify:
  slack: {{webhook_url_env: SLACK_WEBHOOK_URL, bot_token_env: SLACK_BOT_TOKEN, channel: '#shipping'}}
product:
  clickup: {{token_env: CLICKUP_TOKEN, list: '901', ready_status: ready to build, done_status: done}}
",
        agents_config()
    )
}

fn asana_config(project: &str) -> String {
    format!(
        "{}notify:
  slack: {{webhook_url_env: SLACK_WEBHOOK_URL}}
product:
  asana: {{token_env: ASANA_TOKEN, project: '{project}', ready_section: Ready to build, done_section: Done}}
",
        agents_config()
    )
}

/// The configured tool, pointed at a fake, as the Conductor builds it from the environment.
fn tool(config: &Config, vars: &[(&str, &str)]) -> ProductTool {
    ProductTool::from_config(&config.product, |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .unwrap()
    .expect("a product tool is configured")
}

/// The ClickUp config and the tool the Conductor builds from it, pointed at the fake.
fn clickup_tool(clickup: &FakeClickUp) -> (Config, ProductTool) {
    let config = Config::from_yaml("clickup.yml", &clickup_config()).unwrap();
    let vars = [
        ("CLICKUP_TOKEN", CLICKUP_TOKEN),
        ("CLICKUP_API_URL", clickup.url()),
    ];
    let tool = tool(&config, &vars);
    (config, tool)
}

/// The binary's environment for a ClickUp story.
fn clickup_env(world: &shiprig::demo::World, clickup: &FakeClickUp) -> Vec<(String, String)> {
    let mut env = github_env(world);
    env.push(("CLICKUP_TOKEN".into(), CLICKUP_TOKEN.into()));
    env.push(("CLICKUP_API_URL".into(), clickup.url().into()));
    env
}

/// The planning session's file: it takes over the two starting issues and adds the work that
/// joins them.
const PLAN: &str = "milestone: Chat widget
approve: true
issues:
  - {key: send, title: Send a message, issue: 1, body: 'POST /messages from the widget.'}
  - {key: read, title: Read replies, issue: 2}
  - {key: wire, title: Wire the widget to the API, blocked_by: [send, read]}
";

fn issue_titles(world: &shiprig::demo::World) -> Vec<(u64, String, String)> {
    let model = world.emulator.model();
    (1..)
        .map_while(|n| model.issue(&world.full_name(), n))
        .filter(|i| !i.is_pull_request)
        .map(|i| (i.number, i.title, i.state))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clickup_feature_flows_to_done() {
    let world = world().await;
    let clickup = FakeClickUp::start(CLICKUP_TOKEN).await.unwrap();
    clickup.add_list("901", &["to do", "ready to build", "in progress", "done"]);
    let feature = clickup.add_task(
        "901",
        "Chat widget",
        "Let visitors chat with us.",
        "ready to build",
    );
    clickup.add_checklist_item(&feature, "Send a message");
    clickup.add_checklist_item(&feature, "Read replies");
    let later = clickup.add_task("901", "Dark mode", "", "to do");
    let (_dir, config_path) = file("shiprig.yml", &clickup_config());
    let env = clickup_env(&world, &clickup);

    let out = shiprig(&["--config", &config_path, "product", "pull"], env.clone()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        issue_titles(&world),
        [
            (1, "Send a message".into(), "open".into()),
            (2, "Read replies".into(), "open".into())
        ]
    );
    let pulled = world.emulator.writes().len();
    let out = shiprig(&["--config", &config_path, "product", "pull"], env.clone()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        world.emulator.writes().len(),
        pulled,
        "a second pull writes nothing"
    );
    assert!(
        clickup.writes().is_empty(),
        "pulling never writes to ClickUp"
    );

    let (_plan_dir, plan_path) = file("PLAN.yml", PLAN);
    let out = shiprig(
        &["--config", &config_path, "plan", "apply", &plan_path],
        planner_env(&world),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = shiprig(&["--config", &config_path, "product", "pull"], env.clone()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        issue_titles(&world).len(),
        3,
        "the pull still finds its taken-over stories"
    );

    let (config, tool) = clickup_tool(&clickup);
    let notifier = Notifier {
        slack: Some(Slack::bot(world.slack.api_url(), BOT_TOKEN, "#shipping").unwrap()),
    };
    let rounds =
        work_until_quiet(&world, &config, &notifier, Some(&tool as &dyn ProductHook)).await;

    assert!(
        issue_titles(&world)
            .iter()
            .all(|(_, _, state)| state == "closed")
    );
    assert_eq!(
        world.emulator.model().milestone_open(&world.full_name(), 1),
        Some(false)
    );
    let task = clickup.task(&feature).unwrap();
    assert_eq!(task.status, "done");
    assert_eq!(task.comments.len(), 1);
    assert!(
        task.comments[0].contains("\"Chat widget\" is complete"),
        "{:?}",
        task.comments
    );
    assert!(
        task.comments[0].contains("/milestone/1"),
        "{:?}",
        task.comments
    );
    assert_eq!(clickup.task(&later).unwrap().status, "to do");
    assert!(rounds.iter().all(|r| r.failed.is_empty()), "{rounds:?}");
    assert_eq!(rounds.iter().flat_map(|r| &r.product).count(), 1);
    assert!(
        world
            .slack
            .messages()
            .iter()
            .all(|m| m["channel"] == "#shipping")
    );
    insta::assert_json_snapshot!("clickup_story_slack", slack_messages(&world));
    println!(
        "ClickUp story: {} rounds, {} Slack messages",
        rounds.len(),
        world.slack.messages().len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_asana_feature_flows_to_the_done_section() {
    let world = world().await;
    let asana = FakeAsana::start(ASANA_TOKEN).await.unwrap();
    let project = asana.add_project("Website");
    let ready = asana.add_section(&project, "Ready to build");
    asana.add_section(&project, "Done");
    let feature = asana.add_task(&ready, "Chat widget", "Let visitors chat with us.");
    asana.add_subtask(&feature, "Send a message");
    asana.add_subtask(&feature, "Read replies");
    let config_text = asana_config(&project);
    let (_dir, config_path) = file("shiprig.yml", &config_text);
    let mut env = github_env(&world);
    env.push(("ASANA_TOKEN".into(), ASANA_TOKEN.into()));
    env.push(("ASANA_API_URL".into(), asana.url().into()));

    let out = shiprig(
        &["--config", &config_path, "--json", "product", "pull"],
        env.clone(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["features"][0]["feature"], feature.as_str());
    assert_eq!(issue_titles(&world).len(), 2);
    let (_plan_dir, plan_path) = file("PLAN.yml", PLAN);
    let out = shiprig(
        &["--config", &config_path, "plan", "apply", &plan_path],
        planner_env(&world),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let config = Config::from_yaml("asana.yml", &config_text).unwrap();
    let tool = tool(
        &config,
        &[("ASANA_TOKEN", ASANA_TOKEN), ("ASANA_API_URL", asana.url())],
    );
    let notifier = Notifier {
        slack: Some(Slack::webhook(world.slack.url()).unwrap()),
    };
    let rounds =
        work_until_quiet(&world, &config, &notifier, Some(&tool as &dyn ProductHook)).await;

    assert_eq!(
        world.emulator.model().milestone_open(&world.full_name(), 1),
        Some(false)
    );
    let task = asana.task(&feature).unwrap();
    assert_eq!(task.section.as_deref(), Some("Done"));
    assert_eq!(task.comments.len(), 1);
    assert!(
        task.comments[0].contains("/milestone/1"),
        "{:?}",
        task.comments
    );
    assert!(rounds.iter().all(|r| r.failed.is_empty()), "{rounds:?}");
    insta::assert_json_snapshot!("asana_story_slack", slack_messages(&world));
    let out = shiprig(&["--config", &config_path, "product", "pull"], env).await;
    assert!(
        text(&out.stdout).contains("nothing is ready to build"),
        "{}",
        text(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_token_or_tool_exits_2_before_any_write() {
    let world = world().await;
    let (_dir, config_path) = file("shiprig.yml", &clickup_config());
    let out = shiprig(
        &["--config", &config_path, "product", "pull"],
        github_env(&world),
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("CLICKUP_TOKEN is not set"),
        "{}",
        text(&out.stderr)
    );
    let (_dir, bare) = file("shiprig.yml", &agents_config());
    let out = shiprig(&["--config", &bare, "product", "pull"], github_env(&world)).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(world.emulator.writes().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_token_is_reported_without_the_token() {
    let world = world().await;
    let clickup = FakeClickUp::start(CLICKUP_TOKEN).await.unwrap();
    clickup.add_list("901", &["ready to build", "done"]);
    let (_dir, config_path) = file("shiprig.yml", &clickup_config());
    let mut env = github_env(&world);
    env.push(("CLICKUP_TOKEN".into(), "pk_wrong_secret".into()));
    env.push(("CLICKUP_API_URL".into(), clickup.url().into()));
    let out = shiprig(&["--config", &config_path, "product", "pull"], env).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("401") && err.contains("Token invalid"),
        "{err}"
    );
    assert!(!err.contains("pk_wrong_secret"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn clickup_down_when_the_milestone_closes_is_caught_up_by_the_next_pull() {
    let world = world().await;
    let clickup = FakeClickUp::start(CLICKUP_TOKEN).await.unwrap();
    clickup.add_list("901", &["ready to build", "done"]);
    let feature = clickup.add_task("901", "Chat widget", "", "ready to build");
    clickup.add_checklist_item(&feature, "Send a message");
    let (_dir, config_path) = file("shiprig.yml", &clickup_config());
    let env = clickup_env(&world, &clickup);
    let out = shiprig(&["--config", &config_path, "product", "pull"], env.clone()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    world.emulator.model().add_label(
        &world.full_name(),
        1,
        "approved",
        shiprig::demo::world::PRODUCT_PERSON,
    );

    let (config, tool) = clickup_tool(&clickup);
    let notifier = Notifier {
        slack: Some(Slack::webhook(world.slack.url()).unwrap()),
    };
    clickup.fail_next(100);
    let rounds =
        work_until_quiet(&world, &config, &notifier, Some(&tool as &dyn ProductHook)).await;
    clickup.fail_next(0);
    assert_eq!(
        world.emulator.model().milestone_open(&world.full_name(), 1),
        Some(false)
    );
    let told: Vec<&String> = rounds.iter().flat_map(|r| &r.product).collect();
    assert_eq!(told.len(), 1);
    assert!(
        told[0].contains("could not record") && told[0].contains("500"),
        "{told:?}"
    );
    assert_eq!(clickup.task(&feature).unwrap().status, "ready to build");

    let github_writes = world.emulator.writes().len();
    let out = shiprig(
        &["--config", &config_path, "--json", "product", "pull"],
        env.clone(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["features"][0]["outcome"], "completed");
    assert_eq!(
        world.emulator.writes().len(),
        github_writes,
        "nothing reopened or recreated"
    );
    let task = clickup.task(&feature).unwrap();
    assert_eq!((task.status.as_str(), task.comments.len()), ("done", 1));
    let out = shiprig(&["--config", &config_path, "product", "pull"], env).await;
    assert!(text(&out.stdout).contains("nothing is ready to build"));
    assert_eq!(
        clickup.task(&feature).unwrap().comments.len(),
        1,
        "told once"
    );
}

/// The labels of each issue, by number.
fn issue_labels(world: &shiprig::demo::World) -> Vec<(u64, Vec<String>)> {
    let model = world.emulator.model();
    (1..)
        .map_while(|n| model.issue(&world.full_name(), n))
        .filter(|i| !i.is_pull_request)
        .map(|i| (i.number, i.labels))
        .collect()
}

/// A feature's priority in the product tool ranks its starting issues, so an urgent feature
/// is taken before the rest; a second pull writes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn the_product_tools_priority_ranks_the_issues() {
    let world = world().await;
    let clickup = FakeClickUp::start(CLICKUP_TOKEN).await.unwrap();
    clickup.add_list("901", &["ready to build", "done"]);
    for (name, priority) in [
        ("Outage banner", Some(1)),
        ("Export", Some(2)),
        ("Themes", None),
    ] {
        let feature = clickup.add_task("901", name, "", "ready to build");
        clickup.add_checklist_item(&feature, &format!("{name} story"));
        if let Some(p) = priority {
            clickup.set_priority(&feature, p);
        }
    }
    let (_dir, config_path) = file("shiprig.yml", &clickup_config());
    let env = clickup_env(&world, &clickup);
    let out = shiprig(&["--config", &config_path, "product", "pull"], env.clone()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ranks: Vec<(u64, bool, bool)> = issue_labels(&world)
        .into_iter()
        .map(|(n, labels)| {
            let has = |l: &str| labels.iter().any(|x| x == l);
            (n, has("critical"), has("high-priority"))
        })
        .collect();
    assert_eq!(
        ranks,
        [(1, true, false), (2, false, true), (3, false, false)]
    );
    let pulled = world.emulator.writes().len();
    let out = shiprig(&["--config", &config_path, "product", "pull"], env).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        world.emulator.writes().len(),
        pulled,
        "a rerun writes nothing"
    );

    // Asana keeps priority in a custom field; the config names its values.
    let world = crate::support::integrations::world().await;
    let asana = FakeAsana::start(ASANA_TOKEN).await.unwrap();
    let project = asana.add_project("Website");
    let ready = asana.add_section(&project, "Ready to build");
    asana.add_section(&project, "Done");
    let feature = asana.add_task(&ready, "Checkout", "");
    asana.add_subtask(&feature, "Pay by card");
    asana.set_custom_field(&feature, "Priority", "P0");
    let config = asana_config(&project).replace(
        "done_section: Done}",
        "done_section: Done, priorities: {critical: [P0], high_priority: [P1]}}",
    );
    let (_dir, config_path) = file("shiprig.yml", &config);
    let mut env = github_env(&world);
    env.push(("ASANA_TOKEN".into(), ASANA_TOKEN.into()));
    env.push(("ASANA_API_URL".into(), asana.url().into()));
    let out = shiprig(&["--config", &config_path, "product", "pull"], env).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let labels = issue_labels(&world);
    assert_eq!(labels.len(), 1);
    assert!(labels[0].1.iter().any(|l| l == "critical"), "{labels:?}");
}
