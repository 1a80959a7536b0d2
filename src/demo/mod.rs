//! `shiprig demo`: the design's example, run by the real Conductor through the real HTTP
//! client against the built-in GitHub emulator, with simulated agents and a fake Slack.

pub mod agents;
pub(crate) mod pipeline;
pub mod world;

use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::conductor::{self, Effect, Tick, TickReport};
use crate::github::RequestStats;
use crate::notify::{HookFuture, Notifier, ProductHook, Slack};
pub(crate) use agents::AgentWork;
pub use world::World;

/// Rounds after which a scenario stops even if work remains (it never should).
const MAX_ROUNDS: usize = 8;

/// One Conductor tick and what followed it.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    pub(crate) round: usize,
    pub effects: Vec<Effect>,
    pub(crate) failed: Vec<String>,
    pub queue: Vec<conductor::QueueEntry>,
    pub slack: Vec<String>,
    pub product: Vec<String>,
    pub(crate) agents: Vec<AgentWork>,
    /// What happened in the world between this tick and the next (new work filed, …).
    pub(crate) happenings: Vec<String>,
    pub(crate) requests: RequestStats,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub(crate) name: String,
    pub(crate) story: String,
    pub rounds: Vec<Round>,
    /// The pipeline scenario's steps (the Conductor scenarios have rounds instead).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) steps: Vec<pipeline::DemoStep>,
}

/// A product board that records what it was told (the demo's stand-in for Asana or ClickUp).
#[derive(Debug, Default, Clone)]
pub(crate) struct DemoBoard {
    pub(crate) completed: Arc<Mutex<Vec<String>>>,
}

impl ProductHook for DemoBoard {
    fn name(&self) -> &str {
        "product board"
    }

    fn milestone_complete<'a>(
        &'a self,
        title: &'a str,
        _url: &'a str,
        _description: &'a str,
    ) -> HookFuture<'a> {
        Box::pin(async move {
            self.completed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(title.to_string());
            Ok(())
        })
    }
}

/// Tick until a tick changes nothing; between ticks the agents finish what they were given.
/// `between` runs after each round's agents (scenarios file new work there) and says what it did.
pub(crate) async fn run_rounds(
    world: &World,
    mut between: impl FnMut(&World, usize) -> Vec<String>,
) -> anyhow::Result<Vec<Round>> {
    let notifier = Notifier {
        slack: Some(Slack::webhook(world.slack.url())?),
    };
    let board = DemoBoard::default();
    let tick = Tick {
        gh: &world.gh,
        repo: &world.repo,
        config: &world.config,
        notifier: &notifier,
        product: Some(&board),
        backend: None,
    };
    let mut rounds = Vec::new();
    for round in 1..=MAX_ROUNDS {
        let heard_before = world.slack.texts().len();
        let report = conductor::tick(&tick, world.gh.clock().now(), false).await?;
        let quiet = report.plan.effects.is_empty();
        let agents = agents::finish_dispatched(world);
        let happenings = between(world, round);
        let mut played = round_of(
            round,
            report,
            world.slack.texts().split_off(heard_before),
            agents,
        );
        played.happenings = happenings;
        rounds.push(played);
        if quiet {
            break;
        }
        world.pass(5);
    }
    Ok(rounds)
}

fn round_of(round: usize, report: TickReport, slack: Vec<String>, agents: Vec<AgentWork>) -> Round {
    let applied = report.applied.unwrap_or_default();
    Round {
        round,
        effects: applied.done,
        failed: applied
            .failed
            .iter()
            .map(|f| format!("{:?}: {}", f.effect, f.error))
            .collect(),
        queue: report.plan.queue,
        slack,
        product: applied.product,
        agents,
        happenings: Vec::new(),
        requests: report.requests,
    }
}

/// Scenario 1: the design's milestone, worked to the end.
pub async fn design_example() -> anyhow::Result<Scenario> {
    let world = World::new().await?;
    world.seed_design_example();
    let rounds = run_rounds(&world, |_, _| Vec::new()).await?;
    Ok(Scenario {
        name: "design".into(),
        story: "Milestone \"AI Chat Widget\": #1 LLM tool API and #2 Chat UI component in parallel, \
                #3 Connect UI to API blocked by both, #4 Analytics tracking blocked by #3; all approved."
            .into(),
        rounds,
        steps: Vec::new(),
    })
}

/// Scenario 2: a critical bug is filed while #1 and #2 are in progress; it goes to the next
/// free agent ahead of #3.
pub async fn critical_interrupt() -> anyhow::Result<Scenario> {
    let world = World::new().await?;
    world.seed_design_example();
    let rounds = run_rounds(&world, |world, round| {
        if round != 1 {
            return Vec::new();
        }
        let title = "Checkout crashes on an empty cart";
        let number = world.approved_issue(title, &["critical"]);
        vec![format!(
            "{} files #{number} {title} (critical, approved)",
            world::PRODUCT_PERSON
        )]
    })
    .await?;
    Ok(Scenario {
        name: "critical-interrupt".into(),
        story: "The same milestone; while agents work on #1 and #2, a product person files a \
                critical bug. It must be taken before #3."
            .into(),
        rounds,
        steps: Vec::new(),
    })
}

/// Scenario 3: after the Conductor, the rest of the way to production, each step run by
/// `binary` (the shiprig executable) as the workflows run it.
pub(crate) async fn pipeline_to_production(binary: &std::path::Path) -> anyhow::Result<Scenario> {
    Ok(Scenario {
        name: "pipeline".into(),
        story: "Agent-1's pull request for #1 touches auth code: it waits for a human; the auth \
                owner approves and it merges; staging deploys and smoke tests a web app on \
                127.0.0.1; the release PR opens; a person merges it; production deploys and \
                smokes; #1 is done."
            .into(),
        rounds: Vec::new(),
        steps: pipeline::run(binary).await?,
    })
}

/// The three scenarios, in order; `binary` runs the pipeline's steps.
pub(crate) async fn run(binary: &std::path::Path) -> anyhow::Result<Vec<Scenario>> {
    Ok(vec![
        design_example().await?,
        critical_interrupt().await?,
        pipeline_to_production(binary).await?,
    ])
}
