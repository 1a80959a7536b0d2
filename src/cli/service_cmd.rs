//! `shiprig conductor run`: the Conductor as a long-lived service.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use tokio::sync::watch;

use super::env::{self, Environment};
use super::{Exit, Global, UsageError};
use crate::agents::Backend;
use crate::github::{ClientOptions, GitHub, Repo, SystemClock};
use crate::service::{self, Leader, Metrics, Repository, Service};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The repository whose config is read, and ticked when `conductor.repositories` is empty.
    #[arg(long, env = "GITHUB_REPOSITORY", value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Time between loops (jittered by a tenth either way).
    #[arg(long, env = "SHIPRIG_INTERVAL", default_value = "60s", value_parser = humantime::parse_duration)]
    pub interval: Duration,
    /// Where `/healthz` and `/metrics` are served.
    #[arg(long, env = "SHIPRIG_LISTEN", default_value = "127.0.0.1:9090")]
    pub listen: SocketAddr,
    /// Elect a leader over this Kubernetes Lease (in-cluster or `KUBECONFIG`); only the holder ticks.
    #[arg(long, env = "SHIPRIG_LEASE", value_name = "NAME")]
    pub lease: Option<String>,
    /// The namespace of the Lease.
    #[arg(long, env = "SHIPRIG_LEASE_NAMESPACE", default_value = "default")]
    pub lease_namespace: String,
    /// How long a lease lasts without renewal; a stopped leader is replaced within it.
    #[arg(long, env = "SHIPRIG_LEASE_DURATION", default_value = "15s", value_parser = humantime::parse_duration)]
    pub lease_duration: Duration,
    /// This replica's name in the Lease (Kubernetes sets `POD_NAME` through the downward API).
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,
}

/// Retries in the service give up quickly, so a rate-limited repository is deferred to the
/// next loop instead of holding up the others.
const SERVICE_RETRY_BUDGET: Duration = Duration::from_secs(20);

pub async fn run(
    args: RunArgs,
    global: &Global,
    environment: &Environment,
) -> anyhow::Result<Exit> {
    let home = env::repository(args.repo.as_deref(), environment)?;
    let mut options = ClientOptions::from_env(|name| environment.get(name)).map_err(UsageError)?;
    options.retry.budget = SERVICE_RETRY_BUDGET;
    let gh = GitHub::new(options)?;
    let config = env::load_config(global.config.as_deref(), &gh.for_repo(&home), &home).await?;
    let repos = service::repositories(&gh.for_repo(&home), &config, &home).await?;
    tracing::info!(
        count = repos.len(),
        "ticking {}",
        repos
            .iter()
            .map(Repo::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let notifier = super::conductor_cmd::notifier(&config, environment)?;
    let kubeconfig = environment.get("KUBECONFIG").map(std::path::PathBuf::from);
    let backend = Backend::from_config(&config, kubeconfig.as_deref()).await?;
    let leader = match &args.lease {
        Some(lease) => Some(elect(&args, lease, kubeconfig.as_deref()).await?),
        None => None,
    };
    let metrics = Arc::new(Metrics::default());
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!(
        "serving /healthz and /metrics on {}",
        listener.local_addr()?
    );
    let http = tokio::spawn(serve(listener, metrics.clone()));
    let repositories = repos
        .into_iter()
        .map(|r| Repository::new(&gh, r, config.conductor.request_budget))
        .collect();
    let svc = Service {
        repositories,
        config: &config,
        notifier: &notifier,
        backend: &backend,
        metrics,
    };
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("stopping after the tick in flight");
        let _ = stop_tx.send(true);
    });
    service::run(&svc, args.interval, &SystemClock, stop, leader).await;
    http.abort();
    Ok(Exit::Ok)
}

async fn elect(
    args: &RunArgs,
    lease: &str,
    kubeconfig: Option<&std::path::Path>,
) -> anyhow::Result<Leader> {
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
    let identity = args
        .identity
        .clone()
        .unwrap_or_else(|| format!("shiprig-{}", std::process::id()));
    Leader::start(
        client,
        &args.lease_namespace,
        lease,
        &identity,
        args.lease_duration,
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

async fn serve(listener: tokio::net::TcpListener, metrics: Arc<Metrics>) {
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(render))
        .with_state(metrics);
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
