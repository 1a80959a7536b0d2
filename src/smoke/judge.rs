//! The pure part of smoke testing: what an attempt saw, whether a check passed, the report,
//! and the health a monitor remembers between runs.

use serde::Serialize;

use crate::config::{SmokeCheck, VersionCheck};
use crate::github::CommitState;

/// What one HTTP attempt saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Observed {
    pub(crate) status: u16,
    /// Header names lowercase.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
    pub(crate) latency_ms: u64,
}

/// The result of one check after its retries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CheckResult {
    pub(crate) name: String,
    pub(crate) url: String,
    pub(crate) passed: bool,
    pub(crate) attempts: u32,
    /// The last attempt's status, when there was an answer.
    pub(crate) status: Option<u16>,
    pub(crate) latency_ms: Option<u64>,
    /// Why the last attempt failed (empty when it passed).
    pub(crate) message: String,
}

/// Every check of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct SmokeReport {
    pub(crate) environment: String,
    pub(crate) sha: Option<String>,
    pub(crate) passed: bool,
    pub(crate) checks: Vec<CheckResult>,
}

impl SmokeReport {
    pub(crate) fn new(environment: &str, sha: Option<&str>, checks: Vec<CheckResult>) -> Self {
        SmokeReport {
            environment: environment.to_string(),
            sha: sha.map(str::to_string),
            passed: checks.iter().all(|c| c.passed),
            checks,
        }
    }

    /// `name: message` for each failed check.
    pub(crate) fn failures(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| format!("{}: {}", c.name, c.message))
            .collect()
    }
}

/// The commit status a (non-monitor) smoke run leaves on the SHA it tested; `release-pr`
/// requires `success` here for staging.
pub(crate) fn smoke_context(environment: &str) -> String {
    format!("shiprig/smoke/{environment}")
}

/// The commit status where monitor mode keeps an environment's last known state.
pub(crate) fn uptime_context(environment: &str) -> String {
    format!("shiprig/uptime/{environment}")
}

/// Judges one answer against a check; `Err` says what was wrong, in words a person can act on.
pub(crate) fn judge(check: &SmokeCheck, seen: &Observed, sha: Option<&str>) -> Result<(), String> {
    let expected = check.expected_status();
    if seen.status != expected {
        return Err(format!("status {} (expected {expected})", seen.status));
    }
    if let Some(text) = &check.expect_body
        && !seen.body.contains(text.as_str())
    {
        return Err(format!("body does not contain {text:?}"));
    }
    if let Some(pattern) = &check.expect_body_regex
        && !pattern.is_match(&seen.body)
    {
        return Err(format!("body does not match /{}/", pattern.as_str()));
    }
    judge_json(check, &seen.body)?;
    if let Some(version) = &check.expect_version {
        judge_version(version, seen, sha)?;
    }
    if let Some(budget) = check.max_latency_ms
        && seen.latency_ms > budget
    {
        return Err(format!(
            "took {} ms, over the {budget} ms budget",
            seen.latency_ms
        ));
    }
    Ok(())
}

fn judge_json(check: &SmokeCheck, body: &str) -> Result<(), String> {
    if check.expect_json.is_empty() {
        return Ok(());
    }
    let json: serde_json::Value =
        serde_json::from_str(body).map_err(|_| "body is not JSON".to_string())?;
    for (pointer, want) in &check.expect_json {
        match json.pointer(pointer) {
            Some(got) if got == want => {}
            Some(got) => return Err(format!("{pointer} is {got}, expected {want}")),
            None => return Err(format!("{pointer} is missing, expected {want}")),
        }
    }
    Ok(())
}

/// The deployed version must name the SHA under test: it contains the full SHA, or is an
/// abbreviation of it (at least 7 hex digits).
fn judge_version(version: &VersionCheck, seen: &Observed, sha: Option<&str>) -> Result<(), String> {
    let Some(sha) = sha else {
        return Err("no SHA under test (pass --sha or set GITHUB_SHA)".into());
    };
    let (place, found) = match (&version.pointer, &version.header) {
        (Some(pointer), _) => (
            pointer.clone(),
            serde_json::from_str::<serde_json::Value>(&seen.body)
                .ok()
                .and_then(|v| v.pointer(pointer).cloned())
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)),
        ),
        (None, Some(header)) => (
            format!("header {header}"),
            seen.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(header))
                .map(|(_, v)| v.clone()),
        ),
        (None, None) => return Ok(()),
    };
    let Some(found) = found else {
        return Err(format!("version: {place} is missing (expected {sha})"));
    };
    let abbreviates = found.len() >= 7 && sha.starts_with(found.trim());
    if found.contains(sha) || abbreviates {
        Ok(())
    } else {
        let shown: String = found.chars().take(80).collect();
        Err(format!("version: {place} is {shown:?}, expected {sha}"))
    }
}

/// An environment's state as monitor mode tracks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Health {
    Up,
    Down,
}

/// What monitor mode does after a run: `Some` when the state changed (tell Slack, record it).
/// No earlier record counts as up, so a healthy first run stays quiet.
pub(crate) fn transition(previous: Option<Health>, now: Health) -> Option<Health> {
    (previous.unwrap_or(Health::Up) != now).then_some(now)
}

impl Health {
    pub(crate) fn of(report: &SmokeReport) -> Health {
        if report.passed {
            Health::Up
        } else {
            Health::Down
        }
    }

    /// Read back from the commit status monitor mode wrote.
    pub(crate) fn from_status(state: &CommitState) -> Option<Health> {
        match state {
            CommitState::Success => Some(Health::Up),
            CommitState::Failure | CommitState::Error => Some(Health::Down),
            CommitState::Pending | CommitState::Other(_) => None,
        }
    }

    pub(crate) fn status_state(self) -> CommitState {
        match self {
            Health::Up => CommitState::Success,
            Health::Down => CommitState::Failure,
        }
    }
}
