use super::*;
use crate::config::Labels;
use crate::github::{Issue, Milestone};
use crate::plan_file::PlanFile;
use crate::plan_file::marker;

const PLAN: &str = "milestone: M
approve: true
issues:
  - {key: a, title: A, labels: [backend], priority: critical}
  - {key: b, title: B, blocked_by: [a]}
";

fn plan() -> PlanFile {
    PlanFile::from_yaml("PLAN.yml", PLAN).unwrap()
}

fn milestone() -> Milestone {
    serde_json::from_value(serde_json::json!({
        "id": 50, "number": 1, "title": "M", "state": "open", "description": "",
        "open_issues": 2, "closed_issues": 0
    }))
    .unwrap()
}

fn issue(number: u64, key: &str, title: &str, labels: &[&str]) -> Issue {
    let labels: Vec<serde_json::Value> = labels
        .iter()
        .map(|l| serde_json::json!({ "name": l }))
        .collect();
    serde_json::from_value(serde_json::json!({
        "id": 100 + number, "number": number, "title": title, "state": "open",
        "body": marker::issue_body("", key), "labels": labels,
        "milestone": { "number": 1, "title": "M" },
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    }))
    .unwrap()
}

fn applied() -> Existing {
    Existing {
        milestone: Some(milestone()),
        issues: vec![
            issue(1, "a", "A", &["backend", "critical", "approved"]),
            issue(2, "b", "B", &["approved"]),
        ],
        blockers: [(2, [101].into())].into(),
    }
}

#[test]
fn an_empty_repository_gets_everything_in_a_safe_order() {
    let changes = diff(&plan(), &Existing::default(), &Labels::default());
    let kinds: Vec<String> = changes
        .iter()
        .map(|c| {
            serde_json::to_value(c).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "create_milestone",
            "create_issue",
            "create_issue",
            "add_blocked_by",
            "add_labels",
            "add_labels"
        ]
    );
    let PlanFileChange::CreateIssue { labels, .. } = &changes[1] else {
        panic!()
    };
    assert_eq!(
        labels,
        &["backend", "critical"],
        "approved waits for the dependencies"
    );
}

#[test]
fn the_applied_state_needs_no_change() {
    assert_eq!(diff(&plan(), &applied(), &Labels::default()), []);
}

#[test]
fn human_labels_and_extra_blockers_are_left_alone() {
    let mut existing = applied();
    existing.issues[0].labels.push("needs-design".into());
    existing.blockers.insert(2, [101, 999].into());
    assert_eq!(diff(&plan(), &existing, &Labels::default()), []);
}

#[test]
fn a_missing_dependency_or_label_is_all_that_is_added() {
    let mut existing = applied();
    existing.blockers.clear();
    existing.issues[0].labels.retain(|l| l != "backend");
    let changes = diff(&plan(), &existing, &Labels::default());
    assert_eq!(
        changes,
        [
            PlanFileChange::AddLabels {
                key: "a".into(),
                labels: vec!["backend".into()]
            },
            PlanFileChange::AddBlockedBy {
                key: "b".into(),
                blocker: "a".into()
            },
        ]
    );
}

#[test]
fn closed_issues_are_not_approved_again() {
    let mut existing = applied();
    existing.issues[1].labels.clear();
    existing.issues[1].state = "closed".into();
    assert_eq!(diff(&plan(), &existing, &Labels::default()), []);
}

#[test]
fn a_taken_over_issue_keeps_its_story_marker() {
    let text = "milestone: M\nissues:\n  - {key: a, title: A, issue: 7, body: New}\n";
    let plan = PlanFile::from_yaml("PLAN.yml", text).unwrap();
    let mut story = issue(7, "story-x", "Old", &[]);
    story.milestone = None;
    let existing = Existing {
        milestone: Some(milestone()),
        issues: vec![story],
        ..Existing::default()
    };
    let changes = diff(&plan, &existing, &Labels::default());
    let [
        PlanFileChange::UpdateIssue {
            title,
            body,
            milestone,
            ..
        },
    ] = changes.as_slice()
    else {
        panic!("{changes:?}")
    };
    assert_eq!((title.as_deref(), *milestone), (Some("A"), true));
    assert_eq!(
        marker::plan_keys(body.as_deref().unwrap()),
        ["a", "story-x"]
    );
}
