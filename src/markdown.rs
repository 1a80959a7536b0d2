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
pub fn code(text: &str, max: usize) -> String {
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
pub fn mermaid_label(text: &str, max: usize) -> String {
    let short: String = text.chars().filter(|c| !c.is_control()).take(max).collect();
    short
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}
