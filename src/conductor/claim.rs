//! The claim protocol: how two ticks running at once settle who starts an issue.
//!
//! GitHub has no compare-and-swap on labels, and adding a label twice leaves no trace, so a
//! claim also posts a comment carrying a hidden marker. Comment ids only grow, which orders
//! every claim. After claiming, a tick re-reads the issue and the agent's other claimed issues:
//! the claim with the lowest comment id wins, on the issue and for the agent. The loser
//! withdraws before dispatching anything; the winner dispatches. A claim that verifies first
//! can never lose later, because any later claim posts a higher id.

use chrono::{DateTime, Duration, Utc};

use crate::github::Comment;

/// Claims older than this (counted from one's own) belong to an earlier round of the issue.
pub const CLAIM_WINDOW_MINUTES: i64 = 10;

pub fn marker(agent: &str) -> String {
    format!("<!-- shiprig:claim agent={agent} -->")
}

/// A live claim read back from a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub comment_id: u64,
    pub agent: String,
    pub at: DateTime<Utc>,
}

/// The marker of a request to an agent (`kind`: `fix` or `review`) about a pull request's `sha`.
pub fn task_marker(kind: &str, agent: &str, sha: &str) -> String {
    format!("<!-- shiprig:{kind} agent={agent} sha={sha} -->")
}

/// The `key=value` fields of every `<!-- shiprig:KIND … -->` marker in a text.
pub fn marker_fields(body: &str, kind: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let opening = format!("<!-- shiprig:{kind} ");
    body.match_indices(&opening)
        .filter_map(|(at, _)| {
            let rest = &body[at + opening.len()..];
            let inner = &rest[..rest.find("-->")?];
            Some(
                inner
                    .split_whitespace()
                    .filter_map(|pair| pair.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        })
        .collect()
}

/// Requests of one kind in a list of comments, as claims (the `agent` is who was sent) per sha.
pub fn task_claims(comments: &[Comment], kind: &str, sha: &str) -> Vec<Claim> {
    comments
        .iter()
        .flat_map(|c| {
            let body = c.body.as_deref().unwrap_or_default();
            marker_fields(body, kind)
                .into_iter()
                .filter(|f| f.get("sha").map(String::as_str) == Some(sha))
                .filter_map(|f| f.get("agent").cloned())
                .map(|agent| Claim {
                    comment_id: c.id,
                    agent,
                    at: c.created_at,
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The claims in a list of comments.
pub fn claims(comments: &[Comment]) -> Vec<Claim> {
    comments
        .iter()
        .filter_map(|c| {
            let body = c.body.as_deref()?;
            let start = body.find("<!-- shiprig:claim agent=")? + "<!-- shiprig:claim agent=".len();
            let end = body[start..].find(" -->")?;
            Some(Claim {
                comment_id: c.id,
                agent: body[start..start + end].to_string(),
                at: c.created_at,
            })
        })
        .collect()
}

/// Does `mine` lose to any rival? Rivals outside the window, or whose agent no longer holds
/// the claim label (`holds`), are past rounds and do not count.
pub fn loses(mine: &Claim, rivals: &[Claim], holds: impl Fn(&Claim) -> bool) -> Option<Claim> {
    let window_start = mine.at - Duration::minutes(CLAIM_WINDOW_MINUTES);
    rivals
        .iter()
        .filter(|r| r.comment_id != mine.comment_id && r.at >= window_start && holds(r))
        .filter(|r| r.comment_id < mine.comment_id)
        .min_by_key(|r| r.comment_id)
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(id: u64, agent: &str, minute: i64) -> Claim {
        let at = DateTime::from_timestamp(1_800_000_000 + minute * 60, 0).unwrap();
        Claim {
            comment_id: id,
            agent: agent.into(),
            at,
        }
    }

    #[test]
    fn the_lowest_live_claim_wins() {
        let mine = claim(11, "agent-1", 30);
        assert_eq!(
            loses(&mine, &[claim(10, "agent-1", 30)], |_| true).map(|c| c.comment_id),
            Some(10)
        );
        assert_eq!(loses(&mine, &[claim(12, "agent-2", 30)], |_| true), None);
        assert_eq!(
            loses(&mine, &[claim(10, "agent-2", 30)], |c| c.agent != "agent-2"),
            None,
            "withdrawn"
        );
        assert_eq!(
            loses(&mine, &[claim(3, "agent-1", 5)], |_| true),
            None,
            "an earlier round"
        );
    }

    #[test]
    fn claims_are_read_from_markers_only() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let comment = |id, body: &str| Comment {
            id,
            created_at: at,
            body: Some(body.into()),
            user: None,
            html_url: String::new(),
        };
        let found = claims(&[
            comment(1, &format!("{}\nagent-1 is starting", marker("agent-1"))),
            comment(2, "shiprig:claim agent=agent-9 without the marker"),
        ]);
        assert_eq!(
            found,
            vec![Claim {
                comment_id: 1,
                agent: "agent-1".into(),
                at
            }]
        );
    }
}
