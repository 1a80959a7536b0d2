//! The client itself: construction, one logical request (credentials, attempts, waiting) and
//! the counting of requests. Typed endpoints live in the resource files beside this one.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use http::{HeaderMap, Method};
use http_body_util::BodyExt;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::auth::{self, Credentials, Installation, Me, MintedToken, Secret, TokenCache};
use super::cache::{self, ResponseCache};
use super::clock::{Clock, SystemClock};
use super::error::{GitHubError, describe, github_message};
use super::retry::{RequestAttempt, RetryPolicy};
use super::types::Repo;

pub(crate) const API_VERSION: &str = "2022-11-28";
pub(crate) const DEFAULT_API_URL: &str = "https://api.github.com";

/// The GraphQL endpoint, relative to the API URL (GitHub serves it at `/graphql`).
pub(crate) const GRAPHQL_PATH: &str = "/graphql";

/// Requests made through one client, by kind; commands report them in `--json`.
#[derive(Debug, Default)]
struct Counters {
    reads: AtomicU64,
    writes: AtomicU64,
    retries: AtomicU64,
    not_modified: AtomicU64,
    rate_limit_remaining: AtomicI64,
}

impl Counters {
    fn new() -> Self {
        Counters {
            rate_limit_remaining: AtomicI64::new(-1),
            ..Default::default()
        }
    }
}

/// A snapshot of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RequestStats {
    pub reads: u64,
    pub writes: u64,
    pub retries: u64,
    /// Reads GitHub answered `304 Not Modified` (no rate-limit point spent).
    #[serde(skip_serializing_if = "is_zero")]
    pub not_modified: u64,
    /// The last `x-ratelimit-remaining` GitHub reported, if any.
    pub(crate) rate_limit_remaining: Option<u64>,
}

impl RequestStats {
    pub fn total(&self) -> u64 {
        self.reads + self.writes
    }

    /// Rate-limit points these requests spent: every request but a `304`.
    pub fn points(&self) -> u64 {
        self.total().saturating_sub(self.not_modified)
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What one HTTP exchange returned.
pub(super) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// Settings for a client; `from_env` reads what GitHub Actions sets.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub(crate) api_url: String,
    pub(crate) credentials: Credentials,
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

    pub(crate) fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
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
    tokens: TokenCache,
    /// The repository whose installation App auth uses.
    scope: Option<Repo>,
    /// A cap on requests (per repository and loop in `conductor run`).
    budget: Option<Arc<RequestBudget>>,
    /// The login shiprig writes as, once learned.
    me: Me,
    /// Answers to GETs for conditional requests (`conductor run` only).
    cache: Option<ResponseCache>,
}

/// Requests allowed and used; reset at the start of each loop.
#[derive(Debug)]
struct RequestBudget {
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

    /// A client whose waits and token expiry use `clock` (tests pass a `FakeClock`).
    pub fn with_clock(options: ClientOptions, clock: Arc<dyn Clock>) -> Result<Self, GitHubError> {
        let setup = |message: String| GitHubError::Transport {
            method: "SETUP".into(),
            path: crate::secrets::redact_urls(&options.api_url).into_owned(),
            message,
        };
        let http = crate::tls::client_builder()
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
            counters: Arc::new(Counters::new()),
            tokens: TokenCache::default(),
            scope: None,
            budget: None,
            me: Me::default(),
            cache: None,
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
    pub(crate) fn with_budget(&self, limit: u64) -> GitHub {
        let budget = RequestBudget {
            limit,
            used: AtomicU64::new(0),
        };
        GitHub {
            counters: Arc::new(Counters::new()),
            budget: Some(Arc::new(budget)),
            ..self.clone()
        }
    }

    /// The same client, making every REST GET conditional on the answer it last got (per
    /// credential and URL, at most `bytes` held); clones made after this share the cache.
    pub fn with_response_cache(&self, bytes: usize) -> GitHub {
        GitHub {
            cache: Some(ResponseCache::new(bytes)),
            ..self.clone()
        }
    }

    /// Bytes and entries the response cache holds now (zero without one).
    pub fn response_cache_usage(&self) -> (usize, usize) {
        self.cache.as_ref().map_or((0, 0), ResponseCache::usage)
    }

    pub(crate) fn reset_budget(&self) {
        if let Some(budget) = &self.budget {
            budget.used.store(0, Ordering::Relaxed);
        }
    }

    pub(crate) fn api_url(&self) -> &str {
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
            not_modified: self.counters.not_modified.load(Ordering::Relaxed),
            rate_limit_remaining: u64::try_from(remaining).ok(),
        }
    }

    /// The counters so far, zeroed afterwards (the rate-limit reading is kept).
    pub(crate) fn take_stats(&self) -> RequestStats {
        let stats = self.stats();
        self.counters.reads.store(0, Ordering::Relaxed);
        self.counters.writes.store(0, Ordering::Relaxed);
        self.counters.retries.store(0, Ordering::Relaxed);
        self.counters.not_modified.store(0, Ordering::Relaxed);
        stats
    }

    /// GET `path` (relative to the API URL) and decode it.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, GitHubError> {
        let answer = self.request(Method::GET, path, None).await?;
        decode(&Method::GET, path, &answer.body)
    }

    /// GET that maps 404 to `None`.
    pub(crate) async fn get_optional<T: DeserializeOwned>(
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
    pub(crate) async fn delete(&self, path: &str) -> Result<(), GitHubError> {
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

    /// One logical request: authentication, attempts, waiting and counting.
    pub(super) async fn request(
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
        match &self.cache {
            Some(cache) if method == Method::GET => {
                self.conditional_get(cache, path, authorization.as_ref())
                    .await
            }
            _ => {
                self.attempt_loop(method, path, body, authorization.as_ref(), None)
                    .await
            }
        }
    }

    /// A GET carrying the validator of the answer last stored for it: a `304` is answered
    /// from the store, a fresh `200` replaces it, anything else forgets it.
    async fn conditional_get(
        &self,
        cache: &ResponseCache,
        path: &str,
        authorization: Option<&Secret>,
    ) -> Result<Answer, GitHubError> {
        let key = cache::Key::new(authorization, path);
        let validator = cache.validator(&key);
        let answer = self
            .attempt_loop(Method::GET, path, None, authorization, validator.as_deref())
            .await?;
        if answer.status == 304 {
            if let Some(stored) = cache.revalidated(&key) {
                self.counters.not_modified.fetch_add(1, Ordering::Relaxed);
                return Ok(stored_answer(answer.headers, stored));
            }
            // Evicted between asking and answering: ask again without a validator.
            return self
                .attempt_loop(Method::GET, path, None, authorization, None)
                .await;
        }
        match cache::Stored::from_answer(&answer.headers, &answer.body) {
            Some(stored) if answer.status == 200 => cache.store(key, stored),
            _ => cache.forget(&key),
        }
        Ok(answer)
    }

    async fn attempt_loop(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        authorization: Option<&Secret>,
        validator: Option<&str>,
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
            let result = self
                .exchange(&method, path, body, authorization, validator)
                .await;
            let failure = match result {
                Ok(answer) if answer.status < 300 => return Ok(answer),
                Ok(answer) if answer.status == 304 && validator.is_some() => return Ok(answer),
                Ok(answer) => RequestFailure::Answer(answer),
                // A transport error names the URL; its userinfo never leaves shiprig.
                Err(message) => {
                    RequestFailure::NoAnswer(crate::secrets::redact_urls(&message).into_owned())
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

    /// The error one failed attempt stands for, and how long the policy says to wait.
    fn judge(
        &self,
        method: &Method,
        kind: &Method,
        path: &str,
        attempt: u32,
        failure: &RequestFailure,
        waited: Duration,
    ) -> (GitHubError, Option<Duration>) {
        let now = self.clock.now();
        let retry = &self.options.retry;
        match failure {
            RequestFailure::Answer(answer) => {
                let message = github_message(&answer.body);
                let outcome = RequestAttempt::Answer {
                    status: answer.status,
                    headers: &answer.headers,
                    message: &message,
                };
                let wait = retry.next_wait(kind, attempt, &outcome, now, waited);
                let error = GitHubError::Status {
                    method: method.to_string(),
                    path: path.to_string(),
                    status: answer.status,
                    message,
                };
                (error, wait)
            }
            RequestFailure::NoAnswer(message) => {
                let wait = retry.next_wait(kind, attempt, &RequestAttempt::NoAnswer, now, waited);
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
        validator: Option<&str>,
    ) -> Result<Answer, String> {
        let request = self
            .build(method, path, body, authorization, validator)
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
        validator: Option<&str>,
    ) -> Result<http::Request<String>, http::Error> {
        let mut builder = http::Request::builder()
            .method(method.clone())
            .uri(format!("{}{}", self.options.api_url, path))
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", API_VERSION);
        if let Some(secret) = authorization {
            builder = builder.header("authorization", format!("Bearer {}", secret.expose()));
        }
        if let Some(etag) = validator {
            builder = builder.header("if-none-match", etag);
        }
        match body {
            Some(json) => builder
                .header("content-type", "application/json")
                .body(json.to_string()),
            None => builder.body(String::new()),
        }
    }

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

impl GitHub {
    pub(super) fn credentials(&self) -> &Credentials {
        &self.options.credentials
    }

    pub(super) fn me(&self) -> &Me {
        &self.me
    }

    /// Makes sure an App's installation token is minted (and with it the App's slug read).
    pub(super) async fn ensure_token(&self) -> Result<(), GitHubError> {
        self.authorization().await.map(drop)
    }

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

    /// The installation token of the scope's owner: cached, else minted with the App's JWT.
    async fn installation_token(&self, app_id: u64, pem: &Secret) -> Result<Secret, GitHubError> {
        let repo = self.scope.as_ref().ok_or_else(|| {
            GitHubError::AppAuth(
                "App auth needs a repository to find its installation (set GITHUB_REPOSITORY)"
                    .into(),
            )
        })?;
        let now = self.clock.now();
        if let Some(cached) = self.tokens.fresh(&repo.owner, now) {
            return Ok(cached);
        }
        let jwt = auth::app_jwt(app_id, pem, now)?;
        let installation: Installation = self
            .app_request(Method::GET, &format!("/repos/{repo}/installation"), &jwt)
            .await?;
        if let Some(slug) = &installation.app_slug {
            self.me.learn(&format!("{slug}[bot]"));
        }
        let token_path = format!("/app/installations/{}/access_tokens", installation.id);
        let minted: MintedToken = self.app_request(Method::POST, &token_path, &jwt).await?;
        let token = auth::InstallationToken::from(minted);
        self.tokens.store(&repo.owner, token.clone());
        Ok(token.token)
    }

    /// A request made as the App itself (its JWT), outside the budget; any failure is an
    /// authentication failure.
    async fn app_request<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        jwt: &Secret,
    ) -> Result<T, GitHubError> {
        let answer = self
            .attempt_loop(method.clone(), path, None, Some(jwt), None)
            .await
            .map_err(|e| GitHubError::AppAuth(e.to_string()))?;
        decode(&method, path, &answer.body)
    }
}

/// The answer a `304` stands for: the stored body and link, with the `304`'s own headers
/// (its rate-limit reading).
fn stored_answer(mut headers: HeaderMap, stored: cache::Stored) -> Answer {
    if let Some(link) = stored
        .link
        .and_then(|l| http::HeaderValue::from_str(&l).ok())
    {
        headers.insert(http::header::LINK, link);
    }
    Answer {
        status: 200,
        headers,
        body: stored.body,
    }
}

enum RequestFailure {
    Answer(Answer),
    NoAnswer(String),
}

pub(super) fn decode<T: DeserializeOwned>(
    method: &Method,
    path: &str,
    body: &[u8],
) -> Result<T, GitHubError> {
    serde_json::from_slice(body).map_err(|e| GitHubError::Decode {
        method: method.to_string(),
        path: path.to_string(),
        message: e.to_string(),
    })
}

/// Everything but unreserved characters is escaped inside one path segment or query value.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// One path segment or query value, escaped.
pub(crate) fn escape(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// A repository path or branch name inside a request path: each segment escaped, slashes kept.
pub(crate) fn escape_path(path: &str) -> String {
    path.split('/').map(escape).collect::<Vec<_>>().join("/")
}
