//! The one door to GitHub: the only module that touches octocrab.
//!
//! Everything shiprig asks of GitHub goes through [`GitHub`]: it sets the API version header,
//! authenticates (token or App installation token), paginates at `per_page=100`, retries what is
//! safe to retry within a time budget, counts requests, and returns shiprig's own small types.
//!
//! The transport is one concern a file (`client`, `retry`, `auth`, `page`, `error`, `clock`,
//! `graphql`); each endpoint exists once, in the file of its resource (`issues`, `pulls`,
//! `checks`, `repos`, `git`, `actions`, `deployments`), as an `impl GitHub` block beside that
//! resource's types. Types several resources share live in `types`; GitHub's states (of issues,
//! pull requests, runs, statuses, reviews) are enums in `states`, parsed as they arrive.

mod actions;
pub(crate) mod auth;
mod cache;
mod checks;
mod client;
pub(crate) mod clock;
mod deployments;
mod error;
mod git;
mod graphql;
mod identity;
mod issues;
mod page;
mod pulls;
mod repos;
pub(crate) mod retry;
mod states;
mod types;

pub(crate) use actions::WorkflowRun;
pub use auth::{Credentials, Secret};
pub(crate) use cache::DEFAULT_CACHE_BYTES;
pub(crate) use checks::{CheckRun, CommitStatus};
pub use client::{ClientOptions, GitHub};
pub(crate) use client::{RequestStats, escape as api_escape};
pub use clock::{Clock, FakeClock, SystemClock};
pub(crate) use deployments::ReleaseInfo;
pub use error::GitHubError;
pub(crate) use graphql::{IssueText, Labeling};
pub use graphql::{VIEWER_QUERY, blockers_query, labelings_query};
pub use identity::ACTIONS_APP_ID;
pub(crate) use issues::{Comment, Milestone, MilestoneFilter, NewIssue};
pub use issues::{Issue, IssueUpdate, MilestoneRef};
pub(crate) use pulls::{PullRequest, PullText, Review};
pub(crate) use repos::{
    BranchProtection, Enabled, RepoLabel, RequiredCheck, RequiredChecks, RequiredReviews,
};
#[cfg(test)]
pub(crate) use repos::{Login, Restrictions};
pub(crate) use states::{
    CommitState, FileStatus, IssueState, MilestoneState, PullState, ReviewState, RunConclusion,
    RunStatus,
};
pub use types::Repo;
pub(crate) use types::{CommitInfo, User};
