//! The GraphQL shiprig sends is valid against GitHub's own schema (vendored in
//! `tests/fixtures/github/graphql-schema.graphql`), and the emulator answers it in that shape.

use apollo_compiler::{ExecutableDocument, Schema};
use serde_json::json;
use shiprig::github::{VIEWER_QUERY, blockers_query, labelings_query};

use crate::support::emulator::{Api, REPO, TOKEN, seeded};

fn schema() -> apollo_compiler::validation::Valid<Schema> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/github/graphql-schema.graphql"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    // GitHub's published schema defines one enterprise field twice; the rest is sound, so
    // take what parses and validate queries against it.
    let schema = match Schema::parse(text, path) {
        Ok(schema) => schema,
        Err(with_errors) => with_errors.partial,
    };
    apollo_compiler::validation::Valid::assume_valid(schema)
}

#[test]
fn shiprigs_queries_validate_against_githubs_schema() {
    let schema = schema();
    for query in [
        labelings_query(&[1]),
        labelings_query(&[1, 42, 5000]),
        VIEWER_QUERY.to_string(),
        blockers_query(&[1, 42]),
    ] {
        ExecutableDocument::parse_and_validate(&schema, query.as_str(), "query.graphql")
            .unwrap_or_else(|e| panic!("{query}\n{}", e.errors));
    }
    let wrong = labelings_query(&[1]).replace("createdAt", "createdOn");
    assert!(
        ExecutableDocument::parse_and_validate(&schema, wrong, "query.graphql").is_err(),
        "a field GitHub does not have is caught"
    );
}

#[tokio::test]
async fn the_emulator_answers_labelings_oldest_first_with_the_actor() {
    let emu = seeded().await;
    let n = {
        let mut m = emu.model();
        let n = m.create_issue(REPO, "A", "", &[], "mia");
        m.add_label(REPO, n, "approved", "mia");
        m.add_label(REPO, n, "critical", "mia");
        n
    };
    let (owner, name) = REPO.split_once('/').unwrap();
    let api = Api::new(&emu, Some(TOKEN));
    let body =
        json!({"query": labelings_query(&[n, 999]), "variables": {"owner": owner, "name": name}});
    let answer: serde_json::Value = api
        .send("POST", "/graphql", Some(body))
        .await
        .json()
        .await
        .unwrap();
    let issue = &answer["data"]["repository"][format!("i{n}")];
    assert_eq!(issue["number"], n);
    let events = issue["timelineItems"]["nodes"].as_array().unwrap();
    let labels: Vec<&str> = events
        .iter()
        .map(|e| e["label"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(labels, vec!["approved", "critical"]);
    assert_eq!(events[0]["actor"]["login"], "mia");
    assert!(
        answer["data"]["repository"]["i999"].is_null(),
        "a missing issue is null"
    );
    let unknown = json!({"query": "query { viewer { email } }"});
    let answer: serde_json::Value = api
        .send("POST", "/graphql", Some(unknown))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("email")
    );
    assert!(answer.get("data").is_none());
}

/// The route as the conformance run calls it: a query validated against GitHub's schema.
pub async fn run(c: &mut crate::support::spec::Checker, api: &Api) {
    let (owner, name) = REPO.split_once('/').unwrap();
    let query = labelings_query(&[1]);
    let body = json!({"query": query, "variables": {"owner": owner, "name": name}});
    let answer = c.call(api, "POST", "/graphql", Some(body), 200).await;
    assert!(answer["data"]["repository"].is_object(), "{answer}");
}

#[tokio::test]
async fn the_emulator_answers_blocker_lists_across_repositories() {
    let emu = seeded().await;
    let (blocked, local, other) = {
        let mut m = emu.model();
        let blocked = m.create_issue(REPO, "Blocked", "", &[], "mia");
        let local = m.create_issue(REPO, "Local blocker", "", &[], "mia");
        let other = m.create_issue("acme/infra", "Infra blocker", "", &[], "mia");
        m.add_blocked_by(REPO, blocked, REPO, local);
        m.add_blocked_by(REPO, blocked, "acme/infra", other);
        m.close_issue(REPO, local, "mia");
        (blocked, local, other)
    };
    let (owner, name) = REPO.split_once('/').unwrap();
    let api = Api::new(&emu, Some(TOKEN));
    let body = json!({"query": blockers_query(&[blocked, local]), "variables": {"owner": owner, "name": name}});
    let answer: serde_json::Value = api
        .send("POST", "/graphql", Some(body))
        .await
        .json()
        .await
        .unwrap();
    let list = &answer["data"]["repository"][format!("i{blocked}")]["blockedBy"];
    assert_eq!(list["totalCount"], 2, "{answer}");
    let nodes = list["nodes"].as_array().unwrap();
    assert_eq!(nodes[0]["number"], local);
    assert_eq!(nodes[0]["state"], "CLOSED");
    assert_eq!(nodes[0]["repository"]["nameWithOwner"], REPO);
    assert_eq!(nodes[1]["number"], other);
    assert_eq!(nodes[1]["state"], "OPEN");
    assert_eq!(nodes[1]["repository"]["nameWithOwner"], "acme/infra");
    assert_eq!(
        nodes[1]["url"],
        format!("https://github.com/acme/infra/issues/{other}")
    );
    let none = &answer["data"]["repository"][format!("i{local}")]["blockedBy"];
    assert_eq!(none["totalCount"], 0);
}
