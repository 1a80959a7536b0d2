//! Repositories that `conductor run` serves together on one emulator: the conductor's bot, a
//! maintainer `pm`, the agent workflow and approved issues in each.

use std::sync::Arc;

use shiprig::emulator::{Emulator, Permission, UserKind};
use shiprig::github::{ClientOptions, Credentials, FakeClock, GitHub, Secret};

/// The conductor's token.
pub const TOKEN: &str = "ghs_service_token";

/// `repos`, each with `issues` approved issues, and a client acting as the conductor on a fake
/// clock; `tune` sets what a test needs of the client (its timeout, its retry budget).
pub async fn world(
    repos: &[&str],
    issues: u64,
    tune: impl FnOnce(&mut ClientOptions),
) -> (Emulator, GitHub) {
    let emulator = Emulator::start().await.unwrap();
    {
        let mut model = emulator.model();
        model.add_user("conductor[bot]", UserKind::Bot);
        model.add_token(TOKEN, "conductor[bot]");
        model.add_user("pm", UserKind::User);
        for &repo in repos {
            let (owner, name) = repo.split_once('/').unwrap();
            model.add_repo(owner, name, "main");
            model.set_permission(repo, "conductor[bot]", Permission::Write);
            model.set_permission(repo, "pm", Permission::Maintain);
            model.set_file(
                repo,
                "main",
                ".github/workflows/shiprig-agent.yml",
                "run-name: \"shiprig agent ${{ inputs.agent }} on #${{ inputs.issue }}\"\n",
            );
            for n in 1..=issues {
                let number = model.create_issue(repo, &format!("{repo} work {n}"), "", &[], "pm");
                model.add_label(repo, number, "approved", "pm");
            }
        }
    }
    let clock = FakeClock::new(emulator.model().now());
    let mut options = ClientOptions::new(emulator.url(), Credentials::Token(Secret::new(TOKEN)));
    tune(&mut options);
    let gh = GitHub::with_clock(options, Arc::new(clock)).unwrap();
    (emulator, gh)
}
