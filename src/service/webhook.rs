//! `POST /webhook`: GitHub's deliveries as prompts, never as state. A delivery is checked
//! (size, time, `X-Hub-Signature-256` over the raw body in constant time, a delivery id not
//! seen before, JSON) and answered at once; the repositories it names are ticked by the loop,
//! which reads everything afresh. `GET /readyz` answers 200 only while this replica leads, so
//! with `--lease` only the leader is sent deliveries (docs/security.md#case-46).

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value;
use sha2::Sha256;

use super::Metrics;
use crate::github::{Repo, Secret};

/// GitHub sends no payload over 25 MB; anything bigger is not GitHub.
pub const MAX_BODY: usize = 25 * 1024 * 1024;

/// A sender that has not finished its body by then is cut off (GitHub waits 10 s for the
/// answer and sends the whole body at once).
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Delivery ids remembered against replays; the oldest are forgotten first.
const REMEMBERED_DELIVERIES: usize = 10_000;

/// The events `conductor run` acts on; subscribe the App to these.
pub(crate) const EVENTS: [&str; 8] = [
    "issues",
    "issue_dependencies",
    "sub_issues",
    "pull_request",
    "pull_request_review",
    "workflow_run",
    "check_suite",
    "installation_repositories",
];

/// The webhook secrets in force: `SHIPRIG_WEBHOOK_SECRET`, comma-separated, so a new secret
/// can be added before the App is switched to it and the old one removed after.
#[derive(Clone)]
pub struct WebhookSecrets(Vec<Secret>);

impl std::fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebhookSecrets({} secrets)", self.0.len())
    }
}

impl WebhookSecrets {
    /// Parses the variable's value; empty entries are ignored, none at all is an error.
    pub fn parse(value: &str) -> Result<WebhookSecrets, String> {
        let secrets: Vec<Secret> = value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Secret::new)
            .collect();
        if secrets.is_empty() {
            return Err("SHIPRIG_WEBHOOK_SECRET is set but holds no secret".into());
        }
        Ok(WebhookSecrets(secrets))
    }

    /// Whether `header` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under one of the
    /// secrets. Each comparison is constant-time (`verify_slice`).
    pub(crate) fn verify(&self, header: Option<&str>, body: &[u8]) -> bool {
        let Some(signature) = header
            .and_then(|h| h.trim().strip_prefix("sha256="))
            .and_then(decode_hex)
        else {
            return false;
        };
        self.0.iter().any(|secret| {
            let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) else {
                return false;
            };
            mac.update(body);
            mac.verify_slice(&signature).is_ok()
        })
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// What one event asks of the service: repositories to tick now, and repositories an App
/// installation gained or lost.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub tick: BTreeSet<Repo>,
    pub(crate) added: BTreeSet<Repo>,
    pub(crate) removed: BTreeSet<Repo>,
}

impl Prompt {
    pub fn is_empty(&self) -> bool {
        self.tick.is_empty() && self.added.is_empty() && self.removed.is_empty()
    }

    fn merge(&mut self, other: Prompt) {
        for repo in &other.removed {
            self.tick.remove(repo);
            self.added.remove(repo);
        }
        for repo in &other.added {
            self.removed.remove(repo);
        }
        self.tick.extend(other.tick);
        self.added.extend(other.added);
        self.removed.extend(other.removed);
    }
}

/// The prompt of one event, from its name and payload; `None` for an event shiprig does not
/// act on (`ping` among them).
pub(crate) fn prompt(event: &str, payload: &Value) -> Option<Prompt> {
    if event == "installation_repositories" {
        let names = |key: &str| -> BTreeSet<Repo> {
            payload[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r["full_name"].as_str()?.parse().ok())
                .collect()
        };
        let prompt = Prompt {
            added: names("repositories_added"),
            removed: names("repositories_removed"),
            ..Prompt::default()
        };
        return (!prompt.is_empty()).then_some(prompt);
    }
    if !EVENTS.contains(&event) {
        return None;
    }
    let repo: Repo = payload["repository"]["full_name"].as_str()?.parse().ok()?;
    Some(Prompt {
        tick: BTreeSet::from([repo]),
        ..Prompt::default()
    })
}

/// Where deliveries leave prompts for the loop, and whether this replica leads.
#[derive(Debug)]
pub struct Inbox {
    state: Mutex<InboxState>,
    notify: tokio::sync::Notify,
    leading: AtomicBool,
}

#[derive(Debug, Default)]
struct InboxState {
    pending: Prompt,
    order: VecDeque<String>,
    seen: HashSet<String>,
}

impl Default for Inbox {
    fn default() -> Self {
        Inbox {
            state: Mutex::default(),
            notify: tokio::sync::Notify::new(),
            leading: AtomicBool::new(false),
        }
    }
}

impl Inbox {
    /// Remembers `delivery`; false when it was seen already (a replay).
    fn remember(&self, delivery: &str) -> bool {
        let mut state = self.lock();
        if state.seen.contains(delivery) {
            return false;
        }
        if state.order.len() >= REMEMBERED_DELIVERIES
            && let Some(oldest) = state.order.pop_front()
        {
            state.seen.remove(&oldest);
        }
        state.order.push_back(delivery.to_string());
        state.seen.insert(delivery.to_string());
        true
    }

    /// Leaves a prompt for the loop and wakes it.
    pub(crate) fn post(&self, prompt: Prompt) {
        self.lock().pending.merge(prompt);
        self.notify.notify_one();
    }

    /// Everything prompted since the last take.
    pub fn take(&self) -> Prompt {
        std::mem::take(&mut self.lock().pending)
    }

    /// Waits until a prompt is posted (one posted before the wait counts).
    pub(crate) async fn posted(&self) {
        self.notify.notified().await;
    }

    pub fn set_leading(&self, leading: bool) {
        self.leading.store(leading, Ordering::Relaxed);
    }

    pub(crate) fn is_leading(&self) -> bool {
        self.leading.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, InboxState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The webhook endpoint's settings and what it shares with the loop.
pub struct Webhook {
    pub secrets: WebhookSecrets,
    pub inbox: Arc<Inbox>,
    pub metrics: Arc<Metrics>,
    pub read_timeout: Duration,
}

/// `POST /webhook` (when secrets are configured) and `GET /readyz`.
pub fn routes(inbox: Arc<Inbox>, webhook: Option<Arc<Webhook>>) -> Router {
    let ready = Router::new()
        .route("/readyz", get(readyz))
        .with_state(inbox);
    match webhook {
        Some(webhook) => ready.merge(
            Router::new()
                .route("/webhook", post(receive))
                .with_state(webhook),
        ),
        None => ready,
    }
}

async fn readyz(State(inbox): State<Arc<Inbox>>) -> (StatusCode, &'static str) {
    if inbox.is_leading() {
        (StatusCode::OK, "leading\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not leading\n")
    }
}

/// One delivery: answered at once, its body never logged.
async fn receive(State(hook): State<Arc<Webhook>>, request: Request) -> (StatusCode, &'static str) {
    let (parts, body) = request.into_parts();
    let event = header(&parts.headers, "x-github-event").unwrap_or_default();
    let delivery = header(&parts.headers, "x-github-delivery").unwrap_or_default();
    let (status, result, text) = judge(&hook, &parts.headers, body).await;
    hook.metrics
        .webhook
        .deliveries
        .get_or_create(&super::metrics::ResultLabels {
            result: result.into(),
        })
        .inc();
    tracing::info!(
        event = %event.chars().take(64).collect::<String>(),
        delivery = %delivery.chars().take(64).collect::<String>(),
        status = status.as_u16(),
        result,
        "webhook delivery"
    );
    (status, text)
}

/// The answer to a delivery and what became of it.
async fn judge(
    hook: &Webhook,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> (StatusCode, &'static str, &'static str) {
    if !hook.inbox.is_leading() {
        return (StatusCode::SERVICE_UNAVAILABLE, "follower", "not leading\n");
    }
    let declared = header(headers, "content-length").and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_BODY) {
        return too_large();
    }
    let read = tokio::time::timeout(hook.read_timeout, Limited::new(body, MAX_BODY).collect());
    let raw = match read.await {
        Err(_) => return (StatusCode::REQUEST_TIMEOUT, "timeout", "body too slow\n"),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => return too_large(),
        Ok(Err(_)) => return (StatusCode::BAD_REQUEST, "unreadable", "unreadable body\n"),
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let signature = header(headers, "x-hub-signature-256");
    if !hook.secrets.verify(signature.as_deref(), &raw) {
        return (StatusCode::UNAUTHORIZED, "unsigned", "bad signature\n");
    }
    let (Some(event), Some(delivery)) = (
        header(headers, "x-github-event"),
        header(headers, "x-github-delivery"),
    ) else {
        return (
            StatusCode::BAD_REQUEST,
            "malformed",
            "missing event headers\n",
        );
    };
    let Ok(payload) = serde_json::from_slice::<Value>(&raw) else {
        return (StatusCode::BAD_REQUEST, "malformed", "malformed JSON\n");
    };
    if !hook.inbox.remember(&delivery) {
        return (
            StatusCode::CONFLICT,
            "replayed",
            "delivery already received\n",
        );
    }
    match prompt(&event, &payload) {
        Some(prompt) => {
            hook.inbox.post(prompt);
            (StatusCode::ACCEPTED, "accepted", "accepted\n")
        }
        None => (StatusCode::OK, "ignored", "nothing to do\n"),
    }
}

fn too_large() -> (StatusCode, &'static str, &'static str) {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        "body over 25 MiB\n",
    )
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn githubs_documented_test_vector_verifies() {
        let secrets = WebhookSecrets::parse("It's a Secret to Everybody").unwrap();
        let header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(secrets.verify(Some(header), b"Hello, World!"));
        assert!(!secrets.verify(Some(header), b"Hello, World?"));
        assert!(!secrets.verify(None, b"Hello, World!"));
        assert!(!secrets.verify(Some("sha256=00"), b"Hello, World!"));
        assert!(!secrets.verify(Some(&header.replace("sha256", "sha1")), b"Hello, World!"));
    }

    #[test]
    fn any_of_several_secrets_verifies_during_a_rotation() {
        let secrets = WebhookSecrets::parse(" old , It's a Secret to Everybody,").unwrap();
        let header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(secrets.verify(Some(header), b"Hello, World!"));
        assert!(WebhookSecrets::parse(" , ").is_err());
        assert_eq!(format!("{secrets:?}"), "WebhookSecrets(2 secrets)");
    }

    #[test]
    fn an_event_prompts_the_repository_it_names_and_nothing_else() {
        let payload = json!({"action": "labeled", "repository": {"full_name": "acme/web"}});
        let prompt = prompt("issues", &payload).unwrap();
        assert_eq!(prompt.tick, BTreeSet::from(["acme/web".parse().unwrap()]));
        assert!(super::prompt("ping", &payload).is_none());
        assert!(super::prompt("star", &payload).is_none());
        assert!(super::prompt("issues", &json!({"repository": {}})).is_none());
    }

    #[test]
    fn installation_repositories_adds_and_removes() {
        let payload = json!({"action": "added",
            "repositories_added": [{"full_name": "acme/new"}],
            "repositories_removed": [{"full_name": "acme/old"}, {"full_name": "../x"}]});
        let prompt = prompt("installation_repositories", &payload).unwrap();
        assert_eq!(prompt.added.len(), 1);
        assert_eq!(prompt.removed.len(), 1);
        let mut pending = Prompt {
            tick: BTreeSet::from(["acme/old".parse().unwrap()]),
            ..Prompt::default()
        };
        pending.merge(prompt);
        assert!(
            pending.tick.is_empty(),
            "a removed repository is not ticked"
        );
    }

    #[test]
    fn the_replay_set_is_bounded_and_forgets_the_oldest() {
        let inbox = Inbox::default();
        assert!(inbox.remember("first"));
        assert!(!inbox.remember("first"));
        for n in 0..REMEMBERED_DELIVERIES {
            assert!(inbox.remember(&n.to_string()));
        }
        assert_eq!(inbox.lock().seen.len(), REMEMBERED_DELIVERIES);
        assert!(inbox.remember("first"), "forgotten once pushed out");
    }
}
