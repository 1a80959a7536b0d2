//! Conditional requests through the one door to GitHub: an unchanged read is a free `304`, a
//! changed one is never served from the cache, and the cache keeps to its credential, to GETs
//! and to its byte bound (docs/security.md#case-48).

use std::sync::Arc;
use std::time::Duration;

use shiprig::emulator::{Emulator, Permission, UserKind};
use shiprig::github::{
    ClientOptions, Credentials, FakeClock, GitHub, IssueUpdate, Repo, Secret, VIEWER_QUERY,
};

use crate::support;

const TOKEN: &str = "ghs_cache_test_token";
const BOUND: usize = 1 << 20;

async fn setup(repos: &[&str]) -> (Emulator, FakeClock) {
    let emulator = Emulator::start().await.unwrap();
    {
        let mut model = emulator.model();
        model.add_user("tester", UserKind::User);
        model.add_token(TOKEN, "tester");
        for repo in repos {
            let (owner, name) = repo.split_once('/').unwrap();
            model.add_repo(owner, name, "main");
            model.set_permission(repo, "tester", Permission::Write);
            for n in 0..3 {
                let issue = model.create_issue(repo, &format!("issue {n}"), "", &[], "tester");
                model.add_label(repo, issue, "approved", "tester");
            }
        }
    }
    let clock = FakeClock::new(emulator.model().now());
    (emulator, clock)
}

fn client(
    emulator: &Emulator,
    clock: &FakeClock,
    credentials: Credentials,
    bytes: usize,
) -> GitHub {
    let options = ClientOptions::new(emulator.url(), credentials);
    GitHub::with_clock(options, Arc::new(clock.clone()))
        .unwrap()
        .with_response_cache(bytes)
        .for_repo(&repo())
}

fn token() -> Credentials {
    Credentials::Token(Secret::new(TOKEN))
}

fn repo() -> Repo {
    Repo::new("acme", "rig")
}

/// The statuses the emulator answered to GETs of `path`, in order.
fn statuses(emulator: &Emulator, path: &str) -> Vec<u16> {
    emulator
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == path)
        .map(|r| r.status)
        .collect()
}

#[tokio::test]
async fn an_unchanged_read_is_a_304_that_spends_no_rate_limit_point() {
    let (emulator, clock) = setup(&["acme/rig"]).await;
    let gh = client(&emulator, &clock, token(), BOUND);
    let first = gh.open_issues_with_labels(&repo(), &["approved"]).await;
    let spent = emulator.model().rate_limit_used(TOKEN);
    let second = gh.open_issues_with_labels(&repo(), &["approved"]).await;
    assert_eq!(second.items.len(), 3);
    assert_eq!(
        first.items.iter().map(|i| &i.title).collect::<Vec<_>>(),
        second.items.iter().map(|i| &i.title).collect::<Vec<_>>()
    );
    assert_eq!(
        statuses(&emulator, "/repos/acme/rig/issues"),
        vec![200, 304]
    );
    assert_eq!(
        emulator.model().rate_limit_used(TOKEN),
        spent,
        "a 304 is free"
    );
    let stats = gh.stats();
    assert_eq!((stats.reads, stats.not_modified, stats.points()), (2, 1, 1));
}

#[tokio::test]
async fn a_changed_resource_is_never_served_from_the_cache() {
    let (emulator, clock) = setup(&["acme/rig"]).await;
    let gh = client(&emulator, &clock, token(), BOUND);
    assert_eq!(gh.issue(&repo(), 1).await.unwrap().title, "issue 0");
    emulator
        .model()
        .edit_issue("acme/rig", 1, Some("renamed"), None, "tester");
    assert_eq!(gh.issue(&repo(), 1).await.unwrap().title, "renamed");
    assert_eq!(gh.issue(&repo(), 1).await.unwrap().title, "renamed");
    assert_eq!(
        statuses(&emulator, "/repos/acme/rig/issues/1"),
        vec![200, 200, 304]
    );
}

#[tokio::test]
async fn case_48_a_writes_answer_and_graphql_are_never_cached() {
    let (emulator, clock) = setup(&["acme/rig"]).await;
    let gh = client(&emulator, &clock, token(), BOUND);
    let update = IssueUpdate {
        title: Some("edited by shiprig".into()),
        ..IssueUpdate::default()
    };
    // The PATCH's answer carries an ETag, as GitHub's does, for the same URL a GET reads.
    gh.update_issue(&repo(), 1, &update).await.unwrap();
    emulator
        .model()
        .edit_issue("acme/rig", 1, None, Some("edited by a person"), "tester");
    let read = gh.issue(&repo(), 1).await.unwrap();
    assert_eq!(read.body.as_deref(), Some("edited by a person"));
    assert_eq!(statuses(&emulator, "/repos/acme/rig/issues/1"), vec![200]);
    for _ in 0..2 {
        let _: serde_json::Value = gh
            .graphql(VIEWER_QUERY, serde_json::json!({}))
            .await
            .unwrap();
    }
    let graphql: Vec<u16> = emulator
        .requests()
        .iter()
        .filter(|r| r.path == "/graphql")
        .map(|r| r.status)
        .collect();
    assert_eq!(graphql, vec![200, 200]);
    assert_eq!(gh.stats().not_modified, 0);
}

#[tokio::test]
async fn case_48_a_refreshed_installation_token_starts_cold() {
    let (emulator, clock) = setup(&["acme/rig"]).await;
    let (pem, public) = support::emulator::rsa_pair();
    {
        let mut model = emulator.model();
        model.register_app_named(31, "shiprig-cache", &public);
        model.add_installation(31, "acme");
    }
    let credentials = Credentials::App {
        app_id: 31,
        private_key_pem: Secret::new(pem),
    };
    let gh = client(&emulator, &clock, credentials, BOUND);
    gh.issue(&repo(), 1).await.unwrap();
    gh.issue(&repo(), 1).await.unwrap();
    clock.advance(Duration::from_secs(56 * 60));
    emulator.model().advance(chrono::Duration::minutes(56));
    gh.issue(&repo(), 1).await.unwrap();
    gh.issue(&repo(), 1).await.unwrap();
    let mints = emulator
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/access_tokens"))
        .count();
    assert_eq!(mints, 2, "the token was refreshed");
    assert_eq!(
        statuses(&emulator, "/repos/acme/rig/issues/1"),
        vec![200, 304, 200, 304],
        "the new token's first read is answered in full, then revalidated"
    );
}

#[tokio::test]
async fn case_48_the_cache_never_holds_more_than_its_byte_bound() {
    let names: Vec<String> = (0..12).map(|n| format!("acme/repo-{n}")).collect();
    let repos: Vec<&str> = names.iter().map(String::as_str).collect();
    let (emulator, clock) = setup(&repos).await;
    let bound = 16 * 1024;
    let gh = client(&emulator, &clock, token(), bound);
    for _ in 0..2 {
        for name in &names {
            let listing = gh
                .open_issues_with_labels(&name.parse().unwrap(), &["approved"])
                .await;
            assert_eq!(
                listing.items.len(),
                3,
                "answers stay right when entries are evicted"
            );
            let (bytes, _) = gh.response_cache_usage();
            assert!(bytes <= bound, "{bytes} bytes held over a bound of {bound}");
        }
    }
    let (bytes, entries) = gh.response_cache_usage();
    assert!(
        entries > 0 && entries < names.len(),
        "{entries} entries, {bytes} bytes"
    );
}
