//! Slack: Block Kit messages through an incoming webhook, or a bot token posting with
//! `chat.postMessage` to a channel. Every piece of text from GitHub is escaped as data.

use anyhow::Context as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Event;

/// Slack's Web API, unless `SLACK_API_URL` points elsewhere.
pub const DEFAULT_API_URL: &str = "https://slack.com/api";

/// Where a message goes. URLs and tokens are secrets: they never reach logs or output.
#[derive(Clone)]
enum Transport {
    Webhook {
        url: String,
    },
    Bot {
        api_url: String,
        token: String,
        channel: String,
    },
}

#[derive(Clone)]
pub struct Slack {
    transport: Transport,
    http: reqwest::Client,
}

impl std::fmt::Debug for Slack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.transport {
            Transport::Webhook { .. } => f.write_str("Slack(webhook: ***)"),
            Transport::Bot { channel, .. } => write!(f, "Slack(bot: ***, channel: {channel})"),
        }
    }
}

/// `chat.postMessage` answers 200 with `ok: false` on errors.
#[derive(Deserialize)]
struct ApiAnswer {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
}

fn client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .context("building the Slack HTTP client")
}

impl Slack {
    pub fn webhook(url: impl Into<String>) -> anyhow::Result<Self> {
        Ok(Slack {
            transport: Transport::Webhook { url: url.into() },
            http: client()?,
        })
    }

    /// A bot token (`xoxb-…`) posting to `channel` through `api_url` (`…/api`).
    pub fn bot(
        api_url: impl Into<String>,
        token: impl Into<String>,
        channel: impl Into<String>,
    ) -> anyhow::Result<Self> {
        Ok(Slack {
            transport: Transport::Bot {
                api_url: api_url.into().trim_end_matches('/').to_string(),
                token: token.into(),
                channel: channel.into(),
            },
            http: client()?,
        })
    }

    pub async fn post(&self, event: &Event) -> anyhow::Result<()> {
        let message = render(event);
        match &self.transport {
            Transport::Webhook { url } => self.post_webhook(url, &message).await,
            Transport::Bot {
                api_url,
                token,
                channel,
            } => {
                let mut message = message;
                message["channel"] = json!(channel);
                self.post_message(api_url, token, &message).await
            }
        }
    }

    async fn post_webhook(&self, url: &str, message: &Value) -> anyhow::Result<()> {
        let response = self
            .http
            .post(url)
            .json(message)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("Slack webhook unreachable: {}", e.without_url()))?;
        let status = response.status();
        if !status.is_success() {
            anyhow::bail!("Slack webhook answered {status}");
        }
        Ok(())
    }

    async fn post_message(
        &self,
        api_url: &str,
        token: &str,
        message: &Value,
    ) -> anyhow::Result<()> {
        let response = self
            .http
            .post(format!("{api_url}/chat.postMessage"))
            .bearer_auth(token)
            .json(message)
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!("Slack chat.postMessage unreachable: {}", e.without_url())
            })?;
        let status = response.status();
        if !status.is_success() {
            anyhow::bail!("Slack chat.postMessage answered {status}");
        }
        let answer: ApiAnswer = response
            .json()
            .await
            .context("Slack chat.postMessage: unexpected answer")?;
        if !answer.ok {
            let error: String = answer
                .error
                .unwrap_or_else(|| "unknown_error".into())
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(80)
                .collect();
            anyhow::bail!("Slack chat.postMessage refused the message: {error}");
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

/// Most characters of outside text shown in one message.
const MAX_TEXT: usize = 150;

/// Outside text as one short, escaped line: control characters become spaces.
pub(crate) fn data(text: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_TEXT)
        .collect();
    let cut = if text.chars().count() > MAX_TEXT {
        "…"
    } else {
        ""
    };
    format!("{}{cut}", escape(&line))
}

/// A link target with the characters that would end Slack's `<url|text>` removed.
fn target(url: &str) -> String {
    url.chars()
        .filter(|c| !matches!(c, '<' | '>' | '|') && !c.is_control() && !c.is_whitespace())
        .collect()
}

/// A titled link, with the title escaped and cut to a safe length.
fn link(url: &str, title: &str) -> String {
    format!("<{}|{}>", target(url), data(title))
}

/// The Block Kit payload for an event: a plain `text` fallback, the message section, and a
/// context line of links.
pub fn render(event: &Event) -> Value {
    let (text, links) = message(event);
    let mut blocks = vec![json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } })];
    let links: Vec<String> = links
        .iter()
        .filter(|(url, _)| !url.is_empty())
        .map(|(url, label)| format!("<{}|{label}>", target(url)))
        .collect();
    if !links.is_empty() {
        blocks.push(json!({
            "type": "context",
            "elements": [{ "type": "mrkdwn", "text": links.join(" · ") }]
        }));
    }
    json!({ "text": text, "blocks": blocks })
}

type Links = Vec<(String, &'static str)>;

fn message(event: &Event) -> (String, Links) {
    match event {
        Event::AgentStarted {
            repo,
            issue,
            title,
            url,
            agent,
        } => (
            format!(
                ":robot_face: *{}* started on {} #{issue} {}",
                escape(agent),
                escape(repo),
                link(url, title)
            ),
            vec![(url.clone(), "issue")],
        ),
        Event::MilestoneComplete { repo, title, url } => (
            format!(
                ":checkered_flag: Milestone {} in {} is complete",
                link(url, title),
                escape(repo)
            ),
            vec![(url.clone(), "milestone")],
        ),
        Event::CycleFound { repo, issue, cycle } => {
            let members: Vec<String> = cycle.iter().map(|n| format!("#{n}")).collect();
            (
                format!(
                    ":warning: {} #{issue} sits on a dependency cycle: {}",
                    escape(repo),
                    members.join(" → ")
                ),
                Vec::new(),
            )
        }
        other => more::message(other),
    }
}

mod more {
    //! The messages of the pull request, review, deploy, smoke and failure events.

    use super::{Event, Links, data, escape, link};

    pub(super) fn message(event: &Event) -> (String, Links) {
        match event {
            Event::PullRequestOpened {
                repo,
                number,
                title,
                url,
                issue,
                agent,
            } => {
                let by = agent
                    .as_deref()
                    .map(|a| format!(" by *{}*", data(a)))
                    .unwrap_or_default();
                let closes = issue.map(|n| format!(" (closes #{n})")).unwrap_or_default();
                (
                    format!(
                        ":arrow_heading_up: Pull request {} #{number} {}{by}{closes}",
                        escape(repo),
                        link(url, title)
                    ),
                    vec![(url.clone(), "pull request")],
                )
            }
            Event::HumanReviewNeeded {
                repo,
                number,
                title,
                url,
                categories,
                approvers,
            } => (
                review_text(repo, *number, title, url, categories, approvers),
                vec![(url.clone(), "review it")],
            ),
            Event::DeployFinished { url, .. } => (
                crate::notify::slack_pipeline::text(event),
                vec![(url.clone().unwrap_or_default(), "environment")],
            ),
            Event::SmokeFinished { .. }
            | Event::HealthChanged { .. }
            | Event::IssueReturned { .. }
            | Event::ReleasePublished { .. } => {
                (crate::notify::slack_pipeline::text(event), Vec::new())
            }
            Event::AgentFailed {
                repo,
                issue,
                title,
                url,
                agent,
                reason,
            } => (
                format!(
                    ":rotating_light: *{}* failed on {} #{issue} {}: {}. Its dependents stay blocked \
                     until someone looks.",
                    data(agent),
                    escape(repo),
                    link(url, title),
                    data(reason)
                ),
                vec![(url.clone(), "issue")],
            ),
            Event::CriticalIssueFiled {
                repo,
                issue,
                title,
                url,
            } => (
                format!(
                    ":fire: Critical issue filed in {}: #{issue} {}. It goes to the next free \
                     agent first.",
                    escape(repo),
                    link(url, title)
                ),
                vec![(url.clone(), "issue")],
            ),
            Event::FixRequested {
                repo,
                pull_request,
                title,
                url,
                agent,
                checks,
            } => (
                format!(
                    ":wrench: *{}* is sent back to fix {} #{pull_request} {}: {}",
                    data(agent),
                    escape(repo),
                    link(url, title),
                    data(&checks.join(", "))
                ),
                vec![(url.clone(), "pull request")],
            ),
            Event::ReviewRequested {
                repo,
                pull_request,
                title,
                url,
                reviewer,
                author,
            } => (
                format!(
                    ":mag: *{}* reviews {} #{pull_request} {} by {}",
                    data(reviewer),
                    escape(repo),
                    link(url, title),
                    data(author)
                ),
                vec![(url.clone(), "pull request")],
            ),
            Event::AgentStarted { .. }
            | Event::MilestoneComplete { .. }
            | Event::CycleFound { .. } => (String::new(), Vec::new()),
        }
    }

    fn review_text(
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
}
