//! Handing an issue on to the next agent of the fallback chain. The `handed-off` label goes
//! first (it says whose comments the next tick reads), then the one handoff comment, then the
//! failed agent is freed. Every step is safe to repeat: the comment is posted only when this
//! round has none from this agent, a lost answer is read back by the comment's token, and of
//! two ticks handing on at once the later comment stands down.

use anyhow::Context as _;

use super::claim::{self, Claim};
use super::effect::Effect;
use super::fallback::{self, Attempt};
use super::settle;
use super::tick::Tick;

/// One handoff, as an `Effect::HandOff` names it.
pub(crate) struct HandOff<'a> {
    pub(crate) issue: u64,
    pub(crate) login: Option<&'a str>,
    pub(crate) next: &'a str,
    pub(crate) attempt: &'a Attempt,
}

impl<'a> TryFrom<&'a Effect> for HandOff<'a> {
    type Error = anyhow::Error;

    fn try_from(effect: &'a Effect) -> anyhow::Result<Self> {
        let Effect::HandOff {
            issue,
            login,
            next,
            attempt,
            ..
        } = effect
        else {
            anyhow::bail!("not a handoff: {effect:?}");
        };
        Ok(HandOff {
            issue: *issue,
            login: login.as_deref(),
            next,
            attempt,
        })
    }
}

impl HandOff<'_> {
    pub(crate) async fn run(&self, tick: &Tick<'_>) -> anyhow::Result<()> {
        let labels = &tick.config.labels;
        settle::add_labels(tick, self.issue, std::slice::from_ref(&labels.handed_off))
            .await
            .context("labelling handed-off")?;
        if !self.reported(tick).await? {
            self.comment(tick).await?;
        }
        self.free(tick).await
    }

    /// Post the handoff; a later one of two concurrent ticks takes its marker back.
    async fn comment(&self, tick: &Tick<'_>) -> anyhow::Result<()> {
        let token = claim::tick_token();
        let reviews = self.reviews(tick).await;
        let review = fallback::last_review(&reviews);
        let body = fallback::comment(self.attempt, self.next, &token, review);
        let mine = settle::post_marked(tick, self.issue, &self.attempt.agent, &body, &token)
            .await
            .context("posting the handoff")?;
        let comments = tick
            .gh
            .own_comments(tick.repo, self.issue)
            .await
            .context("verifying the handoff")?;
        if let Some(first) = self.earlier_in_round(&comments, &mine) {
            let note = format!(
                ":information_source: Another Conductor tick handed this issue on first \
                 (comment {first})."
            );
            settle::edit(tick, mine.comment_id, &note).await;
        }
        Ok(())
    }

    /// The reviews of the failed agent's pull request, for the handoff's last review (best
    /// effort: the handoff goes out without it when they cannot be read).
    async fn reviews(&self, tick: &Tick<'_>) -> Vec<crate::github::Review> {
        let Some((number, _)) = &self.attempt.pull_request else {
            return Vec::new();
        };
        match tick.gh.pull_reviews(tick.repo, *number).await {
            Ok(reviews) => reviews,
            Err(e) => {
                tracing::warn!("#{number}: reading the reviews for the handoff: {e}");
                Vec::new()
            }
        }
    }

    /// An earlier handoff from the same agent with no claim between it and `mine`.
    fn earlier_in_round(&self, comments: &[crate::github::Comment], mine: &Claim) -> Option<u64> {
        let before: Vec<_> = comments
            .iter()
            .filter(|c| c.id < mine.comment_id)
            .cloned()
            .collect();
        let chain = fallback::chain(&before);
        let last = chain.last()?;
        let claimed_since = claim::records(&before)
            .iter()
            .any(|r| r.comment_id > last.comment_id);
        (last.agent == self.attempt.agent && !claimed_since).then_some(last.comment_id)
    }

    /// Whether this round's handoff from this agent is there: the latest handoff of the chain
    /// is this agent's, and no claim came after it.
    async fn reported(&self, tick: &Tick<'_>) -> anyhow::Result<bool> {
        let comments = tick
            .gh
            .own_comments(tick.repo, self.issue)
            .await
            .context("reading the comments")?;
        let chain = fallback::chain(&comments);
        Ok(chain.last().is_some_and(|h| h.agent == self.attempt.agent)
            && claim::records(&comments).is_empty())
    }

    /// Take the failed agent's claim off the issue (its pull request's `in-review` too): the
    /// issue waits for the next agent.
    async fn free(&self, tick: &Tick<'_>) -> anyhow::Result<()> {
        let (gh, repo, labels) = (tick.gh, tick.repo, &tick.config.labels);
        let agent_label = format!("{}{}", labels.agent_prefix, self.attempt.agent);
        for label in [&labels.in_progress, &labels.in_review, &agent_label] {
            gh.remove_label(repo, self.issue, label).await?;
        }
        if let Some(login) = self.login {
            gh.remove_assignees(repo, self.issue, &[login.to_string()])
                .await?;
        }
        Ok(())
    }
}
