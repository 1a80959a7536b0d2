//! GitHub Actions, as far as shiprig's workflows need it: which workflows and jobs an event
//! starts (`on:` with `types` and `branches`, `needs:`), what each job gets (the event
//! payload file, `GITHUB_*`, a token with the job's permissions, `secrets` and `vars`), and
//! every step that uses the shiprig action run exactly as `action.yml` runs it: through
//! `scripts/run.sh` with the inputs in its environment. Other steps (checkout) do nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use shiprig::emulator::{Emulator, Permission, UserKind};

use super::parse;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Who the Actions token acts as.
pub const ACTIONS_BOT: &str = "github-actions[bot]";

/// One step that ran, and how it ended.
#[derive(Debug, Clone)]
pub struct StepRun {
    pub workflow: String,
    pub job: String,
    pub command: String,
    pub code: Option<i32>,
    pub outputs: String,
    pub log: String,
}

impl StepRun {
    pub fn at(&self) -> String {
        format!(
            "{} / {} / shiprig {}",
            self.workflow, self.job, self.command
        )
    }
}

/// A repository's workflows and what Actions gives their jobs.
pub struct Actions {
    pub workflows: Vec<(String, Value)>,
    pub repo: String,
    pub api: String,
    pub secrets: BTreeMap<String, String>,
    pub vars: BTreeMap<String, String>,
    pub checkout: PathBuf,
    pub work: tempfile::TempDir,
    pub ran: Vec<StepRun>,
    runs: u64,
}

impl Actions {
    /// Every `*.yml` in `dir`, by file name.
    pub fn from_dir(dir: &Path, repo: &str, emu: &Emulator, checkout: &Path) -> Actions {
        let mut workflows: Vec<(String, Value)> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yml"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&p).unwrap();
                let doc = parse(&name, &text);
                (name, doc)
            })
            .collect();
        workflows.sort_by(|a, b| a.0.cmp(&b.0));
        emu.model().add_user(ACTIONS_BOT, UserKind::Bot);
        Actions {
            workflows,
            repo: repo.to_string(),
            api: emu.url(),
            secrets: BTreeMap::new(),
            vars: BTreeMap::new(),
            checkout: checkout.to_path_buf(),
            work: tempfile::tempdir().unwrap(),
            ran: Vec::new(),
            runs: 0,
        }
    }

    /// Delivers `event` with `payload`: every matching workflow's jobs run, in order of their
    /// `needs`. Returns the steps that ran; a step that exits non-zero panics naming
    /// workflow, job and step, unless `tolerate` lists its exit code.
    pub fn deliver(&mut self, emu: &Emulator, event: &str, payload: &Value) -> Vec<StepRun> {
        let matching: Vec<(String, Value)> = self
            .workflows
            .iter()
            .filter(|(_, doc)| triggers(doc, event, payload))
            .cloned()
            .collect();
        let mut ran = Vec::new();
        for (file, doc) in matching {
            ran.extend(self.run_workflow(emu, &file, &doc, event, payload));
        }
        ran
    }

    /// `workflow_dispatch` of one workflow file.
    pub fn dispatch(&mut self, emu: &Emulator, file: &str, payload: &Value) -> Vec<StepRun> {
        let (file, doc) = self
            .workflows
            .iter()
            .find(|(f, _)| f == file)
            .cloned()
            .unwrap_or_else(|| panic!("no workflow {file}"));
        self.run_workflow(emu, &file, &doc, "workflow_dispatch", payload)
    }

    fn run_workflow(
        &mut self,
        emu: &Emulator,
        file: &str,
        doc: &Value,
        event: &str,
        payload: &Value,
    ) -> Vec<StepRun> {
        self.runs += 1;
        let event_path = self.work.path().join(format!("event-{}.json", self.runs));
        std::fs::write(&event_path, payload.to_string()).unwrap();
        let mut done: BTreeMap<String, bool> = BTreeMap::new();
        let mut ran = Vec::new();
        let jobs = doc["jobs"].as_object().cloned().unwrap_or_default();
        for (id, job) in job_order(&jobs) {
            let needs = needs_of(job);
            if !needs.iter().all(|n| done.get(*n) == Some(&true)) {
                done.insert(id.clone(), false);
                continue;
            }
            let token = self.job_token(emu, job);
            let mut ok = true;
            for step in job["steps"].as_array().into_iter().flatten() {
                let Some(uses) = step["uses"].as_str() else {
                    continue;
                };
                if !uses.split('@').next().unwrap_or("").ends_with("/shiprig") {
                    continue;
                }
                if let Some(condition) = step["if"].as_str()
                    && !step_if(condition, event)
                {
                    continue;
                }
                let seen = emu.requests().len();
                let run = self.run_step(file, id, step, &token, event, &event_path, payload);
                let beyond = beyond_permissions(&job["permissions"], &emu.requests()[seen..]);
                assert!(
                    beyond.is_empty(),
                    "{} needs permissions its job does not grant:\n  {}",
                    run.at(),
                    beyond.join("\n  ")
                );
                let failed = run.code != Some(0);
                ran.push(run.clone());
                self.ran.push(run.clone());
                assert!(
                    !failed,
                    "{} exited {:?}:\n{}\noutputs:\n{}",
                    run.at(),
                    run.code,
                    run.log,
                    run.outputs
                );
                ok &= !failed;
            }
            done.insert(id.clone(), ok);
        }
        ran
    }

    /// A fresh token for the job, acting as the Actions bot with the job's permissions: write
    /// when it asks for any write, read otherwise.
    fn job_token(&mut self, emu: &Emulator, job: &Value) -> String {
        let writes = job["permissions"]
            .as_object()
            .is_some_and(|p| p.values().any(|v| v == "write"));
        let token = format!("ghs_actions_job_{}", self.runs);
        let mut m = emu.model();
        m.set_permission(
            &self.repo,
            ACTIONS_BOT,
            if writes {
                Permission::Write
            } else {
                Permission::Read
            },
        );
        m.add_token(&token, ACTIONS_BOT);
        token
    }

    /// `${{ secrets.X }}`, `${{ vars.X }}` and `${{ github.token }}`; anything else is empty.
    fn expand(&self, value: &str, token: &str) -> String {
        let Some(inner) = value
            .trim()
            .strip_prefix("${{")
            .and_then(|v| v.strip_suffix("}}"))
        else {
            return value.to_string();
        };
        let inner = inner.trim();
        if let Some(name) = inner.strip_prefix("secrets.") {
            return self.secrets.get(name).cloned().unwrap_or_default();
        }
        if let Some(name) = inner.strip_prefix("vars.") {
            return self.vars.get(name).cloned().unwrap_or_default();
        }
        if inner == "github.token" {
            return token.to_string();
        }
        String::new()
    }

    #[allow(clippy::too_many_arguments)]
    fn run_step(
        &self,
        file: &str,
        job: &str,
        step: &Value,
        token: &str,
        event: &str,
        event_path: &Path,
        payload: &Value,
    ) -> StepRun {
        let with = |name: &str| step["with"][name].as_str().map(|v| self.expand(v, token));
        let command = with("command").unwrap_or_default();
        let output = self
            .work
            .path()
            .join(format!("output-{file}-{job}-{}", self.runs));
        let summary = self.work.path().join(format!("summary-{file}-{job}"));
        let (sha, git_ref) = sha_and_ref(event, payload);
        let mut cmd = std::process::Command::new("bash");
        cmd.arg(format!("{ROOT}/scripts/run.sh"))
            .current_dir(&self.checkout)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("SHIPRIG_BIN", env!("CARGO_BIN_EXE_shiprig"))
            .env("SHIPRIG_COMMAND", &command)
            .env("SHIPRIG_ARGS", with("args").unwrap_or_default())
            .env(
                "GITHUB_TOKEN",
                with("token").unwrap_or_else(|| token.to_string()),
            )
            .env("SHIPRIG_APP_ID", with("app-id").unwrap_or_default())
            .env(
                "SHIPRIG_APP_PRIVATE_KEY",
                with("app-private-key").unwrap_or_default(),
            )
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_API_URL", &self.api)
            .env("GITHUB_SERVER_URL", "https://github.example")
            .env("GITHUB_REPOSITORY", &self.repo)
            .env("GITHUB_EVENT_NAME", event)
            .env("GITHUB_EVENT_PATH", event_path)
            .env("GITHUB_SHA", sha)
            .env("GITHUB_REF", git_ref)
            .env("GITHUB_RUN_ID", self.runs.to_string())
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary);
        for (name, value) in step["env"].as_object().into_iter().flatten() {
            cmd.env(name, self.expand(value.as_str().unwrap_or_default(), token));
        }
        let out = cmd.output().expect("bash runs");
        StepRun {
            workflow: file.to_string(),
            job: job.to_string(),
            command,
            code: out.status.code(),
            outputs: std::fs::read_to_string(&output).unwrap_or_default(),
            log: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
}

/// The permission scope a request of the Actions token needs, as GitHub documents it per
/// endpoint (metadata needs none); `None` for what every token may do.
fn scope(method: &str, path: &str) -> Option<(&'static str, bool)> {
    let write = method != "GET";
    let has = |part: &str| path.contains(part);
    let scope = if has("/pulls/") && path.ends_with("/merge") {
        "contents"
    } else if has("/pulls") {
        "pull-requests"
    } else if has("/check-runs") || has("/check-suites") {
        "checks"
    } else if has("/statuses/") || path.ends_with("/status") {
        "statuses"
    } else if has("/deployments") {
        "deployments"
    } else if has("/actions/") {
        "actions"
    } else if has("/issues") || has("/labels") || has("/milestones") {
        "issues"
    } else if has("/contents/")
        || has("/git/")
        || has("/compare/")
        || has("/commits")
        || has("/tags")
        || has("/releases")
        || has("/rules/")
        || has("/branches/")
    {
        "contents"
    } else {
        return None;
    };
    Some((scope, write))
}

/// Each request of the Actions token that the job's `permissions:` do not allow.
fn beyond_permissions(
    granted: &Value,
    requests: &[shiprig::emulator::LoggedRequest],
) -> Vec<String> {
    let allows = |scope: &str, write: bool| match granted[scope].as_str() {
        Some("write") => true,
        Some("read") => !write,
        _ => false,
    };
    let mut beyond: Vec<String> = requests
        .iter()
        .filter(|r| r.actor.as_deref() == Some(ACTIONS_BOT))
        .filter_map(|r| {
            let (scope, write) = scope(&r.method, &r.path)?;
            // Labels and comments on a pull request go through the issues API, which takes
            // either scope.
            let pull_scope = scope == "issues" && allows("pull-requests", write);
            (!allows(scope, write) && !pull_scope).then(|| {
                format!(
                    "{} {} needs `{scope}: {}`",
                    r.method,
                    r.path,
                    if write { "write" } else { "read" }
                )
            })
        })
        .collect();
    beyond.dedup();
    beyond
}

/// The one kind of step condition shiprig's workflows use: `github.event_name == 'NAME'`.
fn step_if(condition: &str, event: &str) -> bool {
    let wanted = condition
        .trim()
        .strip_prefix("github.event_name == '")
        .and_then(|rest| rest.strip_suffix('\''))
        .unwrap_or_else(|| panic!("a step condition the runner does not know: {condition}"));
    wanted == event
}

fn needs_of(job: &Value) -> Vec<&str> {
    match &job["needs"] {
        Value::String(n) => vec![n.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The jobs, each after the ones it `needs`.
fn job_order(jobs: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut order: Vec<(&String, &Value)> = Vec::new();
    while order.len() < jobs.len() {
        let before = order.len();
        for (id, job) in jobs {
            let placed = |n: &str| order.iter().any(|(o, _)| o.as_str() == n);
            if !placed(id) && needs_of(job).iter().all(|n| placed(n)) {
                order.push((id, job));
            }
        }
        assert!(order.len() > before, "a cycle in `needs`");
    }
    order
}

/// `GITHUB_SHA` and `GITHUB_REF` as Actions sets them for the event.
fn sha_and_ref(event: &str, payload: &Value) -> (String, String) {
    let s = |p: &str| payload.pointer(p).and_then(Value::as_str).unwrap_or("");
    match event {
        "push" => (s("/after").into(), s("/ref").into()),
        "pull_request" | "pull_request_review" => (
            s("/pull_request/merge_commit_sha").into(),
            format!("refs/pull/{}/merge", payload["pull_request"]["number"]),
        ),
        "pull_request_target" => (
            s("/pull_request/base/sha").into(),
            format!("refs/heads/{}", s("/pull_request/base/ref")),
        ),
        _ => (s("/sha").into(), "refs/heads/main".into()),
    }
}

/// Whether `on:` starts this workflow for `event` with `payload` (types and branches).
pub fn triggers(doc: &Value, event: &str, payload: &Value) -> bool {
    let on = doc
        .get("on")
        .or_else(|| doc.get("true"))
        .unwrap_or(&Value::Null);
    let filter = match on {
        Value::String(e) => return e == event,
        Value::Array(a) => return a.iter().any(|e| e == event),
        Value::Object(o) => match o.get(event) {
            Some(f) => f,
            None => return false,
        },
        _ => return false,
    };
    if let Some(types) = filter.get("types").and_then(Value::as_array) {
        let action = payload["action"].as_str().unwrap_or("");
        if !types.iter().any(|t| t == action) {
            return false;
        }
    }
    if let Some(branches) = filter.get("branches").and_then(Value::as_array) {
        let branch = payload["ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("refs/heads/"))
            .unwrap_or("");
        if !branches.iter().any(|b| b == branch) {
            return false;
        }
    }
    true
}

/// GitHub's own example payload for `event` (with `action`), from the vendored examples.
pub fn example(event: &str, action: Option<&str>) -> Value {
    let path = format!("{ROOT}/tests/fixtures/github/webhook-examples.json");
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let hook = all
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == event)
        .unwrap_or_else(|| panic!("no example of {event}"));
    hook["examples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| action.is_none_or(|a| e["action"] == a))
        .cloned()
        .unwrap_or_else(|| panic!("no example of {event} {action:?}"))
}
