//! `doctor`'s trigger report: every trigger in the repository's shiprig workflows that GitHub
//! would never fire for it, and a merge that acts with a token whose events start nothing
//! (docs/architecture.md, "GitHub facts that decide the design"). Pure: it reads only the
//! workflow files.

use super::workflows::Workflow;

/// One trigger GitHub would never fire (or a merge whose events start nothing), and its fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TriggerGap {
    pub(crate) gap: String,
    pub(crate) fix: String,
}

/// Whether a workflow is shiprig's: installed under `shiprig-*` or running a shiprig command.
fn is_shiprig(w: &Workflow) -> bool {
    w.file.starts_with("shiprig-") || !w.commands.is_empty()
}

/// The repository's CI on GitHub Actions: workflows that are not shiprig's and run on pushes
/// or pull requests.
fn actions_ci(workflows: &[Workflow]) -> Vec<&Workflow> {
    workflows
        .iter()
        .filter(|w| !is_shiprig(w) && (w.on("push") || w.on("pull_request")))
        .collect()
}

/// The name `workflow_run.workflows` matches: the workflow's `name:`, or, without one, its path
/// from the repository root, as GitHub shows it.
fn run_name(w: &Workflow) -> String {
    match &w.name {
        Some(name) => name.clone(),
        None if w.file.contains('/') => w.file.clone(),
        None => format!(".github/workflows/{}", w.file),
    }
}

fn gap(gap: String, fix: String) -> TriggerGap {
    TriggerGap { gap, fix }
}

/// Every trigger GitHub would never fire, and every merge whose events start nothing.
pub(crate) fn findings(workflows: &[Workflow]) -> Vec<TriggerGap> {
    let mut found = Vec::new();
    let ci = actions_ci(workflows);
    let names: Vec<String> = workflows.iter().map(run_name).collect();
    for w in workflows.iter().filter(|w| is_shiprig(w)) {
        for trigger in ["check_suite", "check_run"] {
            if w.on(trigger) && !ci.is_empty() {
                let ci_names: Vec<String> = ci.iter().map(|c| run_name(c)).collect();
                found.push(gap(
                    format!(
                        "{} waits on `{trigger}`, which GitHub never fires for a check suite GitHub Actions created: the CI here ({}) runs on Actions",
                        w.file,
                        ci_names.join(", ")
                    ),
                    format!(
                        "follow CI with `workflow_run: {{workflows: [{}], types: [completed]}}` (`shiprig init --force` writes it)",
                        ci_names.join(", ")
                    ),
                ));
            }
        }
        for followed in &w.follows {
            if !names.contains(followed) {
                found.push(gap(
                    format!(
                        "{} follows the workflow `{followed}` (workflow_run), but no workflow here is named so: it never starts",
                        w.file
                    ),
                    "name the CI workflows in its `workflow_run.workflows` as their `name:` says"
                        .to_string(),
                ));
            }
        }
        if w.runs("merge")
            && !ci.is_empty()
            && !ci
                .iter()
                .any(|c| w.follows.iter().any(|f| *f == run_name(c) || *f == c.file))
        {
            found.push(gap(
                format!(
                    "{} follows none of the CI workflows here: a pull request whose CI ends after its approval is never merged",
                    w.file
                ),
                "list them in its `workflow_run.workflows` (`shiprig init --force` finds them)".to_string(),
            ));
        }
        if w.runs("merge") && !w.as_app.iter().any(|c| c == "merge") {
            found.push(gap(
                format!(
                    "{} merges with the Actions token: GitHub starts no workflow from that merge's events (no deploy on the push, no lifecycle on the closed pull request, no Conductor tick on the closed issues)",
                    w.file
                ),
                "give the merge step `app-id: ${{ vars.SHIPRIG_APP_ID }}` and `app-private-key: ${{ secrets.SHIPRIG_APP_PRIVATE_KEY }}` and set both: events made as a GitHub App start workflows, the Actions token's do not".to_string(),
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests;
