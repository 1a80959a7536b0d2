//! GitHub Actions, as far as shiprig's workflows need it: which workflows and jobs an event
//! starts (`on:` with `types` and `branches`, `needs:`), what each job gets (the event
//! payload file, `GITHUB_*`, a token with the job's permissions, `secrets` and `vars`), and
//! every step that uses the shiprig action run exactly as `action.yml` runs it: through
//! `scripts/run.sh` with the inputs in its environment. Other steps (checkout) do nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use serde_json::json;
use shiprig::emulator::{Emulator, Permission, UserKind, Writer};

use super::{parse, rules};

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

/// One event the runner considered, and what GitHub made of it.
#[derive(Debug, Clone)]
pub struct Hop {
    pub event: String,
    pub action: Option<String>,
    /// Who caused it (`schedule` for a tick, `actions` for a finished run).
    pub actor: String,
    /// Delivered by the test itself rather than raised by the emulator from a write.
    pub by_hand: bool,
    /// The workflow it started, or what stopped it.
    pub outcome: String,
}

impl std::fmt::Display for Hop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let action = self
            .action
            .as_deref()
            .map(|a| format!(" {a}"))
            .unwrap_or_default();
        let hand = if self.by_hand { " (by hand)" } else { "" };
        write!(
            f,
            "{}{action} by {}{hand} -> {}",
            self.event, self.actor, self.outcome
        )
    }
}

/// One event waiting to be delivered.
#[derive(Debug, Clone)]
struct Incoming {
    event: String,
    payload: Value,
    actor: String,
    writer: Writer,
    /// For `workflow_run`: the chain level of the run that completed.
    level: u8,
    by_hand: bool,
}

/// A repository's workflows and what Actions gives their jobs. Workflows are read from the
/// repository in the emulator, as the copy GitHub would run for each event
/// ([`rules::copy_of`]); events come from the emulator's log of what each write raised, and
/// start runs only where GitHub would ([`rules::start`]).
pub struct Actions {
    pub repo: String,
    pub api: String,
    pub secrets: BTreeMap<String, String>,
    pub vars: BTreeMap<String, String>,
    pub checkout: PathBuf,
    pub work: tempfile::TempDir,
    pub ran: Vec<StepRun>,
    /// Every event considered, in order: the chain of runs.
    pub hops: Vec<Hop>,
    /// Events the test delivered itself, by `event action`.
    pub by_hand: BTreeMap<String, u32>,
    default_branch: String,
    runs: u64,
    seen: u64,
    last_schedule: Option<i64>,
    /// The results (`success`, `failure`, `skipped`) of the running workflow's finished jobs,
    /// for `${{ needs.JOB.result }}`.
    results: BTreeMap<String, String>,
    /// Steps (`shiprig-release.yml: smoke production`) that may fail: the test made the real thing fail
    /// (an endpoint answering 500). Any other failing step fails the test.
    pub may_fail: BTreeSet<String>,
    /// The steps that failed, in order.
    pub failed: Vec<StepRun>,
    /// The last run of each workflow file, for a rerun of its failed jobs.
    last_runs: BTreeMap<String, RunRecord>,
}

/// One run of a workflow as Actions keeps it: what started it and how each job ended.
#[derive(Debug, Clone)]
struct RunRecord {
    doc: Value,
    event: String,
    payload: Value,
    /// `GITHUB_RUN_ID`, the same for every attempt.
    id: u64,
    attempt: u32,
    results: BTreeMap<String, String>,
    /// Each job's outputs, as its steps wrote them to GITHUB_OUTPUT (`key=value` lines).
    outputs: BTreeMap<String, String>,
    level: u8,
}

impl RunRecord {
    fn conclusion(&self) -> &'static str {
        if self.results.values().any(|r| r == "failure") {
            "failure"
        } else {
            "success"
        }
    }
}

impl Actions {
    /// The workflows of `repo` (default branch `main`) in the emulator.
    pub fn new(repo: &str, emu: &Emulator, checkout: &Path) -> Actions {
        emu.model().add_user(ACTIONS_BOT, UserKind::Bot);
        emu.model().record_events(true);
        let seen = emu.model().raised_events().len() as u64;
        Actions {
            repo: repo.to_string(),
            api: emu.url(),
            secrets: BTreeMap::new(),
            vars: BTreeMap::new(),
            checkout: checkout.to_path_buf(),
            work: tempfile::tempdir().unwrap(),
            ran: Vec::new(),
            hops: Vec::new(),
            by_hand: BTreeMap::new(),
            default_branch: "main".to_string(),
            runs: 0,
            seen,
            last_schedule: None,
            results: BTreeMap::new(),
            may_fail: BTreeSet::new(),
            failed: Vec::new(),
            last_runs: BTreeMap::new(),
        }
    }

    /// The `*.yml` workflow files under `.github/workflows/` as `reference` has them.
    pub fn workflows_at(&self, emu: &Emulator, reference: &str) -> Vec<(String, Value)> {
        let files = emu
            .model()
            .files_at(&self.repo, reference, ".github/workflows/");
        files
            .into_iter()
            .filter(|(p, _)| p.ends_with(".yml"))
            .map(|(p, text)| {
                let name = p.rsplit('/').next().unwrap().to_string();
                let doc = parse(&name, &text);
                (name, doc)
            })
            .collect()
    }

    /// A person's act the emulator cannot see (done through the model): delivered by hand,
    /// counted, under the same rules.
    pub fn by_hand(
        &mut self,
        emu: &Emulator,
        event: &str,
        actor: &str,
        payload: Value,
    ) -> Vec<StepRun> {
        let key = match payload["action"].as_str() {
            Some(a) => format!("{event} {a}"),
            None => event.to_string(),
        };
        *self.by_hand.entry(key).or_default() += 1;
        let writer = emu.model().writer_kind(actor);
        let mut ran = self.deliver_one(
            emu,
            Incoming {
                event: event.to_string(),
                payload,
                actor: actor.to_string(),
                writer,
                level: 0,
                by_hand: true,
            },
        );
        ran.extend(self.settle(emu));
        ran
    }

    /// A `schedule` tick at `minute` (minutes since the story began): it runs every
    /// scheduled workflow unless the last run was less than five minutes before.
    pub fn tick(&mut self, emu: &Emulator, minute: i64) -> Vec<StepRun> {
        if !rules::schedule_runs(self.last_schedule, minute) {
            self.hops.push(Hop {
                event: "schedule".into(),
                action: None,
                actor: "schedule".into(),
                by_hand: true,
                outcome: "nothing: less than five minutes since the last run".into(),
            });
            return Vec::new();
        }
        self.last_schedule = Some(minute);
        self.by_hand(emu, "schedule", "schedule", json!({"schedule": "tick"}))
    }

    /// Delivers every event the emulator raised since the last call (and every run those
    /// start, and every `workflow_run` they complete) until nothing new is raised.
    pub fn settle(&mut self, emu: &Emulator) -> Vec<StepRun> {
        let mut ran = Vec::new();
        loop {
            let new: Vec<_> = emu
                .model()
                .raised_events()
                .into_iter()
                .filter(|e| e.seq > self.seen)
                .collect();
            let Some(last) = new.last() else {
                return ran;
            };
            self.seen = last.seq;
            let repo = self.repo.clone();
            for raised in new.into_iter().filter(|e| e.repo == repo) {
                ran.extend(self.deliver_one(
                    emu,
                    Incoming {
                        event: raised.event,
                        payload: raised.payload,
                        actor: raised.actor,
                        writer: raised.writer,
                        level: 0,
                        by_hand: false,
                    },
                ));
            }
        }
    }

    /// One event: `pull_request` also stands for `pull_request_target` (one webhook, two
    /// triggers with different copies).
    fn deliver_one(&mut self, emu: &Emulator, incoming: Incoming) -> Vec<StepRun> {
        let mut ran = Vec::new();
        let mut queue = std::collections::VecDeque::from([incoming.clone()]);
        if incoming.event == "pull_request" {
            queue.push_back(Incoming {
                event: "pull_request_target".into(),
                ..incoming
            });
        }
        while let Some(mut inc) = queue.pop_front() {
            if inc.event == "workflow_dispatch" && inc.payload.get("sha").is_none() {
                // Actions runs a dispatch on the ref's last commit (GITHUB_SHA).
                let branch = inc.payload["ref"].as_str().unwrap_or_default();
                let branch = branch.trim_start_matches("refs/heads/").to_string();
                inc.payload["sha"] = json!(emu.model().branch_sha(&self.repo, &branch));
            }
            let verdict = rules::start(
                &inc.event,
                &inc.payload,
                inc.writer,
                inc.level,
                &self.default_branch,
            );
            let hop = |outcome: String| Hop {
                event: inc.event.clone(),
                action: inc.payload["action"].as_str().map(str::to_string),
                actor: inc.actor.clone(),
                by_hand: inc.by_hand,
                outcome,
            };
            let reference = match verdict {
                rules::RunStart::Runs { reference } => reference,
                other => {
                    // Only worth a line when some workflow listens for it.
                    let default = format!("refs/heads/{}", self.default_branch);
                    let listening: Vec<String> = self
                        .workflows_at(emu, &default)
                        .into_iter()
                        .filter(|(f, d)| triggers(d, f, &inc.event, &inc.payload))
                        .map(|(f, _)| f)
                        .collect();
                    if !listening.is_empty() {
                        let why = match other {
                            rules::RunStart::AwaitsApproval => {
                                "waits for a person's approval".into()
                            }
                            rules::RunStart::Never(why) => format!("no run: {why}"),
                            rules::RunStart::Runs { .. } => unreachable!(),
                        };
                        self.hops
                            .push(hop(format!("{} {why}", listening.join(", "))));
                    }
                    continue;
                }
            };
            let matching: Vec<(String, Value)> = self
                .workflows_at(emu, &reference)
                .into_iter()
                .filter(|(f, d)| triggers(d, f, &inc.event, &inc.payload))
                .collect();
            let level = if inc.event == "workflow_run" {
                inc.level + 1
            } else {
                1
            };
            for (file, doc) in matching {
                self.hops.push(hop(file.clone()));
                self.runs += 1;
                let record = RunRecord {
                    doc,
                    event: inc.event.clone(),
                    payload: inc.payload.clone(),
                    id: self.runs,
                    attempt: 1,
                    results: BTreeMap::new(),
                    outputs: BTreeMap::new(),
                    level,
                };
                let (steps, record) = self.run_workflow(emu, &file, record);
                ran.extend(steps);
                queue.push_back(self.completed(emu, &file, &record));
                self.last_runs.insert(file, record);
            }
        }
        ran
    }

    /// "Re-run failed jobs" on the last run of `file`, as a person does from the run's page:
    /// the same run (id, event, payload, workflow copy) in its next attempt, where each job
    /// that failed runs again with every job that needs it, and the others keep their result
    /// and outputs. Then whatever its end starts.
    pub fn rerun_failed(&mut self, emu: &Emulator, file: &str) -> Vec<StepRun> {
        let mut record = self
            .last_runs
            .get(file)
            .cloned()
            .unwrap_or_else(|| panic!("{file} never ran"));
        record.attempt += 1;
        self.hops.push(Hop {
            event: record.event.clone(),
            action: record.payload["action"].as_str().map(str::to_string),
            actor: "a person re-running failed jobs".into(),
            by_hand: true,
            outcome: format!("{file} (attempt {})", record.attempt),
        });
        let (mut ran, record) = self.run_workflow(emu, file, record);
        let completed = self.completed(emu, file, &record);
        self.last_runs.insert(file.to_string(), record);
        ran.extend(self.deliver_one(emu, completed));
        ran.extend(self.settle(emu));
        ran
    }

    /// What Actions raises when a run of `file` ends: `workflow_run completed`, and the
    /// GitHub Actions check suite on its SHA, with the run's conclusion.
    fn completed(&self, emu: &Emulator, file: &str, record: &RunRecord) -> Incoming {
        let doc = &record.doc;
        let conclusion = record.conclusion();
        let head_sha = record
            .payload
            .pointer("/pull_request/head/sha")
            .or_else(|| record.payload.pointer("/after"))
            .or_else(|| record.payload.pointer("/workflow_run/head_sha"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| emu.model().branch_sha(&self.repo, &self.default_branch))
            .unwrap_or_default();
        let name = doc["name"].as_str().unwrap_or(file).to_string();
        emu.model().raise_event(
            &self.repo,
            "check_suite",
            ACTIONS_BOT,
            json!({"action": "completed", "check_suite": {"head_sha": head_sha,
                "conclusion": conclusion, "app": {"slug": "github-actions"}}}),
        );
        Incoming {
            event: "workflow_run".into(),
            payload: json!({"action": "completed",
                "workflow": {"name": name, "path": format!(".github/workflows/{file}")},
                "workflow_run": {"name": name, "head_sha": head_sha, "event": record.event,
                    "conclusion": conclusion, "run_attempt": record.attempt,
                    "pull_requests": []}}),
            actor: "actions".into(),
            writer: Writer::User,
            level: record.level,
            by_hand: false,
        }
    }

    /// One attempt of a run. In a first attempt every job runs (or skips) by its `needs` and
    /// `if:`; in a rerun of failed jobs, a job that did not fail and needs no job that runs
    /// again keeps its result and outputs. A failed step ends its job (`failure`): the steps
    /// after it do not run, and the jobs that need it run only when their `if:` says so.
    fn run_workflow(
        &mut self,
        emu: &Emulator,
        file: &str,
        mut record: RunRecord,
    ) -> (Vec<StepRun>, RunRecord) {
        let event = record.event.clone();
        let payload = record.payload.clone();
        let event_path = self
            .work
            .path()
            .join(format!("event-{}-{}.json", record.id, record.attempt));
        std::fs::write(&event_path, payload.to_string()).unwrap();
        let previous = std::mem::take(&mut record.results);
        self.results.clear();
        let mut rerun: BTreeSet<String> = BTreeSet::new();
        let mut ran = Vec::new();
        let jobs = record.doc["jobs"].as_object().cloned().unwrap_or_default();
        for (id, job) in job_order(&jobs) {
            let needs = needs_of(job);
            if let Some(result) = previous.get(id)
                && result != "failure"
                && !needs.iter().any(|n| rerun.contains(*n))
            {
                self.results.insert(id.clone(), result.clone());
                continue;
            }
            rerun.insert(id.clone());
            record.outputs.remove(id);
            let condition = job["if"].as_str().map(unwrap_expression);
            // Without a status function in its `if`, a job runs only when every job it needs
            // succeeded (GitHub's implicit `success()`).
            let status_function = condition.is_some_and(|c| {
                ["always()", "cancelled()", "failure()", "success()"]
                    .iter()
                    .any(|f| c.contains(f))
            });
            let needs_ok = needs
                .iter()
                .all(|n| self.results.get(*n).map(String::as_str) == Some("success"));
            let runs = (status_function || needs_ok)
                && condition.is_none_or(|c| job_if(c, &record.outputs, &self.results));
            if !runs {
                // A skipped job: the jobs that need it skip too, unless their `if` says otherwise.
                self.results.insert(id.clone(), "skipped".into());
                continue;
            }
            let token = self.job_token(emu, job);
            let mut ok = true;
            let mut written = String::new();
            for step in job["steps"].as_array().into_iter().flatten() {
                let Some(uses) = step["uses"].as_str() else {
                    continue;
                };
                if !uses.split('@').next().unwrap_or("").ends_with("/shiprig") {
                    continue;
                }
                // After a failed step, a step runs only with a status function in its `if`
                // (shiprig's workflows have none): GitHub's implicit `success()`.
                if !ok {
                    continue;
                }
                if let Some(condition) = step["if"].as_str()
                    && !step_if(condition, &event)
                {
                    continue;
                }
                let seen = emu.requests().len();
                let step_run = WorkflowStep {
                    file,
                    job: id,
                    token: &token,
                    event: &event,
                    event_path: &event_path,
                    payload: &payload,
                    run: (record.id, record.attempt),
                };
                let run = self.run_step(step, &step_run);
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
                written.push_str(&run.outputs);
                if failed {
                    assert!(
                        self.may_fail.contains(&format!("{file}: {}", run.command)),
                        "{} exited {:?}:\n{}\noutputs:\n{}",
                        run.at(),
                        run.code,
                        run.log,
                        run.outputs
                    );
                    self.failed.push(run);
                    ok = false;
                }
            }
            record.outputs.insert(id.clone(), written);
            let result = if ok { "success" } else { "failure" };
            self.results.insert(id.clone(), result.into());
        }
        record.results = self.results.clone();
        (ran, record)
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

    /// `${{ secrets.X }}`, `${{ vars.X }}`, `${{ inputs.X }}` (a dispatch's inputs) and
    /// `${{ github.token }}`; anything else is empty.
    fn expand(&self, value: &str, token: &str, payload: &Value) -> String {
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
        if let Some(job) = inner
            .strip_prefix("needs.")
            .and_then(|r| r.strip_suffix(".result"))
        {
            return self.results.get(job).cloned().unwrap_or_default();
        }
        if let Some(name) = inner.strip_prefix("inputs.") {
            return match &payload["inputs"][name] {
                Value::String(v) => v.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
        }
        String::new()
    }

    fn run_step(&self, step: &Value, at: &WorkflowStep) -> StepRun {
        let WorkflowStep {
            file,
            job,
            token,
            event,
            event_path,
            payload,
            run: (id, attempt),
        } = *at;
        let with = |name: &str| {
            step["with"][name]
                .as_str()
                .map(|v| self.expand(v, token, payload))
        };
        let command = with("command").unwrap_or_default();
        let output = self
            .work
            .path()
            .join(format!("output-{file}-{job}-{id}-{attempt}"));
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
            .env("GITHUB_RUN_ID", id.to_string())
            .env("GITHUB_RUN_ATTEMPT", attempt.to_string())
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary);
        for (name, value) in step["env"].as_object().into_iter().flatten() {
            cmd.env(
                name,
                self.expand(value.as_str().unwrap_or_default(), token, payload),
            );
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

/// Where a step runs: its workflow file and job, the job's token, the event, and the run's
/// id and attempt.
#[derive(Clone, Copy)]
struct WorkflowStep<'a> {
    file: &'a str,
    job: &'a str,
    token: &'a str,
    event: &'a str,
    event_path: &'a Path,
    payload: &'a Value,
    run: (u64, u32),
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

/// A job's `if:` as the runner knows it: clauses joined by `&&`, each `always()`,
/// `!cancelled()` (nothing is ever cancelled here), `needs.JOB.result == 'R'` or `!= 'R'`, or
/// `needs.JOB.outputs.NAME == 'VALUE'` (read from what JOB's steps wrote to GITHUB_OUTPUT; the
/// job's `outputs:` mapping is taken as passing the step output of the same name through).
fn job_if(
    condition: &str,
    outputs: &BTreeMap<String, String>,
    results: &BTreeMap<String, String>,
) -> bool {
    condition
        .split("&&")
        .all(|clause| clause_holds(clause.trim(), outputs, results))
}

fn clause_holds(
    clause: &str,
    outputs: &BTreeMap<String, String>,
    results: &BTreeMap<String, String>,
) -> bool {
    if clause == "always()" || clause == "!cancelled()" {
        return true;
    }
    let unknown = || -> ! { panic!("a job condition the runner does not know: {clause}") };
    let rest = clause.strip_prefix("needs.").unwrap_or_else(|| unknown());
    let (left, equal, value) = if let Some((l, v)) = rest.split_once(" != '") {
        (l, false, v)
    } else if let Some((l, v)) = rest.split_once(" == '") {
        (l, true, v)
    } else {
        unknown()
    };
    let value = value.strip_suffix('\'').unwrap_or_else(|| unknown());
    let found = if let Some(job) = left.strip_suffix(".result") {
        results.get(job).map(String::as_str)
    } else {
        let (job, name) = left.split_once(".outputs.").unwrap_or_else(|| unknown());
        let written = outputs.get(job).map(String::as_str).unwrap_or_default();
        written
            .lines()
            .filter_map(|l| l.strip_prefix(name)?.strip_prefix('='))
            .next_back()
    };
    (found == Some(value)) == equal
}

/// `${{ X }}` as X; anything else as it is.
fn unwrap_expression(condition: &str) -> &str {
    let trimmed = condition.trim();
    trimmed
        .strip_prefix("${{")
        .and_then(|c| c.strip_suffix("}}"))
        .map_or(trimmed, str::trim)
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
        "workflow_dispatch" => {
            let r = s("/ref");
            let r = if r.starts_with("refs/") {
                r.to_string()
            } else {
                format!("refs/heads/{r}")
            };
            (s("/sha").into(), r)
        }
        _ => (s("/sha").into(), "refs/heads/main".into()),
    }
}

/// Whether `on:` of workflow `file` starts it for `event` with `payload` (types, branches,
/// `workflows` of `workflow_run`, the file a `workflow_dispatch` names).
pub fn triggers(doc: &Value, file: &str, event: &str, payload: &Value) -> bool {
    let on = doc
        .get("on")
        .or_else(|| doc.get("true"))
        .unwrap_or(&Value::Null);
    let filter = match on {
        Value::String(e) => e == event,
        Value::Array(a) => a.iter().any(|e| e == event),
        Value::Object(o) => o.contains_key(event),
        _ => false,
    };
    if !filter {
        return false;
    }
    if event == "workflow_dispatch" && payload["workflow"].as_str().is_some_and(|w| w != file) {
        return false;
    }
    let filter = on.get(event).cloned().unwrap_or(Value::Null);
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
    if let Some(names) = filter.get("workflows").and_then(Value::as_array) {
        let name = payload
            .pointer("/workflow/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !names.iter().any(|n| n == name) {
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
