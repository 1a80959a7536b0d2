//! shiprig: turns a GitHub repository into an automated engineering rig.
//!
//! The binary (`src/main.rs`) is a thin dispatcher over this library. Each folder is one room
//! and the layers only point down: `cli` translates flags into one typed request of a feature;
//! `context` reads what a command runs with (only commands use it); the features (`conductor`, `gate`, `merge`,
//! `lifecycle`, `deploy`, `smoke`, `release`, `plan_file`, `product`, `setup`, `service`) each
//! decide purely and act through `github` (the one door to GitHub), `agents` and `notify`;
//! `config`, `error`, `markdown`, `actions_log`, `actions_event` (the one reader of the event
//! payload) and `tls` are leaves every room may use. `tests/it/layers.rs` checks these layers.

mod actions_event;
mod actions_log;
pub mod agents;
mod bounded;
pub mod build_info;
pub mod cli;
mod commits;
pub mod conductor;
pub mod config;
mod context;
#[cfg(feature = "demo")]
pub mod demo;
mod deploy;
mod error;
/// The built-in GitHub emulator (its own crate, `crates/github-emulator`).
#[cfg(feature = "demo")]
pub use github_emulator as emulator;
pub mod gate;
pub mod github;
mod lifecycle;
pub mod markdown;
mod merge;
pub mod notify;
pub mod plan_file;
pub mod product;
mod release;
mod secrets;
pub mod service;
pub mod setup;
mod smoke;
mod tls;
