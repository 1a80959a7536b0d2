//! The Conductor: one stateless pass that keeps `blocked` true, orders the queue and hands
//! issues to idle agents. State lives in GitHub only (labels, assignees, milestones, native
//! dependencies); `plan` decides, `apply` acts.

mod apply;
mod attempt;
pub mod claim;
mod effect;
mod failure;
pub mod fallback;
mod fix;
pub mod graph;
mod handoff;
pub mod job;
pub mod plan;
pub mod read;
pub mod render;
mod settle;
pub mod snapshot;
mod start;
pub mod summary;
mod task;
mod tick;
pub mod watch;

use chrono::{DateTime, Utc};

pub use apply::apply;
pub use effect::{
    Applied, Effect, Failed, Needs, Plan, QueueEntry, Rank, Standing, TickReport, Withdrawn,
};
pub use plan::plan;
pub use snapshot::Snapshot;
pub use tick::Tick;

use crate::github::RequestStats;

/// Rounds of "plan, read what it needs" before the plan is taken as final.
const MAX_READ_ROUNDS: usize = 4;

/// Read, decide, and (unless `dry_run`) act.
pub async fn tick(
    tick: &Tick<'_>,
    now: DateTime<Utc>,
    dry_run: bool,
) -> anyhow::Result<TickReport> {
    let before = tick.gh.stats();
    let snapshot = read::base(tick.gh, tick.repo, tick.config).await?;
    let report = tick_from(tick, snapshot, now, dry_run).await?;
    Ok(TickReport {
        requests: difference(before, tick.gh.stats()),
        ..report
    })
}

/// A tick from an already read base snapshot (`conductor run` reads every repository first
/// to know which agents of the shared pool are busy anywhere).
pub async fn tick_from(
    tick: &Tick<'_>,
    snapshot: Snapshot,
    now: DateTime<Utc>,
    dry_run: bool,
) -> anyhow::Result<TickReport> {
    let before = tick.gh.stats();
    let (snapshot, plan) = decide_from(tick, snapshot, now).await?;
    let applied = if dry_run {
        None
    } else {
        Some(apply(tick, &plan).await)
    };
    let after = tick.gh.stats();
    Ok(TickReport {
        repository: tick.repo.to_string(),
        dry_run,
        plan,
        applied,
        requests: difference(before, after),
        snapshot,
    })
}

/// The read rounds and the final plan, with no writes.
pub async fn decide(tick: &Tick<'_>, now: DateTime<Utc>) -> anyhow::Result<(Snapshot, Plan)> {
    let snapshot = read::base(tick.gh, tick.repo, tick.config).await?;
    decide_from(tick, snapshot, now).await
}

async fn decide_from(
    tick: &Tick<'_>,
    mut snapshot: Snapshot,
    now: DateTime<Utc>,
) -> anyhow::Result<(Snapshot, Plan)> {
    let mut current = plan(&snapshot, tick.config, now);
    for _ in 0..MAX_READ_ROUNDS {
        if current.needs.is_empty() {
            break;
        }
        read::needs(tick, &mut snapshot, &current.needs).await?;
        current = plan(&snapshot, tick.config, now);
    }
    Ok((snapshot, current))
}

/// Most blocker lists read to draw the job summary's dependency graphs.
const GRAPH_READ_LIMIT: usize = 30;

/// Read the blocker lists the milestone graphs need, after a tick that changed something
/// (a quiet tick stays cheap: its summary shows the queue and the nodes only).
pub async fn read_graph(tick: &Tick<'_>, report: &mut TickReport) -> anyhow::Result<()> {
    if report.plan.effects.is_empty() {
        return Ok(());
    }
    let snapshot = &report.snapshot;
    let open_milestones: Vec<u64> = snapshot.milestones.iter().map(|m| m.number).collect();
    let wanted = snapshot
        .issues
        .values()
        .filter(|i| i.milestone.is_some_and(|m| open_milestones.contains(&m)))
        .filter(|i| i.open_blockers > 0 && !snapshot.blockers.contains_key(&i.number))
        .map(|i| i.number)
        .take(GRAPH_READ_LIMIT)
        .collect();
    let needs = Needs {
        blockers: wanted,
        ..Needs::default()
    };
    read::needs(tick, &mut report.snapshot, &needs).await
}

fn difference(before: RequestStats, after: RequestStats) -> RequestStats {
    RequestStats {
        reads: after.reads - before.reads,
        writes: after.writes - before.writes,
        retries: after.retries - before.retries,
        rate_limit_remaining: after.rate_limit_remaining,
    }
}
