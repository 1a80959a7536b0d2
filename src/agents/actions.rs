//! The `github_actions` backend: a `workflow_dispatch` of the agent workflow. The run is found
//! again by its `run-name`, which carries the agent and the issue (`… agent-1 on #42`).

use chrono::{DateTime, Utc};

use super::assignment::{Assignment, DispatchError, Observation, RunState, Started};
use crate::config::GithubActionsDispatch;
use crate::github::{GitHub, Repo, RunConclusion, RunStatus, WorkflowRun};

/// `workflow_dispatch` with `return_run_details`: GitHub answers with the run it started.
pub(crate) async fn dispatch(
    gh: &GitHub,
    settings: &GithubActionsDispatch,
    assignment: &Assignment<'_>,
) -> Result<Started, DispatchError> {
    let inputs = assignment.data();
    let answer = gh
        .dispatch_workflow(
            assignment.repo,
            &settings.workflow,
            &settings.git_ref,
            &inputs,
        )
        .await;
    match answer {
        Ok(run) => Ok(Started {
            run: run.as_ref().map(|r| r.workflow_run_id),
            url: run.map(|r| r.html_url),
        }),
        Err(e) => {
            let unclear = e.is_unclear();
            let e = anyhow::Error::new(e).context(format!("dispatching {}", settings.workflow));
            Err(if unclear {
                DispatchError::Unclear(e)
            } else {
                DispatchError::Transient(e)
            })
        }
    }
}

/// The run of the agent on the issue created at or after `since`, found by its `run-name`.
pub(crate) async fn find(
    gh: &GitHub,
    settings: &GithubActionsDispatch,
    assignment: &Assignment<'_>,
    since: DateTime<Utc>,
) -> anyhow::Result<Option<Started>> {
    let agents = [assignment.agent.to_string()];
    let runs = gh
        .dispatched_runs(assignment.repo, &settings.workflow)
        .await?;
    Ok(runs
        .iter()
        .filter(|run| run.created_at >= since)
        .filter(|run| observation(run, &agents).is_some_and(|o| o.issue == assignment.issue))
        .min_by_key(|run| run.id)
        .map(|run| Started {
            run: Some(run.id),
            url: Some(run.html_url.clone()),
        }))
}

pub(crate) async fn observe(
    gh: &GitHub,
    repo: &Repo,
    settings: &GithubActionsDispatch,
    agents: &[String],
) -> anyhow::Result<Vec<Observation>> {
    let runs = gh.dispatched_runs(repo, &settings.workflow).await?;
    Ok(runs
        .iter()
        .filter_map(|run| observation(run, agents))
        .collect())
}

/// A run whose title names one configured agent and one issue.
pub(crate) fn observation(run: &WorkflowRun, agents: &[String]) -> Option<Observation> {
    let issue = issue_in(&run.display_title)?;
    let words: Vec<&str> = run
        .display_title
        .split(|c: char| c.is_whitespace() || c == ',')
        .collect();
    let agent = agents.iter().find(|a| words.contains(&a.as_str()))?;
    let state = match (&run.status, &run.conclusion) {
        (Some(RunStatus::Completed), Some(conclusion)) if conclusion.is_green() => {
            RunState::Succeeded
        }
        (Some(RunStatus::Completed), conclusion) => RunState::Failed(format!(
            "the workflow run ended {}",
            conclusion
                .as_ref()
                .map_or("without a conclusion", RunConclusion::as_str)
        )),
        _ => RunState::Running,
    };
    Some(Observation {
        id: Some(run.id),
        claim: None,
        issue,
        agent: agent.clone(),
        state,
        started_at: run.created_at,
        url: run.html_url.clone(),
    })
}

/// The first `#N` in a title.
fn issue_in(title: &str) -> Option<u64> {
    title.match_indices('#').find_map(|(at, _)| {
        let digits: String = title[at + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(title: &str, status: &str, conclusion: Option<&str>) -> WorkflowRun {
        WorkflowRun {
            id: 1,
            display_title: title.into(),
            status: Some(status.into()),
            conclusion: conclusion.map(RunConclusion::parse),
            event: "workflow_dispatch".into(),
            html_url: "https://github.com/acme/rig/actions/runs/1".into(),
            created_at: chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        }
    }

    #[test]
    fn runs_are_found_by_their_run_name() {
        let agents = vec!["agent-1".to_string(), "agent-10".to_string()];
        let seen = observation(
            &run(
                "shiprig agent agent-10 on #42",
                "completed",
                Some("failure"),
            ),
            &agents,
        )
        .unwrap();
        assert_eq!((seen.issue, seen.agent.as_str()), (42, "agent-10"));
        assert!(matches!(seen.state, RunState::Failed(_)));
        assert!(observation(&run("nightly build", "queued", None), &agents).is_none());
        let running = observation(
            &run("shiprig agent agent-1 on #7", "in_progress", None),
            &agents,
        )
        .unwrap();
        assert_eq!(running.state, RunState::Running);
    }
}
