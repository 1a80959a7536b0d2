//! `shiprig deploy ENV` through the binary against the emulator: statuses, the command's
//! environment, `before` commands, failures, and a timeout that kills the whole command.

use serde_json::Value;

use crate::support::pipeline::{PipelineRig, REPO, printed};

fn config(dir: &std::path::Path, before: &str, command: &str, timeout: &str) -> String {
    format!(
        "version: 1\nnotify: {{slack: {{webhook_url_env: SLACK_WEBHOOK_URL}}}}\ndeploy:\n  staging:\n    before: {before}\n    command: {command}\n    url: https://staging.example.com\n    timeout: {timeout}\n# {}\n",
        dir.display()
    )
}

async fn rig_with(before: &str, command: &str, timeout: &str) -> PipelineRig {
    let rig = PipelineRig::new("version: 1\n").await;
    let text = config(rig.dir.path(), before, command, timeout);
    std::fs::write(&rig.config, text).unwrap();
    rig
}

fn sh(script: &str) -> String {
    serde_json::to_string(&["sh", "-c", script]).unwrap()
}

const ACTIONS: [(&str, &str); 2] = [
    ("GITHUB_SERVER_URL", "https://github.example"),
    ("GITHUB_RUN_ID", "4242"),
];

#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_runs_before_then_the_command_with_its_environment_and_reports_success() {
    let rig = PipelineRig::new("version: 1\n").await;
    let out_file = rig.dir.path().join("seen.txt");
    let script = format!(
        "echo \"$SHIPRIG_ENVIRONMENT $SHIPRIG_SHA\" >> {0}; echo deploying",
        out_file.display()
    );
    let before = format!(
        "[{}]",
        sh(&format!("echo backup >> {}", out_file.display()))
    );
    std::fs::write(
        &rig.config,
        config(rig.dir.path(), &before, &sh(&script), "1m"),
    )
    .unwrap();
    let sha = rig.main_sha();
    let mut env = ACTIONS.to_vec();
    env.push(("GITHUB_SHA", &sha));
    let out = rig.run(&["--json", "deploy", "staging"], &env).await;
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("deploying"),
        "the command's output is streamed: {all}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["steps"].as_array().unwrap().len(), 2);
    let seen = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(seen, format!("backup\nstaging {sha}\n"));
    let statuses = rig.emu.model().deployment_statuses(REPO);
    let log = "https://github.example/acme/widgets/actions/runs/4242".to_string();
    let url = "https://staging.example.com".to_string();
    assert_eq!(
        statuses,
        vec![
            (
                "staging".into(),
                "in_progress".into(),
                url.clone(),
                log.clone()
            ),
            ("staging".into(), "success".into(), url, log),
        ]
    );
    assert_eq!(
        rig.emu.model().deployments(REPO),
        vec![("staging".into(), sha.clone(), Some("success".into()))]
    );
    let texts = rig.slack.texts();
    assert_eq!(texts.len(), 1);
    assert!(
        texts[0].contains(&format!("deployed `{}` to *staging*", &sha[..7])),
        "{texts:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_command_gives_a_failure_status_exit_1_and_a_slack_message() {
    let rig = rig_with("[]", &sh("echo boom >&2; exit 3"), "1m").await;
    let out = rig
        .run(&["deploy", "staging"], &[("GITHUB_SHA", &rig.main_sha())])
        .await;
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("boom") && all.contains("exited with 3"),
        "{all}"
    );
    let states: Vec<String> = rig
        .emu
        .model()
        .deployment_statuses(REPO)
        .into_iter()
        .map(|s| s.1)
        .collect();
    assert_eq!(states, ["in_progress", "failure"]);
    let texts = rig.slack.texts();
    assert_eq!(texts.len(), 1);
    assert!(
        texts[0].contains("failed to deploy") && texts[0].contains("exited with 3"),
        "{texts:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_before_command_stops_the_deploy() {
    let rig = PipelineRig::new("version: 1\n").await;
    let marker = rig.dir.path().join("deployed");
    let command = format!("[\"touch\", \"{}\"]", marker.display());
    std::fs::write(
        &rig.config,
        config(rig.dir.path(), "[[\"false\"]]", &command, "1m"),
    )
    .unwrap();
    let out = rig
        .run(&["deploy", "staging"], &[("GITHUB_SHA", &rig.main_sha())])
        .await;
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    assert!(
        !marker.exists(),
        "the deploy command must not run after a failed `before`"
    );
}

fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())) {
        Err(_) => true,
        // A zombie has exited; only its exit status is left for its parent to collect.
        Ok(stat) => stat
            .split(") ")
            .nth(1)
            .is_some_and(|rest| rest.starts_with('Z')),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timeout_kills_the_command_and_everything_it_started() {
    let rig = PipelineRig::new("version: 1\n").await;
    let dir = rig.dir.path().display().to_string();
    let script = format!("echo $$ > {dir}/pid; sleep 60 & echo $! > {dir}/child; wait");
    std::fs::write(
        &rig.config,
        config(rig.dir.path(), "[]", &sh(&script), "1s"),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let out = rig
        .run(&["deploy", "staging"], &[("GITHUB_SHA", &rig.main_sha())])
        .await;
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "it did not wait for sleep 60"
    );
    assert!(all.contains("timed out after 1s"), "{all}");
    let pid = std::fs::read_to_string(format!("{dir}/pid")).unwrap();
    let child = std::fs::read_to_string(format!("{dir}/child")).unwrap();
    // Give the kernel a moment to tear the group down.
    for _ in 0..50 {
        if gone(&pid) && gone(&child) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(gone(&pid), "the command (pid {pid}) is still running");
    assert!(
        gone(&child),
        "what it started (pid {child}) is still running"
    );
    let last = rig.emu.model().deployment_statuses(REPO).pop().unwrap();
    assert_eq!(last.1, "failure");
    assert!(rig.slack.texts()[0].contains("timed out"));
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_lists_the_commands_and_writes_nothing() {
    let rig = rig_with(
        "[[\"./backup.sh\"]]",
        "[\"./deploy.sh\", \"staging\"]",
        "1m",
    )
    .await;
    let out = rig
        .run(
            &["deploy", "staging", "--dry-run"],
            &[("GITHUB_SHA", &rig.main_sha())],
        )
        .await;
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("[\"./deploy.sh\", \"staging\"]: would run"),
        "{all}"
    );
    assert!(rig.emu.writes().is_empty());
    assert!(rig.slack.texts().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_environment_or_missing_sha_exits_2_before_writing() {
    let rig = rig_with("[]", "[\"true\"]", "1m").await;
    let out = rig
        .run(&["deploy", "prod"], &[("GITHUB_SHA", &rig.main_sha())])
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(printed(&out).contains("no environment `prod`"));
    let out = rig.run(&["deploy", "staging"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(rig.emu.writes().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_late_run_for_an_older_push_does_not_roll_back() {
    let rig = rig_with("[]", "[\"true\"]", "1m").await;
    let older = rig.main_sha();
    let newer = rig.commit("main", &[("src/x.rs", "x\n")], "feat: x");
    let out = rig
        .run(&["deploy", "staging"], &[("GITHUB_SHA", &newer)])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let out = rig
        .run(&["deploy", "staging"], &[("GITHUB_SHA", &older)])
        .await;
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("skipped: staging already has"), "{all}");
    let deployments = rig.emu.model().deployments(REPO);
    assert_eq!(
        deployments,
        vec![("staging".into(), newer, Some("success".into()))]
    );
    assert_eq!(
        rig.slack.texts().len(),
        1,
        "only the real deploy is announced"
    );
}
