//! Deploy environments: the deploy command and the smoke checks that judge the result.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

use super::de::{self, Named};
use super::values::{Duration, Pattern};

/// One environment (`staging`, `production`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// The deploy command as an argv list, never a shell string.
    #[serde(deserialize_with = "de::argv")]
    #[schemars(length(min = 1))]
    pub command: Vec<String>,
    /// Commands run before `command`, in order, each an argv list.
    #[serde(default, deserialize_with = "de::argv_list")]
    pub before: Vec<Vec<String>>,
    /// The environment's URL, posted on the GitHub Deployment (an `https://` or `http://`
    /// URL); unset, the deployment names none.
    #[serde(default, deserialize_with = "optional_http_url")]
    pub url: Option<String>,
    /// How long the `before` commands and the deploy command may take together; the one still
    /// running then is killed with everything it started, and the deploy fails.
    #[serde(default = "thirty_minutes")]
    pub timeout: Duration,
    /// HTTP checks run after a deploy (and by `shiprig smoke`); names are unique. Empty,
    /// releases do not wait for a smoke result of this environment.
    #[serde(default, deserialize_with = "de::unique")]
    pub smoke: Vec<SmokeCheck>,
    /// How long failing smoke checks are retried, with backoff, before the smoke run fails.
    #[serde(default = "two_minutes")]
    pub smoke_deadline: Duration,
    /// Variables of shiprig's environment the commands may inherit (`[GITHUB_TOKEN, KUBECONFIG]`).
    /// The commands start from an empty environment plus `PATH`, `HOME`, `LANG`, `LC_ALL`,
    /// `TZ`, `TMPDIR`, `USER` and the non-secret GitHub Actions context (`GITHUB_SHA`,
    /// `GITHUB_REPOSITORY`…); nothing else passes unless listed here. The file channels
    /// (`GITHUB_ENV`, `GITHUB_OUTPUT`, `GITHUB_PATH`, `GITHUB_STATE`, `GITHUB_STEP_SUMMARY`)
    /// never pass and cannot be listed.
    #[serde(default, deserialize_with = "de::env_names")]
    pub(crate) env: Vec<String>,
}

fn thirty_minutes() -> Duration {
    Duration::from_secs(30 * 60)
}
fn two_minutes() -> Duration {
    Duration::from_secs(2 * 60)
}

/// One HTTP check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SmokeCheck {
    /// The check's name in results, the job summary and Slack; unique within the environment.
    pub name: String,
    /// The URL requested (`https://` or `http://`).
    #[serde(deserialize_with = "http_url")]
    pub url: String,
    /// The HTTP method: `GET`, `HEAD`, `POST`, `PUT`, `PATCH`, `DELETE` or `OPTIONS`.
    #[serde(default = "get", deserialize_with = "method")]
    pub method: String,
    /// Request headers, header name to value, sent with every attempt.
    #[serde(default)]
    pub(crate) headers: BTreeMap<String, String>,
    /// The HTTP status the answer must have; unset, 200.
    #[serde(default, deserialize_with = "status")]
    #[schemars(range(min = 100, max = 599))]
    pub(crate) expect_status: Option<u16>,
    /// Text the body must contain; unset, the body's text is not checked.
    #[serde(default)]
    pub expect_body: Option<String>,
    /// A regular expression that must match somewhere in the body; unset, none is checked.
    #[serde(default, deserialize_with = "compiled_pattern")]
    pub expect_body_regex: Option<Pattern>,
    /// JSON pointer (`/status`) to the value the body, read as JSON, must hold there; each
    /// must be equal. Empty, the body need not be JSON.
    #[serde(default, deserialize_with = "de::pointer_map")]
    pub expect_json: BTreeMap<String, serde_json::Value>,
    /// The most milliseconds one attempt may take, from sending the request to the end of
    /// the body; slower fails the attempt. Unset, no limit.
    #[serde(default)]
    pub(crate) max_latency_ms: Option<u64>,
    /// Where the answer names the deployed version, which must be the commit under test: it
    /// contains its full SHA or is an abbreviation of at least 7 characters. Unset, not checked.
    #[serde(default)]
    pub expect_version: Option<VersionCheck>,
}

impl SmokeCheck {
    /// The status to expect: `expect_status`, or 200 when the config names none.
    pub fn expected_status(&self) -> u16 {
        self.expect_status.unwrap_or(200)
    }
}

impl Named for SmokeCheck {
    const KIND: &'static str = "smoke check";
    fn name(&self) -> &str {
        &self.name
    }
}

/// Where the deployed version is read from: a JSON pointer into the body, or a header.
/// Exactly one is set; its value must contain the SHA under test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "VersionCheckSpec")]
pub struct VersionCheck {
    /// A JSON pointer into the body.
    pub pointer: Option<String>,
    /// A response header name.
    pub(crate) header: Option<String>,
}

/// `VersionCheck` as written, before the exactly-one check. The schema describes the
/// `expect_version` keys from this struct, so its field comments are the reference's text.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("minProperties" = 1, "maxProperties" = 1))]
struct VersionCheckSpec {
    /// A JSON pointer (`/version`) into the body, read as JSON, where the version is.
    #[serde(default, deserialize_with = "de::pointer")]
    pointer: Option<String>,
    /// A response header (`X-Version`, compared without case) that holds the version.
    #[serde(default)]
    header: Option<String>,
}

impl TryFrom<VersionCheckSpec> for VersionCheck {
    type Error = &'static str;

    fn try_from(spec: VersionCheckSpec) -> Result<Self, Self::Error> {
        if spec.pointer.is_some() == spec.header.is_some() {
            return Err(
                "expect_version takes exactly one of `pointer` (a JSON pointer into the body) \
                        or `header` (a response header name)",
            );
        }
        Ok(Self {
            pointer: spec.pointer,
            header: spec.header,
        })
    }
}

fn get() -> String {
    "GET".into()
}

const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

fn method<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let method = String::deserialize(d)?;
    if METHODS.contains(&method.as_str()) {
        Ok(method)
    } else {
        Err(D::Error::custom(format!(
            "unknown HTTP method `{method}`, expected one of {}",
            METHODS.join(", ")
        )))
    }
}

fn status<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    match Option::<u16>::deserialize(d)? {
        Some(status) if !(100..=599).contains(&status) => Err(D::Error::custom(format!(
            "invalid HTTP status {status}: expected 100 to 599"
        ))),
        status => Ok(status),
    }
}

fn check_http_url(url: &str) -> Result<(), String> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(())
    } else {
        Err(format!(
            "invalid URL `{url}`: expected an `https://` or `http://` URL"
        ))
    }
}

fn http_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let url = String::deserialize(d)?;
    check_http_url(&url).map_err(D::Error::custom)?;
    Ok(url)
}

fn optional_http_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let url = Option::<String>::deserialize(d)?;
    if let Some(url) = &url {
        check_http_url(url).map_err(D::Error::custom)?;
    }
    Ok(url)
}

/// A body regex is matched alone, so it is compiled (within the budget) when read.
fn compiled_pattern<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Pattern>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(source) => Pattern::compiled(&source)
            .map(Some)
            .map_err(D::Error::custom),
        None => Ok(None),
    }
}
