//! `conductor run`'s GitHub budget and webhook path, as a process: the built binary (release
//! profile) against the emulator, which answers conditional requests as GitHub does.
//!
//! 1. Idle loops over 40 and 1,000 repositories, each with 20 approved issues all blocked by an
//!    open issue: per loop the requests, the 304s, the rate-limit points spent (the emulator's
//!    count), the service's CPU time (`/proc/<pid>/stat`) and its peak memory (`VmHWM`); then a
//!    loop in which one repository changed.
//! 2. The webhook path over 40 repositories with the loop an hour away: from a signed
//!    `issues: labeled approved` delivery to the agent's workflow dispatch, p50 and p99 over 200
//!    deliveries; then 1,000 deliveries in one second about 40 repositories, coalesced.
//!
//! Run with `cargo bench --bench service_budget`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use shiprig::emulator::{Emulator, Permission, UserKind};
use tokio::runtime::Runtime;

#[path = "support/proc_cpu.rs"]
mod proc_cpu;

const TOKEN: &str = "ghs_budget_bench";
const SECRET: &str = "bench webhook secret";
const ISSUES: u64 = 20;
const IDLE_LOOPS: usize = 3;

fn repo_name(n: usize) -> String {
    format!("acme/service-{n:04}")
}

/// `repos` repositories of 20 approved issues, each blocked by one open issue, and the agent
/// workflow; a rate limit no loop reaches.
fn seed(emulator: &Emulator, repos: usize) {
    let mut model = emulator.model();
    model.set_now(chrono::Utc::now());
    model.add_user("conductor[bot]", UserKind::Bot);
    model.add_token(TOKEN, "conductor[bot]");
    model.set_rate_limit(TOKEN, 100_000_000);
    model.add_user("pm", UserKind::User);
    for r in 0..repos {
        let repo = repo_name(r);
        model.add_repo("acme", repo.trim_start_matches("acme/"), "main");
        model.set_permission(&repo, "conductor[bot]", Permission::Write);
        model.set_permission(&repo, "pm", Permission::Maintain);
        model.set_file(
            &repo,
            "main",
            ".github/workflows/shiprig-agent.yml",
            "run-name: \"shiprig agent ${{ inputs.agent }} on #${{ inputs.issue }}\"\n",
        );
        let blocker = model.create_issue(&repo, "the blocker", "", &[], "pm");
        for n in 1..=ISSUES {
            let issue = model.create_issue(&repo, &format!("work {n}"), "", &[], "pm");
            model.add_label(&repo, issue, "approved", "pm");
            model.add_blocked_by(&repo, issue, &repo, blocker);
        }
    }
}

fn config(repos: usize, agents: usize) -> String {
    let names: Vec<String> = (0..agents).map(|a| format!("{{name: a{a}}}")).collect();
    let mut yaml = format!(
        "version: 1\napprovers: {{min_permission: write}}\nconductor:\n  agents: [{}]\n  \
         dispatch: {{github_actions: {{workflow: shiprig-agent.yml, ref: main}}}}\n  repositories:\n",
        names.join(", ")
    );
    for r in 0..repos {
        yaml.push_str(&format!("    - {}\n", repo_name(r)));
    }
    yaml
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The service as a process; its JSON log lines arrive on the returned channel.
fn spawn(
    emulator: &Emulator,
    yaml: &str,
    interval: &str,
    port: u16,
) -> (Child, mpsc::Receiver<String>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shiprig.yml");
    std::fs::write(&path, yaml).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_shiprig"))
        .args(["conductor", "run", "--interval", interval])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GITHUB_API_URL", emulator.url())
        .env("GITHUB_REPOSITORY", repo_name(0))
        .env("GITHUB_TOKEN", TOKEN)
        .env("SHIPRIG_CONFIG", &path)
        .env("SHIPRIG_WEBHOOK_SECRET", SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the shiprig binary runs");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx, dir)
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

/// The process's CPU time (user + system) and its peak resident memory.
fn usage(pid: u32) -> (Duration, u64) {
    let cpu = proc_cpu::cpu_in(&format!("/proc/{pid}/stat"));
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0);
    (cpu, peak)
}

/// Waits for the next `loop done` line.
fn next_loop(lines: &mpsc::Receiver<String>) {
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(600))
            .expect("a loop finished");
        if line.contains("\"loop done\"") {
            return;
        }
    }
}

struct Counts {
    requests: usize,
    not_modified: usize,
    points: u64,
}

fn counts(emulator: &Emulator) -> Counts {
    let log = emulator.requests();
    Counts {
        requests: log.len(),
        not_modified: log.iter().filter(|r| r.status == 304).count(),
        points: emulator.model().rate_limit_used(TOKEN),
    }
}

fn idle(server: &Runtime, repos: usize) {
    let emulator = server.block_on(Emulator::start()).unwrap();
    seed(&emulator, repos);
    let interval = if repos > 100 { "5s" } else { "1s" };
    let (child, lines, _dir) = spawn(&emulator, &config(repos, 5), interval, free_port());
    let pid = child.id();
    next_loop(&lines);
    let cold = counts(&emulator);
    println!(
        "{repos} repositories, first loop: {} requests, {} points",
        cold.requests, cold.points
    );
    let mut before = (cold, usage(pid).0);
    for _ in 0..IDLE_LOOPS {
        next_loop(&lines);
        let after = (counts(&emulator), usage(pid).0);
        report(repos, "idle loop", &before, &after, usage(pid).1);
        before = after;
    }
    // One repository changes: a new approved issue nothing blocks.
    {
        let mut model = emulator.model();
        let repo = repo_name(repos / 2);
        let issue = model.create_issue(&repo, "unblocked work", "", &[], "pm");
        model.add_label(&repo, issue, "approved", "pm");
    }
    next_loop(&lines);
    next_loop(&lines);
    let after = (counts(&emulator), usage(pid).0);
    report(
        repos,
        "two loops, one repository changed",
        &before,
        &after,
        usage(pid).1,
    );
    stop(child);
}

fn report(
    repos: usize,
    what: &str,
    before: &(Counts, Duration),
    after: &(Counts, Duration),
    peak_kb: u64,
) {
    let requests = after.0.requests - before.0.requests;
    let not_modified = after.0.not_modified - before.0.not_modified;
    let points = after.0.points - before.0.points;
    println!(
        "{repos} repositories, {what}: {requests} requests, {not_modified} answered 304, {points} points \
         ({:.2} per repository), service CPU {:.0} ms, peak memory {:.1} MiB",
        points as f64 / repos as f64,
        (after.1 - before.1).as_secs_f64() * 1000.0,
        peak_kb as f64 / 1024.0
    );
}

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

fn delivery(repo: &str, issue: u64) -> Vec<u8> {
    let payload = serde_json::json!({
        "action": "labeled",
        "label": {"name": "approved"},
        "issue": {"number": issue},
        "repository": {"full_name": repo},
        "sender": {"login": "pm"},
    });
    serde_json::to_vec(&payload).unwrap()
}

async fn post(client: &reqwest::Client, url: &str, id: &str, body: Vec<u8>) -> u16 {
    let signature = sign(&body);
    post_signed(client, url, id, body, signature).await
}

async fn post_signed(
    client: &reqwest::Client,
    url: &str,
    id: &str,
    body: Vec<u8>,
    signature: String,
) -> u16 {
    let response = client
        .post(url)
        .header("x-github-event", "issues")
        .header("x-github-delivery", id)
        .header("x-hub-signature-256", signature)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the service answers");
    response.status().as_u16()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn runs(emulator: &Emulator) -> usize {
    let model = emulator.model();
    (0..40)
        .map(|r| model.workflow_runs(&repo_name(r)).len())
        .sum()
}

/// Approves a fresh unblocked issue in `repo` and returns its number.
fn approve(emulator: &Emulator, repo: &str) -> u64 {
    let mut model = emulator.model();
    let issue = model.create_issue(repo, "urgent work", "", &[], "pm");
    model.add_label(repo, issue, "approved", "pm");
    issue
}

fn webhooks(server: &Runtime, rt: &Runtime) {
    let emulator = server.block_on(Emulator::start()).unwrap();
    seed(&emulator, 40);
    let port = free_port();
    let (child, lines, _dir) = spawn(&emulator, &config(40, 300), "1h", port);
    next_loop(&lines);
    let url = format!("http://127.0.0.1:{port}/webhook");
    let client = reqwest::Client::new();
    let mut latencies = Vec::new();
    let mut answers = Vec::new();
    for n in 0..200 {
        let repo = repo_name(n % 40);
        let issue = approve(&emulator, &repo);
        let before = runs(&emulator);
        let sent = Instant::now();
        let status = rt.block_on(post(
            &client,
            &url,
            &format!("seq-{n}"),
            delivery(&repo, issue),
        ));
        answers.push(sent.elapsed());
        assert_eq!(status, 202);
        while runs(&emulator) == before {
            assert!(
                sent.elapsed() < Duration::from_secs(30),
                "no dispatch for {repo}#{issue}"
            );
            std::thread::sleep(Duration::from_micros(500));
        }
        latencies.push(sent.elapsed());
    }
    latencies.sort();
    answers.sort();
    println!(
        "webhook, delivery to dispatch over 200 deliveries (40 repositories in turn): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; \
         delivery answered: p50 {:.1} ms, p99 {:.1} ms",
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().unwrap().as_secs_f64() * 1000.0,
        percentile(&answers, 0.5).as_secs_f64() * 1000.0,
        percentile(&answers, 0.99).as_secs_f64() * 1000.0,
    );
    burst(rt, &emulator, &client, &url, port);
    stop(child);
}

/// 1,000 deliveries in one second, 25 about each of 40 repositories that each got one newly
/// approved issue.
fn burst(rt: &Runtime, emulator: &Emulator, client: &reqwest::Client, url: &str, port: u16) {
    let metrics = format!("http://127.0.0.1:{port}/metrics");
    let prompted = || -> f64 {
        let text = rt.block_on(async {
            client
                .get(&metrics)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        });
        text.lines()
            .find(|l| l.starts_with("shiprig_prompted_ticks_total"))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or(0.0)
    };
    std::thread::sleep(Duration::from_millis(1100));
    let ticks_before = prompted();
    let issues: Vec<u64> = (0..40).map(|r| approve(emulator, &repo_name(r))).collect();
    let runs_before = runs(emulator);
    let started = Instant::now();
    let answers = rt.block_on(async {
        let mut sending = tokio::task::JoinSet::new();
        for n in 0..1000usize {
            let (client, url) = (client.clone(), url.to_string());
            let body = delivery(&repo_name(n % 40), issues[n % 40]);
            let signature = sign(&body);
            let at = started + Duration::from_millis(n as u64);
            sending.spawn(async move {
                tokio::time::sleep_until(at.into()).await;
                let sent = Instant::now();
                let status =
                    post_signed(&client, &url, &format!("burst-{n}"), body, signature).await;
                (status, sent.elapsed())
            });
        }
        let mut answers = Vec::new();
        while let Some(done) = sending.join_next().await {
            let (status, took) = done.unwrap();
            assert_eq!(status, 202);
            answers.push(took);
        }
        answers
    });
    let sent_in = started.elapsed();
    while runs(emulator) < runs_before + 40 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not every repository dispatched"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let all_dispatched = started.elapsed();
    std::thread::sleep(Duration::from_millis(1500));
    let ticks = prompted() - ticks_before;
    let mut answers = answers;
    answers.sort();
    println!(
        "webhook burst: 1,000 deliveries about 40 repositories sent in {:.2} s (answered p50 {:.1} ms, p99 {:.1} ms), \
         coalesced into {ticks} repository ticks; all 40 dispatched {:.2} s after the first delivery",
        sent_in.as_secs_f64(),
        percentile(&answers, 0.5).as_secs_f64() * 1000.0,
        percentile(&answers, 0.99).as_secs_f64() * 1000.0,
        all_dispatched.as_secs_f64()
    );
}

fn main() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    // The emulator serves from its own thread; deliveries are sent from another.
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wants = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    if wants("idle-40") {
        idle(&server, 40);
    }
    if wants("idle-1000") {
        idle(&server, 1000);
    }
    if wants("webhooks") {
        webhooks(&server, &rt);
    }
}
