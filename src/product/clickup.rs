//! ClickUp (REST v2, `Authorization: <token>` without "Bearer"): features are top-level tasks
//! of a list in the ready status; done sets the done status and comments.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::feature::{Feature, Story};
use super::http::ProductApi;
use crate::config::{ClickUp, ProductPriorities};
use crate::github::api_escape as escape;

pub(crate) const DEFAULT_URL: &str = "https://api.clickup.com/api/v2";

/// Pages of a list read at most (100 tasks a page).
const MAX_PAGES: u32 = 20;

#[derive(Debug, Clone)]
pub struct ClickUpClient {
    api: ProductApi,
    config: ClickUp,
}

#[derive(Deserialize)]
struct Tasks {
    tasks: Vec<ClickUpTask>,
    #[serde(default = "yes")]
    last_page: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct ClickUpTask {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    text_content: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    url: String,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    subtasks: Vec<ClickUpTask>,
    #[serde(default)]
    checklists: Vec<Checklist>,
    #[serde(default)]
    priority: Option<TaskPriority>,
}

/// ClickUp's priority object: `{"id": "1", "priority": "urgent", …}`, null when unset.
#[derive(Deserialize)]
struct TaskPriority {
    priority: String,
}

#[derive(Deserialize)]
struct Checklist {
    #[serde(default)]
    items: Vec<ChecklistItem>,
}

#[derive(Deserialize)]
struct ChecklistItem {
    id: String,
    name: String,
}

impl ClickUpClient {
    pub(crate) fn new(base: &str, token: &str, config: ClickUp) -> anyhow::Result<Self> {
        let api = ProductApi::new("ClickUp", base, token.to_string())?;
        Ok(ClickUpClient { api, config })
    }

    pub(crate) async fn ready(&self) -> anyhow::Result<Vec<Feature>> {
        let mut features = Vec::new();
        for page in 0..MAX_PAGES {
            let path = format!(
                "/list/{}/task?statuses%5B%5D={}&page={page}",
                escape(&self.config.list),
                escape(&self.config.ready_status)
            );
            let tasks: Tasks = self.api.get(&path).await?;
            for task in tasks.tasks.into_iter().filter(|t| t.parent.is_none()) {
                features.push(self.feature(&task.id).await?);
            }
            if tasks.last_page {
                break;
            }
        }
        Ok(features)
    }

    /// One task with its subtasks; stories are the subtasks, else the checklist items.
    async fn feature(&self, id: &str) -> anyhow::Result<Feature> {
        let path = format!("/task/{}?include_subtasks=true", escape(id));
        let task: ClickUpTask = self.api.get(&path).await?;
        let mut stories: Vec<Story> = task
            .subtasks
            .iter()
            .map(|s| Story {
                id: s.id.clone(),
                name: s.name.clone(),
            })
            .collect();
        if stories.is_empty() {
            stories = task
                .checklists
                .iter()
                .flat_map(|c| &c.items)
                .map(|i| Story {
                    id: i.id.clone(),
                    name: i.name.clone(),
                })
                .collect();
        }
        Ok(Feature {
            id: task.id,
            name: task.name,
            description: task.text_content.or(task.description).unwrap_or_default(),
            url: task.url,
            priority: task.priority.map(|p| p.priority),
            stories,
        })
    }

    pub(crate) fn priorities(&self) -> &ProductPriorities {
        &self.config.priorities
    }

    pub(crate) async fn complete(&self, id: &str, comment: &str) -> anyhow::Result<()> {
        let path = format!("/task/{}", escape(id));
        let body = json!({ "status": self.config.done_status });
        self.api
            .send::<serde_json::Value>(Method::PUT, &path, &body)
            .await?;
        let path = format!("/task/{}/comment", escape(id));
        let body = json!({ "comment_text": comment, "notify_all": false });
        self.api
            .send::<serde_json::Value>(Method::POST, &path, &body)
            .await?;
        Ok(())
    }
}
