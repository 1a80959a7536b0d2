//! docs/security.md#case-31: every workflow template, this repository's own workflows and
//! `action.yml` keep the rules (top-level `permissions: {}`, least privilege per job, every
//! `uses:` pinned to a commit SHA, `timeout-minutes` everywhere, `concurrency` where runs must
//! not overlap, no expressions inside `run:`, `workflow_run` only where justified, a gate job
//! without `if:`, and no job that could pass for the gate's check). zizmor and check-jsonschema
//! run in .ci/run. zizmor and check-jsonschema run in .ci/run.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::workflow::{
    GATE_CHECK, action_problems, parse, shiprig_steps, workflow_problems, workflow_run_unjustified,
    write_scopes,
};

fn yaml_files(dir: &str) -> BTreeMap<String, Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            let name = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
            let text = std::fs::read_to_string(&path).unwrap();
            files.insert(name.clone(), parse(&name, &text));
        }
    }
    files
}

fn all_workflows() -> BTreeMap<String, Value> {
    let mut all = yaml_files("workflows-templates");
    all.extend(yaml_files(".github/workflows"));
    all
}

/// No workflow indexes `secrets` with an expression: GitHub then sends every secret of the
/// repository to the runner, where the agent's code runs. Each agent token is named, and the
/// agent workflow knows every name `config validate` accepts.
#[test]
fn no_workflow_hands_a_runner_every_secret_and_the_agent_workflow_names_each_token() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["workflows-templates", ".github/workflows"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            let compact: String = text.split_whitespace().collect();
            assert!(
                !compact.contains("secrets["),
                "{} indexes secrets",
                entry.path().display()
            );
        }
    }
    let agent = std::fs::read_to_string(root.join("workflows-templates/agent.yml")).unwrap();
    let slots = ["SHIPRIG_AGENT_TOKEN", "SHIPRIG_AGENT_TOKEN_REVIEWER"]
        .into_iter()
        .map(String::from)
        .chain((1..=9).map(|i| format!("SHIPRIG_AGENT_TOKEN_{i}")));
    for slot in slots {
        assert!(shiprig::config::agent_token_slot(&slot), "{slot}");
        assert!(
            agent.contains(&format!(
                "inputs.token_secret == '{slot}' && secrets.{slot}"
            )),
            "agent.yml hands out {slot}"
        );
    }
    for refused in ["SHIPRIG_AGENT_TOKEN_10", "SHIPRIG_AGENT_TOKENX", "GH_PAT"] {
        assert!(!shiprig::config::agent_token_slot(refused), "{refused}");
    }
}

/// Every `workflow_run` carries its reason inline, where zizmor flags it.
#[test]
fn case_31_every_workflow_run_is_justified_inline() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    let mut seen = 0;
    for dir in ["workflows-templates", ".github/workflows"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            seen += text.matches("workflow_run:").count();
            problems.extend(workflow_run_unjustified(
                &entry.path().display().to_string(),
                &text,
            ));
        }
    }
    assert!(
        seen >= 1,
        "the merge follows reviews and CI by workflow_run"
    );
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(
        workflow_run_unjustified("x.yml", "on:\n  workflow_run:\n    workflows: [CI]\n"),
        ["x.yml:2: workflow_run without its reason inline"]
    );
}

/// docs/security.md#case-35: no workflow that posts the verdict or merges runs on an event whose
/// run uses the pull request's copy of the file (`pull_request`, `pull_request_review`,
/// `pull_request_review_comment`) with a write permission or a secret.
#[test]
fn case_35_no_job_that_judges_or_merges_runs_a_pull_requests_copy() {
    const PR_COPY: [&str; 3] = [
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
    ];
    for (file, doc) in all_workflows() {
        let on_pr_copy = PR_COPY.iter().any(|e| doc["on"].get(*e).is_some());
        if !on_pr_copy {
            continue;
        }
        let judges: Vec<String> = shiprig_steps(&doc)
            .into_iter()
            .filter_map(|(_, s)| s["with"]["command"].as_str().map(str::to_string))
            .filter(|c| c == "gate" || c == "merge")
            .collect();
        assert!(
            judges.is_empty(),
            "{file} runs {judges:?} on a pull request's copy"
        );
        let text = serde_json::to_string(&doc["jobs"]).unwrap();
        if file.ends_with("review.yml") {
            assert_eq!(write_scopes(&doc), Vec::<String>::new(), "{file}");
            assert!(!text.contains("secrets."), "{file} holds a secret");
        }
    }
}

#[test]
fn case_31_every_workflow_keeps_the_rules() {
    let workflows = all_workflows();
    assert!(workflows.len() >= 10, "{:?}", workflows.keys());
    let problems: Vec<String> = workflows
        .iter()
        .flat_map(|(file, doc)| workflow_problems(file, doc))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn case_31_the_action_keeps_the_rules() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).unwrap();
    let action = parse("action.yml", &text);
    assert_eq!(action_problems("action.yml", &action), Vec::<String>::new());
    for input in [
        "command",
        "args",
        "token",
        "app-id",
        "app-private-key",
        "version",
    ] {
        assert!(
            action.pointer(&format!("/inputs/{input}")).is_some(),
            "input {input}"
        );
    }
    for output in ["verdict", "result"] {
        assert!(
            action.pointer(&format!("/outputs/{output}")).is_some(),
            "output {output}"
        );
    }
    // Inputs reach the scripts only through env: the `run:` lines name no input.
    let steps = action
        .pointer("/runs/steps")
        .and_then(Value::as_array)
        .unwrap();
    for step in steps {
        let run = step["run"].as_str().unwrap();
        assert!(!run.contains("inputs"), "{run}");
    }
}

#[test]
fn case_31_each_job_asks_only_for_the_writes_it_needs() {
    let expected: &[(&str, &[&str])] = &[
        (
            "workflows-templates/gate.yml",
            &["gate:checks", "gate:issues", "gate:pull-requests"],
        ),
        (
            "workflows-templates/conductor.yml",
            &["tick:actions", "tick:issues"],
        ),
        ("workflows-templates/lifecycle.yml", &["lifecycle:issues"]),
        (
            "workflows-templates/merge.yml",
            &[
                "merge:actions",
                "merge:checks",
                "merge:contents",
                "merge:issues",
                "merge:pull-requests",
            ],
        ),
        ("workflows-templates/commits.yml", &[]),
        ("workflows-templates/ci-rust.yml", &[]),
        ("workflows-templates/ci-go.yml", &[]),
        ("workflows-templates/ci-node.yml", &[]),
        ("workflows-templates/ci-python.yml", &[]),
        ("workflows-templates/review.yml", &[]),
        (
            "workflows-templates/deploy-staging.yml",
            &["staging:deployments", "staging:statuses"],
        ),
        (
            "workflows-templates/deploy.yml",
            &[
                "release-pr:contents",
                "release-pr:pull-requests",
                "staging:deployments",
                "staging:statuses",
            ],
        ),
        (
            "workflows-templates/release.yml",
            &[
                "production:deployments",
                "production:statuses",
                "publish:contents",
                "shipped:issues",
            ],
        ),
        ("workflows-templates/monitor.yml", &["smoke:statuses"]),
        ("workflows-templates/product.yml", &["pull:issues"]),
        (
            "workflows-templates/agent.yml",
            &["agent:contents", "agent:pull-requests", "wake:actions"],
        ),
        (".github/workflows/ci.yml", &[]),
        (".github/workflows/release.yml", &["publish:contents"]),
    ];
    let workflows = all_workflows();
    for (file, scopes) in expected {
        let doc = workflows
            .get(*file)
            .unwrap_or_else(|| panic!("{file} is missing"));
        assert_eq!(write_scopes(doc), scopes.to_vec(), "{file}");
    }
    assert_eq!(
        expected.len(),
        workflows.len(),
        "a workflow without expectations"
    );
}

#[test]
fn case_31_conductor_and_deploys_never_overlap() {
    let workflows = all_workflows();
    for file in [
        "workflows-templates/conductor.yml",
        "workflows-templates/deploy.yml",
        "workflows-templates/deploy-staging.yml",
        "workflows-templates/release.yml",
    ] {
        let concurrency = &workflows[file]["concurrency"];
        assert!(
            concurrency["group"].is_string(),
            "{file}: no concurrency group"
        );
        assert_eq!(
            concurrency["cancel-in-progress"], false,
            "{file}: a deploy must finish"
        );
    }
    let group = |f: &str| workflows[f]["concurrency"]["group"].clone();
    assert_eq!(
        group("workflows-templates/deploy.yml"),
        group("workflows-templates/deploy-staging.yml")
    );
}

#[test]
fn case_1_and_4_the_gate_runs_metadata_only_on_every_event_without_an_if() {
    let workflows = all_workflows();
    let gate = &workflows["workflows-templates/gate.yml"];
    let on = &gate["on"];
    let types: Vec<&str> = on["pull_request_target"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let wanted = [
        "opened",
        "synchronize",
        "reopened",
        "edited",
        "labeled",
        "unlabeled",
        "ready_for_review",
    ];
    assert_eq!(types, wanted);
    // Reviews are judged by the merge workflow's default-branch copy (case 35).
    assert!(on.get("pull_request_review").is_none() && on.get("merge_group").is_some());
    for (id, job) in gate["jobs"].as_object().unwrap() {
        assert!(job.get("if").is_none(), "gate job {id} has an if:");
        for step in job["steps"].as_array().unwrap() {
            assert!(step.get("if").is_none(), "gate job {id}: a step with if:");
            let uses = step["uses"].as_str().unwrap_or_default();
            assert!(
                !uses.starts_with("actions/checkout"),
                "the gate checks nothing out"
            );
            assert!(
                step.get("run").is_none(),
                "the gate runs no script of its own"
            );
        }
    }
    let gate_steps = shiprig_steps(gate);
    assert_eq!(gate_steps.len(), 1);
    assert_eq!(gate_steps[0].1["with"]["command"], "gate");
    // Only the gate may listen to pull_request_target, and no job anywhere is named like the
    // gate's check (a workflow job with that name would post a check that could pass for it).
    for (file, doc) in &workflows {
        if file != "workflows-templates/gate.yml" {
            assert!(doc["on"].get("pull_request_target").is_none(), "{file}");
        }
        for (id, job) in doc["jobs"].as_object().unwrap() {
            assert_ne!(id, GATE_CHECK, "{file}");
            assert_ne!(
                job.get("name").and_then(Value::as_str),
                Some(GATE_CHECK),
                "{file}"
            );
        }
    }
}

#[test]
fn every_template_runs_the_same_pinned_shiprig() {
    let workflows = yaml_files("workflows-templates");
    let mut pins: Vec<String> = workflows
        .values()
        .flat_map(shiprig_steps)
        .map(|(_, step)| step["uses"].as_str().unwrap().to_string())
        .collect();
    pins.sort();
    pins.dedup();
    assert_eq!(pins.len(), 1, "{pins:?}");
}

#[test]
fn the_rules_catch_what_they_are_for() {
    let bad = parse(
        "bad.yml",
        "on: {workflow_run: {workflows: [ci]}}\npermissions: write-all\njobs:\n  x:\n    name: shiprig/human-gate\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n      - run: echo \"${{ github.event.pull_request.title }}\"\n",
    );
    let problems = workflow_problems("bad.yml", &bad).join("\n");
    for expected in [
        "top-level `permissions:`",
        "workflow_run not limited to `types: [completed]`",
        "a workflow_run job checks out or runs code",
        "must be an explicit map",
        "no timeout-minutes",
        "named like the gate's check",
        "not pinned",
        "checkout keeps credentials",
        "${{github.event.",
    ] {
        assert!(
            problems.contains(expected),
            "{expected} not in:\n{problems}"
        );
    }
}

/// The end of an agent's run starts a Conductor tick at once, by the one event the Actions
/// token may cause that starts a workflow (workflow_dispatch), whether the agent succeeded or
/// not; the Conductor's workflow accepts it.
#[test]
fn an_agents_run_ends_with_a_conductor_tick() {
    let workflows = all_workflows();
    let agent = &workflows["workflows-templates/agent.yml"];
    let wake = &agent["jobs"]["wake"];
    assert_eq!(wake["needs"], "agent");
    assert_eq!(wake["if"], "always()");
    assert_eq!(wake["permissions"], serde_json::json!({"actions": "write"}));
    let run = wake["steps"][0]["run"].as_str().unwrap();
    assert!(
        run.starts_with("gh workflow run shiprig-conductor.yml "),
        "{run}"
    );
    let conductor = &workflows["workflows-templates/conductor.yml"];
    assert!(conductor["on"].get("workflow_dispatch").is_some());
}

/// Every value the Conductor may dispatch is an input of the shipped agent workflow: GitHub
/// refuses a dispatch that carries an input the workflow does not declare.
#[test]
fn the_agent_workflow_declares_every_input_the_conductor_sends() {
    use shiprig::agents::{Assignment, FailingCheck, Fix, Task};
    let workflows = all_workflows();
    let inputs = &workflows["workflows-templates/agent.yml"]["on"]["workflow_dispatch"]["inputs"];
    let repo = shiprig::github::Repo::new("acme", "widget");
    let fix = Fix {
        pull_request: 7,
        head_sha: "abc".into(),
        failing: vec![FailingCheck {
            name: "test".into(),
            url: "https://ci".into(),
        }],
    };
    let respond = shiprig::agents::Respond {
        pull_request: 7,
        review_url: "https://review".into(),
        reviewer: "alice".into(),
        text: "add a test".into(),
    };
    for task in [
        Task::Implement,
        Task::Fix(&fix),
        Task::Review { pull_request: 7 },
        Task::Respond(&respond),
    ] {
        let assignment = Assignment {
            repo: &repo,
            issue: 1,
            agent: "agent-1",
            title: "t",
            body: "b",
            url: "u",
            task,
            handoff: "agent-0 did not finish",
            token_secret: Some("SHIPRIG_AGENT_TOKEN_REVIEWER"),
            test_command: Some("cargo test"),
            claim: 9,
        };
        for key in assignment.data().keys() {
            assert!(inputs.get(key).is_some(), "input {key} is not declared");
        }
    }
}

/// GitHub's trigger rules the workflow runner applies (support/workflow/rules.rs), each with
/// the documentation it follows.
mod trigger_rules {
    use serde_json::json;
    use shiprig::emulator::Writer;

    use crate::support::workflow::rules::{self, RunStart};

    fn start(event: &str, payload: serde_json::Value, writer: Writer) -> RunStart {
        rules::start(event, &payload, writer, 0, "main")
    }

    /// "When you use the repository's GITHUB_TOKEN to perform tasks, events triggered by the
    /// GITHUB_TOKEN, with the exception of workflow_dispatch and repository_dispatch, will not
    /// create a new workflow run."
    #[test]
    fn the_actions_token_starts_nothing() {
        let push = json!({"ref": "refs/heads/main", "after": "abc"});
        for (event, payload) in [
            ("push", push.clone()),
            ("issues", json!({"action": "closed"})),
            ("pull_request", json!({"action": "closed"})),
            ("pull_request_review", json!({"action": "submitted"})),
            ("status", json!({"sha": "abc"})),
        ] {
            assert!(
                matches!(
                    start(event, payload.clone(), Writer::ActionsToken),
                    RunStart::Never(_)
                ),
                "{event}"
            );
            assert!(
                matches!(
                    start(event, payload.clone(), Writer::App),
                    RunStart::Runs { .. }
                ),
                "{event} by an App"
            );
            assert!(
                matches!(start(event, payload, Writer::User), RunStart::Runs { .. }),
                "{event} by a user"
            );
        }
    }

    /// "… with the exception of workflow_dispatch and repository_dispatch …"
    #[test]
    fn the_actions_token_may_dispatch() {
        let dispatch = json!({"workflow": "shiprig-deploy.yml", "ref": "main"});
        assert_eq!(
            start("workflow_dispatch", dispatch, Writer::ActionsToken),
            RunStart::Runs {
                reference: "refs/heads/main".into()
            }
        );
        assert!(matches!(
            start(
                "repository_dispatch",
                json!({"action": "go"}),
                Writer::ActionsToken
            ),
            RunStart::Runs { .. }
        ));
    }

    /// docs/architecture.md, "GitHub facts that decide the design": "A `pull_request` opened or
    /// synchronized by that token creates runs that wait for a person's approval."
    #[test]
    fn a_pull_request_the_actions_token_opens_waits_for_approval() {
        for action in ["opened", "synchronize", "reopened"] {
            let payload = json!({"action": action, "pull_request": {"head": {"sha": "h"}}});
            assert_eq!(
                start("pull_request", payload, Writer::ActionsToken),
                RunStart::AwaitsApproval,
                "{action}"
            );
        }
    }

    /// "To prevent recursive workflows, this event does not trigger workflows if the check
    /// suite was created by GitHub Actions or if the check suite's head SHA is associated
    /// with GitHub Actions."
    #[test]
    fn check_suites_of_github_actions_start_nothing() {
        let actions = json!({"slug": "github-actions"});
        let suite = json!({"action": "completed", "check_suite": {"app": actions}});
        let run = json!({"action": "completed", "check_run": {"check_suite": {"app": actions}}});
        // Even when a person's push made the suite: the suite is GitHub Actions'.
        assert!(matches!(
            start("check_suite", suite, Writer::User),
            RunStart::Never(_)
        ));
        assert!(matches!(
            start("check_run", run, Writer::User),
            RunStart::Never(_)
        ));
        let external = json!({"action": "completed", "check_suite": {"app": {"slug": "circleci"}}});
        assert!(matches!(
            start("check_suite", external, Writer::App),
            RunStart::Runs { .. }
        ));
    }

    /// "You can't use workflow_run to chain together more than three levels of workflows."
    /// A run started by any other event is level 1; its workflow_run starts level 2, and so
    /// on: a level-3 run's end starts nothing.
    #[test]
    fn workflow_run_chains_three_levels_at_most() {
        let done = json!({"action": "completed", "workflow_run": {"head_sha": "h"}});
        for level in 1..rules::MAX_CHAIN {
            assert!(matches!(
                rules::start("workflow_run", &done, Writer::User, level, "main"),
                RunStart::Runs { .. }
            ));
        }
        assert!(matches!(
            rules::start(
                "workflow_run",
                &done,
                Writer::User,
                rules::MAX_CHAIN,
                "main"
            ),
            RunStart::Never(_)
        ));
    }

    /// Which copy of the workflow files each trigger runs: `pull_request` and
    /// `pull_request_review` the pull request's merge commit ("GITHUB_SHA: Last merge commit
    /// on the GITHUB_REF branch"); `pull_request_target` "runs in the context of the base of
    /// the pull request, rather than in the context of the merge commit"; `workflow_run` and
    /// `schedule` the default branch ("This event will only trigger a workflow run if the
    /// workflow file exists on the default branch.").
    #[test]
    fn each_trigger_runs_its_own_copy() {
        let pull = json!({"action": "submitted", "pull_request": {
            "head": {"sha": "pr-head"}, "base": {"ref": "release-1"}}});
        let copy = |event: &str| rules::copy_of(event, &pull, "main");
        assert_eq!(copy("pull_request"), "pr-head");
        assert_eq!(copy("pull_request_review"), "pr-head");
        assert_eq!(copy("pull_request_target"), "refs/heads/release-1");
        assert_eq!(copy("workflow_run"), "refs/heads/main");
        assert_eq!(copy("schedule"), "refs/heads/main");
        assert_eq!(copy("issues"), "refs/heads/main");
        let push = json!({"ref": "refs/heads/production", "after": "pushed"});
        assert_eq!(rules::copy_of("push", &push, "main"), "pushed");
    }

    /// "The shortest interval you can run scheduled workflows is once every 5 minutes."
    #[test]
    fn schedule_runs_at_most_every_five_minutes() {
        assert!(rules::schedule_runs(None, 0));
        assert!(!rules::schedule_runs(Some(0), 1));
        assert!(!rules::schedule_runs(Some(0), 4));
        assert!(rules::schedule_runs(Some(0), 5));
    }
}

/// The emulator's event log: for every write, who made it (a person, the Actions token, an
/// App) and the events GitHub raises from it.
mod event_log {
    use serde_json::json;
    use shiprig::emulator::{ACTIONS_LOGIN, Permission, UserKind, Writer};

    use crate::support::emulator::{Api, REPO, TOKEN, rsa_pair, seeded};

    #[tokio::test(flavor = "multi_thread")]
    async fn each_write_records_its_writer_and_the_events_github_raises() {
        let emu = seeded().await;
        {
            let mut m = emu.model();
            m.record_events(true);
            m.set_file(
                REPO,
                "main",
                ".github/workflows/shiprig-deploy.yml",
                "on: workflow_dispatch\n",
            );
            m.add_user(ACTIONS_LOGIN, UserKind::Bot);
            m.set_permission(REPO, ACTIONS_LOGIN, Permission::Write);
            m.add_token("ghs_job", ACTIONS_LOGIN);
            m.register_app(77, &rsa_pair().1);
            m.set_permission(REPO, "app-77[bot]", Permission::Write);
            m.add_token("ghs_app", "app-77[bot]");
        }
        let person = Api::new(&emu, Some(TOKEN));
        let job = Api::new(&emu, Some("ghs_job"));
        let app = Api::new(&emu, Some("ghs_app"));
        let (status, issue) = person
            .json(
                "POST",
                &format!("/repos/{REPO}/issues"),
                Some(json!({"title": "Login", "labels": ["approved"]})),
            )
            .await;
        assert_eq!(status, 201);
        let n = issue["number"].as_u64().unwrap();
        let (status, _) = job
            .json(
                "PATCH",
                &format!("/repos/{REPO}/issues/{n}"),
                Some(json!({"state": "closed"})),
            )
            .await;
        assert_eq!(status, 200);
        let sha = emu.model().branch_sha(REPO, "main").unwrap();
        let (status, _) = app
            .json(
                "POST",
                &format!("/repos/{REPO}/check-runs"),
                Some(json!({"name": "ci", "head_sha": sha, "status": "completed", "conclusion": "success"})),
            )
            .await;
        assert_eq!(status, 201);
        let (status, _) = job
            .json(
                "POST",
                &format!("/repos/{REPO}/actions/workflows/shiprig-deploy.yml/dispatches"),
                Some(json!({"ref": "main"})),
            )
            .await;
        assert_eq!(status, 204);
        let raised: Vec<(String, Option<String>, String, Writer)> = emu
            .model()
            .raised_events()
            .into_iter()
            .map(|e| (e.event, e.action, e.actor, e.writer))
            .collect();
        let s = |v: &str| v.to_string();
        let want = [
            (s("issues"), Some(s("opened")), s("mia"), Writer::User),
            (s("issues"), Some(s("labeled")), s("mia"), Writer::User),
            (
                s("issues"),
                Some(s("closed")),
                s(ACTIONS_LOGIN),
                Writer::ActionsToken,
            ),
            (
                s("check_run"),
                Some(s("created")),
                s("app-77[bot]"),
                Writer::App,
            ),
            (
                s("check_suite"),
                Some(s("completed")),
                s("app-77[bot]"),
                Writer::App,
            ),
        ];
        assert_eq!(raised[..5], want[..]);
        let events = emu.model().raised_events();
        assert_eq!(
            events[3].payload["check_run"]["check_suite"]["app"]["slug"],
            "app-77"
        );
        assert_eq!(events[1].payload["label"]["name"], "approved");
        // The Actions token's dispatch: raised, and (by the rules) the one that starts runs.
        assert_eq!(events[5].event, "workflow_dispatch");
        assert_eq!(events[5].writer, Writer::ActionsToken);
        assert_eq!(events[5].payload["workflow"], "shiprig-deploy.yml");
        assert_eq!(events.len(), 6);
    }
}
