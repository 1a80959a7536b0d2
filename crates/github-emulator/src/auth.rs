//! Who is calling (token, App JWT or anonymous) and the per-caller rate budget.

use super::http::ApiError;
use super::model::Model;

/// The caller of one request.
pub(crate) enum Caller {
    Anonymous,
    /// A user or bot token; the login.
    User(String),
    /// An App authenticated with its JWT; the app id.
    App(u64),
}

impl Caller {
    pub(crate) fn login(&self) -> Option<String> {
        match self {
            Caller::User(l) => Some(l.clone()),
            _ => None,
        }
    }

    /// The rate-budget key: the login, the app, or the anonymous pool.
    pub(crate) fn budget_key(&self) -> String {
        match self {
            Caller::Anonymous => "anonymous".to_string(),
            Caller::User(l) => l.clone(),
            Caller::App(id) => format!("app:{id}"),
        }
    }
}

/// Routes that take an App JWT rather than a token.
pub(crate) fn needs_jwt(path: &str) -> bool {
    path == "/app"
        || path.starts_with("/app/")
        || super::fault::path_matches("/repos/*/*/installation", path)
}

/// Resolves the `Authorization` header against the model.
pub(crate) fn authenticate(
    model: &Model,
    method: &str,
    path: &str,
    header: Option<&str>,
) -> Result<Caller, ApiError> {
    let credential = header.map(|h| {
        let h = h.trim();
        h.strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))
            .or_else(|| h.strip_prefix("token "))
            .unwrap_or(h)
            .trim()
            .to_string()
    });
    if needs_jwt(path) {
        let jwt = credential
            .ok_or_else(|| ApiError::new(401, "A JSON web token could not be decoded"))?;
        return model.verify_jwt(&jwt).map(Caller::App);
    }
    let Some(token) = credential else {
        if method == "GET" || method == "HEAD" {
            return Ok(Caller::Anonymous);
        }
        return Err(ApiError::new(401, "Requires authentication"));
    };
    match model.tokens.get(&token) {
        Some(t) if t.expires_at.is_none_or(|e| e > model.now()) => {
            Ok(Caller::User(t.login.clone()))
        }
        _ => Err(ApiError::new(401, "Bad credentials")),
    }
}

/// The `x-ratelimit-*` headers after counting (or not) this request against `key`.
pub(crate) fn rate_limit(
    model: &mut Model,
    key: &str,
    count: bool,
) -> (Result<(), ApiError>, Vec<(String, String)>) {
    let b = model.budget(key);
    let exhausted = b.used >= b.limit;
    if count && !exhausted {
        b.used += 1;
    }
    let headers = vec![
        ("x-ratelimit-limit".to_string(), b.limit.to_string()),
        (
            "x-ratelimit-remaining".to_string(),
            b.limit.saturating_sub(b.used).to_string(),
        ),
        ("x-ratelimit-used".to_string(), b.used.to_string()),
        (
            "x-ratelimit-reset".to_string(),
            b.reset.timestamp().to_string(),
        ),
        ("x-ratelimit-resource".to_string(), "core".to_string()),
    ];
    let result = if count && exhausted {
        let who = if key == "anonymous" {
            "your IP address".to_string()
        } else {
            key.to_string()
        };
        Err(ApiError::new(
            403,
            &format!("API rate limit exceeded for {who}."),
        ))
    } else {
        Ok(())
    };
    (result, headers)
}
