//! Slack's mrkdwn for outside text: issue titles, agent names, check names and server
//! answers are data, never markup, and never end a `<url|text>` link early.

/// Slack's mrkdwn needs `&`, `<` and `>` escaped; issue text is data, never markup.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Most characters of outside text shown in one message.
const MAX_TEXT: usize = 150;

/// Outside text as one short, escaped line: control characters become spaces.
pub(crate) fn data(text: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_TEXT)
        .collect();
    let cut = if text.chars().count() > MAX_TEXT {
        "…"
    } else {
        ""
    };
    format!("{}{cut}", escape(&line))
}

/// A link target with the characters that would end Slack's `<url|text>` removed.
pub(crate) fn target(url: &str) -> String {
    url.chars()
        .filter(|c| !matches!(c, '<' | '>' | '|') && !c.is_control() && !c.is_whitespace())
        .collect()
}

/// A titled link, with the title escaped and cut to a safe length.
pub(crate) fn link(url: &str, title: &str) -> String {
    format!("<{}|{}>", target(url), data(title))
}

/// A commit SHA cut to seven characters, escaped.
pub(crate) fn short(sha: &str) -> String {
    escape(&sha.chars().take(7).collect::<String>())
}

/// A URL inside `<url|text>`, with the characters that would end the link removed.
pub(crate) fn url_part(url: &str) -> String {
    url.replace(['<', '>', '|'], "")
}
