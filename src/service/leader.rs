//! Leader election over a `coordination.k8s.io/v1` Lease (kube-lease-manager): of several
//! replicas of `conductor run`, only the one holding the lease ticks.

use std::time::Duration;

use anyhow::Context as _;
use kube_lease_manager::LeaseManagerBuilder;
use tokio::sync::watch;

/// A running lease manager; `is_leader` reads its latest state.
pub struct Leader {
    state: watch::Receiver<bool>,
    _task: tokio::task::JoinHandle<kube_lease_manager::Result<kube_lease_manager::LeaseManager>>,
}

impl Leader {
    /// Start competing for `lease` in `namespace` as `identity`, with leases of `duration`.
    pub async fn start(
        client: kube::Client,
        namespace: &str,
        lease: &str,
        identity: &str,
        duration: Duration,
    ) -> anyhow::Result<Leader> {
        let manager = LeaseManagerBuilder::new(client, lease)
            .with_namespace(namespace)
            .with_identity(identity)
            .with_duration(duration.as_secs().max(2))
            .with_grace(1)
            .build()
            .await
            .context("setting up the leader election lease")?;
        let (state, task) = manager.watch().await;
        Ok(Leader { state, _task: task })
    }

    /// Stop competing without releasing the lease, as a replica that is killed does.
    pub fn abandon(self) {
        self._task.abort();
    }

    pub fn is_leader(&self) -> bool {
        *self.state.borrow()
    }

    /// Wait until leadership changes or `timeout` passes.
    pub async fn changed(&mut self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.state.changed()).await;
    }
}
