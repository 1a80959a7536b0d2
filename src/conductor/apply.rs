//! Performing a plan: each effect in a crash-safe order (claim, verify, dispatch, notify).
//! Apply decides nothing the plan did not name; a failed effect is reported and the next
//! tick, reading GitHub afresh, converges.

use super::effect::{Applied, Effect, Failed, TickPlan, Withdrawn};
use super::failure::Failure;
use super::fallback::Attempt;
use super::handoff::HandOff;
use super::plan::CYCLE_MARKER;
use super::settle;
use super::start::{Start, StartOutcome, withdraw_labels};
use super::task::{PullTask, PullWork};
use super::tick::Tick;
use crate::notify::Event;

pub(crate) async fn apply(tick: &Tick<'_>, plan: &TickPlan) -> Applied {
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
        | Effect::HandOff { .. }
        | Effect::WithdrawClaim { .. }
        | Effect::Fix { .. }
        | Effect::Respond { .. }
        | Effect::Review { .. } => 1,
        Effect::Start { .. } | Effect::FinishClaim { .. } => 2,
        Effect::CloseMilestone { .. } => 3,
    }
}

/// One effect, one function.
async fn perform(tick: &Tick<'_>, effect: &Effect, applied: &mut Applied) -> anyhow::Result<()> {
    match effect {
        Effect::AddLabel { issue, label, .. } => add_label(tick, *issue, label).await,
        Effect::RemoveLabel { issue, label, .. } => remove_label(tick, *issue, label).await,
        Effect::Assign { issue, login } => assign(tick, *issue, login).await,
        Effect::ReportCycle { issue, cycle } => report_cycle(tick, *issue, cycle, applied).await,
        Effect::Start { .. } => start_agent(tick, &Start::try_from(effect)?, applied).await,
        Effect::FinishClaim { claim, .. } => {
            finish_claim(tick, *claim, &Start::try_from(effect)?, applied).await
        }
        Effect::WithdrawClaim {
            issue,
            agent,
            login,
            ..
        } => withdraw_claim(tick, *issue, agent, login.as_deref()).await,
        Effect::Fix { .. } | Effect::Respond { .. } | Effect::Review { .. } => {
            send(tick, &PullTask::try_from(effect)?, applied).await
        }
        Effect::AgentFailed { .. } => Failure::try_from(effect)?.mark(tick, applied).await,
        Effect::HandOff { .. } => HandOff::try_from(effect)?.run(tick).await,
        Effect::CloseMilestone {
            number,
            title,
            url,
            description,
        } => close_milestone(tick, *number, title, url, description, applied).await,
    }
}

async fn add_label(tick: &Tick<'_>, issue: u64, label: &str) -> anyhow::Result<()> {
    let labels = [label.to_string()];
    Ok(tick.gh.add_labels(tick.repo, issue, &labels).await?)
}

async fn remove_label(tick: &Tick<'_>, issue: u64, label: &str) -> anyhow::Result<()> {
    Ok(tick.gh.remove_label(tick.repo, issue, label).await?)
}

async fn assign(tick: &Tick<'_>, issue: u64, login: &str) -> anyhow::Result<()> {
    let logins = [login.to_string()];
    Ok(tick.gh.add_assignees(tick.repo, issue, &logins).await?)
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
        StartOutcome::Lost(reason) => applied.withdrawn.push(Withdrawn {
            issue: start.issue,
            agent: start.agent.to_string(),
            reason,
        }),
        StartOutcome::Dispatched => {
            let event = Event::AgentStarted {
                repo: tick.repo.to_string(),
                issue: start.issue,
                title: start.title.to_string(),
                url: start.url.to_string(),
                agent: start.agent.to_string(),
            };
            applied.notified.extend(tick.notifier.tell(event).await);
        }
        StartOutcome::Failed(reason) if start.fallback.is_some() => {
            let attempt = Attempt {
                agent: start.agent.to_string(),
                run: start.url.to_string(),
                pull_request: None,
                failing: Vec::new(),
                reported: reason,
            };
            let handoff = HandOff {
                issue: start.issue,
                login: start.login,
                next: start.fallback.unwrap_or_default(),
                attempt: &attempt,
            };
            handoff.run(tick).await?;
        }
        StartOutcome::Failed(reason) => {
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

/// A verified claim a tick left without a dispatch: say so on the claim, then go on as a
/// start would, with the agent's login from the config.
async fn finish_claim(
    tick: &Tick<'_>,
    claim: u64,
    start: &Start<'_>,
    applied: &mut Applied,
) -> anyhow::Result<()> {
    let note = format!(
        ":information_source: This claim was never dispatched; a later Conductor tick \
         claims #{} for **{}** again.",
        start.issue, start.agent
    );
    settle::edit(tick, claim, &note).await;
    let login = tick.config.conductor.agent_login(start.agent);
    let start = Start {
        login: login.as_deref(),
        ..*start
    };
    start_agent(tick, &start, applied).await
}

async fn withdraw_claim(
    tick: &Tick<'_>,
    issue: u64,
    agent: &str,
    login: Option<&str>,
) -> anyhow::Result<()> {
    withdraw_labels(tick, issue, agent, login, None).await;
    Ok(())
}

/// A fix or review request; Slack hears of it only when the agent was sent.
async fn send(tick: &Tick<'_>, task: &PullTask<'_>, applied: &mut Applied) -> anyhow::Result<()> {
    match task.run(tick).await? {
        StartOutcome::Dispatched => {
            let event = requested(tick, task);
            applied.notified.extend(tick.notifier.tell(event).await)
        }
        StartOutcome::Lost(reason) => applied.withdrawn.push(Withdrawn {
            issue: task.issue.unwrap_or(task.pull_request),
            agent: task.agent.to_string(),
            reason,
        }),
        StartOutcome::Failed(reason) => tracing::warn!(
            "#{}: sending {} failed: {reason}",
            task.pull_request,
            task.agent
        ),
    }
    Ok(())
}

/// What Slack hears when an agent was sent to a pull request.
fn requested(tick: &Tick<'_>, task: &PullTask<'_>) -> Event {
    let (repo, title, url) = (
        tick.repo.to_string(),
        task.title.to_string(),
        task.url.to_string(),
    );
    match &task.work {
        PullWork::Fix { failing, .. } => Event::FixRequested {
            repo,
            pull_request: task.pull_request,
            title,
            url,
            agent: task.agent.to_string(),
            checks: failing.iter().map(|c| c.name.clone()).collect(),
        },
        PullWork::Respond {
            reviewer, round, ..
        } => Event::ChangesRequested {
            repo,
            pull_request: task.pull_request,
            title,
            url,
            agent: task.agent.to_string(),
            reviewer: reviewer.to_string(),
            round: *round,
            max_rounds: tick.config.conductor.max_review_rounds,
        },
        PullWork::Review { author } => Event::ReviewRequested {
            repo,
            pull_request: task.pull_request,
            title,
            url,
            reviewer: task.agent.to_string(),
            author: author.to_string(),
        },
    }
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
