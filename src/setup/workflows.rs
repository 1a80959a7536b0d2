//! Reading a repository's workflow files the way `doctor` needs: their triggers, the shiprig
//! commands they run, and their jobs' names.

use serde_json::Value;

/// One workflow file, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    pub file: String,
    pub triggers: Vec<String>,
    /// `command` of every step that uses the shiprig action (`conductor tick`, `gate`, …).
    pub commands: Vec<String>,
    /// Every job's id and `name:`.
    pub job_names: Vec<String>,
    /// The `uses:` of every step that uses the shiprig action (`owner/shiprig@<sha>`).
    pub pins: Vec<String>,
    pub has_schedule: bool,
    /// The workflow's `name:` (what `workflow_run.workflows` matches), when it has one.
    pub name: Option<String>,
    /// The workflows its `workflow_run` follows.
    pub follows: Vec<String>,
    /// The shiprig commands whose step acts as a GitHub App (`app-id` given).
    pub as_app: Vec<String>,
    /// Each shiprig command's step and the environment variable names it passes.
    pub env: Vec<(String, Vec<String>)>,
}

/// Parses a workflow; `Err` says why it is not one.
pub fn read(file: &str, text: &str) -> Result<Workflow, String> {
    let doc: Value = serde_saphyr::from_str(text).map_err(|e| format!("{file}: {e}"))?;
    let on = doc.get("on").or_else(|| doc.get("true"));
    let triggers = match on {
        Some(Value::String(event)) => vec![event.clone()],
        Some(Value::Array(events)) => events
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::Object(events)) => events.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let has_schedule = on
        .and_then(|o| o.get("schedule"))
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty());
    let follows = on
        .and_then(|o| o.pointer("/workflow_run/workflows"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    let mut commands = Vec::new();
    let mut job_names = Vec::new();
    let mut pins = Vec::new();
    let mut as_app = Vec::new();
    let mut env = Vec::new();
    if let Some(jobs) = doc.get("jobs").and_then(Value::as_object) {
        for (id, job) in jobs {
            job_names.push(id.clone());
            if let Some(name) = job.get("name").and_then(Value::as_str) {
                job_names.push(name.to_string());
            }
            commands.extend(shiprig_commands(job));
            as_app.extend(
                shiprig_steps(job)
                    .filter(|s| {
                        s.pointer("/with/app-id")
                            .and_then(Value::as_str)
                            .is_some_and(|v| !v.trim().is_empty())
                    })
                    .filter_map(|s| s.pointer("/with/command").and_then(Value::as_str))
                    .map(|c| c.split_whitespace().collect::<Vec<_>>().join(" ")),
            );
            env.extend(shiprig_steps(job).filter_map(|s| {
                let command = s.pointer("/with/command").and_then(Value::as_str)?;
                let names = s
                    .get("env")
                    .and_then(Value::as_object)
                    .map(|e| e.keys().cloned().collect())
                    .unwrap_or_default();
                Some((
                    command.split_whitespace().collect::<Vec<_>>().join(" "),
                    names,
                ))
            }));
            pins.extend(shiprig_steps(job).filter_map(|s| s["uses"].as_str().map(str::to_string)));
        }
    }
    Ok(Workflow {
        file: file.to_string(),
        triggers,
        commands,
        job_names,
        pins,
        has_schedule,
        name: doc.get("name").and_then(Value::as_str).map(str::to_string),
        follows,
        as_app,
        env,
    })
}

/// The steps of a job that use the shiprig action.
fn shiprig_steps(job: &Value) -> impl Iterator<Item = &Value> {
    job.get("steps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|step| {
            step.get("uses")
                .and_then(Value::as_str)
                .is_some_and(|u| u.split('@').next().is_some_and(|a| a.ends_with("/shiprig")))
        })
}

fn shiprig_commands(job: &Value) -> Vec<String> {
    shiprig_steps(job)
        .filter_map(|step| step.pointer("/with/command").and_then(Value::as_str))
        .map(|c| c.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

impl Workflow {
    pub fn runs(&self, command: &str) -> bool {
        self.commands.iter().any(|c| c == command)
    }

    /// Whether some step running `command` passes the environment variable `name`.
    pub fn passes(&self, command: &str, name: &str) -> bool {
        self.env
            .iter()
            .any(|(c, names)| c == command && names.iter().any(|n| n == name))
    }

    pub fn on(&self, trigger: &str) -> bool {
        self.triggers.iter().any(|t| t == trigger)
    }
}
