//! The auto-merge decision, without HTTP: it merges on the gate's own verdict for this pull
//! request, head and base, never on a check named like the gate.

use serde_json::{Value, json};

use super::*;
use crate::config::Config;
use crate::gate::approvals::GateReview;
use crate::gate::{GateVerdict, Outcome, Sibling};
use crate::github::{CheckRun, CommitStatus, PullRequest};

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
        "base": {"ref": "main", "sha": "base0001"}, "user": {"login": "rig-agent-1", "type": "User"},
        "labels": labels,
    }))
    .unwrap()
}

fn review(login: &str, state: &str) -> GateReview {
    GateReview {
        login: login.into(),
        bot: false,
        state: state.into(),
        commit_id: "head0001".into(),
        body: String::new(),
    }
}

fn check(name: &str, status: &str, conclusion: Option<&str>) -> CheckRun {
    CheckRun {
        id: 1,
        html_url: None,
        name: name.into(),
        status: status.into(),
        conclusion: conclusion.map(Into::into),
    }
}

/// The gate's pass for #7 at head0001 against main at base0001, approved by mia.
fn passed() -> GateVerdict {
    let mut verdict = GateVerdict::cannot_judge("head0001", "");
    verdict.outcome = Outcome::Pass;
    verdict.reason = None;
    verdict.pull = 7;
    verdict.base_ref = "main".into();
    verdict.base_sha = "base0001".into();
    verdict.approved_by = vec!["mia".into()];
    verdict
}

fn ready() -> MergeFacts {
    MergeFacts {
        pull: pull(&[]),
        verdict: passed(),
        gate_check: GATE_CHECK.into(),
        checks: vec![check("ci", "completed", Some("success"))],
        statuses: vec![],
        required: Some(vec!["ci".into(), GATE_CHECK.into()]),
        reviews: vec![review("mia", "APPROVED")],
        base_now: Some("base0001".into()),
    }
}

#[test]
fn the_gates_own_pass_and_an_approval_it_counts_merge() {
    let d = decide(&ready(), &config());
    assert!(d.merge, "{:?}", d.reasons);
    assert_eq!(d.sha, "head0001");
    assert_eq!(d.base_sha, "base0001");
    assert_eq!(d.approved_by, ["mia"]);
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
    let mut f = ready();
    f.verdict.approved_by.clear();
    let reasons = decide(&f, &c).reasons;
    assert!(
        reasons.len() == 1 && reasons[0].starts_with("no approving review of head000"),
        "{reasons:?}"
    );
    let mut f = ready();
    f.reviews.push(review("rex", "CHANGES_REQUESTED"));
    assert_eq!(decide(&f, &c).reasons, ["rex requested changes"]);
}

#[test]
fn a_check_or_status_named_like_the_gate_changes_nothing() {
    let c = config();
    let mut f = ready();
    f.verdict.outcome = Outcome::NeedsHuman;
    f.checks
        .push(check(GATE_CHECK, "completed", Some("success")));
    f.statuses.push(CommitStatus {
        context: GATE_CHECK.into(),
        state: "success".into(),
        description: None,
    });
    let reasons = decide(&f, &c).reasons;
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].starts_with("the human gate: "), "{reasons:?}");
    let mut f = ready();
    f.checks
        .push(check(GATE_CHECK, "completed", Some("failure")));
    assert!(decide(&f, &c).merge, "the gate is what this run computed");
}

#[test]
fn a_verdict_for_another_pull_head_or_base_never_merges() {
    let c = config();
    let mut f = ready();
    f.verdict.pull = 8;
    assert!(!decide(&f, &c).merge);
    let mut f = ready();
    f.verdict.head_sha = "head0002".into();
    assert!(!decide(&f, &c).merge);
    let mut f = ready();
    f.base_now = Some("base0002".into());
    let reasons = decide(&f, &c).reasons;
    assert!(
        reasons.len() == 1 && reasons[0].contains("moved from base000 to base000"),
        "{reasons:?}"
    );
    let mut f = ready();
    f.verdict.siblings.push(Sibling {
        pull: 9,
        base_ref: "agent-owned".into(),
        passed: false,
        title: "A human must approve: auth".into(),
    });
    assert!(!decide(&f, &c).merge, "a failing sibling holds the SHA");
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
