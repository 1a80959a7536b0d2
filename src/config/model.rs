//! The `.github/shiprig.yml` model: every section, its defaults, and its strict reading.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_saphyr::Spanned;

use super::de::{self, Named};
pub(crate) use super::deploy::{Environment, SmokeCheck, VersionCheck};
pub(crate) use super::dispatch::{
    CommandDispatch, Dispatch, GithubActionsDispatch, KubernetesDispatch,
};
pub(crate) use super::gate::{GateConfig, GateRule};
use super::permission::Permission;
use super::values::Duration;

/// The only config version this shiprig reads.
pub(crate) const CONFIG_VERSION: u32 = 1;

/// The whole config. Every section has defaults: an empty file is a valid config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[schemars(title = "shiprig config (.github/shiprig.yml)")]
pub struct Config {
    /// Config format version; must be 1.
    #[serde(deserialize_with = "version")]
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Names of the labels shiprig reads and writes.
    pub labels: Labels,
    /// Who may approve issues for the Conductor.
    pub approvers: Approvers,
    /// Agents and how they are dispatched.
    pub conductor: ConductorConfig,
    /// Where shiprig tells people what happened.
    pub notify: Notify,
    /// The product tool (ClickUp or Asana) the queue comes from.
    pub product: Product,
    /// The human gate on pull requests.
    pub gate: GateConfig,
    /// Deploy environments by name (`staging`, `production`).
    pub deploy: BTreeMap<String, Environment>,
    /// Release branches and tags.
    pub release: Release,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            version: CONFIG_VERSION,
            labels: Labels::default(),
            approvers: Approvers::default(),
            conductor: ConductorConfig::default(),
            notify: Notify::default(),
            product: Product::default(),
            gate: GateConfig::default(),
            deploy: BTreeMap::new(),
            release: Release::default(),
        }
    }
}

fn version<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let version = u32::deserialize(deserializer)?;
    if version == CONFIG_VERSION {
        Ok(version)
    } else {
        Err(D::Error::custom(format!(
            "unsupported config version {version}: expected `version: {CONFIG_VERSION}`"
        )))
    }
}

/// Label names. shiprig only ever touches the labels named here (and `agent:*`, `human-gate:*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Labels {
    /// Puts an open issue in the Conductor's queue. It counts only when added by someone with
    /// at least `approvers.min_permission`, never by a bot, an agent or shiprig itself.
    #[serde(deserialize_with = "de::non_empty")]
    pub approved: String,
    /// shiprig's own label on an approved issue with an open blocker, kept true on every
    /// tick; to hold an issue yourself, use the `hold` label instead.
    #[serde(deserialize_with = "de::non_empty")]
    pub(crate) blocked: String,
    /// An agent has claimed the issue and is working on it; added with the agent's
    /// `agent:<name>` label and removed when its pull request opens or the agent fails.
    #[serde(deserialize_with = "de::non_empty")]
    pub in_progress: String,
    /// The issue's pull request is open or merged; it replaces the `in_progress` label (the
    /// agent is free again) and stays until a release ships the issue.
    #[serde(deserialize_with = "de::non_empty")]
    pub(crate) in_review: String,
    /// Put on an issue by `shiprig release shipped` once its change is deployed and
    /// smoke-tested in production; a milestone closes only when every issue shiprig worked on
    /// in it carries it.
    #[serde(deserialize_with = "de::non_empty")]
    pub(crate) done: String,
    /// Approved issues with this label are given to agents before all others, and Slack is
    /// told when open approved work gets it; `shiprig product pull` sets it from the product
    /// tool's priority.
    #[serde(deserialize_with = "de::non_empty")]
    pub(crate) critical: String,
    /// Approved issues with this label are given to agents after `critical` ones and before
    /// the rest; `shiprig product pull` sets it from the product tool's priority.
    #[serde(deserialize_with = "de::non_empty")]
    pub high_priority: String,
    /// Marks an issue whose agent failed for good (a failed run, no pull request by
    /// `conductor.stale_after`, too many fixes or review rounds) with no `conductor.fallback`
    /// agent left; shiprig leaves it alone until a person removes it, which requeues the issue.
    #[serde(deserialize_with = "de::non_empty")]
    pub agent_failed: String,
    /// A human's "leave this alone" label; shiprig never assigns an issue carrying it.
    #[serde(deserialize_with = "de::non_empty")]
    pub hold: String,
    /// Prefix of the per-agent claim label: with `agent:`, agent `agent-1` claims an issue
    /// with `agent:agent-1`.
    #[serde(deserialize_with = "de::non_empty")]
    pub agent_prefix: String,
    /// Put on a pull request by `shiprig gate` while it waits for a person's approval; also the
    /// prefix of the per-category labels (`human-gate:auth`).
    #[serde(deserialize_with = "de::non_empty")]
    pub human_gate: String,
    /// An issue whose agent failed for good, handed on to the next agent of
    /// `conductor.fallback`: it waits for that agent, first in line.
    #[serde(deserialize_with = "de::non_empty")]
    pub(crate) handed_off: String,
}

impl Labels {
    /// The agent an `agent:<name>` label among `labels` names, if any.
    pub(crate) fn agent_in<'a>(
        &self,
        labels: impl IntoIterator<Item = &'a String>,
    ) -> Option<&'a str> {
        labels
            .into_iter()
            .find_map(|l| l.strip_prefix(self.agent_prefix.as_str()))
    }

    /// A pull request labelled for one agent on an issue another agent holds now: it was left
    /// behind when the issue was handed on, and is no longer the issue's pull request.
    pub(crate) fn left_behind<'a>(
        &self,
        issue: impl IntoIterator<Item = &'a String>,
        pull: impl IntoIterator<Item = &'a String>,
    ) -> bool {
        matches!((self.agent_in(issue), self.agent_in(pull)), (Some(h), Some(a)) if h != a)
    }
}

impl Default for Labels {
    fn default() -> Self {
        Self {
            approved: "approved".into(),
            blocked: "blocked".into(),
            in_progress: "in-progress".into(),
            in_review: "in-review".into(),
            done: "done".into(),
            critical: "critical".into(),
            high_priority: "high-priority".into(),
            agent_failed: "agent-failed".into(),
            hold: "on-hold".into(),
            agent_prefix: "agent:".into(),
            human_gate: "human-gate".into(),
            handed_off: "handed-off".into(),
        }
    }
}

/// Who may approve issues: an `approved` label from someone below this is not honoured, nor
/// one from a bot, an agent or shiprig itself. Default `maintain`: agents need `write` to push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Approvers {
    /// The lowest repository permission of a person whose `approved` label the Conductor
    /// honours.
    pub min_permission: Permission,
}

impl Default for Approvers {
    fn default() -> Self {
        Self {
            min_permission: Permission::Maintain,
        }
    }
}

/// The Conductor: agents, their dispatch backend, and when a run counts as stalled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "ConductorSpec")]
pub struct ConductorConfig {
    /// Agent slots; names are unique.
    pub agents: Vec<Agent>,
    /// How agents are started; none configured, the claim labels are the hand-off.
    pub dispatch: Dispatch,
    /// No pull request by this long after dispatch: the run has stalled.
    pub stale_after: Duration,
    /// Fix requests for red checks, one per head, before the issue counts as failed.
    pub max_fix_attempts: u32,
    /// The agent asked to review other agents' pull requests; one of `agents`. It needs its
    /// own `login` and its own `token_secret`: GitHub never lets an author approve its own
    /// pull request, and its approval is what lets an ungated pull request merge.
    pub review_agent: Option<String>,
    /// Agents, in order, that take on an issue whose agent failed for good: the first one
    /// that has not tried the issue gets it, with a handoff; past the last, `agent-failed`.
    pub(crate) fallback: Vec<String>,
    /// Review rounds an agent's pull request may take (changes requested, the author agent sent
    /// back); past it the issue is marked `agent-failed` and a person is told.
    pub max_review_rounds: u32,
    /// The project's test command (`cargo test`, `npm test`): every agent task is told to
    /// write or update tests and run it, and the agent workflow may run it.
    pub test_command: Option<String>,
    /// Repositories one `conductor run` process ticks with one shared agent pool
    /// (`OWNER/NAME`); empty means the repository it runs for.
    pub repositories: Vec<RepositoryName>,
    /// Also every repository of an owner that carries a topic (read when the service starts).
    pub(crate) repositories_from: Option<RepositorySource>,
    /// Most GitHub requests one repository may spend in one loop of `conductor run`, so a busy
    /// repository cannot starve the others.
    pub request_budget: u32,
}

impl ConductorConfig {
    /// The GitHub login an agent works as, where one is configured.
    pub(crate) fn agent_login(&self, agent: &str) -> Option<String> {
        self.agents
            .iter()
            .find(|a| a.name == agent)
            .and_then(|a| a.login.clone())
    }

    /// The secret an agent's config names for its own token, if it names one.
    pub(crate) fn token_secret(&self, agent: &str) -> Option<&str> {
        self.agents
            .iter()
            .find(|a| a.name == agent)
            .and_then(|a| a.token_secret.as_deref())
    }

    /// The agent that works as `login` (GitHub logins ignore case), if any.
    pub(crate) fn agent_with_login(&self, login: &str) -> Option<&Agent> {
        self.agents.iter().find(|a| {
            a.login
                .as_deref()
                .is_some_and(|l| l.eq_ignore_ascii_case(login))
        })
    }
}

impl Default for ConductorConfig {
    fn default() -> Self {
        Self {
            agents: Vec::new(),
            dispatch: Dispatch::default(),
            stale_after: Duration::from_secs(6 * 3600),
            max_fix_attempts: 2,
            review_agent: None,
            fallback: Vec::new(),
            max_review_rounds: 3,
            test_command: None,
            repositories: Vec::new(),
            repositories_from: None,
            request_budget: 200,
        }
    }
}

/// An owner's repositories that carry a topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RepositorySource {
    /// A user or organization.
    pub(crate) owner: String,
    /// Only repositories with this topic (archived ones are skipped).
    pub(crate) topic: String,
}

/// `OWNER/NAME`, checked when the config is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(transparent)]
pub struct RepositoryName(
    #[schemars(regex(pattern = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"))] pub String,
);

impl<'de> Deserialize<'de> for RepositoryName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.parse::<crate::github::Repo>() {
            Ok(_) => Ok(RepositoryName(text)),
            Err(_) => Err(serde::de::Error::custom(format!(
                "`{text}` is not a repository; expected OWNER/NAME"
            ))),
        }
    }
}

/// `ConductorConfig` as written, before checks that span fields. The schema describes the
/// `conductor` keys from this struct, so its field comments are the reference's text.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct ConductorSpec {
    /// The agents issues are handed to, one issue each at a time; names are unique. With
    /// none, no issue is ever assigned.
    #[serde(deserialize_with = "de::unique")]
    agents: Vec<Agent>,
    /// How an agent is started on a claimed issue: one of `github_actions`, `kubernetes` or
    /// `command`. Unset, the claim labels and the assignee are the only hand-off.
    dispatch: Dispatch,
    /// How long after its start an agent may go without an open pull request for the issue
    /// (one that says `Closes #N`, or from an `agent/N-…` branch) before the issue is marked
    /// `agent-failed` (or handed on to `fallback`).
    stale_after: Duration,
    /// How many times an agent is sent back to fix its pull request's failing checks (once
    /// per head commit) before the issue is marked `agent-failed` (or handed on to `fallback`).
    max_fix_attempts: u32,
    /// The agent asked to review the other agents' pull requests; one of `agents`, with its
    /// own `login` and `token_secret`. Its approval lets a pull request no gate rule touches
    /// merge; unset, no agent reviews.
    #[schemars(with = "Option<String>")]
    review_agent: Option<Spanned<String>>,
    /// Agents, in order and each once, that take on an issue whose agent failed for good:
    /// the first that has not tried it gets it with a handoff. Empty, or past the last, the
    /// issue is marked `agent-failed`.
    #[schemars(with = "Vec<String>")]
    fallback: Vec<Spanned<String>>,
    /// How many reviews requesting changes an agent answers on one pull request; at the next
    /// one the issue is marked `agent-failed` (or handed on to `fallback`).
    max_review_rounds: u32,
    /// The project's test command (`cargo test`, `npm test`): every agent task is told to
    /// write or update tests and run it, and the agent workflow runs it after the agent.
    /// Unset, tasks name no test command.
    #[serde(deserialize_with = "de::optional_non_empty")]
    test_command: Option<String>,
    /// Repositories (`OWNER/NAME`) that one `shiprig conductor run` service ticks with one
    /// shared agent pool; empty (and no `repositories_from`), it ticks only its own repository.
    repositories: Vec<RepositoryName>,
    /// Also tick every repository of an owner that carries a topic, read when the service
    /// starts and followed as the App's installation changes; unset, only `repositories`.
    repositories_from: Option<RepositorySource>,
    /// The most GitHub requests one repository may spend in one loop of `shiprig conductor
    /// run`; past it the repository waits for the next loop, so it cannot starve the others.
    request_budget: u32,
}

impl Default for ConductorSpec {
    fn default() -> Self {
        let d = ConductorConfig::default();
        Self {
            agents: d.agents,
            dispatch: d.dispatch,
            stale_after: d.stale_after,
            max_fix_attempts: d.max_fix_attempts,
            review_agent: None,
            fallback: Vec::new(),
            max_review_rounds: d.max_review_rounds,
            test_command: None,
            repositories: d.repositories,
            repositories_from: None,
            request_budget: d.request_budget,
        }
    }
}

impl TryFrom<ConductorSpec> for ConductorConfig {
    type Error = String;

    fn try_from(spec: ConductorSpec) -> Result<Self, String> {
        if let Some(review) = &spec.review_agent {
            known_agent(&spec.agents, "review_agent", review)?;
        }
        for (at, name) in spec.fallback.iter().enumerate() {
            known_agent(&spec.agents, "fallback", name)?;
            if spec.fallback[..at].iter().any(|n| n.value == name.value) {
                let message = format!("fallback names `{}` twice", name.value);
                return Err(de::located_message(name.referenced, message));
            }
        }
        if let Some(review) = &spec.review_agent
            && let Some(message) = own_identity(&spec.agents, &review.value)
        {
            return Err(de::located_message(review.referenced, message));
        }
        Ok(Self {
            agents: spec.agents,
            dispatch: spec.dispatch,
            stale_after: spec.stale_after,
            max_fix_attempts: spec.max_fix_attempts,
            review_agent: spec.review_agent.map(|r| r.value),
            fallback: spec.fallback.into_iter().map(|n| n.value).collect(),
            max_review_rounds: spec.max_review_rounds,
            test_command: spec.test_command,
            repositories: spec.repositories,
            repositories_from: spec.repositories_from,
            request_budget: spec.request_budget,
        })
    }
}

/// A name that must be one of the configured agents (`key` says where it was written).
fn known_agent(agents: &[Agent], key: &str, name: &Spanned<String>) -> Result<(), String> {
    if agents.iter().any(|a| a.name == name.value) {
        return Ok(());
    }
    let names: Vec<&str> = agents.iter().map(|a| a.name.as_str()).collect();
    let message = format!(
        "{key} `{}` is not a configured agent; expected one of: {}",
        name.value,
        if names.is_empty() {
            "(no agents configured)".into()
        } else {
            names.join(", ")
        }
    );
    Err(de::located_message(name.referenced, message))
}

/// Why the review agent would act as another agent's GitHub identity, if it would: it needs
/// its own `login` and a `token_secret` no other agent uses, or its approval would be its
/// author's (which GitHub refuses) or nobody could tell them apart.
fn own_identity(agents: &[Agent], reviewer: &str) -> Option<String> {
    let review = agents.iter().find(|a| a.name == reviewer)?;
    let Some(login) = review.login.as_deref() else {
        return Some(format!(
            "review_agent `{reviewer}` has no `login`: the reviewer acts as its own GitHub user (add `login:` and `token_secret:` to its agent entry)"
        ));
    };
    let others = agents.iter().filter(|a| a.name != reviewer);
    for other in others {
        if other
            .login
            .as_deref()
            .is_some_and(|l| l.eq_ignore_ascii_case(login))
        {
            return Some(format!(
                "review_agent `{reviewer}` has the login `{login}` of agent `{}`: GitHub never lets an author approve its own pull request, so the reviewer needs its own GitHub user",
                other.name
            ));
        }
        if other.token() == review.token() {
            return Some(format!(
                "review_agent `{reviewer}` uses the token secret `{}` of agent `{}`: the reviewer needs its own token (set `token_secret:` on its agent entry, e.g. `SHIPRIG_AGENT_TOKEN_{}`)",
                review.token(),
                other.name,
                reviewer.to_ascii_uppercase().replace('-', "_")
            ));
        }
    }
    None
}

/// The secret that holds an agent's token when its entry names none.
pub(crate) const AGENT_TOKEN_SECRET: &str = "SHIPRIG_AGENT_TOKEN";

/// One agent slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// The agent's name: lowercase letters, digits, `-` and `_`, starting with a letter or a
    /// digit; it names the agent's `agent:<name>` claim label.
    #[serde(deserialize_with = "de::slug")]
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9_-]*$"))]
    pub name: String,
    /// The GitHub login the agent works as: assigned to the issues it claims, and never
    /// counted as a person. Unset, the agent has no GitHub user of its own; a config with
    /// any `gate.rules` is refused then.
    #[serde(default)]
    pub login: Option<String>,
    /// The Actions secret (or, for `shiprig doctor`, the environment variable) that holds this
    /// agent's own GitHub token, the identity of `login`; default `SHIPRIG_AGENT_TOKEN`. One of
    /// `SHIPRIG_AGENT_TOKEN`, `SHIPRIG_AGENT_TOKEN_REVIEWER`, `SHIPRIG_AGENT_TOKEN_1` to `_9`: the
    /// agent workflow names each and uses no other secret as a token.
    #[serde(default, deserialize_with = "de::agent_token_secret")]
    #[schemars(regex(pattern = r"^SHIPRIG_AGENT_TOKEN(_REVIEWER|_[1-9])?$"))]
    pub(crate) token_secret: Option<String>,
}

impl Agent {
    /// The secret that holds this agent's token.
    pub fn token(&self) -> &str {
        self.token_secret.as_deref().unwrap_or(AGENT_TOKEN_SECRET)
    }
}

impl Named for Agent {
    const KIND: &'static str = "agent";
    fn name(&self) -> &str {
        &self.name
    }
}

/// Where shiprig tells people what happened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Notify {
    /// Slack messages for what shiprig does (agent started or failed, review needed, deploys,
    /// releases); unset, nothing is sent.
    pub slack: Option<SlackConfig>,
}

/// Slack, by incoming webhook (and optionally a bot token for threads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SlackConfig {
    /// Name of the environment variable that holds the webhook URL.
    #[serde(deserialize_with = "de::env_name")]
    pub webhook_url_env: String,
    /// Name of the environment variable that holds a Slack bot token (scope `chat:write`),
    /// used with `channel`; unset, shiprig posts through the webhook.
    #[serde(deserialize_with = "de::optional_env_name")]
    pub bot_token_env: Option<String>,
    /// The channel the bot token posts to (`"#shipping"`). Only with both this and the bot
    /// token set does shiprig post as the bot; otherwise it uses the webhook.
    pub channel: Option<String>,
}

impl Default for SlackConfig {
    fn default() -> Self {
        Self {
            webhook_url_env: "SLACK_WEBHOOK_URL".into(),
            bot_token_env: None,
            channel: None,
        }
    }
}

/// The product tool the work queue comes from (one of them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "ProductSpec")]
pub struct Product {
    /// The ClickUp list features come from, if that is the tool.
    pub clickup: Option<ClickUp>,
    /// The Asana project features come from, if that is the tool.
    pub asana: Option<Asana>,
}

/// `Product` as written, before the one-tool check. The schema describes the `product` keys
/// from this struct, so its field comments are the reference's text.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct ProductSpec {
    /// Read features from a ClickUp list (set this or `asana`, not both). With neither,
    /// `shiprig product pull` has nothing to read and no tool is told when a milestone closes.
    #[schemars(with = "Option<ClickUp>")]
    clickup: Option<Spanned<ClickUp>>,
    /// Read features from an Asana project (set this or `clickup`, not both).
    #[schemars(with = "Option<Asana>")]
    asana: Option<Spanned<Asana>>,
}

impl TryFrom<ProductSpec> for Product {
    type Error = String;

    fn try_from(spec: ProductSpec) -> Result<Self, String> {
        if let (Some(_), Some(asana)) = (&spec.clickup, &spec.asana) {
            return Err(de::located_message(
                asana.referenced,
                "both `clickup` and `asana` are configured: expected one product tool",
            ));
        }
        Ok(Self {
            clickup: spec.clickup.map(|c| c.value),
            asana: spec.asana.map(|a| a.value),
        })
    }
}

/// ClickUp: a list, the status that means "ready", the status written back when done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClickUp {
    /// Name of the environment variable that holds the ClickUp API token. When it is unset,
    /// `shiprig product pull` stops with an error, and the Conductor, which tells ClickUp
    /// when a milestone closes, logs it and goes on.
    #[serde(default = "clickup_token_env", deserialize_with = "de::env_name")]
    pub token_env: String,
    /// The id of the list whose top-level tasks are features (quote it: `list: "901"`).
    #[serde(deserialize_with = "de::non_empty")]
    pub list: String,
    /// The task status that means a feature is ready to build: `shiprig product pull` reads
    /// only the list's tasks in it.
    #[serde(default = "ready_to_build", deserialize_with = "de::non_empty")]
    pub ready_status: String,
    /// The status a feature's task is given when its milestone closes.
    #[serde(default = "complete", deserialize_with = "de::non_empty")]
    pub done_status: String,
    /// Which of ClickUp's task priorities (urgent, high, normal, low) become shiprig's
    /// `critical` and `high-priority`.
    #[serde(default)]
    pub(crate) priorities: ProductPriorities,
}

fn clickup_token_env() -> String {
    "CLICKUP_TOKEN".into()
}
fn ready_to_build() -> String {
    "ready to build".into()
}
fn complete() -> String {
    "complete".into()
}

/// Asana: a project, the section that means "ready", optionally the section for done work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Asana {
    /// Name of the environment variable that holds the Asana token. When it is unset,
    /// `shiprig product pull` stops with an error, and the Conductor, which tells Asana when
    /// a milestone closes, logs it and goes on.
    #[serde(default = "asana_token_env", deserialize_with = "de::env_name")]
    pub token_env: String,
    /// The gid of the project whose tasks are features (quote it).
    #[serde(deserialize_with = "de::non_empty")]
    pub(crate) project: String,
    /// The section (name or gid) that holds features ready to build.
    #[serde(deserialize_with = "de::non_empty")]
    pub(crate) ready_section: String,
    /// Where a done feature moves; when unset it is marked complete instead.
    #[serde(default)]
    pub done_section: Option<String>,
    /// The custom field (by name) that holds a feature's priority; Asana has no built-in one.
    #[serde(default = "priority_field", deserialize_with = "de::non_empty")]
    pub(crate) priority_field: String,
    /// Which values of `priority_field` become shiprig's `critical` and `high-priority`.
    #[serde(default)]
    pub(crate) priorities: ProductPriorities,
}

fn asana_token_env() -> String {
    "ASANA_TOKEN".into()
}
fn priority_field() -> String {
    "Priority".into()
}

/// A product tool's priority names (compared without case) that rank a feature's issues
/// `critical` or `high-priority`; any other priority, or none, is normal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ProductPriorities {
    /// The product tool's priorities whose features' issues get the `critical` label.
    pub(crate) critical: Vec<String>,
    /// The product tool's priorities whose features' issues get the `high-priority` label.
    pub(crate) high_priority: Vec<String>,
}

impl Default for ProductPriorities {
    fn default() -> Self {
        Self {
            critical: vec!["urgent".into()],
            high_priority: vec!["high".into()],
        }
    }
}

/// Release branches and the tag prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Release {
    /// The branch production is deployed from: `shiprig release-pr` opens the release pull
    /// request into it, and `shiprig bootstrap` protects it.
    #[serde(deserialize_with = "de::non_empty")]
    pub production_branch: String,
    /// The branch releases are cut from: `shiprig release-pr` releases its head (or `--sha`),
    /// and a commit that is not on it is never released.
    #[serde(deserialize_with = "de::non_empty")]
    pub main_branch: String,
    /// Written before the version in release tags (`v` tags `v1.4.0`); only tags with this
    /// prefix and a semantic version count as earlier releases.
    #[serde(deserialize_with = "de::non_empty")]
    pub tag_prefix: String,
    /// Before 1.0.0, a breaking change bumps the minor version instead of releasing 1.0.0
    /// (release-please's `bump-minor-pre-major`).
    pub(crate) bump_minor_pre_major: bool,
    /// Before 1.0.0, a feature bumps the patch version instead of the minor
    /// (release-please's `bump-patch-for-minor-pre-major`).
    pub(crate) bump_patch_for_minor_pre_major: bool,
}

impl Default for Release {
    fn default() -> Self {
        Self {
            production_branch: "production".into(),
            main_branch: "main".into(),
            tag_prefix: "v".into(),
            bump_minor_pre_major: false,
            bump_patch_for_minor_pre_major: false,
        }
    }
}
