//! Shared by the integrations stories: an emulated repository, and the real binary run against
//! it with a clean environment.

#![allow(dead_code)]

use std::process::Output;

use shiprig::demo::World;

pub const TOKEN: &str = "ghs_integrations_test_token";
/// A maintainer's token: the planning session's `approved` is honoured.
pub const PLANNER_TOKEN: &str = "ghp_integrations_planner_token";

pub async fn world() -> World {
    let world = World::new().await.expect("the world starts");
    world
        .emulator
        .model()
        .add_token(TOKEN, shiprig::demo::world::CONDUCTOR_LOGIN);
    world
        .emulator
        .model()
        .add_token(PLANNER_TOKEN, shiprig::demo::world::PRODUCT_PERSON);
    world
}

pub fn github_env(world: &World) -> Vec<(String, String)> {
    vec![
        ("GITHUB_API_URL".into(), world.emulator.url()),
        ("GITHUB_REPOSITORY".into(), world.full_name()),
        ("GITHUB_TOKEN".into(), TOKEN.into()),
    ]
}

/// The environment of a maintainer running `plan apply` from their machine.
pub fn planner_env(world: &World) -> Vec<(String, String)> {
    let mut env = github_env(world);
    env.retain(|(k, _)| k != "GITHUB_TOKEN");
    env.push(("GITHUB_TOKEN".into(), PLANNER_TOKEN.into()));
    env
}

/// Runs the binary off the async runtime, so the fakes keep answering.
pub async fn shiprig(args: &[&str], env: Vec<(String, String)>) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_shiprig"));
        command
            .args(&args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default());
        for (name, value) in env {
            command.env(name, value);
        }
        command.output().expect("the shiprig binary runs")
    })
    .await
    .expect("the binary's thread finishes")
}

/// Writes `text` to a temporary file that lives as long as the returned handle.
pub fn file(name: &str, text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("the file is written");
    let shown = path.display().to_string();
    (dir, shown)
}

use shiprig::conductor::{self, Tick};
use shiprig::config::Config;
use shiprig::notify::{Notifier, ProductHook};

/// The demo's config (two agents, Actions dispatch) without its Slack section, for a story
/// to add its own `notify:` and `product:`.
pub fn agents_config() -> String {
    shiprig::demo::world::CONFIG.replace(
        "notify:\n  slack: {webhook_url_env: SLACK_WEBHOOK_URL}\n",
        "",
    )
}

/// A tick over the world's repository.
pub fn tick_for<'a>(
    world: &'a World,
    config: &'a Config,
    notifier: &'a Notifier,
    product: Option<&'a dyn ProductHook>,
) -> Tick<'a> {
    Tick {
        gh: &world.gh,
        repo: &world.repo,
        config,
        notifier,
        product,
        backend: None,
    }
}

/// What one Conductor tick did, in short.
#[derive(Debug)]
pub struct Played {
    pub effects: usize,
    pub product: Vec<String>,
    pub failed: Vec<String>,
}

/// Ticks the real Conductor with simulated agents until a tick changes nothing.
pub async fn work_until_quiet(
    world: &World,
    config: &Config,
    notifier: &Notifier,
    product: Option<&dyn ProductHook>,
) -> Vec<Played> {
    let tick = tick_for(world, config, notifier, product);
    let mut rounds = Vec::new();
    for _ in 0..10 {
        let report = conductor::tick(&tick, world.gh.clock().now(), false)
            .await
            .expect("the tick reads GitHub");
        let applied = report.applied.unwrap_or_default();
        let quiet = report.plan.effects.is_empty();
        rounds.push(Played {
            effects: applied.done.len(),
            product: applied.product,
            failed: applied.failed.iter().map(|f| f.error.clone()).collect(),
        });
        if quiet {
            return rounds;
        }
        shiprig::demo::agents::finish_dispatched(world);
        world.pass(5);
    }
    panic!("the Conductor never went quiet: {rounds:?}");
}

/// Every Slack message, with the ports of 127.0.0.1 fakes taken out so snapshots are stable.
pub fn slack_messages(world: &World) -> serde_json::Value {
    let text = serde_json::to_string(&world.slack.messages()).unwrap();
    let port = regex::Regex::new(r"127\.0\.0\.1:\d+").unwrap();
    serde_json::from_str(&port.replace_all(&text, "127.0.0.1:PORT")).unwrap()
}
