//! The status page of `conductor run`: the server's time to answer `/` and `/api/v1/state` for a
//! repository of 1,000 approved issues (300 dependency edges, a milestone of 100 of them), and
//! the page's weight for 3 repositories of 20 issues each. Targets: under 50 ms, under 100 KB.
//! Run with `cargo bench --bench status_page`; it prints its figures.

#[path = "../tests/it/support/conductor.rs"]
mod conductor_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use shiprig::conductor::{self, Tick, TickReport};
use shiprig::demo::World;
use shiprig::demo::world::PRODUCT_PERSON;
use shiprig::notify::Notifier;
use shiprig::service::status::{self, Board, view};

use conductor_support::{FIVE_AGENTS, Lcg};

/// A repository of `issues` approved issues, `edges` blocker edges, and the first `in_milestone`
/// issues in one milestone; ticked once (with the blocker lists the graphs and the page need).
async fn ticked(issues: u64, edges: u64, in_milestone: u64) -> (World, TickReport) {
    let mut world = World::new().await.expect("emulator");
    world.config = shiprig::config::Config::from_yaml("bench", FIVE_AGENTS).expect("config");
    let full = world.full_name();
    {
        let mut model = world.emulator.model();
        let milestone = model.create_milestone(&full, "Launch");
        for n in 1..=issues {
            let number = model.create_issue(
                &full,
                &format!("Feature {n}: a title of ordinary length"),
                "",
                &[],
                PRODUCT_PERSON,
            );
            model.add_label(&full, number, "approved", PRODUCT_PERSON);
            if n <= in_milestone {
                model.set_milestone(&full, number, milestone);
            }
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
    let notifier = Notifier::default();
    let tick = Tick {
        gh: &world.gh,
        repo: &world.repo,
        config: &world.config,
        notifier: &notifier,
        product: None,
        backend: None,
    };
    let now = world.gh.clock().now();
    let mut report = conductor::tick(&tick, now, false).await.expect("tick");
    let before = world.gh.stats().reads;
    conductor::read_graph(&tick, &mut report)
        .await
        .expect("graph");
    let reads = world.gh.stats().reads - before;
    println!(
        "  {issues} issues: the blocker lists (graphs, page) took {reads} request(s); \
         {} edges drawn",
        view::build(&report.snapshot, &report.plan, &world.config, now, false)
            .milestones
            .iter()
            .map(|m| m.edges.len())
            .sum::<usize>()
    );
    (world, report)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn serve(board: Arc<Board>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, status::routes(board)).await;
    });
    format!("http://{address}")
}

#[tokio::main]
async fn main() {
    println!("status page: server time for one repository of 1,000 issues");
    let (world, report) = ticked(1000, 300, 100).await;
    let now = world.gh.clock().now();
    let mut build = Vec::new();
    let mut html = Vec::new();
    let mut json = Vec::new();
    let board = Arc::new(Board::default());
    let (mut page_bytes, mut json_bytes) = (0, 0);
    for _ in 0..30 {
        let started = Instant::now();
        let view = view::build(&report.snapshot, &report.plan, &world.config, now, false);
        build.push(started.elapsed());
        board.record(view);
        let state = board.state(now);
        let started = Instant::now();
        page_bytes = status::html::page(&state).len();
        html.push(started.elapsed());
        let started = Instant::now();
        json_bytes = serde_json::to_string(&state).unwrap().len();
        json.push(started.elapsed());
    }
    println!(
        "  view from the tick (once per tick): {}",
        ms(median(build))
    );
    println!(
        "  page: {} to render, {} KB",
        ms(median(html)),
        page_bytes / 1024
    );
    println!(
        "  JSON: {} to render, {} KB",
        ms(median(json)),
        json_bytes / 1024
    );
    let base = serve(board.clone()).await;
    let client = reqwest::Client::new();
    for path in ["/", "/api/v1/state"] {
        let mut samples = Vec::new();
        for _ in 0..30 {
            let started = Instant::now();
            let body = client
                .get(format!("{base}{path}"))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            samples.push(started.elapsed());
            assert!(!body.is_empty());
        }
        println!(
            "  GET {path} over HTTP (median of 30, target < 50 ms): {}",
            ms(median(samples))
        );
    }

    println!("status page: weight for 3 repositories of 20 issues (60 in all)");
    let board = Arc::new(Board::default());
    for (i, name) in ["acme/web", "acme/api", "acme/infra"].iter().enumerate() {
        let (world, report) = ticked(20, 6, if i == 0 { 8 } else { 0 }).await;
        let mut view = view::build(
            &report.snapshot,
            &report.plan,
            &world.config,
            world.gh.clock().now(),
            false,
        );
        view.repository = name.to_string();
        board.record(view);
    }
    let state = board.state(now);
    let page = status::html::page(&state);
    let json = serde_json::to_string(&state).unwrap();
    println!(
        "  page: {:.1} KB (target < 100 KB), JSON: {:.1} KB",
        page.len() as f64 / 1024.0,
        json.len() as f64 / 1024.0
    );
}
