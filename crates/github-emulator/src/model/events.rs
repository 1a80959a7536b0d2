//! The events GitHub raises from each write, and who made the write: the log a test's Actions
//! runner reads to start workflows only where GitHub would.
//!
//! Every successful write through the API records what GitHub would send for it (`push`,
//! `pull_request`, `issues`, `check_run`/`check_suite` with the App that created the suite,
//! `status`, `deployment_status`, `workflow_dispatch`, …), with the writer's kind: a person or
//! an agent (a user token), a job's Actions token, or an App installation. The payload is the
//! state right after the write, as GitHub snapshots it. Recording is off until
//! [`Model::record_events`] turns it on.

use serde_json::{Value, json};

use super::Model;
use crate::http::Req;

/// The Actions token's login.
pub const ACTIONS_LOGIN: &str = "github-actions[bot]";

/// Who made a write, as GitHub's trigger rules tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// A user token: a person, or an agent's own token.
    User,
    /// A workflow job's `GITHUB_TOKEN`.
    ActionsToken,
    /// A GitHub App installation token.
    App,
}

/// One event GitHub would raise.
#[derive(Debug, Clone, PartialEq)]
pub struct RaisedEvent {
    /// Position in the event log, from 1.
    pub seq: u64,
    /// `owner/name`.
    pub repo: String,
    /// The webhook event name (`push`, `pull_request`, …).
    pub event: String,
    /// The payload's `action`, when the event has one.
    pub action: Option<String>,
    /// The login that made the write.
    pub actor: String,
    pub writer: Writer,
    /// The payload, as GitHub would send it (the fields shiprig and the runner read).
    pub payload: Value,
}

impl Model {
    /// The kind of writer `login` is.
    pub fn writer_kind(&self, login: &str) -> Writer {
        if login == ACTIONS_LOGIN {
            Writer::ActionsToken
        } else if self.apps.iter().any(|a| a.bot_login() == login) {
            Writer::App
        } else {
            Writer::User
        }
    }

    /// Every file under `prefix` as `reference` (a branch, `refs/…` or a SHA) has it.
    pub fn files_at(&self, repo: &str, reference: &str, prefix: &str) -> Vec<(String, String)> {
        let Some(ri) = self.find_repo(repo) else {
            return Vec::new();
        };
        let git = &self.repos[ri].git;
        let Some(sha) = git.resolve(reference) else {
            return Vec::new();
        };
        git.commits[&sha]
            .tree
            .iter()
            .filter(|(path, _)| path.starts_with(prefix))
            .filter_map(|(path, e)| {
                let text = std::str::from_utf8(&e.content).ok()?;
                Some((path.clone(), text.to_string()))
            })
            .collect()
    }

    /// Starts (or stops) recording the events writes raise. Off by default: each event renders
    /// its payload (a pull request with its files), which timing tests should not pay for.
    pub fn record_events(&mut self, on: bool) {
        self.recording = on;
    }

    /// Every event raised so far, oldest first.
    pub fn raised_events(&self) -> Vec<RaisedEvent> {
        self.raised.clone()
    }

    /// Records an event that GitHub itself raises (not from an API write).
    pub fn raise_event(&mut self, repo: &str, event: &str, actor: &str, payload: Value) {
        let writer = self.writer_kind(actor);
        let action = payload["action"].as_str().map(str::to_string);
        let seq = self.raised.len() as u64 + 1;
        self.raised.push(RaisedEvent {
            seq,
            repo: repo.to_string(),
            event: event.to_string(),
            action,
            actor: actor.to_string(),
            writer,
            payload,
        });
    }

    /// Records what GitHub raises for a successful write `method template` (the route's path
    /// template) that answered `reply`.
    pub(crate) fn record_write(&mut self, method: &str, template: &str, req: &Req, reply: &Value) {
        if !self.recording {
            return;
        }
        let Some(actor) = req.actor.clone() else {
            return;
        };
        let Some(rest) = template.strip_prefix("/repos/{owner}/{repo}") else {
            return;
        };
        let Ok(ri) = self.ri(req.param("owner"), req.param("repo")) else {
            return;
        };
        let repo = self.repos[ri].full_name();
        let base = json!({
            "repository": self.repo_json(ri),
            "sender": self.user_json(&actor),
        });
        let with = |extra: Value| {
            let mut v = base.clone();
            for (k, x) in extra.as_object().cloned().unwrap_or_default() {
                v[k] = x;
            }
            v
        };
        let num = |name: &str| req.num(name).ok();
        let mut raised: Vec<(&str, Value)> = Vec::new();
        match (method, rest) {
            ("POST", "/pulls") => {
                if let Some(n) = reply["number"].as_u64() {
                    raised.push(("pull_request", with(self.pull_event(ri, n, "opened"))));
                }
            }
            ("PATCH", "/pulls/{pull_number}") => {
                if let Some(n) = num("pull_number") {
                    let action = match req.str("state") {
                        Some("closed") => "closed",
                        Some("open") => "reopened",
                        _ => "edited",
                    };
                    raised.push(("pull_request", with(self.pull_event(ri, n, action))));
                }
            }
            ("PUT", "/pulls/{pull_number}/merge") => {
                if let Some(n) = num("pull_number") {
                    let pull = self.pull_json(ri, n);
                    raised.push(("pull_request", with(self.pull_event(ri, n, "closed"))));
                    let branch = pull["base"]["ref"].as_str().unwrap_or_default();
                    raised.push(("push", with(self.push_payload(ri, branch))));
                    // The issues its closing keywords closed, by the merger.
                    let merge_sha = pull["merge_commit_sha"].as_str().unwrap_or_default();
                    let closed: Vec<u64> = self.repos[ri]
                        .events
                        .iter()
                        .filter(|e| e.kind == "closed" && e.commit_id.as_deref() == Some(merge_sha))
                        .map(|e| e.issue)
                        .collect();
                    for issue in closed {
                        raised.push(("issues", with(self.issue_event(ri, issue, "closed"))));
                    }
                }
            }
            ("POST", "/pulls/{pull_number}/reviews") => {
                if let Some(n) = num("pull_number") {
                    let mut payload = with(self.pull_event(ri, n, "submitted"));
                    payload["review"] = reply.clone();
                    raised.push(("pull_request_review", payload));
                }
            }
            ("POST", "/issues") => {
                if let Some(n) = reply["number"].as_u64() {
                    raised.push(("issues", with(self.issue_event(ri, n, "opened"))));
                    // Labels given at creation are each a `labeled` event too.
                    for name in req.strings("labels").unwrap_or_default() {
                        let mut payload = with(self.issue_event(ri, n, "labeled"));
                        payload["label"] = json!({"name": name});
                        raised.push(("issues", payload));
                    }
                }
            }
            ("PATCH", "/issues/{issue_number}") => {
                if let Some(n) = num("issue_number") {
                    let action = match req.str("state") {
                        Some("closed") => "closed",
                        Some("open") => "reopened",
                        _ => "edited",
                    };
                    raised.push(self.issue_or_pull(ri, n, action, &with));
                }
            }
            ("POST" | "PUT", "/issues/{issue_number}/labels") => {
                if let Some(n) = num("issue_number") {
                    for name in req
                        .strings("labels")
                        .or_else(|| req.strings(""))
                        .unwrap_or_default()
                    {
                        let (event, mut payload) = self.issue_or_pull(ri, n, "labeled", &with);
                        payload["label"] = json!({"name": name});
                        raised.push((event, payload));
                    }
                }
            }
            ("DELETE", "/issues/{issue_number}/labels/{name}") => {
                if let Some(n) = num("issue_number") {
                    let (event, mut payload) = self.issue_or_pull(ri, n, "unlabeled", &with);
                    payload["label"] = json!({"name": req.param("name")});
                    raised.push((event, payload));
                }
            }
            ("POST", "/issues/{issue_number}/comments") => {
                if let Some(n) = num("issue_number") {
                    let mut payload = with(self.issue_event(ri, n, "created"));
                    payload["comment"] = reply.clone();
                    raised.push(("issue_comment", payload));
                }
            }
            ("POST", "/git/refs") | ("PATCH", "/git/refs/{ref*}") => {
                let full = req
                    .str("ref")
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("refs/{}", req.param("ref")));
                if let Some(branch) = full.strip_prefix("refs/heads/") {
                    raised.push(("push", with(self.push_payload(ri, branch))));
                }
            }
            ("PUT", "/contents/{path*}") => {
                let branch = req
                    .str("branch")
                    .map(str::to_string)
                    .unwrap_or_else(|| self.repos[ri].default_branch.clone());
                raised.push(("push", with(self.push_payload(ri, &branch))));
            }
            ("POST", "/merges") => {
                if let Some(branch) = req.str("base") {
                    raised.push(("push", with(self.push_payload(ri, branch))));
                }
            }
            ("POST", "/check-runs") | ("PATCH", "/check-runs/{check_run_id}") => {
                let completed = reply["status"] == "completed";
                let action = if method == "POST" {
                    "created"
                } else {
                    "completed"
                };
                let app = self.creating_app(&actor);
                let mut payload = with(json!({"action": action, "check_run": reply.clone()}));
                payload["check_run"]["check_suite"]["app"] = app.clone();
                raised.push(("check_run", payload));
                if completed {
                    raised.push((
                        "check_suite",
                        with(json!({"action": "completed", "check_suite": {
                            "head_sha": reply["head_sha"], "app": app,
                            "conclusion": reply["conclusion"], "pull_requests": []}})),
                    ));
                }
            }
            ("POST", "/statuses/{sha}") => {
                raised.push((
                    "status",
                    with(json!({"sha": req.param("sha"), "state": req.str("state"),
                        "context": req.str("context").unwrap_or("default")})),
                ));
            }
            ("POST", "/deployments") => {
                raised.push((
                    "deployment",
                    with(json!({"action": "created", "deployment": reply.clone()})),
                ));
            }
            ("POST", "/deployments/{deployment_id}/statuses") => {
                raised.push((
                    "deployment_status",
                    with(
                        json!({"action": "created", "deployment_status": reply.clone(),
                        "deployment": {"id": num("deployment_id")}}),
                    ),
                ));
            }
            ("POST", "/actions/workflows/{workflow_id}/dispatches") => {
                raised.push((
                    "workflow_dispatch",
                    with(
                        json!({"workflow": req.param("workflow_id"), "ref": req.str("ref"),
                        "inputs": req.body.get("inputs").cloned().unwrap_or(json!({}))}),
                    ),
                ));
            }
            ("POST", "/dispatches") => {
                raised.push((
                    "repository_dispatch",
                    with(json!({"action": req.str("event_type"),
                        "client_payload": req.body.get("client_payload").cloned().unwrap_or(Value::Null)})),
                ));
            }
            ("POST", "/releases") => {
                raised.push((
                    "release",
                    with(json!({"action": "published", "release": reply.clone()})),
                ));
            }
            _ => {}
        }
        for (event, payload) in raised {
            self.raise_event(&repo, event, &actor, payload);
        }
    }

    /// The App a check suite created by `actor` belongs to (`github-actions` for the Actions
    /// token).
    fn creating_app(&self, actor: &str) -> Value {
        if actor == ACTIONS_LOGIN {
            return json!({"slug": "github-actions", "id": 15368});
        }
        match self.apps.iter().find(|a| a.bot_login() == actor) {
            Some(app) => json!({"slug": app.slug, "id": app.id}),
            None => Value::Null,
        }
    }

    fn pull_event(&self, ri: usize, n: u64, action: &str) -> Value {
        json!({"action": action, "number": n, "pull_request": self.pull_json(ri, n)})
    }

    fn issue_event(&self, ri: usize, n: u64, action: &str) -> Value {
        json!({"action": action, "issue": self.issue_json_n(ri, n)})
    }

    /// `issues` for an issue, `pull_request` for a pull request (labels, state).
    fn issue_or_pull(
        &self,
        ri: usize,
        n: u64,
        action: &str,
        with: &dyn Fn(Value) -> Value,
    ) -> (&'static str, Value) {
        let is_pull = self.issue_ref(ri, n).is_ok_and(|i| i.pull.is_some());
        if is_pull {
            ("pull_request", with(self.pull_event(ri, n, action)))
        } else {
            ("issues", with(self.issue_event(ri, n, action)))
        }
    }

    fn push_payload(&self, ri: usize, branch: &str) -> Value {
        let after = self.repos[ri]
            .git
            .resolve(&format!("refs/heads/{branch}"))
            .unwrap_or_default();
        json!({"ref": format!("refs/heads/{branch}"), "after": after})
    }
}
