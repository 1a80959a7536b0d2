//! Checks, commit statuses, deployments, releases and workflow runs.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::Model;
use crate::http::ApiError;

#[derive(Debug, Clone)]
pub(crate) struct CheckRun {
    pub id: u64,
    pub name: String,
    pub head_sha: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub details_url: Option<String>,
    pub external_id: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub text: Option<String>,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub app_id: Option<u64>,
}

/// A check run as a test asserts it.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRunView {
    pub id: u64,
    pub name: String,
    pub head_sha: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub external_id: Option<String>,
    /// The App that created it (`15368`, GitHub Actions, for the Actions token).
    pub app_id: Option<u64>,
}

#[derive(Debug, Clone)]
pub(crate) struct Status {
    pub id: u64,
    pub sha: String,
    pub state: String,
    pub context: String,
    pub description: Option<String>,
    pub target_url: Option<String>,
    pub creator: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct Deployment {
    pub id: u64,
    pub sha: String,
    pub reference: String,
    pub task: String,
    pub environment: String,
    pub description: Option<String>,
    pub payload: Value,
    pub creator: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct DeploymentStatus {
    pub id: u64,
    pub deployment: u64,
    pub state: String,
    pub description: String,
    pub environment_url: String,
    pub log_url: String,
    pub creator: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct Release {
    pub id: u64,
    pub tag_name: String,
    pub target_commitish: String,
    pub name: Option<String>,
    pub body: Option<String>,
    pub draft: bool,
    pub prerelease: bool,
    pub author: String,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub assets: Vec<Asset>,
}

#[derive(Debug, Clone)]
pub(crate) struct Asset {
    pub id: u64,
    pub name: String,
    pub label: Option<String>,
    pub content_type: String,
    pub size: usize,
    pub uploader: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct WorkflowRun {
    pub id: u64,
    pub workflow: String,
    pub run_number: u64,
    pub head_branch: String,
    pub head_sha: String,
    pub event: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub display_title: String,
    pub inputs: Map<String, Value>,
    pub actor: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A workflow run as a test asserts it, with the dispatch inputs it was started with.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowRunView {
    pub id: u64,
    pub workflow: String,
    pub event: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub display_title: String,
    pub head_branch: String,
    pub inputs: Map<String, Value>,
    pub actor: String,
}

/// Renders a workflow's `run-name:` with `${{ inputs.NAME }}` taken from the dispatch inputs.
pub(crate) fn render_run_name(workflow_yaml: &str, inputs: &Map<String, Value>) -> Option<String> {
    let line = workflow_yaml
        .lines()
        .find_map(|l| l.strip_prefix("run-name:"))?
        .trim();
    let template = line.trim_matches(|c| c == '"' || c == '\'');
    let re = regex::Regex::new(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}").ok()?;
    let out = re.replace_all(template, |c: &regex::Captures<'_>| {
        match inputs.get(&c[1]) {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        }
    });
    Some(out.into_owned())
}

impl Model {
    /// Starts a `workflow_dispatch` run (queued); 404 without the ref, 422 without the file.
    pub(crate) fn dispatch_workflow(
        &mut self,
        ri: usize,
        workflow: &str,
        reference: &str,
        inputs: Map<String, Value>,
        actor: &str,
    ) -> Result<u64, ApiError> {
        let git = &self.repos[ri].git;
        let sha = git
            .resolve(reference)
            .ok_or_else(|| ApiError::unprocessable(&format!("No ref found for: {reference}")))?;
        let tree = &git.commits[&sha].tree;
        let path = format!(".github/workflows/{workflow}");
        let title = tree
            .get(&path)
            .and_then(|e| std::str::from_utf8(&e.content).ok())
            .and_then(|yaml| render_run_name(yaml, &inputs))
            .unwrap_or_else(|| workflow.to_string());
        let id = self.next_id("run");
        let now = self.now();
        let runs = &mut self.repos[ri].runs;
        let run_number = runs.iter().filter(|r| r.workflow == workflow).count() as u64 + 1;
        let head_branch = reference.trim_start_matches("refs/heads/").to_string();
        runs.push(WorkflowRun {
            id,
            workflow: workflow.to_string(),
            run_number,
            head_branch,
            head_sha: sha,
            event: "workflow_dispatch".to_string(),
            status: "queued".to_string(),
            conclusion: None,
            display_title: title,
            inputs,
            actor: actor.to_string(),
            created_at: now,
            updated_at: now,
        });
        Ok(id)
    }

    /// The workflow runs of a repository, oldest first.
    pub fn workflow_runs(&self, repo: &str) -> Vec<WorkflowRunView> {
        let Some(ri) = self.find_repo(repo) else {
            return Vec::new();
        };
        self.repos[ri]
            .runs
            .iter()
            .map(|r| WorkflowRunView {
                id: r.id,
                workflow: r.workflow.clone(),
                event: r.event.clone(),
                status: r.status.clone(),
                conclusion: r.conclusion.clone(),
                display_title: r.display_title.clone(),
                head_branch: r.head_branch.clone(),
                inputs: r.inputs.clone(),
                actor: r.actor.clone(),
            })
            .collect()
    }

    /// Moves a workflow run along (`in_progress`, or `completed` with a conclusion).
    pub fn set_run_status(
        &mut self,
        repo: &str,
        run_id: u64,
        status: &str,
        conclusion: Option<&str>,
    ) {
        let ri = self.seed_ri(repo);
        let now = self.now();
        if let Some(r) = self.repos[ri].runs.iter_mut().find(|r| r.id == run_id) {
            r.status = status.to_string();
            r.conclusion = conclusion.map(str::to_string);
            r.updated_at = now;
        }
    }

    /// The check runs on a commit, oldest first.
    pub fn check_runs(&self, repo: &str, sha: &str) -> Vec<CheckRunView> {
        let Some(ri) = self.find_repo(repo) else {
            return Vec::new();
        };
        self.repos[ri]
            .checks
            .iter()
            .filter(|c| c.head_sha == sha)
            .map(|c| CheckRunView {
                id: c.id,
                name: c.name.clone(),
                head_sha: c.head_sha.clone(),
                status: c.status.clone(),
                conclusion: c.conclusion.clone(),
                title: c.title.clone(),
                summary: c.summary.clone(),
                external_id: c.external_id.clone(),
                app_id: c.app_id,
            })
            .collect()
    }

    /// `(context, state, description)` of every commit status on `sha`, oldest first.
    pub fn commit_statuses(&self, repo: &str, sha: &str) -> Vec<(String, String, Option<String>)> {
        let Some(ri) = self.find_repo(repo) else {
            return Vec::new();
        };
        self.repos[ri]
            .statuses
            .iter()
            .filter(|s| s.sha == sha)
            .map(|s| (s.context.clone(), s.state.clone(), s.description.clone()))
            .collect()
    }

    /// `(environment, sha, latest status state)` of every deployment, oldest first.
    pub fn deployments(&self, repo: &str) -> Vec<(String, String, Option<String>)> {
        let Some(ri) = self.find_repo(repo) else {
            return Vec::new();
        };
        let r = &self.repos[ri];
        r.deployments
            .iter()
            .map(|d| {
                let last = r
                    .deployment_statuses
                    .iter()
                    .rev()
                    .find(|s| s.deployment == d.id);
                (
                    d.environment.clone(),
                    d.sha.clone(),
                    last.map(|s| s.state.clone()),
                )
            })
            .collect()
    }

    /// Tag names of the repository's releases, oldest first.
    pub fn releases(&self, repo: &str) -> Vec<String> {
        let Some(ri) = self.find_repo(repo) else {
            return Vec::new();
        };
        self.repos[ri]
            .releases
            .iter()
            .map(|r| r.tag_name.clone())
            .collect()
    }

    /// `repository_dispatch` events received: `(event_type, client_payload)`.
    pub fn repository_dispatches(&self, repo: &str) -> Vec<(String, Value)> {
        let Some(ri) = self.find_repo(repo) else {
            return Vec::new();
        };
        self.repos[ri].repo_dispatches.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_name_substitutes_inputs() {
        let yaml = "name: agent\nrun-name: \"agent ${{ inputs.agent }} on #${{ inputs.issue }}\"\non: workflow_dispatch\n";
        let mut inputs = Map::new();
        inputs.insert("agent".into(), Value::from("agent-1"));
        inputs.insert("issue".into(), Value::from("42"));
        assert_eq!(
            render_run_name(yaml, &inputs).unwrap(),
            "agent agent-1 on #42"
        );
    }
}
