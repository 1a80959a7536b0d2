//! The rendered error text people see, pinned: location header, message, caret snippet.

use shiprig::config::Config;

fn rendered(text: &str) -> String {
    Config::from_yaml(".github/shiprig.yml", text)
        .unwrap_err()
        .to_string()
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({
            snapshot_path => "../fixtures/config/snapshots",
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn typo_error_text() {
    snapshot!(
        "typo",
        rendered("version: 1\naprovers: {min_permission: maintain}\n")
    );
}

#[test]
fn bad_glob_error_text() {
    snapshot!(
        "bad_glob",
        rendered(
            "gate:\n  rules:\n    auth:\n      paths:\n        - \"src/**\"\n        - \"src/[auth\"\n"
        )
    );
}

#[test]
fn duplicate_agent_error_text() {
    snapshot!(
        "duplicate_agent",
        rendered(
            "conductor:\n  agents:\n    - name: agent-1\n    - name: agent-1\n      login: bot\n"
        )
    );
}

#[test]
fn secret_key_error_text() {
    snapshot!(
        "secret_key",
        rendered("product:\n  clickup:\n    list: \"901\"\n    token: pk_0000_NOT_A_REAL_TOKEN\n")
    );
}
