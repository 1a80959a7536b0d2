//! Starting an agent on an issue: a `workflow_dispatch` of the configured agent workflow.
//! The issue number and agent name travel as workflow inputs, never as script text.

use std::collections::BTreeMap;

use anyhow::Context as _;

use super::apply::Tick;

pub async fn dispatch(tick: &Tick<'_>, issue: u64, agent: &str) -> anyhow::Result<()> {
    let Some(actions) = &tick.config.conductor.dispatch.github_actions else {
        tracing::info!(
            "#{issue}: no dispatch backend configured; the claim labels are the hand-off"
        );
        return Ok(());
    };
    let inputs = BTreeMap::from([
        ("issue".to_string(), issue.to_string()),
        ("agent".to_string(), agent.to_string()),
    ]);
    tick.gh
        .dispatch_workflow(tick.repo, &actions.workflow, &actions.git_ref, &inputs)
        .await
        .with_context(|| format!("dispatching workflow {} for #{issue}", actions.workflow))
}
