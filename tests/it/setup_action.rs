//! The action's scripts: `scripts/install.sh` against a release served on 127.0.0.1 (a good
//! checksum installs and runs; a bad or missing one refuses and says why), and
//! `scripts/run.sh` publishing the verdict and the `--json` result as step outputs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;

use crate::support::text;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A release server: files by URL path, and every path requested.
#[derive(Clone, Default)]
struct Releases {
    files: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
    requested: Arc<Mutex<Vec<String>>>,
}

async fn serve_file(
    State(releases): State<Releases>,
    UrlPath(path): UrlPath<String>,
) -> (StatusCode, Vec<u8>) {
    releases.requested.lock().unwrap().push(path.clone());
    match releases.files.lock().unwrap().get(&path) {
        Some(bytes) => (StatusCode::OK, bytes.clone()),
        None => (StatusCode::NOT_FOUND, b"Not Found".to_vec()),
    }
}

async fn start(releases: Releases) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/{*path}", axum::routing::get(serve_file))
        .with_state(releases);
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn target() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "aarch64-unknown-linux-musl",
        _ => "x86_64-unknown-linux-musl",
    }
}

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// `shiprig-<target>.tar.gz` holding this build's binary, and its SHA-256 in hex.
fn packed_binary(work: &Path) -> (Vec<u8>, String) {
    packed(work, Path::new(env!("CARGO_BIN_EXE_shiprig")))
}

/// A stand-in archive for the tests that must refuse it (the debug binary is large to pack).
fn packed_stand_in(work: &Path) -> (Vec<u8>, String) {
    let script = work.join("stand-in");
    std::fs::write(&script, "#!/bin/sh\necho never run\n").unwrap();
    packed(work, &script)
}

fn packed(work: &Path, binary: &Path) -> (Vec<u8>, String) {
    let stage = work.join("stage");
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::copy(binary, stage.join("shiprig")).unwrap();
    let archive = work.join("asset.tar.gz");
    let status = std::process::Command::new("tar")
        .arg("--use-compress-program=gzip -1")
        .arg("-cf")
        .arg(&archive)
        .arg("-C")
        .arg(&stage)
        .arg("shiprig")
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&archive).unwrap();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
    let hex = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    (bytes, hex)
}

struct Runner {
    tool_cache: PathBuf,
    output: PathBuf,
    path_file: PathBuf,
}

impl Runner {
    fn new(work: &Path) -> Runner {
        Runner {
            tool_cache: work.join("toolcache"),
            output: work.join("github_output"),
            path_file: work.join("github_path"),
        }
    }

    async fn install(&self, releases_url: &str) -> Output {
        tokio::process::Command::new("bash")
            .arg(format!("{ROOT}/scripts/install.sh"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("SHIPRIG_RELEASES_URL", releases_url)
            .env("GITHUB_ACTION_PATH", ROOT)
            .env("RUNNER_TOOL_CACHE", &self.tool_cache)
            .env("GITHUB_OUTPUT", &self.output)
            .env("GITHUB_PATH", &self.path_file)
            .output()
            .await
            .unwrap()
    }

    fn outputs(&self) -> String {
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }
}

fn asset_path() -> String {
    format!("v{}/shiprig-{}.tar.gz", version(), target())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_good_checksum_installs_into_the_tool_cache_and_runs() {
    let work = tempfile::tempdir().unwrap();
    let (bytes, sha) = packed_binary(work.path());
    let releases = Releases::default();
    {
        let mut files = releases.files.lock().unwrap();
        files.insert(asset_path(), bytes);
        let line = format!("{sha}  shiprig-{}.tar.gz\n", target());
        files.insert(format!("{}.sha256", asset_path()), line.into_bytes());
    }
    let url = start(releases.clone()).await;
    let runner = Runner::new(work.path());

    let out = runner.install(&url).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!(
        "verified shiprig-{}.tar.gz: sha256 {sha}",
        target()
    )));
    let outputs = runner.outputs();
    let installed = outputs
        .lines()
        .find_map(|l| l.strip_prefix("path="))
        .expect("a path output")
        .to_string();
    assert!(
        installed.starts_with(runner.tool_cache.to_str().unwrap()),
        "{installed}"
    );
    assert!(outputs.contains(&format!("version={}", version())));
    let version_out = tokio::process::Command::new(&installed)
        .arg("--version")
        .output()
        .await
        .unwrap();
    let shown = text(&version_out.stdout);
    assert!(
        shown.starts_with(&format!("shiprig {} (commit ", version())),
        "{shown}"
    );
    // The version came from the action's own Cargo.toml; the asset and checksum were asked for.
    assert_eq!(
        releases.requested.lock().unwrap().clone(),
        vec![asset_path(), format!("{}.sha256", asset_path())]
    );

    // A second run in the same job takes the tool cache and downloads nothing.
    let again = runner.install(&url).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("(tool cache)"));
    assert_eq!(releases.requested.lock().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_checksum_refuses_and_says_why() {
    let work = tempfile::tempdir().unwrap();
    let (bytes, _) = packed_stand_in(work.path());
    let wrong = "0".repeat(64);
    let releases = Releases::default();
    {
        let mut files = releases.files.lock().unwrap();
        files.insert(asset_path(), bytes);
        let line = format!("{wrong}  shiprig-{}.tar.gz\n", target());
        files.insert(format!("{}.sha256", asset_path()), line.into_bytes());
    }
    let url = start(releases).await;
    let runner = Runner::new(work.path());
    let out = runner.install(&url).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("checksum mismatch"), "{stderr}");
    assert!(
        stderr.contains(&format!("the release says {wrong}")),
        "{stderr}"
    );
    assert!(stderr.contains("refusing to install it"), "{stderr}");
    assert!(text(&out.stdout).contains("::error title=shiprig install::checksum mismatch"));
    assert!(
        !runner.outputs().contains("path="),
        "no binary is published"
    );
    assert!(
        !has_binary(&runner.tool_cache),
        "nothing lands in the tool cache"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_checksum_refuses_rather_than_trusting_the_download() {
    let work = tempfile::tempdir().unwrap();
    let (bytes, _) = packed_stand_in(work.path());
    let releases = Releases::default();
    releases.files.lock().unwrap().insert(asset_path(), bytes);
    let url = start(releases).await;
    let runner = Runner::new(work.path());
    let out = runner.install(&url).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("refusing an unverified binary"), "{stderr}");
    assert!(stderr.contains("HTTP 404"), "{stderr}");
    assert!(!has_binary(&runner.tool_cache));
}

fn has_binary(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let path = e.path();
        if path.is_dir() {
            has_binary(&path)
        } else {
            path.file_name().is_some_and(|n| n == "shiprig")
        }
    })
}

async fn run_action(command: &str, args: &str, output: &Path) -> Output {
    tokio::process::Command::new("bash")
        .arg(format!("{ROOT}/scripts/run.sh"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SHIPRIG_BIN", env!("CARGO_BIN_EXE_shiprig"))
        .env("SHIPRIG_COMMAND", command)
        .env("SHIPRIG_ARGS", args)
        .env("GITHUB_OUTPUT", output)
        .output()
        .await
        .unwrap()
}

/// The `result` output, read back the way the runner reads a `name<<DELIMITER` block.
fn result_output(outputs: &str) -> serde_json::Value {
    let mut lines = outputs.lines();
    let delimiter = lines
        .by_ref()
        .find_map(|l| l.strip_prefix("result<<"))
        .expect("a result output")
        .to_string();
    let body: Vec<&str> = lines.take_while(|l| *l != delimiter).collect();
    serde_json::from_str(&body.join("\n")).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_run_step_publishes_the_verdict_and_the_json_result() {
    let work = tempfile::tempdir().unwrap();
    let output = work.path().join("out");
    let good = format!("{ROOT}/tests/fixtures/config/reference.yml");
    let out = run_action("config validate", &good, &output).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let outputs = std::fs::read_to_string(&output).unwrap();
    assert!(outputs.contains("verdict=ok\n") && outputs.contains("exit-code=0\n"));
    assert_eq!(result_output(&outputs)["valid"], true);

    let bad_output = work.path().join("bad");
    let typo = format!("{ROOT}/tests/fixtures/config/typo.yml");
    let out = run_action("config validate", &typo, &bad_output).await;
    assert_eq!(out.status.code(), Some(2));
    let outputs = std::fs::read_to_string(&bad_output).unwrap();
    assert!(outputs.contains("verdict=usage\n"), "{outputs}");
    assert_eq!(result_output(&outputs)["line"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn case_18_arguments_are_argv_never_shell() {
    let work = tempfile::tempdir().unwrap();
    let marker = work.path().join("pwned");
    let args = format!("$(touch {m}) ;touch {m}", m = marker.display());
    let out = run_action("config validate", &args, &work.path().join("out")).await;
    assert_ne!(out.status.code(), Some(0));
    assert!(!marker.exists(), "an argument was run by a shell");
}
