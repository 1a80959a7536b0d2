//! Slack text for the Conductor's and the gate's events (agents started, failed, sent back or
//! asked to review, milestones, cycles, pull requests, critical issues), and the links shown
//! under every message. Pipeline events are worded in [`super::slack_pipeline`].

use super::event::Event;
use super::mrkdwn::{data, escape, link};
use super::slack_pipeline;

/// The mrkdwn text of an event.
pub(crate) fn text(event: &Event) -> String {
    match event {
        Event::AgentStarted {
            repo,
            issue,
            title,
            url,
            agent,
        } => agent_started(repo, *issue, title, url, agent),
        Event::MilestoneComplete { repo, title, url } => format!(
            ":checkered_flag: Milestone {} in {} is complete",
            link(url, title),
            escape(repo)
        ),
        Event::CycleFound { repo, issue, cycle } => cycle_found(repo, *issue, cycle),
        Event::PullRequestOpened {
            repo,
            number,
            title,
            url,
            issue,
            agent,
        } => pull_request_opened(repo, *number, title, url, *issue, agent.as_deref()),
        Event::HumanReviewNeeded {
            repo,
            number,
            title,
            url,
            categories,
            approvers,
        } => human_review_needed(repo, *number, title, url, categories, approvers),
        Event::AgentFailed {
            repo,
            issue,
            title,
            url,
            agent,
            reason,
        } => agent_failed(repo, *issue, title, url, agent, reason),
        Event::CriticalIssueFiled {
            repo,
            issue,
            title,
            url,
        } => critical_issue_filed(repo, *issue, title, url),
        Event::FixRequested {
            repo,
            pull_request,
            title,
            url,
            agent,
            checks,
        } => fix_requested(repo, *pull_request, title, url, agent, checks),
        Event::ChangesRequested {
            repo,
            pull_request,
            title,
            url,
            agent,
            reviewer,
            round,
            max_rounds,
        } => format!(
            ":memo: *{}* is sent back to answer the changes {} requested on {} #{pull_request} {} (round {round} of {max_rounds})",
            data(agent),
            data(reviewer),
            escape(repo),
            link(url, title),
        ),
        Event::ReviewRequested {
            repo,
            pull_request,
            title,
            url,
            reviewer,
            author,
        } => review_requested(repo, *pull_request, title, url, reviewer, author),
        Event::DeployFinished { .. }
        | Event::SmokeFinished { .. }
        | Event::HealthChanged { .. }
        | Event::IssueReturned { .. }
        | Event::ReleasePublished { .. }
        | Event::ReleaseShipped { .. }
        | Event::ReleaseHeld { .. }
        | Event::QueueDrained { .. } => slack_pipeline::text(event),
    }
}

/// The links under an event's message: where each points and its label.
pub(crate) fn links(event: &Event) -> Vec<(String, &'static str)> {
    let (url, label) = match event {
        Event::AgentStarted { url, .. }
        | Event::AgentFailed { url, .. }
        | Event::CriticalIssueFiled { url, .. } => (url, "issue"),
        Event::MilestoneComplete { url, .. } => (url, "milestone"),
        Event::PullRequestOpened { url, .. }
        | Event::FixRequested { url, .. }
        | Event::ChangesRequested { url, .. }
        | Event::ReviewRequested { url, .. } => (url, "pull request"),
        Event::HumanReviewNeeded { url, .. } => (url, "review it"),
        Event::DeployFinished { url, .. } => {
            return vec![(url.clone().unwrap_or_default(), "environment")];
        }
        Event::CycleFound { .. }
        | Event::SmokeFinished { .. }
        | Event::HealthChanged { .. }
        | Event::IssueReturned { .. }
        | Event::ReleasePublished { .. }
        | Event::ReleaseShipped { .. }
        | Event::ReleaseHeld { .. }
        | Event::QueueDrained { .. } => return Vec::new(),
    };
    vec![(url.clone(), label)]
}

fn agent_started(repo: &str, issue: u64, title: &str, url: &str, agent: &str) -> String {
    format!(
        ":robot_face: *{}* started on {} #{issue} {}",
        escape(agent),
        escape(repo),
        link(url, title)
    )
}

fn cycle_found(repo: &str, issue: u64, cycle: &[u64]) -> String {
    let members: Vec<String> = cycle.iter().map(|n| format!("#{n}")).collect();
    format!(
        ":warning: {} #{issue} sits on a dependency cycle: {}",
        escape(repo),
        members.join(" → ")
    )
}

fn pull_request_opened(
    repo: &str,
    number: u64,
    title: &str,
    url: &str,
    issue: Option<u64>,
    agent: Option<&str>,
) -> String {
    let by = agent
        .map(|a| format!(" by *{}*", data(a)))
        .unwrap_or_default();
    let closes = issue.map(|n| format!(" (closes #{n})")).unwrap_or_default();
    format!(
        ":arrow_heading_up: Pull request {} #{number} {}{by}{closes}",
        escape(repo),
        link(url, title)
    )
}

fn human_review_needed(
    repo: &str,
    number: u64,
    title: &str,
    url: &str,
    categories: &[String],
    approvers: &[String],
) -> String {
    let list = |items: &[String]| {
        items
            .iter()
            .map(|i| format!("`{}`", data(i)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let who = if approvers.is_empty() {
        "any human with write access who did not write it".to_string()
    } else {
        list(approvers)
    };
    format!(
        ":eyes: {} #{number} {} needs a human review: {}. Who may approve: {who}.",
        escape(repo),
        link(url, title),
        list(categories)
    )
}

fn agent_failed(
    repo: &str,
    issue: u64,
    title: &str,
    url: &str,
    agent: &str,
    reason: &str,
) -> String {
    format!(
        ":rotating_light: *{}* failed on {} #{issue} {}: {}. Its dependents stay blocked \
         until someone looks.",
        data(agent),
        escape(repo),
        link(url, title),
        data(reason)
    )
}

fn critical_issue_filed(repo: &str, issue: u64, title: &str, url: &str) -> String {
    format!(
        ":fire: Critical issue filed in {}: #{issue} {}. It goes to the next free \
         agent first.",
        escape(repo),
        link(url, title)
    )
}

fn fix_requested(
    repo: &str,
    pull_request: u64,
    title: &str,
    url: &str,
    agent: &str,
    checks: &[String],
) -> String {
    format!(
        ":wrench: *{}* is sent back to fix {} #{pull_request} {}: {}",
        data(agent),
        escape(repo),
        link(url, title),
        data(&checks.join(", "))
    )
}

fn review_requested(
    repo: &str,
    pull_request: u64,
    title: &str,
    url: &str,
    reviewer: &str,
    author: &str,
) -> String {
    format!(
        ":mag: *{}* reviews {} #{pull_request} {} by {}",
        data(reviewer),
        escape(repo),
        link(url, title),
        data(author)
    )
}
