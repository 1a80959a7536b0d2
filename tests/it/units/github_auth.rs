//! `shiprig::github::auth`, through its public API.

use chrono::Utc;
use shiprig::github::auth::*;

fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

#[test]
fn app_credentials_win_and_half_an_app_is_an_error() {
    let both = env(&[
        ("SHIPRIG_APP_ID", "42"),
        ("SHIPRIG_APP_PRIVATE_KEY", "pem"),
        ("GITHUB_TOKEN", "t"),
    ]);
    assert!(matches!(
        Credentials::from_env(both),
        Ok(Credentials::App { app_id: 42, .. })
    ));
    let half = env(&[("SHIPRIG_APP_ID", "42")]);
    assert!(
        Credentials::from_env(half)
            .unwrap_err()
            .contains("SHIPRIG_APP_PRIVATE_KEY")
    );
    let bad = env(&[
        ("SHIPRIG_APP_ID", "abc"),
        ("SHIPRIG_APP_PRIVATE_KEY", "pem"),
    ]);
    assert!(Credentials::from_env(bad).unwrap_err().contains("numeric"));
}

#[test]
fn secrets_do_not_debug_print() {
    let creds = Credentials::Token(Secret::new("ghp_supersecret"));
    assert!(!format!("{creds:?}").contains("supersecret"));
}

#[test]
fn a_bad_key_is_a_clear_error() {
    let err = app_jwt(1, &Secret::new("not a key"), Utc::now()).unwrap_err();
    assert!(err.to_string().contains("not an RSA private key"), "{err}");
}
