//! The Conductor against the GitHub emulator: the demo's rounds, zero writes at rest,
//! convergence after a fault at every write position, and concurrent ticks.

use std::collections::{BTreeMap, BTreeSet};

use shiprig::conductor::{self, Effect, Tick};
use shiprig::demo::{self, World};
use shiprig::emulator::{Fault, FaultWhen};
use shiprig::notify::{Notifier, Slack};

use crate::support::conductor::FIVE_AGENTS;

fn notifier(world: &World) -> Notifier {
    Notifier {
        slack: Some(Slack::webhook(world.slack.url()).unwrap()),
    }
}

async fn tick(world: &World) -> conductor::TickReport {
    let notifier = notifier(world);
    let tick = Tick {
        gh: &world.gh,
        repo: &world.repo,
        config: &world.config,
        notifier: &notifier,
        product: None,
        backend: None,
    };
    conductor::tick(&tick, world.clock_now(), false)
        .await
        .unwrap()
}

trait Now {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc>;
}

impl Now for World {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use shiprig::github::Clock as _;
        self.clock.now()
    }
}

/// Ticks (agents never finish) until a tick plans nothing; returns how many ticks ran.
async fn settle(world: &World) -> usize {
    for n in 1..=6 {
        if tick(world).await.plan.effects.is_empty() {
            return n;
        }
        world.pass(5);
    }
    panic!("the Conductor did not settle in 6 ticks");
}

/// What a person would check on the repository afterwards.
#[derive(Debug, PartialEq, Eq)]
struct EndState {
    issues: BTreeMap<u64, (String, BTreeSet<String>, BTreeSet<String>)>,
    dispatches: BTreeMap<u64, usize>,
    live_claims: BTreeMap<u64, usize>,
}

fn end_state(world: &World) -> EndState {
    let model = world.emulator.model();
    let full = world.full_name();
    let mut issues = BTreeMap::new();
    let mut live_claims = BTreeMap::new();
    for number in 1..=4 {
        let issue = model.issue(&full, number).unwrap();
        let labels = issue.labels.iter().cloned().collect();
        let assignees = issue.assignees.iter().cloned().collect();
        issues.insert(number, (issue.state.clone(), labels, assignees));
        let claims = issue
            .comments
            .iter()
            .filter(|c| c.contains("<!-- shiprig:claim"))
            .count();
        live_claims.insert(number, claims);
        let bodies: BTreeSet<&String> = issue.comments.iter().collect();
        assert_eq!(
            bodies.len(),
            issue.comments.len(),
            "a comment was posted twice on #{number}"
        );
    }
    let mut dispatches = BTreeMap::new();
    for run in model.workflow_runs(&full) {
        let issue: u64 = run.inputs["issue"].as_str().unwrap().parse().unwrap();
        *dispatches.entry(issue).or_insert(0) += 1;
    }
    EndState {
        issues,
        dispatches,
        live_claims,
    }
}

fn assert_no_duplicate_slack(world: &World) {
    let texts = world.slack.texts();
    let unique: BTreeSet<&String> = texts.iter().collect();
    assert_eq!(
        unique.len(),
        texts.len(),
        "a Slack message was sent twice: {texts:#?}"
    );
}

#[tokio::test]
async fn the_design_example_runs_in_the_designs_rounds() {
    let scenario = demo::design_example().await.unwrap();
    let starts = |round: &demo::Round| -> Vec<(u64, String)> {
        round
            .effects
            .iter()
            .filter_map(|e| {
                if let Effect::Start { issue, agent, .. } = e {
                    Some((*issue, agent.clone()))
                } else {
                    None
                }
            })
            .collect()
    };
    let rounds = &scenario.rounds;
    assert_eq!(
        starts(&rounds[0]),
        vec![(1, "agent-1".into()), (2, "agent-2".into())]
    );
    assert_eq!(starts(&rounds[1]), vec![(3, "agent-1".into())]);
    assert_eq!(starts(&rounds[2]), vec![(4, "agent-1".into())]);
    assert!(
        rounds[3].effects.iter().any(
            |e| matches!(e, Effect::CloseMilestone { title, .. } if title == "AI Chat Widget")
        )
    );
    assert_eq!(
        rounds[3].product,
        vec!["product board: milestone \"AI Chat Widget\" complete".to_string()]
    );
    assert!(rounds[3].slack.iter().any(|t| t.contains("Milestone")
        && t.contains("AI Chat Widget")
        && t.contains("complete")));
    assert_eq!(rounds[0].slack.len(), 2, "{:?}", rounds[0].slack);
    assert!(rounds[0].slack[0].contains("agent-1") && rounds[0].slack[0].contains("#1"));
    assert!(rounds.last().unwrap().effects.is_empty(), "ends at rest");
    assert_eq!(rounds.len(), 5);
}

#[tokio::test]
async fn a_critical_bug_filed_mid_round_goes_before_three() {
    let scenario = demo::critical_interrupt().await.unwrap();
    let round2: Vec<(String, String)> = scenario.rounds[1]
        .effects
        .iter()
        .filter_map(|e| {
            if let Effect::Start { title, agent, .. } = e {
                Some((title.clone(), agent.clone()))
            } else {
                None
            }
        })
        .collect();
    let bug = "Checkout crashes on an empty cart".to_string();
    assert_eq!(
        round2,
        vec![
            (bug.clone(), "agent-1".into()),
            ("Connect UI to API".into(), "agent-2".into())
        ]
    );
    let queue: Vec<&str> = scenario.rounds[1]
        .queue
        .iter()
        .map(|e| e.title.as_str())
        .collect();
    let position = |title: &str| queue.iter().position(|t| *t == title);
    assert!(position(&bug) < position("Connect UI to API"), "{queue:?}");
}

#[tokio::test]
async fn a_tick_on_unchanged_state_makes_zero_writes() {
    let world = World::new().await.unwrap();
    world.seed_design_example();
    settle(&world).await;
    world.emulator.clear_requests();
    let report = tick(&world).await;
    assert!(
        world.emulator.writes().is_empty(),
        "{:?}",
        world.emulator.writes()
    );
    assert!(report.plan.effects.is_empty());
    assert_eq!(report.requests.writes, 0);
    assert!(
        report.requests.reads <= 4,
        "a quiet tick reads the lists only: {:?}",
        report.requests
    );
}

#[tokio::test]
async fn dry_run_writes_nothing_and_prints_the_plan() {
    let world = World::new().await.unwrap();
    world.seed_design_example();
    let notifier = notifier(&world);
    let t = Tick {
        gh: &world.gh,
        repo: &world.repo,
        config: &world.config,
        notifier: &notifier,
        product: None,
        backend: None,
    };
    let report = conductor::tick(&t, world.clock_now(), true).await.unwrap();
    assert!(world.emulator.writes().is_empty());
    assert!(report.applied.is_none());
    assert_eq!(
        report
            .plan
            .effects
            .iter()
            .filter(|e| matches!(e, Effect::Start { .. }))
            .count(),
        2
    );
    assert!(world.slack.texts().is_empty());
}

/// The writes a fault-free first tick makes, as (method, path, occurrence of that pair).
fn write_positions(world: &World) -> Vec<(String, String, u64)> {
    let mut seen: BTreeMap<(String, String), u64> = BTreeMap::new();
    world
        .emulator
        .writes()
        .into_iter()
        .map(|w| {
            let n = seen.entry((w.method.clone(), w.path.clone())).or_insert(0);
            *n += 1;
            (w.method, w.path, *n)
        })
        .collect()
}

#[tokio::test]
async fn a_fault_at_any_write_position_converges_without_duplicates() {
    let baseline = World::new().await.unwrap();
    baseline.seed_design_example();
    tick(&baseline).await;
    let positions = write_positions(&baseline);
    assert!(positions.len() >= 10, "{positions:?}");
    settle(&baseline).await;
    let expected = end_state(&baseline);
    assert_eq!(expected.dispatches, BTreeMap::from([(1, 1), (2, 1)]));

    for (method, path, occurrence) in positions {
        let world = World::new().await.unwrap();
        world.seed_design_example();
        world.emulator.inject(Fault {
            when: FaultWhen::Nth(occurrence),
            ..Fault::status(Some(&method), &path, 500)
        });
        let first = tick(&world).await;
        world.emulator.clear_faults();
        world.pass(5);
        settle(&world).await;
        let got = end_state(&world);
        assert_eq!(
            got.issues, expected.issues,
            "fault at {method} {path} #{occurrence}: {:?}",
            first.applied
        );
        assert_eq!(
            got.dispatches, expected.dispatches,
            "fault at {method} {path} #{occurrence}"
        );
        assert_eq!(
            got.live_claims, expected.live_claims,
            "fault at {method} {path} #{occurrence}"
        );
        assert_no_duplicate_slack(&world);
    }
}

#[tokio::test]
async fn slack_down_during_a_tick_loses_nothing_on_github_and_never_repeats() {
    let world = World::new().await.unwrap();
    world.seed_design_example();
    world.slack.fail_next(1);
    let report = tick(&world).await;
    let applied = report.applied.unwrap();
    assert!(applied.failed.is_empty(), "{:?}", applied.failed);
    assert_eq!(world.slack.rejected(), 1);
    assert_eq!(
        applied
            .notified
            .iter()
            .filter(|d| d.error.is_some())
            .count(),
        1
    );
    settle(&world).await;
    assert_eq!(
        end_state(&world).dispatches,
        BTreeMap::from([(1, 1), (2, 1)])
    );
    assert_eq!(
        world.slack.texts().len(),
        1,
        "the missed message is not sent later: {:?}",
        world.slack.texts()
    );
}

#[tokio::test]
async fn two_ticks_at_once_never_double_claim_or_double_dispatch() {
    for run in 0..50 {
        let world = World::new().await.unwrap();
        world.seed_design_example();
        if run % 2 == 1 {
            // Half the runs start from a state where the two ticks may see different snapshots.
            world
                .emulator
                .set_latency(std::time::Duration::from_millis((run % 5) as u64));
        }
        let (a, b) = tokio::join!(tick(&world), tick(&world));
        let _ = (a, b);
        world.emulator.set_latency(std::time::Duration::ZERO);
        let state = end_state(&world);
        for (number, count) in &state.dispatches {
            assert_eq!(*count, 1, "run {run}: #{number} dispatched {count} times");
        }
        let mut agents_busy: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for (number, (_, labels, _)) in &state.issues {
            let agents: Vec<&String> = labels.iter().filter(|l| l.starts_with("agent:")).collect();
            assert!(
                agents.len() <= 1,
                "run {run}: #{number} has agents {agents:?}"
            );
            if labels.contains("in-progress") {
                for agent in agents {
                    agents_busy.entry(agent.clone()).or_default().push(*number);
                }
            }
        }
        for (agent, issues) in &agents_busy {
            assert_eq!(issues.len(), 1, "run {run}: {agent} holds {issues:?}");
        }
        let runs = world.emulator.model().workflow_runs(&world.full_name());
        let mut per_agent: BTreeMap<String, usize> = BTreeMap::new();
        for r in runs {
            *per_agent
                .entry(r.inputs["agent"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        assert!(
            per_agent.values().all(|n| *n == 1),
            "run {run}: {per_agent:?}"
        );
    }
}

/// The issues the tick started, in the order it gave them to agents.
fn started(report: &conductor::TickReport) -> Vec<u64> {
    report
        .applied
        .as_ref()
        .unwrap()
        .done
        .iter()
        .filter_map(|e| match e {
            Effect::Start { issue, .. } => Some(*issue),
            _ => None,
        })
        .collect()
}

/// `approved` issues, approved newest number first, one minute apart.
fn approve_in_reverse(world: &World, numbers: std::ops::RangeInclusive<u64>) {
    let full = world.full_name();
    for n in numbers.clone() {
        world
            .emulator
            .model()
            .create_issue(&full, &format!("Feature {n}"), "", &[], "maya");
    }
    for n in numbers.rev() {
        world.pass(1);
        world
            .emulator
            .model()
            .add_label(&full, n, "approved", "maya");
    }
}

#[tokio::test]
async fn approvals_behind_four_thousand_newer_events_still_dispatch_on_the_first_tick() {
    let mut world = World::new().await.unwrap();
    world.config = shiprig::config::Config::from_yaml("five", FIVE_AGENTS).unwrap();
    approve_in_reverse(&world, 1..=60);
    let full = world.full_name();
    {
        let mut model = world.emulator.model();
        for n in 61..=460 {
            model.create_issue(&full, &format!("Other {n}"), "", &[], "maya");
            for round in 0..10 {
                model.add_label(&full, n, &format!("triage-{round}"), "maya");
            }
        }
    }
    let first = tick(&world).await;
    assert_eq!(
        started(&first),
        vec![60, 59, 58, 57, 56],
        "oldest approval first"
    );
    println!(
        "busy history (60 approved, 4,000 newer events): first tick {} requests ({} writes)",
        first.requests.total(),
        first.requests.writes
    );
    assert!(first.requests.reads <= 30, "{:?}", first.requests);
}

#[tokio::test]
async fn five_thousand_approved_issues_dispatch_on_the_first_tick() {
    let mut world = World::new().await.unwrap();
    world.config = shiprig::config::Config::from_yaml("five", FIVE_AGENTS).unwrap();
    let full = world.full_name();
    {
        let mut model = world.emulator.model();
        for n in 1..=5000 {
            model.create_issue(&full, &format!("Feature {n}"), "", &[], "maya");
        }
        // The last five are the oldest approvals; the rest follow in number order.
        for n in (4996..=5000).chain(1..=4995) {
            model.add_label(&full, n, "approved", "maya");
            model.advance(chrono::Duration::seconds(1));
        }
    }
    let first = tick(&world).await;
    assert_eq!(started(&first), vec![4996, 4997, 4998, 4999, 5000]);
    let graphql = world
        .emulator
        .requests()
        .iter()
        .filter(|r| r.path == "/graphql")
        .filter(|r| {
            r.body
                .as_ref()
                .is_some_and(|b| b.to_string().contains("timelineItems"))
        })
        .count();
    assert_eq!(graphql, 50, "one GraphQL request per 100 approved issues");
    println!(
        "5,000 approved issues: first tick {} requests ({} writes)",
        first.requests.total(),
        first.requests.writes
    );
}

/// `done` means shipped: a milestone whose issues are merged (closed) but not yet released
/// stays open and nobody is told; once the release marks them `done` it closes, Slack hears it
/// once, and a milestone holding no work of the rig's is left to people.
#[tokio::test]
async fn a_milestone_completes_only_when_its_issues_are_done() {
    let world = World::new().await.unwrap();
    let full = world.full_name();
    let ours = world.emulator.model().create_milestone(&full, "Checkout");
    let theirs = world.emulator.model().create_milestone(&full, "Hand-kept");
    let a = world.approved_issue("Cart", &[]);
    let b = world.approved_issue("Pay", &[]);
    let by_hand = world
        .emulator
        .model()
        .create_issue(&full, "Notes", "", &[], "maya");
    {
        let mut model = world.emulator.model();
        model.set_milestone(&full, a, ours);
        model.set_milestone(&full, b, ours);
        model.set_milestone(&full, by_hand, theirs);
        for n in [a, b, by_hand] {
            model.close_issue(&full, n, "maya");
        }
        model.add_label(&full, a, "done", "shiprig[bot]");
    }
    let milestone_slack = |world: &World| {
        world
            .slack
            .messages()
            .iter()
            .filter(|m| m.to_string().contains("Checkout"))
            .count()
    };
    let report = tick(&world).await;
    assert_eq!(
        world.emulator.model().milestone_open(&full, ours),
        Some(true)
    );
    assert!(
        report
            .plan
            .notes
            .iter()
            .any(|n| n.contains(&format!("#{b}"))),
        "{:?}",
        report.plan.notes
    );
    assert_eq!(milestone_slack(&world), 0);

    world
        .emulator
        .model()
        .add_label(&full, b, "done", "shiprig[bot]");
    tick(&world).await;
    assert_eq!(
        world.emulator.model().milestone_open(&full, ours),
        Some(false)
    );
    assert_eq!(
        world.emulator.model().milestone_open(&full, theirs),
        Some(true)
    );
    assert_eq!(milestone_slack(&world), 1);
    let writes = world.emulator.writes().len();
    tick(&world).await;
    assert_eq!(
        world.emulator.writes().len(),
        writes,
        "a rerun writes nothing"
    );
    assert_eq!(milestone_slack(&world), 1);
}
