//! `shiprig init` through the binary: each phase into an empty folder gives files that keep
//! the workflow rules (docs/security.md#case-31) and a config `shiprig config validate` accepts;
//! a user's file is never overwritten without `--force`, and a diff shows what would change.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::text;
use crate::support::workflow::{parse, workflow_problems};

fn shiprig(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shiprig"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .expect("the shiprig binary runs")
}

fn files_under(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                found.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn each_phase_writes_valid_config_and_safe_workflows() {
    let expected_workflows = [0, 6, 8, 8, 9];
    for phase in 1..=4u8 {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap();
        let out = shiprig(&["init", "--phase", &phase.to_string(), "--dir", root]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "phase {phase}: {}",
            text(&out.stderr)
        );
        let files = files_under(dir.path());
        assert!(
            files.contains(&".github/shiprig.yml".to_string()),
            "{files:?}"
        );
        assert!(files.contains(&".github/CODEOWNERS.template".to_string()));
        let workflows: Vec<&String> = files
            .iter()
            .filter(|f| f.starts_with(".github/workflows/"))
            .collect();
        let wanted = expected_workflows[usize::from(phase)] + usize::from(phase >= 3) * 2;
        assert_eq!(workflows.len(), wanted, "phase {phase}: {workflows:?}");
        for file in &workflows {
            let body = std::fs::read_to_string(dir.path().join(file)).unwrap();
            let problems = workflow_problems(file, &parse(file, &body));
            assert!(problems.is_empty(), "phase {phase}: {problems:#?}");
        }
        let config = dir.path().join(".github/shiprig.yml");
        let validate = shiprig(&["config", "validate", config.to_str().unwrap()]);
        assert_eq!(
            validate.status.code(),
            Some(0),
            "phase {phase}: {}",
            text(&validate.stderr)
        );
        assert_eq!(
            files.contains(&".github/workflows/shiprig-agent.yml".to_string()),
            phase >= 3,
            "phase {phase}"
        );
    }
}

#[test]
fn phase_3_schedules_the_conductor_and_writes_the_agent_workflow_the_config_dispatches() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    assert_eq!(
        shiprig(&["init", "--phase", "3", "--dir", root])
            .status
            .code(),
        Some(0)
    );
    let read = |path: &str| std::fs::read_to_string(dir.path().join(path)).unwrap();
    let conductor = parse(
        "conductor",
        &read(".github/workflows/shiprig-conductor.yml"),
    );
    assert!(conductor["on"]["schedule"][0]["cron"].is_string());
    let config = parse("config", &read(".github/shiprig.yml"));
    let workflow = config["conductor"]["dispatch"]["github_actions"]["workflow"]
        .as_str()
        .unwrap();
    let agent = parse("agent", &read(&format!(".github/workflows/{workflow}")));
    assert!(agent["on"]["workflow_dispatch"]["inputs"]["issue"].is_object());
    assert!(agent["on"]["workflow_dispatch"]["inputs"]["agent"].is_object());
}

#[test]
fn a_users_file_is_kept_and_diffed_until_force() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    assert_eq!(shiprig(&["init", "--dir", root]).status.code(), Some(0));
    let again = shiprig(&["init", "--dir", root]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        text(&again.stdout)
            .lines()
            .all(|l| l.starts_with("unchanged: ")),
        "{}",
        text(&again.stdout)
    );

    let config = dir.path().join(".github/shiprig.yml");
    std::fs::write(&config, "version: 1\n# mine\n").unwrap();
    let refused = shiprig(&["init", "--dir", root]);
    assert_eq!(refused.status.code(), Some(1), "a kept file is a no");
    let stdout = text(&refused.stdout);
    assert!(
        stdout.contains("kept (differs; --force replaces it): .github/shiprig.yml"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--- a/.github/shiprig.yml") && stdout.contains("-# mine"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "version: 1\n# mine\n"
    );

    let json = shiprig(&["--json", "init", "--dir", root, "--force", "--dry-run"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let actions: Vec<&str> = value["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "overwrite").count(),
        1,
        "{actions:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "version: 1\n# mine\n",
        "dry run"
    );

    let forced = shiprig(&["init", "--dir", root, "--force"]);
    assert_eq!(forced.status.code(), Some(0));
    assert!(text(&forced.stdout).contains("overwrote: .github/shiprig.yml"));
    assert!(std::fs::read_to_string(&config).unwrap().contains("gate:"));
}

#[test]
fn a_dry_run_writes_nothing_and_a_bad_phase_is_usage() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    let out = shiprig(&["init", "--phase", "2", "--dir", root, "--dry-run"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("would create: .github/workflows/shiprig-release.yml"));
    assert!(files_under(dir.path()).is_empty());
    let bad = shiprig(&["init", "--phase", "5", "--dir", root]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("expected 1, 2, 3 or 4"));
    assert!(files_under(dir.path()).is_empty());
}

fn merge_follows(root: &Path) -> Vec<String> {
    let file = ".github/workflows/shiprig-merge.yml";
    let text = std::fs::read_to_string(root.join(file)).unwrap();
    let doc = parse(file, &text);
    doc.pointer("/on/workflow_run/workflows")
        .and_then(|w| w.as_array())
        .into_iter()
        .flatten()
        .filter_map(|w| w.as_str().map(str::to_string))
        .collect()
}

/// A repository without CI gets a starting one for its language, which keeps the workflow
/// rules and which the merge follows; a second run changes nothing.
#[test]
fn a_repository_without_ci_gets_a_starting_one_the_merge_follows() {
    for (marker, command) in [
        ("Cargo.toml", "cargo test --locked"),
        ("go.mod", "go test ./..."),
        ("package.json", "npm test"),
        ("requirements.txt", "python -m pytest"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap();
        std::fs::write(dir.path().join(marker), "").unwrap();
        let out = shiprig(&["init", "--phase", "1", "--dir", root]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let printed = text(&out.stdout);
        assert!(
            printed.contains("created: .github/workflows/ci.yml"),
            "{printed}"
        );
        assert!(printed.contains("adapt its commands"), "{printed}");
        let ci = std::fs::read_to_string(dir.path().join(".github/workflows/ci.yml")).unwrap();
        assert!(ci.contains(command), "{marker}: {ci}");
        let problems = workflow_problems("ci.yml", &parse("ci.yml", &ci));
        assert!(problems.is_empty(), "{marker}: {problems:#?}");
        assert_eq!(
            merge_follows(dir.path()),
            ["shiprig review", "ci"],
            "{marker}"
        );

        let again = shiprig(&["init", "--phase", "1", "--dir", root]);
        assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
        assert!(
            !text(&again.stdout).contains("created"),
            "{}",
            text(&again.stdout)
        );
    }
}

/// A repository with CI keeps its own: nothing is added, and the merge follows it by name.
#[test]
fn a_repositorys_own_ci_is_followed_and_no_starter_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), "").unwrap();
    std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
    std::fs::write(
        dir.path().join(".github/workflows/build.yml"),
        "name: Build\non: [pull_request]\njobs:\n  b:\n    runs-on: ubuntu-24.04\n    steps: [{run: make}]\n",
    )
    .unwrap();
    let out = shiprig(&["init", "--phase", "1", "--dir", root]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!dir.path().join(".github/workflows/ci.yml").exists());
    assert!(!text(&out.stdout).contains("adapt its commands"));
    assert_eq!(merge_follows(dir.path()), ["shiprig review", "Build"]);
}

/// The lines from "next steps:" on.
fn next_steps_block(stdout: &str) -> String {
    match stdout.find("next steps:") {
        Some(at) => stdout[at..].to_string(),
        None => String::new(),
    }
}

/// `init` ends with the next steps, in order: CODEOWNERS, the commit, bootstrap, doctor, then
/// the GitHub App, its permissions and where its id and key go.
#[test]
fn init_ends_with_the_next_steps_in_order() {
    for phase in [1u8, 3] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap();
        let out = shiprig(&["init", "--phase", &phase.to_string(), "--dir", root]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let steps = next_steps_block(&stdout);
        assert!(stdout.ends_with(&steps) && !steps.is_empty(), "{stdout}");
        // Run elsewhere, the steps start in the repository's folder.
        let steps = steps.replace(root, "DIR");
        let at = |needle: &str| {
            steps
                .find(needle)
                .unwrap_or_else(|| panic!("phase {phase}: no {needle:?} in\n{steps}"))
        };
        let order = [
            at("1. cd DIR"),
            at("2. shiprig codeowners"),
            at("git commit"),
            at("shiprig bootstrap"),
            at("shiprig doctor"),
            at("create a GitHub App"),
            at("Pull requests: read and write"),
            at("SHIPRIG_APP_ID"),
            at("SHIPRIG_APP_PRIVATE_KEY"),
        ];
        assert!(order.is_sorted(), "phase {phase}: {order:?}\n{steps}");
        insta::assert_snapshot!(format!("next_steps_phase_{phase}"), steps);
    }
}

/// Each `shiprig` command the steps name exists with the flags they give it; each secret and
/// variable they name is one the written workflows read.
#[test]
fn the_next_steps_name_real_commands_and_the_secrets_the_workflows_read() {
    for phase in 1..=4u8 {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap();
        let out = shiprig(&["init", "--phase", &phase.to_string(), "--dir", root]);
        let steps = next_steps_block(&text(&out.stdout));
        let commands: Vec<&str> = steps
            .lines()
            .filter_map(|l| l.trim_start().split_once(". shiprig ").map(|(_, c)| c))
            .collect();
        assert!(commands.len() >= 3, "phase {phase}: {commands:?}");
        for command in commands {
            let words: Vec<&str> = command.split_whitespace().collect();
            let (path, flags): (Vec<&str>, Vec<&str>) =
                words.iter().partition(|w| !w.starts_with('-'));
            let path: Vec<&str> = path.into_iter().take_while(|w| !w.contains('/')).collect();
            let mut args = path.clone();
            args.push("--help");
            let help = shiprig(&args);
            assert_eq!(help.status.code(), Some(0), "`shiprig {command}`");
            for flag in flags {
                assert!(
                    text(&help.stdout).contains(flag),
                    "`shiprig {command}`: no {flag}"
                );
            }
        }
        let workflows: String = files_under(dir.path())
            .iter()
            .filter(|f| f.starts_with(".github/workflows/"))
            .map(|f| std::fs::read_to_string(dir.path().join(f)).unwrap())
            .collect();
        let secrets = steps
            .lines()
            .find_map(|l| l.split_once("set the secrets ").map(|(_, s)| s.to_string()))
            .unwrap_or_else(|| panic!("phase {phase}: no secrets step\n{steps}"));
        for name in secrets.split(", ").chain(["SHIPRIG_APP_PRIVATE_KEY"]) {
            assert!(
                workflows.contains(&format!("secrets.{name} ")),
                "phase {phase}: no workflow reads the secret {name}"
            );
        }
        assert!(workflows.contains("vars.SHIPRIG_APP_ID "));
    }
}

/// `--json` keeps stdout one JSON document and carries the steps as a field.
#[test]
fn init_json_carries_the_next_steps_as_a_field() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    let out = shiprig(&["--json", "init", "--dir", root]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps: Vec<&str> = value["next_steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps[..2], [&format!("cd {root}"), "shiprig codeowners"]);
    assert!(
        value["next_steps"][0]["details"][0].is_string(),
        "{value:#}"
    );
    let again = shiprig(&["--json", "init", "--dir", root]);
    let value: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        value["next_steps"],
        serde_json::json!([]),
        "nothing changed"
    );
}

/// Run in the repository's folder, the steps start with CODEOWNERS.
#[test]
fn in_the_repositorys_folder_the_steps_start_with_codeowners() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_shiprig"))
        .arg("init")
        .current_dir(dir.path())
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let steps = next_steps_block(&text(&out.stdout));
    assert!(
        steps.starts_with("next steps:\n  1. shiprig codeowners\n"),
        "{steps}"
    );
}
