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

/// The marker of the one comment that reports an agent's failure on an issue; it also closes
/// the round, so claims before it never count again.
pub(crate) const FAILED_MARKER: &str = "<!-- shiprig:agent-failed -->";

/// The marker kind of a handoff to the next agent of the fallback chain; a handoff also closes
/// the round, as an `agent-failed` report does.
pub(crate) const HANDOFF_KIND: &str = "handoff";

/// Whether a comment closes the round: an `agent-failed` report or a handoff.
fn closes_round(body: &str) -> bool {
    body.contains(FAILED_MARKER) || !marker_fields(body, HANDOFF_KIND).is_empty()
}

/// Claims older than this (counted from one's own) belong to an earlier round of the issue;
/// a claim with no dispatch after this long is a half-claim a later tick finishes or withdraws.
pub(crate) const CLAIM_WINDOW_MINUTES: i64 = 10;

/// The hidden marker of a claim comment. `tick` tells this tick's comment from a concurrent
/// tick's claim for the same agent, so a comment whose answer was lost is found again.
pub(crate) fn marker(agent: &str, tick: &str) -> String {
    format!("<!-- shiprig:claim agent={agent} tick={tick} -->")
}

/// The marker once the agent started: `run` is the dispatched run's id, or `started` for a
/// backend with no run to point at.
pub(crate) fn started_marker(agent: &str, tick: &str, run: Option<u64>) -> String {
    match run {
        Some(id) => format!("<!-- shiprig:claim agent={agent} tick={tick} run={id} -->"),
        None => format!("<!-- shiprig:claim agent={agent} tick={tick} started=1 -->"),
    }
}

/// A token unique to one claim attempt (time, process and a counter; no secret, no clock logic).
pub(crate) fn tick_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:x}{:x}{n:x}", nanos, std::process::id())
}

/// A claim read back from a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claim {
    pub(crate) comment_id: u64,
    pub(crate) agent: String,
    pub(crate) at: DateTime<Utc>,
}

/// A claim comment with everything its marker records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClaimRecord {
    pub(crate) comment_id: u64,
    pub(crate) agent: String,
    pub(crate) at: DateTime<Utc>,
    pub(crate) tick: String,
    /// The run the dispatch started, when the backend names one.
    pub(crate) run: Option<u64>,
    /// The agent was started (a run recorded, or a backend without runs said so).
    pub(crate) started: bool,
}

impl ClaimRecord {
    pub(crate) fn claim(&self) -> Claim {
        Claim {
            comment_id: self.comment_id,
            agent: self.agent.clone(),
            at: self.at,
        }
    }
}

/// The marker of a request to an agent (`kind`: `fix` or `review`) about a pull request's `sha`.
pub(crate) fn task_marker(kind: &str, agent: &str, sha: &str, tick: &str) -> String {
    format!("<!-- shiprig:{kind} agent={agent} sha={sha} tick={tick} -->")
}

/// The `key=value` fields of every `<!-- shiprig:KIND … -->` marker in a text.
pub(crate) fn marker_fields(
    body: &str,
    kind: &str,
) -> Vec<std::collections::BTreeMap<String, String>> {
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

/// The marker of a request to answer review `review` (on the head `sha`).
pub(crate) fn respond_marker(agent: &str, sha: &str, review: u64, tick: &str) -> String {
    format!("<!-- shiprig:respond agent={agent} sha={sha} review={review} tick={tick} -->")
}

/// Requests of one kind whose marker field `field` is `value` (a review's id, a head's sha).
pub(crate) fn task_claims_by(
    comments: &[Comment],
    kind: &str,
    field: &str,
    value: &str,
) -> Vec<Claim> {
    comments
        .iter()
        .flat_map(|c| {
            let body = c.body.as_deref().unwrap_or_default();
            marker_fields(body, kind)
                .into_iter()
                .filter(|f| f.get(field).map(String::as_str) == Some(value))
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

/// The claim comments of the current round, oldest first: claims posted before the last
/// `agent-failed` report or handoff belong to an earlier round and never count again (requeue
/// means requeue).
pub(crate) fn records(comments: &[Comment]) -> Vec<ClaimRecord> {
    let boundary = comments
        .iter()
        .filter(|c| c.body.as_deref().is_some_and(closes_round))
        .map(|c| c.id)
        .max()
        .unwrap_or(0);
    let mut found: Vec<ClaimRecord> = comments
        .iter()
        .filter(|c| c.id > boundary)
        .filter_map(|c| {
            let fields = marker_fields(c.body.as_deref()?, "claim")
                .into_iter()
                .next()?;
            Some(ClaimRecord {
                comment_id: c.id,
                agent: fields.get("agent")?.clone(),
                at: c.created_at,
                tick: fields.get("tick").cloned().unwrap_or_default(),
                run: fields.get("run").and_then(|r| r.parse().ok()),
                started: fields.contains_key("run") || fields.contains_key("started"),
            })
        })
        .collect();
    found.sort_by_key(|r| r.comment_id);
    found
}

/// The live claims of the current round in a list of comments.
pub(crate) fn claims(comments: &[Comment]) -> Vec<Claim> {
    records(comments).iter().map(ClaimRecord::claim).collect()
}

/// Does `mine` lose to any rival? Rivals outside the window, or whose agent no longer holds
/// the claim label (`holds`), are past rounds and do not count.
pub(crate) fn loses(
    mine: &Claim,
    rivals: &[Claim],
    holds: impl Fn(&Claim) -> bool,
) -> Option<Claim> {
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
    use crate::github::Comment;
    use chrono::DateTime;

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
    fn an_agent_failed_report_closes_the_round() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let comment = |id, body: String| Comment {
            id,
            created_at: at,
            body: Some(body),
            user: None,
            html_url: String::new(),
        };
        let comments = [
            comment(1, marker("agent-1", "a")),
            comment(2, format!("{FAILED_MARKER}\nagent-1 did not finish")),
            comment(3, started_marker("agent-1", "b", Some(77))),
        ];
        let live = records(&comments);
        assert_eq!(live.len(), 1, "{live:?}");
        assert_eq!(
            (live[0].comment_id, live[0].run, live[0].started),
            (3, Some(77), true)
        );
        assert_eq!(live[0].tick, "b");
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
            comment(
                1,
                &format!("{}\nagent-1 is starting", marker("agent-1", "t1")),
            ),
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
