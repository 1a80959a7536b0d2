//! `conductor run`: many repositories with one agent pool, a busy repository deferred alone,
//! metrics, SIGTERM between ticks, and leader election over a Lease.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use shiprig::agents::Backend;
use shiprig::config::Config;
use shiprig::emulator::kubernetes::FakeKubernetes;
use shiprig::emulator::{Emulator, Fault};
use shiprig::github::GitHub;
use shiprig::notify::Notifier;
use shiprig::service::{Leader, Metrics, Repository, Service};

use crate::support;
use crate::support::service::TOKEN;

const REPOS: [&str; 3] = ["acme/web", "acme/api", "acme/infra"];

fn config() -> Config {
    let yaml = "version: 1\napprovers: {min_permission: write}\nconductor:\n  \
                agents: [{name: a1}, {name: a2}, {name: a3}]\n  \
                dispatch: {github_actions: {workflow: shiprig-agent.yml, ref: main}}\n  \
                repositories: [acme/web, acme/api, acme/infra]\n  request_budget: 60\n";
    Config::from_yaml("service test", yaml).unwrap()
}

/// Three repositories, each with `issues` approved issues.
async fn world(issues: u64) -> (Emulator, GitHub) {
    support::service::world(&REPOS, issues, |options| {
        options.retry.budget = Duration::from_secs(20);
    })
    .await
}

fn service<'a>(
    gh: &GitHub,
    config: &'a Config,
    notifier: &'a Notifier,
    backend: &'a Backend,
) -> Service<'a> {
    let repositories = REPOS
        .iter()
        .map(|r| Repository::new(gh, r.parse().unwrap(), config.conductor.request_budget))
        .collect();
    Service {
        repositories,
        config,
        notifier,
        backend,
        metrics: Arc::new(Metrics::default()),
    }
}

/// Every in-progress claim across the repositories: agent → issues.
fn claims(emulator: &Emulator) -> BTreeMap<String, Vec<String>> {
    let model = emulator.model();
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for repo in REPOS {
        for n in 1..=20 {
            let Some(issue) = model.issue(repo, n) else {
                break;
            };
            if issue.labels.iter().any(|l| l == "in-progress") {
                for agent in issue.labels.iter().filter_map(|l| l.strip_prefix("agent:")) {
                    found
                        .entry(agent.to_string())
                        .or_default()
                        .push(format!("{repo}#{n}"));
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn a_shared_pool_is_never_over_committed_across_repositories() {
    let (emulator, gh) = world(3).await;
    let (config, notifier, backend) = (config(), Notifier::default(), Backend::Labels);
    let svc = service(&gh, &config, &notifier, &backend);
    let now = gh.clock().now();
    for _ in 0..3 {
        let report = svc.run_once(now).await;
        assert!(report.deferred.is_empty(), "{:?}", report.deferred);
    }
    let held = claims(&emulator);
    assert_eq!(held.len(), 3, "three agents, three claims: {held:?}");
    assert!(held.values().all(|issues| issues.len() == 1), "{held:?}");
}

#[tokio::test]
async fn a_blocker_in_another_repository_holds_its_dependent_until_closed() {
    let (emulator, gh) = world(0).await;
    {
        let mut model = emulator.model();
        model.create_issue("acme/infra", "Provision the queue", "", &[], "pm");
        let dependent = model.create_issue("acme/web", "Use the queue", "", &[], "pm");
        model.add_label("acme/web", dependent, "approved", "pm");
        model.add_blocked_by("acme/web", dependent, "acme/infra", 1);
    }
    let (config, notifier, backend) = (config(), Notifier::default(), Backend::Labels);
    let svc = service(&gh, &config, &notifier, &backend);
    svc.run_once(gh.clock().now()).await;
    let web = emulator.model().issue("acme/web", 1).unwrap();
    assert!(
        web.labels.contains(&"blocked".to_string())
            && !web.labels.contains(&"in-progress".to_string())
    );
    emulator.model().close_issue("acme/infra", 1, "pm");
    svc.run_once(gh.clock().now()).await;
    let web = emulator.model().issue("acme/web", 1).unwrap();
    assert!(
        web.labels.contains(&"in-progress".to_string()),
        "{:?}",
        web.labels
    );
}

#[tokio::test]
async fn rate_limit_exhaustion_on_one_repository_defers_only_that_one() {
    let (emulator, gh) = world(1).await;
    let reset = (emulator.model().now().timestamp() + 3600).to_string();
    emulator.inject(
        Fault::status(None, "/repos/acme/api/**", 403)
            .with_header("x-ratelimit-remaining", "0")
            .with_header("x-ratelimit-reset", &reset)
            .with_message("API rate limit exceeded"),
    );
    let (config, notifier, backend) = (config(), Notifier::default(), Backend::Labels);
    let svc = service(&gh, &config, &notifier, &backend);
    let report = svc.run_once(gh.clock().now()).await;
    assert_eq!(report.deferred.len(), 1, "{:?}", report.deferred);
    assert_eq!(report.deferred[0].0, "acme/api");
    assert_eq!(
        report.ticked,
        vec!["acme/web".to_string(), "acme/infra".to_string()]
    );
    assert_eq!(claims(&emulator).len(), 2);
    let metrics = svc.metrics.render();
    assert!(metrics.contains("result=\"deferred\""), "{metrics}");
}

#[tokio::test]
async fn a_repository_past_its_request_budget_is_cut_off() {
    let (emulator, gh) = world(1).await;
    let (mut config, notifier, backend) = (config(), Notifier::default(), Backend::Labels);
    config.conductor.request_budget = 2;
    let svc = service(&gh, &config, &notifier, &backend);
    let report = svc.run_once(gh.clock().now()).await;
    assert_eq!(
        report.deferred.len(),
        3,
        "every repository needs more than 2 requests"
    );
    assert!(
        report.deferred[0].1.contains("budget of 2 requests"),
        "{:?}",
        report.deferred
    );
    assert!(
        emulator.requests().len() <= 6,
        "no request past a budget is sent"
    );
}

#[tokio::test]
async fn one_of_two_replicas_leads_and_the_other_takes_over_within_the_lease() {
    let cluster = FakeKubernetes::start().await.unwrap();
    let client = || {
        let config = kube::Config::new(cluster.url().parse().unwrap());
        kube::Client::try_from(config).unwrap()
    };
    let duration = Duration::from_secs(3);
    let mut first = Leader::start(
        client(),
        "default",
        "shiprig-conductor",
        "replica-1",
        duration,
    )
    .await
    .unwrap();
    let mut second = Leader::start(
        client(),
        "default",
        "shiprig-conductor",
        "replica-2",
        duration,
    )
    .await
    .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !(first.is_leader() ^ second.is_leader()) && tokio::time::Instant::now() < deadline {
        first.changed(Duration::from_millis(200)).await;
        second.changed(Duration::from_millis(200)).await;
    }
    assert!(first.is_leader() ^ second.is_leader(), "exactly one leads");
    let (leader, mut follower, leader_name) = if first.is_leader() {
        (first, second, "replica-1")
    } else {
        (second, first, "replica-2")
    };
    assert_eq!(
        cluster
            .lease_holder("default", "shiprig-conductor")
            .as_deref(),
        Some(leader_name)
    );
    let stopped = tokio::time::Instant::now();
    leader.abandon();
    while !follower.is_leader() && stopped.elapsed() < Duration::from_secs(12) {
        follower.changed(Duration::from_millis(200)).await;
    }
    assert!(follower.is_leader(), "the follower took over");
    let took = stopped.elapsed();
    println!("takeover after {took:?} (lease {duration:?} plus one grace second)");
    assert!(took <= duration + Duration::from_secs(3), "took {took:?}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `shiprig conductor run` as a process against the emulator.
fn spawn_service(
    emulator: &Emulator,
    dir: &std::path::Path,
    port: u16,
    interval: &str,
) -> std::process::Child {
    let config = dir.join("shiprig.yml");
    std::fs::write(&config, serde_json::to_string(&config_value()).unwrap()).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_shiprig"))
        .args([
            "conductor",
            "run",
            "--interval",
            interval,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GITHUB_API_URL", emulator.url())
        .env("GITHUB_REPOSITORY", "acme/web")
        .env("GITHUB_TOKEN", TOKEN)
        .env("SHIPRIG_CONFIG", &config)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// The test config as JSON (valid YAML), so the binary reads the same settings.
fn config_value() -> serde_json::Value {
    serde_json::to_value(config()).unwrap()
}

fn sigterm(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

async fn wait_exit(mut child: std::process::Child) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        for _ in 0..300 {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_in_the_middle_of_a_tick_exits_0_after_the_tick() {
    let (emulator, _) = world(1).await;
    emulator.set_latency(Duration::from_millis(150));
    let dir = tempfile::tempdir().unwrap();
    let child = spawn_service(&emulator, dir.path(), free_port(), "1h");
    while emulator.requests().len() < 3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sigterm(&child);
    let signalled_at = emulator.requests().len();
    let output = wait_exit(child).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        emulator.requests().len() > signalled_at,
        "the tick went on after the signal"
    );
    let held = claims(&emulator);
    assert_eq!(held.len(), 3, "the state a complete tick gives: {held:?}");
    let runs: usize = REPOS
        .iter()
        .map(|r| emulator.model().workflow_runs(r).len())
        .sum();
    assert_eq!(runs, 3, "every claim was dispatched");
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_prometheus_text_and_healthz_answers() {
    let (emulator, _) = world(1).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = spawn_service(&emulator, dir.path(), port, "1s");
    let client = reqwest::Client::new();
    let mut text = String::new();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await
        {
            text = response.text().await.unwrap();
            // The first loop is over once the last of the three repositories has ticked.
            if text.contains("shiprig_last_successful_tick_timestamp_seconds")
                && text.contains("repository=\"acme/infra\",result=\"ok\"")
            {
                break;
            }
        }
    }
    let health = client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    sigterm(&child);
    let output = wait_exit(child).await;
    assert_eq!(output.status.code(), Some(0));
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text format");
    let value = |name: &str, label: Option<(&str, &str)>| -> f64 {
        scrape
            .samples
            .iter()
            .filter(|s| s.metric == name)
            .filter(|s| label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => 0.0,
            })
            .sum()
    };
    assert!(
        value("shiprig_ticks_total", Some(("repository", "acme/web"))) >= 1.0,
        "{text}"
    );
    assert!(
        value("shiprig_github_requests_total", Some(("kind", "read"))) > 0.0,
        "{text}"
    );
    assert!(
        value("shiprig_effects_total", Some(("kind", "start"))) >= 3.0,
        "{text}"
    );
    assert!(
        value("shiprig_last_successful_tick_timestamp_seconds", None) > 1.0e9,
        "{text}"
    );
    assert!(
        value(
            "shiprig_rate_limit_remaining",
            Some(("repository", "acme/api"))
        ) > 0.0,
        "{text}"
    );
    let logs = String::from_utf8_lossy(&output.stdout);
    let first = logs.lines().next().unwrap_or_default();
    let parsed: serde_json::Value =
        serde_json::from_str(first).unwrap_or_else(|_| panic!("JSON log lines: {logs}"));
    assert!(parsed.get("level").is_some());
}

#[test]
fn a_bad_repository_name_is_a_located_config_error() {
    let yaml = "version: 1\nconductor:\n  repositories: [acme/web, not-a-repo]\n";
    let error = Config::from_yaml("shiprig.yml", yaml).unwrap_err();
    assert_eq!((error.line, error.file.as_str()), (3, "shiprig.yml"));
    assert!(
        error.message.contains("expected OWNER/NAME"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn an_owner_and_a_topic_choose_the_repositories() {
    let (emulator, gh) = world(0).await;
    {
        let mut model = emulator.model();
        model.set_topics("acme/web", &["shiprig", "frontend"]);
        model.set_topics("acme/infra", &["shiprig"]);
        model.add_repo("other", "lib", "main");
        model.set_topics("other/lib", &["shiprig"]);
    }
    let yaml = "version: 1\nconductor:\n  repositories: [acme/api]\n  repositories_from: {owner: acme, topic: shiprig}\n";
    let config = Config::from_yaml("shiprig.yml", yaml).unwrap();
    let home: shiprig::github::Repo = "acme/web".parse().unwrap();
    let chosen = shiprig::service::repositories(&gh.for_repo(&home), &config, &home)
        .await
        .unwrap();
    let names: Vec<String> = chosen.iter().map(ToString::to_string).collect();
    assert_eq!(names, vec!["acme/api", "acme/web", "acme/infra"]);
}
