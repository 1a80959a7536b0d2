//! Starting an agent on an issue: the claim protocol of [`super::claim`], then the dispatch.
//! Each step's unclear answer is settled by reading back ([`super::settle`]) before the next.
//!
//! One claim, as requests: `POST …/issues/N/labels` (in-progress, agent:X), `POST
//! …/issues/N/assignees` (the agent's login), `POST …/issues/N/comments` (the claim marker with
//! this tick's token), `GET …/issues/N` and `GET …/issues/N/comments` (and the agent's other
//! claimed issues) to verify, the dispatch (`POST …/dispatches` with `return_run_details`),
//! then `PATCH …/issues/comments/ID` to record the run on the claim.

use anyhow::Context as _;

use super::claim::{self, Claim};
use super::effect::Effect;
use super::settle::{self, SettledDispatch};
use super::tick::Tick;
use crate::agents::{Assignment, Task};
use crate::config::Config;

/// How a start ended.
pub(crate) enum StartOutcome {
    Dispatched,
    /// A concurrent tick claimed first; this one stood down.
    Lost(String),
    /// The agent itself failed at once (a command that exited non-zero).
    Failed(String),
}

/// One claim, run through the protocol of [`claim`].
#[derive(Clone, Copy)]
pub(crate) struct Start<'a> {
    pub(crate) issue: u64,
    pub(crate) title: &'a str,
    pub(crate) body: &'a str,
    pub(crate) url: &'a str,
    pub(crate) agent: &'a str,
    pub(crate) login: Option<&'a str>,
    /// Earlier attempts of the fallback chain, handed to the agent as data.
    pub(crate) handoff: &'a str,
    /// The next agent of the fallback chain, should this one fail at once.
    pub(crate) fallback: Option<&'a str>,
}

/// The claim an `Effect::Start` names, or the one an `Effect::FinishClaim` finishes (its
/// login, which the effect does not carry, left for the caller).
impl<'a> TryFrom<&'a Effect> for Start<'a> {
    type Error = anyhow::Error;

    fn try_from(effect: &'a Effect) -> anyhow::Result<Self> {
        match effect {
            Effect::Start {
                issue,
                title,
                url,
                agent,
                login,
                body,
                handoff,
                fallback,
            } => Ok(Start {
                issue: *issue,
                title,
                body,
                url,
                agent,
                login: login.as_deref(),
                handoff,
                fallback: fallback.as_deref(),
            }),
            Effect::FinishClaim {
                issue,
                title,
                url,
                agent,
                body,
                handoff,
                fallback,
                ..
            } => Ok(Start {
                issue: *issue,
                title,
                body,
                url,
                agent,
                login: None,
                handoff,
                fallback: fallback.as_deref(),
            }),
            other => anyhow::bail!("not a start: {other:?}"),
        }
    }
}

impl Start<'_> {
    pub(crate) async fn run(&self, tick: &Tick<'_>) -> anyhow::Result<StartOutcome> {
        let (gh, repo, labels) = (tick.gh, tick.repo, &tick.config.labels);
        let claim_labels = vec![labels.in_progress.clone(), self.agent_label(tick.config)];
        settle::add_labels(tick, self.issue, &claim_labels)
            .await
            .context("claiming (labels)")?;
        if let Some(login) = self.login
            && let Err(e) = gh
                .add_assignees(repo, self.issue, &[login.to_string()])
                .await
        {
            tracing::warn!(
                "#{}: assigning {login} failed; the next tick repairs it: {e}",
                self.issue
            );
        }
        let token = claim::tick_token();
        let body = format!(
            "{}\n:robot_face: **{}** is starting on this issue.",
            claim::marker(self.agent, &token),
            self.agent
        );
        let mine = match settle::post_marked(tick, self.issue, self.agent, &body, &token).await {
            Ok(mine) => mine,
            Err(e) => {
                self.withdraw(tick, None).await;
                return Err(e.context("claiming (comment)"));
            }
        };
        if let Some(rival) = self
            .rival(tick, &mine)
            .await
            .context("verifying the claim")?
        {
            let reason = format!(
                "claim {} by {} on #{} came first",
                rival.comment_id, rival.agent, self.issue
            );
            self.withdraw(tick, Some((&mine, &rival))).await;
            return Ok(StartOutcome::Lost(reason));
        }
        self.dispatch(tick, &mine, &token).await
    }

    /// Dispatch a verified claim and record the run on it.
    async fn dispatch(
        &self,
        tick: &Tick<'_>,
        mine: &Claim,
        token: &str,
    ) -> anyhow::Result<StartOutcome> {
        let assignment = Assignment {
            repo: tick.repo,
            issue: self.issue,
            agent: self.agent,
            title: self.title,
            body: self.body,
            url: self.url,
            task: Task::Implement,
            handoff: self.handoff,
            claim: mine.comment_id,
            token_secret: tick.config.conductor.token_secret(self.agent),
            test_command: tick.config.conductor.test_command.as_deref(),
        };
        match settle::dispatch(tick, &assignment, mine.at).await {
            SettledDispatch::Started(started) => {
                let run = started
                    .url
                    .as_deref()
                    .map_or(String::new(), |url| format!("\nRun: {url}"));
                let body = format!(
                    "{}\n:robot_face: **{}** is working on this issue.{run}",
                    claim::started_marker(self.agent, token, started.run),
                    self.agent
                );
                settle::edit(tick, mine.comment_id, &body).await;
                if !self.handoff.is_empty() {
                    self.taken_over(tick).await;
                }
                Ok(StartOutcome::Dispatched)
            }
            SettledDispatch::NotStarted(e) => {
                self.withdraw(tick, None).await;
                let note = format!(
                    ":warning: Dispatching **{}** failed; the next Conductor tick tries again.",
                    self.agent
                );
                settle::edit(tick, mine.comment_id, &note).await;
                Err(e.context("dispatching"))
            }
            SettledDispatch::Unknown(e) => {
                Err(e
                    .context("dispatching: the claim stays; a later tick finishes or withdraws it"))
            }
            SettledDispatch::AgentFailed(reason) => Ok(StartOutcome::Failed(reason)),
        }
    }

    /// The next agent of the chain has it: the issue no longer waits (best effort; a label
    /// left behind is harmless on a claimed issue, and a later handoff adds it anyway).
    async fn taken_over(&self, tick: &Tick<'_>) {
        let label = &tick.config.labels.handed_off;
        if let Err(e) = tick.gh.remove_label(tick.repo, self.issue, label).await {
            tracing::warn!("#{}: removing `{label}`: {e}", self.issue);
        }
    }

    fn agent_label(&self, config: &Config) -> String {
        format!("{}{}", config.labels.agent_prefix, self.agent)
    }

    /// The earliest live rival claim: on this issue, or by this agent on another issue.
    async fn rival(&self, tick: &Tick<'_>, mine: &Claim) -> anyhow::Result<Option<Claim>> {
        let (gh, repo, config) = (tick.gh, tick.repo, tick.config);
        let issue = gh.issue(repo, self.issue).await?;
        let comments = gh.own_comments(repo, self.issue).await?;
        let holds =
            |c: &Claim| issue.has_label(&format!("{}{}", config.labels.agent_prefix, c.agent));
        let mut rivals: Vec<Claim> = claim::claims(&comments)
            .into_iter()
            .filter(|c| holds(c))
            .collect();
        let agent_label = self.agent_label(config);
        let others = gh
            .open_issues_with_labels(
                repo,
                &[config.labels.in_progress.as_str(), agent_label.as_str()],
            )
            .await;
        if let Some(error) = others.error {
            return Err(error.into());
        }
        for other in others.items.iter().filter(|i| i.number != self.issue) {
            let comments = gh.own_comments(repo, other.number).await?;
            rivals.extend(
                claim::claims(&comments)
                    .into_iter()
                    .filter(|c| c.agent == self.agent),
            );
        }
        Ok(claim::loses(mine, &rivals, |_| true))
    }

    /// Take back what this claim added and a rival does not also need. Best effort: a
    /// failure here leaves a claim the next tick's checks will see.
    async fn withdraw(&self, tick: &Tick<'_>, contest: Option<(&Claim, &Claim)>) {
        if let Some((mine, rival)) = contest {
            let note = format!(
                ":information_source: {} stood down: another Conductor tick claimed first.",
                self.agent
            );
            settle::edit(tick, mine.comment_id, &note).await;
            if rival.agent == self.agent && self.rival_is_here(tick, rival).await {
                return;
            }
        }
        let keep = contest.and_then(|(_, rival)| tick.config.conductor.agent_login(&rival.agent));
        withdraw_labels(tick, self.issue, self.agent, self.login, keep.as_deref()).await;
    }

    async fn rival_is_here(&self, tick: &Tick<'_>, rival: &Claim) -> bool {
        match tick.gh.comments(tick.repo, self.issue).await {
            Ok(comments) => comments.iter().any(|c| c.id == rival.comment_id),
            Err(_) => true,
        }
    }
}

/// Remove an agent's claim labels (and `in-progress` when no other agent holds the issue) and
/// its login as assignee unless it is `keep` (a rival's login). Best effort; the next tick sees what stays.
pub(crate) async fn withdraw_labels(
    tick: &Tick<'_>,
    issue: u64,
    agent: &str,
    login: Option<&str>,
    keep: Option<&str>,
) {
    let (gh, repo, config) = (tick.gh, tick.repo, tick.config);
    let agent_label = format!("{}{agent}", config.labels.agent_prefix);
    let _ = gh.remove_label(repo, issue, &agent_label).await;
    let others_hold = match gh.issue(repo, issue).await {
        Ok(now) => now
            .labels
            .iter()
            .any(|l| l.starts_with(&config.labels.agent_prefix)),
        Err(_) => true,
    };
    if !others_hold {
        let _ = gh
            .remove_label(repo, issue, &config.labels.in_progress)
            .await;
    }
    if let Some(login) = login.filter(|l| Some(*l) != keep) {
        let _ = gh.remove_assignees(repo, issue, &[login.to_string()]).await;
    }
}
