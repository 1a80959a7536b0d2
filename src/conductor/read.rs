//! Reading a repository into a [`Snapshot`]: the base read every tick, then only what a plan needs.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::claim;
use super::effect::Needs;
use super::snapshot::{
    AgentPull, Approval, Blocker, ChangeRequest, Snapshot, TrackedIssue, TrackedMilestone,
};
use super::tick::Tick;
use crate::agents::{FailingCheck, Observation};
use crate::config::{Config, Permission};
use crate::github::{GitHub, Issue, Labeling, MilestoneFilter, PullRequest, Repo, ReviewState};

/// The every-tick read: approved and in-progress open issues, and the open milestones.
pub(crate) async fn base(gh: &GitHub, repo: &Repo, config: &Config) -> anyhow::Result<Snapshot> {
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
        .milestones(repo, MilestoneFilter::Open)
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

fn issue_state(issue: Issue) -> TrackedIssue {
    let summary = issue.issue_dependencies_summary.unwrap_or_default();
    TrackedIssue {
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

fn milestone_state(m: crate::github::Milestone) -> TrackedMilestone {
    TrackedMilestone {
        number: m.number,
        title: m.title,
        url: m.html_url,
        description: m.description.unwrap_or_default(),
        open_issues: m.open_issues,
        closed_issues: m.closed_issues,
    }
}

/// Fetch what the plan asked for and add it to the snapshot.
pub(crate) async fn needs(
    tick: &Tick<'_>,
    snapshot: &mut Snapshot,
    needs: &Needs,
) -> anyhow::Result<()> {
    let (gh, repo, config) = (tick.gh, tick.repo, tick.config);
    if needs.runs {
        snapshot.runs = Some(runs(tick).await?);
    }
    if needs.pulls || needs.agent_pulls {
        pulls(tick, snapshot, needs.agent_pulls).await?;
    }
    if !needs.approvals.is_empty() {
        let (found, unknown, viewer) =
            approvals(gh, repo, &config.labels.approved, &needs.approvals).await?;
        if let (None, Some(viewer)) = (&snapshot.viewer, viewer) {
            snapshot.viewer = Some(Some(viewer));
        }
        snapshot.approvals_unknown.extend(unknown);
        snapshot.approvals.extend(found);
    }
    if needs.viewer {
        snapshot.viewer = Some(viewer(gh).await);
    }
    for &number in &needs.label_events {
        let labelled = claim_labelled(tick, number).await?;
        snapshot.claim_labels.insert(number, labelled);
    }
    for &number in &needs.blockers {
        let blockers = blockers(gh, repo, number).await?;
        snapshot.blockers.insert(number, blockers);
    }
    for &number in &needs.comments {
        comments(gh, repo, number, snapshot).await?;
    }
    for &milestone in &needs.milestones {
        let issues = gh
            .milestone_issues(repo, milestone)
            .await
            .with_context(|| format!("reading the issues of milestone {milestone}"))?;
        let issues = issues.into_iter().map(issue_state).collect();
        snapshot.milestone_issues.insert(milestone, issues);
    }
    Ok(())
}

async fn runs(tick: &Tick<'_>) -> anyhow::Result<Vec<Observation>> {
    let agents: Vec<String> = tick
        .config
        .conductor
        .agents
        .iter()
        .map(|a| a.name.clone())
        .collect();
    tick.backend()
        .observe(tick.gh, tick.repo, &agents)
        .await
        .context("looking for the agents' runs")
}

/// The issues open pull requests close, and (when asked) the agents' pull requests.
async fn pulls(tick: &Tick<'_>, snapshot: &mut Snapshot, agents: bool) -> anyhow::Result<()> {
    let (gh, repo) = (tick.gh, tick.repo);
    let pulls = gh
        .open_pulls(repo)
        .await
        .context("reading the open pull requests")?;
    let labels = &tick.config.labels;
    let linked = pulls.iter().flat_map(|p| {
        p.linked_issues().into_iter().filter(|n| {
            let issue = snapshot.issues.get(n).map(|i| &i.labels);
            !labels.left_behind(issue.into_iter().flatten(), &p.labels)
        })
    });
    snapshot.linked_pulls = Some(linked.collect());
    if agents {
        snapshot.agent_pulls = Some(agent_pulls(tick, snapshot, &pulls).await?);
    }
    Ok(())
}

/// Who shiprig acts as; `None` when GitHub does not say.
async fn viewer(gh: &GitHub) -> Option<String> {
    match gh.own_login().await {
        Ok(login) => Some(login),
        Err(e) => {
            tracing::warn!("GitHub did not say who shiprig acts as: {e}");
            None
        }
    }
}

/// Who added the issue's latest claim label, and when.
async fn claim_labelled(
    tick: &Tick<'_>,
    number: u64,
) -> anyhow::Result<Option<(String, DateTime<Utc>)>> {
    let events = tick
        .gh
        .issue_events(tick.repo, number)
        .await
        .with_context(|| format!("reading the events of #{number}"))?;
    let prefix = tick.config.labels.agent_prefix.to_ascii_lowercase();
    Ok(events
        .iter()
        .filter(|e| e.event == "labeled")
        .filter(|e| {
            e.label
                .as_ref()
                .is_some_and(|l| l.name.to_ascii_lowercase().starts_with(&prefix))
        })
        .max_by_key(|e| e.id)
        .and_then(|e| Some((e.actor.clone()?.login, e.created_at))))
}

async fn blockers(gh: &GitHub, repo: &Repo, number: u64) -> anyhow::Result<Vec<Blocker>> {
    let list = gh
        .blocked_by(repo, number)
        .await
        .with_context(|| format!("reading the blockers of #{number}"))?;
    Ok(list
        .iter()
        .map(|b| Blocker {
            repo: b.repo().unwrap_or_else(|| repo.clone()),
            number: b.number,
            open: b.is_open(),
        })
        .collect())
}

/// Many issues' blocker lists at once: one GraphQL request per 50 issues, and REST for the few
/// with more blockers than one request shows (at most `rest_limit` of them).
pub(crate) async fn blocker_lists(
    gh: &GitHub,
    repo: &Repo,
    numbers: &[u64],
    rest_limit: usize,
    snapshot: &mut Snapshot,
) -> anyhow::Result<()> {
    if numbers.is_empty() {
        return Ok(());
    }
    let found = gh
        .blocker_lists(repo, numbers)
        .await
        .with_context(|| format!("reading the blocker lists of {} issues", numbers.len()))?;
    for (number, list) in found.lists {
        let list = list
            .into_iter()
            .map(|b| Blocker {
                repo: b.repo,
                number: b.number,
                open: b.open,
            })
            .collect();
        snapshot.blockers.insert(number, list);
    }
    for number in found.truncated.into_iter().take(rest_limit) {
        let list = blockers(gh, repo, number).await?;
        snapshot.blockers.insert(number, list);
    }
    Ok(())
}

/// The issue's shiprig markers and claim records, from its comments.
async fn comments(
    gh: &GitHub,
    repo: &Repo,
    number: u64,
    snapshot: &mut Snapshot,
) -> anyhow::Result<()> {
    let comments = gh
        .own_comments(repo, number)
        .await
        .with_context(|| format!("reading the comments of #{number}"))?;
    let markers = comments
        .iter()
        .filter_map(|c| c.body.as_deref())
        .flat_map(markers)
        .collect();
    snapshot.markers.insert(number, markers);
    snapshot
        .handoffs
        .insert(number, super::fallback::chain(&comments));
    snapshot.claims.insert(number, claim::records(&comments));
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
    let mut roles: BTreeMap<String, Option<Permission>> = BTreeMap::new();
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
        let reviews = gh
            .pull_reviews(repo, pull.number)
            .await
            .with_context(|| format!("reading the reviews of #{}", pull.number))?;
        let mut changes_requested = change_requests(&reviews);
        let wants_markers = !failing.is_empty()
            || config.conductor.review_agent.is_some()
            || !changes_requested.is_empty();
        let comments = if wants_markers {
            gh.own_comments(repo, pull.number).await?
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
        let responses: Vec<u64> = comments
            .iter()
            .flat_map(|c| claim::marker_fields(c.body.as_deref().unwrap_or_default(), "respond"))
            .filter_map(|f| f.get("review").and_then(|id| id.parse().ok()))
            .collect();
        for request in changes_requested
            .iter_mut()
            .filter(|r| !responses.contains(&r.id) && !r.bot)
        {
            if !roles.contains_key(&request.reviewer) {
                let role = gh
                    .permission(repo, &request.reviewer)
                    .await
                    .with_context(|| format!("reading {}'s permission", request.reviewer))?;
                let role = role.as_deref().and_then(Permission::from_github);
                roles.insert(request.reviewer.clone(), role);
            }
            request.permission = Some(roles[&request.reviewer]);
        }
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
            changes_requested,
            responses,
        });
    }
    Ok(found)
}

/// Each reviewer's latest deciding review, where it requests changes (a review's line comments
/// belong to it: the agent reads them with the review).
fn change_requests(reviews: &[crate::github::Review]) -> Vec<ChangeRequest> {
    let mut latest: BTreeMap<String, &crate::github::Review> = BTreeMap::new();
    for review in reviews {
        let Some(user) = &review.user else { continue };
        if review.state.is_decisive() {
            latest.insert(user.login.to_lowercase(), review);
        }
    }
    latest
        .into_values()
        .filter(|r| r.state == ReviewState::ChangesRequested)
        .filter_map(|r| {
            let user = r.user.as_ref()?;
            Some(ChangeRequest {
                id: r.id,
                reviewer: user.login.clone(),
                url: r.html_url.clone().unwrap_or_default(),
                body: r.body.clone().unwrap_or_default(),
                commit_id: r.commit_id.clone().unwrap_or_default(),
                bot: user.is_bot(),
                permission: None,
            })
        })
        .collect()
}

/// The `<!-- shiprig:… -->` markers in a comment body.
pub(crate) fn markers(body: &str) -> Vec<String> {
    body.match_indices("<!-- shiprig:")
        .filter_map(|(at, _)| {
            body[at..]
                .find("-->")
                .map(|end| body[at..at + end + 3].to_string())
        })
        .collect()
}

/// Who last added `approved` to each issue and when, with that person's role (asked once
/// each), and why it could not be read for the others. One GraphQL request per 100 issues reads
/// their latest 100 label events; an issue whose approval is older than that is read again from
/// its whole event list (paged REST), so a busy history never hides an approval. An issue whose
/// approval neither read shows (a GraphQL error, a failed page, an unknown actor) is returned
/// as unknown with the reason: it is held, never dispatched.
async fn approvals(
    gh: &GitHub,
    repo: &Repo,
    approved: &str,
    wanted: &BTreeSet<u64>,
) -> anyhow::Result<(
    BTreeMap<u64, Approval>,
    BTreeMap<u64, String>,
    Option<String>,
)> {
    let numbers: Vec<u64> = wanted.iter().copied().collect();
    let mut latest: BTreeMap<u64, Labeling> = BTreeMap::new();
    let mut unknown: BTreeMap<u64, String> = BTreeMap::new();
    let mut viewer = None;
    let mut texts = BTreeMap::new();
    match gh.labelings(repo, &numbers).await {
        Ok(found) => {
            viewer = found.viewer;
            texts = found.texts;
            for (number, events) in found.events {
                if let Some(event) = latest_approval(events, approved) {
                    latest.insert(number, event);
                }
            }
        }
        Err(e) => {
            tracing::warn!("reading who approved {} issues: {e}", numbers.len());
            for &number in &numbers {
                unknown.insert(number, format!("GitHub did not say who approved it ({e})"));
            }
        }
    }
    let older: Vec<u64> = numbers
        .iter()
        .copied()
        .filter(|n| !latest.contains_key(n) && !unknown.contains_key(n))
        .collect();
    for number in older {
        match older_approval(gh, repo, approved, number).await {
            Ok(Some(event)) => {
                latest.insert(number, event);
            }
            Ok(None) => {
                unknown.insert(number, "no `approved` label event was found".into());
            }
            Err(e) => {
                unknown.insert(number, format!("its label history could not be read ({e})"));
            }
        }
    }
    let mut roles: BTreeMap<String, Option<Permission>> = BTreeMap::new();
    let mut found = BTreeMap::new();
    for (number, event) in latest {
        let Some(actor) = event.actor else {
            unknown.insert(
                number,
                "the account that approved it no longer exists".into(),
            );
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
                at: event.at,
                actor,
                permission,
                bot: event.bot,
                text: texts.remove(&number),
            },
        );
    }
    Ok((found, unknown, viewer))
}

/// The latest `approved` labeling among `events`.
fn latest_approval(events: Vec<Labeling>, approved: &str) -> Option<Labeling> {
    events
        .into_iter()
        .filter(|e| e.label.eq_ignore_ascii_case(approved))
        .max_by_key(|e| e.at)
}

/// The issue's latest `approved` labeling from its whole event list.
async fn older_approval(
    gh: &GitHub,
    repo: &Repo,
    approved: &str,
    number: u64,
) -> anyhow::Result<Option<Labeling>> {
    let events = gh.issue_events(repo, number).await?;
    let labelings = events
        .into_iter()
        .filter(|e| e.event == "labeled")
        .filter_map(|e| {
            let label = e.label?.name;
            Some(Labeling {
                label,
                bot: e.actor.as_ref().is_some_and(|a| a.is_bot()),
                actor: e.actor.map(|a| a.login),
                at: e.created_at,
            })
        })
        .collect();
    Ok(latest_approval(labelings, approved))
}
