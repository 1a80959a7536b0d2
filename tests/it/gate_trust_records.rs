//! docs/security.md#case-36, #case-37 and #case-39: what the gate reads back from GitHub counts
//! only when it is what it says it is. A file GitHub lists without a patch is read, not taken as
//! unchanged; records on GitHub count only when shiprig's own identity wrote them; the required
//! check is pinned to the App that posts the verdict. Each test is the attacker's steps against the
//! emulator, which keeps the GitHub facts they rely on.

use serde_json::{Value, json};
use shiprig::emulator::{Permission, ReviewState};

use crate::support::gate_rig::{CHECK, CONFIG, GateRig, REPO, TOKEN};

/// The token of the agent's own GitHub App (`agent-app[bot]`, id 777): it may write checks and
/// comments on the repository, like any workflow or App with those permissions.
const AGENT_APP_TOKEN: &str = "ghs_agent_app";

fn install_agent_app(rig: &GateRig) {
    let (_, public) = crate::support::emulator::rsa_pair();
    let mut m = rig.emu.model();
    m.register_app_named(777, "agent-app", &public);
    m.add_token(AGENT_APP_TOKEN, "agent-app[bot]");
    m.set_permission(REPO, "agent-app[bot]", Permission::Write);
}

/// `method path` with a JSON body on the emulator as `token`; the answer's status and body.
async fn send(rig: &GateRig, token: &str, path: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", rig.emu.url()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A `pull_request_review` payload for the PR as it is now.
fn review_event(rig: &GateRig, pr: u64, reviewer: &str) -> Value {
    let mut event = rig.pull_event(pr, "submitted", reviewer);
    event["review"] = json!({"state": "approved", "user": {"login": reviewer}});
    event
}

/// `GET path` on the emulator as the gate's token.
async fn get(rig: &GateRig, path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}{path}", rig.emu.url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn summary_of_failure(rig: &GateRig, sha: &str) -> String {
    assert_eq!(
        rig.conclusion(sha).as_deref(),
        Some("failure"),
        "{}",
        rig.summary(sha)
    );
    rig.summary(sha)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_37_a_nul_byte_does_not_hide_an_added_delete_from() {
    let rig = GateRig::new().await;
    // The agent's script starts with a NUL byte: git calls it binary, GitHub lists it with
    // `changes: 0` and no patch, exactly like a file whose lines did not change.
    let script = "\0\nDELETE FROM users WHERE created_at < now();\n";
    let pr = rig.open_pr("tidy", &[("tools/tidy.rs", script)], "dev");
    let head = rig.head(pr);
    let listed = get(&rig, &format!("/repos/{REPO}/pulls/{pr}/files")).await;
    let file = &listed[0];
    assert_eq!(file["filename"], "tools/tidy.rs");
    assert_eq!(
        (&file["changes"], file.get("patch")),
        (&Value::from(0), None)
    );
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = summary_of_failure(&rig, &head);
    assert!(
        summary.contains("### deletion") && summary.contains("DELETE FROM users"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_37_a_binary_file_renamed_and_edited_is_read_and_a_pure_rename_is_not() {
    let rig = GateRig::new().await;
    {
        let mut m = rig.emu.model();
        m.set_files(
            REPO,
            "main",
            &[("tools/blob.bin", "\0old\n")],
            "a binary file",
        );
    }
    // A pure rename (same blob) changes no line; a renamed-and-edited binary file is read.
    let pr = {
        let mut m = rig.emu.model();
        m.set_files(
            REPO,
            "move",
            &[
                ("tools/moved.bin", "\0old\n"),
                ("tools/copy.bin", "\0old\nDELETE FROM accounts;\n"),
            ],
            "move",
        );
        m.delete_file(REPO, "move", "tools/blob.bin");
        m.create_pull(REPO, "move", "main", "Move", "", "dev")
    };
    let head = rig.head(pr);
    rig.gate_pr(pr).await;
    let summary = summary_of_failure(&rig, &head);
    assert!(summary.contains("DELETE FROM accounts"), "{summary}");
    assert!(!summary.contains("moved.bin"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_39_a_pusher_record_on_another_apps_check_run_is_nobodys_record() {
    // Every category needs the gate-wide two approvals while the pusher is unknown.
    let config = CONFIG
        .replace(
            "payments:     {paths: [\"src/billing/**\"]}",
            "payments:     {paths: [\"src/billing/**\"], min_approvals: 1}",
        )
        .replace(
            "min_approvals: 1, min_permission",
            "min_approvals: 2, min_permission",
        );
    let rig = GateRig::with_config(Some(&config)).await;
    install_agent_app(&rig);
    let pr = rig.open_pr("pay", &[("src/billing/a.rs", "x\n")], "dev");
    let head = rig.head(pr);
    // bob pushed the head where no gate run saw it; his agent's App then writes a check run
    // of the gate's name carrying a pusher record that names somebody else.
    let fake = json!({"name": CHECK, "head_sha": head, "status": "completed",
        "conclusion": "neutral", "external_id": "shiprig:pushed-by=dev",
        "output": {"title": "recorded", "summary": "recorded"}});
    let (status, created) = send(
        &rig,
        AGENT_APP_TOKEN,
        &format!("/repos/{REPO}/check-runs"),
        &fake,
    )
    .await;
    assert_eq!(
        (status, &created["app"]["id"]),
        (201, &json!(777)),
        "GitHub's fact: the run names its App"
    );
    rig.review(pr, "bob", ReviewState::Approved, "");
    let run = rig
        .gate("pull_request_review", &review_event(&rig, pr, "bob"), &[])
        .await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = summary_of_failure(&rig, &head);
    assert!(summary.contains("is unknown"), "{summary}");
    assert!(summary.contains("needs 2 approval(s), has 1"), "{summary}");
    let ours = rig.check(&head).unwrap();
    assert_eq!(ours.app_id, Some(shiprig::github::ACTIONS_APP_ID));
    assert_eq!(
        ours.external_id, None,
        "the fake record is not carried over"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_39_a_sticky_comment_an_agent_wrote_is_not_the_gates() {
    let rig = GateRig::new().await;
    let pr = rig.open_pr("auth", &[("src/auth/a.rs", "x\n")], "dev");
    let head = rig.head(pr);
    // The agent posts the gate's marker first, saying nothing needs a human.
    let fake = "<!-- shiprig:human-gate -->\n## shiprig human gate\n\nNo gated change.";
    rig.emu.model().add_comment(REPO, pr, fake, "rig-agent-1");
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    summary_of_failure(&rig, &head);
    let comments = get(&rig, &format!("/repos/{REPO}/issues/{pr}/comments")).await;
    let by = |login: &str| {
        comments
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["user"]["login"] == login)
            .map(|c| c["body"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        by("rig-agent-1"),
        vec![fake.to_string()],
        "the agent's comment is left alone"
    );
    let gate = by("github-actions[bot]");
    assert_eq!(gate.len(), 1, "{comments}");
    assert!(gate[0].contains("auth"), "{}", gate[0]);
    // The next run finds its own comment again, not the agent's.
    rig.gate_pr(pr).await;
    let again = get(&rig, &format!("/repos/{REPO}/issues/{pr}/comments")).await;
    assert_eq!(again.as_array().unwrap().len(), 2, "{again}");
}

#[tokio::test]
async fn case_39_a_fix_marker_an_agent_wrote_does_not_stop_the_fix_request() {
    use shiprig::conductor::{self, Tick};
    use shiprig::github::Clock as _;
    let world = shiprig::demo::World::new().await.unwrap();
    let full = world.full_name();
    let tick = || async {
        let notifier = shiprig::notify::Notifier { slack: None };
        let tick = Tick {
            gh: &world.gh,
            repo: &world.repo,
            config: &world.config,
            notifier: &notifier,
            product: None,
            backend: None,
        };
        conductor::tick(&tick, world.clock.now(), false)
            .await
            .unwrap()
    };
    world.approved_issue("LLM tool API", &[]);
    tick().await;
    let (pull, head) = {
        let mut model = world.emulator.model();
        model.set_file(&full, "agent/1-llm-tool-api", "src/tool.rs", "// v1\n");
        let pull = model.create_pull(
            &full,
            "agent/1-llm-tool-api",
            "main",
            "LLM tool API",
            "Closes #1",
            "rig-agent-1",
        );
        model.add_label(&full, pull, "agent:agent-1", "rig-agent-1");
        model.remove_label(&full, 1, "in-progress", "rig-agent-1");
        model.add_label(&full, 1, "in-review", "rig-agent-1");
        (pull, model.pull(&full, pull).unwrap().head_sha)
    };
    {
        let mut model = world.emulator.model();
        model.add_user("ci-app[bot]", shiprig::emulator::UserKind::Bot);
        model.add_token("ghs_ci_app", "ci-app[bot]");
        model.set_permission(&full, "ci-app[bot]", Permission::Write);
    }
    let red =
        json!({"name": "test", "head_sha": head, "status": "completed", "conclusion": "failure"});
    let response = reqwest::Client::new()
        .post(format!("{}/repos/{full}/check-runs", world.emulator.url()))
        .bearer_auth("ghs_ci_app")
        .json(&red)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    // The agent would rather not be told: it posts the marker of a fix request already sent.
    let fake = format!("<!-- shiprig:fix agent=agent-1 sha={head} tick=t1 -->\nFix requested.");
    world
        .emulator
        .model()
        .add_comment(&full, pull, &fake, "rig-agent-1");
    world.pass(5);
    tick().await;
    let fixes: Vec<_> = world
        .emulator
        .model()
        .workflow_runs(&full)
        .into_iter()
        .filter(|r| r.inputs.get("pull_request").is_some())
        .collect();
    assert_eq!(
        fixes.len(),
        1,
        "the fix request is sent despite the agent's marker"
    );
    assert_eq!(fixes[0].inputs["pull_request"], pull.to_string());
}

/// `PUT /repos/acme/rig/pulls/{pr}/merge` as the workflow token; the answer's status.
async fn merge(rig: &GateRig, pr: u64) -> u16 {
    reqwest::Client::new()
        .put(format!("{}/repos/{REPO}/pulls/{pr}/merge", rig.emu.url()))
        .bearer_auth(TOKEN)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_36_the_required_check_is_pinned_to_shiprigs_app_and_an_agents_check_satisfies_nothing()
 {
    use shiprig::github::{ClientOptions, Credentials, GitHub, Repo, Secret};
    use shiprig::setup::{bootstrap, doctor, inspect};
    let rig = GateRig::new().await;
    install_agent_app(&rig);
    let (private, public) = crate::support::emulator::rsa_pair();
    {
        let mut m = rig.emu.model();
        m.register_app_named(5150, "shiprig-gate", &public);
        m.add_installation(5150, "acme");
        m.set_permission(REPO, "shiprig-gate[bot]", Permission::Admin);
        // CI's own App, pinned by a person before shiprig came.
        let (_, ci_public) = crate::support::emulator::rsa_pair();
        m.register_app_named(4321, "ci-app", &ci_public);
        m.add_token("ghs_ci_app", "ci-app[bot]");
        m.set_permission(REPO, "ci-app[bot]", Permission::Write);
        m.set_protection(
            REPO,
            "main",
            json!({
            "required_status_checks": {"strict": false, "checks": [
                {"context": "ci/build", "app_id": 4321}, {"context": CHECK}]},
            "enforce_admins": false, "restrictions": null,
            "required_pull_request_reviews": {"required_approving_review_count": 1}}),
        );
    }
    let credentials = Credentials::App {
        app_id: 5150,
        private_key_pem: Secret::new(private),
    };
    let repo: Repo = REPO.parse().unwrap();
    let doctor_request = inspect::DoctorRequest {
        repo: repo.clone(),
        branch: "main".into(),
        local_config: None,
    };
    let gh = GitHub::new(ClientOptions::new(rig.emu.url(), credentials))
        .unwrap()
        .for_repo(&repo);

    // doctor: a required check anyone can satisfy is named, with why and how.
    let facts = inspect::read(&gh, &doctor_request).await.unwrap();
    let found = doctor::diagnose(&facts);
    let any = found
        .iter()
        .find(|f| f.gap.contains("from any source"))
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert!(any.gap.contains("an agent's included"), "{any:?}");
    assert!(
        any.fix.contains("shiprig bootstrap") && any.fix.contains("5150"),
        "{any:?}"
    );

    let config = shiprig::config::Config::from_yaml("shiprig.yml", CONFIG).unwrap();
    let request = bootstrap::BootstrapRequest {
        repo: repo.clone(),
        branch: "main".into(),
        config,
        dry_run: false,
    };
    bootstrap::run(&gh, &request).await.unwrap();
    let protection = rig.emu.model().protection(REPO, "main").unwrap();
    let checks = &protection["required_status_checks"]["checks"];
    assert_eq!(
        checks,
        &json!([{"context": "ci/build", "app_id": 4321}, {"context": CHECK, "app_id": 5150}]),
        "the gate's check is pinned to shiprig's App and CI keeps its pin"
    );
    let facts = inspect::read(&gh, &doctor_request).await.unwrap();
    let found = doctor::diagnose(&facts);
    assert!(
        !found.iter().any(|f| f.gap.contains("from any source")),
        "{found:#?}"
    );

    // The agent's App posts a passing check of the gate's name: branch protection ignores it.
    let pr = rig.open_pr("auth", &[("src/auth/a.rs", "x\n")], "dev");
    let head = rig.head(pr);
    let pass = |name: &str| json!({"name": name, "head_sha": head, "status": "completed", "conclusion": "success"});
    let path = format!("/repos/{REPO}/check-runs");
    assert_eq!(
        send(&rig, "ghs_ci_app", &path, &pass("ci/build")).await.0,
        201
    );
    assert_eq!(
        send(&rig, AGENT_APP_TOKEN, &path, &pass(CHECK)).await.0,
        201
    );
    assert_eq!(
        merge(&rig, pr).await,
        405,
        "an agent's check satisfies nothing"
    );
    gh.complete_check_run(&repo, CHECK, &head, "success", "ok", "ok", None)
        .await
        .unwrap();
    assert_eq!(merge(&rig, pr).await, 200, "shiprig's App's check does");

    // A ruleset that requires the check from any source is named too.
    rig.emu
        .model()
        .require_checks_by_ruleset(REPO, "main", &[CHECK]);
    let facts = inspect::read(&gh, &doctor_request).await.unwrap();
    let found = doctor::diagnose(&facts);
    assert!(
        found
            .iter()
            .any(|f| f.gap.contains("without an `integration_id`") && f.fix.contains("5150")),
        "{found:#?}"
    );
}
