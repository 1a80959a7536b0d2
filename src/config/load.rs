//! Reading a config: YAML text to a checked [`Config`], or an error a person can act on.

use std::fmt;
use std::path::Path;

use serde_saphyr::{DefaultMessageFormatter, MessageFormatter};

use super::de::{SECRET_HINT, split_located};
use super::model::Config;

/// A config that cannot be used, with where and why. Commands exit 2 on it, before any write.
///
/// `Display` gives `FILE:LINE:COL: MESSAGE`, then the offending line with a caret under the
/// column (left out when the line may hold a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The source name given to [`Config::from_yaml`], or the path given to [`Config::load`].
    pub file: String,
    /// 1-based; 0 when the error has no place in the text (the file could not be read).
    pub line: usize,
    /// 1-based, in characters; 0 when unknown.
    pub column: usize,
    /// What is wrong and what was expected, on one line.
    pub message: String,
    /// The offending source line with a caret, when it is safe to show.
    pub snippet: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)?;
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )?;
        }
        if let Some(snippet) = &self.snippet {
            write!(f, "\n{snippet}")?;
        }
        Ok(())
    }
}

impl Config {
    /// Parses and checks config text. `source_name` names it in errors
    /// (`.github/shiprig.yml`, or `.github/shiprig.yml@main` when read from a branch).
    pub fn from_yaml(source_name: &str, text: &str) -> Result<Config, ConfigError> {
        if text.len() as u64 > crate::bounded::CONFIG_LIMIT {
            return Err(ConfigError {
                file: source_name.to_owned(),
                line: 0,
                column: 0,
                message: "the config is larger than 1 MiB: shiprig reads at most that much".into(),
                snippet: None,
            });
        }
        if let Some((line, column, message)) = explicit_tag(text) {
            return Err(ConfigError {
                file: source_name.to_owned(),
                line,
                column,
                message,
                snippet: None,
            });
        }
        let options = serde_saphyr::options! { with_snippet: false };
        let config: Config = serde_saphyr::from_str_with_options(text, options)
            .map_err(|err| convert(source_name, text, &err))?;
        agents_have_logins(source_name, text, &config)?;
        Ok(config)
    }

    /// Reads and checks a config file. The only I/O in this module.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = crate::bounded::read_text(path, crate::bounded::CONFIG_LIMIT, "config")
            .map_err(|err| ConfigError {
                file: file.clone(),
                line: err.line,
                column: err.column,
                message: err.message,
                snippet: None,
            })?;
        Config::from_yaml(&file, &text)
    }
}

/// With gate rules configured, every agent names its `login`: the gate and `merge` know an
/// agent's approval by it, and an agent without one would count as a person reviewing another
/// agent's pull request. The error points at the agent's entry.
fn agents_have_logins(file: &str, text: &str, config: &Config) -> Result<(), ConfigError> {
    if config.gate.rules.is_empty() {
        return Ok(());
    }
    let agents = &config.conductor.agents;
    let Some(index) = agents.iter().position(|a| a.login.is_none()) else {
        return Ok(());
    };
    let (line, column) = agent_place(text, index).unwrap_or((0, 0));
    Err(ConfigError {
        file: file.to_owned(),
        line,
        column,
        message: format!(
            "agent `{}` has no `login`: with gate rules configured, every agent needs the GitHub login it works as, or its approval of another agent's pull request would count as a person's (add `login: <its GitHub login>`)",
            agents[index].name
        ),
        snippet: (line > 0).then(|| snippet(text, line, column)).flatten(),
    })
}

/// Where `conductor.agents[index]` is written, read again only to point at it.
fn agent_place(text: &str, index: usize) -> Option<(usize, usize)> {
    use serde::de::IgnoredAny;
    use serde_saphyr::Spanned;
    #[derive(serde::Deserialize)]
    struct Doc {
        conductor: Option<Conductor>,
    }
    #[derive(serde::Deserialize)]
    struct Conductor {
        #[serde(default)]
        agents: Vec<Spanned<IgnoredAny>>,
    }
    let doc: Doc = serde_saphyr::from_str(text).ok()?;
    let place = doc.conductor?.agents.get(index)?.referenced;
    (place.line() > 0).then(|| (to_usize(place.line()), to_usize(place.column())))
}

/// The first explicit YAML tag (`!!binary`, `!custom`) in `text`, as `(line, column, message)`.
/// shiprig's files are plain data: a tag would change how a value is read (`!!binary` decodes
/// base64) or mean something to another tool, so none is accepted. Syntax errors are left to
/// the deserializer, which reports them with their place.
pub(crate) fn explicit_tag(text: &str) -> Option<(usize, usize, String)> {
    use granit_parser::{Event, Parser};
    for event in Parser::new_from_str(text) {
        let (event, span) = event.ok()?;
        let tag = match event {
            Event::Scalar(_, _, _, tag)
            | Event::SequenceStart(_, _, tag)
            | Event::MappingStart(_, _, tag) => tag,
            _ => None,
        };
        if let Some(tag) = tag {
            let (line, node) = (span.start.line(), span.start.col());
            // The tag is written before its node, on the same line: point at its `!`.
            let source: String = text
                .lines()
                .nth(line.saturating_sub(1))
                .unwrap_or_default()
                .chars()
                .collect();
            let before: String = source.chars().take(node).collect();
            let (column, written) = match before.rfind('!') {
                Some(mut at) => {
                    // `!!binary`: start at the first `!` of the handle.
                    while before[..at].ends_with('!') {
                        at -= 1;
                    }
                    let column = before[..at].chars().count() + 1;
                    let written: String = before[at..]
                        .chars()
                        .take_while(|c| !c.is_whitespace())
                        .take(60)
                        .collect();
                    (column, written)
                }
                None => (node + 1, tag.to_string()),
            };
            return Some((
                line,
                column,
                format!("YAML tag `{written}` is not accepted: write the plain value"),
            ));
        }
    }
    None
}

/// Turns serde-saphyr's error into a [`ConfigError`] with shiprig's wording.
fn convert(file: &str, text: &str, err: &serde_saphyr::Error) -> ConfigError {
    let err = err.without_snippet();
    let raw = DefaultMessageFormatter.format_message(err);
    let (mut line, mut column) = err
        .location()
        .map_or((0, 0), |l| (to_usize(l.line()), to_usize(l.column())));
    let mut message = raw.as_ref();
    if let Some((l, c, rest)) = split_located(message) {
        (line, column, message) = (l, c, rest);
    }
    let mut message = one_line(message);
    let mut secret = message.contains(SECRET_HINT);
    if let serde_saphyr::Error::SerdeUnknownField {
        field, expected, ..
    } = err
    {
        let hint = unknown_field_hint(field, expected);
        secret |= hint.secret;
        message.push_str(&hint.text);
    }
    let snippet = (!secret && line > 0)
        .then(|| snippet(text, line, column))
        .flatten();
    ConfigError {
        file: file.to_owned(),
        line,
        column,
        message,
        snippet,
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Control characters (a key with a newline in it) are shown escaped, never raw.
fn one_line(message: &str) -> String {
    message
        .chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_debug().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

struct Hint {
    text: String,
    secret: bool,
}

/// Words in a key that suggest someone is about to paste a secret into the config.
const SECRET_WORDS: &[&str] = &["token", "secret", "password", "webhook", "key", "private"];

/// Extra help for an unknown key: where secrets go instead, or the likely spelling.
fn unknown_field_hint(field: &str, expected: &[&str]) -> Hint {
    let lower = field.to_ascii_lowercase();
    if SECRET_WORDS.iter().any(|w| lower.contains(w)) && !lower.ends_with("_env") {
        let env_key = format!("{field}_env");
        let text = if expected.contains(&env_key.as_str()) {
            format!(
                "; {SECRET_HINT}: set `{env_key}` to the name of the environment variable that holds it"
            )
        } else {
            format!("; {SECRET_HINT}: name the environment variable that holds it in a `*_env` key")
        };
        return Hint { text, secret: true };
    }
    let text = closest(field, expected)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default();
    Hint {
        text,
        secret: false,
    }
}

/// The expected key within two edits of `field`, if there is one.
fn closest<'a>(field: &str, expected: &[&'a str]) -> Option<&'a str> {
    expected
        .iter()
        .map(|e| (edit_distance(field, e), *e))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, e)| e)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The source line with a caret under `column`.
fn snippet(text: &str, line: usize, column: usize) -> Option<String> {
    const MAX: usize = 160;
    let source = text.lines().nth(line.checked_sub(1)?)?;
    let source = one_line(&source.chars().take(MAX).collect::<String>());
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    let indent: String = text
        .lines()
        .nth(line - 1)?
        .chars()
        .take(column.saturating_sub(1).min(MAX))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    Some(format!("{pad} |\n{number} | {source}\n{pad} | {indent}^"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_suggests_the_key() {
        assert_eq!(
            closest("aprovers", &["version", "approvers"]),
            Some("approvers")
        );
        assert_eq!(closest("zzz", &["version", "approvers"]), None);
    }

    #[test]
    fn secret_keys_point_to_env() {
        let hint = unknown_field_hint("token", &["token_env", "list"]);
        assert!(hint.secret);
        assert!(hint.text.contains("`token_env`"), "{}", hint.text);
    }

    #[test]
    fn snippet_points_at_the_column() {
        let s = snippet("a: 1\nbb: [x\n", 2, 5).unwrap();
        assert_eq!(s, "  |\n2 | bb: [x\n  |     ^");
    }

    #[test]
    fn display_without_a_place() {
        let err = ConfigError {
            file: "x.yml".into(),
            line: 0,
            column: 0,
            message: "cannot read".into(),
            snippet: None,
        };
        assert_eq!(err.to_string(), "x.yml: cannot read");
    }
}
