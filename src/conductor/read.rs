//! Reading a repository into a [`Snapshot`]: the base read every tick, then only what a plan needs.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context as _;

use super::apply::Tick;
use super::claim;
use super::plan::Needs;
use super::snapshot::{AgentPull, Approval, Blocker, IssueState, MilestoneState, Snapshot};
use crate::agents::FailingCheck;
use crate::config::{Config, Permission};
use crate::github::{GitHub, Issue, IssueEvent, PullRequest, Repo};

/// Above this many issues, approvals come from the repository's event list (100 a page)
/// instead of one request per issue.
const PER_ISSUE_EVENTS_LIMIT: usize = 8;
/// How far back the repository event list is read at most.
const MAX_EVENT_PAGES: u32 = 30;

/// The every-tick read: approved and in-progress open issues, and the open milestones.
pub async fn base(gh: &GitHub, repo: &Repo, config: &Config) -> anyhow::Result<Snapshot> {
    let labels = &config.labels;
    let approved = gh
        .open_issues_with_labels(repo, &[labels.approved.as_str()])
        .await;
    if let (Some(error), true) = (&approved.error, approved.items.is_empty()) {
        anyhow::bail!("reading the approved issues of {repo}: {error}");
    }
    let claimed = gh
        .open_issues_with_labels(repo, &[labels.in_progress.as_str()])
        .await;
    let milestones = gh
        .open_milestones(repo)
        .await
        .with_context(|| format!("reading the milestones of {repo}"))?;
    let complete = approved.complete && claimed.complete;
    let mut issues = BTreeMap::new();
    for issue in approved.items.into_iter().chain(claimed.items) {
        issues
            .entry(issue.number)
            .or_insert_with(|| issue_state(issue));
    }
    Ok(Snapshot {
        repo: Some(repo.clone()),
        issues,
        complete,
        milestones: milestones.into_iter().map(milestone_state).collect(),
        ..Snapshot::default()
    })
}

fn issue_state(issue: Issue) -> IssueState {
    let summary = issue.issue_dependencies_summary.unwrap_or_default();
    IssueState {
        number: issue.number,
        id: issue.id,
        title: issue.title,
        url: issue.html_url,
        labels: issue.labels.into_iter().collect(),
        assignees: issue.assignees.into_iter().map(|u| u.login).collect(),
        milestone: issue.milestone.map(|m| m.number),
        open_blockers: summary.blocked_by,
        blocking: summary.blocking,
        created_at: issue.created_at,
        updated_at: issue.updated_at,
        body: issue.body.unwrap_or_default(),
    }
}

fn milestone_state(m: crate::github::Milestone) -> MilestoneState {
    MilestoneState {
        number: m.number,
        title: m.title,
        url: m.html_url,
        description: m.description.unwrap_or_default(),
        open_issues: m.open_issues,
        closed_issues: m.closed_issues,
    }
}

/// Fetch what the plan asked for and add it to the snapshot.
pub async fn needs(tick: &Tick<'_>, snapshot: &mut Snapshot, needs: &Needs) -> anyhow::Result<()> {
    let (gh, repo, config) = (tick.gh, tick.repo, tick.config);
    if needs.runs {
        let agents: Vec<String> = config
            .conductor
            .agents
            .iter()
            .map(|a| a.name.clone())
            .collect();
        let runs = tick
            .backend()
            .observe(gh, repo, &agents)
            .await
            .context("looking for the agents' runs")?;
        snapshot.runs = Some(runs);
    }
    if needs.pulls || needs.agent_pulls {
        let pulls = gh
            .open_pulls(repo)
            .await
            .context("reading the open pull requests")?;
        snapshot.linked_pulls = Some(pulls.iter().flat_map(|p| p.linked_issues()).collect());
        if needs.agent_pulls {
            snapshot.agent_pulls = Some(agent_pulls(tick, snapshot, &pulls).await?);
        }
    }
    if !needs.approvals.is_empty() {
        let found = approvals(gh, repo, &config.labels.approved, &needs.approvals).await?;
        snapshot.approvals.extend(found);
    }
    for &number in &needs.blockers {
        let list = gh
            .blocked_by(repo, number)
            .await
            .with_context(|| format!("reading the blockers of #{number}"))?;
        let blockers = list
            .iter()
            .map(|b| Blocker {
                repo: b.repo().unwrap_or_else(|| repo.clone()),
                number: b.number,
                open: b.is_open(),
            })
            .collect();
        snapshot.blockers.insert(number, blockers);
    }
    for &number in &needs.comments {
        let comments = gh
            .comments(repo, number)
            .await
            .with_context(|| format!("reading the comments of #{number}"))?;
        let markers = comments
            .iter()
            .filter_map(|c| c.body.as_deref())
            .flat_map(markers)
            .collect();
        snapshot.markers.insert(number, markers);
    }
    Ok(())
}

/// The agents' pull requests with their failing checks and earlier fix requests. A pull
/// request records its agent by an `agent:<name>` label, or through the issue it closes.
async fn agent_pulls(
    tick: &Tick<'_>,
    snapshot: &Snapshot,
    pulls: &[PullRequest],
) -> anyhow::Result<Vec<AgentPull>> {
    let (gh, repo, config) = (tick.gh, tick.repo, tick.config);
    let prefix = &config.labels.agent_prefix;
    let mut found = Vec::new();
    for pull in pulls {
        let issue = pull
            .linked_issues()
            .into_iter()
            .find(|n| snapshot.issues.contains_key(n));
        let from_issue = issue.and_then(|n| {
            snapshot.issues[&n]
                .labels
                .iter()
                .find_map(|l| l.strip_prefix(prefix.as_str()))
        });
        let from_label = pull
            .labels
            .iter()
            .find_map(|l| l.strip_prefix(prefix.as_str()));
        let Some(agent) = from_label.or(from_issue).map(str::to_string) else {
            continue;
        };
        let checks = gh
            .check_runs(repo, &pull.head.sha)
            .await
            .with_context(|| format!("reading the checks of #{}", pull.number))?;
        let failing: Vec<FailingCheck> = checks
            .iter()
            .filter(|c| c.failed() && c.name != config.gate.check_name)
            .map(|c| FailingCheck {
                name: c.name.clone(),
                url: c.html_url.clone().unwrap_or_default(),
            })
            .collect();
        let wants_markers = !failing.is_empty() || config.conductor.review_agent.is_some();
        let comments = if wants_markers {
            gh.comments(repo, pull.number).await?
        } else {
            Vec::new()
        };
        let shas = |kind: &str| -> Vec<String> {
            comments
                .iter()
                .flat_map(|c| claim::marker_fields(c.body.as_deref().unwrap_or_default(), kind))
                .filter_map(|f| f.get("sha").cloned())
                .collect()
        };
        let (fixes, reviews) = (shas("fix"), shas("review"));
        found.push(AgentPull {
            number: pull.number,
            title: pull.title.clone(),
            url: pull.html_url.clone(),
            head_sha: pull.head.sha.clone(),
            agent,
            issue,
            failing,
            fixes,
            reviews,
        });
    }
    Ok(found)
}

/// The `<!-- shiprig:… -->` markers in a comment body.
pub fn markers(body: &str) -> Vec<String> {
    body.match_indices("<!-- shiprig:")
        .filter_map(|(at, _)| {
            body[at..]
                .find("-->")
                .map(|end| body[at..at + end + 3].to_string())
        })
        .collect()
}

/// Who last added `approved` to each issue and when, with that person's role (asked once each).
async fn approvals(
    gh: &GitHub,
    repo: &Repo,
    approved: &str,
    wanted: &BTreeSet<u64>,
) -> anyhow::Result<BTreeMap<u64, Approval>> {
    let events = if wanted.len() <= PER_ISSUE_EVENTS_LIMIT {
        per_issue_approvals(gh, repo, approved, wanted).await?
    } else {
        repo_wide_approvals(gh, repo, approved, wanted).await?
    };
    let mut roles: BTreeMap<String, Option<Permission>> = BTreeMap::new();
    let mut found = BTreeMap::new();
    for (number, event) in events {
        let Some(actor) = event.actor.map(|a| a.login) else {
            continue;
        };
        if !roles.contains_key(&actor) {
            let role = gh
                .permission(repo, &actor)
                .await
                .with_context(|| format!("reading {actor}'s permission"))?;
            roles.insert(
                actor.clone(),
                role.as_deref().and_then(Permission::from_github),
            );
        }
        let permission = roles[&actor];
        found.insert(
            number,
            Approval {
                at: event.created_at,
                actor,
                permission,
            },
        );
    }
    Ok(found)
}

async fn per_issue_approvals(
    gh: &GitHub,
    repo: &Repo,
    approved: &str,
    wanted: &BTreeSet<u64>,
) -> anyhow::Result<Vec<(u64, IssueEvent)>> {
    let mut found = Vec::new();
    for &number in wanted {
        let events = gh
            .issue_events(repo, number)
            .await
            .with_context(|| format!("reading the events of #{number}"))?;
        if let Some(last) = events
            .into_iter()
            .filter(|e| e.is_labeled(approved))
            .max_by_key(|e| e.id)
        {
            found.push((number, last));
        }
    }
    Ok(found)
}

/// The repository's events come newest first, so the first `labeled approved` seen for an
/// issue is its latest; reading stops once every wanted issue has one.
async fn repo_wide_approvals(
    gh: &GitHub,
    repo: &Repo,
    approved: &str,
    wanted: &BTreeSet<u64>,
) -> anyhow::Result<Vec<(u64, IssueEvent)>> {
    let mut found: BTreeMap<u64, IssueEvent> = BTreeMap::new();
    for page in 1..=MAX_EVENT_PAGES {
        let events = gh
            .repo_issue_events_page(repo, page)
            .await
            .context("reading the repository's issue events")?;
        let last_page = events.len() < 100;
        for event in events.into_iter().filter(|e| e.is_labeled(approved)) {
            let Some(number) = event.issue.as_ref().map(|i| i.number) else {
                continue;
            };
            if wanted.contains(&number) {
                found.entry(number).or_insert(event);
            }
        }
        if last_page || found.len() == wanted.len() {
            break;
        }
    }
    Ok(found.into_iter().collect())
}
