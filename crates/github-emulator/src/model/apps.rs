//! GitHub Apps: registered public keys, installations, RS256 JWT checks, installation tokens.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::{Model, Token, UserKind};
use crate::http::ApiError;

#[derive(Clone)]
pub(crate) struct App {
    pub id: u64,
    pub slug: String,
    pub key: DecodingKey,
    pub owner: String,
    pub created_at: DateTime<Utc>,
}

impl App {
    /// The login of the app's bot account, `<slug>[bot]`.
    pub fn bot_login(&self) -> String {
        format!("{}[bot]", self.slug)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Installation {
    pub id: u64,
    pub app_id: u64,
    pub owner: String,
    pub created_at: DateTime<Utc>,
}

#[derive(serde::Deserialize)]
struct Claims {
    iss: Value,
    iat: i64,
    exp: i64,
}

impl Model {
    /// Registers an App with its RSA public key (PEM), slug `app-<id>`.
    ///
    /// # Panics
    /// When the PEM is not an RSA public key.
    pub fn register_app(&mut self, app_id: u64, public_key_pem: &str) {
        self.register_app_named(app_id, &format!("app-{app_id}"), public_key_pem);
    }

    /// Registers an App with an explicit slug (its bot is `<slug>[bot]`).
    ///
    /// # Panics
    /// When the PEM is not an RSA public key.
    pub fn register_app_named(&mut self, app_id: u64, slug: &str, public_key_pem: &str) {
        let key = DecodingKey::from_rsa_pem(public_key_pem.as_bytes())
            .expect("emulator: register_app needs an RSA public key PEM");
        let owner = "github".to_string();
        self.add_user(&owner, UserKind::User);
        let created_at = self.now();
        self.apps.retain(|a| a.id != app_id);
        self.apps.push(App {
            id: app_id,
            slug: slug.to_string(),
            key,
            owner,
            created_at,
        });
        self.add_user(&format!("{slug}[bot]"), UserKind::Bot);
    }

    /// Installs an App on an account; returns the installation id.
    pub fn add_installation(&mut self, app_id: u64, owner: &str) -> u64 {
        self.add_user(owner, UserKind::User);
        let id = self.next_id("installation");
        let created_at = self.now();
        self.installations.push(Installation {
            id,
            app_id,
            owner: owner.to_string(),
            created_at,
        });
        id
    }

    /// Verifies an App JWT (RS256, `iss` = app id, `exp` ahead of the model clock and at most
    /// ten minutes after `iat`); returns the app id.
    pub(crate) fn verify_jwt(&self, jwt: &str) -> Result<u64, ApiError> {
        let bad = |m: &str| ApiError::new(401, m);
        let header = jsonwebtoken::decode_header(jwt)
            .map_err(|_| bad("A JSON web token could not be decoded"))?;
        if header.alg != Algorithm::RS256 {
            return Err(bad("A JSON web token could not be decoded"));
        }
        let claims: Claims = jsonwebtoken::dangerous::insecure_decode(jwt)
            .map_err(|_| bad("A JSON web token could not be decoded"))?
            .claims;
        let app_id = match &claims.iss {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| bad("'Issuer' claim ('iss') must be an Integer"))?;
        let app = self
            .apps
            .iter()
            .find(|a| a.id == app_id)
            .ok_or_else(|| bad(&format!("Integration not found for id {app_id}")))?;
        let mut v = Validation::new(Algorithm::RS256);
        v.validate_exp = false;
        v.required_spec_claims.clear();
        jsonwebtoken::decode::<Claims>(jwt, &app.key, &v)
            .map_err(|_| bad("A JSON web token could not be decoded"))?;
        if claims.exp - claims.iat > 600 {
            return Err(bad(
                "'Expiration time' claim ('exp') is too far in the future",
            ));
        }
        if claims.exp <= self.now().timestamp() {
            return Err(bad(
                "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
            ));
        }
        Ok(app_id)
    }

    /// Mints an installation token for the app's bot, valid one hour by the model clock.
    pub(crate) fn mint_installation_token(
        &mut self,
        app_id: u64,
        installation: u64,
    ) -> Result<(String, DateTime<Utc>), ApiError> {
        if !self
            .installations
            .iter()
            .any(|i| i.id == installation && i.app_id == app_id)
        {
            return Err(ApiError::not_found());
        }
        let bot = self
            .apps
            .iter()
            .find(|a| a.id == app_id)
            .ok_or_else(ApiError::not_found)?
            .bot_login();
        let n = self.next_id("token");
        let seed = format!("{installation}:{app_id}:{n}");
        let token = format!("ghs_{}", &super::git::sha_of(&[&seed])[..36]);
        let expires_at = self.now() + Duration::hours(1);
        self.tokens.insert(
            token.clone(),
            Token {
                login: bot,
                expires_at: Some(expires_at),
            },
        );
        Ok((token, expires_at))
    }
}
