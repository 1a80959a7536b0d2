//! Keeping shiprig's secrets to shiprig: userinfo in URLs is blanked before anything is
//! printed, and the programs shiprig starts (deploy commands, the `command` agent backend) do
//! not inherit its tokens, keys or webhook URLs unless the config lists them under `env:`.

use std::borrow::Cow;

/// Variables shiprig itself reads that hold secrets.
pub const SHIPRIG_SECRETS: &[&str] = &[
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "SHIPRIG_APP_PRIVATE_KEY",
    "SHIPRIG_AGENT_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
];

/// Name endings that mark a secret (`SLACK_WEBHOOK_URL`, `CLICKUP_TOKEN`, `ANTHROPIC_API_KEY`).
const SECRET_ENDINGS: &[&str] = &[
    "_TOKEN",
    "_KEY",
    "_SECRET",
    "_PASSWORD",
    "_WEBHOOK_URL",
    "_PRIVATE_KEY",
];

/// Whether a variable of this name is withheld from the programs shiprig starts.
pub fn is_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SHIPRIG_SECRETS.contains(&upper.as_str()) || SECRET_ENDINGS.iter().any(|e| upper.ends_with(e))
}

/// The names, among `present`, that a child must not inherit: secrets not listed in `allowed`.
pub fn withheld<'a>(present: impl IntoIterator<Item = &'a str>, allowed: &[String]) -> Vec<String> {
    present
        .into_iter()
        .filter(|name| is_secret(name) && !allowed.iter().any(|a| a == name))
        .map(str::to_string)
        .collect()
}

/// Removes shiprig's secrets from what `command` inherits, except the `allowed` ones.
pub fn withhold(command: &mut tokio::process::Command, allowed: &[String]) {
    let names: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .collect();
    for name in withheld(names.iter().map(String::as_str), allowed) {
        command.env_remove(name);
    }
}

/// `text` with the userinfo of every URL in it blanked: `https://user:pass@host/x` becomes
/// `https://***@host/x`.
pub fn redact_urls(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let end = after
            .find(|c: char| c.is_whitespace() || "/?#\"'<>)]`".contains(c))
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(userinfo) => {
                out.push_str("***");
                out.push_str(&authority[userinfo..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}
