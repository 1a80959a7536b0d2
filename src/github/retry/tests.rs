use super::*;
use chrono::{DateTime, Utc};
use http::{HeaderMap, Method};
use std::time::Duration;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(*name, value.parse().unwrap());
    }
    map
}

fn wait(method: Method, attempt: u32, status: u16, h: &HeaderMap, msg: &str) -> Option<Duration> {
    let outcome = RequestAttempt::Answer {
        status,
        headers: h,
        message: msg,
    };
    RetryPolicy::default().next_wait(&method, attempt, &outcome, at(1_000), Duration::ZERO)
}

#[test]
fn reads_back_off_on_server_errors_and_writes_do_not() {
    let none = HeaderMap::new();
    assert_eq!(
        wait(Method::GET, 1, 502, &none, ""),
        Some(Duration::from_secs(1))
    );
    assert_eq!(
        wait(Method::GET, 3, 503, &none, ""),
        Some(Duration::from_secs(4))
    );
    assert_eq!(wait(Method::POST, 1, 502, &none, ""), None);
    assert_eq!(wait(Method::GET, 1, 404, &none, ""), None);
    assert_eq!(
        wait(Method::GET, 5, 502, &none, ""),
        None,
        "attempts are bounded"
    );
}

#[test]
fn rate_limits_wait_as_told_for_every_method() {
    let retry = headers(&[("retry-after", "7")]);
    assert_eq!(
        wait(Method::POST, 1, 403, &retry, "secondary"),
        Some(Duration::from_secs(7))
    );
    let reset = headers(&[
        ("x-ratelimit-remaining", "0"),
        ("x-ratelimit-reset", "1090"),
    ]);
    assert_eq!(
        wait(Method::GET, 1, 403, &reset, ""),
        Some(Duration::from_secs(90))
    );
    let bare = HeaderMap::new();
    assert_eq!(
        wait(
            Method::GET,
            2,
            403,
            &bare,
            "You have exceeded a secondary rate limit"
        ),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        wait(
            Method::GET,
            1,
            403,
            &bare,
            "Resource not accessible by integration"
        ),
        None
    );
}

#[test]
fn no_wait_past_the_budget() {
    let policy = RetryPolicy {
        budget: Duration::from_secs(100),
        ..RetryPolicy::default()
    };
    let retry = headers(&[("retry-after", "60")]);
    let outcome = RequestAttempt::Answer {
        status: 429,
        headers: &retry,
        message: "",
    };
    let first = policy.next_wait(&Method::GET, 1, &outcome, at(0), Duration::ZERO);
    assert_eq!(first, Some(Duration::from_secs(60)));
    let second = policy.next_wait(&Method::GET, 2, &outcome, at(60), Duration::from_secs(60));
    assert_eq!(second, None);
}
