//! The `kubernetes` backend: one `batch/v1` Job per issue, built structurally from a template
//! (never by string replacement): the issue and agent as labels and environment variables,
//! `backoffLimit: 0`, `activeDeadlineSeconds`, `ttlSecondsAfterFinished`. Finished Jobs are
//! left to their TTL.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::EnvVar;
use kube::api::{ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

use super::assignment::{Assignment, DispatchError, Observation, RunState, Started};
use crate::config::KubernetesDispatch;
use crate::github::Repo;

pub(crate) const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub(crate) const ISSUE_LABEL: &str = "shiprig.dev/issue";
pub(crate) const AGENT_LABEL: &str = "shiprig.dev/agent";
pub(crate) const REPO_LABEL: &str = "shiprig.dev/repository";
pub(crate) const CLAIM_LABEL: &str = "shiprig.dev/claim";

/// Jobs in one namespace, and the template new ones are made from.
#[derive(Clone)]
pub struct Jobs {
    api: kube::Api<Job>,
    template: Job,
    settings: KubernetesDispatch,
}

impl Jobs {
    /// `KUBECONFIG` when given, else the in-cluster service account.
    pub(crate) async fn connect(
        settings: &KubernetesDispatch,
        kubeconfig: Option<&Path>,
    ) -> anyhow::Result<Jobs> {
        let config = match kubeconfig {
            Some(path) => {
                let file = Kubeconfig::read_from(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                kube::Config::from_custom_kubeconfig(file, &KubeConfigOptions::default()).await?
            }
            None => {
                kube::Config::incluster().context("no KUBECONFIG and not running in a cluster")?
            }
        };
        let client = kube::Client::try_from(config).context("building the Kubernetes client")?;
        let text = std::fs::read_to_string(&settings.job_template)
            .with_context(|| format!("reading the Job template {}", settings.job_template))?;
        let template: Job = serde_saphyr::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: not a batch/v1 Job: {e}", settings.job_template))?;
        Ok(Jobs {
            api: kube::Api::namespaced(client, &settings.namespace),
            template,
            settings: settings.clone(),
        })
    }

    /// Creates the Job named after the claim. A Job of that name already there is this
    /// claim's (an earlier answer was lost): it counts as started, never as a second Job.
    pub(crate) async fn dispatch(
        &self,
        assignment: &Assignment<'_>,
    ) -> Result<Started, DispatchError> {
        let job = build(&self.template, assignment, &self.settings);
        let name = job.metadata.name.clone().unwrap_or_default();
        match self.api.create(&PostParams::default(), &job).await {
            Ok(_) => Ok(self.started(&name)),
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(self.started(&name)),
            Err(kube::Error::Api(status)) if status.code < 500 => Err(DispatchError::Transient(
                anyhow::anyhow!("creating the Job {name}: {}", status.message),
            )),
            Err(e) => Err(DispatchError::Unclear(anyhow::anyhow!(
                "creating the Job {name}: {e}"
            ))),
        }
    }

    /// The Job of this claim, if it exists.
    pub(crate) async fn find(
        &self,
        assignment: &Assignment<'_>,
    ) -> anyhow::Result<Option<Started>> {
        let name = job_name(assignment);
        let found = self
            .api
            .get_opt(&name)
            .await
            .with_context(|| format!("reading the Job {name}"))?;
        Ok(found.map(|_| self.started(&name)))
    }

    fn started(&self, name: &str) -> Started {
        Started {
            run: None,
            url: Some(format!("job/{name} in {}", self.settings.namespace)),
        }
    }

    pub(crate) async fn observe(&self, repo: &Repo) -> anyhow::Result<Vec<Observation>> {
        let selector = format!(
            "{MANAGED_BY}=shiprig,{REPO_LABEL}={}",
            label_value(&repo.to_string())
        );
        let jobs = self
            .api
            .list(&ListParams::default().labels(&selector))
            .await
            .context("listing agent Jobs")?;
        Ok(jobs
            .items
            .iter()
            .filter_map(|job| observation(job, &self.settings.namespace))
            .collect())
    }
}

/// The Job for one assignment. Pure, so the shape is tested without a cluster.
pub(crate) fn build(
    template: &Job,
    assignment: &Assignment<'_>,
    settings: &KubernetesDispatch,
) -> Job {
    let mut job = template.clone();
    let labels = BTreeMap::from([
        (MANAGED_BY.to_string(), "shiprig".to_string()),
        (ISSUE_LABEL.to_string(), assignment.issue.to_string()),
        (AGENT_LABEL.to_string(), label_value(assignment.agent)),
        (
            REPO_LABEL.to_string(),
            label_value(&assignment.repo.to_string()),
        ),
        (CLAIM_LABEL.to_string(), assignment.claim.to_string()),
    ]);
    job.metadata.name = Some(job_name(assignment));
    job.metadata.generate_name = None;
    job.metadata.namespace = Some(settings.namespace.clone());
    job.metadata
        .labels
        .get_or_insert_with(BTreeMap::new)
        .extend(labels.clone());
    let spec = job.spec.get_or_insert_with(Default::default);
    spec.backoff_limit = Some(0);
    spec.active_deadline_seconds = Some(settings.active_deadline.0.as_secs() as i64);
    spec.ttl_seconds_after_finished = Some(settings.ttl_after_finished.0.as_secs() as i32);
    spec.template
        .metadata
        .get_or_insert_with(Default::default)
        .labels
        .get_or_insert_with(BTreeMap::new)
        .extend(labels);
    let pod = spec.template.spec.get_or_insert_with(Default::default);
    pod.restart_policy = Some("Never".into());
    let env: Vec<EnvVar> = assignment
        .data()
        .into_iter()
        .map(|(name, value)| EnvVar {
            name: format!(
                "{}{}",
                super::command::ENV_PREFIX,
                name.to_ascii_uppercase()
            ),
            value: Some(value),
            value_from: None,
        })
        .collect();
    for container in &mut pod.containers {
        container
            .env
            .get_or_insert_with(Vec::new)
            .extend(env.iter().cloned());
    }
    job
}

fn observation(job: &Job, namespace: &str) -> Option<Observation> {
    let labels = job.metadata.labels.as_ref()?;
    let issue = labels.get(ISSUE_LABEL)?.parse().ok()?;
    let agent = labels.get(AGENT_LABEL)?.clone();
    let status = job.status.clone().unwrap_or_default();
    let failed = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "Failed" && c.status == "True");
    let state = if let Some(condition) = failed {
        RunState::Failed(format!(
            "the Job failed: {}",
            condition
                .message
                .clone()
                .or(condition.reason.clone())
                .unwrap_or_default()
        ))
    } else if status.failed.unwrap_or(0) > 0 {
        RunState::Failed("the Job's pod failed".into())
    } else if status.succeeded.unwrap_or(0) > 0 {
        RunState::Succeeded
    } else {
        RunState::Running
    };
    let started_at = job.metadata.creation_timestamp.as_ref().map(|t| t.0)?;
    let name = job.metadata.name.clone().unwrap_or_default();
    let started_at = chrono::DateTime::from_timestamp(started_at.as_second(), 0)?;
    Some(Observation {
        id: None,
        claim: labels.get(CLAIM_LABEL).and_then(|c| c.parse().ok()),
        issue,
        agent,
        state,
        started_at,
        url: format!("job/{name} in {namespace}"),
    })
}

/// The Job's name, deterministic from the claim it settles: `shiprig-<agent>-<issue>-<claim>`.
pub(crate) fn job_name(assignment: &Assignment<'_>) -> String {
    let suffix = format!("-{}-{:x}", assignment.issue, assignment.claim);
    let agent: String = dns_name(assignment.agent)
        .chars()
        .take(63 - "shiprig-".len() - suffix.len())
        .collect();
    format!("shiprig-{}{suffix}", agent.trim_end_matches('-'))
}

/// A label value: alphanumerics, `-`, `_`, `.`; at most 63 characters.
fn label_value(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '.'
            }
        })
        .collect();
    cleaned.chars().take(63).collect()
}

/// A DNS-1123 name part: lowercase alphanumerics and `-`.
fn dns_name(text: &str) -> String {
    text.to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}
