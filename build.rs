//! Embeds where this binary comes from: the commit (`SHIPRIG_COMMIT`, else `git rev-parse
//! HEAD`, else "unknown") and the repository its action lives in (`SHIPRIG_REPOSITORY`, else
//! `GITHUB_REPOSITORY` of a build in Actions, else `shiprig/shiprig`). `shiprig init` pins
//! the workflows it writes to that commit, so a released binary pins its own release.
//!
//! Only the variables rerun this script: a local commit does not rebuild everything.

use std::process::Command;

fn main() {
    for var in [
        "SHIPRIG_COMMIT",
        "SHIPRIG_REPOSITORY",
        "GITHUB_REPOSITORY",
        "GITHUB_SHA",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    let commit = std::env::var("SHIPRIG_COMMIT")
        .ok()
        .or_else(git_head)
        .filter(|c| is_sha(c))
        .unwrap_or_else(|| "unknown".into());
    let repository = std::env::var("SHIPRIG_REPOSITORY")
        .or_else(|_| std::env::var("GITHUB_REPOSITORY"))
        .ok()
        .filter(|r| r.split('/').count() == 2)
        .unwrap_or_else(|| "shiprig/shiprig".into());
    println!("cargo:rustc-env=SHIPRIG_BUILD_COMMIT={commit}");
    println!("cargo:rustc-env=SHIPRIG_BUILD_REPOSITORY={repository}");
}

fn git_head() -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn is_sha(s: &str) -> bool {
    s.len() == 40 && s.chars().all(|c| c.is_ascii_hexdigit())
}
