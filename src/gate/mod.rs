//! The human gate: decides whether a pull request needs a person's approval, from the base
//! branch's rules, and says so as a check run, labels and one sticky comment.
//!
//! Read (`read`), decide (`verdict`, pure), then act (`post`). Everything is pinned to the head
//! SHA of the event: a result is only ever posted for the SHA it was computed on.

pub mod approvals;
pub mod blobs;
pub mod changes;
pub mod deps;
pub mod event;
pub mod includes;
pub mod output;
pub mod post;
pub mod read;
pub mod rules;
pub mod tell;
pub mod verdict;

use serde::Serialize;

pub use event::GateEvent;
pub use post::Posted;
pub use rules::Rules;
pub use verdict::{Evidence, Outcome, Verdict, verdict};

use crate::config::Config;
use crate::github::{GitHub, PullRequest, Repo, RequestStats};

/// Where the gate's config lives on the base branch.
pub use crate::context::CONFIG_PATH;

/// One gate run's inputs.
pub struct Gate<'a> {
    pub gh: &'a GitHub,
    pub repo: &'a Repo,
    pub event: GateEvent,
    /// Print the verdict, write nothing.
    pub dry_run: bool,
    /// A local config instead of the base branch's (only with `dry_run`).
    pub local_config: Option<Config>,
}

/// How a run ended; the command turns it into an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
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
    pub repository: String,
    pub event: GateEvent,
    pub ending: Ending,
    pub verdict: Option<Verdict>,
    pub posted: Posted,
    pub dry_run: bool,
    pub notes: Vec<String>,
    pub requests: RequestStats,
    /// The check summary, for the job summary.
    #[serde(skip)]
    pub markdown: String,
}

/// `shiprig gate`: read, decide, act.
pub async fn run(gate: Gate<'_>) -> GateReport {
    let mut report = GateReport {
        repository: gate.repo.to_string(),
        event: gate.event.clone(),
        ending: Ending::Outside,
        verdict: None,
        posted: Posted::default(),
        dry_run: gate.dry_run,
        notes: Vec::new(),
        requests: RequestStats::default(),
        markdown: String::new(),
    };
    let judged = judge(&gate, &mut report).await;
    if let Some((verdict, config, labels)) = judged {
        act(&gate, &mut report, &verdict, &config, &labels).await;
        report.markdown = output::summary(&verdict, &config);
        report.verdict = Some(verdict);
    }
    report.requests = gate.gh.stats();
    report
}

/// Reads and decides; `None` when nothing may be posted (the head moved, or not even the
/// pull request could be read and no SHA is known).
async fn judge(gate: &Gate<'_>, report: &mut GateReport) -> Option<(Verdict, Config, Vec<String>)> {
    let (gh, repo) = (gate.gh, gate.repo);
    let pull = match gh.pull(repo, gate.event.number).await {
        Ok(pull) => pull,
        Err(e) => {
            report
                .notes
                .push(format!("reading the pull request failed: {e}"));
            let verdict = Verdict::cannot_judge(&gate.event.head_sha, e.to_string());
            return (!gate.event.head_sha.is_empty())
                .then(|| (verdict, Config::default(), Vec::new()));
        }
    };
    if gate.event.head_sha.is_empty() {
        report.event.head_sha = pull.head.sha.clone();
    }
    let pinned = report.event.head_sha.clone();
    if !gate.event.merge_group && pull.head.sha != pinned {
        superseded(report, &pinned, &pull.head.sha);
        return None;
    }
    let labels = pull.labels.clone();
    let config = match base_config(gate, &pull).await {
        Ok(config) => config,
        Err((reason, ending)) => {
            report.ending = ending;
            return Some((
                Verdict::cannot_judge(&pinned, reason),
                Config::default(),
                labels,
            ));
        }
    };
    let rules = match Rules::compile(&config.gate) {
        Ok(rules) => rules,
        Err(e) => {
            report.ending = Ending::BadConfig;
            let verdict = Verdict::cannot_judge(&pinned, format!("the gate rules: {e}"));
            return Some((verdict, config, labels));
        }
    };
    let evidence = read::evidence(gh, repo, &pull, &report.event, &rules, &config).await;
    let mut verdict = match evidence {
        Ok(evidence) => verdict::verdict(&evidence, &rules, &config),
        Err(e) => {
            report.ending = Ending::Outside;
            let reason = format!("GitHub failed while the gate was reading: {e}");
            return Some((Verdict::cannot_judge(&pinned, reason), config, labels));
        }
    };
    // Pinning: the head must not have moved while we read.
    match gh.pull(repo, gate.event.number).await {
        Ok(now) if now.head.sha != pull.head.sha => {
            superseded(report, &pull.head.sha, &now.head.sha);
            return None;
        }
        Ok(_) => {
            report.ending = match verdict.outcome {
                Outcome::Pass => Ending::Pass,
                _ => Ending::NeedsHuman,
            };
        }
        Err(e) => {
            report.ending = Ending::Outside;
            verdict = Verdict::cannot_judge(&pinned, format!("re-reading the head failed: {e}"));
        }
    }
    if gate.event.merge_group {
        verdict.head_sha = pinned;
    }
    Some((verdict, config, labels))
}

fn superseded(report: &mut GateReport, judged: &str, now: &str) {
    report.ending = Ending::Superseded;
    report.notes.push(format!(
        "the head moved from {} to {} while the gate ran; nothing posted (a result is only posted for the SHA it was computed on; the push's own event judges {})",
        approvals::short(judged),
        approvals::short(now),
        approvals::short(now),
    ));
}

/// The config from the base branch at the base SHA, through the API; never from the head.
async fn base_config(gate: &Gate<'_>, pull: &PullRequest) -> Result<Config, (String, Ending)> {
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
                Ending::Outside,
            )
        })?;
    let source = format!("{CONFIG_PATH}@{}", pull.base.name);
    let Some(text) = text else {
        return Err((
            format!(
                "{source} does not exist, so there are no rules to judge by (add it to the base branch)"
            ),
            Ending::BadConfig,
        ));
    };
    Config::from_yaml(&source, &text).map_err(|e| (e.to_string(), Ending::BadConfig))
}

async fn act(
    gate: &Gate<'_>,
    report: &mut GateReport,
    verdict: &Verdict,
    config: &Config,
    labels: &[String],
) {
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
            report.ending = Ending::Outside;
            return;
        }
    }
    if gate.event.merge_group {
        return;
    }
    let posted = &mut report.posted;
    let labelled = post::labels(gh, repo, number, labels, verdict, config, posted).await;
    let commented = post::comment(gh, repo, number, verdict, config).await;
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
        report.ending = Ending::Outside;
    }
}
