//! The Conductor: one stateless pass that keeps `blocked` true, orders the queue and hands
//! issues to idle agents. State lives in GitHub only (labels, assignees, milestones, native
//! dependencies); `plan` decides, `apply` acts.

mod apply;
mod attempt;
pub(crate) mod claim;
mod effect;
pub mod explain;
mod failure;
pub(crate) mod fallback;
mod fix;
pub(crate) mod graph;
mod handoff;
pub(crate) mod job;
pub mod plan;
pub(crate) mod read;
pub(crate) mod render;
mod settle;
pub mod snapshot;
mod start;
pub mod summary;
mod task;
mod tick;
pub(crate) mod watch;

use chrono::{DateTime, Utc};

pub(crate) use apply::apply;
pub(crate) use effect::Needs;
pub use effect::{Effect, Standing, TickPlan, TickReport};
#[cfg(feature = "demo")]
pub(crate) use effect::{QueueEntry, Rank};
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
pub(crate) async fn tick_from(
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
pub async fn decide(tick: &Tick<'_>, now: DateTime<Utc>) -> anyhow::Result<(Snapshot, TickPlan)> {
    let snapshot = read::base(tick.gh, tick.repo, tick.config).await?;
    decide_from(tick, snapshot, now).await
}

async fn decide_from(
    tick: &Tick<'_>,
    mut snapshot: Snapshot,
    now: DateTime<Utc>,
) -> anyhow::Result<(Snapshot, TickPlan)> {
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

/// `explain`: the tick's plan with no writes, plus what the tick may not have needed to read
/// (who approved every queued issue, which decides the queue's true order, and the issue's
/// blocker list), then the same plan made again with those facts. Read-only. Returns that
/// plan with the explanation read off it.
pub async fn explain(
    tick: &Tick<'_>,
    issue: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<(TickPlan, explain::Explanation)> {
    let (mut snapshot, mut current) = decide(tick, now).await?;
    let approved = &tick.config.labels.approved;
    let mut needs = Needs {
        approvals: snapshot
            .issues
            .values()
            .filter(|i| i.has(approved))
            .map(|i| i.number)
            .filter(|n| !snapshot.approvals.contains_key(n))
            .filter(|n| !snapshot.approvals_unknown.contains_key(n))
            .collect(),
        ..Needs::default()
    };
    if let Some(state) = snapshot.issues.get(&issue)
        && state.open_blockers > 0
        && !snapshot.blockers.contains_key(&issue)
    {
        needs.blockers.insert(issue);
    }
    if !needs.is_empty() {
        read::needs(tick, &mut snapshot, &needs).await?;
        current = plan(&snapshot, tick.config, now);
    }
    let explained = explain::explain(&snapshot, &current, tick.config, issue);
    Ok((current, explained))
}

/// Most blocker lists read over REST (one request each) for the graphs, when an issue has more
/// blockers than the batch read shows.
const GRAPH_REST_LIMIT: usize = 10;

/// Read the blocker lists the milestone graphs and the status page need, on every tick: every
/// blocked issue whose list the tick did not read, in one GraphQL request per 50 issues. A
/// quiet tick stays bounded: `ceil(blocked / 50)` requests, plus at most [`GRAPH_REST_LIMIT`]
/// for issues with more than 50 blockers.
pub async fn read_graph(tick: &Tick<'_>, report: &mut TickReport) -> anyhow::Result<()> {
    let wanted = graph::wanted(&report.snapshot);
    read::blocker_lists(
        tick.gh,
        tick.repo,
        &wanted,
        GRAPH_REST_LIMIT,
        &mut report.snapshot,
    )
    .await
}

fn difference(before: RequestStats, after: RequestStats) -> RequestStats {
    RequestStats {
        reads: after.reads - before.reads,
        writes: after.writes - before.writes,
        retries: after.retries - before.retries,
        not_modified: after.not_modified - before.not_modified,
        rate_limit_remaining: after.rate_limit_remaining,
    }
}
