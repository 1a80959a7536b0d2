//! `shiprig conductor explain ISSUE`: why one issue is (or is not) being worked on, read off
//! the plan a tick makes. Pure: every answer comes from the plan's queue, its standings and the
//! snapshot it was made from; nothing here decides anything the plan did not.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::effect::{Rank, Standing, TickPlan};
use super::plan;
use super::snapshot::Snapshot;
use crate::config::Config;

/// Everything `explain` says about one issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub(crate) repository: String,
    pub issue: u64,
    pub(crate) title: String,
    pub(crate) url: String,
    /// Whether its approval counts, and why not.
    pub approval: ApprovalView,
    /// Its blockers as read (open and closed, across repositories).
    pub blockers: Vec<BlockerView>,
    pub(crate) rank: Option<Rank>,
    /// Its place in the plan's queue (1-based) and the queue's length.
    pub position: Option<usize>,
    pub queue_length: usize,
    /// Issues before it in the queue that an agent could take (starting now or waiting).
    pub(crate) ahead: usize,
    /// The plan's own standing for it (`None`: not approved or not open).
    pub standing: Option<Standing>,
    pub agents: Capacity,
    pub claim: Option<ClaimView>,
    pub verdict: IssueVerdict,
    /// The one thing that would move it next.
    pub next: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ApprovalView {
    /// No `approved` label: nobody asked for it yet.
    NotApproved,
    Counts {
        actor: String,
        at: DateTime<Utc>,
        permission: Option<String>,
    },
    NotHonoured {
        actor: Option<String>,
        at: Option<DateTime<Utc>>,
        permission: Option<String>,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockerView {
    pub(crate) repository: String,
    pub number: u64,
    pub open: bool,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capacity {
    pub(crate) agents: Vec<String>,
    pub idle: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimView {
    pub agent: String,
    pub since: Option<DateTime<Utc>>,
    pub(crate) run_url: Option<String>,
    pub(crate) run_state: Option<String>,
}

/// Where the issue stands, in the words a person asks about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum IssueVerdict {
    /// This tick gives it to `agent`.
    Dispatched {
        agent: String,
    },
    InProgress {
        agent: Option<String>,
    },
    InReview,
    /// It waits for the issues before it; agents are idle, but fewer than those.
    QueuedBehind {
        ahead: usize,
    },
    /// Every agent is busy.
    NoAgentFree {
        ahead: usize,
    },
    BlockedBy {
        blockers: Vec<String>,
    },
    InCycle {
        cycle: Vec<u64>,
    },
    ApprovalNotHonoured {
        reason: String,
    },
    AgentFailed,
    /// Its agent failed; the fallback chain's `next` agent takes it when it comes free.
    HandedOff {
        next: Option<String>,
    },
    Held {
        label: String,
    },
    NotApproved,
    /// Closed, or not an issue the Conductor reads.
    NotOpen,
}

/// Explain `issue` from the plan `plan` made of `snapshot`.
pub(crate) fn explain(
    snapshot: &Snapshot,
    plan: &TickPlan,
    config: &Config,
    issue: u64,
) -> Explanation {
    let repository = snapshot
        .repo
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let state = snapshot.issues.get(&issue);
    let position = plan.queue.iter().position(|e| e.issue == issue);
    let entry = position.map(|p| &plan.queue[p]);
    let standing = match entry {
        Some(entry) => Some(entry.standing.clone()),
        None => plan::standing(snapshot, config, issue),
    };
    let ahead = position.map_or(0, |p| {
        plan.queue[..p]
            .iter()
            .filter(|e| matches!(e.standing, Standing::Next { .. } | Standing::Waiting))
            .count()
    });
    let blockers = blockers(snapshot, issue, state.map(|s| s.url.as_str()));
    let approved = state.is_some_and(|s| s.has(&config.labels.approved));
    let verdict = verdict(
        snapshot,
        plan,
        config,
        issue,
        standing.as_ref(),
        approved,
        ahead,
        &blockers,
    );
    let next = next_move(&verdict, config);
    Explanation {
        repository,
        issue,
        title: state.map(|s| s.title.clone()).unwrap_or_default(),
        url: state.map(|s| s.url.clone()).unwrap_or_default(),
        approval: approval(snapshot, config, issue, approved, standing.as_ref()),
        blockers,
        rank: entry.map(|e| e.rank),
        position: position.map(|p| p + 1),
        queue_length: plan.queue.len(),
        ahead,
        standing,
        agents: Capacity {
            agents: config
                .conductor
                .agents
                .iter()
                .map(|a| a.name.clone())
                .collect(),
            idle: plan.idle_agents.clone(),
        },
        claim: claim(snapshot, config, issue),
        verdict,
        next,
    }
}

#[allow(clippy::too_many_arguments)]
fn verdict(
    snapshot: &Snapshot,
    plan: &TickPlan,
    config: &Config,
    issue: u64,
    standing: Option<&Standing>,
    approved: bool,
    ahead: usize,
    blockers: &[BlockerView],
) -> IssueVerdict {
    if !snapshot.issues.contains_key(&issue) {
        return IssueVerdict::NotOpen;
    }
    let Some(standing) = standing else {
        return if approved {
            IssueVerdict::QueuedBehind { ahead }
        } else {
            IssueVerdict::NotApproved
        };
    };
    match standing {
        Standing::Next { agent } => IssueVerdict::Dispatched {
            agent: agent.clone(),
        },
        Standing::Waiting if plan.idle_agents.is_empty() => IssueVerdict::NoAgentFree { ahead },
        Standing::Waiting => IssueVerdict::QueuedBehind { ahead },
        Standing::Blocked => IssueVerdict::BlockedBy {
            blockers: blockers
                .iter()
                .filter(|b| b.open)
                .map(|b| format!("{}#{}", b.repository, b.number))
                .collect(),
        },
        Standing::InCycle => IssueVerdict::InCycle {
            cycle: plan.cycles.get(&issue).cloned().unwrap_or_default(),
        },
        Standing::InProgress { agent } => IssueVerdict::InProgress {
            agent: agent.clone(),
        },
        Standing::InReview => IssueVerdict::InReview,
        Standing::HandedOff { next } => IssueVerdict::HandedOff { next: next.clone() },
        Standing::Held { label } if label.eq_ignore_ascii_case(&config.labels.agent_failed) => {
            IssueVerdict::AgentFailed
        }
        Standing::Held { label } => IssueVerdict::Held {
            label: label.clone(),
        },
        Standing::Untrusted { .. } | Standing::Unverified { .. } => {
            IssueVerdict::ApprovalNotHonoured {
                reason: not_honoured(Some(standing), config).unwrap_or_default(),
            }
        }
    }
}

/// The one thing that would move the issue next.
fn next_move(verdict: &IssueVerdict, config: &Config) -> String {
    let labels = &config.labels;
    match verdict {
        IssueVerdict::Dispatched { agent } => format!("nothing: this tick starts {agent} on it"),
        IssueVerdict::InProgress { agent } => format!(
            "{} opening a pull request that closes it",
            agent.as_deref().unwrap_or("its agent")
        ),
        IssueVerdict::InReview => "a person's review and merge of its pull request".into(),
        IssueVerdict::QueuedBehind { ahead } => format!(
            "{ahead} issue{} ahead of it being taken, or a higher priority label (`{}`, `{}`)",
            if *ahead == 1 { "" } else { "s" },
            labels.critical,
            labels.high_priority
        ),
        IssueVerdict::NoAgentFree { ahead: 0 } => {
            "an agent coming free: it is next in the queue".into()
        }
        IssueVerdict::NoAgentFree { ahead } => format!(
            "agents coming free for the {ahead} issue{} ahead of it, then for it",
            if *ahead == 1 { "" } else { "s" }
        ),
        IssueVerdict::BlockedBy { blockers } if blockers.is_empty() => {
            "its open blockers closing (the token cannot read them all)".into()
        }
        IssueVerdict::BlockedBy { blockers } => format!("{} closing", blockers.join(", ")),
        IssueVerdict::InCycle { .. } => {
            "a person removing one dependency of the cycle it sits on".into()
        }
        IssueVerdict::ApprovalNotHonoured { .. } => format!(
            "a person with `{}` permission or more adding `{}` again",
            config.approvers.min_permission, labels.approved
        ),
        IssueVerdict::AgentFailed => format!(
            "a person looking at the failed run, then removing `{}`",
            labels.agent_failed
        ),
        IssueVerdict::HandedOff { next: Some(next) } => {
            format!("{next} coming free: the fallback chain hands it the issue next")
        }
        IssueVerdict::HandedOff { next: None } => {
            "the next tick reading the handoffs and starting the chain's next agent".into()
        }
        IssueVerdict::Held { label } if label == "assigned to a person" => {
            "its assignee finishing it, or unassigning themselves".into()
        }
        IssueVerdict::Held { label } if *label == labels.done => "nothing: it shipped".into(),
        IssueVerdict::Held { label } => format!("a person removing `{label}`"),
        IssueVerdict::NotApproved => format!(
            "a person with `{}` permission or more adding `{}`",
            config.approvers.min_permission, labels.approved
        ),
        IssueVerdict::NotOpen => {
            "nothing: it is closed, or carries no label the Conductor reads".into()
        }
    }
}

fn approval(
    snapshot: &Snapshot,
    config: &Config,
    issue: u64,
    approved: bool,
    standing: Option<&Standing>,
) -> ApprovalView {
    if !approved {
        return ApprovalView::NotApproved;
    }
    if let Some(reason) = snapshot.approvals_unknown.get(&issue) {
        return ApprovalView::NotHonoured {
            actor: None,
            at: None,
            permission: None,
            reason: reason.clone(),
        };
    }
    let Some(found) = snapshot.approvals.get(&issue) else {
        return ApprovalView::NotHonoured {
            actor: None,
            at: None,
            permission: None,
            reason: "who approved it was not read".into(),
        };
    };
    let permission = found.permission.map(|p| p.to_string());
    match not_honoured(standing, config) {
        Some(reason) => ApprovalView::NotHonoured {
            actor: Some(found.actor.clone()),
            at: Some(found.at),
            permission,
            reason,
        },
        None => ApprovalView::Counts {
            actor: found.actor.clone(),
            at: found.at,
            permission,
        },
    }
}

/// Why the plan does not honour an approval, when its standing says so.
fn not_honoured(standing: Option<&Standing>, config: &Config) -> Option<String> {
    match standing {
        Some(Standing::Untrusted { actor }) => Some(format!(
            "{actor} is a bot, an agent or shiprig itself, or has less than `{}` permission",
            config.approvers.min_permission
        )),
        Some(Standing::Unverified { reason }) => Some(reason.clone()),
        _ => None,
    }
}

/// The issue's blockers as read, each with its address on the web (built like the issue's own).
fn blockers(snapshot: &Snapshot, issue: u64, own_url: Option<&str>) -> Vec<BlockerView> {
    let web = web_base(snapshot, issue, own_url);
    snapshot
        .blockers
        .get(&issue)
        .map(|list| {
            list.iter()
                .map(|b| BlockerView {
                    repository: b.repo.to_string(),
                    number: b.number,
                    open: b.open,
                    url: format!("{web}/{}/issues/{}", b.repo, b.number),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The web address GitHub's issue links start with (`https://github.com`, or a GHES host),
/// taken from an issue's own link; `https://github.com` when there is none.
pub(crate) fn web_base(snapshot: &Snapshot, issue: u64, own_url: Option<&str>) -> String {
    let suffix = snapshot
        .repo
        .as_ref()
        .map(|r| format!("/{r}/issues/{issue}"));
    own_url
        .zip(suffix)
        .and_then(|(url, suffix)| url.strip_suffix(suffix.as_str()).map(str::to_string))
        .unwrap_or_else(|| "https://github.com".into())
}

fn claim(snapshot: &Snapshot, config: &Config, issue: u64) -> Option<ClaimView> {
    let state = snapshot.issues.get(&issue)?;
    let prefix = &config.labels.agent_prefix;
    let agent = state
        .labels
        .iter()
        .find_map(|l| l.strip_prefix(prefix.as_str()))?
        .to_string();
    let record = snapshot.claims.get(&issue).and_then(|records| {
        records
            .iter()
            .filter(|r| r.agent == agent)
            .max_by_key(|r| r.at)
    });
    let run = snapshot
        .runs
        .iter()
        .flatten()
        .filter(|r| r.issue == issue && r.agent == agent)
        .max_by_key(|r| r.started_at);
    let labelled = snapshot
        .claim_labels
        .get(&issue)
        .and_then(|l| l.as_ref().map(|(_, at)| *at));
    Some(ClaimView {
        since: record
            .map(|r| r.at)
            .or(run.map(|r| r.started_at))
            .or(labelled),
        run_url: run.map(|r| r.url.clone()),
        run_state: run.map(|r| match &r.state {
            crate::agents::RunState::Running => "running".to_string(),
            crate::agents::RunState::Succeeded => "succeeded".to_string(),
            crate::agents::RunState::Failed(why) => format!("failed: {why}"),
        }),
        agent,
    })
}

/// The explanation as a person reads it.
pub(crate) fn render(e: &Explanation) -> String {
    let mut out = format!("{}#{} {}\n", e.repository, e.issue, e.title);
    if !e.url.is_empty() {
        out.push_str(&format!("  {}\n", e.url));
    }
    out.push_str(&format!("  now:       {}\n", verdict_text(&e.verdict)));
    out.push_str(&format!("  next:      {}\n", e.next));
    out.push_str(&format!("  approval:  {}\n", approval_text(&e.approval)));
    match (e.position, e.rank) {
        (Some(p), Some(rank)) => out.push_str(&format!(
            "  queue:     {p} of {} ({} priority; {} ahead an agent could take)\n",
            e.queue_length,
            rank.label(),
            e.ahead
        )),
        _ => out.push_str(&format!(
            "  queue:     not in it ({} queued)\n",
            e.queue_length
        )),
    }
    let open: Vec<&BlockerView> = e.blockers.iter().filter(|b| b.open).collect();
    if open.is_empty() {
        out.push_str("  blockers:  none open\n");
    }
    for b in open {
        out.push_str(&format!(
            "  blocker:   {}#{} (open) {}\n",
            b.repository, b.number, b.url
        ));
    }
    out.push_str(&format!(
        "  agents:    {} idle of {} ({})\n",
        e.agents.idle.len(),
        e.agents.agents.len(),
        if e.agents.idle.is_empty() {
            "none free".to_string()
        } else {
            e.agents.idle.join(", ")
        }
    ));
    if let Some(claim) = &e.claim {
        let since = claim
            .since
            .map(|t| format!(" since {}", t.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default();
        let run = match (&claim.run_url, &claim.run_state) {
            (Some(url), Some(state)) => format!("; run {state}: {url}"),
            _ => String::new(),
        };
        out.push_str(&format!("  claim:     {}{since}{run}\n", claim.agent));
    }
    printable(&out)
}

/// Titles, labels and logins are other people's text: on a terminal, a control character (an
/// escape sequence) would be obeyed, so each one prints as a space.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}

pub(crate) fn verdict_text(verdict: &IssueVerdict) -> String {
    match verdict {
        IssueVerdict::Dispatched { agent } => format!("dispatched: this tick starts {agent}"),
        IssueVerdict::InProgress { agent } => {
            format!("in progress ({})", agent.as_deref().unwrap_or("?"))
        }
        IssueVerdict::InReview => "in review".into(),
        IssueVerdict::QueuedBehind { ahead } => format!("queued behind {ahead}"),
        IssueVerdict::NoAgentFree { ahead } => format!("no agent free ({ahead} ahead)"),
        IssueVerdict::BlockedBy { blockers } => format!("blocked by {}", blockers.join(", ")),
        IssueVerdict::InCycle { cycle } => format!("on a dependency cycle ({cycle:?})"),
        IssueVerdict::ApprovalNotHonoured { reason } => format!("approval not honoured: {reason}"),
        IssueVerdict::AgentFailed => "agent failed".into(),
        IssueVerdict::HandedOff { next } => {
            format!("handed off (next: {})", next.as_deref().unwrap_or("?"))
        }
        IssueVerdict::Held { label } => format!("held ({label})"),
        IssueVerdict::NotApproved => "not approved".into(),
        IssueVerdict::NotOpen => "not open".into(),
    }
}

fn approval_text(approval: &ApprovalView) -> String {
    match approval {
        ApprovalView::NotApproved => "none".into(),
        ApprovalView::Counts {
            actor,
            at,
            permission,
        } => format!(
            "counts: {actor} ({}) at {}",
            permission.as_deref().unwrap_or("no role"),
            at.format("%Y-%m-%d %H:%M UTC")
        ),
        ApprovalView::NotHonoured {
            actor,
            permission,
            reason,
            ..
        } => match actor {
            Some(actor) => format!(
                "not honoured: {actor} ({}): {reason}",
                permission.as_deref().unwrap_or("no role")
            ),
            None => format!("not honoured: {reason}"),
        },
    }
}
