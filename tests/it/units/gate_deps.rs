//! `shiprig::gate::deps`, through its public API.

use shiprig::gate::deps::*;

#[test]
fn only_known_manifests_are_read() {
    for path in [
        "Cargo.toml",
        "crates/x/Cargo.toml",
        "web/package.json",
        "requirements-dev.txt",
        "services/api/requirements.txt",
        "requirements/base.txt",
        "backend/requirements/dev.in",
        "go.mod",
        "Gemfile.lock",
    ] {
        assert!(is_manifest(path), "{path}");
    }
    assert!(!is_manifest("src/Cargo.toml.rs"));
    assert!(!is_manifest("notes.txt"));
}

#[test]
fn an_unparseable_head_is_an_error_and_a_missing_head_is_nothing() {
    assert!(compare("Cargo.toml", None, Some("[dependencies")).is_err());
    assert_eq!(compare("Cargo.toml", Some("x = 1"), None), Ok(vec![]));
}
