//! Slack text for the pipeline after the gate: deploys, smoke results, health changes,
//! returned issues and releases.

use super::Event;
use super::slack::{data, escape};

fn short(sha: &str) -> String {
    escape(&sha.chars().take(7).collect::<String>())
}

fn url_part(url: &str) -> String {
    url.replace(['<', '>', '|'], "")
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

/// The mrkdwn text of a pipeline event (the arms `slack::render` delegates here).
pub(crate) fn text(event: &Event) -> String {
    match event {
        Event::DeployFinished {
            repo,
            environment,
            sha,
            ok,
            detail,
            url,
        } => {
            let (icon, verb) = if *ok {
                (":rocket:", "deployed")
            } else {
                (":x:", "failed to deploy")
            };
            let link = url
                .as_deref()
                .map(|u| format!(" (<{}|log>)", url_part(u)))
                .unwrap_or_default();
            let why = if *ok {
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
        Event::SmokeFinished {
            repo,
            environment,
            sha,
            passed,
            failures,
        } => {
            let at = sha
                .as_deref()
                .map(|s| format!(" at `{}`", short(s)))
                .unwrap_or_default();
            if *passed {
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
        Event::HealthChanged {
            repo,
            environment,
            up,
            failures,
        } => {
            if *up {
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
        } => {
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
        Event::AgentStarted { .. }
        | Event::MilestoneComplete { .. }
        | Event::CycleFound { .. }
        | Event::AgentFailed { .. }
        | Event::FixRequested { .. }
        | Event::ReviewRequested { .. }
        | Event::PullRequestOpened { .. }
        | Event::HumanReviewNeeded { .. }
        | Event::CriticalIssueFiled { .. } => String::new(),
    }
}
