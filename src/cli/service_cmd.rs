//! `shiprig conductor run`: the Conductor as a long-lived service.

use std::net::SocketAddr;
use std::time::Duration;

use super::args::{Global, RepoArg};
use crate::context::{Ctx, Vars};
use crate::error::{Exit, UsageError};
use crate::service::serve::{self, LeaseOptions, ServeRequest};
use crate::service::webhook::WebhookSecrets;

#[derive(Debug, clap::Args)]
/// `--repo` names the repository whose config is read, and which is ticked when
/// `conductor.repositories` is empty.
pub(crate) struct ServiceRunArgs {
    #[command(flatten)]
    pub(crate) repo: RepoArg,
    /// Time between loops (jittered by a tenth either way).
    #[arg(long, env = "SHIPRIG_INTERVAL", default_value = "60s", value_parser = humantime::parse_duration)]
    pub(crate) interval: Duration,
    /// Where the status page (`/`, `/api/v1/state`), `/healthz`, `/readyz`, `/metrics` and (with
    /// `SHIPRIG_WEBHOOK_SECRET`, several comma-separated while rotating) GitHub's webhooks on
    /// `POST /webhook` are served.
    #[arg(long, env = "SHIPRIG_LISTEN", default_value = "127.0.0.1:9090")]
    pub(crate) listen: SocketAddr,
    /// Elect a leader over this Kubernetes Lease (in-cluster or `KUBECONFIG`); only the holder ticks.
    #[arg(long, env = "SHIPRIG_LEASE", value_name = "NAME")]
    pub(crate) lease: Option<String>,
    /// The namespace of the Lease.
    #[arg(long, env = "SHIPRIG_LEASE_NAMESPACE", default_value = "default")]
    pub(crate) lease_namespace: String,
    /// How long a lease lasts without renewal; a stopped leader is replaced within it.
    #[arg(long, env = "SHIPRIG_LEASE_DURATION", default_value = "15s", value_parser = humantime::parse_duration)]
    pub(crate) lease_duration: Duration,
    /// This replica's name in the Lease (Kubernetes sets `POD_NAME` through the downward API).
    #[arg(long, env = "POD_NAME")]
    pub(crate) identity: Option<String>,
}

pub(crate) async fn run(
    args: ServiceRunArgs,
    global: &Global,
    vars: &Vars,
) -> anyhow::Result<Exit> {
    // `SHIPRIG_WEBHOOK_SECRET`: unset leaves `/webhook` off; set but empty is bad usage.
    let webhook_secrets = match vars.get("SHIPRIG_WEBHOOK_SECRET") {
        Some(value) => Some(WebhookSecrets::parse(&value).map_err(UsageError)?),
        None => None,
    };
    let ctx = Ctx::load_service(
        args.repo.repo.as_deref(),
        global.config.as_deref(),
        vars,
        serve::SERVICE_RETRY_BUDGET,
    )
    .await?;
    let request = ServeRequest {
        home: ctx.repo,
        config: ctx.config,
        interval: args.interval,
        listen: args.listen,
        lease: args.lease.map(|name| LeaseOptions {
            name,
            namespace: args.lease_namespace,
            duration: args.lease_duration,
            identity: args.identity,
        }),
        webhook_secrets,
        kubeconfig: vars.kubeconfig(),
    };
    serve::serve(&ctx.gh, &ctx.notifier, &request).await?;
    Ok(Exit::Ok)
}
