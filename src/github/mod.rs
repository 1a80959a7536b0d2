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
pub mod auth;
mod cache;
mod checks;
mod client;
pub mod clock;
mod deployments;
mod error;
mod git;
mod graphql;
mod identity;
mod issues;
mod page;
mod pulls;
mod repos;
pub mod retry;
mod states;
mod types;

pub use actions::{DispatchedRun, WorkflowRun};
pub use auth::{Credentials, Secret};
pub use cache::DEFAULT_CACHE_BYTES;
pub use checks::{CheckRun, CommitStatus};
pub use client::{
    API_VERSION, ClientOptions, DEFAULT_API_URL, GRAPHQL_PATH, GitHub, RequestStats,
    escape as api_escape,
};
pub use clock::{Clock, FakeClock, SystemClock};
pub use deployments::{Deployment, ReleaseInfo};
pub use error::GitHubError;
pub use git::TagRef;
pub use graphql::{
    BLOCKERS_FRAGMENT, BlockerLists, BlockerRef, IssueText, LABELINGS_FRAGMENT, Labeling,
    VIEWER_QUERY, blockers_query, labelings_query,
};
pub use identity::ACTIONS_APP_ID;
pub use issues::{
    Comment, DependencySummary, EventLabel, Issue, IssueEvent, IssueUpdate, Milestone,
    MilestoneFilter, MilestoneRef, NewIssue,
};
pub use page::Listing;
pub use pulls::{Branch, PullFile, PullRequest, PullText, Review, closing_references};
pub use repos::{
    Blob, BranchProtection, COMPARE_PAGES, CollaboratorPermission, Comparison, Enabled, Login,
    RepoLabel, RepositorySummary, RequiredCheck, RequiredChecks, RequiredReviews, Restrictions,
    Slug,
};
pub use retry::RetryPolicy;
pub use states::{
    CommitState, IssueState, MilestoneState, PullState, ReviewState, RunConclusion, RunStatus,
};
pub use types::{CommitInfo, CommitMessage, GitIdentity, ParentRef, Repo, User};
