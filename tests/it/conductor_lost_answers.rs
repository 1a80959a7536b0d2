//! The Conductor when GitHub loses answers: every write of a tick failed before it happened or
//! after it happened (502 with an HTML page, truncated body, reset, an answer past the client's
//! timeout), then fault-free ticks; the end state must equal the fault-free run's. Also:
//! half-claims left by a stopped tick, requeue after `agent-failed`, and the service loop over
//! two repositories sharing agents.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use shiprig::agents::Backend;
use shiprig::conductor::{self, Effect, Tick, TickReport};
use shiprig::config::Config;
use shiprig::demo::World;
use shiprig::emulator::{Emulator, Fault, Lost, WRITES};
use shiprig::github::{Clock as _, GitHub};
use shiprig::notify::{Notifier, Slack};
use shiprig::service::{Metrics, Repository, Service};

use crate::support;
use crate::support::conductor::Lcg;

/// The client's timeout in these tests; a late answer comes after it.
const TIMEOUT: Duration = Duration::from_millis(250);

/// Every way one write can go wrong.
#[derive(Debug, Clone, Copy)]
enum FaultKind {
    Before500,
    BeforeHtml502,
    BeforeReset,
    AfterHtml502,
    AfterTruncated,
    AfterReset,
    AfterLate,
}

const KINDS: [FaultKind; 7] = [
    FaultKind::Before500,
    FaultKind::BeforeHtml502,
    FaultKind::BeforeReset,
    FaultKind::AfterHtml502,
    FaultKind::AfterTruncated,
    FaultKind::AfterReset,
    FaultKind::AfterLate,
];

/// The fault that hits the `k`-th write from now on.
fn fault(kind: FaultKind, k: u64) -> Fault {
    let any = "/**";
    let fault = match kind {
        FaultKind::Before500 => Fault::status(Some(WRITES), any, 500),
        FaultKind::BeforeHtml502 => Fault::bad_gateway(Some(WRITES), any),
        FaultKind::BeforeReset => Fault::drop_connection(Some(WRITES), any),
        FaultKind::AfterHtml502 => Fault::lose_answer(Some(WRITES), any, Lost::BadGateway),
        FaultKind::AfterTruncated => Fault::lose_answer(Some(WRITES), any, Lost::Truncated),
        FaultKind::AfterReset => Fault::lose_answer(Some(WRITES), any, Lost::Reset),
        FaultKind::AfterLate => {
            Fault::lose_answer(Some(WRITES), any, Lost::Late(TIMEOUT + TIMEOUT))
        }
    };
    fault.nth(k)
}

/// A world and the Slack notifier its ticks use (built once: a client loads the CA store).
struct FaultStory {
    world: World,
    notifier: Notifier,
}

impl std::ops::Deref for FaultStory {
    type Target = World;
    fn deref(&self) -> &World {
        &self.world
    }
}

impl FaultStory {
    fn new(world: World) -> FaultStory {
        let notifier = Notifier {
            slack: Some(Slack::webhook(world.slack.url()).unwrap()),
        };
        FaultStory { world, notifier }
    }
}

async fn tick(story: &FaultStory) -> TickReport {
    let tick = Tick {
        gh: &story.world.gh,
        repo: &story.world.repo,
        config: &story.world.config,
        notifier: &story.notifier,
        product: None,
        backend: None,
    };
    conductor::tick(&tick, story.world.clock.now(), false)
        .await
        .unwrap()
}

/// The design's example with its two agents.
async fn seed_world() -> FaultStory {
    let mut world = World::new().await.unwrap();
    world.set_timeout(TIMEOUT).unwrap();
    world.seed_design_example();
    FaultStory::new(world)
}

/// Twenty approved issues (two critical, four high priority, five blocked by others), three
/// agents, approvals in an order unlike the numbers.
async fn twenty_world() -> FaultStory {
    let mut world = World::new().await.unwrap();
    world.set_timeout(TIMEOUT).unwrap();
    world.config = Config::from_yaml(
        "twenty",
        "version: 1\napprovers: {min_permission: maintain}\nconductor:\n  \
         agents: [{name: agent-1, login: rig-agent-1}, {name: agent-2}, {name: agent-3}]\n  \
         dispatch: {github_actions: {workflow: shiprig-agent.yml, ref: main}}\n\
         notify:\n  slack: {webhook_url_env: SLACK_WEBHOOK_URL}\n",
    )
    .unwrap();
    let full = world.full_name();
    for n in 1..=20u64 {
        let extra: &[&str] = match n {
            7 | 15 => &["critical"],
            3 | 9 | 12 | 18 => &["high-priority"],
            _ => &[],
        };
        world
            .emulator
            .model()
            .create_issue(&full, &format!("Work item {n}"), "", extra, "maya");
    }
    for n in (1..=20u64).rev().step_by(2).chain((1..=20u64).step_by(2)) {
        world.pass(1);
        world
            .emulator
            .model()
            .add_label(&full, n, "approved", "maya");
    }
    let mut model = world.emulator.model();
    for (issue, blocker) in [(4, 1), (8, 4), (12, 2), (16, 15), (20, 19)] {
        model.add_blocked_by(&full, issue, &full, blocker);
    }
    drop(model);
    FaultStory::new(world)
}

/// What a person would check afterwards.
#[derive(Debug, PartialEq, Eq)]
struct FaultEndState {
    labels: BTreeMap<u64, BTreeSet<String>>,
    dispatches: BTreeMap<u64, usize>,
    live_claims: BTreeMap<u64, usize>,
    started_messages: BTreeMap<u64, usize>,
}

fn end_state(world: &World, issues: u64) -> FaultEndState {
    let model = world.emulator.model();
    let full = world.full_name();
    let mut state = FaultEndState {
        labels: BTreeMap::new(),
        dispatches: BTreeMap::new(),
        live_claims: BTreeMap::new(),
        started_messages: BTreeMap::new(),
    };
    for number in 1..=issues {
        let issue = model.issue(&full, number).unwrap();
        state
            .labels
            .insert(number, issue.labels.iter().cloned().collect());
        let claims = issue
            .comments
            .iter()
            .filter(|c| c.contains("<!-- shiprig:claim"))
            .count();
        state.live_claims.insert(number, claims);
        let started = world
            .slack
            .texts()
            .iter()
            .filter(|t| t.contains(" started on ") && t.contains(&format!(" #{number} ")))
            .count();
        state.started_messages.insert(number, started);
    }
    for run in model.workflow_runs(&full) {
        let issue: u64 = run.inputs["issue"].as_str().unwrap().parse().unwrap();
        *state.dispatches.entry(issue).or_insert(0) += 1;
    }
    state
}

/// The invariants every end state keeps, fault or not.
fn assert_sound(state: &FaultEndState, case: &str) {
    for (number, labels) in &state.labels {
        assert!(
            !labels.contains("agent-failed"),
            "{case}: #{number} marked agent-failed"
        );
        let claimed = labels.contains("in-progress");
        let expect = usize::from(claimed);
        assert_eq!(
            state.live_claims[number], expect,
            "{case}: live claims on #{number}"
        );
        assert_eq!(
            state.dispatches.get(number).copied().unwrap_or(0),
            expect,
            "{case}: dispatches of #{number}"
        );
        assert_eq!(
            state.started_messages[number], expect,
            "{case}: Slack on #{number}"
        );
        if claimed {
            let agents = labels.iter().filter(|l| l.starts_with("agent:")).count();
            assert_eq!(agents, 1, "{case}: #{number} in progress with {labels:?}");
        }
    }
}

/// Tick 1 (with `fault` armed), then three fault-free ticks five minutes apart.
async fn run_story(world: &FaultStory, fault: Option<Fault>) -> usize {
    if let Some(fault) = fault {
        world.emulator.inject(fault);
    }
    world.emulator.clear_requests();
    tick(world).await;
    let writes = world.emulator.writes().len();
    world.emulator.clear_faults();
    for _ in 0..3 {
        world.pass(5);
        tick(world).await;
    }
    writes
}

/// Every write of the first tick, every way it can go wrong, against the fault-free run.
async fn sweep(name: &str, issues: u64) -> usize {
    let make = || async {
        match name {
            "seed" => seed_world().await,
            _ => twenty_world().await,
        }
    };
    let baseline = make().await;
    let writes = run_story(&baseline, None).await;
    let expected = end_state(&baseline, issues);
    assert_sound(&expected, &format!("{name} baseline"));
    assert!(writes >= 8, "{name}: the first tick writes {writes} times");
    let mut cases = 0;
    for k in 1..=writes as u64 {
        for kind in KINDS {
            let world = make().await;
            run_story(&world, Some(fault(kind, k))).await;
            let case = format!("{name}, write {k} of {writes}, {kind:?}");
            let got = end_state(&world, issues);
            assert_sound(&got, &case);
            assert_eq!(got.labels, expected.labels, "{case}");
            assert_eq!(got.dispatches, expected.dispatches, "{case}");
            cases += 1;
        }
    }
    cases
}

#[tokio::test]
async fn every_write_of_the_design_example_lost_or_failed_converges_to_the_fault_free_end() {
    let cases = sweep("seed", 4).await;
    println!("lost-answer cases run (design example): {cases}");
    assert!(cases >= 70, "{cases}");
}

#[tokio::test]
async fn every_write_of_twenty_issues_and_three_agents_lost_or_failed_converges() {
    let cases = sweep("twenty", 20).await;
    println!("lost-answer cases run (20 issues, 3 agents): {cases}");
    assert!(cases >= 120, "{cases}");
}

#[tokio::test]
async fn claim_labels_left_without_a_comment_are_withdrawn_and_the_issue_is_claimed_again() {
    let world = seed_world().await;
    // A tick added the claim labels as shiprig, then stopped before its comment.
    {
        let mut model = world.emulator.model();
        for label in ["in-progress", "agent:agent-1"] {
            model.add_label(
                &world.full_name(),
                1,
                label,
                shiprig::demo::world::CONDUCTOR_LOGIN,
            );
        }
    }
    let first = tick(&world).await;
    assert!(
        first
            .plan
            .effects
            .iter()
            .all(|e| !matches!(e, Effect::WithdrawClaim { .. })),
        "within the claim window a tick may still be finishing it"
    );
    world.pass(11);
    let second = tick(&world).await;
    assert!(
        second
            .plan
            .effects
            .iter()
            .any(|e| matches!(e, Effect::WithdrawClaim { issue: 1, .. })),
        "{:?}",
        second.plan.effects
    );
    assert!(second.plan.notes.iter().any(|n| n.contains("#1")));
    for _ in 0..2 {
        world.pass(5);
        tick(&world).await;
    }
    let state = end_state(&world, 4);
    assert_sound(&state, "labels only");
    assert_eq!(state.dispatches.get(&1), Some(&1), "#1 dispatched once");
}

#[tokio::test]
async fn a_persons_in_progress_stays_theirs() {
    let world = seed_world().await;
    {
        let mut model = world.emulator.model();
        for label in ["in-progress", "agent:agent-1"] {
            model.add_label(&world.full_name(), 1, label, "maya");
        }
    }
    for _ in 0..3 {
        world.pass(11);
        tick(&world).await;
    }
    let labels = &end_state(&world, 4).labels[&1];
    assert!(labels.contains("in-progress") && labels.contains("agent:agent-1"));
    assert!(
        world
            .emulator
            .model()
            .workflow_runs(&world.full_name())
            .iter()
            .all(|r| r.inputs["issue"] != "1")
    );
}

#[tokio::test]
async fn a_verified_claim_never_dispatched_is_finished_by_a_later_tick() {
    let world = seed_world().await;
    // The dispatch of every claim in the first tick fails, and the look-up for the run too:
    // the tick cannot tell, so it leaves its claims as they are.
    world.emulator.inject(Fault::status(
        Some("POST"),
        "/repos/*/*/actions/workflows/*/dispatches",
        500,
    ));
    world.emulator.inject(Fault::status(
        Some("GET"),
        "/repos/*/*/actions/workflows/*/runs",
        500,
    ));
    tick(&world).await;
    world.emulator.clear_faults();
    assert!(
        world
            .emulator
            .model()
            .workflow_runs(&world.full_name())
            .is_empty()
    );
    world.pass(5);
    let early = tick(&world).await;
    assert!(
        early
            .plan
            .effects
            .iter()
            .all(|e| !matches!(e, Effect::FinishClaim { .. })),
        "{:?}",
        early.plan.effects
    );
    world.pass(6);
    let late = tick(&world).await;
    let finished: Vec<u64> = late
        .plan
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::FinishClaim { issue, .. } => Some(*issue),
            _ => None,
        })
        .collect();
    assert_eq!(finished, vec![1, 2], "{:?}", late.plan.effects);
    world.pass(5);
    tick(&world).await;
    let state = end_state(&world, 4);
    assert_sound(&state, "half-claims");
    assert_eq!(state.dispatches, BTreeMap::from([(1, 1), (2, 1)]));
}

#[tokio::test]
async fn removing_agent_failed_starts_a_new_round_that_an_old_claim_cannot_win() {
    let world = seed_world().await;
    tick(&world).await;
    let full = world.full_name();
    let run = world
        .emulator
        .model()
        .workflow_runs(&full)
        .into_iter()
        .find(|r| r.inputs["issue"] == "1")
        .unwrap();
    world
        .emulator
        .model()
        .set_run_status(&full, run.id, "completed", Some("failure"));
    world.pass(1);
    tick(&world).await;
    assert!(end_state(&world, 4).labels[&1].contains("agent-failed"));
    // A person puts it back within the claim window of the failed round.
    world.pass(1);
    world
        .emulator
        .model()
        .remove_label(&full, 1, "agent-failed", "maya");
    world.pass(1);
    let again = tick(&world).await;
    let started = again.applied.as_ref().unwrap();
    assert!(
        started.withdrawn.is_empty() && started.failed.is_empty(),
        "{started:?}"
    );
    assert!(
        again
            .plan
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Start { issue: 1, .. })),
        "{:?}",
        again.plan.effects
    );
    let runs_of_1 = || {
        world
            .emulator
            .model()
            .workflow_runs(&full)
            .iter()
            .filter(|r| r.inputs["issue"] == "1")
            .count()
    };
    assert_eq!(runs_of_1(), 2, "the new round dispatched once");
    for _ in 0..2 {
        world.pass(5);
        tick(&world).await;
    }
    let labels = &end_state(&world, 4).labels[&1];
    assert!(
        labels.contains("in-progress") && !labels.contains("agent-failed"),
        "the old failed run is not judged again: {labels:?}"
    );
    assert_eq!(runs_of_1(), 2);
}

const REPOS: [&str; 2] = ["acme/web", "acme/api"];

/// Two repositories sharing three agents, as `conductor run` ticks them.
async fn service_world() -> (Emulator, GitHub, Config) {
    let (emulator, gh) =
        support::service::world(&REPOS, 3, |options| options.timeout = TIMEOUT).await;
    let config = Config::from_yaml(
        "service",
        "version: 1\napprovers: {min_permission: write}\nconductor:\n  \
         agents: [{name: a1}, {name: a2}, {name: a3}]\n  \
         dispatch: {github_actions: {workflow: shiprig-agent.yml, ref: main}}\n  \
         repositories: [acme/web, acme/api]\n",
    )
    .unwrap();
    (emulator, gh, config)
}

/// Dispatches per `repo#issue`, and the in-progress issues per agent.
fn service_state(emulator: &Emulator) -> (BTreeMap<String, usize>, BTreeMap<String, Vec<String>>) {
    let model = emulator.model();
    let mut dispatches = BTreeMap::new();
    let mut held: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for repo in REPOS {
        for run in model.workflow_runs(repo) {
            let key = format!("{repo}#{}", run.inputs["issue"].as_str().unwrap());
            *dispatches.entry(key).or_insert(0) += 1;
        }
        for n in 1..=3 {
            let issue = model.issue(repo, n).unwrap();
            if issue.labels.iter().any(|l| l == "in-progress") {
                for agent in issue.labels.iter().filter_map(|l| l.strip_prefix("agent:")) {
                    held.entry(agent.to_string())
                        .or_default()
                        .push(format!("{repo}#{n}"));
                }
            }
        }
    }
    (dispatches, held)
}

async fn service_story(
    fault: Option<Fault>,
) -> (
    usize,
    (BTreeMap<String, usize>, BTreeMap<String, Vec<String>>),
) {
    let (emulator, gh, config) = service_world().await;
    let (notifier, backend) = (
        Notifier::default(),
        Backend::from_dispatch(&config.conductor.dispatch),
    );
    let service = Service {
        repositories: REPOS
            .iter()
            .map(|r| Repository::new(&gh, r.parse().unwrap(), 200))
            .collect(),
        config: &config,
        notifier: &notifier,
        backend: &backend,
        metrics: Arc::new(Metrics::default()),
    };
    if let Some(fault) = fault {
        emulator.inject(fault);
    }
    let now = gh.clock().now();
    service.run_once(now).await;
    let writes = emulator.writes().len();
    emulator.clear_faults();
    for minutes in [5, 10, 15] {
        emulator.model().advance(chrono::Duration::minutes(5));
        service
            .run_once(now + chrono::Duration::minutes(minutes))
            .await;
    }
    (writes, service_state(&emulator))
}

#[tokio::test]
async fn the_service_loop_over_two_repositories_converges_after_every_lost_answer() {
    let (writes, expected) = service_story(None).await;
    assert_eq!(
        expected.0.len(),
        3,
        "three agents, three dispatches: {expected:?}"
    );
    assert!(expected.0.values().all(|n| *n == 1));
    let mut cases = 0;
    for k in 1..=writes as u64 {
        for kind in KINDS {
            let (_, got) = service_story(Some(fault(kind, k))).await;
            let case = format!("service, write {k} of {writes}, {kind:?}");
            assert!(got.0.values().all(|n| *n == 1), "{case}: {got:?}");
            assert_eq!(got.1.len(), 3, "{case}: {got:?}");
            assert!(
                got.1.values().all(|held| held.len() == 1),
                "{case}: {got:?}"
            );
            let dispatched: BTreeSet<&String> = got.0.keys().collect();
            let held: BTreeSet<&String> = got.1.values().flatten().collect();
            assert_eq!(dispatched, held, "{case}: every claim has its one run");
            cases += 1;
        }
    }
    println!("service lost-answer cases run: {cases}");
}

#[tokio::test]
async fn one_request_in_ten_failing_over_eight_ticks_leaves_no_claim_without_its_agent() {
    let mut total_faulted = 0;
    for seed in 0..12u64 {
        let world = seed_world().await;
        let mut rng = Lcg(seed);
        let mut injected = Vec::new();
        for n in 1..=600u64 {
            if rng.next(10) == 0 {
                injected.push(n);
                let kind = KINDS[rng.next(KINDS.len() as u64) as usize];
                let any = match kind {
                    FaultKind::Before500 => Fault::status(None, "/**", 502),
                    FaultKind::BeforeHtml502 => Fault::bad_gateway(None, "/**"),
                    FaultKind::BeforeReset => Fault::drop_connection(None, "/**"),
                    FaultKind::AfterHtml502 => Fault::lose_answer(None, "/**", Lost::BadGateway),
                    FaultKind::AfterTruncated => Fault::lose_answer(None, "/**", Lost::Truncated),
                    FaultKind::AfterReset => Fault::lose_answer(None, "/**", Lost::Reset),
                    FaultKind::AfterLate => {
                        Fault::lose_answer(None, "/**", Lost::Late(TIMEOUT * 2))
                    }
                };
                world.emulator.inject(any.nth(n));
            }
        }
        for _ in 0..8 {
            let notifier = &world.notifier;
            let tick = Tick {
                gh: &world.gh,
                repo: &world.repo,
                config: &world.config,
                notifier,
                product: None,
                backend: None,
            };
            // A tick may fail outright when a read gives up; the next one goes on.
            let _ = conductor::tick(&tick, world.clock.now(), false).await;
            world.pass(5);
        }
        let sent = world.emulator.requests().len() as u64;
        let faulted = injected.iter().filter(|n| **n <= sent).count();
        assert!(faulted >= 1, "seed {seed}: none of {sent} requests faulted");
        total_faulted += faulted;
        world.emulator.clear_faults();
        for _ in 0..3 {
            tick(&world).await;
            world.pass(5);
        }
        let state = end_state(&world, 4);
        assert_sound(&state, &format!("10% faults, seed {seed}"));
        assert_eq!(
            state.dispatches,
            BTreeMap::from([(1, 1), (2, 1)]),
            "seed {seed}: #1 and #2 each have their one agent"
        );
    }
    println!("requests faulted over 12 seeds: {total_faulted}");
    assert!(total_faulted >= 40, "{total_faulted}");
}
