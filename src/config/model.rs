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
    #[serde(deserialize_with = "de::non_empty")]
    pub approved: String,
    #[serde(deserialize_with = "de::non_empty")]
    pub(crate) blocked: String,
    #[serde(deserialize_with = "de::non_empty")]
    pub in_progress: String,
    #[serde(deserialize_with = "de::non_empty")]
    pub(crate) in_review: String,
    #[serde(deserialize_with = "de::non_empty")]
    pub(crate) done: String,
    #[serde(deserialize_with = "de::non_empty")]
    pub(crate) critical: String,
    #[serde(deserialize_with = "de::non_empty")]
    pub high_priority: String,
    #[serde(deserialize_with = "de::non_empty")]
    pub agent_failed: String,
    /// A human's "leave this alone" label; shiprig never assigns an issue carrying it.
    #[serde(deserialize_with = "de::non_empty")]
    pub hold: String,
    /// Prefix of the per-agent claim label (`agent:agent-1`).
    #[serde(deserialize_with = "de::non_empty")]
    pub agent_prefix: String,
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
    pub dispatch: Dispatch,
    /// No pull request by this long after dispatch: the run has stalled.
    pub stale_after: Duration,
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

/// `ConductorConfig` as written, before checks that span fields.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct ConductorSpec {
    #[serde(deserialize_with = "de::unique")]
    agents: Vec<Agent>,
    dispatch: Dispatch,
    stale_after: Duration,
    max_fix_attempts: u32,
    #[schemars(with = "Option<String>")]
    review_agent: Option<Spanned<String>>,
    #[schemars(with = "Vec<String>")]
    fallback: Vec<Spanned<String>>,
    max_review_rounds: u32,
    #[serde(deserialize_with = "de::optional_non_empty")]
    test_command: Option<String>,
    repositories: Vec<RepositoryName>,
    repositories_from: Option<RepositorySource>,
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
    /// Lowercase letters, digits, `-`, `_`; used in the `agent:<name>` label.
    #[serde(deserialize_with = "de::slug")]
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9_-]*$"))]
    pub name: String,
    /// The GitHub login the agent works as; assigned on claim, never counted as a human.
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
    pub slack: Option<SlackConfig>,
}

/// Slack, by incoming webhook (and optionally a bot token for threads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SlackConfig {
    /// Name of the environment variable that holds the webhook URL.
    #[serde(deserialize_with = "de::env_name")]
    pub webhook_url_env: String,
    /// Name of the environment variable that holds a bot token.
    #[serde(deserialize_with = "de::optional_env_name")]
    pub bot_token_env: Option<String>,
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
    pub clickup: Option<ClickUp>,
    pub asana: Option<Asana>,
}

/// `Product` as written, before the one-tool check.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct ProductSpec {
    #[schemars(with = "Option<ClickUp>")]
    clickup: Option<Spanned<ClickUp>>,
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
    #[serde(default = "clickup_token_env", deserialize_with = "de::env_name")]
    pub token_env: String,
    /// The list id (quote it: `list: "901"`).
    #[serde(deserialize_with = "de::non_empty")]
    pub list: String,
    #[serde(default = "ready_to_build", deserialize_with = "de::non_empty")]
    pub ready_status: String,
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
    #[serde(default = "asana_token_env", deserialize_with = "de::env_name")]
    pub token_env: String,
    /// The project gid.
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
    /// Which values of that field become shiprig's `critical` and `high-priority`.
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
    pub(crate) critical: Vec<String>,
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
    #[serde(deserialize_with = "de::non_empty")]
    pub production_branch: String,
    #[serde(deserialize_with = "de::non_empty")]
    pub main_branch: String,
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
