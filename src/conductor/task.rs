//! Sending an agent to a pull request, to fix its checks, to answer a review that requests
//! changes, or to review it. The marker comment comes first, so a crash can never send an agent
//! twice for one head (one review); then the same lowest-id check as a claim settles two ticks
//! at once; unclear answers are read back as for a claim.

use anyhow::Context as _;

use super::claim::{self, Claim};
use super::effect::Effect;
use super::settle::{self, SettledDispatch};
use super::start::StartOutcome;
use super::tick::Tick;
use crate::agents::{Assignment, FailingCheck, Fix, Respond, Task};
use crate::markdown::inline;

/// What an agent is sent to do on a pull request.
pub(crate) enum PullWork<'a> {
    Fix {
        failing: &'a [FailingCheck],
        attempt: u32,
    },
    /// Answer review `review`, which requests changes (round `round` of the pull request).
    Respond {
        review: u64,
        review_url: &'a str,
        reviewer: &'a str,
        text: &'a str,
        round: u32,
    },
    /// Review the pull request `author` wrote.
    Review { author: &'a str },
}

pub(crate) struct PullTask<'a> {
    pub(crate) pull_request: u64,
    pub(crate) issue: Option<u64>,
    pub(crate) title: &'a str,
    pub(crate) url: &'a str,
    pub(crate) agent: &'a str,
    pub(crate) head_sha: &'a str,
    pub(crate) work: PullWork<'a>,
}

/// The request an `Effect::Fix` or an `Effect::Review` names.
impl<'a> TryFrom<&'a Effect> for PullTask<'a> {
    type Error = anyhow::Error;

    fn try_from(effect: &'a Effect) -> anyhow::Result<Self> {
        match effect {
            Effect::Fix {
                pull_request,
                issue,
                title,
                url,
                agent,
                head_sha,
                failing,
                attempt,
            } => Ok(PullTask {
                pull_request: *pull_request,
                issue: *issue,
                title,
                url,
                agent,
                head_sha,
                work: PullWork::Fix {
                    failing,
                    attempt: *attempt,
                },
            }),
            Effect::Respond {
                pull_request,
                issue,
                title,
                url,
                agent,
                head_sha,
                review,
                review_url,
                reviewer,
                text,
                round,
            } => Ok(PullTask {
                pull_request: *pull_request,
                issue: *issue,
                title,
                url,
                agent,
                head_sha,
                work: PullWork::Respond {
                    review: *review,
                    review_url,
                    reviewer,
                    text,
                    round: *round,
                },
            }),
            Effect::Review {
                pull_request,
                title,
                url,
                reviewer,
                author,
                head_sha,
            } => Ok(PullTask {
                pull_request: *pull_request,
                issue: None,
                title,
                url,
                agent: reviewer,
                head_sha,
                work: PullWork::Review { author },
            }),
            other => anyhow::bail!("not a pull request task: {other:?}"),
        }
    }
}

impl PullTask<'_> {
    fn kind(&self) -> &'static str {
        match self.work {
            PullWork::Fix { .. } => "fix",
            PullWork::Respond { .. } => "respond",
            PullWork::Review { .. } => "review",
        }
    }

    /// The marker field that names what this request is for: the head, or the review answered.
    fn key(&self) -> (&'static str, String) {
        match &self.work {
            PullWork::Respond { review, .. } => ("review", review.to_string()),
            PullWork::Fix { .. } | PullWork::Review { .. } => ("sha", self.head_sha.to_string()),
        }
    }

    fn comment(&self, config: &crate::config::ConductorConfig, token: &str) -> String {
        let marker = match &self.work {
            PullWork::Respond { review, .. } => {
                claim::respond_marker(self.agent, self.head_sha, *review, token)
            }
            _ => claim::task_marker(self.kind(), self.agent, self.head_sha, token),
        };
        let max_attempts = config.max_fix_attempts;
        match &self.work {
            PullWork::Respond {
                review_url,
                reviewer,
                round,
                ..
            } => format!(
                "{marker}\n:memo: **{}** is sent back to answer the changes **{}** requested ([review]({review_url})), round {round} of {}.",
                self.agent,
                inline(reviewer, 100),
                config.max_review_rounds
            ),
            PullWork::Fix { failing, attempt } => {
                let checks: Vec<String> = failing
                    .iter()
                    .map(|c| format!("- [{}]({})", inline(&c.name, 100), c.url))
                    .collect();
                format!(
                    "{marker}\n:wrench: **{}** is sent back to fix the failing checks (attempt {attempt} of {max_attempts}):\n{}",
                    self.agent,
                    checks.join("\n")
                )
            }
            PullWork::Review { .. } => format!(
                "{marker}\n:mag: **{}** is asked to review this pull request.",
                self.agent
            ),
        }
    }

    pub(crate) async fn run(&self, tick: &Tick<'_>) -> anyhow::Result<StartOutcome> {
        let (gh, repo) = (tick.gh, tick.repo);
        let token = claim::tick_token();
        let body = self.comment(&tick.config.conductor, &token);
        let mine = settle::post_marked(tick, self.pull_request, self.agent, &body, &token)
            .await
            .context("recording the request")?;
        let comments = gh
            .own_comments(repo, self.pull_request)
            .await
            .context("verifying the request")?;
        let (field, value) = self.key();
        let rivals = claim::task_claims_by(&comments, self.kind(), field, &value);
        if let Some(rival) = claim::loses(&mine, &rivals, |_| true) {
            let note = ":information_source: Another Conductor tick sent an agent first.";
            settle::edit(tick, mine.comment_id, note).await;
            return Ok(StartOutcome::Lost(format!(
                "request {} came first",
                rival.comment_id
            )));
        }
        self.dispatch(tick, &mine).await
    }

    async fn dispatch(&self, tick: &Tick<'_>, mine: &Claim) -> anyhow::Result<StartOutcome> {
        let fix;
        let respond;
        let task = match &self.work {
            PullWork::Respond {
                review_url,
                reviewer,
                text,
                ..
            } => {
                respond = Respond {
                    pull_request: self.pull_request,
                    review_url: review_url.to_string(),
                    reviewer: reviewer.to_string(),
                    text: text.to_string(),
                };
                Task::Respond(&respond)
            }
            PullWork::Fix { failing, .. } => {
                fix = Fix {
                    pull_request: self.pull_request,
                    head_sha: self.head_sha.to_string(),
                    failing: failing.to_vec(),
                };
                Task::Fix(&fix)
            }
            PullWork::Review { .. } => Task::Review {
                pull_request: self.pull_request,
            },
        };
        let assignment = Assignment {
            repo: tick.repo,
            issue: self.issue.unwrap_or(self.pull_request),
            agent: self.agent,
            title: self.title,
            body: "",
            url: self.url,
            task,
            handoff: "",
            claim: mine.comment_id,
            token_secret: tick.config.conductor.token_secret(self.agent),
            test_command: tick.config.conductor.test_command.as_deref(),
        };
        match settle::dispatch(tick, &assignment, mine.at).await {
            SettledDispatch::Started(_) => Ok(StartOutcome::Dispatched),
            SettledDispatch::NotStarted(e) => {
                let note = format!(
                    ":warning: Sending **{}** failed; the next tick tries again.",
                    self.agent
                );
                settle::edit(tick, mine.comment_id, &note).await;
                Err(e.context("dispatching"))
            }
            SettledDispatch::Unknown(e) => Err(e.context("dispatching")),
            SettledDispatch::AgentFailed(reason) => Ok(StartOutcome::Failed(reason)),
        }
    }
}
