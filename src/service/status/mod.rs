//! The status page of `conductor run`: per repository, the last tick's time and result, the
//! agents and what each is doing, the queue in order with each issue's reason, blocked issues
//! with their blockers, issues that need a person, and each open milestone's progress with its
//! dependency graph. `view` turns a tick's snapshot and plan into plain data (the JSON at
//! `/api/v1/state`); `html` and `svg` draw it (the page at `/`). Nothing secret is in the view,
//! and every title, login and label is escaped where it is drawn.

pub mod html;
pub(crate) mod svg;
pub(crate) mod text;
pub mod view;

use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use chrono::{DateTime, Utc};

pub(crate) use view::StateView;
pub use view::{RepoView, TickResult};

/// The last tick of every repository, as the page shows it, in the order the service ticks
/// them. Written by the loop, read by the page; a repository keeps its last good view when a
/// later tick fails.
#[derive(Default)]
pub struct Board {
    repos: RwLock<Vec<RepoView>>,
}

impl Board {
    /// The repositories the service ticks, in its order, shown as not ticked yet.
    pub fn expect(&self, names: &[String]) {
        for name in names {
            self.update(name, |_| {});
        }
    }

    /// A tick that read and decided: its view replaces the last one.
    pub fn record(&self, view: RepoView) {
        let name = view.repository.clone();
        self.update(&name, |entry| *entry = view);
    }

    /// A tick that could not read GitHub: the result changes, the last view stays.
    pub fn failed(&self, repository: &str, at: DateTime<Utc>, reason: &str) {
        self.update(repository, |entry| {
            entry.at = Some(at);
            entry.result = TickResult::from_failure(reason);
        });
    }

    /// A repository the service no longer ticks leaves the page.
    pub(crate) fn forget(&self, repository: &str) {
        let mut repos = self.repos.write().unwrap_or_else(|e| e.into_inner());
        repos.retain(|r| r.repository != repository);
    }

    fn update(&self, repository: &str, change: impl FnOnce(&mut RepoView)) {
        let mut repos = self.repos.write().unwrap_or_else(|e| e.into_inner());
        let at = match repos.iter().position(|r| r.repository == repository) {
            Some(at) => at,
            None => {
                repos.push(RepoView::empty(repository));
                repos.len() - 1
            }
        };
        change(&mut repos[at]);
    }

    /// Every repository's last view.
    pub fn state(&self, now: DateTime<Utc>) -> StateView {
        let repos = self.repos.read().unwrap_or_else(|e| e.into_inner());
        StateView {
            generated_at: now,
            repositories: repos.clone(),
        }
    }
}

/// `/` and `/api/v1/state`, served from `board`.
pub fn routes(board: Arc<Board>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/v1/state", get(state))
        .with_state(board)
}

async fn page(State(board): State<Arc<Board>>) -> impl IntoResponse {
    let state = board.state(Utc::now());
    ([("cache-control", "no-store")], Html(html::page(&state)))
}

async fn state(State(board): State<Arc<Board>>) -> impl IntoResponse {
    let state = board.state(Utc::now());
    (
        [
            ("content-type", "application/json"),
            ("cache-control", "no-store"),
        ],
        serde_json::to_string(&state).unwrap_or_else(|_| "{}".into()),
    )
}
