//! "Human review needed", told once: by the gate run that added the `human-gate` label (a
//! rerun finds it there and adds nothing). Slack trouble is logged, never fails the gate.

use crate::config::Config;
use crate::context::{self, CONFIG_PATH, Vars};
use crate::github::{GitHub, Repo};
use crate::notify::Event;

use super::GateReport;

/// Tells Slack that the pull request waits for a person, when this run added the label.
pub async fn human_needed(gh: &GitHub, repo: &Repo, report: &GateReport, vars: &Vars) {
    let Some(verdict) = &report.verdict else {
        return;
    };
    let Ok(pull) = gh.pull(repo, report.event.number).await else {
        return tracing::warn!("no Slack message: the pull request could not be read");
    };
    // Slack's settings come from where the gate's rules came from: the base.
    let config = match gh.file_text(repo, CONFIG_PATH, Some(&pull.base.sha)).await {
        Ok(Some(text)) => match Config::from_yaml(CONFIG_PATH, &text) {
            Ok(config) => config,
            Err(e) => return tracing::warn!("no Slack message: {e}"),
        },
        Ok(None) => return,
        Err(e) => return tracing::warn!("no Slack message: reading the config: {e}"),
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
    let notifier = match context::notifier(&config, vars) {
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
            title: pull.title,
            url: pull.html_url,
            categories: waiting.map(|g| g.category.clone()).collect(),
            approvers,
        })
        .await;
}
