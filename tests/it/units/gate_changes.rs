//! `shiprig::gate::changes`, through its public API.

use shiprig::gate::changes::*;

#[test]
fn a_rename_has_both_names() {
    let mut f = ChangedFile::new("src/util/session.rs", "renamed");
    f.previous_filename = Some("src/auth/session.rs".into());
    assert_eq!(
        f.names().collect::<Vec<_>>(),
        ["src/util/session.rs", "src/auth/session.rs"]
    );
}

#[test]
fn diff_lines_skip_headers_and_context() {
    let mut f = ChangedFile::new("a.rs", "modified");
    f.patch = Some("@@ -1,2 +1,2 @@\n keep\n-old\n+new".into());
    assert_eq!(
        f.diff_lines().collect::<Vec<_>>(),
        [('-', "old"), ('+', "new")]
    );
}

#[test]
fn too_many_files_or_a_missing_page_fail_closed() {
    let many = Changes::complete(vec![ChangedFile::new("a", "added"); FILE_LIMIT]);
    assert!(many.fail_closed_reason().unwrap().contains("3000"));
    let partial = Changes {
        files: vec![],
        unreadable: Some("page 2 answered 502".into()),
    };
    assert!(partial.fail_closed_reason().unwrap().contains("page 2"));
    assert!(Changes::complete(vec![]).fail_closed_reason().is_none());
}
