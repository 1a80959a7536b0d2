//! `conductor run` at scale: 20 repositories × 200 approved issues, 5 shared agents. Prints the
//! GitHub requests of one idle loop and the CPU time shiprig spends per loop (the loop runs
//! on this thread; the emulator serves from other threads, so its work is not counted).
//! Run with `cargo bench --bench service_loop`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use shiprig::agents::Backend;
use shiprig::config::Config;
use shiprig::emulator::{Emulator, Permission, UserKind};
use shiprig::github::{ClientOptions, Credentials, GitHub, Secret, SystemClock};
use shiprig::notify::Notifier;
use shiprig::service::{Metrics, Repository, Service};

#[path = "support/proc_cpu.rs"]
mod proc_cpu;

const REPOS: usize = 20;
const ISSUES: u64 = 200;
const TOKEN: &str = "ghs_bench";

/// CPU time of the calling thread (user + system), from /proc.
fn thread_cpu() -> Duration {
    proc_cpu::cpu_in("/proc/thread-self/stat")
}

fn seed(emulator: &Emulator) -> Vec<String> {
    let mut model = emulator.model();
    model.set_now(chrono::Utc::now());
    model.add_user("conductor[bot]", UserKind::Bot);
    model.add_token(TOKEN, "conductor[bot]");
    model.set_rate_limit(TOKEN, 1_000_000);
    model.add_user("pm", UserKind::User);
    (0..REPOS)
        .map(|r| {
            let repo = format!("acme/service-{r:02}");
            model.add_repo("acme", &format!("service-{r:02}"), "main");
            model.set_permission(&repo, "conductor[bot]", Permission::Write);
            model.set_permission(&repo, "pm", Permission::Maintain);
            for n in 1..=ISSUES {
                let number = model.create_issue(&repo, &format!("work {n}"), "", &[], "pm");
                model.add_label(&repo, number, "approved", "pm");
            }
            repo
        })
        .collect()
}

fn main() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let emulator = server.block_on(Emulator::start()).unwrap();
    let repos = seed(&emulator);
    let mut yaml = String::from(
        "version: 1\nconductor:\n  agents: [{name: a1}, {name: a2}, {name: a3}, {name: a4}, {name: a5}]\n  request_budget: 1000\n  repositories:\n",
    );
    for repo in &repos {
        yaml.push_str(&format!("    - {repo}\n"));
    }
    let config = Config::from_yaml("bench", &yaml).unwrap();
    let here = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let options = ClientOptions::new(emulator.url(), Credentials::Token(Secret::new(TOKEN)));
    let _inside = here.enter();
    let gh = GitHub::with_clock(options, Arc::new(SystemClock)).unwrap();
    let (notifier, backend) = (Notifier::default(), Backend::Labels);
    let repositories = repos
        .iter()
        .map(|r| Repository::new(&gh, r.parse().unwrap(), 1000))
        .collect();
    let service = Service {
        repositories,
        config: &config,
        notifier: &notifier,
        backend: &backend,
        metrics: Arc::new(Metrics::default()),
    };
    let now = chrono::Utc::now();
    let first = here.block_on(service.run_once(now));
    println!(
        "first loop: {} requests, {} effects (the shared pool of 5 agents filled)",
        first.requests, first.effects
    );
    let mut samples = Vec::new();
    for _ in 0..5 {
        let (cpu, wall) = (thread_cpu(), Instant::now());
        let report = here.block_on(service.run_once(now));
        samples.push((
            report.requests,
            report.effects,
            thread_cpu() - cpu,
            wall.elapsed(),
        ));
    }
    for (requests, effects, cpu, wall) in &samples {
        println!(
            "idle loop over {REPOS} repositories x {ISSUES} issues: {requests} requests ({:.1} per repository), {effects} effects, \
             shiprig CPU {:.0} ms, wall {:.0} ms",
            *requests as f64 / REPOS as f64,
            cpu.as_secs_f64() * 1000.0,
            wall.as_secs_f64() * 1000.0
        );
    }
}
