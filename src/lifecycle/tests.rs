//! Closing references and the lifecycle plan, without HTTP.

use serde_json::json;

use super::*;
use crate::config::Config;
use crate::github::{PullRequest, Repo};
use crate::notify::Event;

fn repo() -> Repo {
    Repo::new("acme", "widgets")
}

fn at(number: u64) -> IssueRef {
    IssueRef {
        repo: repo(),
        number,
    }
}

fn issue(number: u64, state: &str, labels: &[&str], assignees: &[&str]) -> Linked {
    let labels: Vec<_> = labels.iter().map(|l| json!({"name": l})).collect();
    let assignees: Vec<_> = assignees
        .iter()
        .map(|l| json!({"login": l, "type": "User"}))
        .collect();
    let issue = serde_json::from_value(json!({
        "id": number * 10, "number": number, "title": "t", "state": state, "labels": labels,
        "assignees": assignees, "user": null,
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    }))
    .unwrap();
    Linked {
        at: at(number),
        issue,
    }
}

fn pull(state: &str, merged: bool, base: &str) -> PullRequest {
    serde_json::from_value(json!({
        "id": 70, "number": 7, "title": "feat: x", "body": "Closes #1", "state": state,
        "merged_at": if merged { json!("2026-01-02T00:00:00Z") } else { json!(null) },
        "head": {"ref": "agent/1", "sha": "h"}, "base": {"ref": base, "sha": "b"},
        "user": {"login": "rig-agent-1", "type": "Bot"}, "labels": [],
        "html_url": "https://github.example/acme/widgets/pull/7",
    }))
    .unwrap()
}

fn config() -> Config {
    Config::from_yaml(
        "t.yml",
        "version: 1\nconductor: {agents: [{name: agent-1, login: rig-agent-1}]}\n",
    )
    .unwrap()
}

#[test]
fn closing_keywords_in_every_spelling_and_form() {
    let body = "Fixes #1, closes: #2 and RESOLVED acme/infra#3.\nSee #4. fix #1 again; \
                resolves https://github.com/acme/widgets/issues/5 closes#6 prefixes #7";
    let refs = closing_refs(body, &repo());
    let shown: Vec<String> = refs.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "acme/widgets#1",
            "acme/widgets#2",
            "acme/infra#3",
            "acme/widgets#5"
        ]
    );
}

#[test]
fn opened_moves_in_progress_to_in_review_once() {
    let c = config();
    let linked = [issue(
        1,
        "open",
        &["approved", "in-progress", "agent:agent-1"],
        &[],
    )];
    let effects = plan(&repo(), &pull("open", false, "main"), &linked, &c, "main");
    assert_eq!(
        effects,
        vec![
            LifecycleEffect::AddLabel {
                issue: at(1),
                label: "in-review".into()
            },
            LifecycleEffect::RemoveLabel {
                issue: at(1),
                label: "in-progress".into()
            },
            LifecycleEffect::Tell {
                event: Event::PullRequestOpened {
                    repo: "acme/widgets".into(),
                    number: 7,
                    title: "feat: x".into(),
                    url: "https://github.example/acme/widgets/pull/7".into(),
                    issue: Some(1),
                    agent: Some("agent-1".into()),
                }
            },
        ]
    );
    let moved = [issue(
        1,
        "open",
        &["approved", "in-review", "agent:agent-1"],
        &[],
    )];
    assert!(plan(&repo(), &pull("open", false, "main"), &moved, &c, "main").is_empty());
}

#[test]
fn merged_into_main_closes_what_github_left_open_and_keeps_in_review() {
    let c = config();
    let linked = [
        issue(1, "open", &["in-review"], &[]),
        issue(2, "closed", &["in-review"], &[]),
    ];
    let effects = plan(&repo(), &pull("closed", true, "main"), &linked, &c, "main");
    assert_eq!(effects, vec![LifecycleEffect::Close { issue: at(1) }]);
    assert!(
        plan(
            &repo(),
            &pull("closed", true, "feature"),
            &linked,
            &c,
            "main"
        )
        .is_empty(),
        "closing keywords only work on the default branch"
    );
}

#[test]
fn closed_unmerged_returns_the_issue_and_frees_the_agent() {
    let c = config();
    let linked = [issue(
        1,
        "open",
        &["approved", "in-review", "agent:agent-1", "needs-design"],
        &["rig-agent-1", "mia"],
    )];
    let effects = plan(&repo(), &pull("closed", false, "main"), &linked, &c, "main");
    assert_eq!(effects.len(), 4, "{effects:?}");
    assert!(effects.contains(&LifecycleEffect::RemoveLabel {
        issue: at(1),
        label: "in-review".into()
    }));
    assert!(effects.contains(&LifecycleEffect::RemoveLabel {
        issue: at(1),
        label: "agent:agent-1".into()
    }));
    assert!(effects.contains(&LifecycleEffect::Unassign {
        issue: at(1),
        logins: vec!["rig-agent-1".into()]
    }));
    assert!(matches!(
        effects[3],
        LifecycleEffect::Tell {
            event: Event::IssueReturned {
                issue: 1,
                pull: 7,
                ..
            }
        }
    ));
    let returned = [issue(1, "open", &["approved"], &[])];
    assert!(
        plan(
            &repo(),
            &pull("closed", false, "main"),
            &returned,
            &c,
            "main"
        )
        .is_empty()
    );
}

/// A pull request an agent left when its issue was handed on to another agent: closing it
/// leaves the new agent's claim alone; the new agent's own pull request still returns it.
#[test]
fn closing_a_pull_request_left_behind_by_a_handoff_keeps_the_new_agents_claim() {
    let c = config();
    let held = [issue(
        1,
        "open",
        &["approved", "in-progress", "agent:agent-2"],
        &[],
    )];
    let mut left = pull("closed", false, "main");
    left.labels = vec!["agent:agent-1".into()];
    assert_eq!(plan(&repo(), &left, &held, &c, "main"), vec![]);
    let mut own = pull("closed", false, "main");
    own.labels = vec!["agent:agent-2".into()];
    assert!(!plan(&repo(), &own, &held, &c, "main").is_empty());
}
