//! The Actions event that started a command (`GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`), read
//! through this one reader: at most [`EVENT_LIMIT`] bytes, UTF-8, JSON, then asked only typed
//! questions (which pull request, which commit). Nothing else opens the payload.

use std::path::Path;

use serde_json::Value;

use crate::bounded::{self, EVENT_LIMIT};
use crate::error::UsageError;
use crate::github::PullRequest;

/// An event and its payload; empty (no name, a `null` payload) outside Actions.
#[derive(Debug, Clone, Default)]
pub(crate) struct ActionsEvent {
    name: String,
    payload: Value,
}

impl ActionsEvent {
    /// Reads the payload at `path` (none: an empty event). A file that is too large, not UTF-8
    /// or not JSON is bad usage, named with its place.
    pub(crate) fn read(
        name: Option<&str>,
        path: Option<&Path>,
    ) -> Result<ActionsEvent, UsageError> {
        let name = name.unwrap_or_default().to_string();
        let Some(path) = path else {
            return Ok(ActionsEvent {
                name,
                payload: Value::Null,
            });
        };
        let text = bounded::read_text(path, EVENT_LIMIT, "event").map_err(|e| {
            let place = match e.line {
                0 => String::new(),
                line => format!(":{line}:{}", e.column),
            };
            UsageError(format!("{}{place}: {}", path.display(), e.message))
        })?;
        let payload = serde_json::from_str(&text).map_err(|e| {
            UsageError(format!(
                "the event payload {} is not JSON: {e}",
                path.display()
            ))
        })?;
        Ok(ActionsEvent { name, payload })
    }

    /// `pull_request`, `push`, …; empty outside Actions.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The payload as JSON, for the readers that take a whole object apart (the gate's event,
    /// a labelled issue); `null` outside Actions.
    pub(crate) fn payload(&self) -> &Value {
        &self.payload
    }

    fn text(&self, pointer: &str) -> Option<String> {
        self.payload
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// The pull request the event names: its `pull_request`, or its `number`.
    pub(crate) fn pull_number(&self) -> Option<u64> {
        self.payload
            .pointer("/pull_request/number")
            .and_then(Value::as_u64)
            .or_else(|| self.payload.pointer("/number")?.as_u64())
    }

    /// The payload's `pull_request`, read as the API's pull request object.
    pub(crate) fn pull_request(&self) -> Option<PullRequest> {
        serde_json::from_value(self.payload.get("pull_request")?.clone()).ok()
    }

    /// The commit a push brought (`after`).
    pub(crate) fn pushed_sha(&self) -> Option<String> {
        self.text("/after")
    }

    /// The pull requests a `check_suite` or `check_run` event lists.
    pub(crate) fn listed_pulls(&self) -> Option<Vec<u64>> {
        let listed = self
            .payload
            .pointer("/check_suite/pull_requests")
            .or_else(|| self.payload.pointer("/check_run/check_suite/pull_requests"))
            .or_else(|| self.payload.pointer("/check_run/pull_requests"))?
            .as_array()?;
        Some(listed.iter().filter_map(|p| p["number"].as_u64()).collect())
    }

    /// The commit a `status` (`sha`) or `workflow_run` (`workflow_run.head_sha`) event is about,
    /// whatever the event's name.
    pub(crate) fn commit_sha(&self) -> Option<String> {
        match self.payload.pointer("/sha") {
            Some(sha) => sha.as_str().map(str::to_string),
            None => self.text("/workflow_run/head_sha"),
        }
    }

    /// The head SHA of a run that only says "something finished on this commit": a
    /// `workflow_run` (after a review or CI) or a `status` event.
    pub(crate) fn finished_sha(&self) -> Option<String> {
        match self.name.as_str() {
            "workflow_run" => self.text("/workflow_run/head_sha"),
            "status" => self.text("/sha"),
            _ => None,
        }
    }
}

/// `--pr`, else the pull request the event names; bad usage when there is none.
pub(crate) fn pull_number(flag: Option<u64>, event: &ActionsEvent) -> Result<u64, UsageError> {
    flag.or_else(|| event.pull_number())
        .ok_or_else(|| UsageError(NO_PULL.into()))
}

/// What a command that needs a pull request says when it has none.
pub(crate) const NO_PULL: &str = "no pull request: pass --pr N or run on a pull_request event";
