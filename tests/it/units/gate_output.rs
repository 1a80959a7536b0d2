//! `shiprig::gate::output`, through its public API.

use shiprig::config::Config;
use shiprig::gate::output::*;

#[test]
fn only_owned_labels_are_removed() {
    let config = Config::default();
    let current = vec![
        "human-gate:auth".to_string(),
        "bug".to_string(),
        "human-gatekeeper".to_string(),
    ];
    let desired = vec!["human-gate".to_string(), "human-gate:payments".to_string()];
    let (add, remove) = label_changes(&current, &desired, &config);
    assert_eq!(add, desired);
    assert_eq!(remove, ["human-gate:auth"]);
}
