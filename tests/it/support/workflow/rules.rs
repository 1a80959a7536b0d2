//! GitHub's rules for whether an event starts workflow runs, and which copy of a workflow file
//! a run uses, as pure functions. Each rule quotes the documentation it follows; each has its
//! own test in `tests/it/workflows.rs`.

use serde_json::Value;
use shiprig::emulator::Writer;

/// Whether GitHub starts runs for an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunStart {
    /// Runs start, on the workflow files as `reference` has them.
    Runs { reference: String },
    /// Runs are created but wait for a person's approval before any job starts.
    AwaitsApproval,
    /// No run at all, and why.
    Never(&'static str),
}

/// The deepest `workflow_run` chain GitHub starts: a run started by another event is level 1.
pub const MAX_CHAIN: u8 = 3;

/// The shortest interval between two runs of a `schedule`, in minutes.
pub const SCHEDULE_MINUTES: i64 = 5;

/// Whether `event` (made by `writer`; for `workflow_run`, completing a run at `level`) starts
/// workflow runs, and on which copy of the workflow files.
pub fn start(
    event: &str,
    payload: &Value,
    writer: Writer,
    level: u8,
    default_branch: &str,
) -> RunStart {
    // "When you use the repository's GITHUB_TOKEN to perform tasks, events triggered by the
    // GITHUB_TOKEN, with the exception of workflow_dispatch and repository_dispatch, will not
    // create a new workflow run." (docs.github.com, Triggering a workflow)
    if writer == Writer::ActionsToken
        && !matches!(event, "workflow_dispatch" | "repository_dispatch")
    {
        // docs/architecture.md, "GitHub facts that decide the design": "A `pull_request` opened or
        // synchronized by that token creates runs that wait for a person's approval."
        let opened = matches!(
            payload["action"].as_str(),
            Some("opened" | "synchronize" | "reopened")
        );
        if event == "pull_request" && opened {
            return RunStart::AwaitsApproval;
        }
        return RunStart::Never("caused by the Actions token (GITHUB_TOKEN)");
    }
    // "To prevent recursive workflows, this event does not trigger workflows if the check
    // suite was created by GitHub Actions or if the check suite's head SHA is associated with
    // GitHub Actions." (docs.github.com, Events that trigger workflows: check_suite; the same
    // note stands under check_run)
    if matches!(event, "check_suite" | "check_run") {
        let app = payload
            .pointer("/check_suite/app/slug")
            .or_else(|| payload.pointer("/check_run/check_suite/app/slug"))
            .and_then(Value::as_str);
        if app == Some("github-actions") {
            return RunStart::Never("a check suite created by GitHub Actions");
        }
    }
    // "You can't use workflow_run to chain together more than three levels of workflows."
    // (docs.github.com, Events that trigger workflows: workflow_run)
    if event == "workflow_run" && level >= MAX_CHAIN {
        return RunStart::Never("a workflow_run chain deeper than three levels");
    }
    RunStart::Runs {
        reference: copy_of(event, payload, default_branch),
    }
}

/// The commit whose workflow files a run for `event` uses.
pub fn copy_of(event: &str, payload: &Value, default_branch: &str) -> String {
    let s = |p: &str| {
        payload
            .pointer(p)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let default = format!("refs/heads/{default_branch}");
    match event {
        // `pull_request`: "GITHUB_SHA: Last merge commit on the GITHUB_REF branch"; and
        // `pull_request_review` likewise runs on `refs/pull/N/merge` (docs.github.com, Events
        // that trigger workflows). The merge commit carries the pull request's own edits of
        // workflow files, so its head's copy stands for it here.
        "pull_request" | "pull_request_review" | "pull_request_review_comment" => {
            s("/pull_request/head/sha").unwrap_or(default)
        }
        // "This event runs in the context of the base of the pull request, rather than in the
        // context of the merge commit, as the pull_request event does." (pull_request_target)
        "pull_request_target" => s("/pull_request/base/ref")
            .map(|b| format!("refs/heads/{b}"))
            .unwrap_or(default),
        // "This event will only trigger a workflow run if the workflow file exists on the
        // default branch." (workflow_run, schedule, issues, …: the default branch's copy)
        "push" => s("/after").unwrap_or(default),
        "workflow_dispatch" => s("/ref")
            .map(|r| {
                if r.starts_with("refs/") {
                    r
                } else {
                    format!("refs/heads/{r}")
                }
            })
            .unwrap_or(default),
        _ => default,
    }
}

/// Whether a `schedule` tick at `minute` runs, the last run having been at `last` (minutes).
/// "The shortest interval you can run scheduled workflows is once every 5 minutes."
/// (docs.github.com, Events that trigger workflows: schedule)
pub fn schedule_runs(last: Option<i64>, minute: i64) -> bool {
    last.is_none_or(|l| minute - l >= SCHEDULE_MINUTES)
}
