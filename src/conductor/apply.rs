//! Performing a plan: each effect in a crash-safe order (claim, verify, dispatch, notify).
//! Apply decides nothing the plan did not name; a failed effect is reported and the next
//! tick, reading GitHub afresh, converges.

use serde::Serialize;

use super::failure::Failure;
use super::plan::{CYCLE_MARKER, Effect, Plan};
use super::settle;
use super::start::{Outcome, Start, withdraw_labels};
use super::task::{PullTask, PullWork};
use crate::agents::Backend;
use crate::config::Config;
use crate::github::{GitHub, Repo};
use crate::notify::{Delivery, Event, Notifier, ProductHook};

/// What a tick needs to act.
pub struct Tick<'a> {
    pub gh: &'a GitHub,
    pub repo: &'a Repo,
    pub config: &'a Config,
    pub notifier: &'a Notifier,
    pub product: Option<&'a dyn ProductHook>,
    /// Where agents start; `None` builds it from the config (every backend but Kubernetes,
    /// which needs a cluster connection made at the edge).
    pub backend: Option<&'a Backend>,
}

impl Tick<'_> {
    pub fn backend(&self) -> std::borrow::Cow<'_, Backend> {
        match self.backend {
            Some(backend) => std::borrow::Cow::Borrowed(backend),
            None => {
                std::borrow::Cow::Owned(Backend::from_dispatch(&self.config.conductor.dispatch))
            }
        }
    }
}

/// What applying a plan did.
#[derive(Debug, Default, Serialize)]
pub struct Applied {
    pub done: Vec<Effect>,
    pub failed: Vec<Failed>,
    /// Starts given up because a concurrent tick claimed first.
    pub withdrawn: Vec<Withdrawn>,
    pub notified: Vec<Delivery>,
    pub product: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Failed {
    pub effect: Effect,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct Withdrawn {
    pub issue: u64,
    pub agent: String,
    pub reason: String,
}

impl Applied {
    pub fn ok(&self) -> bool {
        self.failed.is_empty()
    }
}

pub async fn apply(tick: &Tick<'_>, plan: &Plan) -> Applied {
    let mut applied = Applied::default();
    let mut effects: Vec<&Effect> = plan.effects.iter().collect();
    effects.sort_by_key(|e| phase(e));
    for effect in effects {
        match perform(tick, effect, &mut applied).await {
            Ok(()) => applied.done.push(effect.clone()),
            Err(error) => applied.failed.push(Failed {
                effect: effect.clone(),
                error: format!("{error:#}"),
            }),
        }
    }
    applied
}

/// Labels first (they gate what agents see), then claims, then milestones.
fn phase(effect: &Effect) -> u8 {
    match effect {
        Effect::AddLabel { .. } | Effect::RemoveLabel { .. } | Effect::Assign { .. } => 0,
        Effect::ReportCycle { .. }
        | Effect::AgentFailed { .. }
        | Effect::WithdrawClaim { .. }
        | Effect::Fix { .. }
        | Effect::Review { .. } => 1,
        Effect::Start { .. } | Effect::FinishClaim { .. } => 2,
        Effect::CloseMilestone { .. } => 3,
    }
}

/// One effect, one function.
async fn perform(tick: &Tick<'_>, effect: &Effect, applied: &mut Applied) -> anyhow::Result<()> {
    let (gh, repo) = (tick.gh, tick.repo);
    match effect {
        Effect::AddLabel { issue, label, .. } => Ok(gh
            .add_labels(repo, *issue, std::slice::from_ref(label))
            .await?),
        Effect::RemoveLabel { issue, label, .. } => {
            Ok(gh.remove_label(repo, *issue, label).await?)
        }
        Effect::Assign { issue, login } => Ok(gh
            .add_assignees(repo, *issue, std::slice::from_ref(login))
            .await?),
        Effect::ReportCycle { issue, cycle } => report_cycle(tick, *issue, cycle, applied).await,
        Effect::Start {
            issue,
            title,
            url,
            agent,
            login,
            body,
        } => {
            let start = Start {
                issue: *issue,
                title,
                body,
                url,
                agent,
                login: login.as_deref(),
            };
            start_agent(tick, &start, applied).await
        }
        Effect::FinishClaim {
            issue,
            title,
            url,
            agent,
            claim,
            body,
            ..
        } => {
            let note = format!(
                ":information_source: This claim was never dispatched; a later Conductor tick \
                 claims #{issue} for **{agent}** again."
            );
            settle::edit(tick, *claim, &note).await;
            let login = tick.config.conductor.agent_login(agent);
            let start = Start {
                issue: *issue,
                title,
                body,
                url,
                agent,
                login: login.as_deref(),
            };
            start_agent(tick, &start, applied).await
        }
        Effect::WithdrawClaim {
            issue,
            agent,
            login,
            ..
        } => {
            let keep = std::collections::BTreeSet::new();
            withdraw_labels(tick, *issue, agent, login.as_deref(), &keep).await;
            Ok(())
        }
        Effect::Fix {
            pull_request,
            issue,
            title,
            url,
            agent,
            head_sha,
            failing,
            attempt,
        } => {
            let fix = crate::agents::Fix {
                pull_request: *pull_request,
                head_sha: head_sha.clone(),
                failing: failing.clone(),
            };
            let task = PullTask {
                pull_request: *pull_request,
                issue: *issue,
                title,
                url,
                agent,
                head_sha,
                work: PullWork::Fix {
                    fix: &fix,
                    attempt: *attempt,
                },
            };
            let event = Event::FixRequested {
                repo: repo.to_string(),
                pull_request: *pull_request,
                title: title.clone(),
                url: url.clone(),
                agent: agent.clone(),
                checks: failing.iter().map(|c| c.name.clone()).collect(),
            };
            send(tick, &task, issue.unwrap_or(*pull_request), event, applied).await
        }
        Effect::Review {
            pull_request,
            title,
            url,
            reviewer,
            author,
            head_sha,
        } => {
            let task = PullTask {
                pull_request: *pull_request,
                issue: None,
                title,
                url,
                agent: reviewer,
                head_sha,
                work: PullWork::Review,
            };
            let event = Event::ReviewRequested {
                repo: repo.to_string(),
                pull_request: *pull_request,
                title: title.clone(),
                url: url.clone(),
                reviewer: reviewer.clone(),
                author: author.clone(),
            };
            send(tick, &task, *pull_request, event, applied).await
        }
        Effect::AgentFailed {
            issue,
            title,
            agent,
            login,
            reason,
            url,
        } => {
            let failure = Failure {
                issue: *issue,
                title,
                agent,
                login: login.as_deref(),
                reason,
                url,
            };
            failure.mark(tick, applied).await
        }
        Effect::CloseMilestone {
            number,
            title,
            url,
            description,
        } => close_milestone(tick, *number, title, url, description, applied).await,
    }
}

async fn report_cycle(
    tick: &Tick<'_>,
    issue: u64,
    cycle: &[u64],
    applied: &mut Applied,
) -> anyhow::Result<()> {
    tick.gh
        .create_comment(tick.repo, issue, &cycle_comment(issue, cycle))
        .await?;
    let event = Event::CycleFound {
        repo: tick.repo.to_string(),
        issue,
        cycle: cycle.to_vec(),
    };
    applied.notified.extend(tick.notifier.tell(event).await);
    Ok(())
}

/// Claim, verify, dispatch; Slack hears only a start that happened.
async fn start_agent(
    tick: &Tick<'_>,
    start: &Start<'_>,
    applied: &mut Applied,
) -> anyhow::Result<()> {
    match start.run(tick).await? {
        Outcome::Lost(reason) => applied.withdrawn.push(Withdrawn {
            issue: start.issue,
            agent: start.agent.to_string(),
            reason,
        }),
        Outcome::Dispatched => {
            let event = Event::AgentStarted {
                repo: tick.repo.to_string(),
                issue: start.issue,
                title: start.title.to_string(),
                url: start.url.to_string(),
                agent: start.agent.to_string(),
            };
            applied.notified.extend(tick.notifier.tell(event).await);
        }
        Outcome::Failed(reason) => {
            let failure = Failure {
                issue: start.issue,
                title: start.title,
                agent: start.agent,
                login: start.login,
                reason: &reason,
                url: start.url,
            };
            failure.mark(tick, applied).await?;
        }
    }
    Ok(())
}

/// A fix or review request; Slack hears `event` only when the agent was sent.
async fn send(
    tick: &Tick<'_>,
    task: &PullTask<'_>,
    issue: u64,
    event: Event,
    applied: &mut Applied,
) -> anyhow::Result<()> {
    match task.run(tick).await? {
        Outcome::Dispatched => applied.notified.extend(tick.notifier.tell(event).await),
        Outcome::Lost(reason) => applied.withdrawn.push(Withdrawn {
            issue,
            agent: task.agent.to_string(),
            reason,
        }),
        Outcome::Failed(reason) => tracing::warn!(
            "#{}: sending {} failed: {reason}",
            task.pull_request,
            task.agent
        ),
    }
    Ok(())
}

async fn close_milestone(
    tick: &Tick<'_>,
    number: u64,
    title: &str,
    url: &str,
    description: &str,
    applied: &mut Applied,
) -> anyhow::Result<()> {
    tick.gh.close_milestone(tick.repo, number).await?;
    let event = Event::MilestoneComplete {
        repo: tick.repo.to_string(),
        title: title.to_string(),
        url: url.to_string(),
    };
    applied.notified.extend(tick.notifier.tell(event).await);
    if let Some(product) = tick.product {
        let told = product.milestone_complete(title, url, description).await;
        applied.product.push(match told {
            Ok(()) => format!("{}: milestone {title:?} complete", product.name()),
            Err(e) => format!(
                "{}: could not record milestone {title:?}: {e:#}",
                product.name()
            ),
        });
    }
    Ok(())
}

fn cycle_comment(issue: u64, cycle: &[u64]) -> String {
    let members: Vec<String> = cycle.iter().map(|n| format!("#{n}")).collect();
    format!(
        "{CYCLE_MARKER}\n:warning: **shiprig:** #{issue} is part of a dependency cycle ({}). \
         No agent will start it until one of these \"blocked by\" links is removed.",
        members.join(" → ")
    )
}
