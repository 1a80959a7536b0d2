//! Credentials: a token, or a GitHub App whose installation tokens are minted and refreshed here.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use super::error::GitHubError;

/// A secret string whose `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How shiprig proves who it is to GitHub.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// `GITHUB_TOKEN` or a personal token.
    Token(Secret),
    /// `SHIPRIG_APP_ID` + `SHIPRIG_APP_PRIVATE_KEY` (PEM): installation tokens per owner.
    App {
        app_id: u64,
        private_key_pem: Secret,
    },
    /// No credentials: public reads only. Never read from the environment, where no
    /// credentials stop a command before its first request.
    Anonymous,
}

impl Credentials {
    /// Read the environment as GitHub Actions sets it. App auth wins when both are present;
    /// neither present is an error, said before any request is made (anonymous requests would
    /// only be refused or rate-limited, after retries).
    pub(crate) fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Credentials, String> {
        let app_id = env("SHIPRIG_APP_ID").filter(|v| !v.trim().is_empty());
        let key = env("SHIPRIG_APP_PRIVATE_KEY").filter(|v| !v.trim().is_empty());
        match (app_id, key) {
            (Some(id), Some(pem)) => {
                let app_id = id.trim().parse().map_err(|_| {
                    format!(
                        "SHIPRIG_APP_ID must be the App's numeric id, got {:?}",
                        id.trim()
                    )
                })?;
                Ok(Credentials::App {
                    app_id,
                    private_key_pem: Secret::new(pem),
                })
            }
            (Some(_), None) => {
                Err("SHIPRIG_APP_ID is set but SHIPRIG_APP_PRIVATE_KEY is not".into())
            }
            (None, Some(_)) => {
                Err("SHIPRIG_APP_PRIVATE_KEY is set but SHIPRIG_APP_ID is not".into())
            }
            (None, None) => match env("GITHUB_TOKEN").filter(|t| !t.trim().is_empty()) {
                Some(token) => Ok(Credentials::Token(Secret::new(token.trim()))),
                None => Err(NO_CREDENTIALS.into()),
            },
        }
    }
}

/// What a command that talks to GitHub says when it finds no credentials.
const NO_CREDENTIALS: &str = "no GitHub credentials: set GITHUB_TOKEN (a token that may act on the repository), or SHIPRIG_APP_ID and SHIPRIG_APP_PRIVATE_KEY to act as shiprig's GitHub App";

#[derive(Serialize)]
struct AppClaims {
    iat: i64,
    exp: i64,
    iss: String,
}

/// The RS256 JWT that authenticates as the App itself: issued a minute in the past against
/// clock drift, valid nine minutes (GitHub allows ten).
pub(crate) fn app_jwt(
    app_id: u64,
    pem: &Secret,
    now: DateTime<Utc>,
) -> Result<Secret, GitHubError> {
    let key = EncodingKey::from_rsa_pem(pem.expose().as_bytes()).map_err(|e| {
        GitHubError::AppAuth(format!(
            "SHIPRIG_APP_PRIVATE_KEY is not an RSA private key in PEM form ({e})"
        ))
    })?;
    let claims = AppClaims {
        iat: now.timestamp() - 60,
        exp: now.timestamp() + 540,
        iss: app_id.to_string(),
    };
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key)
        .map(Secret::new)
        .map_err(|e| GitHubError::AppAuth(format!("could not sign the App JWT ({e})")))
}

/// An installation token and when it stops working.
#[derive(Clone, Debug)]
pub(crate) struct InstallationToken {
    pub(crate) token: Secret,
    pub(crate) expires_at: DateTime<Utc>,
}

impl InstallationToken {
    /// Refreshed five minutes before GitHub would reject it.
    pub(crate) fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        self.expires_at - now > chrono::Duration::minutes(5)
    }
}

/// Installation tokens by repository owner, shared by clones of one client.
#[derive(Clone, Debug, Default)]
pub(super) struct TokenCache(Arc<Mutex<HashMap<String, InstallationToken>>>);

impl TokenCache {
    /// The cached token of `owner`'s installation while it is fresh.
    pub(crate) fn fresh(&self, owner: &str, now: DateTime<Utc>) -> Option<Secret> {
        self.lock()
            .get(owner)
            .filter(|t| t.is_fresh(now))
            .map(|t| t.token.clone())
    }

    pub(crate) fn store(&self, owner: &str, token: InstallationToken) {
        self.lock().insert(owner.to_string(), token);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, InstallationToken>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `GET /repos/{o}/{r}/installation`: the App installation that covers a repository.
#[derive(Deserialize)]
pub(super) struct Installation {
    pub(crate) id: u64,
    /// The App's slug: its bot comments as `<slug>[bot]`.
    #[serde(default)]
    pub(crate) app_slug: Option<String>,
}

/// `POST /app/installations/{id}/access_tokens`.
#[derive(Deserialize)]
pub(super) struct MintedToken {
    token: String,
    expires_at: DateTime<Utc>,
}

impl From<MintedToken> for InstallationToken {
    fn from(minted: MintedToken) -> Self {
        InstallationToken {
            token: Secret::new(minted.token),
            expires_at: minted.expires_at,
        }
    }
}

/// The login shiprig writes as, once known; shared by a client's clones.
#[derive(Debug, Clone, Default)]
pub(super) struct Me(Arc<Mutex<Option<String>>>);

impl Me {
    pub(crate) fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) fn learn(&self, login: &str) {
        let mut me = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if me.is_none() && !login.is_empty() {
            *me = Some(login.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn app_credentials_win_and_half_an_app_is_an_error() {
        let both = env(&[
            ("SHIPRIG_APP_ID", "42"),
            ("SHIPRIG_APP_PRIVATE_KEY", "pem"),
            ("GITHUB_TOKEN", "t"),
        ]);
        assert!(matches!(
            Credentials::from_env(both),
            Ok(Credentials::App { app_id: 42, .. })
        ));
        let half = env(&[("SHIPRIG_APP_ID", "42")]);
        assert!(
            Credentials::from_env(half)
                .unwrap_err()
                .contains("SHIPRIG_APP_PRIVATE_KEY")
        );
        let bad = env(&[
            ("SHIPRIG_APP_ID", "abc"),
            ("SHIPRIG_APP_PRIVATE_KEY", "pem"),
        ]);
        assert!(Credentials::from_env(bad).unwrap_err().contains("numeric"));
    }

    #[test]
    fn secrets_do_not_debug_print() {
        let creds = Credentials::Token(Secret::new("ghp_supersecret"));
        assert!(!format!("{creds:?}").contains("supersecret"));
    }

    #[test]
    fn a_bad_key_is_a_clear_error() {
        let err = app_jwt(1, &Secret::new("not a key"), Utc::now()).unwrap_err();
        assert!(err.to_string().contains("not an RSA private key"), "{err}");
    }
}
