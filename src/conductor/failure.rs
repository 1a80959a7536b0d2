//! Marking an agent failed: the issue gets `agent-failed`, the agent is freed, one comment
//! closes the round (its claims never count again) and Slack hears it once.

use anyhow::Context as _;

use super::claim::{self, FAILED_MARKER};
use super::effect::{Applied, Effect};
use super::settle;
use super::tick::Tick;
use crate::notify::Event;

/// An agent whose run failed or stalled.
pub(crate) struct Failure<'a> {
    pub(crate) issue: u64,
    pub(crate) title: &'a str,
    pub(crate) agent: &'a str,
    pub(crate) login: Option<&'a str>,
    pub(crate) reason: &'a str,
    pub(crate) url: &'a str,
}

impl<'a> TryFrom<&'a Effect> for Failure<'a> {
    type Error = anyhow::Error;

    fn try_from(effect: &'a Effect) -> anyhow::Result<Self> {
        let Effect::AgentFailed {
            issue,
            title,
            agent,
            login,
            reason,
            url,
        } = effect
        else {
            anyhow::bail!("not an agent failure: {effect:?}");
        };
        Ok(Failure {
            issue: *issue,
            title,
            agent,
            login: login.as_deref(),
            reason,
            url,
        })
    }
}

impl Failure<'_> {
    /// Label first (so a crash can never repeat the comment), then free the agent, then one
    /// comment and one Slack message. Every step is safe to repeat: labels are read back after
    /// an unclear answer, and the comment is posted only when this round has none.
    pub(crate) async fn mark(&self, tick: &Tick<'_>, applied: &mut Applied) -> anyhow::Result<()> {
        let (gh, repo, labels) = (tick.gh, tick.repo, &tick.config.labels);
        settle::add_labels(tick, self.issue, std::slice::from_ref(&labels.agent_failed))
            .await
            .context("labelling agent-failed")?;
        gh.remove_label(repo, self.issue, &labels.in_progress)
            .await?;
        let agent_label = format!("{}{}", labels.agent_prefix, self.agent);
        gh.remove_label(repo, self.issue, &agent_label).await?;
        if let Some(login) = self.login {
            gh.remove_assignees(repo, self.issue, &[login.to_string()])
                .await?;
        }
        if self.reported(tick).await? {
            return Ok(());
        }
        let body = format!(
            "{FAILED_MARKER}\n:x: **{}** did not finish this issue: {}.\nRun: {}\n\n\
             Remove the `{}` label to put it back in the queue.",
            self.agent, self.reason, self.url, labels.agent_failed
        );
        if let Err(e) = gh.create_comment(repo, self.issue, &body).await
            && !(e.is_unclear() && self.reported(tick).await?)
        {
            return Err(e.into());
        }
        let event = Event::AgentFailed {
            repo: repo.to_string(),
            issue: self.issue,
            title: self.title.to_string(),
            agent: self.agent.to_string(),
            reason: self.reason.to_string(),
            url: self.url.to_string(),
        };
        applied.notified.extend(tick.notifier.tell(event).await);
        Ok(())
    }

    /// Whether this round's failure comment is already there: an `agent-failed` report with no
    /// claim after it (the round boundary [`claim::records`] draws).
    async fn reported(&self, tick: &Tick<'_>) -> anyhow::Result<bool> {
        let comments = tick
            .gh
            .own_comments(tick.repo, self.issue)
            .await
            .context("reading the comments")?;
        let failed = comments
            .iter()
            .any(|c| c.body.as_deref().is_some_and(|b| b.contains(FAILED_MARKER)));
        Ok(failed && claim::records(&comments).is_empty())
    }
}
