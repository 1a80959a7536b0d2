//! Deserialization helpers that check values as they are read, so errors keep their location.
//!
//! serde's `Error::custom` only takes a message; serde-saphyr attaches the location of the
//! value being read. Where the right place to point at is elsewhere (the second of two
//! duplicate agents, the second dispatch backend), [`located`] writes the location into the
//! message as a readable `at line L, column C: ` prefix, and `load` lifts it back out.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_saphyr::{Location, Spanned};

/// Prefix that carries an explicit location inside a custom error message.
pub(crate) const LOCATED_PREFIX: &str = "at line ";

/// An error message pinned to `location` rather than to the value serde is reading.
pub(crate) fn located<E: serde::de::Error>(location: Location, message: impl fmt::Display) -> E {
    E::custom(located_message(location, message))
}

/// The text of a [`located`] error, for `TryFrom` conversions that return a `String`.
pub(crate) fn located_message(location: Location, message: impl fmt::Display) -> String {
    if location == Location::UNKNOWN {
        return message.to_string();
    }
    format!(
        "{LOCATED_PREFIX}{}, column {}: {message}",
        location.line(),
        location.column()
    )
}

/// Splits a message made by [`located`] into `(line, column, message)`.
pub(crate) fn split_located(message: &str) -> Option<(usize, usize, &str)> {
    let rest = message.strip_prefix(LOCATED_PREFIX)?;
    let (line, rest) = rest.split_once(", column ")?;
    let (column, rest) = rest.split_once(": ")?;
    Some((line.parse().ok()?, column.parse().ok()?, rest))
}

/// A name that must not be empty (a label, a branch, a check name): an empty one would
/// silently match nothing.
pub(crate) fn non_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text.trim().is_empty() {
        Err(D::Error::custom("empty value: expected a non-empty name"))
    } else {
        Ok(text)
    }
}

/// Whether `name` is a lowercase slug: `[a-z0-9][a-z0-9_-]*`.
pub(crate) fn is_slug(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A name used in labels and commands: an agent name, a gate category.
pub(crate) fn slug<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let name = String::deserialize(deserializer)?;
    if is_slug(&name) {
        Ok(name)
    } else {
        Err(D::Error::custom(format!(
            "invalid name `{name}`: expected lowercase letters, digits, `-` and `_`, \
             starting with a letter or digit (like `agent-1`)"
        )))
    }
}

/// Said wherever a secret would otherwise be written into the config; `load` also reads it as
/// "do not show the source line".
pub(crate) const SECRET_HINT: &str = "the config never holds secrets";

/// The name of an environment variable (`SLACK_WEBHOOK_URL`), never the secret itself.
///
/// The rejected value is not echoed: someone who pasted a token here must not see it in CI logs.
pub(crate) fn env_name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let name = String::deserialize(deserializer)?;
    check_env_name(&name).map_err(D::Error::custom)?;
    Ok(name)
}

/// An optional text that is not blank when given.
pub(crate) fn optional_non_empty<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    if text.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(D::Error::custom("empty value: leave the key out instead"));
    }
    Ok(text)
}

/// Whether `name` is a secret the agent workflow hands an agent as its token:
/// `SHIPRIG_AGENT_TOKEN`, `SHIPRIG_AGENT_TOKEN_REVIEWER` or `SHIPRIG_AGENT_TOKEN_1` to `_9`. The
/// workflow names each one (indexing `secrets` with an input would send every secret to the
/// runner).
pub fn agent_token_slot(name: &str) -> bool {
    match name.strip_prefix("SHIPRIG_AGENT_TOKEN") {
        Some("") | Some("_REVIEWER") => true,
        Some(rest) => matches!(rest.as_bytes(), [b'_', b'1'..=b'9']),
        None => false,
    }
}

/// An agent's token secret: one of the names the agent workflow hands an agent as its token
/// ([`agent_token_slot`]).
pub(crate) fn agent_token_secret<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let name = Option::<String>::deserialize(deserializer)?;
    if let Some(name) = &name {
        check_env_name(name).map_err(D::Error::custom)?;
        if !agent_token_slot(name) {
            return Err(D::Error::custom(format!(
                "token_secret `{name}` must be `SHIPRIG_AGENT_TOKEN`, `SHIPRIG_AGENT_TOKEN_REVIEWER` or `SHIPRIG_AGENT_TOKEN_1` to `SHIPRIG_AGENT_TOKEN_9`: the agent workflow names each of these secrets and hands an agent no other as its token"
            )));
        }
    }
    Ok(name)
}

/// [`env_name`] for an optional key; `null` is allowed.
pub(crate) fn optional_env_name<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let name = Option::<String>::deserialize(deserializer)?;
    if let Some(name) = &name {
        check_env_name(name).map_err(D::Error::custom)?;
    }
    Ok(name)
}

/// A list of environment variable names.
pub(crate) fn env_names<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    let names = Vec::<String>::deserialize(deserializer)?;
    for name in &names {
        check_env_name(name).map_err(D::Error::custom)?;
        if crate::secrets::FILE_CHANNELS.contains(&name.as_str()) {
            return Err(D::Error::custom(format!(
                "`{name}` is a file through which a step changes the job it runs in; the \
                 programs shiprig starts never get it"
            )));
        }
    }
    Ok(names)
}

fn check_env_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected the name of an environment variable, like `CLICKUP_TOKEN` \
             (uppercase letters, digits and `_`): {SECRET_HINT}, only where to find them"
        ))
    }
}

fn check_argv(argv: &[String]) -> Result<(), String> {
    match argv.first() {
        None => {
            Err("empty command: expected a list like [\"./scripts/deploy.sh\", \"staging\"]".into())
        }
        Some(program) if program.trim().is_empty() => {
            Err("the command's first element (the program) is empty".into())
        }
        Some(_) => Ok(()),
    }
}

/// A program and its arguments, never a shell string: at least the program.
pub(crate) fn argv<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let argv = Vec::<String>::deserialize(deserializer)?;
    check_argv(&argv).map_err(D::Error::custom)?;
    Ok(argv)
}

/// A list of commands, each a non-empty argv; the error points at the empty one.
pub(crate) fn argv_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Vec<String>>, D::Error> {
    let list = Vec::<Spanned<Vec<String>>>::deserialize(deserializer)?;
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        check_argv(&item.value).map_err(|msg| located(item.referenced, msg))?;
        out.push(item.value);
    }
    Ok(out)
}

/// Something in a list whose name must be unique within it.
pub(crate) trait Named {
    /// What the list holds, for the message (`agent`, `smoke check`).
    const KIND: &'static str;
    fn name(&self) -> &str;
}

/// A list whose entries have unique names; a repeat is reported where it appears.
pub(crate) fn unique<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Named + Deserialize<'de>,
{
    let items = Vec::<Spanned<T>>::deserialize(deserializer)?;
    let mut seen: BTreeMap<String, Location> = BTreeMap::new();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let name = item.value.name().to_owned();
        if let Some(first) = seen.get(&name) {
            return Err(located(
                item.referenced,
                format!(
                    "duplicate {} name `{name}` (first defined at line {}); names must be unique",
                    T::KIND,
                    first.line()
                ),
            ));
        }
        seen.insert(name, item.referenced);
        out.push(item.value);
    }
    Ok(out)
}

/// A map key that is a JSON pointer (RFC 6901): empty for the whole document, else `/…`.
struct PointerKey(String);

impl<'de> Deserialize<'de> for PointerKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = String::deserialize(deserializer)?;
        check_pointer(&key).map_err(D::Error::custom)?;
        Ok(Self(key))
    }
}

/// Checks a JSON pointer, the way `serde_json::Value::pointer` will read it.
pub(crate) fn check_pointer(pointer: &str) -> Result<(), String> {
    if pointer.is_empty() || pointer.starts_with('/') {
        Ok(())
    } else {
        Err(format!(
            "invalid JSON pointer `{pointer}`: expected it to start with `/`, like `/status` or `/data/0/id`"
        ))
    }
}

/// A JSON pointer value (for `expect_version.pointer`).
pub(crate) fn pointer<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let pointer = Option::<String>::deserialize(deserializer)?;
    if let Some(p) = &pointer {
        check_pointer(p).map_err(D::Error::custom)?;
    }
    Ok(pointer)
}

/// `expect_json`: JSON pointer → expected value.
pub(crate) fn pointer_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, serde_json::Value>, D::Error> {
    let map = BTreeMap::<PointerKey, serde_json::Value>::deserialize(deserializer)?;
    Ok(map.into_iter().map(|(k, v)| (k.0, v)).collect())
}

impl PartialEq for PointerKey {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl Eq for PointerKey {}
impl PartialOrd for PointerKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for PointerKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

/// A map whose keys are slugs (gate categories become `human-gate:<category>` labels).
pub(crate) fn slug_map<'de, D, T>(deserializer: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct SlugMap<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for SlugMap<T> {
        type Value = BTreeMap<String, T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a mapping from category name to rule")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if !is_slug(&key) {
                    return Err(A::Error::custom(format!(
                        "invalid category name `{key}`: expected lowercase letters, digits, \
                         `-` and `_` (it becomes the label `human-gate:{key}`)"
                    )));
                }
                let value = map.next_value::<T>()?;
                out.insert(key, value);
            }
            Ok(out)
        }
    }
    deserializer.deserialize_map(SlugMap(std::marker::PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn located_round_trips() {
        let msg: serde_json::Error = serde::de::Error::custom("at line 4, column 7: boom");
        assert!(msg.to_string().starts_with("at line 4"));
        assert_eq!(
            split_located("at line 4, column 7: boom"),
            Some((4, 7, "boom"))
        );
        assert_eq!(split_located("unknown field `x`"), None);
    }

    #[test]
    fn slugs() {
        assert!(is_slug("agent-1"));
        assert!(is_slug("a_b"));
        assert!(!is_slug("Agent"));
        assert!(!is_slug("agent 1"));
        assert!(!is_slug("-x"));
        assert!(!is_slug(""));
    }
}
