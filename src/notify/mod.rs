//! Telling people: Slack messages and the product tool hook. Never fails a tick.

pub(crate) mod critical;
mod event;
mod mrkdwn;
mod notifier;
pub mod slack;
mod slack_pipeline;
mod slack_text;

pub use event::Event;
pub(crate) use notifier::{Delivery, HookFuture};
pub use notifier::{Notifier, ProductHook};
pub use slack::Slack;
