//! SECURITY.md case 31: every workflow template, this repository's own workflows and
//! `action.yml` keep the rules (top-level `permissions: {}`, least privilege per job, every
//! `uses:` pinned to a commit SHA, `timeout-minutes` everywhere, `concurrency` where runs must
//! not overlap, no expressions inside `run:`, no `workflow_run`, a gate job without `if:`, and
//! no job that could pass for the gate's check). zizmor and check-jsonschema run in .ci/run.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::workflow::{
    GATE_CHECK, action_problems, parse, shiprig_steps, workflow_problems, write_scopes,
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
                "merge:checks",
                "merge:contents",
                "merge:issues",
                "merge:pull-requests",
            ],
        ),
        ("workflows-templates/commits.yml", &[]),
        (
            "workflows-templates/deploy-staging.yml",
            &["staging:deployments", "staging:statuses"],
        ),
        (
            "workflows-templates/deploy.yml",
            &["staging:deployments", "staging:statuses"],
        ),
        (
            "workflows-templates/release.yml",
            &[
                "production:deployments",
                "production:statuses",
                "publish:contents",
                "publish:issues",
            ],
        ),
        ("workflows-templates/monitor.yml", &["smoke:statuses"]),
        (
            "workflows-templates/agent.yml",
            &["agent:contents", "agent:pull-requests"],
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
    assert!(on.get("pull_request_review").is_some() && on.get("merge_group").is_some());
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
        "workflow_run",
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
