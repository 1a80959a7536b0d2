//! The gate's figures: the pure verdict for 3,000 changed files against 100 path rules plus 20
//! diff patterns (goal: under 20 ms), and a whole gate run against the emulator with its
//! request count. Run with `cargo bench --bench gate_verdict`; it prints its figures.

use std::time::{Duration, Instant};

use shiprig::config::Config;
use shiprig::emulator::{Emulator, Permission, UserKind};
use shiprig::gate::changes::{ChangedFile, Changes};
use shiprig::gate::{self, Evidence, GateEvent, GateRequest, Rules, verdict};
use shiprig::github::{ClientOptions, Credentials, GitHub, Repo, Secret};

#[path = "support/gate_rules.rs"]
mod gate_rules;

/// The benches' 100 rules as a config.
fn config() -> Config {
    Config::from_yaml("bench.yml", &gate_rules::many_rules()).expect("the bench config")
}

fn files(count: usize) -> Vec<ChangedFile> {
    (0..count)
        .map(|i| {
            let dir = if i % 10 == 0 { "secure" } else { "open" };
            let mut f = ChangedFile::new(
                &format!("svc{}/{dir}/mod{}/file{i}.rs", i % 150, i % 7),
                "modified",
            );
            let lines: String = (0..12)
                .map(|l| format!("+let x{l} = call({i}, {l});\n-old({l});\n"))
                .collect();
            f.patch = Some(format!("@@ -1,12 +1,12 @@\n{lines}"));
            f
        })
        .collect()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn bench_verdict() {
    let config = config();
    let rules = Rules::compile(&config.gate).expect("rules");
    let mut evidence = Evidence {
        head_sha: "h".into(),
        changes: Changes::complete(files(3000)),
        ..Evidence::default()
    };
    let mut matching = Vec::new();
    for _ in 0..25 {
        let start = Instant::now();
        let triggers = verdict::triggers(&evidence, &rules);
        matching.push(start.elapsed());
        assert!(triggers.iter().any(|t| !t.is_empty()));
    }
    // 3,000 is GitHub's cap, where the gate fails closed; the full verdict runs on 2,999.
    evidence.changes.files.pop();
    let mut full = Vec::new();
    for _ in 0..25 {
        let start = Instant::now();
        let v = gate::verdict(&evidence, &rules, &config);
        full.push(start.elapsed());
        assert!(!v.passed());
    }
    println!(
        "verdict: 3,000 files x 100 rules + 20 diff patterns (24 diff lines a file): matching {:.2?} median; full verdict on 2,999 files {:.2?} median (goal < 20 ms)",
        median(matching),
        median(full)
    );
}

async fn bench_run() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let emu = Emulator::start().await.expect("emulator");
    let pr = {
        let mut m = emu.model();
        m.add_repo("acme", "rig", "main");
        m.add_user("github-actions[bot]", UserKind::Bot);
        m.add_token("t", "github-actions[bot]");
        // The workflow's GITHUB_TOKEN may write checks and statuses on its repository.
        m.set_permission("acme/rig", "github-actions[bot]", Permission::Write);
        m.set_permission("acme/rig", "alice", Permission::Write);
        let config = "version: 1\ngate:\n  rules:\n    auth: {paths: [\"src/auth/**\"]}\n    deletion: {diff_patterns: ['(?i)\\bDELETE\\s+FROM\\b']}\n    dependencies: {new_dependencies: true}\n";
        m.set_files(
            "acme/rig",
            "main",
            &[
                (".github/shiprig.yml", config),
                ("Cargo.toml", "[dependencies]\nserde = \"1\"\n"),
            ],
            "seed",
        );
        let names: Vec<String> = (0..250).map(|i| format!("src/auth/f{i}.rs")).collect();
        let mut files: Vec<(&str, &str)> =
            names.iter().map(|n| (n.as_str(), "fn f() {}\n")).collect();
        files.push((
            "Cargo.toml",
            "[dependencies]\nserde = \"1\"\nrand = \"0.9\"\n",
        ));
        m.set_files("acme/rig", "feature", &files, "change");
        let pr = m.create_pull("acme/rig", "feature", "main", "Change", "", "dev");
        m.add_review(
            "acme/rig",
            pr,
            "alice",
            shiprig::emulator::ReviewState::Approved,
            "",
        );
        pr
    };
    let repo: Repo = "acme/rig".parse().unwrap();
    let gh = GitHub::new(ClientOptions::new(
        emu.url(),
        Credentials::Token(Secret::new("t")),
    ))
    .unwrap()
    .for_repo(&repo);
    let start = Instant::now();
    let report = gate::run(
        &gh,
        &GateRequest {
            repo: repo.clone(),
            event: GateEvent::local(pr),
            dry_run: false,
            local_config: None,
            pull: None,
        },
    )
    .await;
    let elapsed = start.elapsed();
    let r = report.requests;
    println!(
        "gate run against the emulator: 251 files (3 pages), 2 categories, 1 review: {elapsed:.2?}, {} requests ({} read, {} write), ending {:?}",
        r.total(),
        r.reads,
        r.writes,
        report.ending
    );
}

fn main() {
    bench_verdict();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(bench_run());
}
