//! Watching claimed issues. A claim whose agent's run failed, or that has no pull request long
//! after its agent started, is marked `agent-failed` and its agent freed. A claim with no live
//! dispatch past the claim window is shiprig's own half-claim (a tick that crashed or lost an
//! answer): it is finished or withdrawn. Only runs of the current round count. Pure, like `plan`.

use chrono::{DateTime, Duration, Utc};

use super::claim::{CLAIM_WINDOW_MINUTES, ClaimRecord};
use super::effect::Effect;
use super::snapshot::{Snapshot, TrackedIssue};
use crate::agents::{Observation, RunState};
use crate::config::{Config, ConfiguredBackend};

/// What watching decided for one claimed issue.
#[derive(Debug)]
pub(crate) enum WatchDecision {
    Fine,
    /// Might be stale; whether a pull request exists decides it.
    NeedsPulls,
    /// The claim comments decide it (which round a run belongs to, whether a claim is half).
    NeedsClaim,
    /// Who added the claim labels decides it (a claim that left labels and no comment).
    NeedsLabels,
    Failed {
        reason: String,
        url: String,
    },
    /// shiprig's own claim, verified, with no dispatch: dispatch it now.
    Finish {
        claim: ClaimRecord,
    },
    /// shiprig's own labels with no claim comment: take them back so the issue requeues.
    Withdraw {
        reason: String,
    },
}

/// One claimed issue and what the snapshot knows about it.
pub(crate) struct Watch<'a> {
    pub(crate) issue: &'a TrackedIssue,
    pub(crate) agent: &'a str,
    pub(crate) snapshot: &'a Snapshot,
    pub(crate) config: &'a Config,
    pub(crate) now: DateTime<Utc>,
}

impl Watch<'_> {
    /// The agent's claim of the current round, when the comments were read.
    fn claim(&self) -> Option<Option<&ClaimRecord>> {
        let records = self.snapshot.claims.get(&self.issue.number)?;
        Some(records.iter().find(|c| c.agent == self.agent))
    }

    /// The run of this round: the one the claim recorded or that records the claim, else the
    /// latest GitHub started after the claim; with no claim read, the latest run at all.
    fn run(&self, claim: Option<&ClaimRecord>) -> Option<&Observation> {
        let runs = self.snapshot.runs.as_deref()?;
        runs.iter()
            .filter(|r| r.issue == self.issue.number && r.agent == self.agent)
            .filter(|r| claim.is_none_or(|c| of_claim(r, c)))
            .max_by_key(|r| r.started_at)
    }

    fn past_window(&self, since: DateTime<Utc>) -> bool {
        self.now - since > Duration::minutes(CLAIM_WINDOW_MINUTES)
    }

    pub(crate) fn judge(&self) -> WatchDecision {
        let claim = self.claim();
        let keeps_runs = matches!(
            self.config.conductor.dispatch.backend(),
            Some(ConfiguredBackend::GithubActions(_) | ConfiguredBackend::Kubernetes(_))
        );
        let run = self.run(claim.flatten());
        match (keeps_runs, run) {
            (true, Some(run)) => self.with_run(run, claim),
            (true, None) => self.without_run(claim),
            (false, _) => self.without_runs(claim),
        }
    }

    /// A run was found: it decides, once the claim confirms the run is of this round.
    fn with_run(&self, run: &Observation, claim: Option<Option<&ClaimRecord>>) -> WatchDecision {
        let verdict = self.stale_or_failed(run.started_at, Some(run));
        if matches!(
            verdict,
            WatchDecision::Failed { .. } | WatchDecision::NeedsPulls
        ) && claim.is_none()
        {
            return WatchDecision::NeedsClaim;
        }
        verdict
    }

    /// No run of this round: a live dispatch recorded on the claim, a claim being made right
    /// now, or a half-claim.
    fn without_run(&self, claim: Option<Option<&ClaimRecord>>) -> WatchDecision {
        match claim {
            None => WatchDecision::NeedsClaim,
            Some(Some(claim)) if claim.started => self.stale_or_failed(claim.at, None),
            Some(Some(claim)) if self.past_window(claim.at) => WatchDecision::Finish {
                claim: claim.clone(),
            },
            Some(Some(_)) => WatchDecision::Fine,
            Some(None) => self.labels_only(),
        }
    }

    /// Backends that keep no runs: the claim records the start; the issue's last activity
    /// stands in for it.
    fn without_runs(&self, claim: Option<Option<&ClaimRecord>>) -> WatchDecision {
        let is_command = matches!(
            self.config.conductor.dispatch.backend(),
            Some(ConfiguredBackend::Command(_))
        );
        if !is_command || !self.past_window(self.issue.updated_at) {
            return self.stale_or_failed(self.issue.updated_at, None);
        }
        match claim {
            None => WatchDecision::NeedsClaim,
            Some(Some(claim)) if claim.started => self.stale_or_failed(self.issue.updated_at, None),
            Some(Some(claim)) => WatchDecision::Finish {
                claim: claim.clone(),
            },
            Some(None) => self.labels_only(),
        }
    }

    /// Claim labels with no claim comment: shiprig's own (its identity added them) are taken
    /// back after the window; a person's stay, and humans win.
    fn labels_only(&self) -> WatchDecision {
        let (Some(labelled), Some(viewer)) = (
            self.snapshot.claim_labels.get(&self.issue.number),
            self.snapshot.viewer.as_ref(),
        ) else {
            return WatchDecision::NeedsLabels;
        };
        match (labelled, viewer) {
            (Some((actor, at)), Some(me)) if actor.eq_ignore_ascii_case(me) => {
                if self.past_window(*at) {
                    WatchDecision::Withdraw {
                        reason: "claim labels without a claim or a run (a tick stopped halfway)"
                            .into(),
                    }
                } else {
                    WatchDecision::Fine
                }
            }
            _ => self.stale_or_failed(self.issue.updated_at, None),
        }
    }

    /// A failed run, or no pull request `stale_after` after `started`.
    fn stale_or_failed(&self, started: DateTime<Utc>, run: Option<&Observation>) -> WatchDecision {
        if let Some(Observation {
            state: RunState::Failed(reason),
            url,
            ..
        }) = run
        {
            return WatchDecision::Failed {
                reason: reason.clone(),
                url: url.clone(),
            };
        }
        let stale_after = self.config.conductor.stale_after.0;
        let age = (self.now - started).to_std().unwrap_or_default();
        if age <= stale_after {
            return WatchDecision::Fine;
        }
        match &self.snapshot.linked_pulls {
            None => WatchDecision::NeedsPulls,
            Some(linked) if linked.contains(&self.issue.number) => WatchDecision::Fine,
            Some(_) => WatchDecision::Failed {
                reason: format!(
                    "no pull request {} after the agent started",
                    crate::config::Duration(stale_after)
                ),
                url: run
                    .map(|r| r.url.clone())
                    .unwrap_or_else(|| self.issue.url.clone()),
            },
        }
    }
}

/// Whether a run was started for this claim. Runs and claims name each other where the backend
/// allows (a run id recorded on the claim, a claim label on a Job); otherwise a run GitHub
/// created after the claim comment (both times from GitHub's clock) belongs to it.
fn of_claim(run: &Observation, claim: &ClaimRecord) -> bool {
    match (run.claim, claim.run) {
        (Some(id), _) => id == claim.comment_id,
        (None, Some(id)) => run.id == Some(id),
        (None, None) => run.started_at >= claim.at,
    }
}

/// The effect that frees an agent whose run failed or stalled.
pub(crate) fn failed(
    issue: &TrackedIssue,
    agent: &str,
    config: &Config,
    reason: String,
    url: String,
) -> Effect {
    Effect::AgentFailed {
        issue: issue.number,
        title: issue.title.clone(),
        agent: agent.to_string(),
        login: config.conductor.agent_login(agent),
        reason,
        url,
    }
}
