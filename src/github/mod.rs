//! The one door to GitHub: the only module that touches octocrab.
//!
//! Everything shiprig asks of GitHub goes through [`GitHub`]: it sets the API version header,
//! authenticates (token or App installation token), paginates at `per_page=100`, retries what is
//! safe to retry within a time budget, counts requests, and returns shiprig's own small types.

mod api;
mod api_gate;
mod api_pipeline;
mod api_plan;
mod api_setup;
pub mod auth;
pub mod clock;
mod error;
mod graphql;
pub mod retry;
mod types;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use http::{HeaderMap, Method};
use http_body_util::BodyExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use api::{DispatchedRun, escape as api_escape};
pub use api_gate::{Blob, CommitListing, GatePull, GitIdentity, PullCommit, PullFile, PullReview};
pub use api_pipeline::*;
pub use api_plan::{IssueUpdate, NewIssue};
pub use api_setup::*;
pub use auth::{Credentials, Secret};
pub use clock::{Clock, FakeClock, SystemClock};
pub use error::GitHubError;
pub use graphql::{GRAPHQL_PATH, LABELINGS_FRAGMENT, Labeling, VIEWER_QUERY, labelings_query};
pub use retry::RetryPolicy;
pub use types::*;

pub const API_VERSION: &str = "2022-11-28";
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// Requests made through one client, by kind; commands report them in `--json`.
#[derive(Debug, Default)]
struct Counters {
    reads: AtomicU64,
    writes: AtomicU64,
    retries: AtomicU64,
    rate_limit_remaining: AtomicI64,
}

/// A snapshot of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RequestStats {
    pub reads: u64,
    pub writes: u64,
    pub retries: u64,
    /// The last `x-ratelimit-remaining` GitHub reported, if any.
    pub rate_limit_remaining: Option<u64>,
}

impl RequestStats {
    pub fn total(&self) -> u64 {
        self.reads + self.writes
    }
}

/// What one HTTP exchange returned.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Settings for a client; `from_env` reads what GitHub Actions sets.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub api_url: String,
    pub credentials: Credentials,
    pub retry: RetryPolicy,
    /// Per-request timeout for one attempt.
    pub timeout: Duration,
}

impl ClientOptions {
    pub fn new(api_url: impl Into<String>, credentials: Credentials) -> Self {
        ClientOptions {
            api_url: api_url.into().trim_end_matches('/').to_string(),
            credentials,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
        }
    }

    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let url = env("GITHUB_API_URL").filter(|u| !u.is_empty());
        let credentials = Credentials::from_env(&env)?;
        Ok(Self::new(
            url.unwrap_or_else(|| DEFAULT_API_URL.into()),
            credentials,
        ))
    }
}

/// The GitHub client. Cheap to clone; clones share counters and the token cache.
#[derive(Clone)]
pub struct GitHub {
    octo: octocrab::Octocrab,
    options: Arc<ClientOptions>,
    clock: Arc<dyn Clock>,
    counters: Arc<Counters>,
    /// Installation tokens by repository owner (App auth only).
    tokens: Arc<Mutex<HashMap<String, auth::InstallationToken>>>,
    /// The repository whose installation App auth uses.
    scope: Option<Repo>,
    /// A cap on requests (per repository and loop in `conductor run`).
    budget: Option<Arc<Budget>>,
}

/// Requests allowed and used; reset at the start of each loop.
#[derive(Debug)]
struct Budget {
    limit: u64,
    used: AtomicU64,
}

impl std::fmt::Debug for GitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHub")
            .field(
                "api_url",
                &crate::secrets::redact_urls(&self.options.api_url),
            )
            .finish_non_exhaustive()
    }
}

impl GitHub {
    pub fn new(options: ClientOptions) -> Result<Self, GitHubError> {
        Self::with_clock(options, Arc::new(SystemClock))
    }

    /// A client whose waits and token expiry use `clock` (tests pass a [`FakeClock`]).
    pub fn with_clock(options: ClientOptions, clock: Arc<dyn Clock>) -> Result<Self, GitHubError> {
        let setup = |message: String| GitHubError::Transport {
            method: "SETUP".into(),
            path: crate::secrets::redact_urls(&options.api_url).into_owned(),
            message,
        };
        let http = reqwest::Client::builder()
            .user_agent(concat!("shiprig/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(options.timeout)
            .build()
            .map_err(|e| setup(e.to_string()))?;
        let octo = octocrab::Octocrab::builder()
            .base_uri(options.api_url.as_str())
            .map_err(|e| setup(format!("bad GITHUB_API_URL: {e}")))?
            .build_with_reqwest(http)
            .map_err(|e| setup(format!("{e:#}")))?;
        Ok(GitHub {
            octo,
            options: Arc::new(options),
            clock,
            counters: Arc::new(Counters {
                rate_limit_remaining: AtomicI64::new(-1),
                ..Default::default()
            }),
            tokens: Arc::default(),
            scope: None,
            budget: None,
        })
    }

    /// The same client (shared counters and token cache) acting for `repo`; with App auth the
    /// installation token is the one of `repo`'s owner.
    pub fn for_repo(&self, repo: &Repo) -> GitHub {
        GitHub {
            scope: Some(repo.clone()),
            ..self.clone()
        }
    }

    /// A client with its own counters and a cap of `limit` requests until
    /// [`GitHub::reset_budget`]; past it requests fail without being sent.
    pub fn with_budget(&self, limit: u64) -> GitHub {
        let counters = Counters {
            rate_limit_remaining: AtomicI64::new(-1),
            ..Default::default()
        };
        let budget = Budget {
            limit,
            used: AtomicU64::new(0),
        };
        GitHub {
            counters: Arc::new(counters),
            budget: Some(Arc::new(budget)),
            ..self.clone()
        }
    }

    pub fn reset_budget(&self) {
        if let Some(budget) = &self.budget {
            budget.used.store(0, Ordering::Relaxed);
        }
    }

    pub fn api_url(&self) -> &str {
        &self.options.api_url
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn stats(&self) -> RequestStats {
        let remaining = self.counters.rate_limit_remaining.load(Ordering::Relaxed);
        RequestStats {
            reads: self.counters.reads.load(Ordering::Relaxed),
            writes: self.counters.writes.load(Ordering::Relaxed),
            retries: self.counters.retries.load(Ordering::Relaxed),
            rate_limit_remaining: u64::try_from(remaining).ok(),
        }
    }

    /// The counters so far, zeroed afterwards (the rate-limit reading is kept).
    pub fn take_stats(&self) -> RequestStats {
        let stats = self.stats();
        self.counters.reads.store(0, Ordering::Relaxed);
        self.counters.writes.store(0, Ordering::Relaxed);
        self.counters.retries.store(0, Ordering::Relaxed);
        stats
    }

    /// GET `path` (relative to the API URL) and decode it.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, GitHubError> {
        let answer = self.request(Method::GET, path, None).await?;
        decode(&Method::GET, path, &answer.body)
    }

    /// GET that maps 404 to `None`.
    pub async fn get_optional<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Option<T>, GitHubError> {
        match self.get(path).await {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A `DELETE` without a body (GitHub describes none for the deletes shiprig makes).
    pub async fn delete(&self, path: &str) -> Result<(), GitHubError> {
        self.request(Method::DELETE, path, None).await.map(drop)
    }

    /// A write with a JSON body; an empty answer decodes as `Value::Null`.
    pub async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, GitHubError> {
        let json = serde_json::to_value(body).map_err(|e| GitHubError::Decode {
            method: method.to_string(),
            path: path.to_string(),
            message: e.to_string(),
        })?;
        let answer = self.request(method.clone(), path, Some(&json)).await?;
        if answer.body.is_empty() {
            return decode(&method, path, b"null");
        }
        decode(&method, path, &answer.body)
    }

    /// Every page of a list, following `Link: rel="next"` at `per_page=100`.
    pub async fn get_all<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, GitHubError> {
        let listing = self.list(path, None).await;
        match listing.error {
            Some(error) => Err(error),
            None => Ok(listing.items),
        }
    }

    /// Pages of a list until `max_pages` (if set) or the end; a failing page ends the listing
    /// with what was read so far and the error, so callers can act on a partial view safely.
    pub async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        max_pages: Option<usize>,
    ) -> Listing<T> {
        let mut items = Vec::new();
        let mut next = Some(with_per_page(path));
        let mut pages = 0;
        while let Some(current) = next.take() {
            if max_pages.is_some_and(|max| pages >= max) {
                return Listing {
                    items,
                    complete: false,
                    error: None,
                };
            }
            let answer = match self.request(Method::GET, &current, None).await {
                Ok(answer) => answer,
                Err(error) => {
                    return Listing {
                        items,
                        complete: false,
                        error: Some(error),
                    };
                }
            };
            pages += 1;
            match decode::<Vec<T>>(&Method::GET, &current, &answer.body) {
                Ok(page) => items.extend(page),
                Err(error) => {
                    return Listing {
                        items,
                        complete: false,
                        error: Some(error),
                    };
                }
            }
            match self.next_link(&answer.headers, &current) {
                Ok(link) => next = link,
                Err(error) => {
                    return Listing {
                        items,
                        complete: false,
                        error: Some(error),
                    };
                }
            }
        }
        Listing {
            items,
            complete: true,
            error: None,
        }
    }

    fn next_link(&self, headers: &HeaderMap, path: &str) -> Result<Option<String>, GitHubError> {
        let Some(url) = headers
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(next_from_link)
        else {
            return Ok(None);
        };
        match url.strip_prefix(&self.options.api_url) {
            Some(rest) if rest.starts_with('/') => Ok(Some(rest.to_string())),
            _ => Err(GitHubError::ForeignLink {
                path: path.to_string(),
            }),
        }
    }

    /// One logical request: authentication, attempts, waiting and counting.
    async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, GitHubError> {
        if let Some(budget) = &self.budget
            && budget.used.fetch_add(1, Ordering::Relaxed) >= budget.limit
        {
            return Err(GitHubError::BudgetSpent {
                method: method.to_string(),
                path: path.to_string(),
                limit: budget.limit,
            });
        }
        let authorization = self.authorization().await?;
        self.attempt_loop(method, path, body, authorization.as_ref())
            .await
    }

    async fn attempt_loop(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        authorization: Option<&Secret>,
    ) -> Result<Answer, GitHubError> {
        let mut waited = Duration::ZERO;
        let mut attempt = 0;
        // A GraphQL query is a POST that changes nothing: retried and counted as a read.
        let kind = if path == GRAPHQL_PATH {
            Method::GET
        } else {
            method.clone()
        };
        loop {
            attempt += 1;
            self.count(&kind, attempt);
            let result = self.exchange(&method, path, body, authorization).await;
            let failure = match result {
                Ok(answer) if answer.status < 300 => return Ok(answer),
                Ok(answer) => Failure::Answer(answer),
                // A transport error names the URL; its userinfo never leaves shiprig.
                Err(message) => {
                    Failure::NoAnswer(crate::secrets::redact_urls(&message).into_owned())
                }
            };
            let (outcome_error, wait) = self.judge(&method, &kind, path, attempt, &failure, waited);
            match wait {
                Some(wait) => {
                    tracing::warn!("{outcome_error}; retrying in {wait:?}");
                    self.clock.sleep(wait).await;
                    waited += wait;
                }
                None if attempt > 1 => {
                    return Err(GitHubError::GaveUp {
                        method: method.to_string(),
                        path: path.to_string(),
                        attempts: attempt,
                        waited,
                        last: Box::new(outcome_error),
                    });
                }
                None => return Err(outcome_error),
            }
        }
    }

    fn judge(
        &self,
        method: &Method,
        kind: &Method,
        path: &str,
        attempt: u32,
        failure: &Failure,
        waited: Duration,
    ) -> (GitHubError, Option<Duration>) {
        let now = self.clock.now();
        match failure {
            Failure::Answer(answer) => {
                let message = github_message(&answer.body);
                let outcome = retry::Outcome::Answer {
                    status: answer.status,
                    headers: &answer.headers,
                    message: &message,
                };
                let wait = self
                    .options
                    .retry
                    .next_wait(kind, attempt, &outcome, now, waited);
                let error = GitHubError::Status {
                    method: method.to_string(),
                    path: path.to_string(),
                    status: answer.status,
                    message,
                };
                (error, wait)
            }
            Failure::NoAnswer(message) => {
                let wait = self.options.retry.next_wait(
                    kind,
                    attempt,
                    &retry::Outcome::NoAnswer,
                    now,
                    waited,
                );
                let error = GitHubError::Transport {
                    method: method.to_string(),
                    path: path.to_string(),
                    message: message.clone(),
                };
                (error, wait)
            }
        }
    }

    fn count(&self, method: &Method, attempt: u32) {
        let counter = if method == Method::GET || method == Method::HEAD {
            &self.counters.reads
        } else {
            &self.counters.writes
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if attempt > 1 {
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One HTTP exchange through octocrab; transport failures come back as text.
    async fn exchange(
        &self,
        method: &Method,
        path: &str,
        body: Option<&Value>,
        authorization: Option<&Secret>,
    ) -> Result<Answer, String> {
        let request = self
            .build(method, path, body, authorization)
            .map_err(|e| e.to_string())?;
        let failed = |e: &dyn std::error::Error| format!("{} ({})", describe(e), self.host());
        let response = self.octo.execute(request).await.map_err(|e| failed(&e))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| failed(&e))?
            .to_bytes()
            .to_vec();
        if let Some(remaining) = parts
            .headers
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            && let Ok(remaining) = remaining.parse::<i64>()
        {
            self.counters
                .rate_limit_remaining
                .store(remaining, Ordering::Relaxed);
        }
        Ok(Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }

    fn build(
        &self,
        method: &Method,
        path: &str,
        body: Option<&Value>,
        authorization: Option<&Secret>,
    ) -> Result<http::Request<String>, http::Error> {
        let mut builder = http::Request::builder()
            .method(method.clone())
            .uri(format!("{}{}", self.options.api_url, path))
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", API_VERSION);
        if let Some(secret) = authorization {
            builder = builder.header("authorization", format!("Bearer {}", secret.expose()));
        }
        match body {
            Some(json) => builder
                .header("content-type", "application/json")
                .body(json.to_string()),
            None => builder.body(String::new()),
        }
    }
}

impl GitHub {
    /// The bearer credential for this request: the token, or a fresh installation token.
    async fn authorization(&self) -> Result<Option<Secret>, GitHubError> {
        match &self.options.credentials {
            Credentials::Token(token) => Ok(Some(token.clone())),
            Credentials::Anonymous => Ok(None),
            Credentials::App {
                app_id,
                private_key_pem,
            } => self
                .installation_token(*app_id, private_key_pem)
                .await
                .map(Some),
        }
    }

    async fn installation_token(&self, app_id: u64, pem: &Secret) -> Result<Secret, GitHubError> {
        let repo = self.scope.as_ref().ok_or_else(|| {
            GitHubError::AppAuth(
                "App auth needs a repository to find its installation (set GITHUB_REPOSITORY)"
                    .into(),
            )
        })?;
        let now = self.clock.now();
        if let Some(cached) = self
            .lock_tokens()
            .get(&repo.owner)
            .filter(|t| t.is_fresh(now))
        {
            return Ok(cached.token.clone());
        }
        let jwt = auth::app_jwt(app_id, pem, now)?;
        let installation_path = format!("/repos/{repo}/installation");
        let installation = self
            .attempt_loop(Method::GET, &installation_path, None, Some(&jwt))
            .await;
        let installation: Installation = decode(
            &Method::GET,
            &installation_path,
            &app_answer(installation)?.body,
        )?;
        let token_path = format!("/app/installations/{}/access_tokens", installation.id);
        let minted = self
            .attempt_loop(Method::POST, &token_path, None, Some(&jwt))
            .await;
        let minted: MintedToken = decode(&Method::POST, &token_path, &app_answer(minted)?.body)?;
        let token = auth::InstallationToken {
            token: Secret::new(minted.token),
            expires_at: minted.expires_at,
        };
        self.lock_tokens().insert(repo.owner.clone(), token.clone());
        Ok(token.token)
    }

    fn lock_tokens(&self) -> std::sync::MutexGuard<'_, HashMap<String, auth::InstallationToken>> {
        self.tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn app_answer(result: Result<Answer, GitHubError>) -> Result<Answer, GitHubError> {
    result.map_err(|e| GitHubError::AppAuth(e.to_string()))
}

#[derive(serde::Deserialize)]
struct Installation {
    id: u64,
}

#[derive(serde::Deserialize)]
struct MintedToken {
    token: String,
    expires_at: chrono::DateTime<chrono::Utc>,
}

enum Failure {
    Answer(Answer),
    NoAnswer(String),
}

/// A list read page by page; `complete` is false when it stopped early.
#[derive(Debug)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub complete: bool,
    pub error: Option<GitHubError>,
}

fn decode<T: DeserializeOwned>(method: &Method, path: &str, body: &[u8]) -> Result<T, GitHubError> {
    serde_json::from_slice(body).map_err(|e| GitHubError::Decode {
        method: method.to_string(),
        path: path.to_string(),
        message: e.to_string(),
    })
}

/// GitHub's `message` field, or the start of the body when there is none.
fn github_message(body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    match parsed
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(Value::as_str)
    {
        Some(message) => message.to_string(),
        None => String::from_utf8_lossy(&body[..body.len().min(200)])
            .trim()
            .to_string(),
    }
}

impl GitHub {
    /// The API's host and port as a person wrote them, without any userinfo.
    fn host(&self) -> &str {
        let url = &self.options.api_url;
        let rest = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
        let authority = rest.split('/').next().unwrap_or(rest);
        authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host)
    }
}

/// Why a request got no answer, said once: the kind of failure (DNS, refused, timeout, a
/// connection that closed), else the innermost cause. octocrab and reqwest wrap one failure in
/// several layers that each repeat the URL; none of that reaches the user.
fn describe(error: &dyn std::error::Error) -> String {
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

fn with_per_page(path: &str) -> String {
    if path.contains("per_page=") {
        return path.to_string();
    }
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}per_page=100")
}

/// The `rel="next"` URL of a Link header.
fn next_from_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        is_next.then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next() {
        let header = r#"<https://api.github.com/repos/o/r/issues?page=2&per_page=100>; rel="next", <https://api.github.com/repos/o/r/issues?page=3&per_page=100>; rel="last""#;
        assert_eq!(
            next_from_link(header).as_deref(),
            Some("https://api.github.com/repos/o/r/issues?page=2&per_page=100")
        );
        assert_eq!(next_from_link(r#"<https://x/y?page=1>; rel="prev""#), None);
    }

    #[test]
    fn per_page_is_added_once() {
        assert_eq!(
            with_per_page("/repos/o/r/issues"),
            "/repos/o/r/issues?per_page=100"
        );
        assert_eq!(with_per_page("/x?state=open"), "/x?state=open&per_page=100");
        assert_eq!(with_per_page("/x?per_page=5"), "/x?per_page=5");
    }
}
