//! The gate's event reader against GitHub's real webhook payloads
//! (tests/fixtures/github/webhook-examples.json, MIT), mutated at random: a field removed,
//! replaced by null, an empty string, a number, a long string or another type, or the text cut
//! short. Whatever comes in, the reader never panics and never hands the gate an event it
//! could pass: either it refuses the payload, or the event is pinned to a real SHA and names a
//! real pull request, and a mutated head SHA is never judged.

use std::sync::LazyLock;

use proptest::prelude::*;
use serde_json::Value;
use shiprig::gate::GateEvent;

/// `(event name, payload)` for every pull_request, pull_request_review and merge_group example.
static PAYLOADS: LazyLock<Vec<(String, Value)>> = LazyLock::new(|| {
    let text = include_str!("../fixtures/github/webhook-examples.json");
    let events: Vec<Value> = serde_json::from_str(text).expect("the vendored examples");
    let mut out = Vec::new();
    for event in events {
        let name = event["name"].as_str().unwrap_or_default().to_string();
        if !["pull_request", "pull_request_review", "merge_group"].contains(&name.as_str()) {
            continue;
        }
        for example in event["examples"].as_array().into_iter().flatten() {
            out.push((name.clone(), example.clone()));
        }
    }
    assert!(out.len() >= 30, "only {} payloads", out.len());
    out
});

/// Every JSON pointer in `value` (objects and arrays, every depth).
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let key = key.replace('~', "~0").replace('/', "~1");
                let here = format!("{at}/{key}");
                out.push(here.clone());
                pointers(child, here, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let here = format!("{at}/{i}");
                out.push(here.clone());
                pointers(child, here, out);
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Remove,
    Replace(Value),
}

fn replacement() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(Value::String(String::new())),
        Just(serde_json::json!(0)),
        Just(serde_json::json!(-1)),
        Just(serde_json::json!(1.5)),
        Just(serde_json::json!(u64::MAX)),
        Just(serde_json::json!(true)),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
        "[ -~]{0,50}".prop_map(Value::String),
        Just(Value::String("a".repeat(10_000))),
        Just(Value::String("HEAD".into())),
        Just(Value::String(
            "refs/heads/gh-readonly-queue/main/pr-0-x".into()
        )),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => Just(Mutation::Remove),
        3 => replacement().prop_map(Mutation::Replace),
    ]
}

fn apply(payload: &mut Value, pointer: &str, mutation: &Mutation) {
    if let Mutation::Replace(value) = mutation {
        if let Some(slot) = payload.pointer_mut(pointer) {
            *slot = value.clone();
        }
        return;
    }
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let key = key.replace("~1", "/").replace("~0", "~");
    match payload.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(&key);
        }
        Some(Value::Array(items)) => {
            if let Ok(i) = key.parse::<usize>()
                && i < items.len()
            {
                items.remove(i);
            }
        }
        _ => {}
    }
}

fn is_sha(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What a parsed event must be, whatever the payload was.
fn check(name: &str, payload: &Value, parsed: &Result<GateEvent, String>) {
    let Ok(event) = parsed else {
        return;
    };
    assert!(is_sha(&event.head_sha), "unpinned: {event:?}");
    assert!(event.number >= 1, "no pull request: {event:?}");
    let said = match name {
        "merge_group" => payload.pointer("/merge_group/head_sha"),
        _ => payload.pointer("/pull_request/head/sha"),
    };
    let said = said.and_then(Value::as_str).unwrap_or_default();
    assert_eq!(
        event.head_sha,
        said.to_ascii_lowercase(),
        "pinned elsewhere"
    );
    if name != "merge_group" {
        let head = payload.pointer("/pull_request/head/repo/full_name");
        let base = payload.pointer("/pull_request/base/repo/full_name");
        let same = head.and_then(Value::as_str).is_some() && head == base;
        assert_eq!(event.fork, !same, "fork misread: {event:?}");
    }
}

#[test]
fn every_real_payload_is_read_and_pinned() {
    for (name, payload) in PAYLOADS.iter() {
        let parsed = GateEvent::parse(name, &payload.to_string());
        let event = parsed.as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
        check(name, payload, &parsed);
        assert!(!event.head_sha.is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mutated_payloads_never_panic_and_never_yield_an_unpinned_event(
        which in any::<prop::sample::Index>(),
        mutations in prop::collection::vec((any::<prop::sample::Index>(), mutation()), 1..4),
    ) {
        let (name, original) = which.get(&PAYLOADS);
        let mut payload = original.clone();
        for (at, mutation) in &mutations {
            let mut all = Vec::new();
            pointers(&payload, String::new(), &mut all);
            if all.is_empty() {
                break;
            }
            let pointer: &String = at.get(&all);
            apply(&mut payload, pointer, mutation);
        }
        let parsed = GateEvent::parse(name, &payload.to_string());
        check(name, &payload, &parsed);
    }

    #[test]
    fn cut_or_garbled_text_is_refused_without_a_panic(
        which in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        junk in "[\\x00-\\x7f]{0,8}",
    ) {
        let (name, payload) = which.get(&PAYLOADS);
        let text = payload.to_string();
        let mut end = cut.index(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let garbled = format!("{}{junk}", &text[..end]);
        let parsed = GateEvent::parse(name, &garbled);
        if end < text.len() && junk.is_empty() {
            prop_assert!(parsed.is_err(), "a cut payload was read");
        }
        if let Ok(value) = serde_json::from_str::<Value>(&garbled) {
            check(name, &value, &parsed);
        }
    }
}
