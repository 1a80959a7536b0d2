//! Agents' pull requests: on red CI the same agent is sent back with the failing checks' names
//! and links, up to `max_fix_attempts`, then the issue is marked `agent-failed`; with a
//! `review_agent` configured, a different agent reviews each head. Pure.

use super::effect::{Effect, Plan};
use super::snapshot::{AgentPull, Snapshot};
use crate::config::Config;

/// Decide fixes for every agent pull request with failing checks. A fix needs its agent idle
/// (it takes the agent's slot for this tick); otherwise it waits for a later tick.
pub fn send_back(snapshot: &Snapshot, config: &Config, plan: &mut Plan) {
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
            give_up(snapshot, config, pull, attempts, plan);
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

fn give_up(snapshot: &Snapshot, config: &Config, pull: &AgentPull, attempts: u32, plan: &mut Plan) {
    let Some(issue) = pull.issue.and_then(|n| snapshot.issues.get(&n)) else {
        return;
    };
    // Only while the issue is still this agent's: a pull request left by an agent that was
    // handed off never fails the agent working on the issue now.
    let holds = format!("{}{}", config.labels.agent_prefix, pull.agent);
    if issue.has(&config.labels.agent_failed) || !issue.has(&holds) {
        return;
    }
    let names: Vec<&str> = pull.failing.iter().map(|c| c.name.as_str()).collect();
    let reason = format!(
        "checks still failing after {attempts} fix attempt(s): {}",
        names.join(", ")
    );
    plan.effects.push(super::watch::failed(
        issue,
        &pull.agent,
        config,
        reason,
        pull.url.clone(),
    ));
}

/// Ask the review agent to review each agent pull request's head once; never its own.
pub fn request_reviews(snapshot: &Snapshot, config: &Config, plan: &mut Plan) {
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
