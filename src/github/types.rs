//! The small views of GitHub objects that more than one resource uses: a repository, a user,
//! a commit. Each resource keeps its own types beside its endpoints.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Repo {
    pub(crate) owner: String,
    pub(crate) name: String,
}

impl Repo {
    pub fn new(owner: impl Into<String>, name: impl Into<String>) -> Self {
        Repo {
            owner: owner.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for Repo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl FromStr for Repo {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid = |part: &str| {
            !part.is_empty()
                && !part.trim_matches('.').is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        match s.split_once('/') {
            Some((owner, name)) if valid(owner) && valid(name) => Ok(Repo::new(owner, name)),
            _ => Err(format!("expected a repository as OWNER/NAME, got {s:?}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct User {
    pub(crate) login: String,
    #[serde(rename = "type", default)]
    pub(crate) kind: String,
}

impl User {
    /// GitHub Apps and `[bot]` accounts.
    pub(crate) fn is_bot(&self) -> bool {
        self.kind == "Bot" || self.login.ends_with("[bot]")
    }
}

/// Labels arrive as objects (`{"name": …}`); shiprig only needs the names.
pub(super) fn label_names<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Label {
        Named { name: String },
        Plain(String),
    }
    let labels = Vec::<Label>::deserialize(deserializer)?;
    Ok(labels
        .into_iter()
        .map(|l| match l {
            Label::Named { name } | Label::Plain(name) => name,
        })
        .collect())
}

/// A commit as the compare, commit and pull request commit lists give it. `author` and
/// `committer` are `null` when GitHub cannot link the commit's email to an account; the git
/// names and emails in `commit` are always there.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct CommitInfo {
    pub(crate) sha: String,
    #[serde(default)]
    pub(crate) author: Option<User>,
    #[serde(default)]
    pub(crate) committer: Option<User>,
    pub(crate) commit: CommitMessage,
    #[serde(default)]
    pub(crate) parents: Vec<ParentRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct CommitMessage {
    pub(crate) message: String,
    #[serde(default)]
    pub(crate) author: Option<GitIdentity>,
    #[serde(default)]
    pub(crate) committer: Option<GitIdentity>,
}

/// A git author or committer line: what the commit says, linked to an account or not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct GitIdentity {
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct ParentRef {
    pub(crate) sha: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repos_parse_strictly() {
        assert_eq!(
            "acme/rig".parse::<Repo>().unwrap(),
            Repo::new("acme", "rig")
        );
        assert!("acme".parse::<Repo>().is_err());
        assert!("acme/rig/x".parse::<Repo>().is_err());
        assert!("../x".parse::<Repo>().is_err());
    }
}
