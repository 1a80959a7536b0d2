//! The production client stack (octocrab over reqwest) against the emulator: typed models
//! deserialize, pages follow the Link header, errors carry GitHub's message, App auth works.

mod emulator_support;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use emulator_support::{REPO, TOKEN, seeded};
use octocrab::Octocrab;
use octocrab::models::{AppId, InstallationId, IssueId};

fn client(url: &str, token: &str) -> Octocrab {
    Octocrab::builder()
        .base_uri(url)
        .unwrap()
        .personal_token(token.to_string())
        .build_with_reqwest(reqwest::Client::new())
        .unwrap()
}

#[tokio::test]
async fn octocrab_reads_pages_models_and_errors() {
    let emu = seeded().await;
    let (blocked, blocker) = {
        let mut m = emu.model();
        for i in 0..150 {
            m.create_issue(REPO, &format!("issue {i}"), "", &["approved"], "mia");
        }
        m.set_file(REPO, "feature", "src/auth/session.rs", "fn a() {}\n");
        m.create_pull(REPO, "feature", "main", "Auth", "", "rig-agent-1");
        (1, 2)
    };
    let gh = client(&emu.url(), TOKEN);
    let first = gh
        .issues("acme", "widgets")
        .list()
        .per_page(100)
        .send()
        .await
        .unwrap();
    assert!(first.next.is_some());
    let all = gh.all_pages(first).await.unwrap();
    assert_eq!(all.len(), 151, "150 issues and the pull request");

    let id = emu.model().issue(REPO, blocker).unwrap().id;
    let issues = gh.issues("acme", "widgets");
    issues
        .add_dependency_blocked_by(blocked, IssueId(id))
        .await
        .unwrap();
    let deps = issues
        .list_dependencies_blocked_by(blocked)
        .send()
        .await
        .unwrap();
    assert_eq!(deps.items[0].number, blocker);
    let labels = issues
        .add_labels(blocked, &["in-progress".to_string()])
        .await
        .unwrap();
    assert_eq!(labels.len(), 2);

    let files = gh.pulls("acme", "widgets").list_files(151).await.unwrap();
    assert_eq!(files.items[0].filename, "src/auth/session.rs");

    let err = issues.get(999).await.unwrap_err();
    match err {
        octocrab::Error::GitHub { source, .. } => {
            assert_eq!(source.status_code.as_u16(), 404);
            assert_eq!(source.message, "Not Found");
        }
        other => panic!("expected a GitHub error, got {other:?}"),
    }
}

fn pem(label: &str, der: &[u8]) -> String {
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

#[tokio::test]
async fn octocrab_app_auth_mints_an_installation_token() {
    let emu = seeded().await;
    let kp = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let private = pem(
        "PRIVATE KEY",
        AsDer::<Pkcs8V1Der>::as_der(&kp).unwrap().as_ref(),
    );
    let public = pem(
        "PUBLIC KEY",
        AsDer::<PublicKeyX509Der>::as_der(kp.public_key())
            .unwrap()
            .as_ref(),
    );
    let installation = {
        let mut m = emu.model();
        m.register_app_named(9, "shiprig", &public);
        // octocrab signs with the wall clock; keep the model clock next to it.
        m.set_now(chrono::Utc::now());
        m.add_installation(9, "acme")
    };
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(private.as_bytes()).unwrap();
    let app = Octocrab::builder()
        .base_uri(emu.url())
        .unwrap()
        .app(AppId(9), key)
        .build_with_reqwest(reqwest::Client::new())
        .unwrap();
    let found = app
        .apps()
        .get_repository_installation("acme", "widgets")
        .await
        .unwrap();
    assert_eq!(found.id, InstallationId(installation));
    let bot = app.installation(found.id).unwrap();
    let issue = bot
        .issues("acme", "widgets")
        .create("From the app")
        .send()
        .await
        .unwrap();
    assert_eq!(issue.user.login, "shiprig[bot]");
    let token_requests = emu
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/access_tokens") && r.status == 201)
        .count();
    assert_eq!(token_requests, 1);
}
