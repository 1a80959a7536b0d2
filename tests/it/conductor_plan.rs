//! The Conductor's decisions, tested on `plan` alone: no HTTP, no clock.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use shiprig::conductor::snapshot::{Approval, Blocker, TrackedIssue, TrackedMilestone};
use shiprig::conductor::{Effect, Snapshot, Standing, plan};
use shiprig::config::{Config, Permission};
use shiprig::github::Repo;

fn config(agents: usize) -> Config {
    let mut yaml =
        String::from("version: 1\napprovers: {min_permission: write}\nconductor:\n  agents:\n");
    if agents == 0 {
        yaml.push_str("    []\n");
    }
    for n in 1..=agents {
        yaml.push_str(&format!("    - {{name: agent-{n}, login: bot-{n}}}\n"));
    }
    Config::from_yaml("test", &yaml).unwrap()
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn repo() -> Repo {
    Repo::new("acme", "rig")
}

fn issue(number: u64, labels: &[&str]) -> TrackedIssue {
    TrackedIssue {
        number,
        id: 1000 + number,
        title: format!("issue {number}"),
        url: format!("https://github.com/acme/rig/issues/{number}"),
        labels: labels
            .iter()
            .map(|l| l.to_string())
            .chain(["approved".to_string()])
            .collect(),
        assignees: BTreeSet::new(),
        milestone: None,
        open_blockers: 0,
        blocking: 0,
        created_at: t0(),
        updated_at: t0(),
        body: String::new(),
    }
}

fn approval(minutes: i64, permission: Permission) -> Approval {
    Approval {
        at: t0() + Duration::minutes(minutes),
        actor: "pm".into(),
        permission: Some(permission),
        bot: false,
        text: None,
    }
}

/// A snapshot with every fact read: approvals by `pm` (write) and empty blocker lists.
fn snapshot(issues: Vec<TrackedIssue>) -> Snapshot {
    let mut snap = Snapshot {
        repo: Some(repo()),
        complete: true,
        runs: Some(Vec::new()),
        ..Snapshot::default()
    };
    for issue in issues {
        snap.approvals.insert(
            issue.number,
            approval(issue.number as i64, Permission::Write),
        );
        snap.blockers.entry(issue.number).or_default();
        snap.markers.entry(issue.number).or_default();
        snap.issues.insert(issue.number, issue);
    }
    snap
}

fn starts(effects: &[Effect]) -> Vec<(u64, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Start { issue, agent, .. } => Some((*issue, agent.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn critical_then_high_then_oldest_approval_then_number() {
    let mut snap = snapshot(vec![
        issue(1, &[]),
        issue(2, &["high-priority"]),
        issue(3, &[]),
        issue(4, &["critical"]),
        issue(5, &[]),
    ]);
    snap.approvals.insert(5, approval(-30, Permission::Write));
    snap.approvals.insert(3, approval(-30, Permission::Write));
    let planned = plan(&snap, &config(5), t0());
    let order: Vec<u64> = starts(&planned.effects)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(order, vec![4, 2, 3, 5, 1]);
}

#[test]
fn blocked_label_follows_open_blockers_both_ways() {
    let mut stale = issue(1, &["blocked"]);
    stale.open_blockers = 0;
    let mut fresh = issue(2, &[]);
    fresh.open_blockers = 2;
    let mut hidden = issue(3, &[]);
    hidden.open_blockers = 0;
    let mut snap = snapshot(vec![stale, fresh, hidden]);
    snap.blockers.insert(
        3,
        vec![Blocker {
            repo: Repo::new("acme", "other"),
            number: 9,
            open: true,
        }],
    );
    let planned = plan(&snap, &config(0), t0());
    assert!(planned.effects.contains(&Effect::RemoveLabel {
        issue: 1,
        label: "blocked".into(),
        reason: "no open blocker left".into()
    }));
    assert!(
        planned
            .effects
            .iter()
            .any(|e| matches!(e, Effect::AddLabel { issue: 2, label, .. } if label == "blocked"))
    );
    assert!(
        planned
            .effects
            .iter()
            .any(|e| matches!(e, Effect::AddLabel { issue: 3, .. })),
        "a blocker in another repository counts"
    );
}

#[test]
fn an_approval_below_the_required_permission_is_not_honoured() {
    let mut snap = snapshot(vec![issue(1, &[]), issue(2, &[])]);
    snap.approvals.insert(
        1,
        Approval {
            at: t0(),
            actor: "drive-by".into(),
            permission: Some(Permission::Triage),
            bot: false,
            text: None,
        },
    );
    let planned = plan(&snap, &config(2), t0());
    assert_eq!(starts(&planned.effects), vec![(2, "agent-1".to_string())]);
    let entry = planned.queue.iter().find(|e| e.issue == 1).unwrap();
    assert_eq!(
        entry.standing,
        Standing::Untrusted {
            actor: "drive-by".into()
        }
    );
}

#[test]
fn a_cycle_is_never_dispatched_and_is_reported_once() {
    let mut a = issue(1, &["blocked"]);
    a.open_blockers = 1;
    let mut b = issue(2, &["blocked"]);
    b.open_blockers = 1;
    let mut snap = snapshot(vec![a, b]);
    snap.blockers.insert(
        1,
        vec![Blocker {
            repo: repo(),
            number: 2,
            open: true,
        }],
    );
    snap.blockers.insert(
        2,
        vec![Blocker {
            repo: repo(),
            number: 1,
            open: true,
        }],
    );
    snap.markers.insert(
        2,
        BTreeSet::from([shiprig::conductor::plan::CYCLE_MARKER.to_string()]),
    );
    let planned = plan(&snap, &config(2), t0());
    assert!(starts(&planned.effects).is_empty());
    assert_eq!(
        planned.effects,
        vec![Effect::ReportCycle {
            issue: 1,
            cycle: vec![1, 2]
        }]
    );
}

#[test]
fn busy_agents_and_claimed_issues_are_left_alone() {
    let claimed = issue(1, &["in-progress", "agent:agent-1"]);
    let planned = plan(
        &snapshot(vec![claimed, issue(2, &[]), issue(3, &[])]),
        &config(2),
        t0(),
    );
    assert_eq!(starts(&planned.effects), vec![(2, "agent-2".to_string())]);
    assert_eq!(planned.idle_agents, vec!["agent-2".to_string()]);
}

#[test]
fn a_claim_missing_its_assignee_is_repaired() {
    let planned = plan(
        &snapshot(vec![issue(1, &["in-progress", "agent:agent-1"])]),
        &config(1),
        t0(),
    );
    assert_eq!(
        planned.effects,
        vec![Effect::Assign {
            issue: 1,
            login: "bot-1".into()
        }]
    );
}

#[test]
fn a_partial_issue_list_starts_nothing() {
    let mut snap = snapshot(vec![issue(1, &[])]);
    snap.complete = false;
    let planned = plan(&snap, &config(1), t0());
    assert!(starts(&planned.effects).is_empty());
    assert!(!planned.notes.is_empty());
}

#[test]
fn missing_facts_are_asked_for_not_guessed() {
    let mut snap = snapshot(vec![issue(1, &[]), issue(2, &["critical"])]);
    snap.approvals.clear();
    snap.blockers.clear();
    let planned = plan(&snap, &config(1), t0());
    assert!(starts(&planned.effects).is_empty());
    assert_eq!(
        planned.needs.approvals,
        BTreeSet::from([2]),
        "only the rank that fills the slot"
    );
    snap.approvals.insert(2, approval(0, Permission::Admin));
    let planned = plan(&snap, &config(1), t0());
    assert_eq!(
        planned.needs.blockers,
        BTreeSet::from([2]),
        "blockers re-checked before a claim"
    );
}

#[test]
fn a_human_hold_or_assignee_keeps_shiprig_away() {
    let mut assigned = issue(2, &[]);
    assigned.assignees.insert("alice".into());
    let planned = plan(
        &snapshot(vec![issue(1, &["on-hold"]), assigned]),
        &config(2),
        t0(),
    );
    assert!(starts(&planned.effects).is_empty());
}

#[test]
fn a_quiet_repository_plans_nothing() {
    let mut blocked = issue(2, &["blocked"]);
    blocked.open_blockers = 1;
    let mut claimed = issue(1, &["in-progress", "agent:agent-1"]);
    claimed.assignees.insert("bot-1".into());
    let snap = snapshot(vec![claimed, blocked]);
    let planned = plan(&snap, &config(1), t0());
    assert!(planned.effects.is_empty(), "{:?}", planned.effects);
    assert!(planned.needs.is_empty());
}

#[test]
fn finished_milestones_close() {
    let mut snap = snapshot(vec![]);
    let milestone = |number, open, closed| TrackedMilestone {
        number,
        title: format!("m{number}"),
        url: String::new(),
        description: String::new(),
        open_issues: open,
        closed_issues: closed,
    };
    snap.milestones = vec![
        milestone(1, 0, 2),
        milestone(2, 1, 3),
        milestone(3, 0, 0),
        milestone(4, 0, 2),
        milestone(5, 0, 1),
    ];
    let closed = |planned: &shiprig::conductor::TickPlan| -> Vec<u64> {
        planned
            .effects
            .iter()
            .filter_map(|e| match e {
                Effect::CloseMilestone { number, .. } => Some(*number),
                _ => None,
            })
            .collect()
    };
    // The issues of milestones with nothing open are read before anything is decided.
    let planned = plan(&snap, &config(0), t0());
    assert_eq!(closed(&planned), Vec::<u64>::new());
    assert_eq!(planned.needs.milestones, [1, 4, 5].into_iter().collect());

    let closed_issue = |number: u64, labels: &[&str]| {
        let mut i = issue(number, &[]);
        i.labels = labels.iter().map(|l| l.to_string()).collect();
        i
    };
    // 1: shipped (a person's won't-fix beside it does not hold it); 4: #7 merged, not yet
    // released; 5: nothing the rig worked on.
    snap.milestone_issues.insert(
        1,
        vec![
            closed_issue(1, &["approved", "done"]),
            closed_issue(2, &["wontfix"]),
        ],
    );
    snap.milestone_issues.insert(
        4,
        vec![
            closed_issue(6, &["approved", "done"]),
            closed_issue(7, &["approved", "in-review"]),
        ],
    );
    snap.milestone_issues.insert(5, vec![closed_issue(8, &[])]);
    let planned = plan(&snap, &config(0), t0());
    assert_eq!(closed(&planned), vec![1]);
    assert!(planned.needs.is_empty());
    assert!(
        planned
            .notes
            .iter()
            .any(|n| n.contains("\"m4\" stays open until #7 ships")),
        "{:?}",
        planned.notes
    );
}

/// One generated issue: rank, approval minute, open blockers, claimed by an agent, trusted.
#[derive(Debug, Clone)]
struct Gen {
    rank: u8,
    minute: i64,
    blockers: u32,
    claimed_by: Option<usize>,
    trusted: bool,
}

fn gen_issue() -> impl Strategy<Value = Gen> {
    (
        0u8..3,
        0i64..50,
        prop_oneof![3 => Just(0u32), 1 => 1u32..3],
        prop::option::weighted(0.2, 0usize..4),
        prop::bool::weighted(0.9),
    )
        .prop_map(|(rank, minute, blockers, claimed_by, trusted)| Gen {
            rank,
            minute,
            blockers,
            claimed_by,
            trusted,
        })
}

fn build(gens: &[Gen], numbers: &[u64]) -> Snapshot {
    let mut snap = snapshot(vec![]);
    let mut claimed_agents = BTreeSet::new();
    for (spec, &number) in gens.iter().zip(numbers) {
        let mut labels: Vec<String> = Vec::new();
        match spec.rank {
            0 => labels.push("critical".into()),
            1 => labels.push("high-priority".into()),
            _ => {}
        }
        if let Some(agent) = spec.claimed_by.filter(|a| claimed_agents.insert(*a)) {
            labels.push("in-progress".into());
            labels.push(format!("agent:agent-{}", agent + 1));
        }
        let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let mut state = issue(number, &label_refs);
        state.open_blockers = spec.blockers;
        let permission = if spec.trusted {
            Permission::Maintain
        } else {
            Permission::Read
        };
        snap.approvals
            .insert(number, approval(spec.minute, permission));
        snap.blockers.insert(number, Vec::new());
        snap.markers.insert(number, BTreeSet::new());
        snap.issues.insert(number, state);
    }
    snap
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// The queue order is (rank, approval time, number), whatever order the issues arrive in
    /// and whatever numbers they carry; an agent gets at most one issue, an issue one agent;
    /// nothing blocked, claimed or untrusted starts; `blocked` is planned iff a blocker is open.
    #[test]
    fn plan_invariants(gens in prop::collection::vec(gen_issue(), 0..30), shuffle in any::<u64>()) {
        let numbers: Vec<u64> = (1..=gens.len() as u64).collect();
        let mut permuted = numbers.clone();
        let len = permuted.len().max(1) as u64;
        for i in 0..permuted.len() {
            let j = ((shuffle.wrapping_mul(i as u64 + 7)) % len) as usize;
            permuted.swap(i, j);
        }
        let cfg = config(4);
        let a = plan(&build(&gens, &numbers), &cfg, t0());
        let b = plan(&build(&gens, &permuted), &cfg, t0());
        // Same decisions up to renumbering: compare by the generated fact each issue came from.
        let key = |p: &shiprig::conductor::TickPlan, nums: &[u64]| -> Vec<(usize, String)> {
            starts(&p.effects).into_iter().map(|(n, agent)| (nums.iter().position(|x| *x == n).unwrap(), agent)).collect::<Vec<_>>()
        };
        let (ka, kb) = (key(&a, &numbers), key(&b, &permuted));
        // Ties in (rank, minute) are broken by number, so only compare the multiset of ranks+minutes.
        let facts = |k: &[(usize, String)]| -> Vec<(u8, i64)> { k.iter().map(|(i, _)| (gens[*i].rank, gens[*i].minute)).collect() };
        prop_assert_eq!(facts(&ka), facts(&kb));

        let snap = build(&gens, &numbers);
        let started = starts(&a.effects);
        let agents: BTreeSet<&String> = started.iter().map(|(_, a)| a).collect();
        let issues: BTreeSet<u64> = started.iter().map(|(n, _)| *n).collect();
        prop_assert_eq!(agents.len(), started.len());
        prop_assert_eq!(issues.len(), started.len());
        for (number, agent) in &started {
            let state = &snap.issues[number];
            prop_assert_eq!(state.open_blockers, 0);
            prop_assert!(!state.has("in-progress"));
            prop_assert!(snap.approvals[number].permission >= Some(Permission::Write));
            prop_assert!(a.idle_agents.contains(agent));
        }
        // Starts follow the order: sorted by (rank, minute, number).
        let order: Vec<(u8, i64, u64)> = started.iter().map(|(n, _)| {
            let g = &gens[(*n - 1) as usize];
            (g.rank, g.minute, *n)
        }).collect();
        let mut sorted = order.clone();
        sorted.sort();
        prop_assert_eq!(order, sorted);
        // Every assignable issue ranked ahead of a started one was started too.
        let blocked_planned: BTreeMap<u64, bool> = a.effects.iter().filter_map(|e| match e {
            Effect::AddLabel { issue, .. } => Some((*issue, true)),
            _ => None,
        }).collect();
        for (number, state) in &snap.issues {
            prop_assert_eq!(blocked_planned.contains_key(number), state.open_blockers > 0);
        }
    }
}

/// Review rounds, decided by `plan` alone: an answer needs its author idle (it waits, nothing
/// fails); a person's review counts only with a permission that was read and is enough; the
/// round after the last allowed one marks the issue `agent-failed` instead.
#[test]
fn a_review_answer_waits_for_its_author_and_counts_only_reviews_that_may_count() {
    use shiprig::conductor::snapshot::{AgentPull, ChangeRequest};
    let yaml = "version: 1\nconductor:\n  agents:\n    - {name: agent-1, login: bot-1}\n    - {name: agent-2, login: bot-2, token_secret: SHIPRIG_AGENT_TOKEN_2}\n  review_agent: agent-2\n  max_review_rounds: 2\n";
    let config = Config::from_yaml("test", yaml).unwrap();
    let request = |id: u64, reviewer: &str, permission: Option<Option<Permission>>| ChangeRequest {
        id,
        reviewer: reviewer.into(),
        url: format!("https://github.com/acme/rig/pull/9#pullrequestreview-{id}"),
        body: "Add a test.".into(),
        commit_id: "abc".into(),
        bot: false,
        permission,
    };
    let pull = |requests: Vec<ChangeRequest>, responses: Vec<u64>| AgentPull {
        number: 9,
        title: "issue 1".into(),
        url: "https://github.com/acme/rig/pull/9".into(),
        head_sha: "abc".into(),
        agent: "agent-1".into(),
        issue: Some(1),
        failing: Vec::new(),
        fixes: Vec::new(),
        reviews: vec!["abc".into()],
        changes_requested: requests,
        responses,
    };
    let answers = |snap: &Snapshot| -> Vec<(u64, u32)> {
        plan(snap, &config, t0())
            .effects
            .iter()
            .filter_map(|e| match e {
                Effect::Respond { review, round, .. } => Some((*review, *round)),
                _ => None,
            })
            .collect()
    };
    let mut snap = snapshot(vec![issue(1, &["in-review"])]);

    // Unread or short permissions, another agent: nothing.
    snap.agent_pulls = Some(vec![pull(
        vec![
            request(3, "carol", None),
            request(4, "rita", Some(Some(Permission::Read))),
            request(5, "bot-1", Some(Some(Permission::Write))),
        ],
        Vec::new(),
    )]);
    assert!(answers(&snap).is_empty());

    // The review agent's request: round 1, unless agent-1 is busy (then it waits).
    snap.agent_pulls = Some(vec![pull(vec![request(7, "bot-2", None)], Vec::new())]);
    assert_eq!(answers(&snap), [(7, 1)]);
    let mut busy = snap.clone();
    busy.issues
        .insert(5, issue(5, &["in-progress", "agent:agent-1"]));
    let waiting = plan(&busy, &config, t0());
    assert!(
        !waiting
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Respond { .. } | Effect::AgentFailed { .. })),
        "{:?}",
        waiting.effects
    );

    // A person with the permission, after two answered rounds: past the bound.
    snap.agent_pulls = Some(vec![pull(
        vec![request(8, "carol", Some(Some(Permission::Write)))],
        vec![6, 7],
    )]);
    let over = plan(&snap, &config, t0());
    assert!(answers(&snap).is_empty());
    assert!(
        over.effects.iter().any(|e| matches!(e,
            Effect::AgentFailed { issue: 1, reason, .. } if reason.contains("after 2 review round(s)"))),
        "{:?}",
        over.effects
    );
}
