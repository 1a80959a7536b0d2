//! Watching agents: a claimed issue whose run failed, or that has no pull request long after
//! its agent started, is marked `agent-failed` and its agent freed. Pure, like `plan`.

use chrono::{DateTime, Utc};

use super::plan::Effect;
use super::snapshot::{IssueState, Snapshot};
use crate::agents::{Observation, RunState};
use crate::config::Config;

/// The latest run of `agent` on `issue`, when one was found.
fn latest<'a>(runs: &'a [Observation], issue: u64, agent: &str) -> Option<&'a Observation> {
    runs.iter()
        .filter(|r| r.issue == issue && r.agent == agent)
        .max_by_key(|r| r.started_at)
}

/// What watching decided for one claimed issue.
pub enum Verdict {
    Fine,
    /// Might be stale; whether a pull request exists decides it.
    NeedsPulls,
    Failed {
        reason: String,
        url: String,
    },
}

/// Judge one claimed issue. `runs` is `None` when the backend keeps no runs (or they were not
/// read); then the issue's own last activity stands in for the start of the run.
pub fn judge(
    issue: &IssueState,
    agent: &str,
    snapshot: &Snapshot,
    config: &Config,
    now: DateTime<Utc>,
) -> Verdict {
    let run = snapshot
        .runs
        .as_deref()
        .and_then(|runs| latest(runs, issue.number, agent));
    if let Some(Observation {
        state: RunState::Failed(reason),
        url,
        ..
    }) = run
    {
        return Verdict::Failed {
            reason: reason.clone(),
            url: url.clone(),
        };
    }
    let started = run.map(|r| r.started_at).unwrap_or(issue.updated_at);
    let stale_after = config.conductor.stale_after.0;
    let age = (now - started).to_std().unwrap_or_default();
    if age <= stale_after {
        return Verdict::Fine;
    }
    match &snapshot.linked_pulls {
        None => Verdict::NeedsPulls,
        Some(linked) if linked.contains(&issue.number) => Verdict::Fine,
        Some(_) => Verdict::Failed {
            reason: format!(
                "no pull request {} after the agent started",
                crate::config::Duration(stale_after)
            ),
            url: run
                .map(|r| r.url.clone())
                .unwrap_or_else(|| issue.url.clone()),
        },
    }
}

/// The effect that frees an agent whose run failed or stalled.
pub fn failed(
    issue: &IssueState,
    agent: &str,
    config: &Config,
    reason: String,
    url: String,
) -> Effect {
    let login = config
        .conductor
        .agents
        .iter()
        .find(|a| a.name == agent)
        .and_then(|a| a.login.clone());
    Effect::AgentFailed {
        issue: issue.number,
        title: issue.title.clone(),
        agent: agent.to_string(),
        login,
        reason,
        url,
    }
}
