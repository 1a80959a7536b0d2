//! `shiprig::gate::rules`, through its public API.

use shiprig::config::Config;
use shiprig::gate::rules::*;

fn rules(yaml: &str) -> Rules {
    Rules::compile(&Config::from_yaml("t.yml", yaml).unwrap().gate).unwrap()
}

#[test]
fn paths_map_to_their_categories_and_fixed_paths_are_always_gated() {
    let r = rules("gate: {rules: {auth: {paths: ['src/auth/**', '**/session*']}}}");
    let names = |p: &str| -> Vec<String> {
        r.path_categories(p)
            .into_iter()
            .map(|i| r.categories[i].name.clone())
            .collect()
    };
    assert_eq!(names("src/auth/login.rs"), ["auth"]);
    assert_eq!(names("lib/session_store.rs"), ["auth"]);
    assert!(names("src/lib.rs").is_empty());
    for fixed in [
        ".github/workflows/ci.yml",
        ".github/shiprig.yml",
        "CODEOWNERS",
        ".github/CODEOWNERS",
        "action.yml",
        "tools/setup/action.yaml",
    ] {
        assert_eq!(names(fixed), [GATE_CONFIG], "{fixed}");
    }
}

#[test]
fn case_16_paths_differing_in_case_or_separator_are_gated() {
    let r = rules("gate: {rules: {auth: {paths: ['src/auth/**']}}}");
    for path in [
        "src/Auth/login.rs",
        "SRC/auth/x.rs",
        "src\\auth\\x.rs",
        ".GitHub/Workflows/ci.yml",
    ] {
        assert!(!r.path_categories(path).is_empty(), "{path}");
    }
    let strict = rules("gate: {case_sensitive: true, rules: {auth: {paths: ['src/auth/**']}}}");
    assert!(strict.path_categories("src/Auth/login.rs").is_empty());
    assert_eq!(strict.path_categories("src\\auth\\x.rs"), [0]);
}

#[test]
fn diff_patterns_map_to_their_categories() {
    let r = rules(r"gate: {rules: {deletion: {diff_patterns: ['(?i)\bDELETE\s+FROM\b']}}}");
    assert_eq!(r.line_categories("  db.exec(\"delete from users\")"), [0]);
    assert!(r.line_categories("select 1").is_empty());
}
