//! shiprig: turns a GitHub repository into an automated engineering rig.
//!
//! The binary (`src/main.rs`) is a thin dispatcher over this library. Each folder is one room:
//! `config` (the `.github/shiprig.yml` model), `github` (the one door to GitHub), `emulator`
//! (the stateful fake GitHub that tests and `shiprig demo` run against), `conductor` (the
//! scheduled loop that dispatches work), `notify` (Slack and the product tools), `demo`.

pub mod actions_log;
pub mod agents;
pub mod bounded;
pub mod build_info;
pub mod cli;
pub mod commits;
pub mod conductor;
pub mod config;
pub mod context;
#[cfg(feature = "demo")]
pub mod demo;
pub mod deploy;
pub mod error;
/// The built-in GitHub emulator (its own crate, `crates/github-emulator`).
#[cfg(feature = "demo")]
pub use github_emulator as emulator;
pub mod gate;
pub mod github;
pub mod lifecycle;
pub mod markdown;
pub mod merge;
pub mod notify;
pub mod plan_file;
pub mod product;
pub mod release;
pub mod secrets;
pub mod service;
pub mod setup;
pub mod smoke;
