//! `shiprig release publish`: after a human merged the release pull request, the tag and the
//! GitHub Release with the changelog, `done` on every issue the release shipped (the in-flight
//! labels removed), and Slack.

use anyhow::Context as _;
use serde::Serialize;

use super::changelog::Links;
use super::prepare::{Prepared, prepare};
use crate::config::Config;
use crate::github::{GitHub, Issue, PullRequest, Repo};
use crate::lifecycle::closing_refs;
use crate::merge::RELEASE_BRANCH;
use crate::notify::{Event, Notifier};

#[derive(Debug, Clone, Serialize)]
pub struct Published {
    pub tag: String,
    pub release_url: String,
    /// False when the release already existed (a rerun).
    pub created: bool,
    pub issues: Vec<u64>,
    pub dry_run: bool,
    pub prepared: Prepared,
}

/// Refuses anything but a merged `shiprig/release` pull request into the production branch.
pub fn check_release_pull(pull: &PullRequest, config: &Config) -> Result<(), String> {
    if pull.head.name != RELEASE_BRANCH || pull.base.name != config.release.production_branch {
        return Err(format!(
            "#{} is not a release pull request ({RELEASE_BRANCH} into {})",
            pull.number, config.release.production_branch
        ));
    }
    if !pull.is_merged() {
        return Err(format!("#{} is not merged", pull.number));
    }
    Ok(())
}

/// Production deploys only what a person released: the release pull request's merge by a
/// person, not a bot, an App or an agent's account. `pull` must come from the single pull
/// request's read (lists leave `merged_by` out).
pub fn merged_by_person(pull: &PullRequest, config: &Config) -> Result<(), String> {
    let Some(by) = &pull.merged_by else {
        return Err(format!(
            "#{} has no one recorded as merging it",
            pull.number
        ));
    };
    if by.is_bot() {
        return Err(format!(
            "#{} was merged by {}, a bot",
            pull.number, by.login
        ));
    }
    if config.conductor.agent_with_login(&by.login).is_some() {
        return Err(format!(
            "#{} was merged by {}, an agent's account",
            pull.number, by.login
        ));
    }
    Ok(())
}

/// The merged release pull request whose merge commit is `sha`, among the pull requests GitHub
/// associates with that commit (`GET /repos/{o}/{r}/commits/{sha}/pulls`): what a push to the
/// production branch published. `None` for a push that no release pull request made.
pub fn release_pull_for_push<'a>(
    pulls: &'a [PullRequest],
    sha: &str,
    config: &Config,
) -> Option<&'a PullRequest> {
    pulls.iter().find(|p| {
        check_release_pull(p, config).is_ok() && p.merge_commit_sha.as_deref() == Some(sha)
    })
}

/// The merged release pull request that made `sha`, found from the commit.
pub async fn find_release_pull(
    gh: &GitHub,
    repo: &Repo,
    config: &Config,
    sha: &str,
) -> anyhow::Result<Option<PullRequest>> {
    let pulls = gh
        .pulls_for_commit(repo, sha)
        .await
        .with_context(|| format!("reading the pull requests of {sha}"))?;
    Ok(release_pull_for_push(&pulls, sha, config).cloned())
}

/// The labels that come off a shipped issue: in-flight ones and agent claims.
fn in_flight<'a>(issue: &'a Issue, config: &Config) -> Vec<&'a String> {
    let l = &config.labels;
    issue
        .labels
        .iter()
        .filter(|name| {
            [&l.in_progress, &l.in_review, &l.blocked]
                .iter()
                .any(|x| name.eq_ignore_ascii_case(x))
                || name.starts_with(&l.agent_prefix)
        })
        .collect()
}

/// Issues the release shipped: closed by its commits or by the pull requests they came from.
async fn shipped_issues(gh: &GitHub, repo: &Repo, prepared: &Prepared) -> anyhow::Result<Vec<u64>> {
    let mut issues: Vec<u64> = Vec::new();
    for change in &prepared.history.changes {
        issues.extend(&change.issues);
        for number in &change.pulls {
            let Ok(pull) = gh.pull(repo, *number).await else {
                continue;
            };
            let body = pull.body.unwrap_or_default();
            issues.extend(
                closing_refs(&body, repo)
                    .into_iter()
                    .filter(|r| &r.repo == repo)
                    .map(|r| r.number),
            );
        }
    }
    issues.sort_unstable();
    issues.dedup();
    Ok(issues)
}

/// Tags, releases and marks the issues done; safe to rerun.
pub async fn publish(
    gh: &GitHub,
    repo: &Repo,
    config: &Config,
    pull: &PullRequest,
    links: &Links,
    notifier: &Notifier,
    dry_run: bool,
) -> anyhow::Result<Published> {
    let target = pull
        .merge_commit_sha
        .clone()
        .unwrap_or_else(|| pull.head.sha.clone());
    let prepared = prepare(gh, repo, config, &pull.head.sha, Some(&target), links).await?;
    let tag = prepared.tag.clone().with_context(|| {
        format!(
            "nothing to release between the last tag and {}",
            pull.head.sha
        )
    })?;
    let issues = shipped_issues(gh, repo, &prepared).await?;
    let existing = gh
        .release_by_tag(repo, &tag)
        .await
        .with_context(|| format!("reading release {tag}"))?;
    let mut published = Published {
        tag: tag.clone(),
        release_url: existing
            .as_ref()
            .map(|r| r.html_url.clone())
            .unwrap_or_default(),
        created: false,
        issues: issues.clone(),
        dry_run,
        prepared,
    };
    if dry_run {
        return Ok(published);
    }
    if existing.is_none() {
        let release = gh
            .create_release(repo, &tag, &target, &published.prepared.changelog)
            .await
            .with_context(|| format!("creating release {tag}"))?;
        published.release_url = release.html_url;
        published.created = true;
    }
    for number in &issues {
        mark_done(gh, repo, config, *number).await?;
    }
    if published.created {
        notifier
            .tell(Event::ReleasePublished {
                repo: repo.to_string(),
                tag,
                url: published.release_url.clone(),
                issues,
            })
            .await;
    }
    Ok(published)
}

async fn mark_done(gh: &GitHub, repo: &Repo, config: &Config, number: u64) -> anyhow::Result<()> {
    let issue = gh
        .issue(repo, number)
        .await
        .with_context(|| format!("reading #{number}"))?;
    if issue.is_pull_request() {
        return Ok(());
    }
    if !issue.has_label(&config.labels.done) {
        gh.add_labels(repo, number, std::slice::from_ref(&config.labels.done))
            .await
            .with_context(|| format!("labelling #{number} done"))?;
    }
    for label in in_flight(&issue, config) {
        gh.remove_label(repo, number, label)
            .await
            .with_context(|| format!("removing `{label}` from #{number}"))?;
    }
    Ok(())
}
