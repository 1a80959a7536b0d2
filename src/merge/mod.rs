//! `shiprig merge`: a pull request merges itself when the human gate, computed here by the same
//! reads and the same decision as `shiprig gate` ([`crate::gate::judge`]), passes; every other
//! check is green; someone the gate counts approved that head; and the base has not moved
//! since. The merge is pinned to the head it judged (`sha`). A check run or status named like
//! the gate is never taken for the gate: anyone can post one. The decision is [`decide`], pure;
//! everything else reads.

use anyhow::Context as _;
use serde::Serialize;

use crate::actions_event::{self, ActionsEvent};
use crate::config::Config;
use crate::gate::approvals::GateReview;
use crate::gate::{self, Gate, GateEvent, GateReport, GateVerdict, output};
use crate::github::{
    CheckRun, CommitState, CommitStatus, GitHub, GitHubError, PullRequest, Repo, ReviewState,
    RunConclusion, RunStatus,
};

pub(crate) mod follow;

/// The gate's check run on the head SHA (`shiprig gate` posts it).
pub(crate) const GATE_CHECK: &str = "shiprig/human-gate";
/// The branch `release-pr` opens the release from; never merged by a bot.
pub(crate) const RELEASE_BRANCH: &str = "shiprig/release";
/// Squash keeps one conventional commit (the PR title) per change on the main branch.
pub(crate) const MERGE_METHOD: &str = "squash";

/// Everything the decision reads, all of it about one head SHA and one base SHA.
#[derive(Debug, Clone)]
pub(crate) struct MergeFacts {
    pub(crate) pull: PullRequest,
    /// The gate's verdict, computed by this run: it names the PR, base and head it judged.
    pub(crate) verdict: GateVerdict,
    /// The check's name in the base branch's config (`gate.check_name`).
    pub(crate) gate_check: String,
    pub(crate) checks: Vec<CheckRun>,
    pub(crate) statuses: Vec<CommitStatus>,
    /// Contexts the base branch requires: its protection's and its rulesets'.
    pub(crate) required: Option<Vec<String>>,
    /// The reviews the gate read.
    pub(crate) reviews: Vec<GateReview>,
    /// The base branch's SHA, read last, right before the merge.
    pub(crate) base_now: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Decision {
    pub(crate) pull: u64,
    /// The head SHA the decision is about; the merge is pinned to it.
    pub(crate) sha: String,
    /// The base SHA the gate judged against; the merge waits if the base moved.
    pub(crate) base_sha: String,
    pub(crate) merge: bool,
    /// Why not, when `merge` is false.
    pub(crate) reasons: Vec<String>,
    /// The approvals that counted.
    pub(crate) approved_by: Vec<String>,
}

/// Decides whether to merge; every reason not to is listed.
pub(crate) fn decide(facts: &MergeFacts, config: &Config) -> Decision {
    let (pull, verdict) = (&facts.pull, &facts.verdict);
    let mut reasons = Vec::new();
    if !pull.is_open() {
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
    reasons.extend(pinning_reasons(facts));
    if !verdict.passed() {
        let mut why = format!("the human gate: {}", output::title(verdict));
        if let Some(reason) = &verdict.reason {
            why.push_str(&format!(" ({reason})"));
        }
        reasons.push(why);
    }
    reasons.extend(check_reasons(facts));
    let agent_reviewed = verdict.gated.is_empty() && verdict.reviewed_by_agent.is_some();
    if verdict.approved_by.is_empty() && !agent_reviewed {
        reasons.push(format!(
            "no approving review of {} that the gate counts (a person with the permission who did not write it; authors, committers, pushers, agents, bots and shiprig never count; with nothing gated, the review agent's approval is enough)",
            short(&pull.head.sha)
        ));
    }
    reasons.extend(changes_requested(&facts.reviews));
    Decision {
        pull: pull.number,
        sha: verdict.head_sha.clone(),
        base_sha: verdict.base_sha.clone(),
        merge: reasons.is_empty(),
        reasons,
        approved_by: if verdict.approved_by.is_empty() && agent_reviewed {
            verdict.reviewed_by_agent.iter().cloned().collect()
        } else {
            verdict.approved_by.clone()
        },
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

/// The verdict must be this pull request's, on its head, against the base as it is now.
fn pinning_reasons(facts: &MergeFacts) -> Vec<String> {
    let (pull, verdict) = (&facts.pull, &facts.verdict);
    let mut reasons = Vec::new();
    if verdict.pull != pull.number || verdict.head_sha != pull.head.sha {
        reasons.push(format!(
            "the gate's verdict is for #{} at {}, not #{} at {}",
            verdict.pull,
            short(&verdict.head_sha),
            pull.number,
            short(&pull.head.sha)
        ));
    }
    match &facts.base_now {
        Some(now) if *now == verdict.base_sha => {}
        Some(now) => reasons.push(format!(
            "`{}` moved from {} to {} after the gate judged against it; the next event decides again",
            pull.base.name,
            short(&verdict.base_sha),
            short(now)
        )),
        None => reasons.push(format!(
            "the SHA of `{}` could not be read right before merging",
            pull.base.name
        )),
    }
    reasons
}

/// Checks and statuses other than the gate's name: all green, and every required context
/// present. A required context named like the gate is the verdict computed here.
fn check_reasons(facts: &MergeFacts) -> Vec<String> {
    let gate_named = |name: &str| name == facts.gate_check || name == GATE_CHECK;
    let mut reasons = Vec::new();
    for check in facts.checks.iter().filter(|c| !gate_named(&c.name)) {
        let conclusion = check.conclusion.as_ref();
        if check.status != RunStatus::Completed {
            reasons.push(format!("check `{}` is {}", check.name, check.status));
        } else if !conclusion.is_some_and(RunConclusion::is_green) {
            let conclusion = conclusion.map_or("unknown", RunConclusion::as_str);
            reasons.push(format!("check `{}` concluded {conclusion}", check.name));
        }
    }
    for status in facts.statuses.iter().filter(|s| !gate_named(&s.context)) {
        if status.state != CommitState::Success {
            reasons.push(format!("status `{}` is {}", status.context, status.state));
        }
    }
    let present = |name: &str| {
        facts.checks.iter().any(|c| c.name == name)
            || facts.statuses.iter().any(|s| s.context == name)
    };
    for required in facts.required.iter().flatten() {
        if !gate_named(required) && !present(required) {
            reasons.push(format!("required check `{required}` has not reported"));
        }
    }
    reasons
}

/// Each reviewer's latest deciding review (COMMENTED and PENDING decide nothing).
fn latest_reviews(reviews: &[GateReview]) -> Vec<&GateReview> {
    let mut latest: Vec<&GateReview> = Vec::new();
    for review in reviews {
        if !review.state.is_decisive() {
            continue;
        }
        latest.retain(|r| !r.login.eq_ignore_ascii_case(&review.login));
        latest.push(review);
    }
    latest
}

fn changes_requested(reviews: &[GateReview]) -> Vec<String> {
    latest_reviews(reviews)
        .into_iter()
        .filter(|r| r.state == ReviewState::ChangesRequested)
        .map(|r| format!("{} requested changes", r.login))
        .collect()
}

/// The status check contexts a branch requires, from what an Actions token can read: the
/// branch's `protection` summary (`GET /repos/{o}/{r}/branches/{b}`) and every
/// `required_status_checks` rule (`GET /repos/{o}/{r}/rules/branches/{b}`).
pub(crate) fn required_checks(
    branch: &serde_json::Value,
    rules: &[serde_json::Value],
) -> Vec<String> {
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

/// Reads the facts about a pull request's current head: the gate's own verdict (the same
/// reads and decision as `shiprig gate`, nothing posted), the other checks, and last the base
/// branch (its required checks and its SHA, compared with the base the gate judged).
/// `Ok(None)`: the head or base moved while the gate read; the next event decides.
pub(crate) async fn read(
    gh: &GitHub,
    repo: &Repo,
    number: u64,
) -> Result<Option<MergeFacts>, GitHubError> {
    let gate = Gate {
        gh,
        repo,
        event: GateEvent::local(number),
        dry_run: true,
        local_config: None,
        pull: None,
    };
    let mut report = GateReport::new(&gate);
    let Some(judged) = gate::judge(&gate, &mut report).await else {
        return Ok(None);
    };
    let pull = match judged.pull {
        Some(pull) => pull,
        None => gh.pull(repo, number).await?,
    };
    let sha = judged.verdict.head_sha.clone();
    let checks = gh.check_runs(repo, &sha).await?;
    let statuses = gh.latest_statuses(repo, &sha).await?;
    let rules = gh.branch_rules(repo, &pull.base.name).await?;
    let branch = gh.branch(repo, &pull.base.name).await?;
    let required = Some(required_checks(&branch, &rules));
    let base_now = branch
        .pointer("/commit/sha")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    Ok(Some(MergeFacts {
        pull,
        verdict: judged.verdict,
        gate_check: judged.config.gate.check_name.clone(),
        checks,
        statuses,
        required,
        reviews: judged.reviews,
        base_now,
    }))
}

/// One pull request's decision and what came of it.
#[derive(Debug, Serialize)]
pub(crate) struct Merged {
    #[serde(flatten)]
    pub(crate) decision: Decision,
    pub(crate) merged: bool,
    pub(crate) dry_run: bool,
    /// When the pull request was merged (now, or before this run), as GitHub says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) merged_at: Option<String>,
}

/// What `shiprig merge` asks for: the pull request `--pr` names, else those the event names.
#[derive(Debug, Clone)]
pub(crate) struct MergeRequest {
    pub(crate) repo: Repo,
    pub(crate) config: Config,
    /// `--pr`.
    pub(crate) pr: Option<u64>,
    /// The event that started the run (empty outside Actions).
    pub(crate) event: ActionsEvent,
    pub(crate) dry_run: bool,
}

/// Decides for each pull request `--pr` or the event names, and (unless `dry_run`) merges
/// those that may merge, pinned to the head that was judged.
pub(crate) async fn run(gh: &GitHub, request: &MergeRequest) -> anyhow::Result<Vec<Merged>> {
    let (repo, dry_run) = (&request.repo, request.dry_run);
    let mut outcomes = Vec::new();
    for number in pull_numbers(gh, request).await? {
        let facts = read(gh, repo, number)
            .await
            .with_context(|| format!("reading pull request #{number}"))?;
        let Some(facts) = facts else {
            outcomes.push(Merged {
                decision: moved(number),
                merged: false,
                dry_run,
                merged_at: None,
            });
            continue;
        };
        let mut decision = decide(&facts, &request.config);
        let mut merged = false;
        let mut merged_at = facts.pull.merged_at.clone();
        if decision.merge && !dry_run {
            match gh
                .merge_pull(repo, number, &decision.sha, MERGE_METHOD)
                .await
            {
                Ok(()) => {
                    merged = true;
                    // Read back; unread, the follow-ons wait for the next run.
                    let read = gh.pull(repo, number).await;
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

/// The head or base moved while the gate read: nothing to decide on.
fn moved(number: u64) -> Decision {
    Decision {
        pull: number,
        sha: String::new(),
        base_sha: String::new(),
        merge: false,
        reasons: vec![
            "the head or the base moved while the gate read it; the next event decides again"
                .into(),
        ],
        approved_by: Vec::new(),
    }
}

/// With the Actions token, GitHub starts nothing from a merge's events: starts the follow-on
/// workflows of each merged pull request itself (see [`follow`]), on the main branch.
pub(crate) async fn follow_on(
    gh: &GitHub,
    request: &MergeRequest,
    outcomes: &[Merged],
) -> Vec<(u64, Vec<follow::FollowOnResult>)> {
    let mut out = Vec::new();
    for o in outcomes.iter().filter(|o| !o.dry_run) {
        let Some(at) = o.merged_at.as_deref().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let branch = &request.config.release.main_branch;
        let started = follow::start(gh, &request.repo, branch, o.decision.pull, at).await;
        out.push((o.decision.pull, started));
    }
    out
}

/// `--pr`, else the pull requests the event names: `pull_request`/`pull_request_review`,
/// `check_suite`/`check_run` (their `pull_requests`), or `status` (open PRs whose head is the SHA).
async fn pull_numbers(gh: &GitHub, request: &MergeRequest) -> anyhow::Result<Vec<u64>> {
    let event = &request.event;
    let named = actions_event::pull_number(request.pr, event);
    if let Ok(number) = named {
        return Ok(vec![number]);
    }
    if let Some(listed) = event.listed_pulls() {
        return Ok(listed);
    }
    // `workflow_run` (a review or CI finished): the pull requests of its head SHA, read
    // through the API; the payload's own `pull_requests` list is not trusted.
    if let Some(sha) = event.commit_sha() {
        return gate::open_pulls_at(gh, &request.repo, &sha).await;
    }
    Ok(named.map(|n| vec![n])?)
}

#[cfg(test)]
mod tests;
