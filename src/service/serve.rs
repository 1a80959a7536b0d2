//! `shiprig conductor run` as a process: the client with a short retry budget and conditional
//! requests, the repositories to tick, the lease, the status page, `/healthz`, `/readyz`,
//! `/metrics` and `/webhook`, and SIGTERM finishing the tick in flight.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use tokio::sync::watch;

use super::webhook::{Inbox, READ_TIMEOUT, Webhook, WebhookSecrets};
use super::{Leader, Metrics, Repository, Service, repositories, run_with_inbox};
use crate::agents::Backend;
use crate::config::Config;
use crate::github::{GitHub, Repo, SystemClock};
use crate::notify::Notifier;

/// Retries in the service give up quickly, so a rate-limited repository is deferred to the
/// next loop instead of holding up the others: the budget its client is built with.
pub(crate) const SERVICE_RETRY_BUDGET: Duration = Duration::from_secs(20);

/// What `shiprig conductor run` asks for: how the service runs.
#[derive(Clone)]
pub(crate) struct ServeRequest {
    /// The repository whose config this is, ticked when `conductor.repositories` is empty.
    pub(crate) home: Repo,
    pub(crate) config: Config,
    pub(crate) interval: Duration,
    pub(crate) listen: SocketAddr,
    pub(crate) lease: Option<LeaseOptions>,
    /// `SHIPRIG_WEBHOOK_SECRET`: none leaves `/webhook` off.
    pub(crate) webhook_secrets: Option<WebhookSecrets>,
    /// `KUBECONFIG`: where the agents' and the lease's cluster is described outside a cluster.
    pub(crate) kubeconfig: Option<PathBuf>,
}

/// Leader election over a Kubernetes Lease: only the holder ticks.
#[derive(Debug, Clone)]
pub(crate) struct LeaseOptions {
    pub(crate) name: String,
    pub(crate) namespace: String,
    pub(crate) duration: Duration,
    /// This replica's name in the Lease (default: `shiprig-<pid>`).
    pub(crate) identity: Option<String>,
}

/// Serves until SIGTERM or Ctrl-C; the tick in flight finishes first. `gh` acts for the whole
/// installation (each repository's client is made from it), with [`SERVICE_RETRY_BUDGET`].
pub(crate) async fn serve(
    gh: &GitHub,
    notifier: &Notifier,
    options: &ServeRequest,
) -> anyhow::Result<()> {
    let (home, config) = (&options.home, &options.config);
    let secrets = options.webhook_secrets.clone();
    let repos = repositories(&gh.for_repo(home), config, home).await?;
    let names: Vec<String> = repos.iter().map(Repo::to_string).collect();
    tracing::info!(count = repos.len(), "ticking {}", names.join(", "));
    let kubeconfig = options.kubeconfig.clone();
    let backend = Backend::from_config(config, kubeconfig.as_deref()).await?;
    let leader = match &options.lease {
        Some(lease) => Some(elect(lease, kubeconfig.as_deref()).await?),
        None => None,
    };
    let metrics = Arc::new(Metrics::default());
    metrics.board.expect(&names);
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("listening on {}", options.listen))?;
    tracing::info!(
        webhook = secrets.is_some(),
        "serving the status page, /healthz, /readyz, /metrics and /webhook on {}",
        listener.local_addr()?
    );
    let inbox = Arc::new(Inbox::default());
    let webhook = secrets.map(|secrets| {
        Arc::new(Webhook {
            secrets,
            inbox: inbox.clone(),
            metrics: metrics.clone(),
            read_timeout: READ_TIMEOUT,
        })
    });
    let hooks = super::webhook::routes(inbox.clone(), webhook);
    let http = tokio::spawn(serve_http(listener, metrics.clone(), hooks));
    let repositories = repos
        .into_iter()
        .map(|r| Repository::new(gh, r, config.conductor.request_budget))
        .collect();
    let mut service = Service {
        repositories,
        config,
        notifier,
        backend: &backend,
        metrics,
    };
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("stopping after the tick in flight");
        let _ = stop_tx.send(true);
    });
    run_with_inbox(
        &mut service,
        options.interval,
        &SystemClock,
        stop,
        leader,
        &inbox,
    )
    .await;
    http.abort();
    Ok(())
}

async fn elect(lease: &LeaseOptions, kubeconfig: Option<&Path>) -> anyhow::Result<Leader> {
    let config = match kubeconfig {
        Some(path) => {
            let file = kube::config::Kubeconfig::read_from(path)?;
            kube::Config::from_custom_kubeconfig(file, &Default::default()).await?
        }
        None => {
            kube::Config::incluster().context("leader election needs KUBECONFIG or a cluster")?
        }
    };
    let client = kube::Client::try_from(config)?;
    let identity = lease
        .identity
        .clone()
        .unwrap_or_else(|| format!("shiprig-{}", std::process::id()));
    Leader::start(
        client,
        &lease.namespace,
        &lease.name,
        &identity,
        lease.duration,
    )
    .await
}

async fn wait_for_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

async fn serve_http(listener: tokio::net::TcpListener, metrics: Arc<Metrics>, hooks: Router) {
    let board = metrics.board.clone();
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(render))
        .with_state(metrics)
        .merge(super::status::routes(board))
        .merge(hooks);
    let _ = axum::serve(listener, app).await;
}

async fn render(
    State(metrics): State<Arc<Metrics>>,
) -> ([(&'static str, &'static str); 1], String) {
    (
        [("content-type", "text/plain; version=0.0.4; charset=utf-8")],
        metrics.render(),
    )
}
