//! Starting an agent on an issue (the claim protocol of [`super::claim`], then dispatch) and
//! marking a failed one. Both act on GitHub in a crash-safe order.

use std::collections::BTreeSet;

use anyhow::Context as _;

use super::apply::{Applied, Tick};
use super::claim::{self, Claim};
use crate::agents::{Assignment, DispatchError, Task};
use crate::config::Config;
use crate::notify::Event;

/// How a start ended.
pub enum Outcome {
    Dispatched,
    /// A concurrent tick claimed first; this one stood down.
    Lost(String),
    /// The agent itself failed at once (a command that exited non-zero).
    Failed(String),
}

/// One claim, run through the protocol of [`claim`].
pub struct Start<'a> {
    pub issue: u64,
    pub title: &'a str,
    pub body: &'a str,
    pub url: &'a str,
    pub agent: &'a str,
    pub login: Option<&'a str>,
}

impl Start<'_> {
    pub async fn run(&self, tick: &Tick<'_>) -> anyhow::Result<Outcome> {
        let (gh, repo, labels) = (tick.gh, tick.repo, &tick.config.labels);
        let claim_labels = vec![labels.in_progress.clone(), self.agent_label(tick.config)];
        gh.add_labels(repo, self.issue, &claim_labels)
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
        let body = format!(
            "{}\n:robot_face: **{}** is starting on this issue.",
            claim::marker(self.agent),
            self.agent
        );
        let comment = match gh.create_comment(repo, self.issue, &body).await {
            Ok(comment) => comment,
            Err(e) => {
                self.withdraw(tick, None).await;
                return Err(anyhow::Error::new(e).context("claiming (comment)"));
            }
        };
        let mine = Claim {
            comment_id: comment.id,
            agent: self.agent.to_string(),
            at: comment.created_at,
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
            return Ok(Outcome::Lost(reason));
        }
        let assignment = Assignment {
            repo: tick.repo,
            issue: self.issue,
            agent: self.agent,
            title: self.title,
            body: self.body,
            url: self.url,
            task: Task::Implement,
        };
        match tick.backend().dispatch(tick.gh, &assignment).await {
            Ok(_) => Ok(Outcome::Dispatched),
            Err(DispatchError::Transient(e)) => {
                self.withdraw(tick, None).await;
                let note = format!(
                    ":warning: Dispatching **{}** failed; the next Conductor tick tries again.",
                    self.agent
                );
                let _ = gh.update_comment(repo, mine.comment_id, &note).await;
                Err(e.context("dispatching"))
            }
            Err(DispatchError::AgentFailed(reason)) => Ok(Outcome::Failed(reason)),
        }
    }

    fn agent_label(&self, config: &Config) -> String {
        format!("{}{}", config.labels.agent_prefix, self.agent)
    }

    /// The earliest live rival claim: on this issue, or by this agent on another issue.
    async fn rival(&self, tick: &Tick<'_>, mine: &Claim) -> anyhow::Result<Option<Claim>> {
        let (gh, repo, config) = (tick.gh, tick.repo, tick.config);
        let issue = gh.issue(repo, self.issue).await?;
        let comments = gh.comments(repo, self.issue).await?;
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
            let comments = gh.comments(repo, other.number).await?;
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
        let (gh, repo, config) = (tick.gh, tick.repo, tick.config);
        if let Some((mine, rival)) = contest {
            let note = format!(
                ":information_source: {} stood down: another Conductor tick claimed first.",
                self.agent
            );
            let _ = gh.update_comment(repo, mine.comment_id, &note).await;
            let same_issue_same_agent =
                rival.agent == self.agent && self.rival_is_here(tick, rival).await;
            if same_issue_same_agent {
                return;
            }
        }
        let _ = gh
            .remove_label(repo, self.issue, &self.agent_label(config))
            .await;
        let others_hold = match gh.issue(repo, self.issue).await {
            Ok(issue) => issue
                .labels
                .iter()
                .any(|l| l.starts_with(&config.labels.agent_prefix)),
            Err(_) => true,
        };
        if !others_hold {
            let _ = gh
                .remove_label(repo, self.issue, &config.labels.in_progress)
                .await;
        }
        if let Some(login) = self.login {
            let rival_logins = rival_logins(config, contest.map(|(_, r)| r));
            if !rival_logins.contains(login) {
                let _ = gh
                    .remove_assignees(repo, self.issue, &[login.to_string()])
                    .await;
            }
        }
    }

    async fn rival_is_here(&self, tick: &Tick<'_>, rival: &Claim) -> bool {
        match tick.gh.comments(tick.repo, self.issue).await {
            Ok(comments) => comments.iter().any(|c| c.id == rival.comment_id),
            Err(_) => true,
        }
    }
}

fn rival_logins<'a>(config: &'a Config, rival: Option<&Claim>) -> BTreeSet<&'a str> {
    let Some(rival) = rival else {
        return BTreeSet::new();
    };
    config
        .conductor
        .agents
        .iter()
        .filter(|a| a.name == rival.agent)
        .filter_map(|a| a.login.as_deref())
        .collect()
}

/// The marker of the one comment that reports an agent's failure on an issue.
pub const FAILED_MARKER: &str = "<!-- shiprig:agent-failed -->";

/// An agent whose run failed or stalled.
pub struct Failure<'a> {
    pub issue: u64,
    pub title: &'a str,
    pub agent: &'a str,
    pub login: Option<&'a str>,
    pub reason: &'a str,
    pub url: &'a str,
}

impl Failure<'_> {
    /// Label first (so a crash can never repeat the comment), then free the agent, then one
    /// comment and one Slack message.
    pub async fn mark(&self, tick: &Tick<'_>, applied: &mut Applied) -> anyhow::Result<()> {
        let (gh, repo, labels) = (tick.gh, tick.repo, &tick.config.labels);
        let failed_label = std::slice::from_ref(&labels.agent_failed);
        gh.add_labels(repo, self.issue, failed_label)
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
        let body = format!(
            "{FAILED_MARKER}\n:x: **{}** did not finish this issue: {}.\nRun: {}\n\n\
             Remove the `{}` label to put it back in the queue.",
            self.agent, self.reason, self.url, labels.agent_failed
        );
        gh.create_comment(repo, self.issue, &body).await?;
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
}

/// What an agent is sent to do on a pull request.
pub enum PullWork<'a> {
    Fix {
        fix: &'a crate::agents::Fix,
        attempt: u32,
    },
    Review,
}

/// Sending an agent to a pull request (to fix its checks, or to review it). The marker comment
/// comes first, so a crash can never send an agent twice for one head; then the same
/// lowest-id check as a claim settles two ticks at once.
pub struct PullTask<'a> {
    pub pull_request: u64,
    pub issue: Option<u64>,
    pub title: &'a str,
    pub url: &'a str,
    pub agent: &'a str,
    pub head_sha: &'a str,
    pub work: PullWork<'a>,
}

impl PullTask<'_> {
    fn kind(&self) -> &'static str {
        match self.work {
            PullWork::Fix { .. } => "fix",
            PullWork::Review => "review",
        }
    }

    fn comment(&self, max_attempts: u32) -> String {
        let marker = claim::task_marker(self.kind(), self.agent, self.head_sha);
        match &self.work {
            PullWork::Fix { fix, attempt } => {
                let checks: Vec<String> = fix
                    .failing
                    .iter()
                    .map(|c| format!("- [{}]({})", c.name, c.url))
                    .collect();
                format!(
                    "{marker}\n:wrench: **{}** is sent back to fix the failing checks (attempt {attempt} of {max_attempts}):\n{}",
                    self.agent,
                    checks.join("\n")
                )
            }
            PullWork::Review => format!(
                "{marker}\n:mag: **{}** is asked to review this pull request.",
                self.agent
            ),
        }
    }

    pub async fn run(&self, tick: &Tick<'_>) -> anyhow::Result<Outcome> {
        let (gh, repo) = (tick.gh, tick.repo);
        let body = self.comment(tick.config.conductor.max_fix_attempts);
        let comment = gh
            .create_comment(repo, self.pull_request, &body)
            .await
            .context("recording the request")?;
        let comments = gh
            .comments(repo, self.pull_request)
            .await
            .context("verifying the request")?;
        let mine = Claim {
            comment_id: comment.id,
            agent: self.agent.to_string(),
            at: comment.created_at,
        };
        let rivals = claim::task_claims(&comments, self.kind(), self.head_sha);
        if let Some(rival) = claim::loses(&mine, &rivals, |_| true) {
            let note = ":information_source: Another Conductor tick sent an agent first.";
            let _ = gh.update_comment(repo, mine.comment_id, note).await;
            return Ok(Outcome::Lost(format!(
                "request {} came first",
                rival.comment_id
            )));
        }
        let task = match &self.work {
            PullWork::Fix { fix, .. } => Task::Fix(fix),
            PullWork::Review => Task::Review {
                pull_request: self.pull_request,
            },
        };
        let assignment = Assignment {
            repo,
            issue: self.issue.unwrap_or(self.pull_request),
            agent: self.agent,
            title: self.title,
            body: "",
            url: self.url,
            task,
        };
        match tick.backend().dispatch(gh, &assignment).await {
            Ok(_) => Ok(Outcome::Dispatched),
            Err(DispatchError::Transient(e)) => {
                let note = format!(
                    ":warning: Sending **{}** failed; the next tick tries again.",
                    self.agent
                );
                let _ = gh.update_comment(repo, mine.comment_id, &note).await;
                Err(e.context("dispatching"))
            }
            Err(DispatchError::AgentFailed(reason)) => Ok(Outcome::Failed(reason)),
        }
    }
}
