//! Telling people: Slack messages and the product tool hook. Never fails a tick.

pub mod critical;
mod event;
mod mrkdwn;
mod notifier;
pub mod slack;
mod slack_pipeline;
mod slack_text;

pub use event::Event;
pub use notifier::{Delivery, HookFuture, Notifier, ProductHook};
pub use slack::Slack;
