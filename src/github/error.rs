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
    pub(crate) fn reason(&self) -> String {
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
    pub(crate) fn is_unclear(&self) -> bool {
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

/// GitHub's `message` field, or the start of the body when there is none.
pub(super) fn github_message(body: &[u8]) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    match parsed
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(serde_json::Value::as_str)
    {
        Some(message) => message.to_string(),
        None => String::from_utf8_lossy(&body[..body.len().min(200)])
            .trim()
            .to_string(),
    }
}

/// Why a request got no answer, said once: the kind of failure (DNS, refused, timeout, a
/// connection that closed), else the innermost cause. octocrab and reqwest wrap one failure in
/// several layers that each repeat the URL; none of that reaches the user.
pub(super) fn describe(error: &dyn std::error::Error) -> String {
    let mut chain = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push(cause.to_string());
        source = cause.source();
    }
    let all = chain.join(" ").to_ascii_lowercase();
    let kind = [
        (
            &["dns error", "failed to lookup", "no record found"][..],
            "DNS lookup failed",
        ),
        (&["connection refused"], "connection refused"),
        (
            &["timed out", "timeout", "deadline has elapsed"],
            "timed out",
        ),
        (
            &[
                "connection reset",
                "connection closed",
                "incomplete message",
                "unexpected eof",
                "broken pipe",
            ],
            "the connection closed before an answer",
        ),
    ]
    .iter()
    .find(|(needles, _)| needles.iter().any(|n| all.contains(n)))
    .map(|(_, kind)| *kind);
    match kind {
        Some(kind) => kind.to_string(),
        None => without_urls(chain.last().map_or("", String::as_str)),
    }
}

/// A message with every `(http…)` and bare `http…` URL left out (they repeat the request).
fn without_urls(message: &str) -> String {
    message
        .split_whitespace()
        .filter(|word| !word.trim_start_matches('(').starts_with("http"))
        .collect::<Vec<_>>()
        .join(" ")
}
