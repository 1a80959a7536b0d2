//! Conformance: every route the emulator serves answers in GitHub's shapes.
//!
//! Seeds a small world, sends real HTTP requests to each route, and validates each response
//! body against the matching operation and status in `tests/fixtures/github/openapi-subset.json`
//! (cut from GitHub's full description by `scripts/vendor-github.py`)
//! (OpenAPI 3.0, rewritten to JSON Schema). A served route the subset does not describe fails
//! the test unless `shiprig::emulator::UNDOCUMENTED_ROUTES` lists it with its reason.

mod graphql;
mod issues;
mod pulls;
mod repos;

use std::collections::BTreeSet;

use serde_json::json;
use shiprig::emulator::{Emulator, Permission, UNDOCUMENTED_ROUTES, UserKind, served_routes};

use crate::support::emulator::{Api, REPO, TOKEN, rsa_pair, seeded};
use crate::support::spec::{Checker, OpenApiSpec};

fn seed(emu: &Emulator) {
    let mut m = emu.model();
    m.add_user("rita", UserKind::User);
    m.set_permission(REPO, "rita", Permission::Write);
    m.add_token("ghp_rita", "rita");
    m.add_user("ada", UserKind::User);
    m.set_permission(REPO, "ada", Permission::Admin);
    m.add_token("ghp_ada", "ada");
    m.require_checks_by_ruleset(REPO, "main", &["ci/build"]);
    let agent = "name: agent\nrun-name: \"agent ${{ inputs.agent }} on #${{ inputs.issue }}\"\non: workflow_dispatch\n";
    m.set_file(REPO, "main", ".github/workflows/shiprig-agent.yml", agent);
    m.set_file(REPO, "main", "CODEOWNERS", "* @mia @ghost\n");
    m.set_file(REPO, "main", "src/auth/session.rs", "fn login() {}\n");
    m.set_file(
        REPO,
        "feature",
        "src/auth/session.rs",
        "fn login() { check(); }\n",
    );
    m.set_symlink(REPO, "feature", "src/link", "auth/session.rs");
    m.set_file(REPO, "other", "docs/x.md", "x\n");
}

/// Registers App `app_id` with a fresh RSA key and returns a JWT for it.
fn app_jwt(emu: &Emulator, app_id: u64) -> String {
    let (private, public) = rsa_pair();
    emu.model().register_app(app_id, &public);
    let now = emu.model().now().timestamp();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(private.as_bytes()).unwrap();
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    jsonwebtoken::encode(
        &header,
        &json!({"iss": app_id, "iat": now - 60, "exp": now + 540}),
        &key,
    )
    .unwrap()
}

#[tokio::test]
async fn every_route_answers_in_github_shapes() {
    let emu = seeded().await;
    seed(&emu);
    let mut c = Checker {
        spec: OpenApiSpec::load(),
        exercised: BTreeSet::new(),
        mismatches: Vec::new(),
    };
    let api = Api::new(&emu, Some(TOKEN));
    let rita = Api::new(&emu, Some("ghp_rita"));
    let ada = Api::new(&emu, Some("ghp_ada"));
    issues::run(&mut c, &api).await;
    repos::run(&mut c, &api, &ada).await;
    pulls::run(&mut c, &api, &rita).await;
    pulls::ci(&mut c, &api).await;
    let jwt = app_jwt(&emu, 77);
    pulls::app(&mut c, &emu, &jwt).await;
    pulls::errors(&mut c, &api, &emu).await;
    graphql::run(&mut c, &api).await;
    report(&c);
}

/// Checks the served routes against the subset and prints coverage.
fn report(c: &Checker) {
    assert!(c.mismatches.is_empty(), "{}", c.mismatches.join("\n"));
    let ops = c.spec.operations();
    for (m, p) in served_routes() {
        let listed = UNDOCUMENTED_ROUTES
            .iter()
            .any(|(um, up, _)| *um == m && *up == p);
        let key = (m.to_string(), p.clone());
        assert!(
            ops.contains(&key) || listed,
            "{m} {p} is served but neither in the subset nor in UNDOCUMENTED_ROUTES"
        );
        let hit = c.exercised.iter().any(|(em, ep, _)| *em == m && *ep == p);
        assert!(
            hit,
            "{m} {p} is served but the conformance test never calls it"
        );
    }
    let ok: BTreeSet<(String, String)> = c
        .exercised
        .iter()
        .filter(|(m, p, s)| *s < 300 && ops.contains(&(m.clone(), p.clone())))
        .map(|(m, p, _)| (m.clone(), p.clone()))
        .collect();
    let errors = c.exercised.iter().filter(|(_, _, s)| *s >= 400).count();
    println!(
        "conformance: {} of {} subset operations exercised with a success status; {errors} error answers validated",
        ok.len(),
        ops.len()
    );
    for (m, p) in ops.difference(&ok) {
        println!("  not exercised: {m} {p}");
    }
    assert!(ok.len() >= 60, "only {} operations exercised", ok.len());
}
