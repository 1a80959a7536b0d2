//! The Conductor as one Actions job runs it (`shiprig conductor tick`): the tick with its
//! agents built from the config, and the "critical issue filed" message when the job was
//! started by that issue.

use std::path::PathBuf;

use super::{Tick, TickReport, explain, read_graph, tick};
use crate::actions_event::ActionsEvent;
use crate::agents::Backend;
use crate::config::Config;
use crate::github::{GitHub, Repo};
use crate::notify::{Notifier, ProductHook};

/// What `shiprig conductor tick` asks for: one pass over one repository.
#[derive(Debug, Clone)]
pub(crate) struct TickRequest {
    pub(crate) repo: Repo,
    pub(crate) config: Config,
    /// The event that started the job (empty outside Actions).
    pub(crate) event: ActionsEvent,
    /// `KUBECONFIG`: where the agents' cluster is described outside a cluster.
    pub(crate) kubeconfig: Option<PathBuf>,
    /// Decide and report, write nothing.
    pub(crate) dry_run: bool,
    /// Also read what the job summary's dependency graph needs.
    pub(crate) with_graph: bool,
}

/// What `shiprig conductor explain ISSUE` asks for.
#[derive(Debug, Clone)]
pub(crate) struct ExplainRequest {
    pub(crate) repo: Repo,
    pub(crate) config: Config,
    pub(crate) issue: u64,
    /// `KUBECONFIG`: where the agents' cluster is described outside a cluster.
    pub(crate) kubeconfig: Option<PathBuf>,
}

/// Reads, decides, and (unless `dry_run`) acts, telling the product tool when there is one.
pub(crate) async fn run(
    gh: &GitHub,
    notifier: &Notifier,
    product: Option<&dyn ProductHook>,
    request: &TickRequest,
) -> anyhow::Result<TickReport> {
    let config = &request.config;
    let backend = Backend::from_config(config, request.kubeconfig.as_deref()).await?;
    let job = Tick {
        gh,
        repo: &request.repo,
        config,
        notifier,
        product,
        backend: Some(&backend),
    };
    let event = &request.event;
    let repo = request.repo.to_string();
    if !request.dry_run
        && let Some(filed) =
            crate::notify::critical::filed(event.name(), event.payload(), &config.labels, &repo)
    {
        notifier.tell(filed).await;
    }
    let mut report = tick(&job, gh.clock().now(), request.dry_run).await?;
    if request.with_graph {
        read_graph(&job, &mut report).await?;
    }
    Ok(report)
}

/// `shiprig conductor explain ISSUE`: the tick's plan, read-only, told for one issue.
pub(crate) async fn explain_issue(
    gh: &GitHub,
    notifier: &Notifier,
    request: &ExplainRequest,
) -> anyhow::Result<explain::Explanation> {
    let backend = Backend::from_config(&request.config, request.kubeconfig.as_deref()).await?;
    let job = Tick {
        gh,
        repo: &request.repo,
        config: &request.config,
        notifier,
        product: None,
        backend: Some(&backend),
    };
    let (_, explained) = super::explain(&job, request.issue, gh.clock().now()).await?;
    Ok(explained)
}
