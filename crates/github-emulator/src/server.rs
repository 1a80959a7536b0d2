//! The HTTP side: accepts connections, applies latency and faults, authenticates, counts the
//! rate budget, dispatches to a route, and logs every request.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::Value;

use super::fault::{self, FaultAction, Lost};
use super::http::{ApiError, Reply, default_message, parse_query};
use super::{LoggedRequest, Shared, auth, etag, lock, routes};

/// Accepts connections until the task is aborted; connections die with it.
pub(crate) async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        // Answers go out at once, as from GitHub's front end (no Nagle delay on loopback).
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        conns.spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let svc = hyper::service::service_fn(move |req| handle(shared.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(io, svc)
                .await;
        });
        while conns.try_join_next().is_some() {}
    }
}

/// Returned to hyper to close the connection without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

/// What the server knows about a request before routing it.
struct Inbound {
    method: String,
    path: String,
    query: String,
    auth: Option<String>,
    if_none_match: Option<String>,
    body: Option<Value>,
    raw: Bytes,
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let inc = read(req).await;
    let latency = *lock(&shared.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let actions = fault::fire(&mut lock(&shared.faults), &inc.method, &inc.path);
    let mut lost = None;
    for action in actions {
        match action {
            FaultAction::Delay(d) => tokio::time::sleep(d).await,
            FaultAction::Drop => {
                let (actor, _) = peek(&shared, &inc);
                log(&shared, &inc, 0, actor);
                return Err(Dropped);
            }
            FaultAction::Respond {
                status,
                headers,
                message,
            } => {
                let (actor, mut all) = peek(&shared, &inc);
                all.retain(|(k, _)| !headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(k)));
                all.extend(headers);
                let msg = message.unwrap_or_else(|| default_message(status).to_string());
                let mut reply = Reply::json(status, ApiError::new(status, &msg).body());
                reply.headers = all;
                log(&shared, &inc, status, actor);
                return Ok(respond(&shared, reply));
            }
            FaultAction::BadGateway => {
                let (actor, _) = peek(&shared, &inc);
                log(&shared, &inc, 502, actor);
                return Ok(bad_gateway());
            }
            FaultAction::Lose(how) => lost = Some(how),
        }
    }
    let (reply, actor) = dispatch(&shared, &inc);
    log(&shared, &inc, reply.status, actor);
    match lost {
        None => Ok(respond(&shared, reply)),
        Some(how) => lose(&shared, reply, how).await,
    }
}

/// The answer to a request that was applied, lost on its way back.
async fn lose(shared: &Shared, reply: Reply, how: Lost) -> Result<Response<Full<Bytes>>, Dropped> {
    match how {
        Lost::BadGateway => Ok(bad_gateway()),
        Lost::Reset => Err(Dropped),
        Lost::Late(delay) => {
            tokio::time::sleep(delay).await;
            Ok(respond(shared, reply))
        }
        Lost::Truncated => {
            let full = respond(shared, reply);
            let (mut parts, body) = full.into_parts();
            let bytes = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let cut = bytes.slice(..bytes.len() / 2);
            parts.headers.remove(http::header::CONTENT_LENGTH);
            Ok(Response::from_parts(parts, Full::new(cut)))
        }
    }
}

/// GitHub's front end when the service behind it fails: 502 with an HTML page.
fn bad_gateway() -> Response<Full<Bytes>> {
    const PAGE: &str = "<!DOCTYPE html>\n<html><head><title>Unicorn! &middot; GitHub</title></head>\n\
        <body><p>We had issues producing the response to your request.</p></body></html>\n";
    Response::builder()
        .status(502)
        .header("content-type", "text/html; charset=utf-8")
        .header("server", "github.com")
        .body(Full::new(Bytes::from_static(PAGE.as_bytes())))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

async fn read(req: Request<Incoming>) -> Inbound {
    let (parts, body) = req.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Inbound {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        auth: parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        if_none_match: parts
            .headers
            .get(http::header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: serde_json::from_slice(&bytes).ok(),
        raw: bytes,
    }
}

/// Who a faulted request came from and its rate headers, without counting it.
fn peek(shared: &Shared, inc: &Inbound) -> (Option<String>, Vec<(String, String)>) {
    let mut model = lock(&shared.model);
    let caller = auth::authenticate(&model, &inc.method, &inc.path, inc.auth.as_deref());
    let caller = caller.unwrap_or(auth::Caller::Anonymous);
    let (_, headers) = auth::rate_limit(&mut model, &caller.budget_key(), false);
    (caller.login(), headers)
}

/// Authenticates, counts the budget and runs the route, all under one model lock.
fn dispatch(shared: &Shared, inc: &Inbound) -> (Reply, Option<String>) {
    let mut model = lock(&shared.model);
    let caller = match auth::authenticate(&model, &inc.method, &inc.path, inc.auth.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            let (_, headers) = auth::rate_limit(&mut model, "anonymous", false);
            return (with_headers(error_reply(&e), headers), None);
        }
    };
    let actor = caller.login();
    // A conditional GET is charged only once it is known not to answer 304.
    let conditional = etag::applies(&inc.method, &inc.path) && inc.if_none_match.is_some();
    let counts = inc.path != "/rate_limit" && !conditional;
    let (allowed, mut headers) = auth::rate_limit(&mut model, &caller.budget_key(), counts);
    if let Err(e) = allowed {
        return (with_headers(error_reply(&e), headers), actor);
    }
    let req = super::http::Req {
        method: inc.method.clone(),
        path: inc.path.clone(),
        query: parse_query(&inc.query),
        params: Vec::new(),
        body: inc.body.clone().unwrap_or(Value::Null),
        raw_len: inc.raw.len(),
        actor: actor.clone(),
        app: match caller {
            auth::Caller::App(id) => Some(id),
            _ => None,
        },
    };
    let mut reply = match routes::route(&mut model, req) {
        Ok(r) => r,
        Err(e) => error_reply(&e),
    };
    if etag::tagged(&inc.path) {
        let validator = inc.if_none_match.as_deref().filter(|_| conditional);
        reply = etag::answer(reply, inc.auth.as_deref(), validator);
    }
    if conditional && reply.status != 304 {
        let (allowed, charged) = auth::rate_limit(&mut model, &caller.budget_key(), true);
        headers = charged;
        if let Err(e) = allowed {
            return (with_headers(error_reply(&e), headers), actor);
        }
    }
    (with_headers(reply, headers), actor)
}

fn error_reply(e: &ApiError) -> Reply {
    Reply::json(e.status, e.body())
}

fn with_headers(mut reply: Reply, headers: Vec<(String, String)>) -> Reply {
    reply.headers.extend(headers);
    reply
}

fn log(shared: &Shared, inc: &Inbound, status: u16, actor: Option<String>) {
    let seq = shared.seq.fetch_add(1, Ordering::SeqCst) + 1;
    lock(&shared.log).push(LoggedRequest {
        seq,
        method: inc.method.clone(),
        path: inc.path.clone(),
        query: inc.query.clone(),
        status,
        body: inc.body.clone(),
        actor,
    });
}

fn respond(shared: &Shared, reply: Reply) -> Response<Full<Bytes>> {
    let seq = shared.seq.load(Ordering::SeqCst);
    let mut b = Response::builder()
        .status(reply.status)
        .header("x-github-request-id", format!("EMU0:{seq:08X}"))
        .header("x-github-api-version-selected", "2022-11-28")
        .header("server", "github.com");
    for (k, v) in &reply.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let body = match &reply.body {
        Some(v) => {
            b = b.header("content-type", "application/json; charset=utf-8");
            Bytes::from(serde_json::to_vec(v).unwrap_or_default())
        }
        None => Bytes::new(),
    };
    b.body(Full::new(body))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}
