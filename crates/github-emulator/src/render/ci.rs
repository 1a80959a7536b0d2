//! JSON for checks, statuses, deployments, releases, workflow runs, Apps and installations.

use serde_json::{Value, json};

use super::WEB;
use crate::model::{
    Asset, CheckRun, Deployment, DeploymentStatus, Model, Release, Status, WorkflowRun, node_id, ts,
};

impl Model {
    /// An `integration` (App) object.
    pub(crate) fn app_json(&self, app_id: u64) -> Value {
        let Some(a) = self.apps.iter().find(|a| a.id == app_id) else {
            return json!({
                "id": 15368, "slug": "github-actions", "node_id": node_id("A", 15368),
                "owner": self.user_json("github"), "name": "GitHub Actions", "description": "",
                "external_url": "https://help.github.com/en/actions", "html_url": format!("{WEB}/apps/github-actions"),
                "created_at": "2018-07-30T09:30:17Z", "updated_at": "2024-04-10T20:33:16Z",
                "permissions": {"checks": "write", "contents": "write", "issues": "write", "metadata": "read"},
                "events": ["check_run", "push"],
            });
        };
        json!({
            "id": a.id, "slug": a.slug, "node_id": node_id("A", a.id), "client_id": format!("Iv1.{:016x}", a.id),
            "owner": self.user_json(&a.owner), "name": a.slug, "description": "shiprig automation",
            "external_url": format!("{WEB}/apps/{}", a.slug), "html_url": format!("{WEB}/apps/{}", a.slug),
            "created_at": ts(a.created_at), "updated_at": ts(a.created_at),
            "permissions": {"checks": "write", "contents": "write", "issues": "write", "metadata": "read",
                "pull_requests": "write", "statuses": "write", "deployments": "write", "actions": "write"},
            "events": ["issues", "pull_request", "check_run"], "installations_count": self.installations.iter().filter(|i| i.app_id == a.id).count(),
        })
    }

    pub(crate) fn installation_json(&self, inst: &crate::model::Installation) -> Value {
        let app = self.apps.iter().find(|a| a.id == inst.app_id);
        let slug = app.map(|a| a.slug.clone()).unwrap_or_default();
        let target_id = self.user(&inst.owner).map_or(0, |u| u.id);
        json!({
            "id": inst.id, "account": self.user_json(&inst.owner), "repository_selection": "all",
            "access_tokens_url": format!("{}/app/installations/{}/access_tokens", self.base_url, inst.id),
            "repositories_url": format!("{}/installation/repositories", self.base_url),
            "html_url": format!("{WEB}/settings/installations/{}", inst.id),
            "app_id": inst.app_id, "app_slug": slug, "target_id": target_id, "target_type": "User",
            "permissions": {"checks": "write", "contents": "write", "issues": "write", "metadata": "read",
                "pull_requests": "write", "statuses": "write", "deployments": "write", "actions": "write"},
            "events": ["issues", "pull_request"], "created_at": ts(inst.created_at), "updated_at": ts(inst.created_at),
            "single_file_name": null, "suspended_by": null, "suspended_at": null,
        })
    }

    /// A `check-run` object.
    pub(crate) fn check_json(&self, ri: usize, c: &CheckRun) -> Value {
        let api = self.repo_api(ri);
        let url = format!("{api}/check-runs/{}", c.id);
        let prs: Vec<Value> = self.repos[ri]
            .issues
            .iter()
            .filter(|i| i.state_open && i.pull.as_ref().is_some_and(|p| p.head_sha == c.head_sha))
            .map(|i| {
                let p = i.pull.as_ref().expect("filtered on pull");
                let repo =
                    json!({"id": self.repos[ri].id, "url": api, "name": self.repos[ri].name});
                json!({"id": p.id, "number": i.number, "url": format!("{api}/pulls/{}", i.number),
                    "head": {"ref": p.head_ref, "sha": p.head_sha, "repo": repo},
                    "base": {"ref": p.base_ref, "sha": self.base_sha(ri, p), "repo": repo}})
            })
            .collect();
        json!({
            "id": c.id, "node_id": node_id("CR", c.id), "head_sha": c.head_sha, "external_id": c.external_id,
            "url": url, "html_url": format!("{}/runs/{}", self.repo_html(ri), c.id), "details_url": c.details_url,
            "status": c.status, "conclusion": c.conclusion, "started_at": ts(c.started_at),
            "completed_at": c.completed_at.map(ts), "name": c.name,
            "output": {"title": c.title, "summary": c.summary, "text": c.text, "annotations_count": 0,
                "annotations_url": format!("{url}/annotations")},
            "check_suite": {"id": c.id + 1_000_000},
            "app": self.app_json(c.app_id.unwrap_or(0)), "pull_requests": prs,
        })
    }

    /// A `status` object.
    pub(crate) fn status_json(&self, ri: usize, s: &Status) -> Value {
        json!({
            "url": format!("{}/statuses/{}", self.repo_api(ri), s.sha),
            "avatar_url": self.user_json(&s.creator)["avatar_url"], "id": s.id, "node_id": node_id("SC", s.id),
            "state": s.state, "context": s.context,
            // The `status` schema has these as plain strings, so absent ones render empty.
            "description": s.description.as_deref().unwrap_or(""),
            "target_url": s.target_url.as_deref().unwrap_or(""),
            "created_at": ts(s.created_at), "updated_at": ts(s.created_at), "creator": self.user_json(&s.creator),
        })
    }

    /// A `deployment` object.
    pub(crate) fn deployment_json(&self, ri: usize, d: &Deployment) -> Value {
        let url = format!("{}/deployments/{}", self.repo_api(ri), d.id);
        json!({
            "url": url, "id": d.id, "node_id": node_id("DE", d.id), "sha": d.sha, "ref": d.reference,
            "task": d.task, "payload": d.payload, "original_environment": d.environment,
            "environment": d.environment, "description": d.description, "creator": self.user_json(&d.creator),
            "created_at": ts(d.created_at), "updated_at": ts(d.created_at),
            "statuses_url": format!("{url}/statuses"), "repository_url": self.repo_api(ri),
            "transient_environment": false, "production_environment": d.environment == "production",
            "performed_via_github_app": null,
        })
    }

    /// A `deployment-status` object.
    pub(crate) fn deployment_status_json(&self, ri: usize, s: &DeploymentStatus) -> Value {
        let durl = format!("{}/deployments/{}", self.repo_api(ri), s.deployment);
        json!({
            "url": format!("{durl}/statuses/{}", s.id), "id": s.id, "node_id": node_id("DES", s.id),
            "state": s.state, "creator": self.user_json(&s.creator), "description": s.description,
            "environment": self.repos[ri].deployments.iter().find(|d| d.id == s.deployment).map(|d| d.environment.clone()),
            "target_url": s.log_url, "log_url": s.log_url, "environment_url": s.environment_url,
            "created_at": ts(s.created_at), "updated_at": ts(s.created_at),
            "deployment_url": durl, "repository_url": self.repo_api(ri), "performed_via_github_app": null,
        })
    }

    /// A `release` object.
    pub(crate) fn release_json(&self, ri: usize, r: &Release) -> Value {
        let api = self.repo_api(ri);
        let url = format!("{api}/releases/{}", r.id);
        // Uploads go to the emulator too, so a client never leaves 127.0.0.1.
        let upload = format!("{url}/assets{{?name,label}}");
        json!({
            "url": url, "html_url": format!("{}/releases/tag/{}", self.repo_html(ri), r.tag_name),
            "assets_url": format!("{url}/assets"), "upload_url": upload,
            "tarball_url": format!("{api}/tarball/{}", r.tag_name), "zipball_url": format!("{api}/zipball/{}", r.tag_name),
            "id": r.id, "node_id": node_id("RE", r.id), "tag_name": r.tag_name, "target_commitish": r.target_commitish,
            "name": r.name, "body": r.body, "draft": r.draft, "prerelease": r.prerelease,
            "created_at": ts(r.created_at), "published_at": r.published_at.map(ts), "updated_at": ts(r.created_at),
            "author": self.user_json(&r.author),
            "assets": r.assets.iter().map(|a| self.asset_json(ri, r, a)).collect::<Vec<_>>(),
        })
    }

    /// A `release-asset` object.
    pub(crate) fn asset_json(&self, ri: usize, r: &Release, a: &Asset) -> Value {
        json!({
            "url": format!("{}/releases/assets/{}", self.repo_api(ri), a.id), "id": a.id,
            "browser_download_url": format!("{}/releases/download/{}/{}", self.repo_html(ri), r.tag_name, a.name),
            "node_id": node_id("RA", a.id), "name": a.name, "label": a.label, "state": "uploaded",
            "content_type": a.content_type, "size": a.size, "digest": null, "download_count": 0,
            "created_at": ts(a.created_at), "updated_at": ts(a.created_at), "uploader": self.user_json(&a.uploader),
        })
    }

    /// A `workflow-run` object.
    pub(crate) fn run_json(&self, ri: usize, w: &WorkflowRun) -> Value {
        let api = self.repo_api(ri);
        let url = format!("{api}/actions/runs/{}", w.id);
        let workflow_id = workflow_id(&w.workflow);
        let commit = self.repos[ri].git.commits.get(&w.head_sha);
        let head_commit = commit.map_or(Value::Null, |c| json!({
            "id": c.sha, "tree_id": c.sha, "message": c.message, "timestamp": ts(c.date),
            "author": {"name": c.author, "email": format!("{}@users.noreply.github.com", c.author)},
            "committer": {"name": c.author, "email": format!("{}@users.noreply.github.com", c.author)},
        }));
        json!({
            "id": w.id, "name": w.workflow.trim_end_matches(".yml").trim_end_matches(".yaml"),
            "node_id": node_id("WFR", w.id), "check_suite_id": w.id + 1, "head_branch": w.head_branch,
            "head_sha": w.head_sha, "path": format!(".github/workflows/{}", w.workflow), "display_title": w.display_title,
            "run_number": w.run_number, "run_attempt": 1, "event": w.event, "status": w.status,
            "conclusion": w.conclusion, "workflow_id": workflow_id, "url": url,
            "html_url": format!("{}/actions/runs/{}", self.repo_html(ri), w.id), "pull_requests": [],
            "created_at": ts(w.created_at), "updated_at": ts(w.updated_at), "run_started_at": ts(w.created_at),
            "actor": self.user_json(&w.actor), "triggering_actor": self.user_json(&w.actor),
            "jobs_url": format!("{url}/jobs"), "logs_url": format!("{url}/logs"),
            "check_suite_url": format!("{api}/check-suites/{}", w.id + 1), "artifacts_url": format!("{url}/artifacts"),
            "cancel_url": format!("{url}/cancel"), "rerun_url": format!("{url}/rerun"), "previous_attempt_url": null,
            "workflow_url": format!("{api}/actions/workflows/{workflow_id}"), "head_commit": head_commit,
            "repository": self.repo_json(ri), "head_repository": self.repo_json(ri),
        })
    }
}

/// A stable numeric id for a workflow file name.
pub(crate) fn workflow_id(file: &str) -> u64 {
    let h = crate::model::git::sha_of(&[file]);
    u64::from_str_radix(&h[..8], 16).unwrap_or(0) % 100_000_000 + 1_000
}
