//! The one door to GitHub against the emulator: pagination, retries on fake time, budgets,
//! never repeating a create, and errors people can read.

use std::sync::Arc;
use std::time::Duration;

use shiprig::emulator::{Emulator, Fault, FaultWhen};
use shiprig::github::{
    ClientOptions, Credentials, FakeClock, GitHub, GitHubError, Issue, Repo, Secret,
};

use crate::support;

const TOKEN: &str = "ghp_client_test_token_0123456789";

async fn setup(issues: usize) -> (Emulator, GitHub, FakeClock) {
    let emulator = Emulator::start().await.unwrap();
    {
        let mut model = emulator.model();
        model.add_repo("acme", "rig", "main");
        model.add_user("tester", shiprig::emulator::UserKind::User);
        model.add_token(TOKEN, "tester");
        model.set_permission("acme/rig", "tester", shiprig::emulator::Permission::Write);
        for n in 0..issues {
            model.create_issue("acme/rig", &format!("issue {n}"), "", &[], "tester");
        }
    }
    let clock = FakeClock::new(emulator.model().now());
    let options = ClientOptions::new(emulator.url(), Credentials::Token(Secret::new(TOKEN)));
    let gh = GitHub::with_clock(options, Arc::new(clock.clone()))
        .unwrap()
        .for_repo(&repo());
    (emulator, gh, clock)
}

fn repo() -> Repo {
    Repo::new("acme", "rig")
}

fn nth(method: &str, path: &str, status: u16, when: FaultWhen) -> Fault {
    Fault {
        when,
        ..Fault::status(Some(method), path, status)
    }
}

#[tokio::test]
async fn pagination_reads_every_page_at_100() {
    let (emulator, gh, _) = setup(250).await;
    let issues: Vec<Issue> = gh
        .get_all("/repos/acme/rig/issues?state=open")
        .await
        .unwrap();
    assert_eq!(issues.len(), 250);
    let numbers: std::collections::BTreeSet<u64> = issues.iter().map(|i| i.number).collect();
    assert_eq!(numbers.len(), 250, "no issue twice, none missing");
    let pages: Vec<String> = emulator
        .requests()
        .iter()
        .map(|r| r.query.clone())
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages.iter().all(|q| q.contains("per_page=100")));
    assert_eq!(gh.stats().reads, 3);
}

#[tokio::test]
async fn a_failing_page_leaves_a_partial_listing_with_the_error() {
    let (emulator, gh, _) = setup(250).await;
    emulator.inject(nth(
        "GET",
        "/repos/acme/rig/issues",
        500,
        FaultWhen::FromNth(2),
    ));
    let listing = gh
        .list::<Issue>("/repos/acme/rig/issues?state=open", None)
        .await;
    assert_eq!(listing.items.len(), 100);
    assert!(!listing.complete);
    assert_eq!(listing.error.unwrap().status(), Some(500));
}

#[tokio::test]
async fn a_502_then_200_is_retried_after_a_backoff() {
    let (emulator, gh, clock) = setup(1).await;
    emulator.inject(nth(
        "GET",
        "/repos/acme/rig/issues/1",
        502,
        FaultWhen::Nth(1),
    ));
    let issue = gh.issue(&repo(), 1).await.unwrap();
    assert_eq!(issue.number, 1);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(1)]);
    assert_eq!(gh.stats().retries, 1);
    assert_eq!(emulator.requests().len(), 2);
}

#[tokio::test]
async fn a_secondary_rate_limit_waits_as_long_as_retry_after_says() {
    let (emulator, gh, clock) = setup(1).await;
    let limited = nth("GET", "/repos/acme/rig/issues/1", 403, FaultWhen::Nth(1))
        .with_header("Retry-After", "7");
    emulator.inject(limited);
    gh.issue(&repo(), 1).await.unwrap();
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);
}

#[tokio::test]
async fn an_exhausted_primary_limit_waits_for_the_reset() {
    let (emulator, gh, clock) = setup(1).await;
    let reset = (emulator.model().now().timestamp() + 90).to_string();
    let limited = nth("GET", "/repos/acme/rig/issues/1", 403, FaultWhen::Nth(1))
        .with_header("x-ratelimit-remaining", "0")
        .with_header("x-ratelimit-reset", &reset);
    emulator.inject(limited);
    gh.issue(&repo(), 1).await.unwrap();
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(90)]);
}

#[tokio::test]
async fn a_limit_without_headers_backs_off_from_a_minute() {
    let (emulator, gh, clock) = setup(1).await;
    emulator.inject(nth(
        "GET",
        "/repos/acme/rig/issues/1",
        429,
        FaultWhen::Times(2),
    ));
    gh.issue(&repo(), 1).await.unwrap();
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_secs(60), Duration::from_secs(120)]
    );
}

#[tokio::test]
async fn persistent_failure_gives_up_inside_the_budget_with_a_clear_error() {
    let (emulator, gh, clock) = setup(1).await;
    emulator.inject(nth(
        "GET",
        "/repos/acme/rig/issues/1",
        502,
        FaultWhen::Always,
    ));
    let error = gh.issue(&repo(), 1).await.unwrap_err();
    let text = error.to_string();
    assert!(
        matches!(error, GitHubError::GaveUp { attempts: 5, .. }),
        "{text}"
    );
    assert!(
        text.contains("GET /repos/acme/rig/issues/1") && text.contains("502"),
        "{text}"
    );
    assert!(clock.slept() <= Duration::from_secs(300));
    assert_eq!(emulator.requests().len(), 5);
    assert!(!text.contains(TOKEN));
}

#[tokio::test]
async fn a_wait_longer_than_the_budget_is_not_started() {
    let (emulator, gh, clock) = setup(1).await;
    emulator.inject(
        nth("GET", "/repos/acme/rig/issues/1", 429, FaultWhen::Always)
            .with_header("Retry-After", "3600"),
    );
    let error = gh.issue(&repo(), 1).await.unwrap_err();
    assert_eq!(error.status(), Some(429));
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn a_failed_create_is_never_repeated() {
    let (emulator, gh, clock) = setup(1).await;
    emulator.inject(nth(
        "POST",
        "/repos/acme/rig/issues/1/comments",
        500,
        FaultWhen::Always,
    ));
    let error = gh.create_comment(&repo(), 1, "hello").await.unwrap_err();
    assert_eq!(error.status(), Some(500));
    let posts = emulator.writes();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(clock.sleeps().is_empty());
    assert!(
        emulator
            .model()
            .issue("acme/rig", 1)
            .unwrap()
            .comments
            .is_empty()
    );
}

#[tokio::test]
async fn a_dropped_connection_on_a_create_is_not_repeated_but_on_a_read_it_is() {
    let (emulator, gh, _) = setup(1).await;
    emulator.inject(Fault {
        when: FaultWhen::Nth(1),
        ..Fault::drop_connection(Some("POST"), "/repos/acme/rig/issues/1/comments")
    });
    assert!(matches!(
        gh.create_comment(&repo(), 1, "hi").await,
        Err(GitHubError::Transport { .. })
    ));
    assert_eq!(emulator.writes().len(), 1);
    emulator.inject(Fault {
        when: FaultWhen::Nth(1),
        ..Fault::drop_connection(Some("GET"), "/repos/acme/rig/issues/1")
    });
    assert_eq!(gh.issue(&repo(), 1).await.unwrap().number, 1);
}

#[tokio::test]
async fn a_rate_limited_create_is_retried_because_github_did_nothing() {
    let (emulator, gh, clock) = setup(1).await;
    let limited = nth(
        "POST",
        "/repos/acme/rig/issues/1/comments",
        403,
        FaultWhen::Nth(1),
    )
    .with_header("Retry-After", "3");
    emulator.inject(limited);
    gh.create_comment(&repo(), 1, "once").await.unwrap();
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(3)]);
    assert_eq!(
        emulator.model().issue("acme/rig", 1).unwrap().comments,
        vec!["once".to_string()]
    );
}

#[tokio::test]
async fn errors_carry_method_path_status_and_githubs_message() {
    let (_emulator, gh, _) = setup(0).await;
    let error = gh.issue(&repo(), 99).await.unwrap_err();
    let text = error.to_string();
    assert!(error.is_not_found());
    assert_eq!(
        text,
        "GET /repos/acme/rig/issues/99 answered 404: Not Found"
    );
}

#[tokio::test]
async fn every_request_carries_the_api_version_and_the_token_as_bearer() {
    let (emulator, gh, _) = setup(1).await;
    gh.issue(&repo(), 1).await.unwrap();
    let logged = emulator.requests();
    assert_eq!(
        logged[0].actor.as_deref(),
        Some("tester"),
        "the emulator resolved the bearer token"
    );
}

/// An App with a fresh key, installed on `acme`; returns the private key PEM.
fn install_app(emulator: &Emulator, app_id: u64) -> (String, u64) {
    let (private, public) = support::emulator::rsa_pair();
    let mut model = emulator.model();
    model.register_app_named(app_id, "shiprig-test", &public);
    let installation = model.add_installation(app_id, "acme");
    (private, installation)
}

fn app_client(emulator: &Emulator, app_id: u64, pem: &str, clock: &FakeClock) -> GitHub {
    let credentials = Credentials::App {
        app_id,
        private_key_pem: Secret::new(pem),
    };
    let options = ClientOptions::new(emulator.url(), credentials);
    GitHub::with_clock(options, Arc::new(clock.clone()))
        .unwrap()
        .for_repo(&repo())
}

#[tokio::test]
async fn app_auth_round_trip_mints_and_reuses_an_installation_token() {
    let (emulator, _, clock) = setup(1).await;
    let (pem, installation) = install_app(&emulator, 4242);
    let gh = app_client(&emulator, 4242, &pem, &clock);
    assert_eq!(gh.issue(&repo(), 1).await.unwrap().number, 1);
    assert_eq!(gh.issue(&repo(), 1).await.unwrap().number, 1);
    let paths: Vec<String> = emulator
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        paths,
        vec![
            "GET /repos/acme/rig/installation".to_string(),
            format!("POST /app/installations/{installation}/access_tokens"),
            "GET /repos/acme/rig/issues/1".to_string(),
            "GET /repos/acme/rig/issues/1".to_string(),
        ],
        "the token is minted once and reused"
    );
    let actor = emulator.requests()[2].actor.clone().unwrap();
    assert!(actor.ends_with("[bot]"), "{actor}");
}

#[tokio::test]
async fn an_installation_token_is_refreshed_before_it_expires() {
    let (emulator, _, clock) = setup(1).await;
    let (pem, _) = install_app(&emulator, 7);
    let gh = app_client(&emulator, 7, &pem, &clock);
    gh.issue(&repo(), 1).await.unwrap();
    let fifty_six_minutes = Duration::from_secs(56 * 60);
    clock.advance(fifty_six_minutes);
    emulator.model().advance(chrono::Duration::minutes(56));
    gh.issue(&repo(), 1).await.unwrap();
    let mints = emulator
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/access_tokens"))
        .count();
    assert_eq!(mints, 2, "less than five minutes left: a new token");
}

#[tokio::test]
async fn app_auth_with_a_wrong_key_fails_clearly() {
    let (emulator, _, clock) = setup(1).await;
    install_app(&emulator, 99);
    let (other_key, _) = support::emulator::rsa_pair();
    let gh = app_client(&emulator, 99, &other_key, &clock);
    let error = gh.issue(&repo(), 1).await.unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, GitHubError::AppAuth(_)), "{text}");
    assert!(
        text.contains("GitHub App authentication failed") && text.contains("401"),
        "{text}"
    );
    assert!(!text.contains("PRIVATE KEY"));
    let garbage = app_client(&emulator, 99, "not a pem", &clock)
        .issue(&repo(), 1)
        .await
        .unwrap_err();
    assert!(
        garbage.to_string().contains("not an RSA private key"),
        "{garbage}"
    );
}

#[tokio::test]
async fn an_unreachable_github_is_one_short_line_naming_the_request_and_the_cause() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let url = format!("http://{address}");
    drop(listener);
    let clock = shiprig::github::FakeClock::new(chrono::Utc::now());
    let options = shiprig::github::ClientOptions::new(
        url,
        shiprig::github::Credentials::Token(shiprig::github::Secret::new("ghp_secret_value")),
    );
    let gh = shiprig::github::GitHub::with_clock(options, std::sync::Arc::new(clock)).unwrap();
    let repo: shiprig::github::Repo = "acme/widgets".parse().unwrap();
    let error = gh.issue(&repo, 7).await.unwrap_err().to_string();
    assert_eq!(
        error,
        format!(
            "GET /repos/acme/widgets/issues/7: connection refused ({address}) \
             (gave up after 5 attempts and 15s of waiting)"
        )
    );
    assert!(!error.contains("ghp_secret_value"));
}
