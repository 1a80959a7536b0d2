//! Requests and wall time of a Conductor tick at rest, for 10, 100, 1,000 and 5,000 approved
//! issues (300 dependency edges per 1,000), 5 agents, against the emulator; and the first tick
//! of a busy repository whose approvals sit behind 4,000 newer issue events.
//! Run with `cargo bench --bench conductor_tick`; it prints its figures.

#[path = "../tests/it/support/conductor.rs"]
mod conductor_support;

use std::time::{Duration, Instant};

use shiprig::conductor::{self, Tick};
use shiprig::demo::World;
use shiprig::demo::world::PRODUCT_PERSON;
use shiprig::notify::Notifier;

use conductor_support::{FIVE_AGENTS, Lcg};

async fn world(issues: u64, edges: u64) -> World {
    let mut world = World::new().await.expect("emulator");
    world.config = shiprig::config::Config::from_yaml("bench", FIVE_AGENTS).expect("config");
    let full = world.full_name();
    {
        let mut model = world.emulator.model();
        for n in 1..=issues {
            let number =
                model.create_issue(&full, &format!("Feature {n}"), "", &[], PRODUCT_PERSON);
            model.add_label(&full, number, "approved", PRODUCT_PERSON);
        }
        let mut rng = Lcg(42);
        let mut added = 0;
        while added < edges && issues > 1 {
            let blocked = 2 + rng.next(issues - 1);
            let blocker = 1 + rng.next(blocked - 1);
            if blocker != blocked {
                model.add_blocked_by(&full, blocked, &full, blocker);
                added += 1;
            }
        }
    }
    world
}

async fn tick(world: &World) -> conductor::TickReport {
    let notifier = Notifier::default();
    let tick = Tick {
        gh: &world.gh,
        repo: &world.repo,
        config: &world.config,
        notifier: &notifier,
        product: None,
        backend: None,
    };
    conductor::tick(&tick, world.gh.clock().now(), false)
        .await
        .expect("tick")
}

async fn measure(issues: u64, edges: u64) {
    let world = world(issues, edges).await;
    let first = tick(&world).await;
    for _ in 0..5 {
        if tick(&world).await.plan.effects.is_empty() {
            break;
        }
    }
    let quiet = tick(&world).await;
    assert!(
        quiet.plan.effects.is_empty(),
        "the fixture did not come to rest"
    );
    world.emulator.set_latency(Duration::from_millis(50));
    let started = Instant::now();
    let slow = tick(&world).await;
    let wall = started.elapsed();
    let pages = issues.div_ceil(100);
    println!(
        "N = {issues:>5} issues, {edges:>3} edges, 5 agents | first tick: {:>4} requests ({} writes) | \
         at rest: {:>2} requests, {} writes | at rest with 50 ms per request: {:>5.2} s ({} requests) | \
         a per-issue loop would need at least {} requests",
        first.requests.total(),
        first.requests.writes,
        quiet.requests.total(),
        quiet.requests.writes,
        wall.as_secs_f64(),
        slow.requests.total(),
        pages + issues,
    );
}

/// 60 approved issues, then 400 other issues labelled ten times each: the approvals are 4,000
/// events back in the repository's event list.
async fn busy_history() {
    let world = world(60, 0).await;
    let full = world.full_name();
    {
        let mut model = world.emulator.model();
        for n in 61..=460 {
            model.create_issue(&full, &format!("Other {n}"), "", &[], PRODUCT_PERSON);
            for round in 0..10 {
                model.add_label(&full, n, &format!("triage-{round}"), PRODUCT_PERSON);
            }
        }
    }
    let first = tick(&world).await;
    let starts = first
        .plan
        .effects
        .iter()
        .filter(|e| matches!(e, conductor::Effect::Start { .. }))
        .count();
    let quiet = tick(&world).await;
    println!(
        "busy history: 60 approved issues behind 4,000 newer events, 5 agents | first tick: {:>3} \
         requests ({} writes), {starts} agents started | next tick: {} requests, {} writes",
        first.requests.total(),
        first.requests.writes,
        quiet.requests.total(),
        quiet.requests.writes,
    );
}

fn main() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        for (issues, edges) in [(10, 3), (100, 30), (1000, 300), (5000, 1500)] {
            measure(issues, edges).await;
        }
        busy_history().await;
    });
}
