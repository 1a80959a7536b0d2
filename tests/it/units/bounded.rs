//! `shiprig::bounded`, through its public API.

use shiprig::bounded::*;
use std::path::Path;

#[test]
fn bad_utf8_has_a_line_and_column() {
    let err = utf8(b"a: 1\nbb: \xff\n".to_vec()).unwrap_err();
    assert_eq!((err.line, err.column), (2, 5));
    assert!(err.message.contains("0xff"), "{}", err.message);
    assert_eq!(utf8("é\n".into()).unwrap(), "é\n");
}

#[test]
fn reading_stops_past_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big");
    std::fs::write(&path, vec![b'a'; 2048]).unwrap();
    let err = read_text(&path, 1024, "plan").unwrap_err();
    assert!(
        err.message.contains("plan is larger than"),
        "{}",
        err.message
    );
    assert_eq!(read_text(&path, 4096, "plan").unwrap().len(), 2048);
    let zero = read_text(Path::new("/dev/zero"), 1024, "config").unwrap_err();
    assert!(zero.message.contains("larger than"));
}
