//! Repository permission levels, as the config names them and GitHub's API reports them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A repository permission level, ordered from least to most.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    Read,
    Triage,
    Write,
    Maintain,
    Admin,
}

impl Permission {
    /// Reads the permission names GitHub's API uses, including the legacy `pull`/`push`.
    /// `none` and unknown names give `None`: no permission, never a guess.
    pub fn from_github(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "read" | "pull" => Some(Self::Read),
            "triage" => Some(Self::Triage),
            "write" | "push" => Some(Self::Write),
            "maintain" => Some(Self::Maintain),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    /// The lowercase name, as in the config and GitHub's API.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Triage => "triage",
            Self::Write => "write",
            Self::Maintain => "maintain",
            Self::Admin => "admin",
        }
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
