//! `shiprig::secrets`, through its public API.

use shiprig::secrets::*;

#[test]
fn case_32_userinfo_is_blanked_in_every_url() {
    assert_eq!(
        redact_urls("GET http://alice:s3cret@127.0.0.1:9/repos failed (http://x@h)"),
        "GET http://***@127.0.0.1:9/repos failed (http://***@h)"
    );
    assert_eq!(redact_urls("no url here"), "no url here");
    assert_eq!(
        redact_urls("https://api.github.com/x"),
        "https://api.github.com/x"
    );
}

#[test]
fn case_32_secrets_are_withheld_unless_listed() {
    let present = [
        "PATH",
        "GITHUB_TOKEN",
        "SHIPRIG_APP_PRIVATE_KEY",
        "SLACK_WEBHOOK_URL",
        "CLICKUP_TOKEN",
        "SHIPRIG_SHA",
        "HOME",
    ];
    let allowed = vec!["GITHUB_TOKEN".to_string()];
    assert_eq!(
        withheld(present, &allowed),
        [
            "SHIPRIG_APP_PRIVATE_KEY",
            "SLACK_WEBHOOK_URL",
            "CLICKUP_TOKEN"
        ]
    );
}
