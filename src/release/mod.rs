//! Releases: conventional commits since the last release tag → the next version and a grouped
//! changelog → one release pull request from `shiprig/release` into the production branch
//! (`release-pr`), then, once a human merged it, the tag and the GitHub Release (`release
//! publish`), and `done` on the shipped issues once production deployed and smoke-tested it
//! (`release shipped`). History comes through the API: Actions checkouts are
//! shallow.

pub(crate) mod changelog;
pub(crate) mod history;
mod prepare;
pub(crate) mod publish;
pub(crate) mod pull;
pub(crate) mod shipped;

pub(crate) use changelog::Links;
pub(crate) use publish::{PublishRequest, PublishRun, ReleasePull};
pub(crate) use pull::{ReleasePrRequest, release_pr};
pub(crate) use shipped::{Shipped, ShippedRequest, shipped};

#[cfg(test)]
mod tests;
