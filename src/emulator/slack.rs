//! A fake Slack incoming webhook on 127.0.0.1: it keeps every message it accepted, and can be
//! told to fail, the way Slack answers when it is down.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::Value;

#[derive(Default)]
struct Inbox {
    messages: Vec<Value>,
    /// Answer 500 to this many of the next requests.
    fail_next: usize,
    rejected: usize,
}

/// A running fake webhook; dropping it stops the server.
pub struct FakeSlack {
    inbox: Arc<Mutex<Inbox>>,
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl FakeSlack {
    pub async fn start() -> anyhow::Result<FakeSlack> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/services/T000/B000/XXXX", listener.local_addr()?);
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let app = Router::new()
            .route("/services/{a}/{b}/{c}", post(receive))
            .with_state(inbox.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeSlack { inbox, url, task })
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Inbox> {
        self.inbox.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for FakeSlack {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(
    State(inbox): State<Arc<Mutex<Inbox>>>,
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
