//! GitHub's states (of issues, pull requests, milestones, check and workflow runs, commit
//! statuses, reviews and a pull request's changed files), parsed once here so features match on enums, never on strings.
//!
//! Each enum reads and writes GitHub's own spelling, so a value round-trips unchanged. A value
//! GitHub adds later lands in `Other` with its text, and `Other` is never a pass.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One GitHub state enum: its known values with GitHub's spelling, and `Other` for the rest.
macro_rules! github_state {
    (
        $(#[$meta:meta])*
        $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value shiprig does not know, as GitHub sent it: never treated as a pass.
            Other(String),
        }

        impl $name {
            /// GitHub's spelling.
            pub(crate) fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(text) => text,
                }
            }

            /// Reads GitHub's spelling (exactly, as GitHub sends it).
            pub(crate) fn parse(text: &str) -> $name {
                match text {
                    $($text => $name::$variant,)+
                    other => $name::Other(other.to_string()),
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> $name {
                $name::parse(text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let text = String::deserialize(deserializer)?;
                Ok($name::parse(&text))
            }
        }
    };
}

github_state! {
    /// A changed file's `status` in a pull request's file list.
    FileStatus {
        Added = "added",
        Removed = "removed",
        Modified = "modified",
        Renamed = "renamed",
        Copied = "copied",
        Changed = "changed",
        Unchanged = "unchanged",
    }
}

github_state! {
    /// An issue's `state`.
    IssueState {
        Open = "open",
        Closed = "closed",
    }
}

github_state! {
    /// A pull request's `state`. The REST API says `closed` for a merged pull request too
    /// (`merged_at` tells them apart); GraphQL says `MERGED`.
    PullState {
        Open = "open",
        Closed = "closed",
        Merged = "merged",
    }
}

github_state! {
    /// A milestone's `state`.
    MilestoneState {
        Open = "open",
        Closed = "closed",
    }
}

github_state! {
    /// Where a check run or a workflow run is (`status`).
    RunStatus {
        Queued = "queued",
        InProgress = "in_progress",
        Completed = "completed",
        Waiting = "waiting",
        Requested = "requested",
        Pending = "pending",
    }
}

github_state! {
    /// How a completed check run or workflow run ended (`conclusion`).
    RunConclusion {
        Success = "success",
        Failure = "failure",
        Neutral = "neutral",
        Cancelled = "cancelled",
        Skipped = "skipped",
        TimedOut = "timed_out",
        ActionRequired = "action_required",
        StartupFailure = "startup_failure",
        Stale = "stale",
    }
}

impl RunConclusion {
    /// Green: success, or a run that chose not to judge (neutral, skipped).
    pub(crate) fn is_green(&self) -> bool {
        matches!(
            self,
            RunConclusion::Success | RunConclusion::Neutral | RunConclusion::Skipped
        )
    }

    /// Red: an ending that means the work did not pass.
    pub(crate) fn is_red(&self) -> bool {
        matches!(
            self,
            RunConclusion::Failure
                | RunConclusion::TimedOut
                | RunConclusion::Cancelled
                | RunConclusion::ActionRequired
                | RunConclusion::StartupFailure
        )
    }
}

github_state! {
    /// A commit status's `state`.
    CommitState {
        Success = "success",
        Failure = "failure",
        Error = "error",
        Pending = "pending",
    }
}

github_state! {
    /// A pull request review's `state`.
    ReviewState {
        Approved = "APPROVED",
        ChangesRequested = "CHANGES_REQUESTED",
        Commented = "COMMENTED",
        Dismissed = "DISMISSED",
        Pending = "PENDING",
    }
}

impl ReviewState {
    /// A review that decides (approves, requests changes, or withdraws a decision by being
    /// dismissed); comments and pending reviews leave the reviewer's last decision standing.
    pub(crate) fn is_decisive(&self) -> bool {
        matches!(
            self,
            ReviewState::Approved | ReviewState::ChangesRequested | ReviewState::Dismissed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_and_closed_read_and_write_github_spelling() {
        let state: PullState = serde_json::from_str("\"closed\"").unwrap();
        assert_eq!(state, PullState::Closed);
        assert_eq!(serde_json::to_string(&state).unwrap(), "\"closed\"");
        assert_eq!(IssueState::Closed.to_string(), "closed");
        assert_eq!(MilestoneState::parse("open"), MilestoneState::Open);
        assert_eq!(IssueState::parse("OPEN"), IssueState::Other("OPEN".into()));
    }

    #[test]
    fn unknown_conclusions_are_kept_and_never_pass() {
        assert_eq!(RunConclusion::parse("timed_out"), RunConclusion::TimedOut);
        assert!(RunConclusion::TimedOut.is_red());
        let conclusion: RunConclusion = serde_json::from_str("\"brand_new\"").unwrap();
        assert_eq!(conclusion, RunConclusion::Other("brand_new".into()));
        assert!(!conclusion.is_green());
        assert_eq!(serde_json::to_string(&conclusion).unwrap(), "\"brand_new\"");
        assert_eq!(RunStatus::parse("in_progress"), RunStatus::InProgress);
    }

    #[test]
    fn commit_states_are_read_exactly() {
        assert_eq!(CommitState::parse("success"), CommitState::Success);
        assert_ne!(CommitState::parse("SUCCESS"), CommitState::Success);
    }

    #[test]
    fn review_states_round_trip_and_unknown_ones_decide_nothing() {
        let state: ReviewState = serde_json::from_str("\"CHANGES_REQUESTED\"").unwrap();
        assert_eq!(state, ReviewState::ChangesRequested);
        assert_eq!(
            serde_json::to_string(&state).unwrap(),
            "\"CHANGES_REQUESTED\""
        );
        assert_ne!(ReviewState::parse("approved"), ReviewState::Approved);
        assert!(!ReviewState::parse("RETRACTED").is_decisive());
    }
}
