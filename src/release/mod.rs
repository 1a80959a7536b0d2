//! Releases: conventional commits since the last release tag → the next version and a grouped
//! changelog → one release pull request from `shiprig/release` into the production branch
//! (`release-pr`), then, once a human merged it, the tag and the GitHub Release (`release
//! publish`), and `done` on the shipped issues once production deployed and smoke-tested it
//! (`release shipped`). History comes through the API: Actions checkouts are
//! shallow.

pub mod changelog;
pub mod history;
mod prepare;
pub mod publish;
pub mod pull;
pub mod shipped;

pub use changelog::Links;
pub use history::{Bump, History, Kind, RawCommit, ReleaseChange};
pub use prepare::{Prepared, decide, prepare};
pub use publish::{PublishRequest, PublishRun, Published, ReleasePull, publish};
pub use pull::{ReleasePr, ReleasePrRequest, release_pr};
pub use shipped::{Shipped, ShippedRequest, shipped};

#[cfg(test)]
mod tests;
