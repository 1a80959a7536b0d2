//! The judging rules, without HTTP.

use super::judge::{CheckResult, Observed, judge};
use super::*;
use crate::config::SmokeCheck;

fn check(yaml: &str) -> SmokeCheck {
    serde_saphyr::from_str(yaml).expect("a valid check")
}

fn seen(status: u16, body: &str, latency_ms: u64) -> Observed {
    Observed {
        status,
        headers: vec![("x-version".into(), "abc1234".into())],
        body: body.into(),
        latency_ms,
    }
}

#[test]
fn status_body_regex_and_json_are_each_named() {
    let c = check(
        "{name: h, url: 'http://x/h', expect_body: ok, expect_body_regex: '^o', expect_json: {/a: 1}}",
    );
    assert_eq!(
        judge(&c, &seen(200, r#"ok {"a":1}"#, 1), None),
        Err("body is not JSON".into())
    );
    assert_eq!(
        judge(&c, &seen(503, "ok", 1), None),
        Err("status 503 (expected 200)".into())
    );
    assert_eq!(
        judge(&c, &seen(200, "nope", 1), None),
        Err("body does not contain \"ok\"".into())
    );
    let c = check("{name: h, url: 'http://x/h', expect_json: {/a: 1}}");
    assert_eq!(judge(&c, &seen(200, r#"{"a":1}"#, 1), None), Ok(()));
    assert_eq!(
        judge(&c, &seen(200, r#"{"a":2}"#, 1), None),
        Err("/a is 2, expected 1".into())
    );
}

#[test]
fn version_must_name_the_sha_under_test() {
    let sha = "abc1234def5678";
    let c = check("{name: v, url: 'http://x/v', expect_version: {pointer: /version}}");
    assert_eq!(
        judge(&c, &seen(200, r#"{"version":"abc1234"}"#, 1), Some(sha)),
        Ok(())
    );
    assert_eq!(
        judge(
            &c,
            &seen(200, r#"{"version":"build abc1234def5678"}"#, 1),
            Some(sha)
        ),
        Ok(())
    );
    let wrong = judge(&c, &seen(200, r#"{"version":"0ld0000"}"#, 1), Some(sha)).unwrap_err();
    assert!(
        wrong.contains("\"0ld0000\", expected abc1234def5678"),
        "{wrong}"
    );
    assert!(judge(&c, &seen(200, r#"{"version":"abc"}"#, 1), Some(sha)).is_err());
    assert!(
        judge(&c, &seen(200, "{}", 1), None)
            .unwrap_err()
            .contains("no SHA")
    );
    let h = check("{name: v, url: 'http://x/v', expect_version: {header: X-Version}}");
    assert_eq!(judge(&h, &seen(200, "", 1), Some(sha)), Ok(()));
}

#[test]
fn latency_over_budget_fails() {
    let c = check("{name: l, url: 'http://x/l', max_latency_ms: 50}");
    assert_eq!(judge(&c, &seen(200, "", 50), None), Ok(()));
    assert_eq!(
        judge(&c, &seen(200, "", 51), None),
        Err("took 51 ms, over the 50 ms budget".into())
    );
}

#[test]
fn monitor_mode_speaks_only_on_a_change() {
    assert_eq!(transition(None, Health::Up), None);
    assert_eq!(transition(None, Health::Down), Some(Health::Down));
    assert_eq!(transition(Some(Health::Down), Health::Down), None);
    assert_eq!(transition(Some(Health::Down), Health::Up), Some(Health::Up));
    assert_eq!(transition(Some(Health::Up), Health::Up), None);
}

#[test]
fn the_table_keeps_server_text_on_one_line() {
    let report = SmokeReport::new(
        "staging",
        None,
        vec![CheckResult {
            name: "health".into(),
            url: "http://x".into(),
            passed: false,
            attempts: 3,
            status: Some(500),
            latency_ms: Some(12),
            message: "body does not contain \"ok\"\n::add-mask::x".into(),
        }],
    );
    let table = table(&report);
    assert!(!table.contains("\n::add-mask::"), "{table}");
    assert!(table.contains("smoke staging: FAILED (0/1 checks passed)"));
    assert!(summary_markdown(&report).contains("| health | FAIL | 500 | 12 ms | 3 |"));
}
