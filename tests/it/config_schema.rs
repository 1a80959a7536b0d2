//! The JSON Schema accepts what the loader accepts and refuses unknown keys, like the loader.

use std::path::Path;

use serde_json::{Value, json};
use shiprig::config::json_schema;

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap()
}

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&json_schema()).expect("the schema is itself valid")
}

fn errors(instance: &Value) -> Vec<String> {
    validator()
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn schema_validates_the_reference_config() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/reference.yml");
    let reference = yaml(&std::fs::read_to_string(path).unwrap());
    assert_eq!(errors(&reference), Vec::<String>::new());
}

#[test]
fn schema_accepts_an_empty_config() {
    assert!(validator().is_valid(&json!({})));
    assert!(validator().is_valid(&json!({"version": 1})));
}

#[test]
fn schema_rejects_unknown_keys_at_every_depth() {
    assert!(!validator().is_valid(&json!({"aprovers": {}})));
    assert!(!validator().is_valid(&json!({"product": {"clickup": {"list": "1", "token": "x"}}})));
    assert!(!validator().is_valid(&json!({"gate": {"rules": {"auth": {"path": ["src/**"]}}}})));
    assert!(
        !validator().is_valid(&json!({"deploy": {"s": {"command": ["d"], "smoke": [
        {"name": "h", "url": "https://x", "expect": 200}]}}}))
    );
}

#[test]
fn schema_rejects_bad_values_it_can_describe() {
    assert!(!validator().is_valid(&json!({"version": 2})));
    assert!(!validator().is_valid(&json!({"approvers": {"min_permission": "owner"}})));
    assert!(!validator().is_valid(&json!({"conductor": {"agents": [{"name": "agent one"}]}})));
    assert!(!validator().is_valid(&json!({"conductor": {"dispatch": {
        "github_actions": {"workflow": "a.yml"}, "command": {"argv": ["x"]}}}})));
    assert!(!validator().is_valid(&json!({"deploy": {"s": {"command": []}}})));
    assert!(!validator().is_valid(&json!({"conductor": {"stale_after": 6}})));
    assert!(!validator().is_valid(&json!({"conductor": {"agents": [
        {"name": "a", "login": "a", "token_secret": "GH_PAT"}]}})));
    assert!(!validator().is_valid(&json!({"conductor": {"max_review_rounds": -1}})));
    assert!(
        validator().is_valid(&json!({"conductor": {"max_review_rounds": 2,
        "test_command": "cargo test", "agents": [
        {"name": "a", "login": "a", "token_secret": "SHIPRIG_AGENT_TOKEN_1"}]}}))
    );
    assert!(!validator().is_valid(&json!({"conductor": {"agents": [
        {"name": "a", "login": "a", "token_secret": "SHIPRIG_AGENT_TOKEN_A"}]}})));
}

#[test]
fn schema_describes_value_types_as_strings() {
    let schema = json_schema();
    let defs = &schema["$defs"];
    for name in ["Duration", "Glob", "Pattern"] {
        assert_eq!(defs[name]["type"], "string", "{name}");
        assert!(defs[name]["description"].is_string(), "{name}");
    }
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["$id"], shiprig::config::SCHEMA_ID);
}

/// Every object with named properties closes itself to other keys.
#[test]
fn every_object_in_the_schema_is_closed() {
    fn walk(node: &Value, path: &str, open: &mut Vec<String>) {
        match node {
            Value::Object(map) => {
                if map.contains_key("properties")
                    && map.get("additionalProperties") != Some(&json!(false))
                {
                    open.push(path.to_owned());
                }
                for (key, child) in map {
                    walk(child, &format!("{path}/{key}"), open);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{path}/{i}"), open);
                }
            }
            _ => {}
        }
    }
    let mut open = Vec::new();
    walk(&json_schema(), "", &mut open);
    assert_eq!(open, Vec::<String>::new());
}
