//! The event that started the gate (`GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`): which pull
//! request, and the head SHA everything is pinned to.

use serde::Serialize;
use serde_json::Value;

/// What the gate is asked to judge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateEvent {
    /// `pull_request_target`, `pull_request`, `pull_request_review`, `merge_group`, or `local`.
    pub(crate) name: String,
    pub(crate) action: String,
    pub number: u64,
    /// The SHA the result is for: the PR's head, or the merge group's head commit.
    pub head_sha: String,
    /// Set for `merge_group`: the PR's own head is judged, the result goes on `head_sha`.
    pub(crate) merge_group: bool,
    /// The head lives in another repository (a fork).
    pub fork: bool,
    /// Who caused the event; on `synchronize` that is the pusher.
    pub(crate) sender: Option<String>,
}

impl GateEvent {
    /// A run for a PR number without an event (local use): pinned to the head read first.
    pub fn local(number: u64) -> GateEvent {
        GateEvent {
            name: "local".into(),
            action: String::new(),
            number,
            head_sha: String::new(),
            merge_group: false,
            fork: false,
            sender: None,
        }
    }

    /// A run for a PR number pinned to `head_sha` (a sibling of the pull request being judged).
    pub(crate) fn pinned(number: u64, head_sha: &str) -> GateEvent {
        GateEvent {
            head_sha: head_sha.to_string(),
            ..GateEvent::local(number)
        }
    }

    /// The login that pushed the head this event is about: the sender of `synchronize` (the
    /// push itself) or of `opened` (the head it was opened with). Any other event does not say.
    pub(crate) fn pusher(&self) -> Option<String> {
        let pull_event = matches!(self.name.as_str(), "pull_request_target" | "pull_request");
        let push = matches!(self.action.as_str(), "synchronize" | "opened");
        (pull_event && push)
            .then(|| self.sender.as_deref().map(str::to_lowercase))
            .flatten()
    }

    /// Reads an event payload; an event the gate does not handle is an error.
    pub fn parse(name: &str, payload: &str) -> Result<GateEvent, String> {
        let doc: Value = serde_json::from_str(payload)
            .map_err(|e| format!("the event payload is not JSON: {e}"))?;
        GateEvent::from_payload(name, &doc)
    }

    /// An event payload already read as JSON; an event the gate does not handle is an error.
    pub(crate) fn from_payload(name: &str, doc: &Value) -> Result<GateEvent, String> {
        let text = |v: &Value, pointer: &str| {
            v.pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let action = text(doc, "/action").unwrap_or_default();
        let sender = text(doc, "/sender/login");
        match name {
            "pull_request_target" | "pull_request" | "pull_request_review" => {
                let pr = doc
                    .get("pull_request")
                    .ok_or("the event has no pull_request")?;
                let number = pr
                    .get("number")
                    .and_then(Value::as_u64)
                    .ok_or("the event's pull_request has no number")?;
                let head_sha = usable_sha(text(pr, "/head/sha"), "pull_request.head.sha")?;
                let base_repo = text(pr, "/base/repo/full_name");
                let head_repo = text(pr, "/head/repo/full_name");
                Ok(GateEvent {
                    name: name.to_string(),
                    action,
                    number: usable_number(number)?,
                    head_sha,
                    merge_group: false,
                    // A deleted fork has `head.repo: null`: not the base repository either.
                    fork: head_repo.is_none() || head_repo != base_repo,
                    sender,
                })
            }
            "merge_group" => {
                let group = doc
                    .get("merge_group")
                    .ok_or("the event has no merge_group")?;
                let head_sha = usable_sha(text(group, "/head_sha"), "merge_group.head_sha")?;
                let head_ref = text(group, "/head_ref").unwrap_or_default();
                let number = queued_pull(&head_ref).ok_or_else(|| {
                    format!("cannot find the pull request in the merge group ref {head_ref:?}")
                })?;
                Ok(GateEvent {
                    name: name.to_string(),
                    action,
                    number: usable_number(number)?,
                    head_sha,
                    merge_group: true,
                    fork: false,
                    sender,
                })
            }
            other => Err(format!(
                "the gate runs on pull_request_target, pull_request, pull_request_review and merge_group events, not {other:?}"
            )),
        }
    }
}

/// A head SHA the result can be pinned to: 40 (SHA-1) or 64 (SHA-256) hex digits. Anything
/// else would let GitHub pick a commit for us, so the event is refused.
fn usable_sha(sha: Option<String>, field: &str) -> Result<String, String> {
    match sha {
        Some(sha) if matches!(sha.len(), 40 | 64) && sha.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(sha.to_ascii_lowercase())
        }
        Some(sha) => Err(format!(
            "the event's {field} {:?} is not a commit SHA; nothing is judged or posted",
            sha.chars().take(80).collect::<String>()
        )),
        None => Err(format!(
            "the event has no {field}; nothing is judged or posted"
        )),
    }
}

fn usable_number(number: u64) -> Result<u64, String> {
    if number == 0 {
        return Err("the event names pull request 0".into());
    }
    Ok(number)
}

/// Whether this run must stop before judging: a `pull_request` event from a fork (or a deleted
/// fork) runs with a read-only token and the fork's workflow file, so its verdict could neither
/// be posted nor trusted. `pull_request_target` is the event for forks.
pub(crate) fn fork_refusal(event: &GateEvent) -> Option<String> {
    (event.name == "pull_request" && event.fork).then(|| {
        format!(
            "pull request #{} comes from a fork (or a deleted one) on a `pull_request` event: its token is read-only and its workflow comes from the fork, so the gate does not judge it. Run the gate on `pull_request_target`, which checks out nothing and judges with the base branch's config.",
            event.number
        )
    })
}

/// `refs/heads/gh-readonly-queue/main/pr-42-<sha>` → 42: the PR this queue entry adds.
fn queued_pull(head_ref: &str) -> Option<u64> {
    let last = head_ref.rsplit('/').next()?;
    let digits = last.strip_prefix("pr-")?.split('-').next()?;
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_request_events_pin_the_head_and_see_forks() {
        let payload = r#"{"action": "synchronize", "sender": {"login": "dev"},
            "pull_request": {"number": 7, "head": {"sha": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "repo": {"full_name": "fork/rig"}},
            "base": {"sha": "def", "repo": {"full_name": "acme/rig"}}}}"#;
        let e = GateEvent::parse("pull_request", payload).unwrap();
        assert_eq!(
            (e.number, e.head_sha.as_str(), e.fork),
            (7, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true)
        );
        assert_eq!(e.sender.as_deref(), Some("dev"));
    }

    #[test]
    fn merge_groups_name_their_pull_request() {
        let payload = r#"{"action": "checks_requested", "merge_group": {"head_sha": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            "head_ref": "refs/heads/gh-readonly-queue/main/pr-42-0123abc", "base_ref": "refs/heads/main"}}"#;
        let e = GateEvent::parse("merge_group", payload).unwrap();
        assert_eq!(
            (e.number, e.head_sha.as_str(), e.merge_group),
            (42, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", true)
        );
    }

    #[test]
    fn an_event_without_a_usable_head_sha_is_refused() {
        for sha in ["\"\"", "null", "\"HEAD\"", "\"abc\"", "\"../../main\""] {
            let payload = format!(
                r#"{{"pull_request": {{"number": 7, "head": {{"sha": {sha}}}, "base": {{}}}}}}"#
            );
            let error = GateEvent::parse("pull_request_target", &payload).unwrap_err();
            assert!(error.contains("head.sha"), "{sha}: {error}");
        }
        let group = r#"{"merge_group": {"head_sha": "", "head_ref": "refs/heads/gh-readonly-queue/main/pr-4-x"}}"#;
        assert!(GateEvent::parse("merge_group", group).is_err());
    }

    #[test]
    fn a_deleted_fork_is_a_fork_and_only_pull_request_refuses_it() {
        let payload = format!(
            r#"{{"pull_request": {{"number": 7, "head": {{"sha": "{}", "repo": null}},
            "base": {{"repo": {{"full_name": "acme/rig"}}}}}}}}"#,
            "c".repeat(40)
        );
        let e = GateEvent::parse("pull_request", &payload).unwrap();
        assert!(e.fork && fork_refusal(&e).is_some());
        let e = GateEvent::parse("pull_request_target", &payload).unwrap();
        assert!(e.fork && fork_refusal(&e).is_none());
    }

    #[test]
    fn other_events_are_refused() {
        assert!(GateEvent::parse("push", "{}").unwrap_err().contains("push"));
        assert!(GateEvent::parse("pull_request", "not json").is_err());
    }
}
