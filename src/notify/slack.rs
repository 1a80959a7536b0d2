//! Slack: Block Kit messages through an incoming webhook.

use anyhow::Context as _;
use serde_json::{Value, json};

use super::Event;

/// An incoming webhook. The URL is a secret: it never reaches logs or output.
#[derive(Clone)]
pub struct Slack {
    webhook_url: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for Slack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Slack(webhook: ***)")
    }
}

impl Slack {
    pub fn webhook(url: impl Into<String>) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .context("building the Slack HTTP client")?;
        Ok(Slack {
            webhook_url: url.into(),
            http,
        })
    }

    pub async fn post(&self, event: &Event) -> anyhow::Result<()> {
        let response = self
            .http
            .post(&self.webhook_url)
            .json(&render(event))
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("Slack webhook unreachable: {}", e.without_url()))?;
        let status = response.status();
        if !status.is_success() {
            anyhow::bail!("Slack webhook answered {status}");
        }
        Ok(())
    }
}

/// Slack's mrkdwn needs `&`, `<` and `>` escaped; issue text is data, never markup.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A titled link, with the title escaped and cut to a safe length.
fn link(url: &str, title: &str) -> String {
    let short: String = title.chars().take(150).collect();
    format!("<{}|{}>", url.replace(['<', '>', '|'], ""), escape(&short))
}

/// The Block Kit payload for an event: a plain `text` fallback plus one section.
pub fn render(event: &Event) -> Value {
    let text = match event {
        Event::AgentStarted {
            repo,
            issue,
            title,
            url,
            agent,
        } => {
            format!(
                ":robot_face: *{}* started on {} #{issue} {}",
                escape(agent),
                escape(repo),
                link(url, title)
            )
        }
        Event::MilestoneComplete { repo, title, url } => {
            format!(
                ":checkered_flag: Milestone {} in {} is complete",
                link(url, title),
                escape(repo)
            )
        }
        Event::CycleFound { repo, issue, cycle } => {
            let members: Vec<String> = cycle.iter().map(|n| format!("#{n}")).collect();
            format!(
                ":warning: {} #{issue} sits on a dependency cycle: {}",
                escape(repo),
                members.join(" → ")
            )
        }
        Event::AgentFailed {
            repo,
            issue,
            title,
            agent,
            reason,
            url,
        } => format!(
            ":x: *{}* failed on {} #{issue} {}: {}",
            escape(agent),
            escape(repo),
            link(url, title),
            escape(reason)
        ),
        Event::FixRequested {
            repo,
            pull_request,
            title,
            url,
            agent,
            checks,
        } => format!(
            ":wrench: *{}* is sent back to fix {} #{pull_request} {}: {}",
            escape(agent),
            escape(repo),
            link(url, title),
            escape(&checks.join(", "))
        ),
        Event::ReviewRequested {
            repo,
            pull_request,
            title,
            url,
            reviewer,
            author,
        } => format!(
            ":mag: *{}* reviews {} #{pull_request} {} by {}",
            escape(reviewer),
            escape(repo),
            link(url, title),
            escape(author)
        ),
        _ => super::slack_pipeline::text(event),
    };
    json!({
        "text": text,
        "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": text } }]
    })
}
