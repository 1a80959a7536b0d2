//! Releases: conventional commits since the last release tag → the next version and a grouped
//! changelog → one release pull request from `shiprig/release` into the production branch
//! (`release-pr`), then, once a human merged it, the tag, the GitHub Release and `done` on the
//! shipped issues (`release publish`). History comes through the API: Actions checkouts are
//! shallow.

pub mod changelog;
pub mod history;
mod prepare;
pub mod publish;
pub mod pull;

pub use changelog::Links;
pub use history::{Bump, Change, History, Kind, RawCommit};
pub use prepare::{Prepared, decide, prepare};
pub use publish::{Published, publish};
pub use pull::{ReleasePr, release_pr};

#[cfg(test)]
mod tests;
