//! Fault injection and GitHub App authentication against the emulator.

use std::time::{Duration, Instant};

use serde_json::json;
use shiprig::emulator::Fault;

use crate::support::emulator::{Api, REPO, TOKEN, rsa_pair, seeded};

#[tokio::test]
async fn status_fault_answers_with_headers_and_skips_the_write() {
    let emu = seeded().await;
    let n = emu.model().create_issue(REPO, "A", "", &[], "mia");
    emu.inject(
        Fault::status(Some("POST"), "/repos/*/*/issues/*/labels", 403)
            .with_header("Retry-After", "30")
            .with_header("x-ratelimit-remaining", "0")
            .with_message("You have exceeded a secondary rate limit."),
    );
    let api = Api::new(&emu, Some(TOKEN));
    let path = format!("/repos/{REPO}/issues/{n}/labels");
    let r = api
        .send("POST", &path, Some(json!({"labels": ["approved"]})))
        .await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(r.headers()["retry-after"], "30");
    assert_eq!(r.headers()["x-ratelimit-remaining"], "0");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["message"], "You have exceeded a secondary rate limit.");
    assert!(
        emu.model().issue(REPO, n).unwrap().labels.is_empty(),
        "write not applied"
    );
    let log = emu.requests();
    assert_eq!((log[0].status, log[0].actor.as_deref()), (403, Some("mia")));
    emu.clear_faults();
    assert_eq!(
        api.send("POST", &path, Some(json!({"labels": ["approved"]})))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn nth_request_faults_and_dropped_connections() {
    let emu = seeded().await;
    emu.inject(Fault::status(Some("GET"), "/repos/acme/widgets/issues", 502).nth(2));
    emu.inject(Fault::drop_connection(None, "/repos/acme/widgets/pulls"));
    let api = Api::new(&emu, Some(TOKEN));
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(
            api.send("GET", &format!("/repos/{REPO}/issues"), None)
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(got, vec![200, 502, 200]);
    let dropped = api
        .client
        .get(format!("{}/repos/{REPO}/pulls", emu.url()))
        .bearer_auth(TOKEN)
        .send()
        .await;
    assert!(dropped.is_err(), "connection closed without a response");
    let last = emu.requests().pop().unwrap();
    assert_eq!(
        (last.path.as_str(), last.status),
        ("/repos/acme/widgets/pulls", 0)
    );
}

#[tokio::test]
async fn delays_and_global_latency() {
    let emu = seeded().await;
    emu.inject(Fault::delay(None, "/rate_limit", Duration::from_millis(150)).times(1));
    let api = Api::new(&emu, Some(TOKEN));
    let t = Instant::now();
    assert_eq!(api.send("GET", "/rate_limit", None).await.status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(150));
    emu.set_latency(Duration::from_millis(50));
    let t = Instant::now();
    assert_eq!(api.send("GET", "/rate_limit", None).await.status(), 200);
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(50) && took < Duration::from_millis(150),
        "{took:?}"
    );
}

fn jwt(private_pem: &str, app_id: u64, iat: i64, exp: i64) -> String {
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap();
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    jsonwebtoken::encode(
        &header,
        &json!({"iss": app_id.to_string(), "iat": iat, "exp": exp}),
        &key,
    )
    .unwrap()
}

#[tokio::test]
async fn app_jwt_installation_token_round_trip() {
    let emu = seeded().await;
    let (private, public) = rsa_pair();
    let (_, other_public) = rsa_pair();
    let installation = {
        let mut m = emu.model();
        m.register_app(42, &public);
        m.register_app(43, &other_public);
        m.add_installation(42, "acme")
    };
    let now = emu.model().now().timestamp();
    let app = Api::new(&emu, Some(&jwt(&private, 42, now - 60, now + 540)));
    let me = app.get("/app").await;
    assert_eq!(
        (me["id"].as_u64(), me["slug"].as_str()),
        (Some(42), Some("app-42"))
    );
    let inst = app.get(&format!("/repos/{REPO}/installation")).await;
    assert_eq!(inst["id"].as_u64(), Some(installation));
    let (s, tok) = app
        .json(
            "POST",
            &format!("/app/installations/{installation}/access_tokens"),
            None,
        )
        .await;
    assert_eq!(s, 201);
    let token = tok["token"].as_str().unwrap();
    assert!(token.starts_with("ghs_"));
    assert_eq!(tok["expires_at"], "2026-01-05T10:00:00Z");

    let bot = Api::new(&emu, Some(token));
    let (s, issue) = bot
        .json(
            "POST",
            &format!("/repos/{REPO}/issues"),
            Some(json!({"title": "from the app"})),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(issue["user"]["login"], "app-42[bot]");
    assert_eq!(issue["user"]["type"], "Bot");
    emu.model().advance(chrono::Duration::minutes(61));
    assert_eq!(
        bot.json("GET", &format!("/repos/{REPO}"), None).await.0,
        401,
        "expired token"
    );

    // A JWT signed with another key, one that lives too long, or one already expired: 401.
    let now = emu.model().now().timestamp();
    let forged = Api::new(&emu, Some(&jwt(&private, 43, now - 60, now + 540)));
    let (s, v) = forged.json("GET", "/app", None).await;
    assert_eq!(s, 401);
    assert!(v["documentation_url"].is_string());
    let long = Api::new(&emu, Some(&jwt(&private, 42, now, now + 3600)));
    assert_eq!(long.json("GET", "/app", None).await.0, 401);
    let stale = Api::new(&emu, Some(&jwt(&private, 42, now - 700, now - 100)));
    assert_eq!(stale.json("GET", "/app", None).await.0, 401);
    assert_eq!(Api::new(&emu, None).json("GET", "/app", None).await.0, 401);
}
