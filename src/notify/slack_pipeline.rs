//! Slack text for the pipeline after the gate: deploys, smoke results, health changes,
//! returned issues and releases.

use super::event::Event;
use super::mrkdwn::{data, escape, short, url_part};

/// The mrkdwn text of a pipeline event (the events [`super::slack_text::text`] hands over).
pub(crate) fn text(event: &Event) -> String {
    match event {
        Event::DeployFinished {
            repo,
            environment,
            sha,
            ok,
            detail,
            url,
        } => deploy_finished(repo, environment, sha, *ok, detail, url.as_deref()),
        Event::SmokeFinished {
            repo,
            environment,
            sha,
            passed,
            failures,
        } => smoke_finished(repo, environment, sha.as_deref(), *passed, failures),
        Event::HealthChanged {
            repo,
            environment,
            up,
            failures,
        } => health_changed(repo, environment, *up, failures),
        Event::IssueReturned {
            repo,
            issue,
            pull,
            url,
        } => format!(
            ":leftwards_arrow_with_hook: <{}|#{pull}> in {} closed without merging; #{issue} is back in the queue",
            url_part(url),
            escape(repo)
        ),
        Event::ReleasePublished {
            repo,
            tag,
            url,
            issues,
        } => release_published(repo, tag, url, issues),
        Event::ReleaseShipped {
            repo,
            tag,
            url,
            issues,
        } => format!(
            ":white_check_mark: {} <{}|{}> is live in production and smoke-tested — done: {}",
            escape(repo),
            url_part(url),
            escape(tag),
            numbers(issues)
        ),
        Event::ReleaseHeld {
            repo,
            tag,
            url,
            why,
            issues,
        } => format!(
            ":warning: {} <{}|{}> is not verified in production ({}); {} stay in review",
            escape(repo),
            url_part(url),
            escape(tag),
            escape(&why.chars().take(200).collect::<String>()),
            numbers(issues)
        ),
        Event::QueueDrained { repo } => format!(
            ":tada: The queue of {} is empty: every approved issue has shipped",
            escape(repo)
        ),
        Event::AgentStarted { .. }
        | Event::MilestoneComplete { .. }
        | Event::CycleFound { .. }
        | Event::AgentFailed { .. }
        | Event::FixRequested { .. }
        | Event::ChangesRequested { .. }
        | Event::ReviewRequested { .. }
        | Event::PullRequestOpened { .. }
        | Event::HumanReviewNeeded { .. }
        | Event::CriticalIssueFiled { .. } => String::new(),
    }
}

/// At most five failures on one line, each cut short, escaped and stripped of line breaks
/// (a failure's text can come from the server under test).
fn failure_lines(failures: &[String]) -> String {
    let mut lines: Vec<String> = failures
        .iter()
        .take(5)
        .map(|f| data(&f.chars().take(200).collect::<String>()))
        .collect();
    if failures.len() > 5 {
        lines.push(format!("…and {} more", failures.len() - 5));
    }
    if lines.is_empty() {
        String::new()
    } else {
        format!(": {}", lines.join("; "))
    }
}

fn deploy_finished(
    repo: &str,
    environment: &str,
    sha: &str,
    ok: bool,
    detail: &str,
    url: Option<&str>,
) -> String {
    let (icon, verb) = if ok {
        (":rocket:", "deployed")
    } else {
        (":x:", "failed to deploy")
    };
    let link = url
        .map(|u| format!(" (<{}|log>)", url_part(u)))
        .unwrap_or_default();
    let why = if ok {
        String::new()
    } else {
        format!(
            ": {}",
            escape(&detail.chars().take(200).collect::<String>())
        )
    };
    format!(
        "{icon} {} {verb} `{}` to *{}*{why}{link}",
        escape(repo),
        short(sha),
        escape(environment)
    )
}

fn smoke_finished(
    repo: &str,
    environment: &str,
    sha: Option<&str>,
    passed: bool,
    failures: &[String],
) -> String {
    let at = sha
        .map(|s| format!(" at `{}`", short(s)))
        .unwrap_or_default();
    if passed {
        format!(
            ":white_check_mark: Smoke tests passed on *{}* in {}{at}",
            escape(environment),
            escape(repo)
        )
    } else {
        format!(
            ":rotating_light: Smoke tests FAILED on *{}* in {}{at}{}",
            escape(environment),
            escape(repo),
            failure_lines(failures)
        )
    }
}

fn health_changed(repo: &str, environment: &str, up: bool, failures: &[String]) -> String {
    if up {
        format!(
            ":large_green_circle: *{}* in {} has recovered",
            escape(environment),
            escape(repo)
        )
    } else {
        format!(
            ":red_circle: *{}* in {} is DOWN{}",
            escape(environment),
            escape(repo),
            failure_lines(failures)
        )
    }
}

/// `#1, #2`, or `(none)`.
fn numbers(issues: &[u64]) -> String {
    if issues.is_empty() {
        return "(none)".into();
    }
    let list: Vec<String> = issues.iter().map(|n| format!("#{n}")).collect();
    list.join(", ")
}

fn release_published(repo: &str, tag: &str, url: &str, issues: &[u64]) -> String {
    let shipped: Vec<String> = issues.iter().map(|n| format!("#{n}")).collect();
    let shipped = if shipped.is_empty() {
        String::new()
    } else {
        format!(" — shipped {}", shipped.join(", "))
    };
    format!(
        ":package: {} released <{}|{}>{shipped}",
        escape(repo),
        url_part(url),
        escape(tag)
    )
}
