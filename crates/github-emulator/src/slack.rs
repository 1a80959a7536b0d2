//! A fake Slack on 127.0.0.1: an incoming webhook and the Web API's `chat.postMessage` (bot
//! token, channel, `200 {"ok": false, "error": …}` on refusals, as Slack answers). It keeps
//! every message it accepted, and can be told to fail, the way Slack answers when it is down.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};

/// The bot token the fake Web API accepts.
pub const BOT_TOKEN: &str = "xoxb-shiprig-test";

#[derive(Default)]
struct SlackInbox {
    messages: Vec<Value>,
    /// Answer 500 to this many of the next requests.
    fail_next: usize,
    rejected: usize,
    /// Answer `200 {"ok": false, "error": …}` to the next Web API call.
    refuse_next: Option<String>,
}

/// A running fake webhook; dropping it stops the server.
pub struct FakeSlack {
    inbox: Arc<Mutex<SlackInbox>>,
    url: String,
    api_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl FakeSlack {
    pub async fn start() -> anyhow::Result<FakeSlack> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}/services/T000/B000/XXXX");
        let api_url = format!("http://{addr}/api");
        let inbox = Arc::new(Mutex::new(SlackInbox::default()));
        let app = Router::new()
            .route("/services/{a}/{b}/{c}", post(receive))
            .route("/api/chat.postMessage", post(post_message))
            .with_state(inbox.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeSlack {
            inbox,
            url,
            api_url,
            task,
        })
    }

    /// The Web API base (`SLACK_API_URL`), for a bot token.
    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    /// Refuse the next Web API call with `200 {"ok": false, "error": error}`.
    pub fn refuse_next(&self, error: &str) {
        self.lock().refuse_next = Some(error.to_string());
    }

    /// The webhook URL (a secret in real life).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every accepted message body, in order.
    pub fn messages(&self) -> Vec<Value> {
        self.lock().messages.clone()
    }

    /// The `text` of every accepted message.
    pub fn texts(&self) -> Vec<String> {
        self.messages()
            .iter()
            .filter_map(|m| m["text"].as_str().map(str::to_string))
            .collect()
    }

    /// Answer 500 to the next `count` messages (and keep none of them).
    pub fn fail_next(&self, count: usize) {
        self.lock().fail_next = count;
    }

    /// How many messages were turned away with an error.
    pub fn rejected(&self) -> usize {
        self.lock().rejected
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SlackInbox> {
        self.inbox.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for FakeSlack {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(
    State(inbox): State<Arc<Mutex<SlackInbox>>>,
    body: String,
) -> (StatusCode, &'static str) {
    let mut inbox = inbox.lock().unwrap_or_else(|e| e.into_inner());
    if inbox.fail_next > 0 {
        inbox.fail_next -= 1;
        inbox.rejected += 1;
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
    }
    match serde_json::from_str::<Value>(&body) {
        Ok(message) if message.get("text").is_some() || message.get("blocks").is_some() => {
            inbox.messages.push(message);
            (StatusCode::OK, "ok")
        }
        Ok(_) => (StatusCode::BAD_REQUEST, "no_text"),
        Err(_) => (StatusCode::BAD_REQUEST, "invalid_payload"),
    }
}

/// `chat.postMessage`: a bearer bot token, a channel, and text or blocks. Refusals are
/// `200 {"ok": false}`, as Slack answers them; only an outage is a 5xx.
async fn post_message(
    State(inbox): State<Arc<Mutex<SlackInbox>>>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, Json<Value>) {
    let mut inbox = inbox.lock().unwrap_or_else(|e| e.into_inner());
    if inbox.fail_next > 0 {
        inbox.fail_next -= 1;
        inbox.rejected += 1;
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"ok": false})),
        );
    }
    let refuse = |inbox: &mut SlackInbox, error: &str| {
        inbox.rejected += 1;
        (StatusCode::OK, Json(json!({ "ok": false, "error": error })))
    };
    if let Some(error) = inbox.refuse_next.take() {
        return refuse(&mut inbox, &error);
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if token.is_none() {
        return refuse(&mut inbox, "not_authed");
    }
    if token != Some(BOT_TOKEN) {
        return refuse(&mut inbox, "invalid_auth");
    }
    let Ok(message) = serde_json::from_str::<Value>(&body) else {
        return refuse(&mut inbox, "invalid_json");
    };
    let channel = message["channel"].as_str().unwrap_or_default().to_string();
    if channel.is_empty() {
        return refuse(&mut inbox, "channel_not_found");
    }
    if message.get("text").is_none() && message.get("blocks").is_none() {
        return refuse(&mut inbox, "no_text");
    }
    inbox.messages.push(message.clone());
    let ts = format!("1700000000.{:06}", inbox.messages.len());
    (
        StatusCode::OK,
        Json(json!({ "ok": true, "channel": channel, "ts": ts, "message": message })),
    )
}
