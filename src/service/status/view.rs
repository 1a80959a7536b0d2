//! What the status page shows, as plain data built from one tick's snapshot and plan (and
//! served as JSON). Pure: the same tick gives the same view.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::conductor::explain::web_base;
use crate::conductor::summary::describe;
use crate::conductor::{Snapshot, Standing, TickPlan};
use crate::config::Config;

/// Every repository the service ticks.
#[derive(Debug, Clone, Serialize)]
pub struct StateView {
    pub(crate) generated_at: DateTime<Utc>,
    pub repositories: Vec<RepoView>,
}

/// How the last tick of a repository went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "reason", rename_all = "kebab-case")]
pub enum TickResult {
    /// No tick yet.
    Pending,
    Ok,
    /// Something could be started or is waiting, and some writes failed.
    Partial,
    /// The tick read and decided, and no approved issue can be given to an agent.
    NothingEligible,
    RateLimited(String),
    /// GitHub could not be read: the view is the last one that could.
    CouldNotRead(String),
}

impl TickResult {
    /// A failed tick's result from its reason: a rate limit or a spent request budget is told
    /// apart from GitHub not answering.
    pub(crate) fn from_failure(reason: &str) -> TickResult {
        let lower = reason.to_ascii_lowercase();
        if lower.contains("rate limit") || lower.contains("budget") {
            TickResult::RateLimited(reason.to_string())
        } else {
            TickResult::CouldNotRead(reason.to_string())
        }
    }

    pub(crate) fn text(&self) -> String {
        match self {
            TickResult::Pending => "not ticked yet".into(),
            TickResult::Ok => "ok".into(),
            TickResult::Partial => "ok, some writes failed".into(),
            TickResult::NothingEligible => "ok, nothing eligible".into(),
            TickResult::RateLimited(why) => format!("rate-limited: {why}"),
            TickResult::CouldNotRead(why) => format!("could not read GitHub: {why}"),
        }
    }

    pub(crate) fn class(&self) -> &'static str {
        match self {
            TickResult::Ok | TickResult::NothingEligible => "ok",
            TickResult::Pending | TickResult::Partial => "warn",
            TickResult::RateLimited(_) | TickResult::CouldNotRead(_) => "bad",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RepoView {
    pub repository: String,
    pub at: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub result: TickResult,
    pub(crate) agents: Vec<AgentView>,
    pub queue: Vec<QueueRow>,
    pub(crate) blocked: Vec<BlockedRow>,
    pub(crate) needs_person: Vec<PersonRow>,
    pub milestones: Vec<MilestoneView>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct AgentView {
    pub(crate) name: String,
    /// `idle`, `working`, `starting` (this tick) or `busy elsewhere`.
    pub(crate) state: String,
    pub(crate) issue: Option<IssueLink>,
    pub(crate) since: Option<DateTime<Utc>>,
    pub(crate) run_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssueLink {
    pub number: u64,
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueRow {
    pub position: usize,
    pub issue: IssueLink,
    pub rank: String,
    pub approved_at: Option<DateTime<Utc>>,
    /// The standing's name (`next`, `waiting`, `blocked`, …).
    pub state: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct BlockedRow {
    pub(crate) issue: IssueLink,
    pub(crate) blockers: Vec<BlockerLink>,
    /// Whether the blocker list was read this tick.
    pub(crate) read: bool,
    /// Open blockers GitHub counts that the list does not show (the token cannot read them).
    pub(crate) unseen: u32,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct BlockerLink {
    pub(crate) repository: String,
    pub(crate) number: u64,
    pub(crate) url: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct PersonRow {
    pub(crate) issue: IssueLink,
    pub(crate) reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MilestoneView {
    pub(crate) number: u64,
    pub(crate) title: String,
    pub(crate) url: String,
    pub(crate) open_issues: u64,
    pub(crate) closed_issues: u64,
    pub(crate) nodes: Vec<GraphNode>,
    /// `(blocker, blocked)` between the milestone's issues.
    pub edges: Vec<(u64, u64)>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct GraphNode {
    pub(crate) issue: IssueLink,
    /// `ready`, `progress`, `review` or `blocked`.
    pub(crate) class: String,
}

impl RepoView {
    /// A repository not read yet.
    pub fn empty(repository: &str) -> RepoView {
        RepoView {
            repository: repository.to_string(),
            at: None,
            result: TickResult::Pending,
            agents: vec![],
            queue: vec![],
            blocked: vec![],
            needs_person: vec![],
            milestones: vec![],
        }
    }
}

/// The view of one tick: `failed_writes` says whether applying its plan left writes undone.
pub fn build(
    snapshot: &Snapshot,
    plan: &TickPlan,
    config: &Config,
    at: DateTime<Utc>,
    failed_writes: bool,
) -> RepoView {
    let repository = snapshot
        .repo
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let eligible = plan
        .queue
        .iter()
        .any(|e| matches!(e.standing, Standing::Next { .. } | Standing::Waiting));
    let result = match (failed_writes, eligible) {
        (true, _) => TickResult::Partial,
        (false, true) => TickResult::Ok,
        (false, false) if plan.effects.is_empty() => TickResult::NothingEligible,
        (false, false) => TickResult::Ok,
    };
    RepoView {
        repository,
        at: Some(at),
        result,
        agents: agents(snapshot, plan, config),
        queue: queue(snapshot, plan),
        blocked: blocked(snapshot, plan),
        needs_person: needs_person(snapshot, plan, config),
        milestones: milestones(snapshot, plan),
    }
}

fn issue_ref(snapshot: &Snapshot, number: u64) -> IssueLink {
    let state = snapshot.issues.get(&number);
    IssueLink {
        number,
        title: state.map(|s| s.title.clone()).unwrap_or_default(),
        url: state.map(|s| s.url.clone()).unwrap_or_default(),
    }
}

fn state_name(standing: &Standing) -> String {
    serde_json::to_value(standing)
        .ok()
        .and_then(|v| v["state"].as_str().map(str::to_string))
        .unwrap_or_default()
}

fn agents(snapshot: &Snapshot, plan: &TickPlan, config: &Config) -> Vec<AgentView> {
    let labels = &config.labels;
    let starting: BTreeMap<&str, u64> = plan
        .queue
        .iter()
        .filter_map(|e| match &e.standing {
            Standing::Next { agent } => Some((agent.as_str(), e.issue)),
            _ => None,
        })
        .collect();
    config
        .conductor
        .agents
        .iter()
        .map(|agent| {
            let label = format!("{}{}", labels.agent_prefix, agent.name);
            let working = snapshot
                .issues
                .values()
                .find(|i| i.has(&labels.in_progress) && i.has(&label));
            let mut view = AgentView {
                name: agent.name.clone(),
                state: "idle".into(),
                issue: None,
                since: None,
                run_url: None,
            };
            if let Some(issue) = working {
                let run = snapshot
                    .runs
                    .iter()
                    .flatten()
                    .filter(|r| r.issue == issue.number && r.agent == agent.name)
                    .max_by_key(|r| r.started_at);
                let claimed = snapshot.claims.get(&issue.number).and_then(|c| {
                    c.iter()
                        .filter(|r| r.agent == agent.name)
                        .map(|r| r.at)
                        .max()
                });
                view.state = "working".into();
                view.issue = Some(issue_ref(snapshot, issue.number));
                view.since = claimed
                    .or(run.map(|r| r.started_at))
                    .or(Some(issue.updated_at));
                view.run_url = run.map(|r| r.url.clone());
            } else if let Some(&number) = starting.get(agent.name.as_str()) {
                view.state = "starting".into();
                view.issue = Some(issue_ref(snapshot, number));
            } else if snapshot.busy_elsewhere.contains(&agent.name) {
                view.state = "busy elsewhere".into();
            }
            view
        })
        .collect()
}

fn queue(snapshot: &Snapshot, plan: &TickPlan) -> Vec<QueueRow> {
    plan.queue
        .iter()
        .enumerate()
        .map(|(i, entry)| QueueRow {
            position: i + 1,
            issue: IssueLink {
                title: entry.title.clone(),
                ..issue_ref(snapshot, entry.issue)
            },
            rank: entry.rank.label().into(),
            approved_at: entry.approved_at,
            state: state_name(&entry.standing),
            reason: describe(&entry.standing),
        })
        .collect()
}

fn blocked(snapshot: &Snapshot, plan: &TickPlan) -> Vec<BlockedRow> {
    plan.queue
        .iter()
        .filter(|e| matches!(e.standing, Standing::Blocked | Standing::InCycle))
        .map(|entry| {
            let issue = issue_ref(snapshot, entry.issue);
            let web = web_base(snapshot, entry.issue, Some(&issue.url));
            let blockers: Vec<BlockerLink> = snapshot
                .blockers
                .get(&entry.issue)
                .into_iter()
                .flatten()
                .filter(|b| b.open)
                .map(|b| BlockerLink {
                    repository: b.repo.to_string(),
                    number: b.number,
                    url: format!("{web}/{}/issues/{}", b.repo, b.number),
                })
                .collect();
            let counted = snapshot
                .issues
                .get(&entry.issue)
                .map_or(0, |i| i.open_blockers);
            BlockedRow {
                read: snapshot.blockers.contains_key(&entry.issue),
                unseen: counted.saturating_sub(blockers.len() as u32),
                issue,
                blockers,
            }
        })
        .collect()
}

fn needs_person(snapshot: &Snapshot, plan: &TickPlan, config: &Config) -> Vec<PersonRow> {
    let labels = &config.labels;
    plan.queue
        .iter()
        .filter_map(|entry| {
            let reason = match &entry.standing {
                Standing::Held { label } if label.eq_ignore_ascii_case(&labels.agent_failed) => {
                    "the agent failed: look at its run, then remove the label".to_string()
                }
                Standing::Held { label } if label.eq_ignore_ascii_case(&labels.done) => {
                    return None;
                }
                Standing::Held { .. }
                | Standing::Untrusted { .. }
                | Standing::Unverified { .. }
                | Standing::InCycle => describe(&entry.standing),
                _ => return None,
            };
            Some(PersonRow {
                issue: issue_ref(snapshot, entry.issue),
                reason,
            })
        })
        .collect()
}

fn milestones(snapshot: &Snapshot, plan: &TickPlan) -> Vec<MilestoneView> {
    let standing: BTreeMap<u64, &Standing> =
        plan.queue.iter().map(|e| (e.issue, &e.standing)).collect();
    snapshot
        .milestones
        .iter()
        .map(|m| {
            let members: BTreeSet<u64> = snapshot
                .issues
                .values()
                .filter(|i| i.milestone == Some(m.number))
                .map(|i| i.number)
                .collect();
            let nodes = members
                .iter()
                .map(|&n| GraphNode {
                    issue: issue_ref(snapshot, n),
                    class: match standing.get(&n) {
                        Some(Standing::Next { .. } | Standing::InProgress { .. }) => "progress",
                        Some(Standing::InReview) => "review",
                        Some(Standing::Blocked | Standing::InCycle) => "blocked",
                        _ => "ready",
                    }
                    .into(),
                })
                .collect();
            let mut edges = Vec::new();
            for (&blocked, list) in &snapshot.blockers {
                if !members.contains(&blocked) {
                    continue;
                }
                for b in list
                    .iter()
                    .filter(|b| b.open && members.contains(&b.number))
                {
                    if snapshot.repo.as_ref().is_none_or(|r| *r == b.repo) {
                        edges.push((b.number, blocked));
                    }
                }
            }
            MilestoneView {
                number: m.number,
                title: m.title.clone(),
                url: m.url.clone(),
                open_issues: m.open_issues,
                closed_issues: m.closed_issues,
                nodes,
                edges,
            }
        })
        .collect()
}
