//! Validated scalar values of the config: durations, path globs and diff patterns.
//!
//! Each type parses and compiles while the YAML is being deserialized, so a bad value is
//! reported with the line and column it came from, and nothing downstream re-parses text.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A span of time written the way people write it: `90s`, `30m`, `6h`, `1h 30m`.
///
/// Parsed with humantime; serialized back to humantime's canonical text, so a config printed
/// by shiprig reads like the one the user wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub std::time::Duration);

impl Duration {
    /// Whole seconds, hours and minutes, as the defaults are written.
    pub const fn from_secs(secs: u64) -> Self {
        Self(std::time::Duration::from_secs(secs))
    }

    /// Parses humantime text, with an error that says what a duration looks like.
    pub fn parse(text: &str) -> Result<Self, String> {
        humantime::parse_duration(text.trim()).map(Self).map_err(|err| {
            format!(
                "invalid duration `{text}`: {err}; expected a duration like `90s`, `30m`, `6h` or `1h 30m`"
            )
        })
    }
}

impl From<Duration> for std::time::Duration {
    fn from(value: Duration) -> Self {
        value.0
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(D::Error::custom)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A duration in humantime syntax, e.g. `90s`, `30m`, `6h`, `1h 30m`.",
            "examples": ["6h", "30m", "90s"],
        })
    }
}

/// A path glob over repository-relative paths, compiled once when the config is read.
///
/// Matching is against the whole path as GitHub reports it (`src/auth/login.rs`, no leading
/// slash), with `literal_separator` on: `*` and `?` stay within one path segment, `**` crosses
/// any number of them. So `src/auth/*` matches `src/auth/login.rs` but not
/// `src/auth/oauth/google.rs`; `src/auth/**` matches both; `**/session*` matches a file whose
/// name starts with `session` in any folder.
///
/// Relation to CODEOWNERS: CODEOWNERS uses gitignore rules, where a pattern without a slash
/// (`*.sql`) floats to any depth and a leading `/` anchors it. shiprig globs are always
/// anchored at the repository root and never float, so `**/*.sql` is the spelling of
/// "any `.sql` file". `shiprig codeowners` writes each glob with a leading `/`, which gives the
/// same set of files under both readings. A leading `/` in the config itself is refused: it
/// would never match a path GitHub reports, and a rule that silently matches nothing is worse
/// than an error.
#[derive(Debug, Clone)]
pub(crate) struct Glob {
    source: String,
    glob: globset::Glob,
}

impl Glob {
    /// Compiles `source` with shiprig's matching rules.
    pub(crate) fn new(source: &str) -> Result<Self, String> {
        if source.is_empty() {
            return Err("empty glob; expected a path pattern like `src/auth/**`".into());
        }
        if source.starts_with('/') {
            return Err(format!(
                "glob `{source}` starts with `/`; paths are relative to the repository root, write `{}`",
                source.trim_start_matches('/')
            ));
        }
        let glob = globset::GlobBuilder::new(source)
            .literal_separator(true)
            .build()
            .map_err(|err| format!("invalid glob `{source}`: {}", err.kind()))?;
        Ok(Self {
            source: source.to_owned(),
            glob,
        })
    }

    /// The text as written in the config.
    pub(crate) fn as_str(&self) -> &str {
        &self.source
    }

    /// The compiled glob, for building a `GlobSet`.
    pub(crate) fn glob(&self) -> &globset::Glob {
        &self.glob
    }

    /// Whether this single glob matches a repository path.
    #[cfg(test)]
    pub(crate) fn is_match(&self, path: &str) -> bool {
        self.glob.compile_matcher().is_match(path)
    }
}

impl PartialEq for Glob {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Glob {}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Serialize for Glob {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for Glob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::new(&text).map_err(D::Error::custom)
    }
}

impl JsonSchema for Glob {
    fn schema_name() -> Cow<'static, str> {
        "Glob".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            "pattern": "^[^/]",
            "description": "A repository-relative path glob: `*` stays within one folder, `**` crosses folders.",
            "examples": ["src/auth/**", "**/*.sql"],
        })
    }
}

/// The compiled-size budget of one regular expression, and of all of a config's
/// `diff_patterns` together (the gate matches them as one set). Compiling stops as soon as the
/// budget is passed, so a hostile pattern costs milliseconds, never seconds or gigabytes.
pub(crate) const REGEX_BUDGET: usize = 2 * 1024 * 1024;

/// A regular expression (Rust `regex` syntax). Its syntax is checked when the config is read,
/// without compiling it: the gate compiles every `diff_patterns` entry once, as one set within
/// [`REGEX_BUDGET`] (`gate.rules` is checked that way when read), and a pattern matched alone
/// (`smoke.checks[].expect_body_regex`) is compiled within the budget when read, through
/// [`Pattern::compiled`]. Compiling a Unicode pattern costs far more than parsing it: checking
/// each diff pattern by compiling it alone took a fifth of a gate run's instructions.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    regex: std::sync::Arc<std::sync::OnceLock<regex::Regex>>,
}

impl Pattern {
    /// Checks the syntax of `source` (what `regex` would reject as a syntax error), with a
    /// one-line error naming what is wrong; compiles nothing.
    pub(crate) fn new(source: &str) -> Result<Self, String> {
        regex_syntax::ParserBuilder::new()
            .build()
            .parse(source)
            .map_err(|err| regex_error(source, &regex::Error::Syntax(err.to_string())))?;
        Ok(Self {
            source: source.to_owned(),
            regex: Default::default(),
        })
    }

    /// [`Pattern::new`], compiled now within [`REGEX_BUDGET`]: for a pattern matched alone.
    pub(crate) fn compiled(source: &str) -> Result<Self, String> {
        let pattern = Self::new(source)?;
        let regex = compile(source)?;
        let _ = pattern.regex.set(regex);
        Ok(pattern)
    }

    /// The text as written in the config.
    pub(crate) fn as_str(&self) -> &str {
        &self.source
    }

    /// The compiled expression.
    pub(crate) fn regex(&self) -> &regex::Regex {
        self.regex.get_or_init(|| {
            compile(&self.source).unwrap_or_else(|_| {
                // Compiled within the budget when read (`compiled`, or the gate's set).
                regex::Regex::new("[^\\s\\S]").expect("a pattern that matches nothing")
            })
        })
    }

    /// Whether the expression matches anywhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex().is_match(text)
    }
}

fn compile(source: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(source)
        .size_limit(REGEX_BUDGET)
        .dfa_size_limit(REGEX_BUDGET)
        .build()
        .map_err(|err| regex_error(source, &err))
}

/// regex's syntax errors are a multi-line drawing; its last line says what is wrong.
pub(crate) fn regex_error(source: &str, err: &regex::Error) -> String {
    let shown: String = source.chars().take(80).collect();
    if let regex::Error::CompiledTooBig(_) = err {
        return format!(
            "regex `{shown}` compiles to more than the {} MiB budget: use a smaller repetition, or ASCII classes (`(?-u:\\w)`)",
            REGEX_BUDGET / (1024 * 1024)
        );
    }
    let text = err.to_string();
    let reason = text.lines().last().unwrap_or_default().trim();
    let reason = reason.strip_prefix("error: ").unwrap_or(reason);
    format!("invalid regex `{shown}`: {reason}")
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Pattern {}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::new(&text).map_err(D::Error::custom)
    }
}

impl JsonSchema for Pattern {
    fn schema_name() -> Cow<'static, str> {
        "Pattern".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "regex",
            "description": "A regular expression (Rust `regex` syntax) matched against added and removed diff lines.",
            "examples": ["(?i)\\bDELETE\\s+FROM\\b"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_stays_in_one_folder_and_double_star_crosses() {
        let one = Glob::new("src/auth/*").unwrap();
        let all = Glob::new("src/auth/**").unwrap();
        assert!(one.is_match("src/auth/login.rs"));
        assert!(!one.is_match("src/auth/oauth/google.rs"));
        assert!(all.is_match("src/auth/oauth/google.rs"));
        assert!(Glob::new("**/session*").unwrap().is_match("session.rs"));
    }

    #[test]
    fn leading_slash_is_refused_with_the_fix() {
        let err = Glob::new("/src/auth/**").unwrap_err();
        assert!(err.contains("write `src/auth/**`"), "{err}");
    }

    #[test]
    fn bad_glob_names_the_problem() {
        let err = Glob::new("src/[auth").unwrap_err();
        assert!(
            err.starts_with("invalid glob `src/[auth`: unclosed character class"),
            "{err}"
        );
    }

    #[test]
    fn bad_regex_is_one_line() {
        let err = Pattern::new(r"(?i)\bDELETE(").unwrap_err();
        assert_eq!(err, r"invalid regex `(?i)\bDELETE(`: unclosed group");
    }

    #[test]
    fn durations_read_and_print_like_people_write_them() {
        assert_eq!(
            Duration::parse("6h").unwrap(),
            Duration::from_secs(6 * 3600)
        );
        assert_eq!(Duration::parse("1h 30m").unwrap().to_string(), "1h 30m");
        let err = Duration::parse("6 hours please").unwrap_err();
        assert!(err.contains("expected a duration like"), "{err}");
    }
}
