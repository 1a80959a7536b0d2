//! shiprig: turns a GitHub repository into an automated engineering rig.
//!
//! The binary (`src/main.rs`) is a thin dispatcher over this library. Each folder is one room
//! and the layers only point down: `cli` translates flags into one typed request of a feature;
//! `context` reads what a command runs with (only commands use it); the features (`conductor`, `gate`, `merge`,
//! `lifecycle`, `deploy`, `smoke`, `release`, `plan_file`, `product`, `setup`, `service`) each
//! decide purely and act through `github` (the one door to GitHub), `agents` and `notify`;
//! `config`, `error`, `markdown`, `actions_log`, `actions_event` (the one reader of the event
//! payload) and `tls` are leaves every room may use. `tests/it/layers.rs` checks these layers.
//!
//! # The public surface
//!
//! shiprig is a command-line tool, not a library with a stable API. What is `pub` here is what
//! the binary (`cli::main`), the benches and the integration tests under `tests/` drive from
//! outside: the features' entry points and the types they take and return, the GitHub client
//! and its emulator, and the renderings the tests check. Everything else is `pub(crate)` or
//! private, and tested beside its code (`#[cfg(test)] mod tests`). A new item starts private;
//! make it `pub` only when something outside the crate needs it.

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
