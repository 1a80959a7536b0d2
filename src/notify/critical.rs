//! "Critical issue filed": told by the `issues` `labeled` event that makes an open issue both
//! `approved` and `critical` (the label added is one of the two and the other is there). GitHub
//! sends that event once, so Slack hears it once; a tick on a schedule says nothing. Pure.

use serde_json::Value;

use super::event::Event;
use crate::config::Labels;
use crate::github::IssueState;

/// The message for this Actions event, when it is one that files critical work.
pub(crate) fn filed(
    event_name: &str,
    payload: &Value,
    labels: &Labels,
    repo: &str,
) -> Option<Event> {
    if event_name != "issues" || payload["action"] != "labeled" {
        return None;
    }
    let added = payload.pointer("/label/name")?.as_str()?;
    let issue = payload.get("issue")?;
    let state = IssueState::parse(issue["state"].as_str().unwrap_or_default());
    if state != IssueState::Open || issue.get("pull_request").is_some() {
        return None;
    }
    let names: Vec<&str> = issue["labels"]
        .as_array()?
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    let has = |label: &str| names.iter().any(|n| n.eq_ignore_ascii_case(label));
    let completes = [&labels.approved, &labels.critical]
        .iter()
        .any(|l| added.eq_ignore_ascii_case(l));
    let started = [&labels.in_progress, &labels.in_review, &labels.done]
        .iter()
        .any(|l| has(l));
    (completes && has(&labels.approved) && has(&labels.critical) && !started).then(|| {
        Event::CriticalIssueFiled {
            repo: repo.to_string(),
            issue: issue["number"].as_u64().unwrap_or_default(),
            title: issue["title"].as_str().unwrap_or_default().to_string(),
            url: issue["html_url"].as_str().unwrap_or_default().to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::Labels;
    use crate::notify::Event;
    use serde_json::Value;

    fn labeled(added: &str, on: &[&str]) -> Value {
        let labels: Vec<Value> = on.iter().map(|n| json!({"name": n})).collect();
        json!({"action": "labeled", "label": {"name": added}, "issue": {
            "number": 9, "title": "Checkout crashes", "state": "open",
            "html_url": "https://github.com/acme/w/issues/9", "labels": labels}})
    }

    #[test]
    fn the_label_that_makes_approved_work_critical_files_it() {
        let l = Labels::default();
        let both = ["approved", "critical"];
        let told = filed("issues", &labeled("critical", &both), &l, "acme/w").unwrap();
        assert!(matches!(told, Event::CriticalIssueFiled { issue: 9, .. }));
        assert!(filed("issues", &labeled("approved", &both), &l, "acme/w").is_some());
        assert!(
            filed(
                "issues",
                &labeled("bug", &["approved", "critical", "bug"]),
                &l,
                "acme/w"
            )
            .is_none()
        );
        assert!(filed("issues", &labeled("critical", &["critical"]), &l, "acme/w").is_none());
        let started = ["approved", "critical", "in-progress"];
        assert!(filed("issues", &labeled("critical", &started), &l, "acme/w").is_none());
        assert!(filed("schedule", &labeled("critical", &both), &l, "acme/w").is_none());
    }
}
