//! Shared helpers for the emulator tests: a seeded emulator and a small HTTP client.
#![allow(dead_code)]

use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use reqwest::{Method, Response};
use serde_json::Value;
use shiprig::demo::World;
use shiprig::emulator::{Emulator, Permission, UserKind};

pub const REPO: &str = "acme/widgets";
pub const TOKEN: &str = "ghp_maintainer";

/// An emulator with `acme/widgets`, a maintainer `mia` (token `ghp_maintainer`), a bot and a
/// reader.
pub async fn seeded() -> Emulator {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let emu = Emulator::start().await.expect("emulator starts");
    {
        let mut m = emu.model();
        m.add_repo("acme", "widgets", "main");
        m.add_repo("acme", "infra", "main");
        m.add_user("mia", UserKind::User);
        m.add_user("rig-agent-1", UserKind::Bot);
        m.add_user("rex", UserKind::User);
        m.set_permission(REPO, "mia", Permission::Maintain);
        m.set_permission(REPO, "rig-agent-1", Permission::Write);
        m.set_permission(REPO, "rex", Permission::Read);
        m.add_token(TOKEN, "mia");
        m.add_token("ghp_rex", "rex");
    }
    emu
}

pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub token: Option<String>,
}

impl Api {
    pub fn new(emu: &Emulator, token: Option<&str>) -> Api {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        Api {
            base: emu.url(),
            client: reqwest::Client::new(),
            token: token.map(str::to_string),
        }
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let mut rb = self
            .client
            .request(Method::from_bytes(method.as_bytes()).unwrap(), url)
            .header("accept", "application/vnd.github+json")
            .header("user-agent", "shiprig-tests");
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        rb.send().await.expect("request reaches the emulator")
    }

    /// Sends and returns (status, JSON body or Null).
    pub async fn json(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let r = self.send(method, path, body).await;
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> Value {
        let (s, v) = self.json("GET", path, None).await;
        assert_eq!(s, 200, "GET {path}: {v}");
        v
    }
}

pub fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// A fresh 2048-bit RSA key: (private PKCS#8 PEM, public SPKI PEM).
pub fn rsa_pair() -> (String, String) {
    let kp = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let private =
        aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&kp).unwrap();
    let public = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(
        kp.public_key(),
    )
    .unwrap();
    (
        pem("PRIVATE KEY", private.as_ref()),
        pem("PUBLIC KEY", public.as_ref()),
    )
}

/// CI reports a red check on `sha`, as a CI app would through the API.
pub async fn red_check(world: &World, sha: &str, name: &str) {
    {
        let mut model = world.emulator.model();
        model.add_user("ci-app[bot]", UserKind::Bot);
        model.add_token("ghs_ci_app", "ci-app[bot]");
        model.set_permission(&world.full_name(), "ci-app[bot]", Permission::Write);
    }
    let body = serde_json::json!({"name": name, "head_sha": sha, "status": "completed", "conclusion": "failure"});
    let response = reqwest::Client::new()
        .post(format!(
            "{}/repos/{}/check-runs",
            world.emulator.url(),
            world.full_name()
        ))
        .bearer_auth("ghs_ci_app")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}
