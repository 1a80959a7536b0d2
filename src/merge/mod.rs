//! `shiprig merge`: a pull request that needs no human merges itself, with `sha` pinned to the
//! head it evaluated, once every check is green, the human gate passes, and someone other than
//! its author approved that head. The decision is [`decide`], pure; everything else reads.

use anyhow::Context as _;
use serde::Serialize;

use crate::config::Config;
use crate::context::{self, Ctx};
use crate::github::{CheckRun, CommitStatus, GitHub, GitHubError, PullRequest, Repo, Review};

pub mod follow;

/// The gate's check run on the head SHA (`shiprig gate` posts it).
pub const GATE_CHECK: &str = "shiprig/human-gate";
/// The branch `release-pr` opens the release from; never merged by a bot.
pub const RELEASE_BRANCH: &str = "shiprig/release";
/// Squash keeps one conventional commit (the PR title) per change on the main branch.
pub const MERGE_METHOD: &str = "squash";

/// Everything the decision reads, all of it about one head SHA.
#[derive(Debug, Clone)]
pub struct Facts {
    pub pull: PullRequest,
    pub checks: Vec<CheckRun>,
    pub statuses: Vec<CommitStatus>,
    /// Contexts the base branch requires: its protection's and its rulesets'.
    pub required: Option<Vec<String>>,
    pub reviews: Vec<Review>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub pull: u64,
    /// The head SHA the decision is about; the merge is pinned to it.
    pub sha: String,
    pub merge: bool,
    /// Why not, when `merge` is false.
    pub reasons: Vec<String>,
    /// The approvals that counted.
    pub approved_by: Vec<String>,
}

fn green(conclusion: Option<&str>) -> bool {
    matches!(conclusion, Some("success" | "neutral" | "skipped"))
}

/// Decides whether to merge; every reason not to is listed.
pub fn decide(facts: &Facts, config: &Config) -> Decision {
    let pull = &facts.pull;
    let mut reasons = Vec::new();
    if pull.state != "open" || pull.is_merged() {
        reasons.push(format!("the pull request is {}", pull.state));
    }
    if pull.draft {
        reasons.push("the pull request is a draft".into());
    }
    if pull.base.name != config.release.main_branch {
        reasons.push(format!(
            "it targets `{}`, not `{}`: only changes to the main branch merge themselves",
            pull.base.name, config.release.main_branch
        ));
    }
    if pull.head.name == RELEASE_BRANCH {
        reasons.push("a release pull request is merged by a human".into());
    }
    reasons.extend(check_reasons(facts));
    let approved_by = approvals(facts, config);
    if approved_by.is_empty() {
        reasons.push(format!(
            "no approving review of {} from someone other than its author{}",
            short(&pull.head.sha),
            if gated(pull, config) {
                " (a human gate applies: agents and bots do not count)"
            } else {
                ""
            }
        ));
    }
    reasons.extend(changes_requested(facts));
    Decision {
        pull: pull.number,
        sha: pull.head.sha.clone(),
        merge: reasons.is_empty(),
        reasons,
        approved_by,
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

/// Checks and statuses: all green, the gate among them, and every required context present.
fn check_reasons(facts: &Facts) -> Vec<String> {
    let mut reasons = Vec::new();
    for check in &facts.checks {
        if check.status != "completed" {
            reasons.push(format!("check `{}` is {}", check.name, check.status));
        } else if !green(check.conclusion.as_deref()) {
            let conclusion = check.conclusion.as_deref().unwrap_or("unknown");
            reasons.push(format!("check `{}` concluded {conclusion}", check.name));
        }
    }
    for status in &facts.statuses {
        if status.state != "success" {
            reasons.push(format!("status `{}` is {}", status.context, status.state));
        }
    }
    let present = |name: &str| {
        facts.checks.iter().any(|c| c.name == name)
            || facts.statuses.iter().any(|s| s.context == name)
    };
    if !present(GATE_CHECK) {
        reasons.push(format!("the human gate (`{GATE_CHECK}`) has not reported"));
    }
    for required in facts.required.iter().flatten() {
        if !present(required) {
            reasons.push(format!("required check `{required}` has not reported"));
        }
    }
    reasons
}

/// A human gate applies when the gate labelled the pull request.
fn gated(pull: &PullRequest, config: &Config) -> bool {
    pull.has_label(&config.labels.human_gate)
}

fn is_agent(login: &str, config: &Config) -> bool {
    config.conductor.agent_with_login(login).is_some()
}

/// Each reviewer's latest deciding review (COMMENTED and PENDING decide nothing).
fn latest_reviews(reviews: &[Review]) -> Vec<&Review> {
    let mut latest: Vec<&Review> = Vec::new();
    for review in reviews {
        if !matches!(
            review.state.as_str(),
            "APPROVED" | "CHANGES_REQUESTED" | "DISMISSED"
        ) {
            continue;
        }
        let login = review.user.as_ref().map(|u| u.login.as_str());
        latest.retain(|r| r.user.as_ref().map(|u| u.login.as_str()) != login);
        latest.push(review);
    }
    latest
}

/// Approvals of the head SHA that count: not the author; no agent or bot where a human gate
/// applies.
fn approvals(facts: &Facts, config: &Config) -> Vec<String> {
    let pull = &facts.pull;
    let gated = gated(pull, config);
    latest_reviews(&facts.reviews)
        .into_iter()
        .filter(|r| r.state == "APPROVED")
        .filter(|r| r.commit_id.as_deref() == Some(pull.head.sha.as_str()))
        .filter_map(|r| r.user.as_ref())
        .filter(|u| !u.login.eq_ignore_ascii_case(pull.author()))
        .filter(|u| !gated || !(u.is_bot() || is_agent(&u.login, config)))
        .map(|u| u.login.clone())
        .collect()
}

fn changes_requested(facts: &Facts) -> Vec<String> {
    latest_reviews(&facts.reviews)
        .into_iter()
        .filter(|r| r.state == "CHANGES_REQUESTED")
        .map(|r| {
            let who = r.user.as_ref().map_or("someone", |u| u.login.as_str());
            format!("{who} requested changes")
        })
        .collect()
}

/// The status check contexts a branch requires, from what an Actions token can read: the
/// branch's `protection` summary (`GET /repos/{o}/{r}/branches/{b}`) and every
/// `required_status_checks` rule (`GET /repos/{o}/{r}/rules/branches/{b}`).
pub fn required_checks(branch: &serde_json::Value, rules: &[serde_json::Value]) -> Vec<String> {
    let summary = branch.pointer("/protection/required_status_checks");
    let names = |list: Option<&serde_json::Value>, key: Option<&str>| -> Vec<String> {
        list.and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| {
                key.map_or(Some(v), |k| v.get(k))?
                    .as_str()
                    .map(str::to_string)
            })
            .collect()
    };
    let mut required = names(summary.and_then(|s| s.get("contexts")), None);
    required.extend(names(
        summary.and_then(|s| s.get("checks")),
        Some("context"),
    ));
    for rule in rules
        .iter()
        .filter(|r| r["type"] == "required_status_checks")
    {
        required.extend(names(
            rule.pointer("/parameters/required_status_checks"),
            Some("context"),
        ));
    }
    required.sort();
    required.dedup();
    required
}

/// Reads the facts about a pull request's current head.
pub async fn read(gh: &GitHub, repo: &Repo, number: u64) -> Result<Facts, GitHubError> {
    let pull = gh.pull(repo, number).await?;
    let sha = pull.head.sha.clone();
    let checks = gh.check_runs(repo, &sha).await?;
    let statuses = gh.latest_statuses(repo, &sha).await?;
    let branch = gh.branch(repo, &pull.base.name).await?;
    let rules = gh.branch_rules(repo, &pull.base.name).await?;
    let required = Some(required_checks(&branch, &rules));
    let reviews = gh.pull_reviews(repo, number).await?;
    Ok(Facts {
        pull,
        checks,
        statuses,
        required,
        reviews,
    })
}

/// One pull request's decision and what came of it.
#[derive(Debug, Serialize)]
pub struct Merged {
    #[serde(flatten)]
    pub decision: Decision,
    pub merged: bool,
    pub dry_run: bool,
    /// When the pull request was merged (now, or before this run), as GitHub says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_at: Option<String>,
}

/// Decides for each pull request `--pr` or the event names, and (unless `dry_run`) merges
/// those that may merge, pinned to the head that was judged.
pub async fn run(
    ctx: &Ctx,
    flag: Option<u64>,
    event: &serde_json::Value,
    dry_run: bool,
) -> anyhow::Result<Vec<Merged>> {
    let mut outcomes = Vec::new();
    for number in pull_numbers(ctx, flag, event).await? {
        let facts = read(&ctx.gh, &ctx.repo, number)
            .await
            .with_context(|| format!("reading pull request #{number}"))?;
        let mut decision = decide(&facts, &ctx.config);
        let mut merged = false;
        let mut merged_at = facts.pull.merged_at.clone();
        if decision.merge && !dry_run {
            match ctx
                .gh
                .merge_pull(&ctx.repo, number, &decision.sha, MERGE_METHOD)
                .await
            {
                Ok(()) => {
                    merged = true;
                    // Read back; unread, the follow-ons wait for the next run.
                    let read = ctx.gh.pull(&ctx.repo, number).await;
                    merged_at = read.ok().and_then(|p| p.merged_at);
                }
                // 409: the head moved after the decision; the next event decides again.
                Err(e) if matches!(e.status(), Some(405 | 409)) => {
                    decision
                        .reasons
                        .push(format!("GitHub refused the merge: {e}"));
                }
                Err(e) => return Err(e).with_context(|| format!("merging #{number}")),
            }
        }
        outcomes.push(Merged {
            decision,
            merged,
            dry_run,
            merged_at,
        });
    }
    Ok(outcomes)
}

/// With the Actions token, GitHub starts nothing from a merge's events: starts the follow-on
/// workflows of each merged pull request itself (see [`follow`]), on the main branch.
pub async fn follow_on(ctx: &Ctx, outcomes: &[Merged]) -> Vec<(u64, Vec<follow::Started>)> {
    let mut out = Vec::new();
    for o in outcomes.iter().filter(|o| !o.dry_run) {
        let Some(at) = o.merged_at.as_deref().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let branch = &ctx.config.release.main_branch;
        let started = follow::start(&ctx.gh, &ctx.repo, branch, o.decision.pull, at).await;
        out.push((o.decision.pull, started));
    }
    out
}

/// `--pr`, else the pull requests the event names: `pull_request`/`pull_request_review`,
/// `check_suite`/`check_run` (their `pull_requests`), or `status` (open PRs whose head is the SHA).
async fn pull_numbers(
    ctx: &Ctx,
    flag: Option<u64>,
    event: &serde_json::Value,
) -> anyhow::Result<Vec<u64>> {
    let named = context::pull_number(flag, event);
    if let Ok(number) = named {
        return Ok(vec![number]);
    }
    let listed = event
        .pointer("/check_suite/pull_requests")
        .or_else(|| event.pointer("/check_run/check_suite/pull_requests"))
        .or_else(|| event.pointer("/check_run/pull_requests"))
        .and_then(|v| v.as_array());
    if let Some(listed) = listed {
        return Ok(listed.iter().filter_map(|p| p["number"].as_u64()).collect());
    }
    // `workflow_run` (a review or CI finished): the pull requests of its head SHA, read
    // through the API; the payload's own `pull_requests` list is not trusted.
    let sha = event
        .pointer("/sha")
        .or_else(|| event.pointer("/workflow_run/head_sha"));
    if let Some(sha) = sha.and_then(|v| v.as_str()) {
        let pulls = ctx
            .gh
            .pulls_for_commit(&ctx.repo, sha)
            .await
            .with_context(|| format!("finding the pull requests of {sha}"))?;
        return Ok(pulls
            .into_iter()
            .filter(|p| p.state == "open")
            .map(|p| p.number)
            .collect());
    }
    named.map(|n| vec![n])
}
