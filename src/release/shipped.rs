//! `shiprig release shipped`: the last step of the production job. Once production deployed
//! the release and its smoke tests passed, the issues the GitHub Release lists (the marker
//! `release publish` wrote, trusted only in a release shiprig's own identity created) turn
//! `done` and lose their in-flight labels; Slack hears it once, and once more when no approved
//! issue is left in the queue. A failed deploy or smoke leaves them `in-review` and says why.
//! Safe to rerun: an issue already `done` is not marked or announced again.

use anyhow::Context as _;
use serde::Serialize;

use super::publish::{mark_done, parse_shipped_marker};
use crate::config::Config;
use crate::github::{CommitState, GitHub, ReleaseInfo, Repo};
use crate::notify::{Event, Notifier};
use crate::smoke::smoke_context;

/// The environment whose deploy and smoke tests make an issue `done`.
pub(crate) const PRODUCTION: &str = "production";

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Shipped {
    pub(crate) tag: String,
    pub(crate) release_url: String,
    /// The issues the release lists.
    pub(crate) issues: Vec<u64>,
    /// Those this run turned `done` (empty on a rerun).
    pub(crate) newly_done: Vec<u64>,
    /// Why the issues stay in review; `None` when production was verified.
    pub(crate) held: Option<String>,
    /// Whether this run found the queue empty after marking the last issues done.
    pub(crate) queue_drained: bool,
    pub(crate) dry_run: bool,
}

/// Why production is not verified, from the job's status and the production smoke status on
/// `sha`; `None` when it is (smoke must have passed when production has smoke checks).
pub(crate) fn not_verified(
    job_status: Option<&str>,
    smoke_state: Option<&CommitState>,
    has_smoke: bool,
) -> Option<String> {
    if let Some(job) = job_status
        && !job.eq_ignore_ascii_case("success")
    {
        return Some(format!("the production job's status is {job}"));
    }
    if has_smoke && smoke_state != Some(&CommitState::Success) {
        return Some(format!(
            "production smoke tests have not passed (status: {})",
            smoke_state.map_or("none", CommitState::as_str)
        ));
    }
    None
}

/// The release shiprig published for `sha`: made at that commit by shiprig's identity (`me`;
/// any bot when GitHub will not say who shiprig is) and carrying the shipped marker.
pub(crate) fn release_for<'a>(
    releases: &'a [ReleaseInfo],
    sha: &str,
    me: Option<&str>,
) -> Option<&'a ReleaseInfo> {
    releases.iter().find(|r| {
        let by_shiprig = r.author.as_ref().is_some_and(|u| match me {
            Some(me) => u.login.eq_ignore_ascii_case(me),
            None => u.is_bot(),
        });
        by_shiprig
            && r.target_commitish == sha
            && r.body.as_deref().and_then(parse_shipped_marker).is_some()
    })
}

/// What `shiprig release shipped` asks for: the release production runs at `sha`.
#[derive(Debug, Clone)]
pub(crate) struct ShippedRequest {
    pub(crate) repo: Repo,
    pub(crate) config: Config,
    pub(crate) sha: String,
    /// The production job's status so far: anything but `success` holds the issues in review.
    pub(crate) job_status: Option<String>,
    pub(crate) dry_run: bool,
}

/// Marks the issues of the release published at `sha` done when production is verified, else
/// reports them held. `Ok(None)` when shiprig published no release at `sha`.
pub(crate) async fn shipped(
    gh: &GitHub,
    notifier: &Notifier,
    request: &ShippedRequest,
) -> anyhow::Result<Option<Shipped>> {
    let (repo, config, sha, dry_run) = (
        &request.repo,
        &request.config,
        request.sha.as_str(),
        request.dry_run,
    );
    let job_status = request.job_status.as_deref();
    let releases = gh
        .recent_releases(repo)
        .await
        .context("reading the releases")?;
    let me = gh.viewer_login().await.ok();
    let Some(release) = release_for(&releases, sha, me.as_deref()) else {
        return Ok(None);
    };
    let issues = release
        .body
        .as_deref()
        .and_then(parse_shipped_marker)
        .unwrap_or_default();
    let has_smoke = config
        .deploy
        .get(PRODUCTION)
        .is_some_and(|e| !e.smoke.is_empty());
    let smoke_state = if has_smoke {
        let context = smoke_context(PRODUCTION);
        gh.latest_statuses(repo, sha)
            .await
            .with_context(|| format!("reading {context} on {sha}"))?
            .into_iter()
            .find(|s| s.context == context)
            .map(|s| s.state)
    } else {
        None
    };
    let mut out = Shipped {
        tag: release.tag_name.clone(),
        release_url: release.html_url.clone(),
        issues: issues.clone(),
        newly_done: Vec::new(),
        held: not_verified(job_status, smoke_state.as_ref(), has_smoke),
        queue_drained: false,
        dry_run,
    };
    if dry_run {
        return Ok(Some(out));
    }
    if let Some(why) = &out.held {
        notifier
            .tell(Event::ReleaseHeld {
                repo: repo.to_string(),
                tag: out.tag.clone(),
                url: out.release_url.clone(),
                why: why.clone(),
                issues,
            })
            .await;
        return Ok(Some(out));
    }
    for number in &issues {
        if mark_done(gh, repo, config, *number).await? {
            out.newly_done.push(*number);
        }
    }
    if out.newly_done.is_empty() {
        return Ok(Some(out));
    }
    notifier
        .tell(Event::ReleaseShipped {
            repo: repo.to_string(),
            tag: out.tag.clone(),
            url: out.release_url.clone(),
            issues: out.newly_done.clone(),
        })
        .await;
    out.queue_drained = queue_empty(gh, repo, config).await?;
    if out.queue_drained {
        notifier
            .tell(Event::QueueDrained {
                repo: repo.to_string(),
            })
            .await;
    }
    Ok(Some(out))
}

/// No open `approved` issue is left that is not `done`.
async fn queue_empty(gh: &GitHub, repo: &Repo, config: &Config) -> anyhow::Result<bool> {
    let listing = gh
        .open_issues_with_labels(repo, &[config.labels.approved.as_str()])
        .await;
    if let Some(error) = listing.error {
        return Err(anyhow::Error::new(error).context("reading the approved issues"));
    }
    Ok(!listing
        .items
        .iter()
        .any(|i| !i.has_label(&config.labels.done)))
}
