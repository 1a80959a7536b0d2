//! `shiprig conductor run`: the stateless tick as a long-lived service. One loop ticks every
//! repository with one shared agent pool, sleeps a jittered interval, and stops only between
//! ticks (SIGTERM finishes the tick in flight). The status page (`/`, `/api/v1/state`), `/healthz`
//! and `/metrics` are served alongside.

pub mod leader;
pub mod metrics;
pub mod serve;
pub mod status;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::watch;

use crate::agents::Backend;
use crate::conductor::{self, Effect, Tick};
use crate::config::Config;
use crate::github::{GitHub, Repo};
use crate::notify::Notifier;
pub use leader::Leader;
pub use metrics::Metrics;

/// One repository the service ticks, with its own capped client.
pub struct Repository {
    pub repo: Repo,
    pub gh: GitHub,
}

impl Repository {
    /// A client for `repo` with the config's per-loop request budget.
    pub fn new(gh: &GitHub, repo: Repo, budget: u32) -> Repository {
        Repository {
            gh: gh.for_repo(&repo).with_budget(u64::from(budget)),
            repo,
        }
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

/// What one loop did, per repository.
#[derive(Debug, Clone, Serialize)]
pub struct LoopReport {
    pub ticked: Vec<String>,
    pub deferred: Vec<(String, String)>,
    pub effects: usize,
    pub requests: u64,
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
        let labels = &self.config.labels;
        let mut report = LoopReport {
            ticked: vec![],
            deferred: vec![],
            effects: 0,
            requests: 0,
        };
        let mut snapshots = Vec::new();
        for repository in &self.repositories {
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
            match conductor::tick_from(&tick, snapshot, now, false).await {
                Ok(mut done) => {
                    self.show(&tick, &mut done, now).await;
                    let applied = done.applied.unwrap_or_default();
                    for effect in &applied.done {
                        self.metrics.effects.get_or_create(&kind(effect)).inc();
                        if let Effect::Start { agent, .. } = effect {
                            busy.insert(agent.clone());
                        }
                    }
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
        ] {
            self.metrics
                .requests
                .get_or_create(&metrics::KindLabels { kind: name.into() })
                .inc_by(value);
        }
        report.requests += stats.reads + stats.writes;
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
pub fn jittered(interval: Duration, seed: u64) -> Duration {
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

/// Run loops until `stop` turns true; a loop in flight always finishes first. With a leader,
/// only the replica holding the lease ticks.
pub async fn run(
    service: &Service<'_>,
    interval: Duration,
    clock: &dyn crate::github::Clock,
    mut stop: watch::Receiver<bool>,
    mut leader: Option<Leader>,
) {
    let mut round: u64 = 0;
    while !*stop.borrow() {
        round += 1;
        let leading = leader.as_ref().is_none_or(Leader::is_leader);
        service.metrics.leader.set(i64::from(leading));
        if leading {
            let report = service.run_once(clock.now()).await;
            tracing::info!(
                ticked = report.ticked.len(),
                deferred = report.deferred.len(),
                effects = report.effects,
                requests = report.requests,
                "loop done"
            );
        }
        let wait = jittered(interval, round);
        tokio::select! {
            _ = stop.changed() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = async { if let Some(l) = leader.as_mut() { l.changed(wait).await } else { std::future::pending().await } } => {}
        }
    }
}
