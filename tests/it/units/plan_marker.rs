//! `shiprig::plan_file::marker`, through its public API.

use shiprig::plan_file::marker::*;

#[test]
fn plan_keys_round_trip_through_the_body() {
    let body = issue_body("Build it.\n", "api");
    assert_eq!(body, "Build it.\n\n<!-- shiprig:plan key=api -->");
    assert_eq!(plan_keys(&body), ["api"]);
    assert!(plan_keys("no marker").is_empty());
    let both = keep_markers(&issue_body("New text", "send"), &body);
    assert_eq!(plan_keys(&both), ["send", "api"]);
    assert_eq!(issue_body("", "x"), "<!-- shiprig:plan key=x -->");
}

#[test]
fn features_round_trip_and_odd_ids_are_refused() {
    let d = format!("Feature text\n{}", feature("clickup", "86abc"));
    assert_eq!(feature_of(&d), Some(("clickup".into(), "86abc".into())));
    assert_eq!(feature_of("<!-- shiprig:feature clickup:a b -->"), None);
    assert!(!is_id("a-->b"));
}

#[test]
fn a_new_description_keeps_the_feature_link() {
    let current = format!("old\n{}", feature("asana", "12"));
    let kept = keep_markers("new text", &current);
    assert_eq!(kept, format!("new text\n{}", feature("asana", "12")));
    assert_eq!(keep_markers(&kept, &current), kept);
}
