//! Reading a repository's workflow files the way `doctor` needs: their triggers, the shiprig
//! commands they run, and their jobs' names.

use serde_json::Value;

/// One workflow file, read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Workflow {
    pub(crate) file: String,
    pub(crate) triggers: Vec<String>,
    /// `command` of every step that uses the shiprig action (`conductor tick`, `gate`, …).
    pub(crate) commands: Vec<String>,
    /// Every job's id and `name:`.
    pub(crate) job_names: Vec<String>,
    /// The `uses:` of every step that uses the shiprig action (`owner/shiprig@<sha>`).
    pub(crate) pins: Vec<String>,
    pub(crate) has_schedule: bool,
    /// The workflow's `name:` (what `workflow_run.workflows` matches), when it has one.
    pub(crate) name: Option<String>,
    /// The workflows its `workflow_run` follows.
    pub(crate) follows: Vec<String>,
    /// The shiprig commands whose step acts as a GitHub App (`app-id` given).
    pub(crate) as_app: Vec<String>,
    /// The check name each job posts (its `name:`, else its id), for the jobs whose name is
    /// known before they run.
    pub(crate) checks: Vec<String>,
    /// Jobs whose check names cannot be known statically (a matrix, or a name built from an
    /// expression, or a call of a reusable workflow): GitHub names their checks at run time.
    pub(crate) dynamic_jobs: Vec<String>,
    /// `on.pull_request.branches` and `branches-ignore`: the base branches it runs for.
    pub(crate) pr_branches: Option<Vec<String>>,
    pub(crate) pr_branches_ignore: Vec<String>,
    /// Each shiprig command's step and the environment variable names it passes.
    pub(crate) env: Vec<(String, Vec<String>)>,
}

/// Parses a workflow; `Err` says why it is not one.
pub(crate) fn read(file: &str, text: &str) -> Result<Workflow, String> {
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
    let filter = |key: &str| {
        on.and_then(|o| o.pointer(&format!("/pull_request/{key}")))
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
    };
    let pr_branches = filter("branches");
    let pr_branches_ignore = filter("branches-ignore").unwrap_or_default();
    let mut checks = Vec::new();
    let mut dynamic_jobs = Vec::new();
    let mut env = Vec::new();
    if let Some(jobs) = doc.get("jobs").and_then(Value::as_object) {
        for (id, job) in jobs {
            job_names.push(id.clone());
            if let Some(name) = job.get("name").and_then(Value::as_str) {
                job_names.push(name.to_string());
            }
            let check = job.get("name").and_then(Value::as_str).unwrap_or(id);
            if job.pointer("/strategy/matrix").is_some()
                || job.get("uses").is_some()
                || check.contains("${{")
            {
                dynamic_jobs.push(id.clone());
            } else {
                checks.push(check.to_string());
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
        checks,
        dynamic_jobs,
        pr_branches,
        pr_branches_ignore,
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
    pub(crate) fn runs(&self, command: &str) -> bool {
        self.commands.iter().any(|c| c == command)
    }

    /// Whether some step running `command` passes the environment variable `name`.
    pub(crate) fn passes(&self, command: &str, name: &str) -> bool {
        self.env
            .iter()
            .any(|(c, names)| c == command && names.iter().any(|n| n == name))
    }

    pub(crate) fn on(&self, trigger: &str) -> bool {
        self.triggers.iter().any(|t| t == trigger)
    }

    /// Whether it is the repository's own CI: run on `pull_request`, and not one of shiprig's
    /// workflows (`shiprig-*.yml`).
    pub(crate) fn is_ci(&self) -> bool {
        self.on("pull_request") && !self.file.starts_with("shiprig-")
    }

    /// Whether it runs for a pull request into `base`, by its `branches` / `branches-ignore`
    /// filters (`*` and `**` match any run of characters; a pattern it cannot read counts as a
    /// match for `branches` and as none for `branches-ignore`, so a check is required only
    /// where it runs).
    pub(crate) fn runs_for_base(&self, base: &str) -> bool {
        let listed = self
            .pr_branches
            .as_ref()
            .is_none_or(|l| l.iter().any(|p| glob(p, base)));
        listed && !self.pr_branches_ignore.iter().any(|p| glob(p, base))
    }
}

/// A branch filter pattern against a name: `*` and `**` match any run of characters; other
/// pattern characters match themselves.
fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// The check names of the repository's CI for pull requests into `base` (a check required
/// where its workflow never runs would block every pull request), and the jobs whose names
/// cannot be known. A job
/// named like the gate's check is never one: only shiprig posts that check.
pub(crate) fn ci_checks(
    workflows: &[Workflow],
    gate: &str,
    base: &str,
) -> (Vec<String>, Vec<String>) {
    let ci: Vec<&Workflow> = workflows
        .iter()
        .filter(|w| w.is_ci() && w.runs_for_base(base))
        .collect();
    let mut checks: Vec<String> = ci
        .iter()
        .flat_map(|w| w.checks.iter().filter(|c| *c != gate).cloned())
        .collect();
    checks.sort();
    checks.dedup();
    let skipped = ci
        .iter()
        .flat_map(|w| w.dynamic_jobs.iter().map(|j| format!("{}: {j}", w.file)))
        .collect();
    (checks, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::templates;

    #[test]
    fn the_templates_read_as_what_they_run() {
        let gate = read("g", templates::GATE.1).unwrap();
        assert!(gate.runs("gate") && gate.on("pull_request_target") && gate.on("merge_group"));
        let conductor = read("c", templates::CONDUCTOR.1).unwrap();
        assert!(conductor.runs("conductor tick") && conductor.has_schedule);
        let monitor = read("m", templates::MONITOR.1).unwrap();
        assert!(monitor.runs("smoke production") && monitor.has_schedule);
        let deploy = read("d", templates::DEPLOY.1).unwrap();
        assert!(deploy.runs("deploy staging") && deploy.runs("release-pr"));
        assert!(!deploy.has_schedule);
        assert!(read("x", "on: [push\n").is_err());
    }
}
