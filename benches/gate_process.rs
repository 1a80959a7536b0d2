//! `shiprig gate` as a whole process, the way Actions runs it: the built binary (release
//! profile) on the `pull_request_target` `opened` event of a fresh pull request against the
//! emulator, for a 3-file pull request and a 3,000-file one with 100 rules, both needing a
//! human (check run, labels, sticky comment). Prints wall time and CPU time (the child's user + system
//! time, from `getrusage(RUSAGE_CHILDREN)`), medians over several runs, and the requests one
//! run makes. Run with `cargo bench --bench gate_process`; `SHIPRIG_BENCH_BIN=PATH` measures
//! another build of the binary instead (to compare two builds on the same machine).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use shiprig::emulator::{Emulator, Permission, UserKind};
use tokio::runtime::Runtime;

const TOKEN: &str = "gate-token";

#[path = "support/gate_rules.rs"]
mod gate_rules;
use gate_rules::many_rules;

const FEW_RULES: &str = "version: 1\nconductor:\n  agents: [{name: agent-1, login: rig-agent-1}]\ngate:\n  rules:\n    auth: {paths: [\"src/auth/**\"], owners: [\"@alice\"]}\n    deletion: {diff_patterns: ['(?i)\\bDELETE\\s+FROM\\b']}\n    dependencies: {new_dependencies: true}\n";

/// A repository with `config` on main.
fn seed(emu: &Emulator, name: &str, config: &str) {
    let mut m = emu.model();
    let full = format!("acme/{name}");
    m.add_repo("acme", name, "main");
    m.set_permission(&full, "github-actions[bot]", Permission::Write);
    m.add_user("alice", UserKind::User);
    m.set_permission(&full, "alice", Permission::Write);
    m.set_files(
        &full,
        "main",
        &[
            (".github/shiprig.yml", config),
            ("Cargo.toml", "[dependencies]\nserde = \"1\"\n"),
        ],
        "seed",
    );
}

/// A fresh pull request of `files` (the `run`th) and its `pull_request_target` `opened`
/// event as GitHub sends it: the payload's `pull_request` is the API's object.
fn open(
    rt: &Runtime,
    emu: &Emulator,
    repo: &str,
    files: &[(String, String)],
    run: usize,
    dir: &Path,
) -> PathBuf {
    let branch = format!("feature-{run}");
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    let pr = {
        let mut m = emu.model();
        m.set_files(repo, &branch, &files, "change");
        m.create_pull(repo, &branch, "main", "A change", "", "dev")
    };
    let url = format!("{}/repos/{repo}/pulls/{pr}", emu.url());
    let pull: serde_json::Value = rt
        .block_on(async {
            let response = reqwest::Client::new()
                .get(url)
                .bearer_auth(TOKEN)
                .header("user-agent", "bench")
                .send()
                .await?;
            response.json().await
        })
        .expect("the pull request");
    let payload = json!({
        "action": "opened",
        "sender": {"login": "dev"},
        "repository": {"full_name": repo},
        "pull_request": pull,
    });
    let path = dir.join(format!("{}-{run}.json", repo.replace('/', "-")));
    std::fs::write(&path, payload.to_string()).unwrap();
    path
}

/// The binary measured: the one this bench was built with, or `SHIPRIG_BENCH_BIN`.
fn binary() -> String {
    std::env::var("SHIPRIG_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_shiprig").into())
}

fn children_cpu() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Runs the gate on `runs` fresh pull requests (after one warm-up run) and prints the
/// medians and the requests of one run.
fn measure(
    rt: &Runtime,
    emu: &Emulator,
    label: &str,
    repo: &str,
    files: &[(String, String)],
    runs: usize,
) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let binary = binary();
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut requests = Vec::new();
    let mut code = None;
    for run in 0..=runs {
        let event = open(rt, emu, repo, files, run, dir.path());
        let before = emu.requests().len();
        let cpu = children_cpu();
        let start = Instant::now();
        let out = Command::new(&binary)
            .arg("gate")
            .env_clear()
            .env("GITHUB_API_URL", emu.url())
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_REPOSITORY", repo)
            .env("GITHUB_EVENT_NAME", "pull_request_target")
            .env("GITHUB_EVENT_PATH", &event)
            .output()
            .expect("the shiprig binary runs");
        let wall = start.elapsed();
        let cpu = children_cpu() - cpu;
        code = out.status.code();
        if run > 0 {
            walls.push(wall);
            cpus.push(cpu);
            requests.push(emu.requests().len() - before);
        }
    }
    requests.sort();
    println!(
        "gate process, {label}: wall {:.1?} / CPU {:.1?} (medians of {runs} runs), {} requests, exit {code:?}",
        median(walls),
        median(cpus),
        requests[requests.len() / 2],
    );
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let emu = runtime
        .block_on(Emulator::start())
        .expect("the emulator starts");
    {
        let mut m = emu.model();
        m.add_user("github-actions[bot]", UserKind::Bot);
        m.add_token(TOKEN, "github-actions[bot]");
    }
    let small: Vec<(String, String)> = [
        ("src/auth/session.rs", "pub fn session() {}\n"),
        ("src/lib.rs", "pub mod auth;\n"),
        ("README.md", "rig\n"),
    ]
    .iter()
    .map(|(p, c)| (p.to_string(), c.to_string()))
    .collect();
    seed(&emu, "small", FEW_RULES);
    let large: Vec<(String, String)> = (0..3000)
        .map(|i| {
            let dir = if i % 10 == 0 { "secure" } else { "open" };
            (
                format!("svc{}/{dir}/mod{}/file{i}.rs", i % 150, i % 7),
                format!("let x = call({i});\n"),
            )
        })
        .collect();
    seed(&emu, "large", &many_rules());
    measure(
        &runtime,
        &emu,
        "3-file PR, 3 rules, needs a human",
        "acme/small",
        &small,
        15,
    );
    measure(
        &runtime,
        &emu,
        "3,000-file PR, 100 rules, needs a human",
        "acme/large",
        &large,
        7,
    );
    drop(runtime);
}
