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
fn case_44_a_child_gets_the_allow_list_and_the_listed_names_only() {
    let parent = [
        ("PATH", "/usr/bin"),
        ("HOME", "/home/runner"),
        ("GITHUB_SHA", "abc"),
        ("GITHUB_API_URL", "https://alice:s3cret@api.example"),
        ("GITHUB_TOKEN", "ghs_x"),
        ("GITHUB_OUTPUT", "/tmp/out"),
        ("DATABASE_URL", "postgres://u:p@db/x"),
        ("KUBECONFIG", "/k"),
        ("USER", "ghp_looks_like_a_token"),
    ]
    .map(|(n, v)| (n.to_string(), v.to_string()));
    let listed = vec!["KUBECONFIG".to_string(), "GITHUB_OUTPUT".to_string()];
    let names: Vec<String> = child_env(parent, &listed)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["PATH", "HOME", "GITHUB_SHA", "KUBECONFIG"]);
}
