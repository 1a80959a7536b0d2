use super::*;
use crate::config::ProductPriorities;
use crate::github::Milestone;
use crate::plan_file::Priority;
use crate::plan_file::marker;
use crate::product::Feature;
use crate::product::feature::Story;

fn feature() -> Feature {
    Feature {
        id: "86abc".into(),
        name: "Chat\nwidget".into(),
        description: "Let users chat.".into(),
        url: "https://app.clickup.com/t/86abc".into(),
        priority: None,
        stories: vec![
            Story {
                id: "A1".into(),
                name: "Send a message".into(),
            },
            Story {
                id: "a1".into(),
                name: "Read replies".into(),
            },
            Story {
                id: "bad id".into(),
                name: "Skipped".into(),
            },
        ],
    }
}

fn milestone(title: &str, description: &str) -> Milestone {
    serde_json::from_value(serde_json::json!({
        "id": 1, "number": 7, "title": title, "state": "open", "description": description,
        "open_issues": 0, "closed_issues": 0
    }))
    .unwrap()
}

#[test]
fn a_new_feature_gets_a_linked_milestone_and_one_issue_per_story() {
    let plan = plan_file_for("clickup", &feature(), &[], &ProductPriorities::default());
    assert_eq!(plan.milestone, "Chat widget");
    let description = plan.description.unwrap();
    assert_eq!(
        marker::feature_of(&description),
        Some(("clickup".into(), "86abc".into()))
    );
    let keys: Vec<&str> = plan.issues.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["story-a1", "story-a1x"]);
    assert!(!plan.approve);
}

#[test]
fn a_linked_milestone_is_found_by_its_marker_even_when_renamed() {
    let m = milestone("Renamed", &marker::feature("clickup", "86abc"));
    let plan = plan_file_for("clickup", &feature(), &[m], &ProductPriorities::default());
    assert_eq!(plan.milestone, "Renamed");
    assert_eq!(plan.description, None);
}

#[test]
fn a_same_named_milestone_is_adopted_or_avoided() {
    let plain = milestone("Chat widget", "Written by hand");
    let plan = plan_file_for(
        "clickup",
        &feature(),
        &[plain],
        &ProductPriorities::default(),
    );
    assert_eq!(plan.milestone, "Chat widget");
    assert!(
        plan.description
            .unwrap()
            .starts_with("Written by hand\n\n<!-- shiprig:feature")
    );
    let other = milestone("Chat widget", &marker::feature("clickup", "zzz"));
    let plan = plan_file_for(
        "clickup",
        &feature(),
        &[other],
        &ProductPriorities::default(),
    );
    assert_eq!(plan.milestone, "Chat widget (clickup 86abc)");
}

#[test]
fn the_tools_priority_ranks_every_starting_issue() {
    let defaults = ProductPriorities::default();
    assert_eq!(rank(Some("urgent"), &defaults), Priority::Critical);
    assert_eq!(rank(Some("High"), &defaults), Priority::High);
    assert_eq!(rank(Some("normal"), &defaults), Priority::Normal);
    assert_eq!(rank(None, &defaults), Priority::Normal);
    let own = ProductPriorities {
        critical: vec!["P0".into()],
        high_priority: vec!["P1".into(), "P2".into()],
    };
    assert_eq!(rank(Some("p0"), &own), Priority::Critical);
    assert_eq!(rank(Some(" P2 "), &own), Priority::High);
    assert_eq!(rank(Some("urgent"), &own), Priority::Normal);

    let mut urgent = feature();
    urgent.priority = Some("urgent".into());
    let plan = plan_file_for("clickup", &urgent, &[], &defaults);
    assert!(plan.issues.iter().all(|i| i.priority == Priority::Critical));
}
