//! The in-memory GitHub: users, tokens, repositories, the logical clock and rate budgets.
//!
//! Everything is deterministic: ids come from per-kind counters, SHAs are sha1 over content,
//! and every timestamp comes from the logical clock, which only moves when told to.

mod apps;
mod ci;
pub(crate) mod events;
pub(crate) mod git;
mod issue_seeding;
pub(crate) mod issues;
mod pipeline;
mod pulls;
pub(crate) mod rules;
mod setup;

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::Value;

pub(crate) use apps::{App, Installation};
pub(crate) use ci::{Asset, CheckRun, Deployment, DeploymentStatus, Release, Status, WorkflowRun};
pub use ci::{CheckRunView, WorkflowRunView};
pub use events::{ACTIONS_LOGIN, RaisedEvent, Writer};
pub(crate) use git::Git;
pub use issues::IssueView;
pub(crate) use issues::{Comment, Issue, IssueEvent, Label, Milestone};
pub(crate) use pulls::{Pull, Review, ReviewComment};
pub use pulls::{PullView, ReviewState};
pub use setup::LabelView;

use super::http::ApiError;

/// Whether an account is a person or a bot (`type` in GitHub's user objects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKind {
    User,
    Bot,
}

/// A repository role, from strongest to weakest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Permission {
    Read,
    Triage,
    Write,
    Maintain,
    Admin,
}

impl Permission {
    /// The fine-grained role name (`role_name`).
    pub fn role_name(self) -> &'static str {
        match self {
            Permission::Admin => "admin",
            Permission::Maintain => "maintain",
            Permission::Write => "write",
            Permission::Triage => "triage",
            Permission::Read => "read",
        }
    }

    /// The legacy value GitHub puts in `permission`: admin, write or read.
    pub fn legacy(self) -> &'static str {
        match self {
            Permission::Admin => "admin",
            Permission::Maintain | Permission::Write => "write",
            Permission::Triage | Permission::Read => "read",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: u64,
    pub login: String,
    pub kind: UserKind,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub login: String,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Budget {
    pub limit: u64,
    pub used: u64,
    pub reset: DateTime<Utc>,
}

pub(crate) struct Repo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub default_branch: String,
    pub created_at: DateTime<Utc>,
    pub labels: Vec<Label>,
    pub issues: Vec<Issue>,
    pub milestones: Vec<Milestone>,
    pub comments: Vec<Comment>,
    pub events: Vec<IssueEvent>,
    pub perms: Vec<(String, Permission)>,
    pub git: Git,
    pub checks: Vec<CheckRun>,
    pub statuses: Vec<Status>,
    pub deployments: Vec<Deployment>,
    pub deployment_statuses: Vec<DeploymentStatus>,
    pub releases: Vec<Release>,
    pub runs: Vec<WorkflowRun>,
    pub repo_dispatches: Vec<(String, Value)>,
    pub topics: Vec<String>,
    pub protections: BTreeMap<String, Value>,
    pub rulesets: Vec<rules::Ruleset>,
}

impl Repo {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// The whole emulated GitHub.
pub struct Model {
    pub(crate) base_url: String,
    now: DateTime<Utc>,
    counters: HashMap<&'static str, u64>,
    pub(crate) users: Vec<User>,
    pub(crate) tokens: HashMap<String, Token>,
    pub(crate) repos: Vec<Repo>,
    /// Native dependencies as (blocked issue id, blocker issue id), in creation order.
    pub(crate) deps: Vec<(u64, u64)>,
    /// Sub-issues as (parent issue id, child issue id), in priority order.
    pub(crate) sub_issues: Vec<(u64, u64)>,
    pub(crate) budgets: HashMap<String, Budget>,
    limits: HashMap<String, u64>,
    pub(crate) apps: Vec<App>,
    pub(crate) installations: Vec<Installation>,
    /// The events GitHub would raise from the writes so far ([`events`]).
    pub(crate) raised: Vec<events::RaisedEvent>,
    /// Whether writes raise events (off unless a test asks: payloads cost a render each).
    pub(crate) recording: bool,
    /// Changed files between two commits, by (base SHA, head SHA): commits never change, and a
    /// 3,000-file pull request is read page by page (and rendered with every pull request).
    pub(crate) diffs: DiffMemo,
}

/// A few recent tree diffs; cleared when full.
pub(crate) type DiffMemo =
    std::sync::Mutex<HashMap<(String, String), std::sync::Arc<Vec<git::FileChange>>>>;

/// Where counters of each kind start, so ids of different kinds never collide.
fn id_base(kind: &str) -> u64 {
    match kind {
        "user" => 1000,
        "repo" => 100_000,
        "issue" => 1_000_000,
        "pull" => 2_000_000,
        "label" => 3_000_000,
        "comment" => 4_000_000,
        "event" => 5_000_000,
        "milestone" => 6_000_000,
        "review" => 7_000_000,
        "check" => 8_000_000,
        "status" => 9_000_000,
        "deployment" => 10_000_000,
        "release" => 11_000_000,
        "run" => 12_000_000,
        "installation" => 13_000_000,
        "asset" => 14_000_000,
        "review_comment" => 15_000_000,
        _ => 20_000_000,
    }
}

impl Model {
    pub(crate) fn new(base_url: &str) -> Model {
        Model {
            base_url: base_url.trim_end_matches('/').to_string(),
            now: Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap(),
            counters: HashMap::new(),
            users: Vec::new(),
            tokens: HashMap::new(),
            repos: Vec::new(),
            deps: Vec::new(),
            sub_issues: Vec::new(),
            budgets: HashMap::new(),
            limits: HashMap::new(),
            apps: Vec::new(),
            installations: Vec::new(),
            raised: Vec::new(),
            recording: false,
            diffs: Default::default(),
        }
    }

    /// The API base URL this model renders its `url` fields under.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The logical clock (default start 2026-01-05T09:00:00Z).
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    pub fn set_now(&mut self, now: DateTime<Utc>) {
        self.now = now;
    }

    pub fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    pub(crate) fn next_id(&mut self, kind: &'static str) -> u64 {
        let n = self.counters.entry(kind).or_insert_with(|| id_base(kind));
        *n += 1;
        *n
    }

    /// Adds an account (idempotent on the login); returns its id.
    pub fn add_user(&mut self, login: &str, kind: UserKind) -> u64 {
        if let Some(u) = self.user(login) {
            return u.id;
        }
        let id = self.next_id("user");
        self.users.push(User {
            id,
            login: login.to_string(),
            kind,
        });
        id
    }

    pub(crate) fn user(&self, login: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.login.eq_ignore_ascii_case(login))
    }

    /// Maps a bearer token to a user (created as a person if unknown).
    pub fn add_token(&mut self, token: &str, login: &str) {
        self.add_user(login, UserKind::User);
        self.tokens.insert(
            token.to_string(),
            Token {
                login: login.to_string(),
                expires_at: None,
            },
        );
    }

    /// Sets the hourly request budget of a token or a login (default 5000).
    pub fn set_rate_limit(&mut self, token_or_login: &str, limit: u64) {
        let key = self.budget_key(token_or_login);
        if let Some(b) = self.budgets.get_mut(&key) {
            b.limit = limit;
        }
        self.limits.insert(key, limit);
    }

    /// Rate-limit points a token or a login has spent this hour (a 304 spends none).
    pub fn rate_limit_used(&mut self, token_or_login: &str) -> u64 {
        let key = self.budget_key(token_or_login);
        self.budget(&key).used
    }

    fn budget_key(&self, token_or_login: &str) -> String {
        match self.tokens.get(token_or_login) {
            Some(t) => t.login.clone(),
            None => token_or_login.to_string(),
        }
    }

    /// The budget of `key`, renewed when its hour has passed.
    pub(crate) fn budget(&mut self, key: &str) -> &mut Budget {
        let now = self.now;
        let limit = match self.limits.get(key) {
            Some(l) => *l,
            None if key == "anonymous" => 60,
            None => 5000,
        };
        let b = self.budgets.entry(key.to_string()).or_insert(Budget {
            limit,
            used: 0,
            reset: now + Duration::hours(1),
        });
        if now >= b.reset {
            b.used = 0;
            b.reset = now + Duration::hours(1);
        }
        b
    }

    /// Adds a repository (and its owner, if new) with one initial commit; returns its id.
    pub fn add_repo(&mut self, owner: &str, name: &str, default_branch: &str) -> u64 {
        self.add_user(owner, UserKind::User);
        let id = self.next_id("repo");
        let now = self.now;
        let mut git = Git::default();
        let mut tree = BTreeMap::new();
        tree.insert(
            "README.md".to_string(),
            git::Entry::file(format!("# {name}\n").into_bytes()),
        );
        let sha = git.commit(tree, vec![], "Initial commit", owner, now);
        git.refs.insert(format!("refs/heads/{default_branch}"), sha);
        self.repos.push(Repo {
            id,
            owner: owner.to_string(),
            name: name.to_string(),
            default_branch: default_branch.to_string(),
            created_at: now,
            labels: Vec::new(),
            issues: Vec::new(),
            milestones: Vec::new(),
            comments: Vec::new(),
            events: Vec::new(),
            perms: Vec::new(),
            git,
            checks: Vec::new(),
            statuses: Vec::new(),
            deployments: Vec::new(),
            deployment_statuses: Vec::new(),
            releases: Vec::new(),
            runs: Vec::new(),
            repo_dispatches: Vec::new(),
            topics: Vec::new(),
            protections: BTreeMap::new(),
            rulesets: Vec::new(),
        });
        id
    }

    /// Sets a repository's topics (what `conductor.repositories_from` filters on).
    pub fn set_topics(&mut self, repo: &str, topics: &[&str]) {
        let ri = self.seed_ri(repo);
        self.repos[ri].topics = topics.iter().map(|t| t.to_string()).collect();
    }

    /// Indexes of the repositories `owner` owns, in creation order.
    pub(crate) fn repos_of(&self, owner: &str) -> Vec<usize> {
        (0..self.repos.len())
            .filter(|&ri| self.repos[ri].owner.eq_ignore_ascii_case(owner))
            .collect()
    }

    /// Index of `owner/name` (case-insensitive).
    pub(crate) fn find_repo(&self, full: &str) -> Option<usize> {
        self.repos
            .iter()
            .position(|r| r.full_name().eq_ignore_ascii_case(full))
    }

    pub(crate) fn ri(&self, owner: &str, name: &str) -> Result<usize, ApiError> {
        self.find_repo(&format!("{owner}/{name}"))
            .ok_or_else(ApiError::not_found)
    }

    /// Index of a repository for a seeding helper.
    ///
    /// # Panics
    /// When the repository was never added: a seeding mistake, not a runtime condition.
    pub(crate) fn seed_ri(&self, full: &str) -> usize {
        self.find_repo(full)
            .unwrap_or_else(|| panic!("emulator: no repository {full}"))
    }

    /// Grants `login` a role on `owner/repo` (creates the user if needed).
    pub fn set_permission(&mut self, repo: &str, login: &str, permission: Permission) {
        self.add_user(login, UserKind::User);
        let ri = self.seed_ri(repo);
        let r = &mut self.repos[ri];
        r.perms.retain(|(l, _)| !l.eq_ignore_ascii_case(login));
        r.perms.push((login.to_string(), permission));
    }

    /// The role `login` holds on a repository, if any: owner is admin, an installed app's bot
    /// can write.
    pub(crate) fn permission_of(&self, ri: usize, login: &str) -> Option<Permission> {
        let r = &self.repos[ri];
        if r.owner.eq_ignore_ascii_case(login) {
            return Some(Permission::Admin);
        }
        if let Some((_, p)) = r.perms.iter().find(|(l, _)| l.eq_ignore_ascii_case(login)) {
            return Some(*p);
        }
        let installed = self.installations.iter().any(|i| {
            i.owner.eq_ignore_ascii_case(&r.owner)
                && self
                    .apps
                    .iter()
                    .any(|a| a.id == i.app_id && a.bot_login().eq_ignore_ascii_case(login))
        });
        installed.then_some(Permission::Write)
    }

    /// Collaborators and the owner can be assigned.
    pub(crate) fn assignable(&self, ri: usize, login: &str) -> bool {
        self.permission_of(ri, login).is_some()
    }

    /// Logins with a role on the repository, owner first.
    pub(crate) fn collaborators(&self, ri: usize) -> Vec<String> {
        let r = &self.repos[ri];
        let mut v = vec![r.owner.clone()];
        v.extend(r.perms.iter().map(|(l, _)| l.clone()));
        v
    }
}

/// A GitHub-style node id: a type prefix and the base64 of the kind and id.
pub(crate) fn node_id(prefix: &str, id: u64) -> String {
    let raw = format!("0:{prefix}{id}");
    format!(
        "{prefix}_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    )
}

/// GitHub's timestamp format: `2026-01-05T09:00:00Z`.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
