//! Issue 25: production deploys only a release pull request a person merged.

use serde_json::{Value, json};

use shiprig::config::Config;
use shiprig::github::PullRequest;
use shiprig::release::publish::merged_by_person;

fn release(merged_by: Value) -> PullRequest {
    serde_json::from_value(json!({
        "id": 30, "number": 3, "title": "chore(release): v0.1.0", "state": "closed",
        "merged_at": "2026-01-02T00:00:00Z", "merge_commit_sha": "m",
        "head": {"ref": "shiprig/release", "sha": "h"}, "base": {"ref": "production", "sha": "b"},
        "user": {"login": "app-77[bot]", "type": "Bot"}, "labels": [],
        "merged_by": merged_by,
    }))
    .unwrap()
}

#[test]
fn only_a_person_s_merge_of_the_release_deploys() {
    let config = Config::from_yaml(
        "t.yml",
        "version: 1\nconductor: {agents: [{name: agent-1, login: rig-agent-1}]}\n",
    )
    .unwrap();
    assert_eq!(
        merged_by_person(&release(json!({"login": "mia", "type": "User"})), &config),
        Ok(())
    );
    let refused = |by: Value| merged_by_person(&release(by), &config).unwrap_err();
    assert!(refused(json!(null)).contains("no one recorded"));
    assert!(refused(json!({"login": "app-77[bot]", "type": "Bot"})).contains("a bot"));
    assert!(
        refused(json!({"login": "Rig-Agent-1", "type": "User"})).contains("an agent's account")
    );
}
