//! `POST /webhook` of `conductor run`: GitHub's signed deliveries prompt a tick of the
//! repository they name; everything else gets a clear 4xx and is never acted on or logged with
//! its body (docs/security.md#case-46).

use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use shiprig::agents::Backend;
use shiprig::config::Config;
use shiprig::emulator::Emulator;
use shiprig::notify::Notifier;
use shiprig::service::webhook::{Inbox, MAX_BODY, Webhook, WebhookSecrets};
use shiprig::service::{Metrics, Repository, Service, run_with_inbox};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

use crate::support;
use crate::support::service::TOKEN;

const SECRET: &str = "a webhook secret";
const REPOS: [&str; 2] = ["acme/web", "acme/api"];

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// GitHub's own `issues: labeled` example, about `repo`.
fn labeled(repo: &str, marker: &str) -> Vec<u8> {
    let mut payload = support::workflow::runner::example("issues", Some("labeled"));
    payload["repository"]["full_name"] = repo.into();
    payload["label"]["name"] = "approved".into();
    payload["issue"]["body"] = marker.into();
    serde_json::to_vec(&payload).unwrap()
}

/// The endpoint alone, on a port of its own; the inbox is what the loop would read.
struct Endpoint {
    url: String,
    inbox: Arc<Inbox>,
    metrics: Arc<Metrics>,
    _server: tokio::task::JoinHandle<()>,
}

async fn endpoint(secrets: &str, leading: bool) -> Endpoint {
    endpoint_timing_out(secrets, leading, Duration::from_millis(300)).await
}

async fn endpoint_timing_out(secrets: &str, leading: bool, read_timeout: Duration) -> Endpoint {
    let inbox = Arc::new(Inbox::default());
    inbox.set_leading(leading);
    let metrics = Arc::new(Metrics::default());
    let webhook = Webhook {
        secrets: WebhookSecrets::parse(secrets).unwrap(),
        inbox: inbox.clone(),
        metrics: metrics.clone(),
        read_timeout,
    };
    let app = shiprig::service::webhook::routes(inbox.clone(), Some(Arc::new(webhook)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Endpoint {
        url,
        inbox,
        metrics,
        _server: server,
    }
}

async fn deliver(url: &str, delivery: &str, signature: Option<String>, body: Vec<u8>) -> u16 {
    deliver_event(url, "issues", delivery, signature, body).await
}

async fn deliver_event(
    url: &str,
    event: &str,
    delivery: &str,
    signature: Option<String>,
    body: Vec<u8>,
) -> u16 {
    let mut request = reqwest::Client::new()
        .post(format!("{url}/webhook"))
        .header("x-github-event", event)
        .header("x-github-delivery", delivery)
        .header("content-type", "application/json")
        .body(body);
    if let Some(signature) = signature {
        request = request.header("x-hub-signature-256", signature);
    }
    request.send().await.unwrap().status().as_u16()
}

async fn signed(url: &str, delivery: &str, body: Vec<u8>) -> u16 {
    let signature = sign(SECRET, &body);
    deliver(url, delivery, Some(signature), body).await
}

#[tokio::test]
async fn case_46_githubs_test_vector_passes_the_signature_and_a_tampered_body_does_not() {
    let hook = endpoint("It's a Secret to Everybody", true).await;
    let vector = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    let good = deliver(
        &hook.url,
        "d-1",
        Some(vector.into()),
        b"Hello, World!".to_vec(),
    )
    .await;
    // Signed, so it reaches the JSON check, which "Hello, World!" fails.
    assert_eq!(good, 400);
    let tampered = deliver(
        &hook.url,
        "d-2",
        Some(vector.into()),
        b"Hello, World?".to_vec(),
    )
    .await;
    assert_eq!(tampered, 401);
    assert!(hook.inbox.take().is_empty());
}

#[tokio::test]
async fn case_46_a_missing_or_bad_signature_gets_401_and_prompts_nothing() {
    let hook = endpoint(SECRET, true).await;
    let body = labeled("acme/web", "x");
    assert_eq!(deliver(&hook.url, "a", None, body.clone()).await, 401);
    let wrong = sign("another secret", &body);
    assert_eq!(
        deliver(&hook.url, "b", Some(wrong), body.clone()).await,
        401
    );
    let mut tampered = body.clone();
    let signature = sign(SECRET, &body);
    tampered.extend_from_slice(b" ");
    assert_eq!(
        deliver(&hook.url, "c", Some(signature), tampered).await,
        401
    );
    assert!(hook.inbox.take().is_empty(), "nothing acted on");
    // An unsigned delivery does not use up its id: the real one still gets through.
    assert_eq!(signed(&hook.url, "a", body).await, 202);
    assert_eq!(hook.inbox.take().tick.len(), 1);
}

#[tokio::test]
async fn case_46_a_replayed_delivery_gets_409_and_prompts_once() {
    let hook = endpoint(SECRET, true).await;
    let body = labeled("acme/web", "x");
    assert_eq!(signed(&hook.url, "guid-1", body.clone()).await, 202);
    assert_eq!(hook.inbox.take().tick.len(), 1);
    assert_eq!(signed(&hook.url, "guid-1", body).await, 409);
    assert!(hook.inbox.take().is_empty(), "the replay prompted nothing");
}

#[tokio::test]
async fn case_46_malformed_json_and_missing_event_headers_get_400() {
    let hook = endpoint(SECRET, true).await;
    let body = b"{\"repository\": {\"full_name\": \"acme/web\"".to_vec();
    assert_eq!(signed(&hook.url, "m-1", body).await, 400);
    let body = labeled("acme/web", "x");
    let status = reqwest::Client::new()
        .post(format!("{}/webhook", hook.url))
        .header("x-hub-signature-256", sign(SECRET, &body))
        .body(body)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 400, "no X-GitHub-Event or X-GitHub-Delivery");
    assert!(hook.inbox.take().is_empty());
}

#[tokio::test]
async fn case_46_a_body_over_25_mib_gets_413_declared_or_streamed() {
    // Time enough to send 25 MiB on a loaded machine: the size, not the time, is under test.
    let hook = endpoint_timing_out(SECRET, true, Duration::from_secs(60)).await;
    let body = vec![b' '; MAX_BODY + 1];
    let signature = sign(SECRET, &body);
    assert_eq!(deliver(&hook.url, "big", Some(signature), body).await, 413);
    // Chunked, with no length declared: cut off once past the limit.
    let address = hook.url.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = "POST /webhook HTTP/1.1\r\nhost: x\r\nx-github-event: issues\r\n\
                x-github-delivery: big-2\r\ntransfer-encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 1 << 20];
    let mut sent = 0;
    while sent <= MAX_BODY {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if stream.write_all(&frame).await.is_err() {
            break;
        }
        sent += chunk.len();
    }
    let mut answer = vec![0; 64];
    let n = stream.read(&mut answer).await.unwrap_or(0);
    let answer = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:?}");
    assert!(hook.inbox.take().is_empty());
}

#[tokio::test]
async fn case_46_a_slow_sender_gets_408() {
    let hook = endpoint(SECRET, true).await;
    let address = hook.url.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = "POST /webhook HTTP/1.1\r\nhost: x\r\nx-github-event: issues\r\n\
                x-github-delivery: slow\r\ncontent-length: 100\r\n\r\n{\"a\":";
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = vec![0; 64];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("answered before the sender finished")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(hook.inbox.take().is_empty());
}

#[tokio::test]
async fn a_rotated_secret_takes_either_secret_until_the_old_one_is_removed() {
    let hook = endpoint(&format!("old secret,{SECRET}"), true).await;
    let body = labeled("acme/web", "x");
    let old = sign("old secret", &body);
    assert_eq!(
        deliver(&hook.url, "r-1", Some(old.clone()), body.clone()).await,
        202
    );
    assert_eq!(signed(&hook.url, "r-2", body.clone()).await, 202);
    let rotated = endpoint(SECRET, true).await;
    assert_eq!(deliver(&rotated.url, "r-3", Some(old), body).await, 401);
}

#[tokio::test]
async fn a_follower_takes_no_delivery_and_is_not_ready() {
    let hook = endpoint(SECRET, false).await;
    let body = labeled("acme/web", "x");
    assert_eq!(signed(&hook.url, "f-1", body.clone()).await, 503);
    let ready = reqwest::get(format!("{}/readyz", hook.url)).await.unwrap();
    assert_eq!(ready.status(), 503);
    hook.inbox.set_leading(true);
    let ready = reqwest::get(format!("{}/readyz", hook.url)).await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(
        signed(&hook.url, "f-1", body).await,
        202,
        "not remembered as seen"
    );
    let text = hook.metrics.render();
    assert!(
        text.contains("shiprig_webhook_deliveries_total{result=\"follower\"} 1"),
        "{text}"
    );
}

fn config() -> Config {
    let yaml = "version: 1\napprovers: {min_permission: write}\nconductor:\n  \
                agents: [{name: a1}, {name: a2}, {name: a3}]\n  \
                dispatch: {github_actions: {workflow: shiprig-agent.yml, ref: main}}\n  \
                repositories: [acme/web, acme/api]\n  request_budget: 60\n";
    Config::from_yaml("webhook test", yaml).unwrap()
}

/// Issue #1 of `repo` gets the `approved` label from its maintainer.
fn approve(emulator: &Emulator, repo: &str) {
    emulator.model().add_label(repo, 1, "approved", "pm");
}

fn dispatched(emulator: &Emulator, repo: &str) -> usize {
    emulator.model().workflow_runs(repo).len()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_labeled_delivery_dispatches_at_once_and_a_burst_is_one_tick() {
    let (emulator, gh) = support::service::world(&REPOS, 0, |_| {}).await;
    for repo in REPOS {
        emulator.model().create_issue(repo, "work", "", &[], "pm");
    }
    let gh = gh.with_response_cache(1 << 20);
    let hook = endpoint(SECRET, true).await;
    let (config, notifier) = (config(), Notifier::default());
    let backend = Backend::from_config(&config, None).await.unwrap();
    let mut service = Service {
        repositories: REPOS
            .iter()
            .map(|r| Repository::new(&gh, r.parse().unwrap(), 60))
            .collect(),
        config: &config,
        notifier: &notifier,
        backend: &backend,
        metrics: hook.metrics.clone(),
    };
    let (stop_tx, stop) = watch::channel(false);
    let inbox = hook.inbox.clone();
    let url = hook.url.clone();
    let emu = &emulator;
    let story = async move {
        // The first loop finds nothing approved; the next one is an hour away.
        while service_ticks(&hook.metrics) < 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        approve(emu, "acme/web");
        let sent = Instant::now();
        assert_eq!(signed(&url, "e2e-1", labeled("acme/web", "x")).await, 202);
        while dispatched(emu, "acme/web") == 0 {
            assert!(
                sent.elapsed() < Duration::from_secs(10),
                "no dispatch: {}",
                hook.metrics.render()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let took = sent.elapsed();
        // The loop is an hour away; the bench measures the latency, this bounds it loosely
        // so a loaded machine does not fail it.
        assert!(took < Duration::from_secs(5), "dispatched after {took:?}");
        assert_eq!(dispatched(emu, "acme/api"), 0, "only the named repository");
        // A burst about one repository: ticked once now and at most once more.
        approve(emu, "acme/api");
        let before = prompted(&hook.metrics);
        let burst = Instant::now();
        let mut sending = tokio::task::JoinSet::new();
        for n in 0..50 {
            let url = url.clone();
            sending.spawn(async move {
                signed(&url, &format!("burst-{n}"), labeled("acme/api", "x")).await
            });
        }
        while let Some(status) = sending.join_next().await {
            assert_eq!(status.unwrap(), 202);
        }
        let seconds = burst.elapsed().as_secs();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let ticks = prompted(&hook.metrics) - before;
        // One tick at once, then at most one a second while deliveries keep coming.
        assert!(
            ticks >= 1 && ticks <= 2 + seconds,
            "{ticks} prompt ticks for 50 deliveries over {seconds} s"
        );
        assert_eq!(dispatched(emu, "acme/api"), 1);
        let _ = stop_tx.send(true);
    };
    let clock = gh.clock().clone();
    let run = run_with_inbox(
        &mut service,
        Duration::from_secs(3600),
        clock.as_ref(),
        stop,
        None,
        &inbox,
    );
    tokio::join!(run, story);
}

fn metric(metrics: &Metrics, name: &str) -> u64 {
    let sum: f64 = metrics
        .render()
        .lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    sum as u64
}

fn service_ticks(metrics: &Metrics) -> u64 {
    metric(metrics, "shiprig_ticks_total")
}

fn prompted(metrics: &Metrics) -> u64 {
    metric(metrics, "shiprig_prompted_ticks_total")
}

/// `conductor run` as a process with a webhook secret, against the emulator.
fn spawn(emulator: &Emulator, dir: &std::path::Path, port: u16) -> std::process::Child {
    let path = dir.join("shiprig.yml");
    std::fs::write(&path, serde_json::to_string(&config()).unwrap()).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_shiprig"))
        .args(["conductor", "run", "--interval", "1h"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GITHUB_API_URL", emulator.url())
        .env("GITHUB_REPOSITORY", "acme/web")
        .env("GITHUB_TOKEN", TOKEN)
        .env("SHIPRIG_CONFIG", &path)
        .env("SHIPRIG_WEBHOOK_SECRET", format!("old,{SECRET}"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

#[tokio::test(flavor = "multi_thread")]
async fn case_46_the_service_acts_on_a_signed_delivery_and_logs_no_body() {
    let (emulator, _) = support::service::world(&REPOS, 0, |_| {}).await;
    emulator
        .model()
        .create_issue("acme/web", "work", "", &[], "pm");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let child = spawn(&emulator, dir.path(), port);
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Ok(r) = client.get(format!("{url}/readyz")).send().await
            && r.status() == 200
        {
            ready = true;
            break;
        }
    }
    assert!(ready, "the service became ready");
    tokio::time::sleep(Duration::from_millis(300)).await;
    approve(&emulator, "acme/web");
    let marker = "BODY-MARKER-must-never-be-logged";
    let unsigned = deliver(&url, "p-1", None, labeled("acme/web", marker)).await;
    assert_eq!(unsigned, 401);
    assert_eq!(signed(&url, "p-2", labeled("acme/web", marker)).await, 202);
    let mut waited = 0;
    while dispatched(&emulator, "acme/web") == 0 && waited < 200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    assert_eq!(
        dispatched(&emulator, "acme/web"),
        1,
        "dispatched before the hourly loop"
    );
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let logs = [output.stdout, output.stderr].concat();
    let logs = String::from_utf8_lossy(&logs);
    assert!(logs.contains("webhook delivery"), "{logs}");
    assert!(!logs.contains(marker), "a body was logged: {logs}");
    assert!(!logs.contains(SECRET), "a secret was logged");
}

/// Two repositories served with conditional requests, on the fake clock.
async fn cached_service_world() -> (Emulator, shiprig::github::GitHub) {
    let (emulator, gh) = support::service::world(&REPOS, 0, |_| {}).await;
    for repo in REPOS {
        emulator.model().create_issue(repo, "work", "", &[], "pm");
    }
    (emulator, gh.with_response_cache(1 << 20))
}

fn repositories(gh: &shiprig::github::GitHub) -> Vec<Repository> {
    REPOS
        .iter()
        .map(|r| Repository::new(gh, r.parse().unwrap(), 60))
        .collect()
}

#[tokio::test]
async fn a_loop_over_unchanged_repositories_spends_no_rate_limit_point() {
    let (emulator, gh) = cached_service_world().await;
    let (config, notifier, backend) = (config(), Notifier::default(), Backend::Labels);
    let metrics = Arc::new(Metrics::default());
    let service = Service {
        repositories: repositories(&gh),
        config: &config,
        notifier: &notifier,
        backend: &backend,
        metrics: metrics.clone(),
    };
    let now = gh.clock().now();
    let first = service.run_once(now).await;
    assert_eq!(first.not_modified, 0);
    let spent = emulator.model().rate_limit_used(TOKEN);
    let idle = service.run_once(now).await;
    assert!(idle.requests > 0);
    assert_eq!(idle.not_modified, idle.requests, "every read answered 304");
    assert_eq!(
        emulator.model().rate_limit_used(TOKEN),
        spent,
        "no point spent"
    );
    let text = metrics.render();
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} in {text}"))
            .to_string()
    };
    assert!(
        line("shiprig_github_requests_total{kind=\"not_modified\"}")
            .ends_with(&format!(" {}", idle.not_modified))
    );
    assert!(
        line("shiprig_installation_points_total{installation=\"acme\"}")
            .ends_with(&format!(" {}", first.requests))
    );
    service.log_budget();
    assert!(
        metrics
            .render()
            .contains("shiprig_installation_repositories{installation=\"acme\"} 2")
    );
}

#[tokio::test]
async fn over_budget_the_quietest_repository_waits_never_the_one_a_delivery_named() {
    let (emulator, gh) = cached_service_world().await;
    let (config, notifier, backend) = (config(), Notifier::default(), Backend::Labels);
    let service = Service {
        repositories: repositories(&gh),
        config: &config,
        notifier: &notifier,
        backend: &backend,
        metrics: Arc::new(Metrics::default()),
    };
    let now = gh.clock().now();
    service.run_once(now).await;
    // Each loop from now on changes both repositories' milestones: one point each.
    let change = |n: usize| {
        for repo in REPOS {
            emulator.model().create_milestone(repo, &format!("m{n}"));
        }
    };
    let spent = emulator.model().rate_limit_used(TOKEN);
    let reserve = shiprig::service::budget::RESERVE;
    emulator
        .model()
        .set_rate_limit(TOKEN, spent + 2 + reserve + 1);
    change(1);
    let second = service.run_once(now).await;
    assert!(second.deferred.is_empty(), "{:?}", second.deferred);
    change(2);
    let prompted = std::collections::BTreeSet::from(["acme/web".parse().unwrap()]);
    let third = service.run_loop(&prompted, now).await;
    assert_eq!(third.ticked, vec!["acme/web".to_string()]);
    assert_eq!(third.deferred.len(), 1);
    assert_eq!(third.deferred[0].0, "acme/api");
    assert!(
        third.deferred[0].1.contains("rate limit"),
        "{:?}",
        third.deferred
    );
}

/// GitHub's own `installation_repositories` example, with `added` and `removed` as the
/// repositories that came and went.
fn installation_repositories(added: &[&str], removed: &[&str]) -> Vec<u8> {
    let action = if removed.is_empty() {
        "added"
    } else {
        "removed"
    };
    let mut payload = support::workflow::runner::example("installation_repositories", Some(action));
    let shown = |names: &[&str]| -> serde_json::Value {
        let template = payload["repositories_added"]
            .get(0)
            .or_else(|| payload["repositories_removed"].get(0))
            .cloned()
            .unwrap();
        names
            .iter()
            .map(|full| {
                let mut repo = template.clone();
                repo["full_name"] = (*full).into();
                repo["name"] = full.split_once('/').unwrap().1.into();
                repo
            })
            .collect()
    };
    let (added, removed) = (shown(added), shown(removed));
    payload["repositories_added"] = added;
    payload["repositories_removed"] = removed;
    serde_json::to_vec(&payload).unwrap()
}

async fn signed_installation(url: &str, delivery: &str, body: Vec<u8>) -> u16 {
    let signature = sign(SECRET, &body);
    let event = "installation_repositories";
    deliver_event(url, event, delivery, Some(signature), body).await
}

/// The service follows the owner's repositories with the `shiprig` topic.
fn following_config() -> Config {
    let yaml = "version: 1\napprovers: {min_permission: write}\nconductor:\n  \
                agents: [{name: a1}, {name: a2}, {name: a3}]\n  \
                dispatch: {github_actions: {workflow: shiprig-agent.yml, ref: main}}\n  \
                repositories_from: {owner: acme, topic: shiprig}\n  request_budget: 60\n";
    Config::from_yaml("webhook test", yaml).unwrap()
}

/// How many requests named `repo` in their path or GraphQL body.
fn requests_about(emulator: &Emulator, repo: &str) -> Vec<String> {
    let (owner, name) = repo.split_once('/').unwrap();
    emulator
        .requests()
        .into_iter()
        .filter(|r| {
            let body = r.body.as_ref().map(|b| b.to_string()).unwrap_or_default();
            r.path.starts_with(&format!("/repos/{repo}/"))
                || r.path == format!("/repos/{repo}")
                || (body.contains(&format!("\"{owner}\"")) && body.contains(&format!("\"{name}\"")))
        })
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn held(metrics: &Metrics) -> String {
    metrics
        .render()
        .lines()
        .find(|l| l.starts_with("shiprig_installation_repositories{installation=\"acme\"}"))
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repository_added_to_the_installation_with_the_topic_is_ticked_at_once_and_one_without_is_not_served()
 {
    let repos = ["acme/web", "acme/new", "acme/plain"];
    let (emulator, gh) = support::service::world(&repos, 1, |_| {}).await;
    emulator.model().set_topics("acme/web", &["shiprig"]);
    let gh = gh.with_response_cache(1 << 20);
    let hook = endpoint(SECRET, true).await;
    let (config, notifier) = (following_config(), Notifier::default());
    let backend = Backend::from_config(&config, None).await.unwrap();
    let home: shiprig::github::Repo = "acme/web".parse().unwrap();
    let served = shiprig::service::repositories(&gh.for_repo(&home), &config, &home)
        .await
        .unwrap();
    assert_eq!(
        served,
        vec![home.clone()],
        "only the repository with the topic"
    );
    let mut service = Service {
        repositories: served
            .into_iter()
            .map(|r| Repository::new(&gh, r, 60))
            .collect(),
        config: &config,
        notifier: &notifier,
        backend: &backend,
        metrics: hook.metrics.clone(),
    };
    let (stop_tx, stop) = watch::channel(false);
    let inbox = hook.inbox.clone();
    let url = hook.url.clone();
    let emu = &emulator;
    let story = async move {
        // The first loop dispatches acme/web's issue; the next one is an hour away.
        while dispatched(emu, "acme/web") == 0 || service_ticks(&hook.metrics) < 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            held(&hook.metrics),
            "shiprig_installation_repositories{installation=\"acme\"} 1"
        );
        // acme/new gains the topic and joins the installation; acme/plain joins without it.
        emu.model().set_topics("acme/new", &["shiprig"]);
        let before = prompted(&hook.metrics);
        let sent = Instant::now();
        let body = installation_repositories(&["acme/new", "acme/plain"], &[]);
        assert_eq!(signed_installation(&url, "i-1", body).await, 202);
        // Dispatched by a prompt tick (counted once it ends), not by the loop an hour away.
        while dispatched(emu, "acme/new") == 0 || prompted(&hook.metrics) == before {
            assert!(
                sent.elapsed() < Duration::from_secs(10),
                "acme/new not dispatched by a prompt tick: {}",
                hook.metrics.render()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(service_ticks(&hook.metrics), 2, "one loop, one prompt tick");
        assert_eq!(
            held(&hook.metrics),
            "shiprig_installation_repositories{installation=\"acme\"} 2"
        );
        // A delivery about acme/plain prompts nothing: it is not served.
        assert_eq!(signed(&url, "i-2", labeled("acme/plain", "x")).await, 202);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            dispatched(emu, "acme/plain"),
            0,
            "not served without the topic"
        );
        assert_eq!(
            requests_about(emu, "acme/plain"),
            vec!["GET /repos/acme/plain".to_string()],
            "read once to learn its topics, never ticked"
        );
        let _ = stop_tx.send(true);
    };
    let clock = gh.clock().clone();
    let run = run_with_inbox(
        &mut service,
        Duration::from_secs(3600),
        clock.as_ref(),
        stop,
        None,
        &inbox,
    );
    tokio::join!(run, story);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repository_removed_from_the_installation_is_no_longer_ticked() {
    let repos = ["acme/web", "acme/old"];
    let (emulator, gh) = support::service::world(&repos, 0, |_| {}).await;
    for repo in repos {
        emulator.model().set_topics(repo, &["shiprig"]);
        emulator.model().create_issue(repo, "work", "", &[], "pm");
    }
    let gh = gh.with_response_cache(1 << 20);
    let hook = endpoint(SECRET, true).await;
    let (config, notifier) = (following_config(), Notifier::default());
    let backend = Backend::from_config(&config, None).await.unwrap();
    let home: shiprig::github::Repo = "acme/web".parse().unwrap();
    let served = shiprig::service::repositories(&gh.for_repo(&home), &config, &home)
        .await
        .unwrap();
    assert_eq!(served.len(), 2);
    let mut service = Service {
        repositories: served
            .into_iter()
            .map(|r| Repository::new(&gh, r, 60))
            .collect(),
        config: &config,
        notifier: &notifier,
        backend: &backend,
        metrics: hook.metrics.clone(),
    };
    let (stop_tx, stop) = watch::channel(false);
    let inbox = hook.inbox.clone();
    let url = hook.url.clone();
    let emu = &emulator;
    let story = async move {
        while service_ticks(&hook.metrics) < 4 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let body = installation_repositories(&[], &["acme/old"]);
        assert_eq!(signed_installation(&url, "r-1", body).await, 202);
        let sent = Instant::now();
        while held(&hook.metrics) != "shiprig_installation_repositories{installation=\"acme\"} 1" {
            assert!(
                sent.elapsed() < Duration::from_secs(10),
                "acme/old still held: {}",
                hook.metrics.render()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Whatever was in flight when the delivery came has finished by the next loop.
        let ticks = service_ticks(&hook.metrics);
        while service_ticks(&hook.metrics) < ticks + 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        emu.clear_requests();
        // Work appears there and a delivery names it: still nothing.
        approve(emu, "acme/old");
        assert_eq!(signed(&url, "r-2", labeled("acme/old", "x")).await, 202);
        let ticks = service_ticks(&hook.metrics);
        while service_ticks(&hook.metrics) < ticks + 3 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            !requests_about(emu, "acme/web").is_empty(),
            "the loop goes on"
        );
        assert_eq!(requests_about(emu, "acme/old"), Vec::<String>::new());
        let page = hook.metrics.board.state(chrono::Utc::now());
        let shown: Vec<&str> = page
            .repositories
            .iter()
            .map(|r| r.repository.as_str())
            .collect();
        assert_eq!(shown, vec!["acme/web"], "it leaves the status page");
        assert_eq!(dispatched(emu, "acme/old"), 0);
        let _ = stop_tx.send(true);
    };
    let clock = gh.clock().clone();
    let run = run_with_inbox(
        &mut service,
        Duration::from_millis(100),
        clock.as_ref(),
        stop,
        None,
        &inbox,
    );
    tokio::join!(run, story);
}
