//! Simulated coding agents: each picks up the workflow run the Conductor dispatched, opens a
//! pull request that says `Closes #N`, and merges it before the next tick; the release then
//! ships it at once (the issue turns `done`, as `release publish` marks it after production's
//! smoke tests), so the Conductor-only scenarios see their milestones complete.

use serde::Serialize;

use super::world::World;

/// What one agent did between two ticks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentWork {
    pub(crate) agent: String,
    pub(crate) issue: u64,
    pub(crate) pull_request: u64,
}

/// Finish every dispatched, not yet finished run. Agents work on the repository through the
/// emulator's model, as a runner with its own token would.
pub fn finish_dispatched(world: &World) -> Vec<AgentWork> {
    let full = world.full_name();
    let runs = world.emulator.model().workflow_runs(&full);
    let mut done = Vec::new();
    for run in runs.into_iter().filter(|r| r.status != "completed") {
        let issue = run
            .inputs
            .get("issue")
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse::<u64>().ok());
        let agent = run
            .inputs
            .get("agent")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let (Some(issue), Some(agent)) = (issue, agent) else {
            continue;
        };
        let login = login_of(world, &agent);
        let mut model = world.emulator.model();
        let branch = format!("agent/{issue}");
        model.set_file(
            &full,
            &branch,
            &format!("src/feature_{issue}.rs"),
            &format!("// #{issue}\n"),
        );
        let title = format!("Work for #{issue}");
        let body = format!("Closes #{issue}\n\nShiprig-Agent: {agent}");
        let pull = model.create_pull(&full, &branch, "main", &title, &body, &login);
        model.merge_pull(&full, pull, &login);
        if model.issue(&full, issue).is_some_and(|i| i.state == "open") {
            model.close_issue(&full, issue, &login);
        }
        model.add_label(&full, issue, &world.config.labels.done, RELEASE_ACTOR);
        model.set_run_status(&full, run.id, "completed", Some("success"));
        done.push(AgentWork {
            agent,
            issue,
            pull_request: pull,
        });
    }
    done
}

/// Who ships the simulated work: the release job's App.
const RELEASE_ACTOR: &str = "shiprig[bot]";

fn login_of(world: &World, agent: &str) -> String {
    world
        .config
        .conductor
        .agent_login(agent)
        .unwrap_or_else(|| agent.to_string())
}
