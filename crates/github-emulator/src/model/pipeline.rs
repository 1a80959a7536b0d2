//! What the pipeline after the gate needs from the model: GitHub closing the issues a merged
//! pull request names with closing keywords, and views of statuses and deployment statuses.

use std::sync::LazyLock;

use regex::Regex;

use super::Model;
use crate::http::ApiError;

/// GitHub's closing keywords followed by `#N`, `owner/repo#N` or an issue URL.
static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b:?\s+(?:https?://[^/\s]+/([\w.-]+)/([\w.-]+)/issues/|([\w.-]+)/([\w.-]+)#|#)(\d+)\b",
    )
    .expect("closing-keyword regex")
});

impl Model {
    /// As GitHub does when a pull request merges into the default branch: the issues of this
    /// repository its body names with a closing keyword are closed as completed.
    pub(crate) fn close_linked_issues(
        &mut self,
        ri: usize,
        number: u64,
        actor: &str,
        merge_sha: &str,
    ) -> Result<(), ApiError> {
        let issue = self.issue_ref(ri, number)?;
        let into_default = issue
            .pull
            .as_ref()
            .is_some_and(|p| p.base_ref == self.repos[ri].default_branch);
        if !into_default {
            return Ok(());
        }
        let body = issue.body.clone().unwrap_or_default();
        let (owner, name) = (self.repos[ri].owner.clone(), self.repos[ri].name.clone());
        for caps in CLOSING.captures_iter(&body) {
            let repo_o = caps.get(1).or(caps.get(3)).map(|m| m.as_str());
            let repo_n = caps.get(2).or(caps.get(4)).map(|m| m.as_str());
            let same_repo = match (repo_o, repo_n) {
                (Some(o), Some(n)) => {
                    o.eq_ignore_ascii_case(&owner) && n.eq_ignore_ascii_case(&name)
                }
                _ => true,
            };
            let Ok(target) = caps[5].parse::<u64>() else {
                continue;
            };
            let is_open_issue = self
                .issue_ref(ri, target)
                .is_ok_and(|i| i.state_open && i.pull.is_none());
            if same_repo && target != number && is_open_issue {
                self.set_state(ri, target, false, Some("completed"), actor)?;
                self.repos[ri]
                    .events
                    .last_mut()
                    .expect("set_state recorded an event")
                    .commit_id = Some(merge_sha.to_string());
            }
        }
        Ok(())
    }

    /// `(context, state)` of every commit status on `sha`, oldest first.
    pub fn statuses(&self, repo: &str, sha: &str) -> Vec<(String, String)> {
        let Some(ri) = self.find_repo(repo) else {
            return Vec::new();
        };
        self.repos[ri]
            .statuses
            .iter()
            .filter(|s| s.sha == sha)
            .map(|s| (s.context.clone(), s.state.clone()))
            .collect()
    }

    /// `(environment, state, environment_url, log_url)` of every deployment status, oldest first.
    pub fn deployment_statuses(&self, repo: &str) -> Vec<(String, String, String, String)> {
        let Some(ri) = self.find_repo(repo) else {
            return Vec::new();
        };
        let r = &self.repos[ri];
        r.deployment_statuses
            .iter()
            .map(|s| {
                let environment = r
                    .deployments
                    .iter()
                    .find(|d| d.id == s.deployment)
                    .map_or_else(String::new, |d| d.environment.clone());
                (
                    environment,
                    s.state.clone(),
                    s.environment_url.clone(),
                    s.log_url.clone(),
                )
            })
            .collect()
    }

    /// The body of the release tagged `tag`.
    pub fn release_body(&self, repo: &str, tag: &str) -> Option<String> {
        let ri = self.find_repo(repo)?;
        self.repos[ri]
            .releases
            .iter()
            .find(|r| r.tag_name == tag)
            .and_then(|r| r.body.clone())
    }
}
