//! Slack: Block Kit messages through an incoming webhook, or a bot token posting with
//! `chat.postMessage` to a channel. Every piece of text from GitHub is escaped as data.

use anyhow::Context as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::event::Event;
use super::mrkdwn::target;
use super::slack_text::{links, text};

/// Slack's Web API, unless `SLACK_API_URL` points elsewhere.
pub(crate) const DEFAULT_API_URL: &str = "https://slack.com/api";

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
    crate::tls::client_builder()
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

/// The Block Kit payload for an event: a plain `text` fallback, the message section, and a
/// context line of links.
pub fn render(event: &Event) -> Value {
    let text = text(event);
    let mut blocks = vec![json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } })];
    let links: Vec<String> = links(event)
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
