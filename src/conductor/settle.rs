//! Writes whose answer may be lost. GitHub sometimes applies a write and loses the answer (a
//! 502 with an HTML body, a reset, a timeout, a truncated body). After such an answer shiprig
//! reads back what the write would have changed and goes on from what GitHub holds: it never
//! undoes a write it cannot see, and never repeats one it can.

use chrono::{DateTime, Utc};

use super::claim::{self, Claim};
use super::tick::Tick;
use crate::agents::{Assignment, DispatchError, Started};
use crate::github::GitHubError;

/// How a dispatch ended, once every unclear answer is settled.
pub(crate) enum SettledDispatch {
    Started(Started),
    /// Known not started: the caller withdraws its claim.
    NotStarted(anyhow::Error),
    /// Could not be told (the look-up failed too): leave the claim as it is; a later tick
    /// finds it without a run and finishes or withdraws it.
    Unknown(anyhow::Error),
    /// The agent itself failed at once (a command that exited non-zero).
    AgentFailed(String),
}

/// Add labels; after an unclear answer, they count as added when the issue carries them all.
pub(crate) async fn add_labels(
    tick: &Tick<'_>,
    issue: u64,
    labels: &[String],
) -> Result<(), GitHubError> {
    let (gh, repo) = (tick.gh, tick.repo);
    match gh.add_labels(repo, issue, labels).await {
        Err(e) if e.is_unclear() => {
            let now = gh.issue(repo, issue).await?;
            if labels.iter().all(|l| now.has_label(l)) {
                Ok(())
            } else {
                Err(e)
            }
        }
        other => other,
    }
}

/// Post a marker comment (claim, fix or review request) carrying this `tick` token; after an unclear
/// answer, the comment counts as posted when the issue shows one with the token.
pub(crate) async fn post_marked(
    tick: &Tick<'_>,
    issue: u64,
    agent: &str,
    body: &str,
    token: &str,
) -> anyhow::Result<Claim> {
    let (gh, repo) = (tick.gh, tick.repo);
    match gh.create_comment(repo, issue, body).await {
        Ok(comment) => Ok(Claim {
            comment_id: comment.id,
            agent: agent.to_string(),
            at: comment.created_at,
        }),
        Err(e) if e.is_unclear() => {
            let comments = gh.own_comments(repo, issue).await?;
            let mine = comments
                .iter()
                .find(|c| c.body.as_deref().is_some_and(|b| has_token(b, token)));
            match mine {
                Some(c) => Ok(Claim {
                    comment_id: c.id,
                    agent: agent.to_string(),
                    at: c.created_at,
                }),
                None => Err(anyhow::Error::new(e).context("the comment is not there")),
            }
        }
        Err(e) => Err(e.into()),
    }
}

fn has_token(body: &str, token: &str) -> bool {
    ["claim", "fix", "review", "respond", claim::HANDOFF_KIND]
        .iter()
        .any(|kind| {
            claim::marker_fields(body, kind)
                .iter()
                .any(|f| f.get("tick").map(String::as_str) == Some(token))
        })
}

/// Dispatch, and after an unclear answer look for the run it would have started (created at
/// or after `since`, the claim's time) before deciding anything.
pub(crate) async fn dispatch(
    tick: &Tick<'_>,
    assignment: &Assignment<'_>,
    since: DateTime<Utc>,
) -> SettledDispatch {
    let backend = tick.backend();
    match backend.dispatch(tick.gh, assignment).await {
        Ok(started) => SettledDispatch::Started(started),
        Err(DispatchError::Transient(e)) => SettledDispatch::NotStarted(e),
        Err(DispatchError::AgentFailed(reason)) => SettledDispatch::AgentFailed(reason),
        Err(DispatchError::Unclear(e)) => match backend.find(tick.gh, assignment, since).await {
            Ok(Some(started)) => SettledDispatch::Started(started),
            Ok(None) => SettledDispatch::NotStarted(e.context("and no run was started")),
            Err(look) => {
                SettledDispatch::Unknown(e.context(format!("looking for the run: {look:#}")))
            }
        },
    }
}

/// Edit a comment, best effort: the comment's text is a record for people and the next tick,
/// and a lost edit is read again next tick.
pub(crate) async fn edit(tick: &Tick<'_>, comment: u64, body: &str) {
    if let Err(e) = tick.gh.update_comment(tick.repo, comment, body).await {
        tracing::warn!("editing comment {comment}: {e}");
    }
}
