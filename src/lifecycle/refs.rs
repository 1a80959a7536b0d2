//! Closing references in a pull request body: GitHub's keywords (`close`, `closes`, `closed`,
//! `fix`, `fixes`, `fixed`, `resolve`, `resolves`, `resolved`, any case, optional colon) before
//! `#N`, `owner/repo#N` or an issue URL.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::github::Repo;

/// An issue in some repository.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub(crate) struct IssueRef {
    pub(crate) repo: Repo,
    pub(crate) number: u64,
}

impl fmt::Display for IssueRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.repo, self.number)
    }
}

static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b:?[ \t]+(?:https?://[^/\s]+/([\w.-]+)/([\w.-]+)/issues/|([\w.-]+)/([\w.-]+)#|#)(\d+)\b",
    )
    .expect("closing-keyword regex")
});

/// Every issue `text` closes, in order of first mention, without repeats; `#N` means `repo`.
pub(crate) fn closing_refs(text: &str, repo: &Repo) -> Vec<IssueRef> {
    let mut found: Vec<IssueRef> = Vec::new();
    for caps in CLOSING.captures_iter(text) {
        let owner = caps.get(1).or(caps.get(3)).map(|m| m.as_str());
        let name = caps.get(2).or(caps.get(4)).map(|m| m.as_str());
        let target = match (owner, name) {
            (Some(o), Some(n)) => match format!("{o}/{n}").parse::<Repo>() {
                Ok(r) => r,
                Err(_) => continue,
            },
            _ => repo.clone(),
        };
        let Ok(number) = caps[5].parse::<u64>() else {
            continue;
        };
        let at = IssueRef {
            repo: target,
            number,
        };
        if !found.contains(&at) {
            found.push(at);
        }
    }
    found
}
