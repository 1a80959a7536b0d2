//! Agents' pull requests: on red CI the same agent is sent back with the failing checks' names
//! and links, up to `max_fix_attempts`, then the issue is marked `agent-failed`; a review that
//! requests changes sends the author agent back to answer it, up to `max_review_rounds`; with
//! a `review_agent` configured, a different agent reviews each head. Pure.

use super::effect::{Effect, TickPlan};
use super::snapshot::{AgentPull, ChangeRequest, Snapshot};
use crate::config::Config;

/// Decide fixes for every agent pull request with failing checks. A fix needs its agent idle
/// (it takes the agent's slot for this tick); otherwise it waits for a later tick.
pub(crate) fn send_back(snapshot: &Snapshot, config: &Config, plan: &mut TickPlan) {
    let wants_pulls = snapshot
        .issues
        .values()
        .any(|i| i.has(&config.labels.in_review));
    let Some(pulls) = &snapshot.agent_pulls else {
        plan.needs.agent_pulls = wants_pulls;
        return;
    };
    for pull in pulls
        .iter()
        .filter(|p| !p.failing.is_empty() && !p.fixes.contains(&p.head_sha))
    {
        let attempts = pull.fixes.len() as u32;
        if attempts >= config.conductor.max_fix_attempts {
            let names: Vec<&str> = pull.failing.iter().map(|c| c.name.as_str()).collect();
            let reason = format!(
                "checks still failing after {attempts} fix attempt(s): {}",
                names.join(", ")
            );
            give_up(snapshot, config, pull, reason, plan);
        } else if let Some(slot) = plan.idle_agents.iter().position(|a| *a == pull.agent) {
            plan.idle_agents.remove(slot);
            plan.effects.push(Effect::Fix {
                pull_request: pull.number,
                issue: pull.issue,
                title: pull.title.clone(),
                url: pull.url.clone(),
                agent: pull.agent.clone(),
                head_sha: pull.head_sha.clone(),
                failing: pull.failing.clone(),
                attempt: attempts + 1,
            });
        }
    }
}

/// Send each agent pull request's author back to answer the first review that requests
/// changes and was not answered yet: one dispatch per review, the agent's slot for this tick.
/// A review counts when the review agent wrote it, or a person with the gate's approver
/// permission (never another agent, a bot, or someone who may not approve). Past
/// `max_review_rounds` answered reviews, the issue is `agent-failed`.
pub(crate) fn respond(snapshot: &Snapshot, config: &Config, plan: &mut TickPlan) {
    let Some(pulls) = &snapshot.agent_pulls else {
        return;
    };
    for pull in pulls {
        let failed = pull
            .issue
            .and_then(|n| snapshot.issues.get(&n))
            .is_some_and(|i| i.has(&config.labels.agent_failed));
        let unanswered = pull
            .changes_requested
            .iter()
            .filter(|r| !pull.responses.contains(&r.id))
            .find(|r| counts(r, pull, config));
        let Some(review) = unanswered.filter(|_| !failed) else {
            continue;
        };
        let rounds = pull.responses.len() as u32;
        if rounds >= config.conductor.max_review_rounds {
            let reason = format!(
                "{} still requests changes after {rounds} review round(s) ({})",
                review.reviewer, review.url
            );
            give_up(snapshot, config, pull, reason, plan);
        } else if let Some(slot) = plan.idle_agents.iter().position(|a| *a == pull.agent) {
            plan.idle_agents.remove(slot);
            plan.effects.push(Effect::Respond {
                pull_request: pull.number,
                issue: pull.issue,
                title: pull.title.clone(),
                url: pull.url.clone(),
                agent: pull.agent.clone(),
                head_sha: pull.head_sha.clone(),
                review: review.id,
                review_url: review.url.clone(),
                reviewer: review.reviewer.clone(),
                text: review.body.clone(),
                round: rounds + 1,
            });
        }
    }
}

/// Whether a review's request for changes sends the author back.
fn counts(review: &ChangeRequest, pull: &AgentPull, config: &Config) -> bool {
    let conductor = &config.conductor;
    let agent = conductor.agent_with_login(&review.reviewer);
    let by_reviewer = agent.is_some_and(|a| {
        conductor.review_agent.as_deref() == Some(a.name.as_str()) && a.name != pull.agent
    });
    if by_reviewer {
        return true;
    }
    let permitted =
        matches!(review.permission, Some(Some(p)) if p >= config.gate.humans.min_permission);
    agent.is_none() && !review.bot && permitted
}

fn give_up(
    snapshot: &Snapshot,
    config: &Config,
    pull: &AgentPull,
    reason: String,
    plan: &mut TickPlan,
) {
    let Some(issue) = pull.issue.and_then(|n| snapshot.issues.get(&n)) else {
        return;
    };
    // Never while another agent holds the issue: a pull request left by an agent that was
    // handed off never fails the agent working on the issue now.
    let holder = config.labels.agent_in(&issue.labels);
    if issue.has(&config.labels.agent_failed) || holder.is_some_and(|h| h != pull.agent) {
        return;
    }
    plan.effects.push(super::watch::failed(
        issue,
        &pull.agent,
        config,
        reason,
        pull.url.clone(),
    ));
}

/// Ask the review agent to review each agent pull request's head once; never its own.
pub(crate) fn request_reviews(snapshot: &Snapshot, config: &Config, plan: &mut TickPlan) {
    let (Some(reviewer), Some(pulls)) = (&config.conductor.review_agent, &snapshot.agent_pulls)
    else {
        return;
    };
    for pull in pulls
        .iter()
        .filter(|p| p.failing.is_empty() && !p.reviews.contains(&p.head_sha))
    {
        if pull.agent == *reviewer {
            plan.notes.push(format!(
                "#{}: written by {reviewer}, who never reviews its own work",
                pull.number
            ));
            continue;
        }
        let Some(slot) = plan.idle_agents.iter().position(|a| a == reviewer) else {
            continue;
        };
        plan.idle_agents.remove(slot);
        plan.effects.push(Effect::Review {
            pull_request: pull.number,
            title: pull.title.clone(),
            url: pull.url.clone(),
            reviewer: reviewer.clone(),
            author: pull.agent.clone(),
            head_sha: pull.head_sha.clone(),
        });
    }
}
