//! The auto-merge decision, without HTTP.

use serde_json::{Value, json};

use shiprig::config::Config;
use shiprig::github::{CheckRun, CommitStatus, PullRequest, Review};
use shiprig::merge::*;

fn config() -> Config {
    Config::from_yaml(
        "t.yml",
        "version: 1\nconductor: {agents: [{name: agent-1, login: rig-agent-1}, {name: reviewer, login: rig-reviewer}]}\n",
    )
    .unwrap()
}

fn pull(labels: &[&str]) -> PullRequest {
    let labels: Vec<Value> = labels.iter().map(|l| json!({"name": l})).collect();
    serde_json::from_value(json!({
        "id": 70, "number": 7, "title": "feat: x", "body": "", "state": "open", "draft": false,
        "merged_at": null, "head": {"ref": "agent/1", "sha": "head0001"},
        "base": {"ref": "main", "sha": "b"}, "user": {"login": "rig-agent-1", "type": "User"},
        "labels": labels,
    }))
    .unwrap()
}

fn review(login: &str, kind: &str, state: &str, sha: &str) -> Review {
    serde_json::from_value(
        json!({"user": {"login": login, "type": kind}, "state": state, "commit_id": sha}),
    )
    .unwrap()
}

fn check(name: &str, status: &str, conclusion: Option<&str>) -> CheckRun {
    CheckRun {
        id: 1,
        html_url: None,
        name: name.into(),
        status: status.into(),
        conclusion: conclusion.map(str::to_string),
    }
}

fn ready() -> Facts {
    Facts {
        pull: pull(&[]),
        checks: vec![
            check("ci", "completed", Some("success")),
            check(GATE_CHECK, "completed", Some("success")),
        ],
        statuses: vec![],
        required: Some(vec!["ci".into()]),
        reviews: vec![review("rig-reviewer", "User", "APPROVED", "head0001")],
    }
}

#[test]
fn green_gate_and_an_agent_review_merge_an_ungated_pull() {
    let d = decide(&ready(), &config());
    assert!(d.merge, "{:?}", d.reasons);
    assert_eq!(d.sha, "head0001");
    assert_eq!(d.approved_by, ["rig-reviewer"]);
}

#[test]
fn each_missing_condition_is_a_reason() {
    let c = config();
    let mut f = ready();
    f.checks[0] = check("ci", "in_progress", None);
    assert_eq!(decide(&f, &c).reasons, ["check `ci` is in_progress"]);
    f.checks[0] = check("ci", "completed", Some("failure"));
    assert_eq!(decide(&f, &c).reasons, ["check `ci` concluded failure"]);
    let mut f = ready();
    f.checks.remove(1);
    assert_eq!(
        decide(&f, &c).reasons,
        [format!("the human gate (`{GATE_CHECK}`) has not reported")]
    );
    let mut f = ready();
    f.required = Some(vec!["ci".into(), "lint".into()]);
    assert_eq!(
        decide(&f, &c).reasons,
        ["required check `lint` has not reported"]
    );
    let mut f = ready();
    f.statuses.push(CommitStatus {
        context: "deploy-preview".into(),
        state: "pending".into(),
        description: None,
    });
    assert_eq!(
        decide(&f, &c).reasons,
        ["status `deploy-preview` is pending"]
    );
}

#[test]
fn the_author_a_stale_approval_and_a_later_change_request_do_not_count() {
    let c = config();
    let mut f = ready();
    f.reviews = vec![review("rig-agent-1", "User", "APPROVED", "head0001")];
    assert!(!decide(&f, &c).merge, "the author approving");
    f.reviews = vec![review("mia", "User", "APPROVED", "old0000")];
    assert!(!decide(&f, &c).merge, "an approval of an older head");
    f.reviews = vec![
        review("mia", "User", "APPROVED", "head0001"),
        review("mia", "User", "COMMENTED", "head0001"),
    ];
    assert!(
        decide(&f, &c).merge,
        "a later comment does not cancel an approval"
    );
    f.reviews
        .push(review("rex", "User", "CHANGES_REQUESTED", "head0001"));
    assert_eq!(decide(&f, &c).reasons, ["rex requested changes"]);
}

#[test]
fn where_a_human_gate_applies_agents_and_bots_do_not_count() {
    let c = config();
    let mut f = ready();
    f.pull = pull(&["human-gate", "human-gate:auth"]);
    f.reviews = vec![
        review("rig-reviewer", "User", "APPROVED", "head0001"),
        review("ci-bot[bot]", "Bot", "APPROVED", "head0001"),
    ];
    let d = decide(&f, &c);
    assert!(!d.merge);
    assert!(
        d.reasons[0].contains("a human gate applies"),
        "{:?}",
        d.reasons
    );
    f.reviews
        .push(review("mia", "User", "APPROVED", "head0001"));
    assert!(decide(&f, &c).merge);
}

#[test]
fn release_pulls_and_other_bases_never_merge_themselves() {
    let c = config();
    let mut f = ready();
    f.pull.head.name = RELEASE_BRANCH.into();
    f.pull.base.name = "production".into();
    let reasons = decide(&f, &c).reasons;
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    let mut f = ready();
    f.pull.draft = true;
    assert_eq!(decide(&f, &c).reasons, ["the pull request is a draft"]);
}
