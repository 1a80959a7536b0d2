//! Every kind of bad config is an error naming the file, the line and column of the bad value,
//! and what was expected.

use std::path::Path;

use shiprig::config::{Config, ConfigError};

fn err(text: &str) -> ConfigError {
    match Config::from_yaml("shiprig.yml", text) {
        Ok(config) => panic!("accepted a bad config:\n{text}\n{config:#?}"),
        Err(err) => err,
    }
}

/// Asserts the location and that the message contains each of `needles`.
#[track_caller]
fn assert_err(text: &str, line: usize, column: usize, needles: &[&str]) -> ConfigError {
    let err = err(text);
    assert_eq!(
        (err.line, err.column),
        (line, column),
        "wrong place for: {err}"
    );
    for needle in needles {
        assert!(
            err.message.contains(needle),
            "`{needle}` missing from: {err}"
        );
    }
    assert!(
        err.to_string()
            .starts_with(&format!("shiprig.yml:{line}:{column}: "))
    );
    err
}

fn load_fixture(name: &str) -> ConfigError {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name);
    Config::load(&path).expect_err(name)
}

#[test]
fn typo_in_a_top_level_key_lists_the_allowed_keys() {
    let err = assert_err(
        "version: 1\naprovers: {min_permission: maintain}\n",
        2,
        1,
        &[
            "unknown field `aprovers`",
            "approvers",
            "conductor",
            "did you mean `approvers`?",
        ],
    );
    assert!(err.snippet.as_deref().unwrap().contains("2 | aprovers:"));
}

#[test]
fn unknown_key_deep_inside_is_located() {
    assert_err(
        "gate:\n  rules:\n    auth:\n      path: [src/auth/**]\n",
        4,
        7,
        &["unknown field `path`", "paths", "did you mean `paths`?"],
    );
}

#[test]
fn fixtures_fail_where_they_should() {
    let typo = load_fixture("typo.yml");
    assert_eq!((typo.line, typo.column), (2, 1));
    assert!(typo.file.ends_with("typo.yml"));
    let glob = load_fixture("bad_glob.yml");
    assert_eq!((glob.line, glob.column), (7, 11));
    let regex = load_fixture("bad_regex.yml");
    assert_eq!((regex.line, regex.column), (5, 23));
    let duration = load_fixture("bad_duration.yml");
    assert_eq!((duration.line, duration.column), (3, 16));
}

#[test]
fn bad_glob() {
    assert_err(
        "gate:\n  rules:\n    auth: {paths: [\"src/**\", \"src/[auth\"]}\n",
        3,
        30,
        &["invalid glob `src/[auth`", "unclosed character class"],
    );
}

#[test]
fn bad_regex() {
    assert_err(
        "gate:\n  rules:\n    deletion:\n      diff_patterns: ['(?i)\\bDELETE(']\n",
        4,
        23,
        &[r"invalid regex `(?i)\bDELETE(`", "unclosed group"],
    );
}

#[test]
fn bad_duration() {
    assert_err(
        "conductor:\n  stale_after: 6 hours please\n",
        2,
        16,
        &[
            "invalid duration `6 hours please`",
            "expected a duration like `90s`",
        ],
    );
}

#[test]
fn unknown_permission() {
    assert_err(
        "approvers: {min_permission: owner}\n",
        1,
        29,
        &[
            "unknown variant `owner`",
            "read, triage, write, maintain, admin",
        ],
    );
}

#[test]
fn unsupported_version() {
    assert_err(
        "version: 2\n",
        1,
        10,
        &["unsupported config version 2", "`version: 1`"],
    );
}

#[test]
fn agent_name_with_spaces() {
    assert_err(
        "conductor:\n  agents:\n    - name: agent one\n",
        3,
        13,
        &["invalid name `agent one`", "lowercase letters"],
    );
}

#[test]
fn duplicate_agent_names_point_at_the_second() {
    assert_err(
        "conductor:\n  agents:\n    - {name: agent-1}\n    - {name: agent-2}\n    - {name: agent-1}\n",
        5,
        7,
        &["duplicate agent name `agent-1`", "first defined at line 3"],
    );
}

#[test]
fn two_dispatch_backends_point_at_the_second() {
    let text = "conductor:\n  dispatch:\n    github_actions: {workflow: a.yml}\n    command: {argv: [./agent]}\n";
    let both = ["`command` and `github_actions` are both set", "exactly one"];
    assert_err(text, 4, 5, &both);
    let block = "conductor:\n  dispatch:\n    github_actions:\n      workflow: a.yml\n    kubernetes:\n      job_template: k8s/job.yml\n";
    assert_err(
        block,
        5,
        5,
        &["`kubernetes` and `github_actions` are both set"],
    );
}

#[test]
fn unknown_dispatch_backend() {
    assert_err(
        "conductor:\n  dispatch:\n    lambda: {}\n",
        3,
        5,
        &[
            "unknown field `lambda`",
            "github_actions, kubernetes, command",
        ],
    );
}

#[test]
fn expect_json_key_must_be_a_pointer() {
    let text = "deploy:\n  staging:\n    command: [./d]\n    smoke:\n      - name: h\n        url: https://x.test/\n        expect_json: {status: ok}\n";
    assert_err(
        text,
        7,
        23,
        &["invalid JSON pointer `status`", "start with `/`"],
    );
}

#[test]
fn empty_command_argv() {
    assert_err(
        "deploy:\n  staging:\n    command: []\n",
        3,
        14,
        &["empty command", "expected a list like"],
    );
    assert_err(
        "conductor:\n  dispatch:\n    command: {argv: []}\n",
        3,
        21,
        &["empty command"],
    );
    assert_err(
        "deploy:\n  staging:\n    command: [./d]\n    before:\n      - [./a]\n      - []\n",
        6,
        9,
        &["empty command"],
    );
}

#[test]
fn duplicate_yaml_keys() {
    assert_err(
        "version: 1\nrelease: {tag_prefix: v}\nrelease: {tag_prefix: r}\n",
        3,
        1,
        &["duplicate mapping key", "release"],
    );
}

#[test]
fn secrets_are_pointed_to_env_and_never_echoed() {
    let token = "pk_12345_SECRETVALUE";
    let text = format!("product:\n  clickup:\n    list: \"901\"\n    token: {token}\n");
    let err = assert_err(
        &text,
        4,
        5,
        &[
            "unknown field `token`",
            "`token_env`",
            "environment variable",
        ],
    );
    assert!(!err.to_string().contains(token), "{err}");
    assert!(err.snippet.is_none());

    let text = format!("notify:\n  slack: {{webhook_url: https://hooks.slack.test/{token}}}\n");
    let err = assert_err(&text, 2, 11, &["`webhook_url_env`"]);
    assert!(!err.to_string().contains(token), "{err}");

    let text = format!("notify:\n  slack: {{webhook_url_env: {token}}}\n");
    let err = assert_err(
        &text,
        2,
        28,
        &["the name of an environment variable", "never holds secrets"],
    );
    assert!(!err.to_string().contains(token), "{err}");
}

#[test]
fn review_agent_must_be_configured() {
    assert_err(
        "conductor:\n  agents: [{name: agent-1}]\n  review_agent: reviewer\n",
        3,
        17,
        &["review_agent `reviewer`", "agent-1"],
    );
}

/// The reviewer acts as its own GitHub user: GitHub refuses an author's approval of its own
/// pull request, so a reviewer sharing the author's login or token could never approve.
#[test]
fn review_agent_needs_its_own_identity() {
    assert_err(
        "conductor:\n  agents: [{name: agent-1, login: rig-1}, {name: reviewer}]\n  review_agent: reviewer\n",
        3,
        17,
        &["review_agent `reviewer` has no `login`"],
    );
    assert_err(
        "conductor:\n  agents: [{name: agent-1, login: rig-1}, {name: reviewer, login: RIG-1}]\n  review_agent: reviewer\n",
        3,
        17,
        &["the login `RIG-1` of agent `agent-1`"],
    );
    assert_err(
        "conductor:\n  agents: [{name: agent-1, login: rig-1}, {name: reviewer, login: rig-r}]\n  review_agent: reviewer\n",
        3,
        17,
        &[
            "uses the token secret `SHIPRIG_AGENT_TOKEN` of agent `agent-1`",
            "SHIPRIG_AGENT_TOKEN_REVIEWER",
        ],
    );
    assert_err(
        "conductor:\n  agents: [{name: agent-1, login: rig-1, token_secret: GH_PAT}]\n",
        2,
        56,
        &["token_secret `GH_PAT` must be `SHIPRIG_AGENT_TOKEN`"],
    );
    assert_err(
        "conductor:\n  test_command: \"  \"\n",
        2,
        17,
        &["empty value"],
    );
    let ok = "conductor:\n  agents:\n    - {name: agent-1, login: rig-1}\n    - {name: reviewer, login: rig-r, token_secret: SHIPRIG_AGENT_TOKEN_REVIEWER}\n  review_agent: reviewer\n  max_review_rounds: 2\n  test_command: cargo test\n";
    let config = shiprig::config::Config::from_yaml("shiprig.yml", ok).unwrap();
    assert_eq!(config.conductor.max_review_rounds, 2);
    assert_eq!(config.conductor.test_command.as_deref(), Some("cargo test"));
    assert_eq!(config.conductor.agents[0].token(), "SHIPRIG_AGENT_TOKEN");
    assert_eq!(
        config.conductor.agents[1].token(),
        "SHIPRIG_AGENT_TOKEN_REVIEWER"
    );
}

#[test]
fn fallback_names_configured_agents_once_each() {
    assert_err(
        "conductor:\n  agents: [{name: agent-1}, {name: agent-2}]\n  fallback: [agent-2, agent-9]\n",
        3,
        23,
        &[
            "fallback `agent-9` is not a configured agent",
            "agent-1, agent-2",
        ],
    );
    assert_err(
        "conductor:\n  agents: [{name: agent-1}, {name: agent-2}]\n  fallback:\n    - agent-1\n    - agent-1\n",
        5,
        7,
        &["fallback names `agent-1` twice"],
    );
}

#[test]
fn config_validate_exits_2_on_a_fallback_naming_an_unknown_agent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shiprig.yml");
    std::fs::write(
        &path,
        "version: 1\nconductor:\n  agents: [{name: agent-1}]\n  fallback: [agent-1, ghost]\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shiprig"))
        .args(["config", "validate", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("shiprig.yml:4:23"), "{err}");
    assert!(err.contains("fallback `ghost`"), "{err}");
}

#[test]
fn other_value_checks() {
    assert_err(
        "gate:\n  humans: {min_approvals: 0}\n",
        2,
        27,
        &["expected at least 1"],
    );
    assert_err(
        "gate:\n  rules:\n    Auth Code: {paths: [src/**]}\n",
        3,
        5,
        &["invalid category name `Auth Code`"],
    );
    assert_err(
        "gate:\n  rules:\n    auth: {paths: [/src/auth/**]}\n",
        3,
        20,
        &["write `src/auth/**`"],
    );
    assert_err(
        "gate:\n  rules:\n    auth: {owners: [security]}\n",
        3,
        21,
        &["invalid owner `security`", "@org/team"],
    );
}

#[test]
fn smoke_check_value_checks() {
    let base = "deploy:\n  staging:\n    command: [./d]\n    smoke:\n      - name: h\n        url: https://x.test/\n";
    assert_err(
        &format!("{base}        method: FETCH\n"),
        7,
        17,
        &["unknown HTTP method `FETCH`", "GET"],
    );
    assert_err(
        &format!("{base}        expect_status: 700\n"),
        7,
        24,
        &["expected 100 to 599"],
    );
    assert_err(
        &format!("{base}        expect_version: {{pointer: /sha, header: X-Version}}\n"),
        7,
        25,
        &["exactly one of `pointer`"],
    );
    assert_err(
        &format!("{base}      - name: h\n        url: https://y.test/\n"),
        7,
        9,
        &["duplicate smoke check name `h`"],
    );
    assert_err(
        "deploy:\n  staging:\n    command: [./d]\n    url: staging.example.com\n",
        4,
        10,
        &["expected an `https://` or `http://` URL"],
    );
}

#[test]
fn wrong_shapes_and_missing_keys() {
    assert_err("labels: [approved]\n", 1, 9, &["mapping"]);
    assert_err(
        "product:\n  clickup: {token_env: CLICKUP_TOKEN}\n",
        2,
        13,
        &["missing field `list`"],
    );
    assert_err("conductor:\n  max_fix_attempts: lots\n", 2, 21, &["u32"]);
    let err = assert_err("release: {tag_prefix: [v\n", 1, 23, &[]);
    assert!(!err.message.is_empty());
}

#[test]
fn empty_names_are_refused() {
    assert_err("labels: {approved: \"\"}\n", 1, 20, &["empty value"]);
    assert_err("release: {main_branch: \" \"}\n", 1, 24, &["empty value"]);
}

#[test]
fn unreadable_file() {
    let err = Config::load(Path::new("/nonexistent/shiprig.yml")).unwrap_err();
    assert_eq!(err.line, 0);
    assert!(
        err.to_string()
            .starts_with("/nonexistent/shiprig.yml: cannot read the config"),
        "{err}"
    );
}
