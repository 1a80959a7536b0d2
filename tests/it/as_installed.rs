//! What an installed rig meets on real GitHub, through the binary against the emulator: more
//! than 250 commits since the last release, required checks that only rulesets and the
//! branch's summary show (the Actions token cannot read classic protection), the gate run by
//! the action's own `scripts/run.sh`, and `shiprig codeowners`.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};
use shiprig::emulator::{Permission, ReviewState, UserKind};

use crate::support::pipeline::{BOT, PipelineRig, REPO, printed};
use crate::support::text;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// 1 `feat` followed by 300 fixes after `v0.1.0`: GitHub's unpaged compare would show only the
/// newest 250 of them and lose the feature.
#[tokio::test(flavor = "multi_thread")]
async fn release_pr_reads_every_page_of_a_long_history() {
    let rig = PipelineRig::new("version: 1\n").await;
    let base = rig.commit("main", &[("a.txt", "0\n")], "chore: start");
    let (status, body) = rig
        .api(
            "POST",
            &format!("/repos/{REPO}/git/refs"),
            json!({"ref": "refs/tags/v0.1.0", "sha": base}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    rig.commit("main", &[("b.txt", "b\n")], "feat: the old feature");
    for n in 0..300 {
        let content = format!("{n}\n");
        rig.commit(
            "main",
            &[("a.txt", content.as_str())],
            &format!("fix: number {n}"),
        );
    }
    let head = rig.main_sha();

    // The emulator caps an unpaged compare the way GitHub does, and pages the whole of it.
    let compare = format!("/repos/{REPO}/compare/v0.1.0...{head}");
    let (_, unpaged) = rig.api("GET", &compare, Value::Null).await;
    assert_eq!(unpaged["total_commits"], 301);
    let listed = unpaged["commits"].as_array().unwrap();
    assert_eq!(listed.len(), 250);
    assert_eq!(listed[249]["sha"], head.as_str(), "the newest is last");
    let (_, last_page) = rig
        .api(
            "GET",
            &format!("{compare}?per_page=100&page=4"),
            Value::Null,
        )
        .await;
    assert_eq!(last_page["commits"].as_array().unwrap().len(), 1);

    let out = rig
        .run(
            &["--json", "release-pr", "--dry-run"],
            &[("GITHUB_SHA", &head)],
        )
        .await;
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["prepared"]["tag"], "v0.2.0", "{all}");
    let changelog = report["prepared"]["changelog"].as_str().unwrap();
    assert!(changelog.contains("the old feature"), "{changelog}");
    assert!(changelog.contains("number 0") && changelog.contains("number 299"));
}

/// A pull request, its gate passed and approved by a maintainer.
fn ready_pull(rig: &PipelineRig) -> (u64, String) {
    rig.commit("feature", &[("src/x.rs", "x\n")], "feat: x");
    let pull = rig
        .emu
        .model()
        .create_pull(REPO, "feature", "main", "feat: x", "", "dev");
    let head = rig.emu.model().pull(REPO, pull).unwrap().head_sha;
    rig.emu
        .model()
        .add_review(REPO, pull, "mia", ReviewState::Approved, "");
    (pull, head)
}

/// With the Actions token (a bot with write, no admin), `merge` learns the required checks
/// from the repository's rulesets and the branch's protection summary, never from classic
/// protection, and waits for them.
#[tokio::test(flavor = "multi_thread")]
async fn merge_waits_for_checks_required_by_rulesets_and_protection_without_admin() {
    let rig = PipelineRig::new("version: 1\n").await;
    {
        let mut m = rig.emu.model();
        m.add_user("dev", UserKind::User);
        m.set_permission(REPO, "dev", Permission::Write);
        m.set_permission(REPO, BOT, Permission::Write);
        m.set_file(REPO, "main", ".github/shiprig.yml", "version: 1\n");
        m.require_checks_by_ruleset(REPO, "main", &["ci/build"]);
        m.set_protection(
            REPO,
            "main",
            json!({"required_status_checks": {"strict": false, "contexts": ["ci/lint"]},
                   "enforce_admins": false, "required_pull_request_reviews": null,
                   "restrictions": null}),
        );
    }
    let (pull, head) = ready_pull(&rig);
    let (status, _) = rig
        .api(
            "POST",
            &format!("/repos/{REPO}/check-runs"),
            json!({"name": "shiprig/human-gate", "head_sha": head, "status": "completed", "conclusion": "success"}),
        )
        .await;
    assert_eq!(status, 201);
    // The Actions token cannot read classic protection.
    let (denied, _) = rig
        .api(
            "GET",
            &format!("/repos/{REPO}/branches/main/protection"),
            Value::Null,
        )
        .await;
    assert_eq!(denied, 403);
    let before = rig.emu.requests().len();

    let pr = pull.to_string();
    let out = rig.run(&["merge", "--pr", &pr], &[]).await;
    let waiting = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{waiting}");
    assert!(
        waiting.contains("required check `ci/build` has not reported")
            && waiting.contains("required check `ci/lint` has not reported"),
        "{waiting}"
    );
    assert!(!rig.emu.model().pull(REPO, pull).unwrap().merged);
    for context in ["ci/build", "ci/lint"] {
        let (status, _) = rig
            .api(
                "POST",
                &format!("/repos/{REPO}/statuses/{head}"),
                json!({"state": "success", "context": context}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let out = rig.run(&["merge", "--pr", &pr], &[]).await;
    let merged = printed(&out);
    assert!(merged.contains("merged"), "{merged}");
    assert!(rig.emu.model().pull(REPO, pull).unwrap().merged);
    let asked: Vec<String> = rig.emu.requests()[before..]
        .iter()
        .filter(|r| r.path.ends_with("/protection"))
        .map(|r| format!("{} {} {:?}", r.method, r.path, r.actor))
        .collect();
    assert!(
        asked.is_empty(),
        "merge never asks for classic protection: {asked:?}"
    );
}

const GATED: &str = "version: 1\nnotify:\n  slack: {webhook_url_env: SLACK_WEBHOOK_URL}\ngate:\n  rules:\n    auth: {paths: [\"src/auth/**\"], owners: [\"@alice\"]}\n";

/// `scripts/run.sh` as the action runs it, with the rig's environment minus the local config.
fn run_step(rig: &PipelineRig, command: &str, args: &str, output: &Path) -> Output {
    let mut step = std::process::Command::new("bash");
    step.arg(format!("{ROOT}/scripts/run.sh"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SHIPRIG_BIN", env!("CARGO_BIN_EXE_shiprig"))
        .env("SHIPRIG_COMMAND", command)
        .env("SHIPRIG_ARGS", args)
        .env("GITHUB_OUTPUT", output);
    for (name, value) in rig.env() {
        if name != "SHIPRIG_CONFIG" {
            step.env(name, value);
        }
    }
    step.output().unwrap()
}

/// A gated pull request: the gate posts its verdict, the step stays green with `verdict=no`
/// and `exit-code=1`, and Slack hears "human review needed" once, however often it reruns.
#[tokio::test(flavor = "multi_thread")]
async fn the_gate_step_is_green_on_a_posted_verdict_and_slack_hears_it_once() {
    let rig = PipelineRig::new("version: 1\n").await;
    {
        let mut m = rig.emu.model();
        m.set_file(REPO, "main", ".github/shiprig.yml", GATED);
        m.add_user("dev", UserKind::User);
        m.set_permission(REPO, "dev", Permission::Write);
    }
    rig.commit(
        "login",
        &[("src/auth/login.rs", "fn login() {}\n")],
        "feat: login",
    );
    let pull = rig
        .emu
        .model()
        .create_pull(REPO, "login", "main", "feat: login", "", "dev");
    let work = tempfile::tempdir().unwrap();
    for round in 0..2 {
        let output = work.path().join(format!("out-{round}"));
        let step = run_step(&rig, "gate", &format!("--pr {pull}"), &output);
        let all = format!("{}{}", text(&step.stdout), text(&step.stderr));
        assert_eq!(step.status.code(), Some(0), "round {round}: {all}");
        let outputs = std::fs::read_to_string(&output).unwrap();
        assert!(
            outputs.contains("verdict=no\n") && outputs.contains("exit-code=1\n"),
            "{outputs}"
        );
    }
    let head = rig.emu.model().pull(REPO, pull).unwrap().head_sha;
    let (_, checks) = rig
        .api(
            "GET",
            &format!("/repos/{REPO}/commits/{head}/check-runs"),
            Value::Null,
        )
        .await;
    assert_eq!(checks["check_runs"][0]["conclusion"], "failure", "{checks}");
    let texts = rig.slack.texts();
    assert_eq!(texts.len(), 1, "{texts:#?}");
    assert!(
        texts[0].contains("#1") && texts[0].contains("auth") && texts[0].contains("alice"),
        "{}",
        texts[0]
    );

    // A gate that cannot judge (no such pull request) still fails the job.
    let step = run_step(&rig, "gate", "--pr 99", &work.path().join("bad"));
    assert_ne!(step.status.code(), Some(0));
    assert_ne!(step.status.code(), Some(1));
}

fn shiprig(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_shiprig"))
        .args(args)
        .env_clear()
        .output()
        .unwrap()
}

/// `shiprig codeowners` writes CODEOWNERS from the gate's rules; `--check` names the drift.
#[test]
fn codeowners_follows_the_gate_rules_and_check_shows_the_drift() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    assert_eq!(shiprig(&["init", "--dir", root]).status.code(), Some(0));
    let config = dir.path().join(".github/shiprig.yml");
    let text_before = std::fs::read_to_string(&config).unwrap();
    let owned = text_before.replace(
        "auth: {paths: [\"src/auth/**\", \"**/session*\"]}",
        "auth: {paths: [\"src/auth/**\", \"**/session*\"], owners: [\"@acme/security\"]}",
    );
    assert_ne!(owned, text_before);
    std::fs::write(&config, owned).unwrap();

    let check = shiprig(&["codeowners", "--check", "--dir", root]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check.stderr));
    assert!(text(&check.stdout).contains("+/src/auth/** @acme/security"));
    assert!(
        !dir.path().join(".github/CODEOWNERS").exists(),
        "--check writes nothing"
    );

    let write = shiprig(&["codeowners", "--dir", root]);
    assert_eq!(write.status.code(), Some(0));
    let written = std::fs::read_to_string(dir.path().join(".github/CODEOWNERS")).unwrap();
    assert!(written.contains("/src/auth/** @acme/security\n**/session* @acme/security\n"));
    assert!(written.contains("# no `owners` for `payments`"));
    assert_eq!(
        shiprig(&["codeowners", "--check", "--dir", root])
            .status
            .code(),
        Some(0)
    );
}

/// Every `shiprig …` command the README, the docs and doctor's advice name exists.
#[test]
fn every_command_the_readme_and_doctor_suggest_exists() {
    let mut sources = std::fs::read_to_string(format!("{ROOT}/README.md")).unwrap();
    for page in std::fs::read_dir(format!("{ROOT}/docs")).unwrap() {
        let path = page.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            sources.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    sources.push_str(&std::fs::read_to_string(format!("{ROOT}/src/setup/doctor.rs")).unwrap());
    // Inline code (`shiprig …`) and command lines in code blocks (`$ shiprig …`, `shiprig …`).
    let inline = sources
        .match_indices("`shiprig ")
        .filter_map(|(at, _)| sources[at + 1..].split('`').next());
    let mut fenced = false;
    let lines = sources
        .lines()
        .filter(|l| {
            if l.trim_start().starts_with("```") {
                fenced = !fenced;
            }
            fenced
        })
        .map(|l| l.trim_start().trim_start_matches("$ "))
        .filter(|l| l.starts_with("shiprig "))
        .map(|l| l.split('#').next().unwrap_or(l));
    let mut commands: Vec<Vec<String>> = inline
        .chain(lines)
        .filter_map(|c| c.strip_prefix("shiprig "))
        .map(|rest| {
            rest.split_whitespace()
                .take_while(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
                .filter(|w| !w.starts_with('-'))
                .map(str::to_string)
                .collect()
        })
        .filter(|words: &Vec<String>| !words.is_empty())
        .collect();
    // The agent workflow's run name (`shiprig agent <agent> on #<issue>`) is not a command.
    commands.retain(|c| c.first().is_none_or(|w| w != "agent"));
    commands.sort();
    commands.dedup();
    for expected in [
        ["codeowners"].as_slice(),
        &["init"],
        &["labels", "sync"],
        &["bootstrap"],
    ] {
        assert!(
            commands.iter().any(|c| c == expected),
            "{expected:?} in {commands:?}"
        );
    }
    for words in &commands {
        let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
        args.push("--help");
        let out = shiprig(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "`shiprig {}` does not exist: {}",
            words.join(" "),
            text(&out.stderr)
        );
    }
}

/// "Critical issue filed" comes with the `labeled` event that makes approved work critical:
/// once, and never from a scheduled tick or another label's event.
#[tokio::test(flavor = "multi_thread")]
async fn a_critical_issue_is_told_once_by_the_event_that_files_it() {
    let rig =
        PipelineRig::new("version: 1\nnotify:\n  slack: {webhook_url_env: SLACK_WEBHOOK_URL}\n")
            .await;
    let issue = {
        let mut m = rig.emu.model();
        let n = m.create_issue(REPO, "Checkout crashes on an empty cart", "", &[], "mia");
        m.add_label(REPO, n, "approved", "mia");
        m.add_label(REPO, n, "critical", "mia");
        n
    };
    let (_, current) = rig
        .api("GET", &format!("/repos/{REPO}/issues/{issue}"), Value::Null)
        .await;
    let event = |label: &str| {
        let mut payload: Value = serde_json::from_str(
            &std::fs::read_to_string(format!(
                "{ROOT}/tests/fixtures/github/webhook-examples.json"
            ))
            .unwrap(),
        )
        .unwrap();
        payload = payload
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"] == "issues")
            .unwrap()["examples"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "labeled")
            .unwrap()
            .clone();
        payload["issue"] = current.clone();
        payload["label"]["name"] = json!(label);
        let path = rig.dir.path().join(format!("labeled-{label}.json"));
        std::fs::write(&path, payload.to_string()).unwrap();
        path.display().to_string()
    };
    let critical = event("critical");
    let bug = event("bug");
    for path in [&critical, &bug] {
        let out = rig
            .run(
                &["conductor", "tick"],
                &[("GITHUB_EVENT_NAME", "issues"), ("GITHUB_EVENT_PATH", path)],
            )
            .await;
        assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    }
    let out = rig.run(&["conductor", "tick"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let texts = rig.slack.texts();
    let filed: Vec<&String> = texts
        .iter()
        .filter(|t| t.contains("Critical issue filed"))
        .collect();
    assert_eq!(filed.len(), 1, "{texts:#?}");
    assert!(
        filed[0].contains("Checkout crashes on an empty cart"),
        "{}",
        filed[0]
    );
}
