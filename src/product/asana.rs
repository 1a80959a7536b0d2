//! Asana (REST 1.0, `Authorization: Bearer`, bodies wrapped in `{"data": …}`): features are
//! tasks in the project's ready section; done moves them to the done section (or completes
//! them) and adds a comment story.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::feature::{Feature, Story};
use super::http::ProductApi;
use crate::config::{Asana, ProductPriorities};
use crate::github::api_escape as escape;

pub(crate) const DEFAULT_URL: &str = "https://app.asana.com/api/1.0";

#[derive(Debug, Clone)]
pub struct AsanaClient {
    api: ProductApi,
    config: Asana,
}

#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

/// A page of a list: `next_page` is null on the last one.
#[derive(Deserialize)]
struct Page<T> {
    data: Vec<T>,
    #[serde(default)]
    next_page: Option<NextPage>,
}

#[derive(Deserialize)]
struct NextPage {
    offset: String,
}

/// Pages of a list read at most (100 items a page).
const MAX_PAGES: usize = 20;
const FIELDS: &str = "opt_fields=name,notes,completed,permalink_url,custom_fields.name,custom_fields.display_value&limit=100";

#[derive(Deserialize)]
struct Section {
    gid: String,
    name: String,
}

#[derive(Deserialize)]
struct AsanaTask {
    gid: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    completed: bool,
    #[serde(default)]
    permalink_url: String,
    #[serde(default)]
    custom_fields: Vec<CustomField>,
}

/// A custom field as `opt_fields=custom_fields.name,custom_fields.display_value` gives it.
#[derive(Deserialize)]
struct CustomField {
    #[serde(default)]
    name: String,
    #[serde(default)]
    display_value: Option<String>,
}

impl AsanaClient {
    pub fn new(base: &str, token: &str, config: Asana) -> anyhow::Result<Self> {
        let api = ProductApi::new("Asana", base, format!("Bearer {token}"))?;
        Ok(AsanaClient { api, config })
    }

    /// A section of the project by name or gid.
    async fn section(&self, wanted: &str) -> anyhow::Result<String> {
        let path = format!("/projects/{}/sections", escape(&self.config.project));
        let sections: Data<Vec<Section>> = self.api.get(&path).await?;
        sections
            .data
            .into_iter()
            .find(|s| s.gid == wanted || s.name.eq_ignore_ascii_case(wanted))
            .map(|s| s.gid)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "Asana project {} has no section {wanted:?}",
                    self.config.project
                )
            })
    }

    pub async fn ready(&self) -> anyhow::Result<Vec<Feature>> {
        let section = self.section(&self.config.ready_section).await?;
        let tasks = self
            .all(&format!("/sections/{}/tasks", escape(&section)))
            .await?;
        let mut features = Vec::new();
        for task in tasks.into_iter().filter(|t| !t.completed) {
            let subtasks = self
                .all(&format!("/tasks/{}/subtasks", escape(&task.gid)))
                .await?;
            let priority = task
                .custom_fields
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(&self.config.priority_field))
                .and_then(|f| f.display_value.clone());
            features.push(Feature {
                priority,
                stories: subtasks
                    .into_iter()
                    .map(|s| Story {
                        id: s.gid,
                        name: s.name,
                    })
                    .collect(),
                id: task.gid,
                name: task.name,
                description: task.notes,
                url: task.permalink_url,
            });
        }
        Ok(features)
    }

    /// Every page of a task list, following `next_page.offset`.
    async fn all(&self, path: &str) -> anyhow::Result<Vec<AsanaTask>> {
        let mut items = Vec::new();
        let mut offset: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page_path = match &offset {
                Some(o) => format!("{path}?{FIELDS}&offset={}", escape(o)),
                None => format!("{path}?{FIELDS}"),
            };
            let page: Page<AsanaTask> = self.api.get(&page_path).await?;
            items.extend(page.data);
            match page.next_page {
                Some(next) => offset = Some(next.offset),
                None => return Ok(items),
            }
        }
        anyhow::bail!("Asana {path}: more than {MAX_PAGES} pages")
    }

    pub(crate) fn priorities(&self) -> &ProductPriorities {
        &self.config.priorities
    }

    /// Moves the task to the done section, or completes it when none is configured; then
    /// comments.
    pub(crate) async fn complete(&self, gid: &str, comment: &str) -> anyhow::Result<()> {
        match &self.config.done_section {
            Some(done) => {
                let section = self.section(done).await?;
                let path = format!("/sections/{}/addTask", escape(&section));
                let body = json!({ "data": { "task": gid } });
                self.api
                    .send::<serde_json::Value>(Method::POST, &path, &body)
                    .await?;
            }
            None => {
                let body = json!({ "data": { "completed": true } });
                let path = format!("/tasks/{}", escape(gid));
                self.api
                    .send::<serde_json::Value>(Method::PUT, &path, &body)
                    .await?;
            }
        }
        let path = format!("/tasks/{}/stories", escape(gid));
        let body = json!({ "data": { "text": comment } });
        self.api
            .send::<serde_json::Value>(Method::POST, &path, &body)
            .await?;
        Ok(())
    }
}
