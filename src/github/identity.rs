//! Who shiprig writes as on GitHub, so that records it reads back (check runs, the sticky
//! comment, conductor markers) count only when it wrote them: anyone with `checks: write` can
//! post a check run of any name, and anyone who can comment can paste a marker.
//!
//! Learned once per client and cheaply: with an App, its id is configured and its bot's login
//! comes from the installation read while minting a token; with a token, from the answer to
//! shiprig's own first check run or status, else from one GraphQL `viewer` read.

use serde::Deserialize;

use super::auth::Credentials;
use super::client::GitHub;
use super::error::GitHubError;
use super::issues::Comment;
use super::types::Repo;

/// The GitHub Actions App: the check runs the Actions token creates carry its id.
pub const ACTIONS_APP_ID: u64 = 15368;

/// The App behind a check run, as GitHub returns it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(super) struct CheckApp {
    #[serde(default)]
    pub(crate) id: u64,
    #[serde(default)]
    pub(crate) slug: String,
}

impl GitHub {
    /// The App whose check runs are shiprig's: the configured App, else GitHub Actions (the
    /// only other writer of check runs a token can be).
    pub(crate) fn check_app_id(&self) -> u64 {
        match self.credentials() {
            Credentials::App { app_id, .. } => *app_id,
            _ => ACTIONS_APP_ID,
        }
    }

    /// The configured App (`SHIPRIG_APP_ID`), when shiprig acts as one.
    pub(crate) fn configured_app_id(&self) -> Option<u64> {
        match self.credentials() {
            Credentials::App { app_id, .. } => Some(*app_id),
            _ => None,
        }
    }

    /// Whether a check run by `app` is shiprig's own.
    pub(super) fn wrote_check(&self, app: Option<&CheckApp>) -> bool {
        app.is_some_and(|a| a.id == self.check_app_id())
    }

    /// The login shiprig writes comments as (`<app-slug>[bot]`, `github-actions[bot]`, or the
    /// token's user); read once.
    pub(crate) async fn own_login(&self) -> Result<String, GitHubError> {
        if let Some(login) = self.me().get() {
            return Ok(login);
        }
        if matches!(self.credentials(), Credentials::App { .. }) {
            // Minting the installation token reads the App's slug.
            self.ensure_token().await?;
            if let Some(login) = self.me().get() {
                return Ok(login);
            }
        }
        let login = self.viewer_login().await?;
        self.me().learn(&login);
        Ok(login)
    }

    /// The comments on an issue or pull request that shiprig itself wrote, oldest first: the
    /// only ones whose markers count.
    pub(crate) async fn own_comments(
        &self,
        repo: &Repo,
        number: u64,
    ) -> Result<Vec<Comment>, GitHubError> {
        let comments = self.comments(repo, number).await?;
        let me = self.own_login().await?;
        Ok(comments
            .into_iter()
            .filter(|c| {
                c.user
                    .as_ref()
                    .is_some_and(|u| u.login.eq_ignore_ascii_case(&me))
            })
            .collect())
    }

    /// Remembers who wrote a check run shiprig just created.
    pub(super) fn learn_check_app(&self, app: Option<&CheckApp>) {
        if let Some(app) = app.filter(|a| !a.slug.is_empty()) {
            self.me().learn(&format!("{}[bot]", app.slug));
        }
    }

    pub(super) fn learn_login(&self, login: &str) {
        self.me().learn(login);
    }
}
