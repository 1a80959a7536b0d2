//! The `product:` and `notify.slack` config keys: defaults, one tool at a time, and errors
//! located to their line.

use shiprig::config::Config;

#[test]
fn clickup_defaults_and_slack_bot_keys() {
    let config = Config::from_yaml(
        "t.yml",
        "product:\n  clickup: {list: '901'}\nnotify:\n  slack: {bot_token_env: SLACK_BOT_TOKEN, channel: C01}\n",
    )
    .unwrap();
    let clickup = config.product.clickup.unwrap();
    assert_eq!(clickup.token_env, "CLICKUP_TOKEN");
    assert_eq!(clickup.ready_status, "ready to build");
    assert_eq!(clickup.done_status, "complete");
    let slack = config.notify.slack.unwrap();
    assert_eq!(slack.bot_token_env.as_deref(), Some("SLACK_BOT_TOKEN"));
    assert_eq!(slack.channel.as_deref(), Some("C01"));
}

#[test]
fn asana_reads_with_an_optional_done_section() {
    let config = Config::from_yaml(
        "t.yml",
        "product:\n  asana: {project: '1200', ready_section: Ready to build}\n",
    )
    .unwrap();
    let asana = config.product.asana.unwrap();
    assert_eq!(
        (asana.token_env.as_str(), asana.done_section),
        ("ASANA_TOKEN", None)
    );
}

#[test]
fn two_tools_at_once_are_refused_at_the_second() {
    let err = Config::from_yaml(
        "t.yml",
        "product:\n  clickup: {list: '901'}\n  asana: {project: '1', ready_section: R}\n",
    )
    .unwrap_err();
    assert_eq!(err.line, 3, "{err}");
    assert!(err.message.contains("expected one product tool"), "{err}");
}

#[test]
fn empty_ids_and_unknown_keys_are_located() {
    let err = Config::from_yaml("t.yml", "product:\n  clickup: {list: ''}\n").unwrap_err();
    assert_eq!(err.line, 2, "{err}");
    assert!(err.message.contains("empty"), "{err}");
    let err = Config::from_yaml("t.yml", "product:\n  jira: {}\n").unwrap_err();
    assert_eq!(err.line, 2, "{err}");
    let err = Config::from_yaml(
        "t.yml",
        "product:\n  asana: {project: '1', ready_sectoin: R}\n",
    )
    .unwrap_err();
    assert_eq!(err.line, 2, "{err}");
}

#[test]
fn a_token_itself_in_the_config_is_refused() {
    let err = Config::from_yaml(
        "t.yml",
        "product:\n  clickup: {list: '1', token_env: 'pk_12345_ABCDEF'}\n",
    );
    assert!(err.is_err(), "a token is not an environment variable name");
}
