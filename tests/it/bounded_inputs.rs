//! Hostile inputs to `config validate`, `plan apply --dry-run`, `gate --dry-run` and the other
//! commands that read the Actions event: huge files, `/dev/zero`, a regex set past the budget, YAML tags, invalid UTF-8, alias bombs.
//! Each run of the real binary must exit 2 within 2 s, peak under 200 MB of memory (the
//! child's own `getrusage`, through `wait4`), and make no request (GitHub's URL points at a
//! closed port, so a request would end in exit 3, not 2).

use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(2);
const MAX_RSS_KB: i64 = 200 * 1024;

/// What one run cost.
struct Cost {
    code: Option<i32>,
    elapsed: Duration,
    max_rss_kb: i64,
    stderr: String,
}

/// Runs the binary with `args` and `env`, reaping it with `wait4` for its own resource use.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which also gives its rusage"
)]
fn run(args: &[&str], env: &[(&str, &Path)]) -> Cost {
    let stderr_path = tempfile::NamedTempFile::new().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_shiprig"));
    command
        .args(args)
        .env_clear()
        .env("GITHUB_API_URL", "http://127.0.0.1:9")
        .env("GITHUB_TOKEN", "t")
        .env("GITHUB_REPOSITORY", "acme/rig")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr_path.reopen().unwrap());
    for (key, value) in env {
        command.env(key, value);
    }
    let start = Instant::now();
    let child = command.spawn().expect("the binary starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value for the kernel to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own child, reaped only here; the pointers are valid.
        let done = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if done == pid {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{args:?} still running after 20 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = start.elapsed();
    let status = std::process::ExitStatus::from_raw(status);
    Cost {
        code: status.code(),
        elapsed,
        max_rss_kb: usage.ru_maxrss,
        stderr: std::fs::read_to_string(stderr_path.path()).unwrap_or_default(),
    }
}

fn assert_bounded(what: &str, cost: &Cost, says: &str) {
    assert_eq!(cost.code, Some(2), "{what}: {}", cost.stderr);
    assert!(
        cost.elapsed < DEADLINE,
        "{what}: took {:?}: {}",
        cost.elapsed,
        cost.stderr
    );
    assert!(
        cost.max_rss_kb < MAX_RSS_KB,
        "{what}: peak {} kB",
        cost.max_rss_kb
    );
    assert!(cost.stderr.contains(says), "{what}: {}", cost.stderr);
    eprintln!(
        "{what}: exit 2 in {:?}, peak {} kB",
        cost.elapsed, cost.max_rss_kb
    );
}

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        Files {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

/// Hostile configs, each with what the error must say.
fn hostile_configs(files: &Files) -> Vec<(&'static str, PathBuf, &'static str)> {
    let rules: String = (0..60)
        .map(|i| format!("    r{i}: {{diff_patterns: ['\\w{{200}}']}}\n"))
        .collect();
    let bomb = {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        text
    };
    vec![
        (
            "a 2 MiB config",
            files.write("huge.yml", &b"# padding\n".repeat(210_000)),
            "larger than 1 MiB",
        ),
        ("/dev/zero", PathBuf::from("/dev/zero"), "larger than 1 MiB"),
        (
            "60 rules of \\w{200}",
            files.write("regex.yml", format!("gate:\n  rules:\n{rules}").as_bytes()),
            "budget",
        ),
        (
            "a !!binary tag",
            files.write("binary.yml", b"gate:\n  check_name: !!binary aGVsbG8=\n"),
            "binary.yml:2:15: YAML tag",
        ),
        (
            "a custom tag",
            files.write("custom.yml", b"labels: !custom {approved: go}\n"),
            "custom.yml:1:9: YAML tag",
        ),
        (
            "invalid UTF-8",
            files.write("utf8.yml", b"version: 1\ngate: {check_name: \"a\xffb\"}\n"),
            "utf8.yml:2:22: invalid UTF-8",
        ),
        (
            "an alias bomb",
            files.write("bomb.yml", bomb.as_bytes()),
            "bomb.yml",
        ),
        (
            "deep nesting",
            files.write(
                "deep.yml",
                format!("x: {}{}", "[".repeat(100_000), "]".repeat(100_000)).as_bytes(),
            ),
            "deep.yml",
        ),
    ]
}

#[test]
fn config_validate_refuses_hostile_configs_cheaply() {
    let files = Files::new();
    for (what, path, says) in hostile_configs(&files) {
        let cost = run(&["config", "validate", path.to_str().unwrap()], &[]);
        assert_bounded(what, &cost, says);
    }
}

#[test]
fn plan_apply_dry_run_refuses_hostile_plans_before_any_request() {
    let files = Files::new();
    let plans = [
        (
            "a 5 MiB plan",
            files.write("huge.yml", &b"# padding\n".repeat(520_000)),
            "larger than 4 MiB",
        ),
        ("/dev/zero", PathBuf::from("/dev/zero"), "larger than 4 MiB"),
        (
            "a tag",
            files.write("tag.yml", b"milestone: !!binary aGk=\nissues: []\n"),
            "tag.yml:1:12: YAML tag",
        ),
        (
            "invalid UTF-8",
            files.write("utf8.yml", b"milestone: M\xc3\x28\nissues: []\n"),
            "utf8.yml:1:13: invalid UTF-8",
        ),
        (
            "issue: 0",
            files.write(
                "zero.yml",
                b"milestone: M\nissues:\n  - {key: a, title: A, issue: 0}\n",
            ),
            "issue 0 does not exist",
        ),
    ];
    for (what, path, says) in plans {
        let cost = run(&["plan", "apply", "--dry-run", path.to_str().unwrap()], &[]);
        assert_bounded(what, &cost, says);
    }
}

#[test]
fn every_command_reads_the_event_within_the_same_bound() {
    let commands: [&[&str]; 5] = [
        &["merge", "--dry-run"],
        &["lifecycle", "--dry-run"],
        &["commits", "lint"],
        &["release", "publish", "--dry-run"],
        &["release", "shipped", "--dry-run"],
    ];
    for args in commands {
        let env = [("GITHUB_EVENT_PATH", Path::new("/dev/zero"))];
        let cost = run(args, &env);
        assert_bounded(&format!("{args:?}"), &cost, "larger than 25 MiB");
    }
}

#[test]
fn gate_dry_run_refuses_hostile_events_and_configs() {
    let files = Files::new();
    let sha = "a".repeat(40);
    let good = format!(
        r#"{{"action": "synchronize", "pull_request": {{"number": 1, "head": {{"sha": "{sha}", "repo": {{"full_name": "acme/rig"}}}}, "base": {{"repo": {{"full_name": "acme/rig"}}}}}}}}"#
    );
    let good = files.write("good.json", good.as_bytes());
    let events = [
        (
            "a /dev/zero event",
            PathBuf::from("/dev/zero"),
            "larger than 25 MiB",
        ),
        (
            "a 26 MiB event",
            files.write("huge.json", &vec![b' '; 26 * 1024 * 1024]),
            "larger than 25 MiB",
        ),
        (
            "an event in bad UTF-8",
            files.write("utf8.json", b"{\"action\":\n \"\xff\"}"),
            "utf8.json:2:3: invalid UTF-8",
        ),
        (
            "an event without a head SHA",
            files.write(
                "nosha.json",
                br#"{"pull_request": {"number": 1, "head": {"sha": ""}}}"#,
            ),
            "head.sha",
        ),
    ];
    for (what, path, says) in events {
        let env = [("GITHUB_EVENT_PATH", path.as_path())];
        let cost = run(
            &["gate", "--dry-run", "--event-name", "pull_request_target"],
            &env,
        );
        assert_bounded(what, &cost, says);
    }
    for (what, config, says) in hostile_configs(&files) {
        let env = [("GITHUB_EVENT_PATH", good.as_path())];
        let args = [
            "--config",
            config.to_str().unwrap(),
            "gate",
            "--dry-run",
            "--event-name",
            "pull_request_target",
        ];
        let cost = run(&args, &env);
        assert_bounded(what, &cost, says);
    }
}
