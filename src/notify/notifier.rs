//! Where messages go: Slack, once per message, and the product tool's milestone hook.

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

use super::event::Event;
use super::slack::Slack;

/// A boxed future, so hooks stay object safe.
pub(crate) type HookFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// The product tool (Asana, ClickUp, …) hears when a milestone is complete.
pub trait ProductHook: Send + Sync {
    fn name(&self) -> &str;
    /// `description` carries the marker that links the milestone to its feature.
    fn milestone_complete<'a>(
        &'a self,
        title: &'a str,
        url: &'a str,
        description: &'a str,
    ) -> HookFuture<'a>;
}

/// Where messages go. Each send is attempted once: a missed message is reported, not retried,
/// so a rerun can never repeat it.
#[derive(Debug, Clone, Default)]
pub struct Notifier {
    pub slack: Option<Slack>,
}

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub(crate) event: Event,
    pub(crate) channel: String,
    pub error: Option<String>,
}

impl Notifier {
    pub(crate) async fn tell(&self, event: Event) -> Vec<Delivery> {
        let Some(slack) = &self.slack else {
            return Vec::new();
        };
        let error = slack.post(&event).await.err().map(|e| format!("{e:#}"));
        if let Some(error) = &error {
            tracing::warn!("Slack did not take a message: {error}");
        }
        vec![Delivery {
            event,
            channel: "slack".into(),
            error,
        }]
    }
}
