//! How the Conductor starts an agent: a GitHub Actions workflow, a Kubernetes Job, or a command.

use std::fmt;

use schemars::JsonSchema;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_saphyr::Spanned;

use super::de;
use super::values::Duration;

/// The dispatch backend; at most one is set. None set means agents are never started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("maxProperties" = 1))]
pub struct Dispatch {
    /// Start each agent task as a run of the agent workflow in the repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_actions: Option<GithubActionsDispatch>,
    /// Start each agent task as a Kubernetes Job, built from a template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesDispatch>,
    /// Start each agent task by running a local program.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) command: Option<CommandDispatch>,
}

/// The one configured backend, for a `match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfiguredBackend<'a> {
    GithubActions(&'a GithubActionsDispatch),
    Kubernetes(&'a KubernetesDispatch),
    Command(&'a CommandDispatch),
}

impl Dispatch {
    /// The configured backend, if any.
    pub fn backend(&self) -> Option<ConfiguredBackend<'_>> {
        if let Some(b) = &self.github_actions {
            return Some(ConfiguredBackend::GithubActions(b));
        }
        if let Some(b) = &self.kubernetes {
            return Some(ConfiguredBackend::Kubernetes(b));
        }
        self.command.as_ref().map(ConfiguredBackend::Command)
    }
}

const BACKENDS: &[&str] = &["github_actions", "kubernetes", "command"];

impl<'de> Deserialize<'de> for Dispatch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(DispatchVisitor)
    }
}

struct DispatchVisitor;

impl<'de> Visitor<'de> for DispatchVisitor {
    type Value = Dispatch;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping with one of `github_actions`, `kubernetes`, `command`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Dispatch, A::Error> {
        let mut out = Dispatch::default();
        let mut first: Option<String> = None;
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let Spanned {
                value: key,
                referenced: at,
                ..
            } = key;
            match key.as_str() {
                "github_actions" => out.github_actions = Some(map.next_value()?),
                "kubernetes" => out.kubernetes = Some(map.next_value()?),
                "command" => out.command = Some(map.next_value()?),
                other => return Err(de::located(at, unknown_backend(other))),
            }
            if let Some(first) = &first {
                return Err(de::located(
                    at,
                    format!(
                        "`{key}` and `{first}` are both set: dispatch takes exactly one backend \
                         (one of {})",
                        BACKENDS.join(", ")
                    ),
                ));
            }
            first = Some(key);
        }
        Ok(out)
    }
}

fn unknown_backend(key: &str) -> String {
    format!(
        "unknown field `{key}`, expected one of {}",
        BACKENDS.join(", ")
    )
}

/// `workflow_dispatch` of the agent workflow with inputs `issue` and `agent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GithubActionsDispatch {
    /// The agent workflow's file name in `.github/workflows/` (`shiprig-agent.yml`), or its
    /// numeric id.
    pub workflow: String,
    /// The branch or tag whose copy of the workflow runs.
    #[serde(rename = "ref", default = "main")]
    pub git_ref: String,
}

fn main() -> String {
    "main".into()
}

/// A `batch/v1` Job per issue, from a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesDispatch {
    /// The namespace the Jobs are created and watched in, whatever the template says.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Path of the Job template (a `batch/v1` Job in YAML), read from the Conductor's own
    /// file system once, when it starts: a relative path from its working directory (in the
    /// Actions workflow, the repository's checkout), or where the service mounts it (the
    /// shipped ConfigMap puts `deploy/kubernetes/agent-job.yml` at `/etc/shiprig/agent-job.yml`).
    /// Never read from a pull request or an issue.
    pub(crate) job_template: String,
    /// How long a Job may run before Kubernetes stops it (its `activeDeadlineSeconds`); a
    /// stopped Job is a failed run, like any other.
    #[serde(default = "six_hours")]
    pub active_deadline: Duration,
    /// How long a finished Job is kept before Kubernetes deletes it (its
    /// `ttlSecondsAfterFinished`).
    #[serde(default = "one_hour")]
    pub ttl_after_finished: Duration,
}

fn default_namespace() -> String {
    "default".into()
}
fn six_hours() -> Duration {
    Duration::from_secs(6 * 3600)
}
fn one_hour() -> Duration {
    Duration::from_secs(3600)
}

/// A local program, for self-hosted runners; receives the issue as data, never as shell text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandDispatch {
    /// Program and arguments; at least the program.
    #[serde(deserialize_with = "de::argv")]
    #[schemars(length(min = 1))]
    pub(crate) argv: Vec<String>,
    /// How long the program may run; it should start the agent's work and return. It is
    /// killed when this runs out, and the agent is marked failed.
    #[serde(default = "ten_minutes")]
    pub(crate) timeout: Duration,
    /// Variables of shiprig's environment the program may inherit (`[GITHUB_TOKEN, KUBECONFIG]`).
    /// The program starts from an empty environment plus `PATH`, `HOME`, `LANG`, `LC_ALL`,
    /// `TZ`, `TMPDIR`, `USER` and the non-secret GitHub Actions context (`GITHUB_SHA`,
    /// `GITHUB_REPOSITORY`…); nothing else passes unless listed here. The file channels
    /// (`GITHUB_ENV`, `GITHUB_OUTPUT`, `GITHUB_PATH`, `GITHUB_STATE`, `GITHUB_STEP_SUMMARY`)
    /// never pass and cannot be listed.
    #[serde(default, deserialize_with = "de::env_names")]
    pub(crate) env: Vec<String>,
}

fn ten_minutes() -> Duration {
    Duration::from_secs(600)
}
