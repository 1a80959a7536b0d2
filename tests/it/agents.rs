//! Agents on every backend: dispatch, failure, stall, and the issue's text as inert data.

use std::collections::BTreeSet;

use shiprig::agents::Backend;
use shiprig::conductor::{self, Tick, TickReport};
use shiprig::config::Config;
use shiprig::demo::World;
use shiprig::emulator::kubernetes::FakeKubernetes;
use shiprig::github::Clock as _;
use shiprig::notify::{Notifier, Slack};

use crate::support::emulator::red_check;

async fn tick_with(world: &World, backend: Option<&Backend>) -> TickReport {
    let notifier = Notifier {
        slack: Some(Slack::webhook(world.slack.url()).unwrap()),
    };
    let tick = Tick {
        gh: &world.gh,
        repo: &world.repo,
        config: &world.config,
        notifier: &notifier,
        product: None,
        backend,
    };
    conductor::tick(&tick, world.clock.now(), false)
        .await
        .unwrap()
}

fn labels(world: &World, number: u64) -> BTreeSet<String> {
    world
        .emulator
        .model()
        .issue(&world.full_name(), number)
        .unwrap()
        .labels
        .into_iter()
        .collect()
}

fn comments(world: &World, number: u64) -> Vec<String> {
    world
        .emulator
        .model()
        .issue(&world.full_name(), number)
        .unwrap()
        .comments
}

fn failed_comments(world: &World, number: u64) -> usize {
    comments(world, number)
        .iter()
        .filter(|c| c.contains("<!-- shiprig:agent-failed -->"))
        .count()
}

/// The agent is freed and the issue marked; dependents stay blocked.
fn assert_failed(world: &World, number: u64, reason: &str) {
    let now = labels(world, number);
    assert!(now.contains("agent-failed"), "{now:?}");
    assert!(
        !now.contains("in-progress") && !now.iter().any(|l| l.starts_with("agent:")),
        "{now:?}"
    );
    assert_eq!(failed_comments(world, number), 1);
    let comment = comments(world, number)
        .into_iter()
        .find(|c| c.contains("agent-failed -->"))
        .unwrap();
    assert!(comment.contains(reason), "{comment}");
    assert!(
        world
            .slack
            .texts()
            .iter()
            .any(|t| t.contains("failed on") && t.contains(&format!("#{number}")))
    );
}

#[tokio::test]
async fn a_failed_workflow_run_marks_the_issue_and_frees_the_agent() {
    let world = World::new().await.unwrap();
    world.seed_design_example();
    tick_with(&world, None).await;
    let run = world
        .emulator
        .model()
        .workflow_runs(&world.full_name())
        .into_iter()
        .find(|r| r.inputs["issue"] == "1")
        .unwrap();
    world
        .emulator
        .model()
        .set_run_status(&world.full_name(), run.id, "completed", Some("failure"));
    world.pass(5);
    tick_with(&world, None).await;
    assert_failed(&world, 1, "the workflow run ended failure");
    assert!(
        comments(&world, 1)
            .iter()
            .any(|c| c.contains("/actions/runs/")),
        "the run's link"
    );
    assert!(
        labels(&world, 3).contains("blocked"),
        "dependents stay blocked"
    );
    world.pass(5);
    let quiet = tick_with(&world, None).await;
    assert_eq!(failed_comments(&world, 1), 1, "commented once");
    assert!(
        quiet
            .plan
            .effects
            .iter()
            .all(|e| !matches!(e, conductor::Effect::AgentFailed { .. }))
    );
    world
        .emulator
        .model()
        .remove_label(&world.full_name(), 1, "agent-failed", "maya");
    world.pass(5);
    let again = tick_with(&world, None).await;
    let restarted = again
        .plan
        .effects
        .iter()
        .any(|e| matches!(e, conductor::Effect::Start { issue: 1, .. }));
    assert!(
        restarted,
        "a human removing agent-failed puts it back in the queue: {:?}",
        again.plan.effects
    );
}

#[tokio::test]
async fn a_run_with_no_pull_request_after_stale_after_is_stalled() {
    let world = World::new().await.unwrap();
    world.seed_design_example();
    tick_with(&world, None).await;
    world.pass(5 * 60);
    let early = tick_with(&world, None).await;
    assert!(
        early.plan.effects.is_empty(),
        "five hours is not stale: {:?}",
        early.plan.effects
    );
    // Agent-2 opened a pull request for #2 (the lifecycle has not moved it yet): not stale.
    {
        let mut model = world.emulator.model();
        model.set_file(&world.full_name(), "agent/2-chat-ui", "ui.rs", "// ui\n");
        model.create_pull(
            &world.full_name(),
            "agent/2-chat-ui",
            "main",
            "Chat UI",
            "Closes #2",
            "rig-agent-2",
        );
    }
    world.pass(90);
    tick_with(&world, None).await;
    assert_failed(&world, 1, "no pull request 6h after the agent started");
    assert!(
        labels(&world, 2).contains("in-progress"),
        "#2 has a pull request"
    );
}

fn command_world_config(script: &str) -> Config {
    let yaml = format!(
        "version: 1\napprovers: {{min_permission: maintain}}\nconductor:\n  agents: [{{name: agent-1, login: rig-agent-1}}]\n  \
         dispatch:\n    command: {{argv: [\"/bin/sh\", \"{script}\"], timeout: 30s}}\n  stale_after: 2h\n\
         notify:\n  slack: {{webhook_url_env: SLACK_WEBHOOK_URL}}\n"
    );
    Config::from_yaml("test", &yaml).unwrap()
}

fn script(dir: &std::path::Path, body: &str) -> String {
    let path = dir.join("agent.sh");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn a_command_that_exits_1_marks_the_issue_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut world = World::new().await.unwrap();
    world.config = command_world_config(&script(dir.path(), "echo 'no GPU left' >&2\nexit 1"));
    world.approved_issue("LLM tool API", &[]);
    tick_with(&world, None).await;
    assert_failed(&world, 1, "exited with exit status: 1");
    assert!(
        comments(&world, 1)
            .iter()
            .any(|c| c.contains("no GPU left")),
        "the command's output tail"
    );
}

#[tokio::test]
async fn a_command_agent_that_never_opens_a_pull_request_stalls_on_the_fake_clock() {
    let dir = tempfile::tempdir().unwrap();
    let mut world = World::new().await.unwrap();
    world.config = command_world_config(&script(dir.path(), "exit 0"));
    world.approved_issue("LLM tool API", &[]);
    tick_with(&world, None).await;
    assert!(labels(&world, 1).contains("in-progress"));
    world.pass(60);
    assert!(tick_with(&world, None).await.plan.effects.is_empty());
    world.pass(61);
    tick_with(&world, None).await;
    assert_failed(&world, 1, "no pull request 2h after the agent started");
}

const HOSTILE_TITLE: &str = "$(touch /tmp/shiprig-pwned-title) `touch /tmp/shiprig-pwned-tick`";
const HOSTILE_BODY: &str = "x\"; touch /tmp/shiprig-pwned-body; echo \"\n::add-mask::secret\n::stop-commands::abc\n${{ github.token }}";

fn nothing_ran() {
    for name in ["title", "tick", "body"] {
        assert!(
            !std::path::Path::new(&format!("/tmp/shiprig-pwned-{name}")).exists(),
            "{name} ran"
        );
    }
}

#[tokio::test]
async fn hostile_issue_text_reaches_a_command_as_inert_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("seen");
    let body = format!(
        "printf '%s' \"$SHIPRIG_TITLE\" > '{0}.title'\nprintf '%s' \"$SHIPRIG_BODY\" > '{0}.body'",
        out.display()
    );
    let mut world = World::new().await.unwrap();
    world.config = command_world_config(&script(dir.path(), &body));
    let number = world.emulator.model().create_issue(
        &world.full_name(),
        HOSTILE_TITLE,
        HOSTILE_BODY,
        &[],
        "maya",
    );
    world
        .emulator
        .model()
        .add_label(&world.full_name(), number, "approved", "maya");
    tick_with(&world, None).await;
    assert_eq!(
        std::fs::read_to_string(format!("{}.title", out.display())).unwrap(),
        HOSTILE_TITLE
    );
    assert_eq!(
        std::fs::read_to_string(format!("{}.body", out.display())).unwrap(),
        HOSTILE_BODY
    );
    nothing_ran();
}

#[tokio::test]
async fn hostile_issue_text_reaches_a_workflow_as_inputs_only() {
    let world = World::new().await.unwrap();
    let number = world.emulator.model().create_issue(
        &world.full_name(),
        HOSTILE_TITLE,
        HOSTILE_BODY,
        &[],
        "maya",
    );
    world
        .emulator
        .model()
        .add_label(&world.full_name(), number, "approved", "maya");
    tick_with(&world, None).await;
    let runs = world.emulator.model().workflow_runs(&world.full_name());
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].inputs["title"], HOSTILE_TITLE);
    assert_eq!(runs[0].inputs["body"], HOSTILE_BODY);
    assert!(
        !runs[0].display_title.contains("touch"),
        "the run-name carries only the agent and the number"
    );
    nothing_ran();
}

const JOB_TEMPLATE: &str = r#"apiVersion: batch/v1
kind: Job
metadata:
  labels: {team: platform}
spec:
  template:
    spec:
      containers:
        - name: agent
          image: ghcr.io/acme/agent@sha256:0000000000000000000000000000000000000000000000000000000000000000
          args: ["work"]
"#;

async fn kubernetes_world(dir: &std::path::Path) -> (World, FakeKubernetes, Backend) {
    let cluster = FakeKubernetes::start().await.unwrap();
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, cluster.kubeconfig()).unwrap();
    let template = dir.join("job.yml");
    std::fs::write(&template, JOB_TEMPLATE).unwrap();
    let yaml = format!(
        "version: 1\napprovers: {{min_permission: maintain}}\nconductor:\n  agents: [{{name: agent-1}}, {{name: agent-2}}]\n  \
         dispatch:\n    kubernetes: {{namespace: agents, job_template: \"{}\", active_deadline: 3h, ttl_after_finished: 30m}}\n\
         notify:\n  slack: {{webhook_url_env: SLACK_WEBHOOK_URL}}\n",
        template.display()
    );
    let mut world = World::new().await.unwrap();
    world.config = Config::from_yaml("test", &yaml).unwrap();
    cluster.set_now(world.clock.now());
    let backend = Backend::from_config(&world.config, Some(&kubeconfig))
        .await
        .unwrap();
    (world, cluster, backend)
}

#[tokio::test]
async fn kubernetes_one_job_per_claimed_issue_with_labels_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let (world, cluster, backend) = kubernetes_world(dir.path()).await;
    world.seed_design_example();
    let number = world.emulator.model().create_issue(
        &world.full_name(),
        HOSTILE_TITLE,
        HOSTILE_BODY,
        &["critical"],
        "maya",
    );
    world
        .emulator
        .model()
        .add_label(&world.full_name(), number, "approved", "maya");
    tick_with(&world, Some(&backend)).await;
    tick_with(&world, Some(&backend)).await;
    let jobs = cluster.jobs();
    assert_eq!(jobs.len(), 2, "one Job per claimed issue, none twice");
    for job in &jobs {
        let labels = job.metadata.labels.clone().unwrap();
        assert_eq!(labels["app.kubernetes.io/managed-by"], "shiprig");
        assert_eq!(
            labels["team"], "platform",
            "the template's own labels are kept"
        );
        let spec = job.spec.clone().unwrap();
        assert_eq!(spec.backoff_limit, Some(0));
        assert_eq!(spec.active_deadline_seconds, Some(3 * 3600));
        assert_eq!(spec.ttl_seconds_after_finished, Some(1800));
        let pod = spec.template.spec.unwrap();
        assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
        let env = pod.containers[0].env.clone().unwrap();
        let value = |name: &str| {
            env.iter()
                .find(|e| e.name == name)
                .and_then(|e| e.value.clone())
                .unwrap()
        };
        assert_eq!(value("SHIPRIG_ISSUE"), labels["shiprig.dev/issue"]);
        assert_eq!(value("SHIPRIG_AGENT"), labels["shiprig.dev/agent"]);
        if value("SHIPRIG_ISSUE") == number.to_string() {
            assert_eq!(
                value("SHIPRIG_TITLE"),
                HOSTILE_TITLE,
                "the title is an inert value"
            );
            assert_eq!(value("SHIPRIG_BODY"), HOSTILE_BODY);
        }
    }
    nothing_ran();
}

#[tokio::test]
async fn a_failed_job_marks_the_issue_and_a_finished_one_is_left_to_its_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let (world, cluster, backend) = kubernetes_world(dir.path()).await;
    world.seed_design_example();
    tick_with(&world, Some(&backend)).await;
    let jobs = cluster.jobs();
    let name_of = |issue: &str| {
        jobs.iter()
            .find(|j| j.metadata.labels.as_ref().unwrap()["shiprig.dev/issue"] == issue)
            .and_then(|j| j.metadata.name.clone())
            .unwrap()
    };
    cluster.fail_job("agents", &name_of("1"), "pod agent exited 137");
    cluster.succeed_job("agents", &name_of("2"));
    world.pass(5);
    tick_with(&world, Some(&backend)).await;
    assert_failed(&world, 1, "pod agent exited 137");
    assert!(
        labels(&world, 2).contains("in-progress"),
        "a Job that succeeded is not a failure"
    );
    assert_eq!(cluster.jobs().len(), 2);
    assert!(
        cluster
            .requests()
            .iter()
            .all(|(method, _)| method != "DELETE"),
        "finished Jobs are left to their TTL"
    );
}

fn fix_runs(world: &World) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let runs = world.emulator.model().workflow_runs(&world.full_name());
    runs.into_iter()
        .map(|r| r.inputs)
        .filter(|i| i.contains_key("pull_request"))
        .collect()
}

#[tokio::test]
async fn red_ci_sends_the_same_agent_back_up_to_the_limit_then_agent_failed() {
    let world = World::new().await.unwrap();
    let full = world.full_name();
    world.approved_issue("LLM tool API", &[]);
    tick_with(&world, None).await;
    let pull = {
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
        // What `shiprig lifecycle` does when the pull request opens.
        model.remove_label(&full, 1, "in-progress", "rig-agent-1");
        model.add_label(&full, 1, "in-review", "rig-agent-1");
        pull
    };
    for attempt in 1..=2u32 {
        let head = world.emulator.model().pull(&full, pull).unwrap().head_sha;
        red_check(&world, &head, "test (ubuntu)").await;
        world.pass(5);
        tick_with(&world, None).await;
        let fixes = fix_runs(&world);
        assert_eq!(fixes.len(), attempt as usize, "attempt {attempt}");
        let last = fixes.last().unwrap();
        assert_eq!(last["agent"], "agent-1", "the same agent");
        assert_eq!(last["pull_request"], pull.to_string());
        assert!(
            last["failing_checks"]
                .as_str()
                .unwrap()
                .contains("test (ubuntu)")
        );
        world.pass(5);
        tick_with(&world, None).await;
        assert_eq!(
            fix_runs(&world).len(),
            attempt as usize,
            "one fix per red head"
        );
        world.emulator.model().push_to_pull(
            &full,
            pull,
            "src/tool.rs",
            &format!("// v{}\n", attempt + 1),
        );
    }
    let head = world.emulator.model().pull(&full, pull).unwrap().head_sha;
    red_check(&world, &head, "test (ubuntu)").await;
    world.pass(5);
    tick_with(&world, None).await;
    assert_eq!(fix_runs(&world).len(), 2, "no third attempt");
    assert_failed(
        &world,
        1,
        "checks still failing after 2 fix attempt(s): test (ubuntu)",
    );
    let slack = world.slack.texts();
    assert_eq!(
        slack
            .iter()
            .filter(|t| t.contains("sent back to fix"))
            .count(),
        2,
        "{slack:#?}"
    );
}

#[tokio::test]
async fn a_review_agent_reviews_other_agents_pull_requests_never_its_own() {
    let mut world = World::new().await.unwrap();
    let yaml = shiprig::demo::world::CONFIG
        .replace("  dispatch:", "  review_agent: agent-2\n  dispatch:")
        .replace(
            "login: rig-agent-2}",
            "login: rig-agent-2, token_secret: SHIPRIG_AGENT_TOKEN_2}",
        );
    world.config = Config::from_yaml("test", &yaml).unwrap();
    let full = world.full_name();
    world.approved_issue("Feature 1", &[]);
    world.approved_issue("Feature 2", &[]);
    for (issue, agent) in [(1u64, "agent-1"), (2, "agent-2")] {
        let mut model = world.emulator.model();
        let branch = format!("agent/{issue}-feature");
        model.set_file(&full, &branch, &format!("f{issue}.rs"), "// f\n");
        let pull = model.create_pull(
            &full,
            &branch,
            "main",
            "Feature",
            &format!("Closes #{issue}"),
            "rig-agent-1",
        );
        model.add_label(&full, pull, &format!("agent:{agent}"), "rig-agent-1");
        model.add_label(&full, issue, "in-review", "rig-agent-1");
    }
    let report = tick_with(&world, None).await;
    let reviews: Vec<_> = world
        .emulator
        .model()
        .workflow_runs(&full)
        .into_iter()
        .filter(|r| r.inputs["task"] == "review")
        .collect();
    assert_eq!(reviews.len(), 1, "{:?}", report.plan.effects);
    assert_eq!(reviews[0].inputs["agent"], "agent-2");
    assert_eq!(
        reviews[0].inputs["pull_request"], "3",
        "agent-1's pull request"
    );
    assert!(
        report
            .plan
            .notes
            .iter()
            .any(|n| n.contains("never reviews its own work"))
    );
    world.pass(5);
    tick_with(&world, None).await;
    let again = world
        .emulator
        .model()
        .workflow_runs(&full)
        .into_iter()
        .filter(|r| r.inputs["task"] == "review")
        .count();
    assert_eq!(again, 1, "one review per head");
}

#[tokio::test]
async fn a_job_whose_creation_answer_was_lost_is_found_by_its_name_never_created_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (world, cluster, backend) = kubernetes_world(dir.path()).await;
    world.seed_design_example();
    cluster.lose_next_creates(2);
    let first = tick_with(&world, Some(&backend)).await;
    let applied = first.applied.as_ref().unwrap();
    assert!(applied.failed.is_empty(), "{:?}", applied.failed);
    for _ in 0..3 {
        world.pass(5);
        tick_with(&world, Some(&backend)).await;
    }
    let jobs = cluster.jobs();
    assert_eq!(jobs.len(), 2, "one Job per claim, none twice");
    let creates = cluster
        .requests()
        .iter()
        .filter(|(method, _)| method == "POST")
        .count();
    assert_eq!(
        creates, 2,
        "a lost answer is settled by reading the Job back"
    );
    for issue in [1, 2] {
        assert!(labels(&world, issue).contains("in-progress"));
        let claim = comments(&world, issue)
            .into_iter()
            .find(|c| c.contains("<!-- shiprig:claim"))
            .unwrap();
        assert!(claim.contains("started=1"), "{claim}");
    }
}
