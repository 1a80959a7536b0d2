//! A stateful in-memory GitHub behind a local HTTP server, for tests and `shiprig demo`.
//!
//! [`Emulator::start`] binds `127.0.0.1:0` and serves GitHub's REST shapes (the operations in
//! `tests/fixtures/github/openapi-subset.json`) from a [`Model`]. Routes read and change the model the
//! way GitHub does; the production client is simply pointed at [`Emulator::url`]. Tests seed and
//! assert through [`Emulator::model`], read the request log, and inject faults.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use github_emulator::{Emulator, Fault, Permission};
//!
//! let emu = Emulator::start().await?;
//! {
//!     let mut m = emu.model(); // a std MutexGuard: drop it before any .await
//!     m.add_repo("acme", "widgets", "main");
//!     m.set_permission("acme/widgets", "mia", Permission::Maintain);
//!     m.add_token("ghp_mia", "mia");
//!     let a = m.create_issue("acme/widgets", "Build it", "", &["approved"], "mia");
//!     let b = m.create_issue("acme/widgets", "Design it", "", &[], "mia");
//!     m.add_blocked_by("acme/widgets", a, "acme/widgets", b);
//! }
//! // Point GITHUB_API_URL at emu.url(); the second labels write answers 403 + Retry-After.
//! emu.inject(
//!     Fault::status(Some("POST"), "/repos/*/*/issues/*/labels", 403)
//!         .with_header("Retry-After", "30")
//!         .nth(2),
//! );
//! assert!(emu.writes().is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! Every timestamp comes from the model's logical clock ([`Model::set_now`],
//! [`Model::advance`]); it never moves on its own. Clients that sign App JWTs or judge token
//! expiry with the wall clock (octocrab does) want `set_now(Utc::now())` first.

pub mod asana;
mod auth;
pub mod clickup;
mod etag;
mod fault;
mod http;
pub mod kubernetes;
mod model;
mod render;
mod routes;
mod server;
pub mod slack;
pub mod tools;

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub use fault::{Fault, FaultAction, FaultWhen, Lost, WRITES};
pub use model::{
    ACTIONS_LOGIN, CheckRunView, IssueView, LabelView, Model, Permission, PullView, RaisedEvent,
    ReviewState, UserKind, WorkflowRunView, Writer,
};
pub use routes::{UNDOCUMENTED_ROUTES, served_routes};

/// One request as the emulator saw it (faulted and rejected requests included).
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedRequest {
    /// Position in the log, from 1.
    pub seq: u64,
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// The raw query string (empty when there is none).
    pub query: String,
    /// The status answered; 0 when the connection was dropped.
    pub status: u16,
    /// The JSON request body, when there was one.
    pub body: Option<serde_json::Value>,
    /// The login the request authenticated as, when known.
    pub actor: Option<String>,
}

/// State shared between the server task and the test holding the [`Emulator`].
pub(crate) struct Shared {
    pub(crate) model: Mutex<Model>,
    pub(crate) log: Mutex<Vec<LoggedRequest>>,
    pub(crate) faults: Mutex<Vec<fault::Armed>>,
    pub(crate) latency: Mutex<Duration>,
    pub(crate) seq: AtomicU64,
}

/// A running emulator; dropping it stops the server.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Emulator {
    /// Binds `127.0.0.1:0` and starts serving an empty model.
    pub async fn start() -> anyhow::Result<Emulator> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            model: Mutex::new(Model::new(&format!("http://{addr}"))),
            log: Mutex::new(Vec::new()),
            faults: Mutex::new(Vec::new()),
            latency: Mutex::new(Duration::ZERO),
            seq: AtomicU64::new(0),
        });
        let task = tokio::spawn(server::serve(listener, shared.clone()));
        Ok(Emulator { shared, addr, task })
    }

    /// The API base URL, `http://127.0.0.1:PORT` (no trailing slash): the `GITHUB_API_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Direct access to the model for seeding and asserting. Never hold it across an `.await`.
    pub fn model(&self) -> MutexGuard<'_, Model> {
        lock(&self.shared.model)
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.shared.log).clone()
    }

    /// Forgets the request log (sequence numbers keep counting).
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// The logged requests that change something: every method but GET and HEAD, except a
    /// GraphQL query (a POST that only reads).
    pub fn writes(&self) -> Vec<LoggedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| fault::is_write(&r.method, &r.path))
            .collect()
    }

    /// Arms a fault; faults are checked in the order they were injected.
    pub fn inject(&self, fault: Fault) {
        lock(&self.shared.faults).push(fault::Armed::new(fault));
    }

    /// Disarms every fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Latency added before every request is handled (zero by default).
    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.shared.latency) = latency;
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
