//! `shiprig::setup::codeowners`, through its public API.

use shiprig::config::Config;
use shiprig::setup::codeowners::*;

#[test]
fn gate_globs_become_codeowners_patterns() {
    let p = |g: &str| patterns(g);
    assert_eq!(p("src/auth/**"), Some(vec!["/src/auth/**".to_string()]));
    assert_eq!(p("**/session*"), Some(vec!["**/session*".to_string()]));
    assert_eq!(p("**/*.sql"), Some(vec!["**/*.sql".to_string()]));
    assert_eq!(
        p("src/{billing,pay}/**"),
        Some(vec![
            "/src/billing/**".to_string(),
            "/src/pay/**".to_string()
        ])
    );
    assert_eq!(p("src/[ab]/**"), None);
    assert_eq!(p("src/{a,{b}}"), None);
}

#[test]
fn owners_per_category_and_the_rig_last() {
    let config = Config::from_yaml(
        "c.yml",
        "version: 1\ngate:\n  rules:\n    auth: {paths: [\"src/auth/**\", \"**/session*\"], owners: [\"@acme/security\", \"@alice\"]}\n    payments: {paths: [\"src/billing/**\"]}\n",
    )
    .unwrap();
    let template = "# head\n/.github/workflows/ @acme/rig\n";
    let text = render(template, &config);
    assert!(text.starts_with("# head\n/.github/workflows/ @acme/rig\n\n"));
    assert!(
        text.contains("/src/auth/** @acme/security @alice\n**/session* @acme/security @alice\n")
    );
    assert!(text.contains("# no `owners` for `payments`"));
    assert!(!text.contains("/src/billing/** "));
    assert!(text.ends_with(
        "# the rig's own files, last so that they win\n/.github/workflows/ @acme/rig\n"
    ));
}
