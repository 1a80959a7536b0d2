//! `shiprig::actions_log`, through its public API.

use shiprig::actions_log::*;

#[test]
fn outside_text_cannot_open_a_workflow_command() {
    let hostile = "fine\n::add-mask::secret\r\n::error::boom";
    let line = one_line(hostile);
    assert!(!line.contains('\n') && !line.contains('\r'));
    assert!(!line.starts_with("::"));
    assert_eq!(one_line(&"x".repeat(1000)).len(), 300);
}

#[test]
fn data_and_properties_escape_what_would_end_them() {
    assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
    assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
}
