//! A fake Asana (REST 1.0) on 127.0.0.1: projects, sections, tasks, subtasks and comment
//! stories, kept as state. `Authorization: Bearer <token>`; every body wrapped in
//! `{"data": …}`; errors as `{"errors": [{"message": …}]}`, the way Asana answers.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::tools::{Call, FakeTool, Ids, Table, ToolModel};

#[derive(Debug, Default)]
struct Project {
    name: String,
}

#[derive(Debug, Default)]
struct Section {
    name: String,
    project: String,
    tasks: Vec<String>,
}

#[derive(Debug, Default, Clone)]
struct AsanaTask {
    name: String,
    notes: String,
    completed: bool,
    project: String,
    parent: Option<String>,
    subtasks: Vec<String>,
    stories: Vec<String>,
    /// Custom fields by name, with their display values.
    custom_fields: Vec<(String, String)>,
}

/// The fake's state.
#[derive(Default)]
pub struct AsanaModel {
    token: String,
    ids: Ids,
    projects: Table<Project>,
    sections: Table<Section>,
    tasks: Table<AsanaTask>,
}

/// What a test reads back about one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsanaTaskView {
    pub name: String,
    pub completed: bool,
    /// The name of the section it sits in.
    pub section: Option<String>,
    pub comments: Vec<String>,
}

/// A running fake Asana.
pub type FakeAsana = FakeTool<AsanaModel>;

impl FakeTool<AsanaModel> {
    /// Starts with no data; requests must carry `Bearer <token>`.
    pub async fn start(token: &str) -> anyhow::Result<Self> {
        let model = AsanaModel {
            token: token.to_string(),
            ..AsanaModel::default()
        };
        Self::start_with(model, "/api/1.0").await
    }

    pub fn add_project(&self, name: &str) -> String {
        let mut m = self.model();
        let gid = m.ids.next(1_200_000_000_000_000).to_string();
        m.projects
            .insert(gid.clone(), Project { name: name.into() });
        gid
    }

    pub fn add_section(&self, project: &str, name: &str) -> String {
        let mut m = self.model();
        let gid = m.ids.next(1_200_000_000_000_000).to_string();
        let section = Section {
            name: name.into(),
            project: project.into(),
            tasks: Vec::new(),
        };
        m.sections.insert(gid.clone(), section);
        gid
    }

    pub fn add_task(&self, section: &str, name: &str, notes: &str) -> String {
        let mut m = self.model();
        let gid = m.ids.next(1_200_000_000_000_000).to_string();
        let project = m.sections.get(section).map(|s| s.project.clone());
        let task = AsanaTask {
            name: name.into(),
            notes: notes.into(),
            project: project.unwrap_or_default(),
            ..AsanaTask::default()
        };
        m.tasks.insert(gid.clone(), task);
        if let Some(s) = m.sections.get_mut(section) {
            s.tasks.push(gid.clone());
        }
        gid
    }

    pub fn add_subtask(&self, parent: &str, name: &str) -> String {
        let mut m = self.model();
        let gid = m.ids.next(1_200_000_000_000_000).to_string();
        let task = AsanaTask {
            name: name.into(),
            parent: Some(parent.into()),
            ..AsanaTask::default()
        };
        m.tasks.insert(gid.clone(), task);
        if let Some(p) = m.tasks.get_mut(parent) {
            p.subtasks.push(gid.clone());
        }
        gid
    }

    /// Sets an enum or text custom field on a task (its display value).
    pub fn set_custom_field(&self, gid: &str, name: &str, value: &str) {
        if let Some(t) = self.model().tasks.get_mut(gid) {
            t.custom_fields.retain(|(n, _)| n != name);
            t.custom_fields.push((name.into(), value.into()));
        }
    }

    pub fn task(&self, gid: &str) -> Option<AsanaTaskView> {
        let m = self.model();
        let task = m.tasks.get(gid)?;
        Some(AsanaTaskView {
            name: task.name.clone(),
            completed: task.completed,
            section: m.section_of(gid).map(|s| m.sections[&s].name.clone()),
            comments: task.stories.clone(),
        })
    }
}

fn error(status: StatusCode, message: &str) -> (StatusCode, Value) {
    (status, json!({ "errors": [{ "message": message }] }))
}

/// Asana's pagination: `limit` (1 to 100) and an opaque `offset`; `next_page` is null on the
/// last page.
fn page((status, mut body): (StatusCode, Value), call: &Call) -> (StatusCode, Value) {
    let Some(all) = body["data"]
        .as_array()
        .cloned()
        .filter(|_| status.is_success())
    else {
        return (status, body);
    };
    let limit = call
        .q("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(all.len().max(1));
    if !(1..=100).contains(&limit) {
        return error(StatusCode::BAD_REQUEST, "limit: Must be between 1 and 100");
    }
    let start = match call
        .q("offset")
        .map(|o| o.strip_prefix("off-").and_then(|n| n.parse().ok()))
    {
        None => 0,
        Some(Some(n)) => n,
        Some(None) => return error(StatusCode::BAD_REQUEST, "offset: Not a valid offset"),
    };
    let end = (start + limit).min(all.len());
    body["data"] = json!(all.get(start..end).unwrap_or_default());
    body["next_page"] = if end < all.len() {
        json!({ "offset": format!("off-{end}"), "path": "", "uri": "" })
    } else {
        Value::Null
    };
    (status, body)
}

/// Asana sends a task's custom fields only when `opt_fields` asks for them.
fn asked((status, mut body): (StatusCode, Value), call: &Call) -> (StatusCode, Value) {
    if call
        .q("opt_fields")
        .is_some_and(|f| f.contains("custom_fields"))
    {
        return (status, body);
    }
    let strip = |task: &mut Value| {
        if let Some(task) = task.as_object_mut() {
            task.remove("custom_fields");
        }
    };
    match &mut body["data"] {
        Value::Array(tasks) => tasks.iter_mut().for_each(strip),
        task => strip(task),
    }
    (status, body)
}

fn data(value: Value) -> (StatusCode, Value) {
    (StatusCode::OK, json!({ "data": value }))
}

impl ToolModel for AsanaModel {
    fn handle(&mut self, call: &Call) -> (StatusCode, Value) {
        if call.authorization.as_deref() != Some(&format!("Bearer {}", self.token)) {
            return error(StatusCode::UNAUTHORIZED, "Not Authorized");
        }
        let input = &call.body["data"];
        if call.method != Method::GET && !input.is_object() {
            return error(StatusCode::BAD_REQUEST, "data: Missing input");
        }
        match (call.method.as_str(), call.path().as_slice()) {
            ("GET", ["projects", gid]) => match self.projects.get(*gid) {
                Some(p) => data(json!({ "gid": gid, "name": p.name, "resource_type": "project" })),
                None => error(StatusCode::NOT_FOUND, "project: Not a recognized ID"),
            },
            ("GET", ["projects", gid, "sections"]) => self.sections_of(gid),
            ("GET", ["sections", gid, "tasks"]) => page(asked(self.tasks_in(gid), call), call),
            ("POST", ["sections", gid, "addTask"]) => self.add_to_section(gid, input),
            ("GET", ["tasks", gid]) => asked(self.get_task(gid), call),
            ("PUT", ["tasks", gid]) => self.update_task(gid, input),
            ("GET", ["tasks", gid, "subtasks"]) => page(asked(self.subtasks(gid), call), call),
            ("GET", ["tasks", gid, "stories"]) => self.stories(gid),
            ("POST", ["tasks", gid, "stories"]) => self.add_story(gid, input),
            _ => error(StatusCode::NOT_FOUND, "Unknown object or route"),
        }
    }
}

impl AsanaModel {
    fn section_of(&self, task: &str) -> Option<String> {
        self.sections
            .iter()
            .find(|(_, s)| s.tasks.iter().any(|t| t == task))
            .map(|(gid, _)| gid.clone())
    }

    fn task_json(&self, gid: &str, task: &AsanaTask) -> Value {
        let membership = self.section_of(gid).map(|s| {
            json!([{ "project": { "gid": task.project }, "section": {
                "gid": s, "name": self.sections[&s].name } }])
        });
        json!({
            "gid": gid,
            "resource_type": "task",
            "name": task.name,
            "notes": task.notes,
            "completed": task.completed,
            "parent": task.parent.as_ref().map(|p| json!({ "gid": p, "resource_type": "task" })),
            "permalink_url": format!("https://app.asana.com/0/{}/{gid}", task.project),
            "memberships": membership.unwrap_or_else(|| json!([])),
            "custom_fields": task.custom_fields.iter().map(|(name, value)| json!({
                "gid": format!("{gid}-{name}"), "resource_type": "custom_field",
                "name": name, "display_value": value,
            })).collect::<Vec<_>>(),
        })
    }

    fn sections_of(&self, project: &str) -> (StatusCode, Value) {
        if !self.projects.contains_key(project) {
            return error(StatusCode::NOT_FOUND, "project: Not a recognized ID");
        }
        let list: Vec<Value> = self
            .sections
            .iter()
            .filter(|(_, s)| s.project == project)
            .map(|(gid, s)| json!({ "gid": gid, "name": s.name, "resource_type": "section" }))
            .collect();
        data(json!(list))
    }

    fn tasks_in(&self, section: &str) -> (StatusCode, Value) {
        let Some(s) = self.sections.get(section) else {
            return error(StatusCode::NOT_FOUND, "section: Not a recognized ID");
        };
        let list: Vec<Value> = s
            .tasks
            .iter()
            .filter_map(|gid| self.tasks.get(gid).map(|t| self.task_json(gid, t)))
            .collect();
        data(json!(list))
    }

    fn add_to_section(&mut self, section: &str, input: &Value) -> (StatusCode, Value) {
        let task = input["task"].as_str().unwrap_or_default().to_string();
        if !self.tasks.contains_key(&task) {
            return error(StatusCode::BAD_REQUEST, "task: Not a recognized ID");
        }
        if !self.sections.contains_key(section) {
            return error(StatusCode::NOT_FOUND, "section: Not a recognized ID");
        }
        for s in self.sections.values_mut() {
            s.tasks.retain(|t| *t != task);
        }
        if let Some(s) = self.sections.get_mut(section) {
            s.tasks.push(task);
        }
        data(json!({}))
    }

    fn get_task(&self, gid: &str) -> (StatusCode, Value) {
        match self.tasks.get(gid) {
            Some(t) => data(self.task_json(gid, t)),
            None => error(StatusCode::NOT_FOUND, "task: Not a recognized ID"),
        }
    }

    fn update_task(&mut self, gid: &str, input: &Value) -> (StatusCode, Value) {
        let Some(task) = self.tasks.get_mut(gid) else {
            return error(StatusCode::NOT_FOUND, "task: Not a recognized ID");
        };
        if let Some(done) = input["completed"].as_bool() {
            task.completed = done;
        }
        if let Some(name) = input["name"].as_str() {
            task.name = name.into();
        }
        if let Some(notes) = input["notes"].as_str() {
            task.notes = notes.into();
        }
        self.get_task(gid)
    }

    fn subtasks(&self, gid: &str) -> (StatusCode, Value) {
        let Some(task) = self.tasks.get(gid) else {
            return error(StatusCode::NOT_FOUND, "task: Not a recognized ID");
        };
        let list: Vec<Value> = task
            .subtasks
            .iter()
            .filter_map(|s| self.tasks.get(s).map(|t| self.task_json(s, t)))
            .collect();
        data(json!(list))
    }

    fn stories(&self, gid: &str) -> (StatusCode, Value) {
        let Some(task) = self.tasks.get(gid) else {
            return error(StatusCode::NOT_FOUND, "task: Not a recognized ID");
        };
        let list: Vec<Value> = task
            .stories
            .iter()
            .enumerate()
            .map(|(i, text)| {
                json!({ "gid": format!("{gid}-{i}"), "resource_type": "story",
                "type": "comment", "resource_subtype": "comment_added", "text": text })
            })
            .collect();
        data(json!(list))
    }

    fn add_story(&mut self, gid: &str, input: &Value) -> (StatusCode, Value) {
        let Some(text) = input["text"].as_str().filter(|t| !t.is_empty()) else {
            return error(StatusCode::BAD_REQUEST, "text: Missing input");
        };
        let Some(task) = self.tasks.get_mut(gid) else {
            return error(StatusCode::NOT_FOUND, "task: Not a recognized ID");
        };
        task.stories.push(text.to_string());
        let n = task.stories.len() - 1;
        let story = json!({ "gid": format!("{gid}-{n}"), "resource_type": "story",
            "type": "comment", "resource_subtype": "comment_added", "text": text });
        (StatusCode::CREATED, json!({ "data": story }))
    }
}
