//! A fake ClickUp (REST v2) on 127.0.0.1: lists with their statuses, tasks, subtasks,
//! checklists and comments, kept as state. `Authorization: <token>` without "Bearer"; errors
//! as `{"err": …, "ECODE": …}`, the way ClickUp answers.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::tools::{Call, FakeTool, Ids, Table, ToolModel};

#[derive(Debug, Default)]
struct List {
    statuses: Vec<String>,
}

#[derive(Debug, Default, Clone)]
struct ClickUpTask {
    name: String,
    description: String,
    status: String,
    list: String,
    parent: Option<String>,
    checklist: Vec<(String, String)>,
    comments: Vec<String>,
    /// ClickUp's priority: 1 urgent, 2 high, 3 normal, 4 low; none when unset.
    priority: Option<u8>,
}

/// The fake's state.
#[derive(Default)]
pub struct ClickUpModel {
    token: String,
    ids: Ids,
    lists: Table<List>,
    tasks: Table<ClickUpTask>,
}

/// What a test reads back about one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClickUpTaskView {
    pub name: String,
    pub status: String,
    pub comments: Vec<String>,
}

/// A running fake ClickUp.
pub type FakeClickUp = FakeTool<ClickUpModel>;

impl FakeTool<ClickUpModel> {
    /// Starts with no data; requests must carry `Authorization: <token>`.
    pub async fn start(token: &str) -> anyhow::Result<Self> {
        let model = ClickUpModel {
            token: token.to_string(),
            ..ClickUpModel::default()
        };
        Self::start_with(model, "/api/v2").await
    }

    /// A list with its statuses (the first is where new tasks start).
    pub fn add_list(&self, id: &str, statuses: &[&str]) {
        let list = List {
            statuses: statuses.iter().map(|s| s.to_string()).collect(),
        };
        self.model().lists.insert(id.into(), list);
    }

    pub fn add_task(&self, list: &str, name: &str, description: &str, status: &str) -> String {
        let mut m = self.model();
        let id = format!("86{:x}", m.ids.next(0xa000));
        let task = ClickUpTask {
            name: name.into(),
            description: description.into(),
            status: status.into(),
            list: list.into(),
            ..ClickUpTask::default()
        };
        m.tasks.insert(id.clone(), task);
        id
    }

    pub fn add_subtask(&self, parent: &str, name: &str) -> String {
        let mut m = self.model();
        let id = format!("86{:x}", m.ids.next(0xa000));
        let Some(p) = m.tasks.get(parent).cloned() else {
            return id;
        };
        let status = m
            .lists
            .get(&p.list)
            .and_then(|l| l.statuses.first().cloned());
        let task = ClickUpTask {
            name: name.into(),
            status: status.unwrap_or_else(|| "to do".into()),
            list: p.list,
            parent: Some(parent.into()),
            ..ClickUpTask::default()
        };
        m.tasks.insert(id.clone(), task);
        id
    }

    /// Sets a task's priority: 1 urgent, 2 high, 3 normal, 4 low.
    pub fn set_priority(&self, task: &str, priority: u8) {
        if let Some(t) = self.model().tasks.get_mut(task) {
            t.priority = Some(priority);
        }
    }

    pub fn add_checklist_item(&self, task: &str, name: &str) -> String {
        let mut m = self.model();
        let n = m.ids.next(0);
        let id = format!("c0ffee00-0000-4000-8000-{n:012x}");
        if let Some(t) = m.tasks.get_mut(task) {
            t.checklist.push((id.clone(), name.into()));
        }
        id
    }

    pub fn task(&self, id: &str) -> Option<ClickUpTaskView> {
        let m = self.model();
        let t = m.tasks.get(id)?;
        Some(ClickUpTaskView {
            name: t.name.clone(),
            status: t.status.clone(),
            comments: t.comments.clone(),
        })
    }
}

fn error(status: StatusCode, err: &str, code: &str) -> (StatusCode, Value) {
    (status, json!({ "err": err, "ECODE": code }))
}

fn not_found() -> (StatusCode, Value) {
    error(StatusCode::NOT_FOUND, "Task not found", "ITEM_013")
}

impl ToolModel for ClickUpModel {
    fn handle(&mut self, call: &Call) -> (StatusCode, Value) {
        if call.authorization.as_deref() != Some(self.token.as_str()) {
            return error(StatusCode::UNAUTHORIZED, "Token invalid", "OAUTH_025");
        }
        match (call.method.as_str(), call.path().as_slice()) {
            ("GET", ["list", id, "task"]) => self.list_tasks(id, call),
            ("GET", ["task", id]) => self.get_task(id, call.q("include_subtasks") == Some("true")),
            ("PUT", ["task", id]) => self.update_task(id, &call.body),
            ("GET", ["task", id, "comment"]) => self.comments(id),
            ("POST", ["task", id, "comment"]) => self.add_comment(id, &call.body),
            _ => error(StatusCode::NOT_FOUND, "Route not found", "APP_001"),
        }
    }
}

impl ClickUpModel {
    fn task_json(&self, id: &str, t: &ClickUpTask) -> Value {
        let items: Vec<Value> = t
            .checklist
            .iter()
            .enumerate()
            .map(|(i, (cid, name))| {
                json!({ "id": cid, "name": name, "orderindex": i,
                "resolved": false, "parent": null, "children": [] })
            })
            .collect();
        let checklists = if items.is_empty() {
            json!([])
        } else {
            json!([{ "id": format!("{id}-checklist"), "task_id": id, "name": "Checklist",
                "orderindex": 0, "resolved": 0, "unresolved": items.len(), "items": items }])
        };
        let priority = t.priority.map(|p| {
            let (name, color) = match p {
                1 => ("urgent", "#f50000"),
                2 => ("high", "#ffcc00"),
                3 => ("normal", "#6fddff"),
                _ => ("low", "#d8d8d8"),
            };
            json!({ "id": p.to_string(), "priority": name, "color": color, "orderindex": p.to_string() })
        });
        json!({
            "id": id,
            "custom_id": null,
            "priority": priority,
            "name": t.name,
            "text_content": t.description,
            "description": t.description,
            "status": { "status": t.status, "color": "#d3d3d3", "type": "custom", "orderindex": 1 },
            "parent": t.parent,
            "url": format!("https://app.clickup.com/t/{id}"),
            "list": { "id": t.list },
            "checklists": checklists,
            "date_created": "1767225600000",
        })
    }

    fn list_tasks(&self, list: &str, call: &Call) -> (StatusCode, Value) {
        if !self.lists.contains_key(list) {
            return error(StatusCode::NOT_FOUND, "List not found", "ITEM_015");
        }
        let wanted = call.q_all("statuses[]");
        let with_subtasks = call.q("subtasks") == Some("true");
        let page: usize = call.q("page").and_then(|p| p.parse().ok()).unwrap_or(0);
        let all: Vec<Value> = self
            .tasks
            .iter()
            .filter(|(_, t)| t.list == list && (with_subtasks || t.parent.is_none()))
            .filter(|(_, t)| {
                wanted.is_empty() || wanted.iter().any(|s| s.eq_ignore_ascii_case(&t.status))
            })
            .map(|(id, t)| self.task_json(id, t))
            .collect();
        let chunk: Vec<Value> = all.iter().skip(page * 100).take(100).cloned().collect();
        let last = all.len() <= (page + 1) * 100;
        (StatusCode::OK, json!({ "tasks": chunk, "last_page": last }))
    }

    fn get_task(&self, id: &str, with_subtasks: bool) -> (StatusCode, Value) {
        let Some(t) = self.tasks.get(id) else {
            return not_found();
        };
        let mut json = self.task_json(id, t);
        if with_subtasks {
            let subs: Vec<Value> = self
                .tasks
                .iter()
                .filter(|(_, s)| s.parent.as_deref() == Some(id))
                .map(|(sid, s)| self.task_json(sid, s))
                .collect();
            json["subtasks"] = json!(subs);
        }
        (StatusCode::OK, json)
    }

    fn update_task(&mut self, id: &str, body: &Value) -> (StatusCode, Value) {
        let Some(list) = self.tasks.get(id).map(|t| t.list.clone()) else {
            return not_found();
        };
        if let Some(status) = body["status"].as_str() {
            let known = self.lists.get(&list).and_then(|l| {
                l.statuses
                    .iter()
                    .find(|s| s.eq_ignore_ascii_case(status))
                    .cloned()
            });
            let Some(status) = known else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "Status does not exist",
                    "CRTSK_001",
                );
            };
            if let Some(t) = self.tasks.get_mut(id) {
                t.status = status;
            }
        }
        if let (Some(name), Some(t)) = (body["name"].as_str(), self.tasks.get_mut(id)) {
            t.name = name.into();
        }
        self.get_task(id, false)
    }

    fn comments(&self, id: &str) -> (StatusCode, Value) {
        let Some(t) = self.tasks.get(id) else {
            return not_found();
        };
        let list: Vec<Value> = t
            .comments
            .iter()
            .enumerate()
            .map(|(i, text)| {
                json!({ "id": format!("9000{i}"), "comment_text": text,
                "comment": [{ "text": text }], "date": "1767225600000" })
            })
            .collect();
        (StatusCode::OK, json!({ "comments": list }))
    }

    fn add_comment(&mut self, id: &str, body: &Value) -> (StatusCode, Value) {
        let Some(text) = body["comment_text"].as_str().filter(|t| !t.is_empty()) else {
            return error(StatusCode::BAD_REQUEST, "Comment text invalid", "COMM_002");
        };
        let Some(t) = self.tasks.get_mut(id) else {
            return not_found();
        };
        t.comments.push(text.to_string());
        let n = t.comments.len();
        (
            StatusCode::OK,
            json!({ "id": 90000 + n, "hist_id": format!("h{n}"), "date": 1767225600000u64 }),
        )
    }
}
