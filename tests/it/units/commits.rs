//! `shiprig::commits`, through its public API.

use shiprig::actions_log::escape_property;
use shiprig::commits::*;

#[test]
fn conventional_messages_pass_and_others_get_a_fix() {
    assert!(lint("title", "feat(gate): count owners").is_ok());
    assert!(lint("title", "fix!: drop v1\n\nBREAKING CHANGE: gone").is_ok());
    let p = lint("title", "Fixed the login bug").unwrap_err();
    assert_eq!(p.suggestion, "fix: the login bug");
    assert_eq!(
        lint("abc", "Add dark mode").unwrap_err().suggestion,
        "feat: add dark mode"
    );
    assert_eq!(
        lint("abc", "Update README.md").unwrap_err().suggestion,
        "chore: update README.md"
    );
    let p = lint("abc", "feature: x").unwrap_err();
    assert!(
        p.reason.starts_with("unknown type `feature`"),
        "{}",
        p.reason
    );
}

#[test]
fn untrusted_text_cannot_issue_workflow_commands() {
    let p = lint("title", "x\n::add-mask::secret %0A ::stop-commands::tok").unwrap_err();
    let line = annotation(&p);
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.starts_with("::error title=title is not a conventional commit::x"),
        "{line}"
    );
    let p = lint("title", "evil%0A::add-mask::x, y: z").unwrap_err();
    let line = annotation(&p);
    assert!(line.contains("evil%250A::add-mask::x"), "{line}");
    assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
}
