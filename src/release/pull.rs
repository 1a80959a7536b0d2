//! `shiprig release-pr`: one release pull request from `shiprig/release` into the production
//! branch, created or updated in place, and only for a SHA whose staging smoke tests passed.

use anyhow::Context as _;
use serde::Serialize;

use super::changelog::Links;
use super::prepare::{Prepared, prepare};
use crate::config::Config;
use crate::error::UsageError;
use crate::github::{CommitState, GitHub, PullText, Repo};
use crate::merge::RELEASE_BRANCH;
use crate::smoke::smoke_context;

/// The environment whose smoke tests a release waits for.
pub(crate) const STAGING: &str = "staging";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(crate) enum ReleasePrOutcome {
    Created {
        pull: u64,
    },
    Updated {
        pull: u64,
    },
    Unchanged {
        pull: u64,
    },
    /// Dry run: what would happen.
    WouldWrite {
        pull: Option<u64>,
    },
    NothingToRelease,
    /// Staging smoke tests have not passed on the SHA (`state`: what the status says).
    SmokeNotPassed {
        state: Option<CommitState>,
    },
    /// The release branch already holds a newer SHA: a later run released further.
    Stale {
        branch_sha: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ReleasePr {
    pub(crate) outcome: ReleasePrOutcome,
    pub(crate) prepared: Option<Prepared>,
    /// What `shiprig/release` held before this run reset it to the smoke-tested SHA: a commit
    /// that is not a smoke-tested commit of the main branch (pushed onto the branch by hand).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reset_from: Option<String>,
}

/// The line the release pull request's body carries after a reset.
pub(crate) fn reset_note(from: &str, to: &str) -> String {
    format!(
        "\n> :warning: `{RELEASE_BRANCH}` held `{from}`, a commit staging never smoke-tested; \
         shiprig reset it to `{to}`.\n"
    )
}

/// The release PR's title and body.
pub(crate) fn text(prepared: &Prepared, config: &Config) -> (String, String) {
    let tag = prepared.tag.as_deref().unwrap_or("");
    let title = format!("chore(release): {tag}");
    let was = prepared
        .previous_tag
        .as_deref()
        .map(|p| format!(" (previous: {p})"))
        .unwrap_or_default();
    let smoke = if smoke_gated(config) {
        "Staging smoke tests passed on this SHA. "
    } else {
        ""
    };
    let body = format!(
        "Releases **{tag}**{was} from `{}` at {}.\n\nMerging this pull request into `{}` is the production deploy.\n\n{}\n---\n{smoke}Opened by `shiprig release-pr`; it is updated in place.\n<!-- shiprig:release {tag} {} -->\n",
        config.release.main_branch,
        prepared.sha,
        config.release.production_branch,
        prepared.changelog,
        prepared.sha
    );
    (title, body)
}

/// Whether a release waits for staging smoke tests: when staging has any.
fn smoke_gated(config: &Config) -> bool {
    config
        .deploy
        .get(STAGING)
        .is_some_and(|e| !e.smoke.is_empty())
}

/// Staging smoke tests must have passed on `sha` when staging has any.
async fn smoke_gate(
    gh: &GitHub,
    repo: &Repo,
    config: &Config,
    sha: &str,
) -> anyhow::Result<Option<ReleasePrOutcome>> {
    if !smoke_gated(config) {
        return Ok(None);
    }
    let context = smoke_context(STAGING);
    let statuses = gh
        .latest_statuses(repo, sha)
        .await
        .with_context(|| format!("reading {context} on {sha}"))?;
    let state = statuses
        .into_iter()
        .find(|s| s.context == context)
        .map(|s| s.state);
    Ok((state != Some(CommitState::Success)).then_some(ReleasePrOutcome::SmokeNotPassed { state }))
}

/// Whether `sha` is a commit of the main branch (only merged, gated work reaches it).
pub(super) async fn on_main(
    gh: &GitHub,
    repo: &Repo,
    config: &Config,
    sha: &str,
) -> anyhow::Result<bool> {
    let main = &config.release.main_branch;
    let status = gh
        .compare_status(repo, sha, main)
        .await
        .with_context(|| format!("comparing {sha} with {main}"))?;
    Ok(matches!(status.as_str(), "ahead" | "identical"))
}

/// Whether `sha` could have been released by shiprig: a main-branch commit that passed the
/// staging smoke tests.
async fn releasable(gh: &GitHub, repo: &Repo, config: &Config, sha: &str) -> anyhow::Result<bool> {
    Ok(on_main(gh, repo, config, sha).await? && smoke_gate(gh, repo, config, sha).await?.is_none())
}

/// The main-branch commit to release: `--sha`, else the main branch's head.
pub(crate) async fn sha_to_release(
    gh: &GitHub,
    repo: &Repo,
    config: &Config,
    flag: Option<String>,
) -> anyhow::Result<String> {
    if let Some(sha) = flag.filter(|s| !s.is_empty()) {
        return Ok(sha);
    }
    let main = &config.release.main_branch;
    gh.branch_head(repo, main)
        .await
        .context("reading the main branch")?
        .ok_or_else(|| UsageError(format!("no branch `{main}`")).into())
}

/// What `shiprig release-pr` asks for: the one release pull request for `sha`.
#[derive(Debug, Clone)]
pub(crate) struct ReleasePrRequest {
    pub(crate) repo: Repo,
    pub(crate) config: Config,
    /// The main-branch commit to release ([`sha_to_release`]).
    pub(crate) sha: String,
    pub(crate) links: Links,
    pub(crate) dry_run: bool,
}

/// Creates or updates the release pull request for `sha`.
pub(crate) async fn release_pr(
    gh: &GitHub,
    request: &ReleasePrRequest,
) -> anyhow::Result<ReleasePr> {
    let (repo, config, sha, links, dry_run) = (
        &request.repo,
        &request.config,
        request.sha.as_str(),
        &request.links,
        request.dry_run,
    );
    if let Some(outcome) = smoke_gate(gh, repo, config, sha).await? {
        return Ok(ReleasePr {
            outcome,
            prepared: None,
            reset_from: None,
        });
    }
    let branch = gh
        .branch_head(repo, RELEASE_BRANCH)
        .await
        .context("reading the release branch")?;
    let mut reset_from = None;
    if let Some(branch_sha) = branch.as_ref().filter(|b| *b != sha) {
        if !releasable(gh, repo, config, branch_sha).await? {
            // Pushed onto the branch by hand: never ships, whatever it is.
            reset_from = Some(branch_sha.clone());
        } else if gh
            .compare_status(repo, sha, branch_sha)
            .await
            .context("comparing with the release branch")?
            == "ahead"
        {
            return Ok(ReleasePr {
                outcome: ReleasePrOutcome::Stale {
                    branch_sha: branch_sha.clone(),
                },
                prepared: None,
                reset_from: None,
            });
        }
    }
    let prepared = prepare(gh, repo, config, sha, None, links).await?;
    if prepared.version.is_none() {
        return Ok(ReleasePr {
            outcome: ReleasePrOutcome::NothingToRelease,
            prepared: Some(prepared),
            reset_from,
        });
    }
    let production = &config.release.production_branch;
    let open = gh
        .open_pulls_from(repo, RELEASE_BRANCH, production)
        .await
        .context("looking for the open release pull request")?;
    let existing = open.into_iter().next();
    let (title, mut body) = text(&prepared, config);
    // A body that still carries an earlier reset's note is up to date.
    let unchanged = branch.as_deref() == Some(sha)
        && existing.as_ref().is_some_and(|p| {
            p.title == title && p.body.as_deref().is_some_and(|b| b.starts_with(&body))
        });
    if let Some(from) = &reset_from {
        body.push_str(&reset_note(from, sha));
    }
    let outcome = match (&existing, dry_run) {
        (Some(p), _) if unchanged => ReleasePrOutcome::Unchanged { pull: p.number },
        (p, true) => ReleasePrOutcome::WouldWrite {
            pull: p.as_ref().map(|p| p.number),
        },
        (p, false) => {
            let target = Target {
                sha,
                branch_exists: branch.is_some(),
                existing: p.as_ref().map(|p| p.number),
                production,
            };
            write(gh, repo, &target, &title, &body).await?
        }
    };
    Ok(ReleasePr {
        outcome,
        prepared: Some(prepared),
        reset_from,
    })
}

/// Where the release pull request goes.
struct Target<'a> {
    sha: &'a str,
    branch_exists: bool,
    existing: Option<u64>,
    production: &'a str,
}

async fn write(
    gh: &GitHub,
    repo: &Repo,
    target: &Target<'_>,
    title: &str,
    body: &str,
) -> anyhow::Result<ReleasePrOutcome> {
    let sha = target.sha;
    gh.set_branch(repo, RELEASE_BRANCH, sha, target.branch_exists)
        .await
        .with_context(|| format!("pointing {RELEASE_BRANCH} at {sha}"))?;
    let text = PullText { title, body };
    match target.existing {
        Some(number) => {
            gh.update_pull(repo, number, &text)
                .await
                .with_context(|| format!("updating release pull request #{number}"))?;
            Ok(ReleasePrOutcome::Updated { pull: number })
        }
        None => {
            let pull = gh
                .create_pull(repo, RELEASE_BRANCH, target.production, &text)
                .await
                .context("opening the release pull request")?;
            Ok(ReleasePrOutcome::Created { pull: pull.number })
        }
    }
}
