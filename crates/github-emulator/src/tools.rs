//! What the fake product tools (Asana, ClickUp) share: a request log, query parsing, and a
//! server on 127.0.0.1 that hands every request to one stateful handler.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// One request as a fake tool saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    pub body: Option<Value>,
}

impl ToolRequest {
    pub fn is_write(&self) -> bool {
        self.method != "GET"
    }
}

/// A request handed to a fake's model.
pub struct Call {
    pub method: Method,
    /// Path segments after the API prefix.
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    pub authorization: Option<String>,
    pub body: Value,
}

impl Call {
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn q_all(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn path(&self) -> Vec<&str> {
        self.segments.iter().map(String::as_str).collect()
    }
}

/// A fake's model: answers one call with a status and a JSON body.
pub trait ToolModel: Send + 'static {
    fn handle(&mut self, call: &Call) -> (StatusCode, Value);
}

pub(crate) struct ToolShared<M> {
    pub model: Mutex<M>,
    pub log: Mutex<Vec<ToolRequest>>,
    /// Answer 500 to this many of the next requests, the way a service answers when down.
    fail_next: Mutex<usize>,
    prefix: &'static str,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Binds 127.0.0.1:0 and serves `model` under `prefix`; returns the API base URL.
async fn serve<M: ToolModel>(
    model: M,
    prefix: &'static str,
) -> anyhow::Result<(Arc<ToolShared<M>>, String, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}{prefix}", listener.local_addr()?);
    let shared = Arc::new(ToolShared {
        model: Mutex::new(model),
        log: Mutex::new(Vec::new()),
        fail_next: Mutex::new(0),
        prefix,
    });
    let app = Router::new()
        .fallback(handle::<M>)
        .with_state(shared.clone());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((shared, url, task))
}

async fn handle<M: ToolModel>(
    State(shared): State<Arc<ToolShared<M>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or_default().to_string();
    let json: Option<Value> = serde_json::from_slice(&body).ok();
    let down = {
        let mut fail = lock(&shared.fail_next);
        let down = *fail > 0;
        *fail = fail.saturating_sub(1);
        down
    };
    let (status, answer) = match path.strip_prefix(shared.prefix) {
        _ if down => (StatusCode::INTERNAL_SERVER_ERROR, Value::Null),
        Some(rest) => {
            let call = Call {
                method: method.clone(),
                segments: rest
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(decode)
                    .collect(),
                query: parse_query(&query),
                authorization: headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
                body: json.clone().unwrap_or(Value::Null),
            };
            lock(&shared.model).handle(&call)
        }
        None => (StatusCode::NOT_FOUND, Value::Null),
    };
    lock(&shared.log).push(ToolRequest {
        method: method.to_string(),
        path,
        query,
        status: status.as_u16(),
        body: json,
    });
    (status, axum::Json(answer)).into_response()
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// A running fake tool: its model behind a server on 127.0.0.1, and the request log. Dropping
/// it stops the server. Each fake adds its seeding and reading calls on its own model type.
pub struct FakeTool<M> {
    pub(crate) shared: Arc<ToolShared<M>>,
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl<M: ToolModel> FakeTool<M> {
    pub(crate) async fn start_with(model: M, prefix: &'static str) -> anyhow::Result<Self> {
        let (shared, url, task) = serve(model, prefix).await?;
        Ok(FakeTool { shared, url, task })
    }

    /// The API base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request, in order.
    pub fn requests(&self) -> Vec<ToolRequest> {
        lock(&self.shared.log).clone()
    }

    /// Every request that is not a GET.
    pub fn writes(&self) -> Vec<ToolRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.is_write())
            .collect()
    }

    /// Answer 500 to the next `count` requests.
    pub fn fail_next(&self, count: usize) {
        *lock(&self.shared.fail_next) = count;
    }

    pub(crate) fn model(&self) -> std::sync::MutexGuard<'_, M> {
        lock(&self.shared.model)
    }
}

impl<M> Drop for FakeTool<M> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Ids handed out in order, so runs are reproducible.
#[derive(Debug, Default)]
pub(crate) struct Ids {
    next: u64,
}

impl Ids {
    pub fn next(&mut self, base: u64) -> u64 {
        self.next += 1;
        base + self.next
    }
}

/// Key-ordered storage for a fake's records.
pub(crate) type Table<T> = BTreeMap<String, T>;
