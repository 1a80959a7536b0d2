//! Errors from the door to GitHub: method, path, status and GitHub's message; never a token.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// GitHub answered with a status shiprig does not retry (or stopped retrying).
    #[error("{method} {path} answered {status}: {message}")]
    Status {
        method: String,
        path: String,
        status: u16,
        message: String,
    },
    /// No answer: connection refused or dropped, timeout.
    #[error("{method} {path} failed: {message}")]
    Transport {
        method: String,
        path: String,
        message: String,
    },
    /// The retry budget ran out; `last` is the final failure.
    #[error("{method} {path}: {} (gave up after {attempts} attempts and {waited:?} of waiting)", last.reason())]
    GaveUp {
        method: String,
        path: String,
        attempts: u32,
        waited: Duration,
        last: Box<GitHubError>,
    },
    /// The body did not have the shape shiprig expects.
    #[error("{method} {path}: unexpected response body: {message}")]
    Decode {
        method: String,
        path: String,
        message: String,
    },
    /// GitHub App authentication could not produce an installation token.
    #[error("GitHub App authentication failed: {0}")]
    AppAuth(String),
    /// This repository spent its request budget for this loop; the request was not sent.
    #[error("{method} {path}: the repository's budget of {limit} requests for this loop is spent")]
    BudgetSpent {
        method: String,
        path: String,
        limit: u64,
    },
    /// A Link header pointed away from the configured API; shiprig does not follow it with a token.
    #[error("{path}: pagination link leaves the GitHub API base URL; refusing to follow it")]
    ForeignLink { path: String },
}

impl GitHubError {
    /// What went wrong, without the request it went wrong for.
    pub fn reason(&self) -> String {
        match self {
            GitHubError::Status {
                status, message, ..
            } => format!("answered {status}: {message}"),
            GitHubError::Transport { message, .. } => message.clone(),
            GitHubError::Decode { message, .. } => format!("unexpected response body: {message}"),
            GitHubError::GaveUp { last, .. } => last.reason(),
            other => other.to_string(),
        }
    }

    /// The HTTP status, looking through a `GaveUp` to the final failure.
    pub fn status(&self) -> Option<u16> {
        match self {
            GitHubError::Status { status, .. } => Some(*status),
            GitHubError::GaveUp { last, .. } => last.status(),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether a write that failed this way may still have happened: a 5xx, a dropped
    /// connection or timeout, or an answer that could not be read. GitHub sometimes applies a
    /// write and loses the answer, so after such a failure the caller reads back before
    /// deciding anything. A 4xx, a spent budget or a refused link never reached GitHub's state.
    pub fn is_unclear(&self) -> bool {
        match self {
            GitHubError::Status { status, .. } => *status >= 500,
            GitHubError::Transport { .. } | GitHubError::Decode { .. } => true,
            GitHubError::GaveUp { last, .. } => last.is_unclear(),
            GitHubError::AppAuth(_)
            | GitHubError::BudgetSpent { .. }
            | GitHubError::ForeignLink { .. } => false,
        }
    }
}
