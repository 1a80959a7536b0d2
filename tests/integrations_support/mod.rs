//! Shared by the integrations stories: an emulated repository, and the real binary run against
//! it with a clean environment.

#![allow(dead_code)]

use std::process::Output;

use shiprig::demo::World;

pub const TOKEN: &str = "ghs_integrations_test_token";

pub async fn world() -> World {
    let world = World::new().await.expect("the world starts");
    world
        .emulator
        .model()
        .add_token(TOKEN, shiprig::demo::world::CONDUCTOR_LOGIN);
    world
}

pub fn github_env(world: &World) -> Vec<(String, String)> {
    vec![
        ("GITHUB_API_URL".into(), world.emulator.url()),
        ("GITHUB_REPOSITORY".into(), world.full_name()),
        ("GITHUB_TOKEN".into(), TOKEN.into()),
    ]
}

/// Runs the binary off the async runtime, so the fakes keep answering.
pub async fn shiprig(args: &[&str], env: Vec<(String, String)>) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_shiprig"));
        command
            .args(&args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default());
        for (name, value) in env {
            command.env(name, value);
        }
        command.output().expect("the shiprig binary runs")
    })
    .await
    .expect("the binary's thread finishes")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes `text` to a temporary file that lives as long as the returned handle.
pub fn file(name: &str, text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("the file is written");
    let shown = path.display().to_string();
    (dir, shown)
}
