//! `shiprig conductor run`: the stateless tick as a long-lived service. One loop ticks every
//! repository with one shared agent pool, sleeps a jittered interval, and stops only between
//! ticks (SIGTERM finishes the tick in flight). The status page (`/`, `/api/v1/state`), `/healthz`
//! and `/metrics` are served alongside, and `POST /webhook` turns GitHub's deliveries into prompt
//! ticks of the repositories they name.

pub mod budget;
pub(crate) mod leader;
pub(crate) mod metrics;
pub(crate) mod serve;
pub mod status;
pub mod webhook;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::agents::Backend;
use crate::conductor::{self, Effect, Tick};
use crate::config::Config;
use crate::github::{GitHub, Repo};
use crate::notify::Notifier;
pub use leader::Leader;
pub use metrics::Metrics;

/// One repository the service ticks, with its own capped client.
pub struct Repository {
    pub(crate) repo: Repo,
    pub(crate) gh: GitHub,
    /// The agents its last tick saw busy here (or started here): a prompt tick of another
    /// repository counts them without reading this one again.
    busy: Mutex<BTreeSet<String>>,
    /// Rate-limit points its last tick spent, loops since one changed anything, and the
    /// remaining rate limit GitHub last reported to it (-1: not yet).
    points: AtomicU64,
    quiet_loops: AtomicU64,
    remaining: AtomicI64,
}

impl Repository {
    /// A client for `repo` with the config's per-loop request budget.
    pub fn new(gh: &GitHub, repo: Repo, budget: u32) -> Repository {
        Repository {
            gh: gh.for_repo(&repo).with_budget(u64::from(budget)),
            repo,
            busy: Mutex::default(),
            points: AtomicU64::new(0),
            quiet_loops: AtomicU64::new(0),
            remaining: AtomicI64::new(-1),
        }
    }

    fn candidate(&self, prompted: &BTreeSet<Repo>) -> budget::Candidate {
        budget::Candidate {
            cost: self.points.load(Ordering::Relaxed),
            quiet_loops: self.quiet_loops.load(Ordering::Relaxed),
            prompted: prompted.contains(&self.repo),
        }
    }

    fn busy(&self) -> BTreeSet<String> {
        self.busy.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn remember_busy(&self, busy: BTreeSet<String>) {
        *self.busy.lock().unwrap_or_else(|p| p.into_inner()) = busy;
    }
}

/// The repositories a service ticks: the configured list plus an owner's repositories that
/// carry the configured topic; `home` when both are empty.
pub async fn repositories(gh: &GitHub, config: &Config, home: &Repo) -> anyhow::Result<Vec<Repo>> {
    let mut repos: Vec<Repo> = Vec::new();
    for name in &config.conductor.repositories {
        repos.push(name.0.parse().map_err(anyhow::Error::msg)?);
    }
    if let Some(source) = &config.conductor.repositories_from {
        let owned = gh.owner_repositories(&source.owner).await?;
        for repository in owned
            .iter()
            .filter(|r| !r.archived && r.topics.contains(&source.topic))
        {
            let repo: Repo = repository.full_name.parse().map_err(anyhow::Error::msg)?;
            if !repos.contains(&repo) {
                repos.push(repo);
            }
        }
    }
    if repos.is_empty() {
        repos.push(home.clone());
    }
    Ok(repos)
}

/// What an `installation_repositories` delivery changes in the served set. Only
/// `conductor.repositories_from` follows the installation: an added repository of its owner not
/// served yet is to be read back (`check`) before it is served, and a removed one it brought
/// stops being ticked (`drop`). A repository the config lists by name stays as it is.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Membership {
    pub(crate) check: Vec<Repo>,
    pub(crate) drop: Vec<Repo>,
}

/// [`Membership`] of `prompt`, from the config and the served repositories alone.
pub(crate) fn membership(prompt: &webhook::Prompt, served: &[Repo], config: &Config) -> Membership {
    let Some(source) = &config.conductor.repositories_from else {
        return Membership::default();
    };
    let listed = |repo: &Repo| {
        config
            .conductor
            .repositories
            .iter()
            .any(|name| name.0.parse::<Repo>().is_ok_and(|r| &r == repo))
    };
    let from_source = |repo: &&Repo| repo.owner == source.owner && !listed(repo);
    Membership {
        check: (prompt.added.iter().filter(from_source))
            .filter(|r| !served.contains(r))
            .cloned()
            .collect(),
        drop: (prompt.removed.iter().filter(from_source))
            .filter(|r| served.contains(r))
            .cloned()
            .collect(),
    }
}

/// What one loop did, per repository.
#[derive(Debug, Clone, Serialize)]
pub struct LoopReport {
    pub ticked: Vec<String>,
    pub deferred: Vec<(String, String)>,
    pub effects: usize,
    pub requests: u64,
    /// Of the requests, the reads GitHub answered `304` (no rate-limit point).
    pub not_modified: u64,
}

/// Everything the loop needs.
pub struct Service<'a> {
    pub repositories: Vec<Repository>,
    pub config: &'a Config,
    pub notifier: &'a Notifier,
    pub backend: &'a Backend,
    pub metrics: Arc<Metrics>,
}

impl Service<'_> {
    /// One pass over every repository. Base snapshots are read first, so an agent busy in any
    /// repository is busy everywhere; repositories are then planned and applied in turn, each
    /// assignment marking its agent busy for the ones after it. A repository that fails (its
    /// budget, its rate limit, GitHub) is deferred to the next loop; the others go on.
    pub async fn run_once(&self, now: DateTime<Utc>) -> LoopReport {
        self.run_loop(&BTreeSet::new(), now).await
    }

    /// [`Service::run_once`] within each installation's remaining rate limit: when it cannot
    /// cover what the repositories' last ticks cost, the quietest are deferred, never one in
    /// `prompted` (a delivery named it).
    pub async fn run_loop(&self, prompted: &BTreeSet<Repo>, now: DateTime<Utc>) -> LoopReport {
        let all: Vec<&Repository> = self.repositories.iter().collect();
        let mut chosen = Vec::new();
        let mut over_budget = Vec::new();
        let mut owners: BTreeMap<&str, Vec<&Repository>> = BTreeMap::new();
        for &repository in &all {
            owners
                .entry(&repository.repo.owner)
                .or_default()
                .push(repository);
        }
        for held in owners.values() {
            let remaining = held
                .iter()
                .filter_map(|r| u64::try_from(r.remaining.load(Ordering::Relaxed)).ok())
                .min();
            let candidates: Vec<budget::Candidate> =
                held.iter().map(|r| r.candidate(prompted)).collect();
            let deferred = budget::deferred(&candidates, remaining);
            for (i, &repository) in held.iter().enumerate() {
                if deferred.contains(&i) {
                    over_budget.push(repository);
                } else {
                    chosen.push(repository);
                }
            }
        }
        let mut report = self.tick_some(&chosen, &all, now).await;
        for repository in over_budget {
            let reason = "the installation's rate limit left cannot cover this loop; \
                          quieter repositories wait"
                .to_string();
            self.defer(&mut report, repository, reason, now);
        }
        report
    }

    /// A prompt tick of the served repositories among `prompted` (a webhook named them); the
    /// agents busy elsewhere are the ones the other repositories' last ticks saw.
    pub(crate) async fn run_prompted(
        &self,
        prompted: &BTreeSet<Repo>,
        now: DateTime<Utc>,
    ) -> LoopReport {
        let all: Vec<&Repository> = self.repositories.iter().collect();
        let chosen: Vec<&Repository> = all
            .iter()
            .copied()
            .filter(|r| prompted.contains(&r.repo))
            .collect();
        self.tick_some(&chosen, &all, now).await
    }

    /// Ticks `chosen`, counting agents busy in the rest of `all` from memory.
    async fn tick_some(
        &self,
        chosen: &[&Repository],
        all: &[&Repository],
        now: DateTime<Utc>,
    ) -> LoopReport {
        let labels = &self.config.labels;
        let mut report = LoopReport {
            ticked: vec![],
            deferred: vec![],
            effects: 0,
            requests: 0,
            not_modified: 0,
        };
        let mut snapshots = Vec::new();
        for &repository in chosen {
            repository.gh.reset_budget();
            match conductor::read::base(&repository.gh, &repository.repo, self.config).await {
                Ok(snapshot) => snapshots.push((repository, snapshot)),
                Err(e) => self.defer(&mut report, repository, format!("{e:#}"), now),
            }
        }
        let mut busy: BTreeSet<String> = snapshots
            .iter()
            .flat_map(|(_, s)| s.busy_agents(&labels.agent_prefix, &labels.in_progress))
            .collect();
        for other in all
            .iter()
            .filter(|r| !chosen.iter().any(|c| c.repo == r.repo))
        {
            busy.extend(other.busy());
        }
        for (repository, mut snapshot) in snapshots {
            let own = snapshot.busy_agents(&labels.agent_prefix, &labels.in_progress);
            snapshot.busy_elsewhere = busy.difference(&own).cloned().collect();
            let tick = Tick {
                gh: &repository.gh,
                repo: &repository.repo,
                config: self.config,
                notifier: self.notifier,
                product: None,
                backend: Some(self.backend),
            };
            let mut here = own;
            match conductor::tick_from(&tick, snapshot, now, false).await {
                Ok(mut done) => {
                    self.show(&tick, &mut done, now).await;
                    let applied = done.applied.unwrap_or_default();
                    let quiet = if applied.done.is_empty() {
                        repository.quiet_loops.load(Ordering::Relaxed) + 1
                    } else {
                        0
                    };
                    repository.quiet_loops.store(quiet, Ordering::Relaxed);
                    for effect in &applied.done {
                        self.metrics.effects.get_or_create(&kind(effect)).inc();
                        if let Effect::Start { agent, .. } = effect {
                            busy.insert(agent.clone());
                            here.insert(agent.clone());
                        }
                    }
                    repository.remember_busy(here);
                    report.effects += applied.done.len();
                    let result = if applied.failed.is_empty() {
                        "ok"
                    } else {
                        "partial"
                    };
                    self.count_tick(repository, result);
                    report.ticked.push(repository.repo.to_string());
                }
                Err(e) => self.defer(&mut report, repository, format!("{e:#}"), now),
            }
            self.count_requests(repository, &mut report);
        }
        if report.deferred.is_empty() {
            self.metrics.last_success.set(now.timestamp() as f64);
        }
        report
    }

    /// Follows an `installation_repositories` delivery (see [`membership`]): a removed
    /// repository stops being ticked at once; an added one is served only when GitHub, read
    /// afresh through `base`, shows it unarchived with the source's topic (the delivery is a
    /// hint, never state). A read that fails leaves it to the next delivery or restart.
    pub(crate) async fn follow_installation(&mut self, prompt: &webhook::Prompt, base: &GitHub) {
        let served: Vec<Repo> = self.repositories.iter().map(|r| r.repo.clone()).collect();
        let change = membership(prompt, &served, self.config);
        let Some(source) = &self.config.conductor.repositories_from else {
            return;
        };
        self.repositories.retain(|r| !change.drop.contains(&r.repo));
        for repo in &change.drop {
            self.metrics.board.forget(&repo.to_string());
            tracing::info!(repository = %repo, "removed from the App installation; no longer ticked");
        }
        for repo in change.check {
            match base.for_repo(&repo).repository_summary(&repo).await {
                Ok(Some(found)) if !found.archived && found.topics.contains(&source.topic) => {
                    tracing::info!(repository = %repo, "added to the App installation; ticked from now on");
                    let budget = self.config.conductor.request_budget;
                    self.repositories.push(Repository::new(base, repo, budget));
                }
                Ok(_) => tracing::info!(
                    repository = %repo,
                    topic = %source.topic,
                    "added to the App installation without the topic; not served"
                ),
                Err(e) => {
                    tracing::warn!(repository = %repo, "added to the App installation, but reading it failed: {e:#}")
                }
            }
        }
        self.count_held(prompt.added.iter().chain(&prompt.removed));
    }

    /// `shiprig_installation_repositories` of `owners` as the set holds now (an installation
    /// that lost its last repository is no longer shown).
    fn count_held<'r>(&self, owners: impl IntoIterator<Item = &'r Repo>) {
        let budget = &self.metrics.webhook;
        for owner in owners.into_iter().map(|r| &r.owner) {
            let labels = metrics::InstallationLabels {
                installation: owner.clone(),
            };
            let held = self.repositories.iter().filter(|r| &r.repo.owner == owner);
            match held.count() {
                0 => drop(budget.repositories.remove(&labels)),
                n => drop(budget.repositories.get_or_create(&labels).set(n as i64)),
            }
        }
    }

    /// Put the tick on the status page, with every dependency edge of its open milestones (read
    /// in batches; a failed read leaves the graph without the edges it could not read).
    async fn show(&self, tick: &Tick<'_>, done: &mut conductor::TickReport, now: DateTime<Utc>) {
        if let Err(e) = conductor::read_graph(tick, done).await {
            tracing::warn!(repository = %tick.repo, "the milestone graphs lack edges: {e:#}");
        }
        let failed = done.applied.as_ref().is_some_and(|a| !a.ok());
        let view = status::view::build(&done.snapshot, &done.plan, self.config, now, failed);
        self.metrics.board.record(view);
    }

    /// Each installation's budget in the JSON log and `/metrics`: the points spent and 304s so
    /// far, the rate limit left, and the repositories it holds.
    pub fn log_budget(&self) {
        let mut held: BTreeMap<&str, i64> = BTreeMap::new();
        for repository in &self.repositories {
            *held.entry(repository.repo.owner.as_str()).or_default() += 1;
        }
        let budget = &self.metrics.webhook;
        for (owner, repositories) in held {
            let labels = metrics::InstallationLabels {
                installation: owner.to_string(),
            };
            budget.repositories.get_or_create(&labels).set(repositories);
            tracing::info!(
                installation = owner,
                repositories,
                points = budget.points.get_or_create(&labels).get(),
                not_modified = budget.not_modified.get_or_create(&labels).get(),
                remaining = budget.remaining.get_or_create(&labels).get(),
                "installation budget"
            );
        }
    }

    fn defer(
        &self,
        report: &mut LoopReport,
        repository: &Repository,
        reason: String,
        now: DateTime<Utc>,
    ) {
        tracing::warn!(repository = %repository.repo, "deferred to the next loop: {reason}");
        let name = repository.repo.to_string();
        self.metrics.board.failed(&name, now, &reason);
        self.count_tick(repository, "deferred");
        report.deferred.push((repository.repo.to_string(), reason));
    }

    fn count_tick(&self, repository: &Repository, result: &str) {
        let labels = metrics::TickLabels {
            repository: repository.repo.to_string(),
            result: result.into(),
        };
        self.metrics.ticks.get_or_create(&labels).inc();
    }

    /// Per-repository clients have their own counters; take this loop's and zero them.
    fn count_requests(&self, repository: &Repository, report: &mut LoopReport) {
        let stats = repository.gh.take_stats();
        for (name, value) in [
            ("read", stats.reads),
            ("write", stats.writes),
            ("retry", stats.retries),
            ("not_modified", stats.not_modified),
        ] {
            self.metrics
                .requests
                .get_or_create(&metrics::KindLabels { kind: name.into() })
                .inc_by(value);
        }
        report.requests += stats.reads + stats.writes;
        report.not_modified += stats.not_modified;
        repository.points.store(stats.points(), Ordering::Relaxed);
        if let Some(remaining) = stats.rate_limit_remaining {
            repository
                .remaining
                .store(remaining as i64, Ordering::Relaxed);
        }
        let installation = metrics::InstallationLabels {
            installation: repository.repo.owner.clone(),
        };
        let budget = &self.metrics.webhook;
        budget
            .points
            .get_or_create(&installation)
            .inc_by(stats.points());
        budget
            .not_modified
            .get_or_create(&installation)
            .inc_by(stats.not_modified);
        if let Some(remaining) = stats.rate_limit_remaining {
            budget
                .remaining
                .get_or_create(&installation)
                .set(remaining as i64);
        }
        if let Some(remaining) = stats.rate_limit_remaining {
            let labels = metrics::RepoLabels {
                repository: repository.repo.to_string(),
            };
            self.metrics
                .rate_limit_remaining
                .get_or_create(&labels)
                .set(remaining as i64);
        }
    }
}

fn kind(effect: &Effect) -> metrics::KindLabels {
    let value = serde_json::to_value(effect).ok();
    let kind = value
        .as_ref()
        .and_then(|v| v["kind"].as_str())
        .unwrap_or("unknown")
        .to_string();
    metrics::KindLabels { kind }
}

/// The wait before the next loop: `interval` give or take a tenth, from `seed` (no clock or
/// randomness here, so it is testable). A loop that overran simply starts the next one later.
pub(crate) fn jittered(interval: Duration, seed: u64) -> Duration {
    let tenth = interval.as_millis() as u64 / 10;
    if tenth == 0 {
        return interval;
    }
    let spread = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        >> 33;
    let offset = spread % (2 * tenth + 1);
    interval - Duration::from_millis(tenth) + Duration::from_millis(offset)
}

/// A repository a delivery named is ticked at once, then at most once per this window while
/// deliveries about it keep coming: a burst of events becomes one tick.
pub(crate) const PROMPT_WINDOW: Duration = Duration::from_secs(1);

/// Repositories waiting for a prompt tick, and when each was last prompt-ticked.
#[derive(Debug, Default)]
pub(crate) struct Prompts {
    waiting: BTreeSet<Repo>,
    last: BTreeMap<Repo, Instant>,
}

impl Prompts {
    /// Adds what deliveries asked for, keeping only repositories in `served`.
    pub(crate) fn add(&mut self, prompt: webhook::Prompt, served: &[Repository]) {
        let served = |r: &Repo| served.iter().any(|s| &s.repo == r);
        for repo in prompt.removed.into_iter().filter(served) {
            tracing::warn!(repository = %repo, "removed from the App installation; its ticks fail until it is added back or dropped from the config");
        }
        let asked = prompt.tick.into_iter().chain(prompt.added);
        self.waiting.extend(asked.filter(served));
    }

    /// The waiting repositories whose window has passed at `now`.
    pub(crate) fn due(&self, now: Instant) -> BTreeSet<Repo> {
        self.waiting
            .iter()
            .filter(|r| self.last.get(*r).is_none_or(|t| now >= *t + PROMPT_WINDOW))
            .cloned()
            .collect()
    }

    /// When the next waiting repository falls due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.waiting
            .iter()
            .map(|r| self.last.get(r).map(|t| *t + PROMPT_WINDOW))
            .map(|due| due.unwrap_or_else(Instant::now))
            .min()
    }

    /// `repos` were ticked at `at`; windows that have passed are forgotten.
    pub(crate) fn ticked(&mut self, repos: &BTreeSet<Repo>, at: Instant) {
        self.last.retain(|_, t| at < *t + PROMPT_WINDOW);
        for repo in repos {
            self.waiting.remove(repo);
            self.last.insert(repo.clone(), at);
        }
    }

    /// A full loop ticks everything that was waiting; returns what was.
    pub(crate) fn covered(&mut self) -> BTreeSet<Repo> {
        std::mem::take(&mut self.waiting)
    }
}

/// Run loops until `stop` turns true; a loop in flight always finishes first. With a leader,
/// only the replica holding the lease ticks. The repositories `inbox`'s deliveries name are
/// ticked between loops, and the repositories an App installation gains or loses followed (see
/// [`Service::follow_installation`]).
pub async fn run_with_inbox(
    service: &mut Service<'_>,
    interval: Duration,
    clock: &dyn crate::github::Clock,
    mut stop: watch::Receiver<bool>,
    mut leader: Option<Leader>,
    inbox: &webhook::Inbox,
) {
    let mut round: u64 = 0;
    let mut next_loop = Instant::now();
    let mut prompts = Prompts::default();
    // The client new repositories are served with (each one scopes and caps its own copy).
    let base = service.repositories.first().map(|r| r.gh.clone());
    while !*stop.borrow() {
        let leading = leader.as_ref().is_none_or(Leader::is_leader);
        service.metrics.leader.set(i64::from(leading));
        inbox.set_leading(leading);
        let prompt = inbox.take();
        if let Some(base) = &base {
            service.follow_installation(&prompt, base).await;
        }
        prompts.add(prompt, &service.repositories);
        if !leading {
            prompts = Prompts::default();
        } else if Instant::now() >= next_loop {
            round += 1;
            let prompted = prompts.covered();
            full_loop(service, clock, &prompted).await;
            next_loop = Instant::now() + jittered(interval, round);
        } else {
            let due = prompts.due(Instant::now());
            if !due.is_empty() {
                prompt_tick(service, clock, &due).await;
                prompts.ticked(&due, Instant::now());
            }
        }
        let wake = prompts
            .next_due()
            .map_or(next_loop, |due| due.min(next_loop));
        let wait = wake.saturating_duration_since(Instant::now());
        tokio::select! {
            _ = stop.changed() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = inbox.posted() => {}
            _ = async { if let Some(l) = leader.as_mut() { l.changed(wait).await } else { std::future::pending().await } } => {}
        }
    }
}

async fn full_loop(
    service: &Service<'_>,
    clock: &dyn crate::github::Clock,
    prompted: &BTreeSet<Repo>,
) {
    let report = service.run_loop(prompted, clock.now()).await;
    service.log_budget();
    tracing::info!(
        ticked = report.ticked.len(),
        deferred = report.deferred.len(),
        effects = report.effects,
        requests = report.requests,
        not_modified = report.not_modified,
        "loop done"
    );
}

async fn prompt_tick(
    service: &Service<'_>,
    clock: &dyn crate::github::Clock,
    due: &BTreeSet<Repo>,
) {
    let report = service.run_prompted(due, clock.now()).await;
    let ticked = report.ticked.len() + report.deferred.len();
    service.metrics.webhook.prompted_ticks.inc_by(ticked as u64);
    tracing::info!(
        ticked = report.ticked.len(),
        deferred = report.deferred.len(),
        effects = report.effects,
        requests = report.requests,
        not_modified = report.not_modified,
        "prompt tick done"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repos(names: &[&str]) -> BTreeSet<Repo> {
        names.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn config(yaml: &str) -> Config {
        let text = format!("version: 1\nconductor:\n{yaml}");
        Config::from_yaml("membership test", &text).unwrap()
    }

    #[test]
    fn only_the_topic_source_follows_the_installation() {
        let prompt = webhook::Prompt {
            added: repos(&["acme/new", "acme/web", "other/x", "acme/listed"]),
            removed: repos(&["acme/old", "acme/gone", "acme/listed"]),
            ..Default::default()
        };
        let served: Vec<Repo> = repos(&["acme/web", "acme/old", "acme/listed"])
            .into_iter()
            .collect();
        let following = config(
            "  repositories: [acme/listed]\n  repositories_from: {owner: acme, topic: shiprig}\n",
        );
        assert_eq!(
            membership(&prompt, &served, &following),
            Membership {
                check: vec!["acme/new".parse().unwrap()],
                drop: vec!["acme/old".parse().unwrap()],
            },
            "new ones of the owner are read back; listed ones and other owners stay as they are"
        );
        let listed = config("  repositories: [acme/web, acme/old]\n");
        assert_eq!(membership(&prompt, &served, &listed), Membership::default());
    }

    #[test]
    fn jitter_stays_within_a_tenth() {
        let interval = Duration::from_secs(60);
        let waits: BTreeSet<Duration> = (0..200).map(|seed| jittered(interval, seed)).collect();
        assert!(
            waits
                .iter()
                .all(|w| *w >= Duration::from_secs(54) && *w <= Duration::from_secs(66))
        );
        assert!(waits.len() > 50, "the waits spread out");
    }
}
