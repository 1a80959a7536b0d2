//! The HTTP side of smoke tests: one reqwest client, every check at once, each retried with
//! backoff until it passes or the deadline passes.

use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::judge::{CheckResult, Observed, SmokeReport, judge};
use crate::config::SmokeCheck;

/// How a run behaves.
#[derive(Debug, Clone)]
pub(crate) struct RunOptions {
    /// Checks are retried until this much time has passed since the run began.
    pub(crate) deadline: Duration,
    /// The SHA under test (for `expect_version`).
    pub(crate) sha: Option<String>,
    /// The first wait between attempts; it doubles up to `max_backoff`.
    pub(crate) backoff: Duration,
    pub(crate) max_backoff: Duration,
}

impl RunOptions {
    pub(crate) fn new(deadline: Duration, sha: Option<String>) -> Self {
        RunOptions {
            deadline,
            sha,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// Runs every check concurrently; results come back in the config's order.
pub(crate) async fn run(
    environment: &str,
    checks: &[SmokeCheck],
    options: &RunOptions,
) -> anyhow::Result<SmokeReport> {
    let client = crate::tls::client_builder()
        .user_agent(concat!("shiprig-smoke/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .context("building the smoke-test HTTP client")?;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (index, check) in checks.iter().cloned().enumerate() {
        let client = client.clone();
        let options = options.clone();
        tasks.spawn(async move { (index, run_one(&client, &check, &options, started).await) });
    }
    let mut results: Vec<Option<CheckResult>> = vec![None; checks.len()];
    while let Some(joined) = tasks.join_next().await {
        let (index, result) = joined.context("a smoke check task failed")?;
        results[index] = Some(result);
    }
    let results = results.into_iter().flatten().collect();
    Ok(SmokeReport::new(
        environment,
        options.sha.as_deref(),
        results,
    ))
}

async fn run_one(
    client: &reqwest::Client,
    check: &SmokeCheck,
    options: &RunOptions,
    started: Instant,
) -> CheckResult {
    let mut wait = options.backoff;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let remaining = options.deadline.saturating_sub(started.elapsed());
        // One attempt may outlive the deadline a little, so a slow answer is measured, not cut.
        let attempt = attempt(client, check, remaining.max(Duration::from_secs(5))).await;
        let verdict = match &attempt {
            Ok(seen) => judge(check, seen, options.sha.as_deref()),
            Err(message) => Err(message.clone()),
        };
        let seen = attempt.as_ref().ok();
        let result = CheckResult {
            name: check.name.clone(),
            url: check.url.clone(),
            passed: verdict.is_ok(),
            attempts,
            status: seen.map(|s| s.status),
            latency_ms: seen.map(|s| s.latency_ms),
            message: verdict.err().unwrap_or_default(),
        };
        let remaining = options.deadline.saturating_sub(started.elapsed());
        if result.passed || remaining.is_zero() {
            return result;
        }
        tracing::info!("smoke {}: {}; retrying", check.name, result.message);
        tokio::time::sleep(wait.min(remaining)).await;
        wait = (wait * 2).min(options.max_backoff);
    }
}

/// One request; `Err` is a transport failure in words (connection refused, timeout).
async fn attempt(
    client: &reqwest::Client,
    check: &SmokeCheck,
    timeout: Duration,
) -> Result<Observed, String> {
    let method = reqwest::Method::from_bytes(check.method.as_bytes())
        .map_err(|_| format!("bad method {}", check.method))?;
    let mut request = client
        .request(method, &check.url)
        .timeout(timeout.min(Duration::from_secs(30)));
    for (name, value) in &check.headers {
        request = request.header(name, value);
    }
    let began = Instant::now();
    let response = request.send().await.map_err(describe)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = read_body(response).await?;
    Ok(Observed {
        status,
        headers,
        body,
        latency_ms: began.elapsed().as_millis() as u64,
    })
}

/// Bodies are judged on their first MiB; a huge answer cannot exhaust memory.
const MAX_BODY: usize = 1 << 20;

async fn read_body(mut response: reqwest::Response) -> Result<String, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(describe)? {
        let room = MAX_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_BODY {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// A transport error as a short reason; the URL is already in the report.
fn describe(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&error);
    let mut detail = String::new();
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {detail}")
    }
}
