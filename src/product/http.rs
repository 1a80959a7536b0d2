//! The one HTTP client for product tools: JSON in and out, errors that name the method, path,
//! status and the tool's own message, never the token.

use std::time::Duration;

use anyhow::Context as _;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A base URL and an `Authorization` header value (a secret: never printed).
#[derive(Clone)]
pub(crate) struct ProductApi {
    tool: &'static str,
    base: String,
    authorization: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for ProductApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({}, token: ***)", self.tool, self.base)
    }
}

impl ProductApi {
    pub(crate) fn new(
        tool: &'static str,
        base: &str,
        authorization: String,
    ) -> anyhow::Result<ProductApi> {
        let http = crate::tls::client_builder()
            .timeout(Duration::from_secs(20))
            .build()
            .context("building the product tool's HTTP client")?;
        Ok(ProductApi {
            tool,
            base: base.trim_end_matches('/').to_string(),
            authorization,
            http,
        })
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        self.call(Method::GET, path, None).await
    }

    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &Value,
    ) -> anyhow::Result<T> {
        self.call(method, path, Some(body)).await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<T> {
        let shown = path.split('?').next().unwrap_or(path);
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.authorization)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| {
            anyhow::anyhow!(
                "{} {method} {shown}: unreachable: {}",
                self.tool,
                e.without_url()
            )
        })?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            anyhow::bail!(
                "{} {method} {shown} answered {status}: {}",
                self.tool,
                message(&text)
            );
        }
        serde_json::from_str(&text)
            .with_context(|| format!("{} {method} {shown}: unexpected answer", self.tool))
    }
}

/// The tool's own error text: Asana's `errors[].message`, ClickUp's `err`.
fn message(text: &str) -> String {
    let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let found = value["errors"][0]["message"]
        .as_str()
        .or_else(|| value["err"].as_str())
        .unwrap_or("no message");
    found
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect()
}
