//! The human gate: decides whether a pull request needs a person's approval, from the base
//! branch's rules, and says so as a check run, labels and one sticky comment.
//!
//! Read (`read`), decide (`verdict`, pure), then act (`post`). Everything is pinned to the head
//! SHA of the event: a result is only ever posted for the SHA it was computed on.

pub mod approvals;
pub(crate) mod blobs;
pub mod changes;
pub(crate) mod deps;
pub(crate) mod event;
pub(crate) mod includes;
pub mod output;
pub(crate) mod post;
pub(crate) mod read;
pub mod rules;
pub(crate) mod tell;
pub mod verdict;

use serde::Serialize;

pub use event::GateEvent;
pub(crate) use post::Posted;
pub use rules::Rules;
pub(crate) use verdict::Sibling;
pub use verdict::{Evidence, GateVerdict, Outcome, verdict};

use crate::config::Config;
use crate::github::{GitHub, GitHubError, PullRequest, PullState, Repo, RequestStats};

/// Where the gate's config lives on the base branch.
pub(crate) use crate::config::CONFIG_PATH;

/// What `shiprig gate` asks of the gate for one pull request.
#[derive(Debug, Clone)]
pub struct GateRequest {
    pub repo: Repo,
    pub event: GateEvent,
    /// Print the verdict, write nothing.
    pub dry_run: bool,
    /// A local config instead of the base branch's (only with `dry_run`).
    pub local_config: Option<Config>,
    /// The pull request as the event carries it (GitHub's payload), when it does.
    pub pull: Option<PullRequest>,
}

/// One gate run's inputs, with the client it reads and posts through.
pub(crate) struct Gate<'a> {
    pub(crate) gh: &'a GitHub,
    pub(crate) repo: &'a Repo,
    pub(crate) event: GateEvent,
    /// Print the verdict, write nothing.
    pub(crate) dry_run: bool,
    /// A local config instead of the base branch's (only with `dry_run`).
    pub(crate) local_config: Option<Config>,
    /// The pull request as the event carries it (GitHub's payload): the first reading, used
    /// when it is of the event's head; the re-read after the verdict pins head and base.
    pub(crate) pull: Option<PullRequest>,
}

/// How a run ended; the command turns it into an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GateEnding {
    Pass,
    NeedsHuman,
    /// The base branch's config is missing or invalid: the check failed with the reason.
    BadConfig,
    /// The head moved: nothing was posted; the newer head's event will judge it.
    Superseded,
    /// GitHub failed (reading or posting): failing check where possible, never success.
    Outside,
}

/// What a run found and did.
#[derive(Debug, Clone, Serialize)]
pub struct GateReport {
    pub(crate) repository: String,
    pub(crate) event: GateEvent,
    pub ending: GateEnding,
    pub(crate) verdict: Option<GateVerdict>,
    pub(crate) posted: Posted,
    pub(crate) dry_run: bool,
    pub notes: Vec<String>,
    pub requests: RequestStats,
    /// The check summary, for the job summary.
    #[serde(skip)]
    pub(crate) markdown: String,
    /// The pull request as last read and the base's config the verdict was made by: what
    /// telling Slack needs, without reading either again.
    #[serde(skip)]
    pub(crate) pull: Option<PullRequest>,
    #[serde(skip)]
    pub(crate) config: Option<Config>,
}

/// What the gate read and decided about one pull request, pinned to the head and base it read.
pub(crate) struct Judgement {
    pub(crate) verdict: GateVerdict,
    /// The base branch's config the verdict was made by (the default when it could not be read).
    pub(crate) config: Config,
    /// The pull request as read after the verdict (head and base unchanged); `None` when not
    /// even it could be read.
    pub(crate) pull: Option<PullRequest>,
    /// The reviews the verdict read.
    pub(crate) reviews: Vec<approvals::GateReview>,
    /// GitHub's pull requests of the head commit, when the re-read was that list.
    listed: Option<Vec<PullRequest>>,
}

impl GateReport {
    /// An empty report for `gate`'s run, before anything was read.
    pub(crate) fn new(gate: &Gate<'_>) -> GateReport {
        GateReport {
            repository: gate.repo.to_string(),
            event: gate.event.clone(),
            ending: GateEnding::Outside,
            verdict: None,
            posted: Posted::default(),
            dry_run: gate.dry_run,
            notes: Vec::new(),
            requests: RequestStats::default(),
            markdown: String::new(),
            pull: None,
            config: None,
        }
    }
}

/// `shiprig gate`: read, decide, act.
pub async fn run(gh: &GitHub, request: &GateRequest) -> GateReport {
    let gate = Gate {
        gh,
        repo: &request.repo,
        event: request.event.clone(),
        dry_run: request.dry_run,
        local_config: request.local_config.clone(),
        pull: request.pull.clone(),
    };
    let mut report = GateReport::new(&gate);
    if let Some(mut judged) = judge_listing(&gate, &mut report, true).await {
        if judged.verdict.passed() && !gate.event.merge_group {
            siblings(&gate, &mut report, &mut judged).await;
        }
        act(&gate, &mut report, &judged).await;
        report.markdown = output::summary(&judged.verdict, &judged.config);
        report.verdict = Some(judged.verdict);
        report.pull = judged.pull;
        report.config = Some(judged.config);
    }
    report.requests = gate.gh.stats();
    report
}

/// The open pull requests whose head is `sha`, found through the API (never from an event's
/// own list): the ones a run that only says "something finished on this commit" judges.
pub(crate) async fn open_pulls_at(gh: &GitHub, repo: &Repo, sha: &str) -> anyhow::Result<Vec<u64>> {
    use anyhow::Context as _;
    let pulls = gh
        .pulls_for_commit(repo, sha)
        .await
        .with_context(|| format!("finding the pull requests of {sha}"))?;
    Ok(pulls
        .into_iter()
        .filter(|p| p.is_open())
        .map(|p| p.number)
        .collect())
}

/// Reads and decides for the pull request `gate.event` names, pinned to the head SHA (the
/// event's, else the first read's) and to the base it read: the one decision `shiprig gate`
/// posts and `shiprig merge` merges on. `None` when nothing may be posted (the head or the
/// base moved, or not even the pull request could be read and no SHA is known).
pub(crate) async fn judge(gate: &Gate<'_>, report: &mut GateReport) -> Option<Judgement> {
    judge_listing(gate, report, false).await
}

/// [`judge`]; with `listing`, a passing verdict's re-read is the list of the head commit's
/// pull requests, which the sibling check needs anyway. A first reading from the event whose
/// base has moved since is judged once more from a fresh reading.
async fn judge_listing(
    gate: &Gate<'_>,
    report: &mut GateReport,
    listing: bool,
) -> Option<Judgement> {
    let from_event = gate.pull.as_ref().filter(|p| {
        p.number == gate.event.number
            && !gate.event.merge_group
            && p.head.sha == gate.event.head_sha
    });
    if let Some(pull) = from_event {
        let mut first = GateReport::new(gate);
        first.event = report.event.clone();
        if let Ok(judged) = judge_from(gate, &mut first, pull.clone(), listing).await {
            *report = first;
            return judged;
        }
    }
    let pull = match gate.gh.pull(gate.repo, gate.event.number).await {
        Ok(pull) => pull,
        Err(e) => {
            report
                .notes
                .push(format!("reading the pull request failed: {e}"));
            let verdict = GateVerdict::cannot_judge(&gate.event.head_sha, e.to_string());
            return (!gate.event.head_sha.is_empty()).then(|| Judgement {
                verdict: pinned_to(verdict, gate.event.number, None),
                config: Config::default(),
                pull: None,
                reviews: Vec::new(),
                listed: None,
            });
        }
    };
    judge_from(gate, report, pull, listing)
        .await
        .unwrap_or(None)
}

/// The base moved between the first reading and the re-read (the report says so).
struct BaseMoved;

async fn judge_from(
    gate: &Gate<'_>,
    report: &mut GateReport,
    pull: PullRequest,
    listing: bool,
) -> Result<Option<Judgement>, BaseMoved> {
    if gate.event.head_sha.is_empty() {
        report.event.head_sha = pull.head.sha.clone();
    }
    let pinned = report.event.head_sha.clone();
    if !gate.event.merge_group && pull.head.sha != pinned {
        superseded(report, &pinned, &pull.head.sha);
        return Ok(None);
    }
    let (verdict, config, reviews, judged) = decide(gate, report, &pull, &pinned).await;
    let mut judgement = Judgement {
        verdict: pinned_to(verdict, pull.number, Some(&pull)),
        config,
        pull: None,
        reviews,
        listed: None,
    };
    // Pinning: neither the head nor the base may have moved while we read.
    let list = listing && judgement.verdict.passed() && !gate.event.merge_group;
    let reread = match list {
        true => reread_listed(gate, &pull, &mut judgement).await,
        false => gate.gh.pull(gate.repo, gate.event.number).await,
    };
    match reread {
        Ok(now) if now.head.sha != pull.head.sha => {
            superseded(report, &pull.head.sha, &now.head.sha);
            return Ok(None);
        }
        Ok(now) if (&now.base.name, &now.base.sha) != (&pull.base.name, &pull.base.sha) => {
            rebased(report, &pull, &now);
            return Err(BaseMoved);
        }
        Ok(now) => {
            if judged {
                report.ending = match judgement.verdict.outcome {
                    Outcome::Pass => GateEnding::Pass,
                    _ => GateEnding::NeedsHuman,
                };
            }
            judgement.pull = Some(now);
        }
        Err(e) => {
            report.ending = GateEnding::Outside;
            let verdict =
                GateVerdict::cannot_judge(&pinned, format!("re-reading the head failed: {e}"));
            judgement.verdict = pinned_to(verdict, pull.number, Some(&pull));
            judgement.pull = Some(pull);
        }
    }
    if gate.event.merge_group {
        judgement.verdict.head_sha = pinned;
    }
    Ok(Some(judgement))
}

/// The re-read as the head commit's list of pull requests (kept for the sibling check); the
/// pull request itself when the list does not hold it at this head.
async fn reread_listed(
    gate: &Gate<'_>,
    pull: &PullRequest,
    judgement: &mut Judgement,
) -> Result<PullRequest, GitHubError> {
    let pulls = gate.gh.pulls_for_commit(gate.repo, &pull.head.sha).await?;
    let own = pulls
        .iter()
        .find(|p| {
            p.number == pull.number && p.state == PullState::Open && p.head.sha == pull.head.sha
        })
        .cloned();
    judgement.listed = Some(pulls);
    match own {
        Some(own) => Ok(own),
        None => gate.gh.pull(gate.repo, gate.event.number).await,
    }
}

/// The config, the rules, the evidence and the verdict for `pull` as read; sets the report's
/// ending where the gate could not judge; `true` when the evidence was read.
async fn decide(
    gate: &Gate<'_>,
    report: &mut GateReport,
    pull: &PullRequest,
    pinned: &str,
) -> (GateVerdict, Config, Vec<approvals::GateReview>, bool) {
    let config = match base_config(gate, pull).await {
        Ok(config) => config,
        Err((reason, ending)) => {
            report.ending = ending;
            let verdict = GateVerdict::cannot_judge(pinned, reason);
            return (verdict, Config::default(), Vec::new(), false);
        }
    };
    let rules = match Rules::compile(&config.gate) {
        Ok(rules) => rules,
        Err(e) => {
            report.ending = GateEnding::BadConfig;
            let verdict = GateVerdict::cannot_judge(pinned, format!("the gate rules: {e}"));
            return (verdict, config, Vec::new(), false);
        }
    };
    let evidence = read::evidence(gate.gh, gate.repo, pull, &report.event, &rules, &config).await;
    match evidence {
        Ok(evidence) => {
            let verdict = verdict::verdict(&evidence, &rules, &config);
            (verdict, config, evidence.reviews, true)
        }
        Err(e) => {
            report.ending = GateEnding::Outside;
            let reason = format!("GitHub failed while the gate was reading: {e}");
            (
                GateVerdict::cannot_judge(pinned, reason),
                config,
                Vec::new(),
                false,
            )
        }
    }
}

/// The verdict names the pull request and the base it judged.
fn pinned_to(mut verdict: GateVerdict, number: u64, pull: Option<&PullRequest>) -> GateVerdict {
    verdict.pull = number;
    if let Some(pull) = pull {
        verdict.base_ref = pull.base.name.clone();
        verdict.base_sha = pull.base.sha.clone();
    }
    verdict
}

/// The check on a head SHA speaks for every open pull request with that head: another open
/// one that does not pass holds it (a decoy PR of the same commit into a branch its author
/// owns must not lend its `success` to the real one). The list is GitHub's pull requests for
/// the commit (`GET /commits/{sha}/pulls`), kept to open ones whose head is exactly the SHA:
/// unlike `pulls?head=`, it finds siblings whatever branch or fork they come from. A list that
/// cannot be read, or one that misses this pull request, holds the check too.
async fn siblings(gate: &Gate<'_>, report: &mut GateReport, judged: &mut Judgement) {
    let verdict = &mut judged.verdict;
    let sha = verdict.head_sha.clone();
    let listed = match judged.listed.take() {
        Some(pulls) => Ok(pulls),
        None => gate.gh.pulls_for_commit(gate.repo, &sha).await,
    };
    let hold = |verdict: &mut GateVerdict, title: String| {
        verdict.siblings.push(Sibling {
            pull: verdict.pull,
            base_ref: verdict.base_ref.clone(),
            passed: false,
            title,
        });
    };
    let pulls = match listed {
        Ok(pulls) => pulls,
        Err(e) => {
            report.ending = GateEnding::Outside;
            return hold(
                verdict,
                format!("the open pull requests of this commit could not be listed: {e}"),
            );
        }
    };
    let open: Vec<_> = pulls
        .into_iter()
        .filter(|p| p.state == PullState::Open && p.head.sha == sha)
        .collect();
    if !open.iter().any(|p| p.number == verdict.pull) {
        return hold(
            verdict,
            "GitHub's list of this commit's open pull requests misses this one".into(),
        );
    }
    for other in open.iter().filter(|p| p.number != verdict.pull) {
        let sibling = Gate {
            gh: gate.gh,
            repo: gate.repo,
            event: GateEvent::pinned(other.number, &sha),
            dry_run: true,
            local_config: gate.local_config.clone(),
            pull: Some(other.clone()),
        };
        let mut quiet = GateReport::new(&sibling);
        let judged = judge(&sibling, &mut quiet).await;
        let (passed, title) = match &judged {
            Some(j) => (
                j.verdict.outcome == Outcome::Pass,
                output::title(&j.verdict),
            ),
            None => (
                false,
                "its head or base moved while the gate read it".into(),
            ),
        };
        verdict.siblings.push(Sibling {
            pull: other.number,
            base_ref: other.base.name.clone(),
            passed,
            title,
        });
    }
    if !verdict.passed() && report.ending == GateEnding::Pass {
        report.ending = GateEnding::NeedsHuman;
    }
}

fn superseded(report: &mut GateReport, judged: &str, now: &str) {
    report.ending = GateEnding::Superseded;
    report.notes.push(format!(
        "the head moved from {} to {} while the gate ran; nothing posted (a result is only posted for the SHA it was computed on; the push's own event judges {})",
        approvals::short(judged),
        approvals::short(now),
        approvals::short(now),
    ));
}

fn rebased(report: &mut GateReport, judged: &PullRequest, now: &PullRequest) {
    report.ending = GateEnding::Superseded;
    report.notes.push(format!(
        "the base moved from {} at {} to {} at {} while the gate ran; nothing posted (a verdict is only posted for the base it was judged against; the `edited` event judges the new base)",
        crate::markdown::inline(&judged.base.name, 100),
        approvals::short(&judged.base.sha),
        crate::markdown::inline(&now.base.name, 100),
        approvals::short(&now.base.sha),
    ));
}

/// The config from the base branch at the base SHA, through the API; never from the head.
async fn base_config(gate: &Gate<'_>, pull: &PullRequest) -> Result<Config, (String, GateEnding)> {
    if let Some(config) = &gate.local_config {
        return Ok(config.clone());
    }
    let text = gate
        .gh
        .file_text(gate.repo, CONFIG_PATH, Some(&pull.base.sha))
        .await
        .map_err(|e| {
            (
                format!("reading {CONFIG_PATH} failed: {e}"),
                GateEnding::Outside,
            )
        })?;
    let source = format!("{CONFIG_PATH}@{}", pull.base.name);
    let Some(text) = text else {
        return Err((
            format!(
                "{source} does not exist, so there are no rules to judge by (add it to the base branch)"
            ),
            GateEnding::BadConfig,
        ));
    };
    Config::from_yaml(&source, &text).map_err(|e| (e.to_string(), GateEnding::BadConfig))
}

async fn act(gate: &Gate<'_>, report: &mut GateReport, judged: &Judgement) {
    let (verdict, config) = (&judged.verdict, &judged.config);
    if gate.dry_run {
        return;
    }
    let (gh, repo, number) = (gate.gh, gate.repo, gate.event.number);
    // Who pushed this head is remembered on the check run, for the runs that come after.
    let mut pushers = verdict.pushers.clone();
    pushers.extend(gate.event.pusher());
    pushers.sort();
    pushers.dedup();
    let sha = &report.event.head_sha;
    match post::result(gh, repo, sha, verdict, config, &pushers).await {
        Ok(how) => report.posted.check = Some(how),
        Err(e) => {
            report.notes.push(e);
            report.ending = GateEnding::Outside;
            return;
        }
    }
    if gate.event.merge_group {
        return;
    }
    // The labels and the comment count as the pull request was last read.
    let labels = judged.pull.as_ref().map(|p| p.labels.clone());
    let labels = labels.unwrap_or_default();
    let uncommented = judged.pull.as_ref().is_some_and(|p| p.comments == Some(0));
    let posted = &mut report.posted;
    let labelled = post::labels(gh, repo, number, &labels, verdict, config, posted).await;
    let commented = post::comment(gh, repo, number, verdict, config, uncommented).await;
    let mut failed = false;
    match commented {
        Ok(state) => report.posted.comment = state,
        Err(e) => {
            failed = true;
            report.notes.push(format!("the sticky comment: {e}"));
        }
    }
    if let Err(e) = labelled {
        failed = true;
        report.notes.push(format!("the labels: {e}"));
    }
    if failed {
        report.ending = GateEnding::Outside;
    }
}
