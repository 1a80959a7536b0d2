//! The design's example world: one repository on the emulator, a product person who approves,
//! two agents, a fake Slack, and the Conductor's own client pointed at it all.

use std::sync::Arc;

use anyhow::Context as _;

use crate::config::Config;
use crate::emulator::slack::FakeSlack;
use crate::emulator::{Emulator, Permission, UserKind};
use crate::github::{ClientOptions, Credentials, FakeClock, GitHub, Repo, Secret};

pub(crate) const OWNER: &str = "acme";
pub(crate) const NAME: &str = "widget";
/// The person who marks work ready.
pub const PRODUCT_PERSON: &str = "maya";
/// The identity the Conductor runs as.
pub const CONDUCTOR_LOGIN: &str = "shiprig-conductor[bot]";
const CONDUCTOR_TOKEN: &str = "ghs_demo_conductor";

/// The config the demo runs with: the design's two agents, dispatched through Actions.
pub const CONFIG: &str = r#"version: 1
approvers: {min_permission: maintain}
conductor:
  agents:
    - {name: agent-1, login: rig-agent-1}
    - {name: agent-2, login: rig-agent-2}
  dispatch:
    github_actions: {workflow: shiprig-agent.yml, ref: main}
notify:
  slack: {webhook_url_env: SLACK_WEBHOOK_URL}
"#;

const AGENT_WORKFLOW: &str = r#"name: shiprig agent
run-name: "shiprig agent ${{ inputs.agent }} on #${{ inputs.issue }}"
on:
  workflow_dispatch:
    inputs:
      issue: {required: true}
      agent: {required: true}
"#;

/// Everything a demo round or a test story needs.
pub struct World {
    pub emulator: Emulator,
    pub slack: FakeSlack,
    pub repo: Repo,
    pub config: Config,
    pub gh: GitHub,
    pub clock: FakeClock,
}

impl World {
    /// An empty repository with its people, agents, the agent workflow and the config.
    pub async fn new() -> anyhow::Result<World> {
        let emulator = Emulator::start()
            .await
            .context("starting the GitHub emulator")?;
        let slack = FakeSlack::start()
            .await
            .context("starting the fake Slack")?;
        let repo = Repo::new(OWNER, NAME);
        let full = repo.to_string();
        {
            let mut model = emulator.model();
            model.add_repo(OWNER, NAME, "main");
            model.add_user(PRODUCT_PERSON, UserKind::User);
            model.set_permission(&full, PRODUCT_PERSON, Permission::Maintain);
            model.add_user(CONDUCTOR_LOGIN, UserKind::Bot);
            model.add_token(CONDUCTOR_TOKEN, CONDUCTOR_LOGIN);
            model.set_permission(&full, CONDUCTOR_LOGIN, Permission::Write);
            for agent in ["rig-agent-1", "rig-agent-2"] {
                model.add_user(agent, UserKind::User);
                model.set_permission(&full, agent, Permission::Write);
            }
            model.set_file(
                &full,
                "main",
                ".github/workflows/shiprig-agent.yml",
                AGENT_WORKFLOW,
            );
            model.set_file(&full, "main", ".github/shiprig.yml", CONFIG);
        }
        let config = Config::from_yaml("demo config", CONFIG)?;
        let clock = FakeClock::new(emulator.model().now());
        let options = ClientOptions::new(
            emulator.url(),
            Credentials::Token(Secret::new(CONDUCTOR_TOKEN)),
        );
        let gh = GitHub::with_clock(options, Arc::new(clock.clone()))?.for_repo(&repo);
        Ok(World {
            emulator,
            slack,
            repo,
            config,
            gh,
            clock,
        })
    }

    /// The Conductor's client with another per-request timeout (answers that come too late).
    pub fn set_timeout(&mut self, timeout: std::time::Duration) -> anyhow::Result<()> {
        let mut options = ClientOptions::new(
            self.emulator.url(),
            Credentials::Token(Secret::new(CONDUCTOR_TOKEN)),
        );
        options.timeout = timeout;
        self.gh = GitHub::with_clock(options, Arc::new(self.clock.clone()))?.for_repo(&self.repo);
        Ok(())
    }

    pub fn full_name(&self) -> String {
        self.repo.to_string()
    }

    /// Files an approved issue as the product person; returns its number.
    pub fn approved_issue(&self, title: &str, extra_labels: &[&str]) -> u64 {
        let full = self.full_name();
        let number = self
            .emulator
            .model()
            .create_issue(&full, title, "", &[], PRODUCT_PERSON);
        for label in extra_labels {
            self.emulator
                .model()
                .add_label(&full, number, label, PRODUCT_PERSON);
        }
        self.pass(1);
        self.emulator
            .model()
            .add_label(&full, number, "approved", PRODUCT_PERSON);
        number
    }

    /// The design's example: milestone "AI Chat Widget" with #1 and #2 in parallel, #3 blocked
    /// by both, #4 blocked by #3, all approved.
    pub fn seed_design_example(&self) -> u64 {
        let full = self.full_name();
        let milestone = self
            .emulator
            .model()
            .create_milestone(&full, "AI Chat Widget");
        let titles = [
            "LLM tool API",
            "Chat UI component",
            "Connect UI to API",
            "Analytics tracking",
        ];
        for title in titles {
            let number = self.approved_issue(title, &[]);
            self.emulator
                .model()
                .set_milestone(&full, number, milestone);
        }
        let mut model = self.emulator.model();
        model.add_blocked_by(&full, 3, &full, 1);
        model.add_blocked_by(&full, 3, &full, 2);
        model.add_blocked_by(&full, 4, &full, 3);
        milestone
    }

    /// Moves the world's time on, the way minutes pass between scheduled ticks.
    pub fn pass(&self, minutes: i64) {
        self.emulator
            .model()
            .advance(chrono::Duration::minutes(minutes));
        self.clock
            .advance(std::time::Duration::from_secs(minutes as u64 * 60));
    }
}
