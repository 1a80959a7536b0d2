//! `shiprig::gate::event`, through its public API.

use shiprig::gate::event::*;

#[test]
fn pull_request_events_pin_the_head_and_see_forks() {
    let payload = r#"{"action": "synchronize", "sender": {"login": "dev"},
        "pull_request": {"number": 7, "head": {"sha": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "repo": {"full_name": "fork/rig"}},
        "base": {"sha": "def", "repo": {"full_name": "acme/rig"}}}}"#;
    let e = GateEvent::parse("pull_request", payload).unwrap();
    assert_eq!(
        (e.number, e.head_sha.as_str(), e.fork),
        (7, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true)
    );
    assert_eq!(e.sender.as_deref(), Some("dev"));
}

#[test]
fn merge_groups_name_their_pull_request() {
    let payload = r#"{"action": "checks_requested", "merge_group": {"head_sha": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "head_ref": "refs/heads/gh-readonly-queue/main/pr-42-0123abc", "base_ref": "refs/heads/main"}}"#;
    let e = GateEvent::parse("merge_group", payload).unwrap();
    assert_eq!(
        (e.number, e.head_sha.as_str(), e.merge_group),
        (42, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", true)
    );
}

#[test]
fn an_event_without_a_usable_head_sha_is_refused() {
    for sha in ["\"\"", "null", "\"HEAD\"", "\"abc\"", "\"../../main\""] {
        let payload = format!(
            r#"{{"pull_request": {{"number": 7, "head": {{"sha": {sha}}}, "base": {{}}}}}}"#
        );
        let error = GateEvent::parse("pull_request_target", &payload).unwrap_err();
        assert!(error.contains("head.sha"), "{sha}: {error}");
    }
    let group = r#"{"merge_group": {"head_sha": "", "head_ref": "refs/heads/gh-readonly-queue/main/pr-4-x"}}"#;
    assert!(GateEvent::parse("merge_group", group).is_err());
}

#[test]
fn a_deleted_fork_is_a_fork_and_only_pull_request_refuses_it() {
    let payload = format!(
        r#"{{"pull_request": {{"number": 7, "head": {{"sha": "{}", "repo": null}},
        "base": {{"repo": {{"full_name": "acme/rig"}}}}}}}}"#,
        "c".repeat(40)
    );
    let e = GateEvent::parse("pull_request", &payload).unwrap();
    assert!(e.fork && fork_refusal(&e).is_some());
    let e = GateEvent::parse("pull_request_target", &payload).unwrap();
    assert!(e.fork && fork_refusal(&e).is_none());
}

#[test]
fn other_events_are_refused() {
    assert!(GateEvent::parse("push", "{}").unwrap_err().contains("push"));
    assert!(GateEvent::parse("pull_request", "not json").is_err());
}
