//! Text from outside (titles, logins, check names, reasons) as it may appear in an Actions
//! log: a line printed by shiprig can never start a workflow command of its own, and data
//! inside shiprig's own workflow commands is escaped the way GitHub's toolkit escapes it.

/// One printable line: no control characters, so outside text cannot start a line of its own
/// and issue a workflow command (`::add-mask::`); at most 300 characters.
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect()
}

/// Escapes workflow-command data: `%`, CR and LF (GitHub's `escapeData`).
pub(crate) fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property value: data escapes plus `:` and `,`.
pub(crate) fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Appends `name=value` to the step's `GITHUB_OUTPUT` file, when there is one; `value` is one
/// line.
pub(crate) fn step_output(file: Option<&str>, name: &str, value: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let Some(path) = file.filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
    writeln!(f, "{name}={}", one_line(value))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
