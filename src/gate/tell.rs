//! "Human review needed", told once: by the gate run that added the `human-gate` label (a
//! rerun finds it there and adds nothing). Slack trouble is logged, never fails the gate.

use crate::config::Config;
use crate::github::Repo;
use crate::notify::{Event, Notifier};

use super::GateReport;

/// Tells Slack that the pull request waits for a person, when this run added the label;
/// `notifier` makes the notifier the base branch's config names, only when there is news.
pub(crate) async fn human_needed(
    repo: &Repo,
    report: &GateReport,
    notifier: impl FnOnce(&Config) -> anyhow::Result<Notifier>,
) {
    let Some(verdict) = &report.verdict else {
        return;
    };
    // The pull request and the base's config as the gate read them: Slack's settings come
    // from where the gate's rules came from.
    let (Some(pull), Some(config)) = (&report.pull, &report.config) else {
        return;
    };
    let label = &config.labels.human_gate;
    if !report
        .posted
        .labels_added
        .iter()
        .any(|l| l.eq_ignore_ascii_case(label))
    {
        return;
    }
    let notifier = match notifier(config) {
        Ok(notifier) => notifier,
        Err(e) => return tracing::warn!("no Slack message: {e:#}"),
    };
    let waiting = verdict.gated.iter().filter(|g| !g.satisfied());
    let mut approvers: Vec<String> = waiting.clone().flat_map(|g| g.owners.clone()).collect();
    approvers.sort();
    approvers.dedup();
    notifier
        .tell(Event::HumanReviewNeeded {
            repo: repo.to_string(),
            number: report.event.number,
            title: pull.title.clone(),
            url: pull.html_url.clone(),
            categories: waiting.map(|g| g.category.clone()).collect(),
            approvers,
        })
        .await;
}
