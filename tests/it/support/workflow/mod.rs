//! The rules every shipped workflow and `action.yml` must keep (docs/security.md#case-31), as a
//! function the workflow tests and the `init` tests share.
#![allow(dead_code)]

pub mod rules;
pub mod runner;

use serde_json::Value;

/// The gate's check name: only shiprig posts it, through the API.
pub const GATE_CHECK: &str = "shiprig/human-gate";

pub fn parse(file: &str, text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{file} is not YAML: {e}"))
}

fn is_pinned(uses: &str) -> bool {
    if uses.starts_with("./") || uses.starts_with("docker://") {
        return false;
    }
    match uses.rsplit_once('@') {
        Some((action, sha)) => {
            !action.is_empty()
                && sha.len() == 40
                && sha
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        }
        None => false,
    }
}

/// Problems with one step (of a job or of a composite action).
fn step_problems(file: &str, at: &str, step: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(uses) = step.get("uses").and_then(Value::as_str) {
        if !is_pinned(uses) {
            problems.push(format!(
                "{file}: {at}: `{uses}` is not pinned to a commit SHA"
            ));
        }
        if uses.starts_with("actions/checkout@")
            && step.pointer("/with/persist-credentials") != Some(&Value::Bool(false))
        {
            problems.push(format!("{file}: {at}: checkout keeps credentials"));
        }
    }
    if let Some(run) = step.get("run").and_then(Value::as_str) {
        let squeezed: String = run.split_whitespace().collect();
        if squeezed.contains("${{") {
            problems.push(format!(
                "{file}: {at}: an expression inside `run:` (pass it through `env:`)"
            ));
        }
        for bad in ["${{github.event.", "${{inputs."] {
            if squeezed.contains(bad) {
                problems.push(format!("{file}: {at}: `{bad}` inside `run:`"));
            }
        }
    }
    problems
}

/// Every rule a workflow breaks; empty when it keeps them all.
pub fn workflow_problems(file: &str, doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if doc.get("permissions") != Some(&serde_json::json!({})) {
        problems.push(format!("{file}: top-level `permissions:` is not `{{}}`"));
    }
    let on = doc
        .get("on")
        .or_else(|| doc.get("true"))
        .cloned()
        .unwrap_or(Value::Null);
    problems.extend(workflow_run_problems(file, &on, doc));
    let jobs = doc.get("jobs").and_then(Value::as_object);
    for (id, job) in jobs.into_iter().flatten() {
        let at = format!("job `{id}`");
        match job.get("permissions") {
            Some(Value::Object(_)) => {}
            other => problems.push(format!(
                "{file}: {at}: `permissions:` must be an explicit map, found {other:?}"
            )),
        }
        if job.get("timeout-minutes").is_none() {
            problems.push(format!("{file}: {at}: no timeout-minutes"));
        }
        if id == GATE_CHECK || job.get("name").and_then(Value::as_str) == Some(GATE_CHECK) {
            problems.push(format!("{file}: {at}: named like the gate's check"));
        }
        if let Some(uses) = job.get("uses").and_then(Value::as_str)
            && !is_pinned(uses)
        {
            problems.push(format!("{file}: {at}: `{uses}` is not pinned"));
        }
        let steps = job.get("steps").and_then(Value::as_array);
        for (i, step) in steps.into_iter().flatten().enumerate() {
            problems.extend(step_problems(file, &format!("{at} step {i}"), step));
        }
    }
    problems
}

/// docs/security.md#case-31: `workflow_run` only where a privileged step must follow an untrusted
/// trigger or CI: it names the workflows it follows, only on `completed`, and no job checks
/// out code or runs a script of its own (it runs shiprig, which reads through the API). The
/// inline justification is [`workflow_run_unjustified`]'s part (it needs the text).
fn workflow_run_problems(file: &str, on: &Value, doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if on.as_str() == Some("workflow_run")
        || on
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e == "workflow_run"))
    {
        return vec![format!("{file}: workflow_run without `workflows:`")];
    }
    let Some(run) = on.get("workflow_run") else {
        return problems;
    };
    if run
        .get("workflows")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        problems.push(format!("{file}: workflow_run without `workflows:`"));
    }
    if run.get("types") != Some(&serde_json::json!(["completed"])) {
        problems.push(format!(
            "{file}: workflow_run not limited to `types: [completed]`"
        ));
    }
    let jobs = doc.get("jobs").and_then(Value::as_object);
    for (id, job) in jobs.into_iter().flatten() {
        for step in job["steps"].as_array().into_iter().flatten() {
            let uses = step["uses"].as_str().unwrap_or_default();
            if uses.starts_with("actions/checkout@") || step.get("run").is_some() {
                problems.push(format!(
                    "{file}: job `{id}`: a workflow_run job checks out or runs code"
                ));
            }
        }
    }
    problems
}

/// Each `workflow_run:` line of a workflow's text that carries no inline justification
/// (`# zizmor: ignore[dangerous-triggers] <reason>`).
pub fn workflow_run_unjustified(file: &str, text: &str) -> Vec<String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.trim_start().starts_with("workflow_run:"))
        .filter(|(_, line)| {
            line.split_once("# zizmor: ignore[dangerous-triggers]")
                .is_none_or(|(_, reason)| reason.trim().len() < 20)
        })
        .map(|(i, _)| format!("{file}:{}: workflow_run without its reason inline", i + 1))
        .collect()
}

/// Every rule a composite action breaks.
pub fn action_problems(file: &str, doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if doc.pointer("/runs/using").and_then(Value::as_str) != Some("composite") {
        problems.push(format!("{file}: not a composite action"));
    }
    let steps = doc.pointer("/runs/steps").and_then(Value::as_array);
    for (i, step) in steps.into_iter().flatten().enumerate() {
        problems.extend(step_problems(file, &format!("step {i}"), step));
    }
    problems
}

/// The write scopes a workflow's jobs ask for, as `job:scope`.
pub fn write_scopes(doc: &Value) -> Vec<String> {
    let mut scopes = Vec::new();
    let jobs = doc.get("jobs").and_then(Value::as_object);
    for (id, job) in jobs.into_iter().flatten() {
        let perms = job.get("permissions").and_then(Value::as_object);
        for (scope, level) in perms.into_iter().flatten() {
            if level.as_str() != Some("read") && level.as_str() != Some("none") {
                scopes.push(format!("{id}:{scope}"));
            }
        }
    }
    scopes.sort();
    scopes
}

/// The shiprig commands a workflow runs, by job.
pub fn shiprig_steps(doc: &Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    let jobs = doc.get("jobs").and_then(Value::as_object);
    for (id, job) in jobs.into_iter().flatten() {
        let steps = job.get("steps").and_then(Value::as_array);
        for step in steps.into_iter().flatten() {
            let uses = step.get("uses").and_then(Value::as_str).unwrap_or_default();
            if uses.starts_with("shiprig/shiprig@") {
                found.push((id.clone(), step.clone()));
            }
        }
    }
    found
}
