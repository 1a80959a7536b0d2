//! `shiprig::notify::critical`, through its public API.

use serde_json::json;

use serde_json::Value;
use shiprig::config::Labels;
use shiprig::notify::Event;
use shiprig::notify::critical::*;

fn labeled(added: &str, on: &[&str]) -> Value {
    let labels: Vec<Value> = on.iter().map(|n| json!({"name": n})).collect();
    json!({"action": "labeled", "label": {"name": added}, "issue": {
        "number": 9, "title": "Checkout crashes", "state": "open",
        "html_url": "https://github.com/acme/w/issues/9", "labels": labels}})
}

#[test]
fn the_label_that_makes_approved_work_critical_files_it() {
    let l = Labels::default();
    let both = ["approved", "critical"];
    let told = filed("issues", &labeled("critical", &both), &l, "acme/w").unwrap();
    assert!(matches!(told, Event::CriticalIssueFiled { issue: 9, .. }));
    assert!(filed("issues", &labeled("approved", &both), &l, "acme/w").is_some());
    assert!(
        filed(
            "issues",
            &labeled("bug", &["approved", "critical", "bug"]),
            &l,
            "acme/w"
        )
        .is_none()
    );
    assert!(filed("issues", &labeled("critical", &["critical"]), &l, "acme/w").is_none());
    let started = ["approved", "critical", "in-progress"];
    assert!(filed("issues", &labeled("critical", &started), &l, "acme/w").is_none());
    assert!(filed("schedule", &labeled("critical", &both), &l, "acme/w").is_none());
}
