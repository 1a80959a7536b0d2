//! `shiprig release publish`: after a human merged the release pull request, the tag and the
//! GitHub Release with the changelog and a `<!-- shiprig:shipped … -->` marker listing every
//! issue the release shipped that the rig dispatched or a person linked, and Slack. The issues
//! turn `done` later, once production deployed and smoke-tested the release
//! (`shiprig release shipped`). A merged head other than the SHA the release pull request
//! vouched for publishes nothing.

use std::collections::BTreeMap;

use anyhow::Context as _;
use serde::Serialize;

use super::changelog::Links;
use super::prepare::{Prepared, prepare};
use crate::config::Config;
use crate::github::{GitHub, Issue, PullRequest, Repo};
use crate::lifecycle::closing_refs;
use crate::merge::RELEASE_BRANCH;
use crate::notify::{Event, Notifier};

/// What `shiprig release publish` asks for: publish the release pull request it names.
#[derive(Debug, Clone)]
pub(crate) struct PublishRequest {
    pub(crate) repo: Repo,
    pub(crate) config: Config,
    pub(crate) pull: ReleasePull,
    pub(crate) links: Links,
    pub(crate) dry_run: bool,
}

/// Which pull request a publish run is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReleasePull {
    /// `--pr`, or the pull request the event names.
    Number(u64),
    /// The one whose merge pushed this commit to the production branch.
    MergedAs(String),
}

/// How a publish run ended.
#[derive(Debug)]
pub(crate) enum PublishRun {
    Published(Box<Published>),
    /// Nothing published, and production is not deployed: why, and whether a check refused
    /// (a policy said no) rather than there being nothing to publish.
    Nothing {
        why: String,
        refused: bool,
    },
}

/// After the release pull request merged: finds it, checks it is the release shiprig vouched
/// for and that a person merged it, then publishes. Refusals publish nothing.
pub(crate) async fn run(
    gh: &GitHub,
    notifier: &Notifier,
    request: &PublishRequest,
) -> anyhow::Result<PublishRun> {
    let (repo, config) = (&request.repo, &request.config);
    let nothing = |why: String, refused: bool| Ok(PublishRun::Nothing { why, refused });
    let pull = match &request.pull {
        ReleasePull::Number(number) => read_pull(gh, repo, *number).await?,
        ReleasePull::MergedAs(sha) => match find_release_pull(gh, repo, config, sha).await? {
            Some(pull) => pull,
            None => {
                let why = format!(
                    "{sha} was not made by merging a release pull request; nothing to publish, nothing to deploy"
                );
                return nothing(why, false);
            }
        },
    };
    if let Err(why) = check_release_pull(&pull, config) {
        return nothing(format!("{why}; nothing to publish"), true);
    }
    if let Err(why) = check_vouched(gh, repo, config, &pull).await? {
        let why = format!("refusing: {why}; no tag, no release, no labels, nothing to deploy");
        return nothing(why, true);
    }
    // Lists leave out who merged: read the pull request itself.
    let merged = read_pull(gh, repo, pull.number).await?;
    if let Err(why) = merged_by_person(&merged, config) {
        return nothing(
            format!("{why}; nothing to publish, nothing to deploy"),
            false,
        );
    }
    let published = publish(gh, notifier, request, &pull).await?;
    Ok(PublishRun::Published(Box::new(published)))
}

/// A pull request as the API has it now.
async fn read_pull(gh: &GitHub, repo: &Repo, number: u64) -> anyhow::Result<PullRequest> {
    gh.pull(repo, number)
        .await
        .with_context(|| format!("reading pull request #{number}"))
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Published {
    pub(crate) tag: String,
    pub(crate) release_url: String,
    /// False when the release already existed (a rerun).
    pub(crate) created: bool,
    pub(crate) issues: Vec<u64>,
    pub(crate) dry_run: bool,
    pub(crate) prepared: Prepared,
}

/// Refuses anything but a merged `shiprig/release` pull request into the production branch.
pub(crate) fn check_release_pull(pull: &PullRequest, config: &Config) -> Result<(), String> {
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

/// The SHA the release pull request vouched for: the one its `<!-- shiprig:release TAG SHA -->`
/// marker names (shiprig writes it when it opens or updates the pull request).
pub(crate) fn vouched_sha(pull: &PullRequest) -> Option<&str> {
    let body = pull.body.as_deref()?;
    let at = body.rfind("<!-- shiprig:release ")?;
    let end = body[at..].find("-->")?;
    body[at..at + end].split_whitespace().nth(3)
}

/// Refuses a merged head other than the one shiprig vouched for: the head must be the SHA the
/// release pull request names (`release-pr` writes it only for a smoke-tested SHA) and a commit
/// of the main branch. The marker alone could be edited by anyone who can write to the pull
/// request; the main branch cannot be bent that way (only gated merges reach it), so an edited
/// marker can at worst name another reviewed commit of main.
pub(crate) async fn check_vouched(
    gh: &GitHub,
    repo: &Repo,
    config: &Config,
    pull: &PullRequest,
) -> anyhow::Result<Result<(), String>> {
    let head = pull.head.sha.as_str();
    let n = pull.number;
    match vouched_sha(pull) {
        Some(vouched) if vouched == head => {}
        Some(vouched) => {
            return Ok(Err(format!(
                "#{n} was merged at {head}, but the release pull request vouched for {vouched} \
                 (something else was pushed onto {RELEASE_BRANCH})"
            )));
        }
        None => {
            return Ok(Err(format!(
                "#{n} carries no release marker naming the SHA it releases"
            )));
        }
    }
    if !super::pull::on_main(gh, repo, config, head).await? {
        return Ok(Err(format!(
            "#{n} was merged at {head}, which is not a commit of {}",
            config.release.main_branch
        )));
    }
    Ok(Ok(()))
}

/// Production deploys only what a person released: the release pull request's merge by a
/// person, not a bot, an App or an agent's account. `pull` must come from the single pull
/// request's read (lists leave `merged_by` out).
pub(crate) fn merged_by_person(pull: &PullRequest, config: &Config) -> Result<(), String> {
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
pub(crate) fn release_pull_for_push<'a>(
    pulls: &'a [PullRequest],
    sha: &str,
    config: &Config,
) -> Option<&'a PullRequest> {
    pulls.iter().find(|p| {
        check_release_pull(p, config).is_ok() && p.merge_commit_sha.as_deref() == Some(sha)
    })
}

/// The merged release pull request that made `sha`, found from the commit.
pub(crate) async fn find_release_pull(
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

/// The marker `release publish` writes into the GitHub Release body: the issues to mark done
/// once production is verified.
pub(crate) fn shipped_marker(issues: &[u64]) -> String {
    let list: Vec<String> = issues.iter().map(u64::to_string).collect();
    format!("<!-- shiprig:shipped {} -->", list.join(" "))
}

/// The issues a release body's marker lists; `None` without a marker.
pub(crate) fn parse_shipped_marker(body: &str) -> Option<Vec<u64>> {
    let at = body.rfind("<!-- shiprig:shipped")?;
    let rest = &body[at + "<!-- shiprig:shipped".len()..];
    let end = rest.find("-->")?;
    Some(
        rest[..end]
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect(),
    )
}

/// The labels that come off a shipped issue: in-flight ones and agent claims.
pub(super) fn in_flight<'a>(issue: &'a Issue, config: &Config) -> Vec<&'a String> {
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

/// Issues the release shipped and may mark done: those its changes name (commit messages, or
/// the bodies of the pull requests they came from) that the rig dispatched (a claim record on
/// the issue written by shiprig's own identity) or that a person linked (the body of a pull
/// request a person opened). Anything an agent or a bot names alone gets nothing.
async fn shipped_issues(
    gh: &GitHub,
    repo: &Repo,
    config: &Config,
    prepared: &Prepared,
) -> anyhow::Result<Vec<u64>> {
    let mut named: BTreeMap<u64, bool> = BTreeMap::new();
    for change in &prepared.history.changes {
        for issue in &change.issues {
            named.entry(*issue).or_insert(false);
        }
        for number in &change.pulls {
            let Ok(pull) = gh.pull(repo, *number).await else {
                continue;
            };
            let by_person = pull.user.as_ref().is_some_and(|u| is_person(u, config));
            let body = pull.body.unwrap_or_default();
            for r in closing_refs(&body, repo)
                .into_iter()
                .filter(|r| &r.repo == repo)
            {
                *named.entry(r.number).or_insert(false) |= by_person;
            }
        }
    }
    let me = if named.values().all(|person| *person) {
        None
    } else {
        gh.viewer_login().await.ok()
    };
    let mut issues = Vec::new();
    for (number, by_person) in named {
        if by_person || dispatched(gh, repo, me.as_deref(), number).await? {
            issues.push(number);
        }
    }
    Ok(issues)
}

/// A person: not a bot, not a configured agent login.
fn is_person(user: &crate::github::User, config: &Config) -> bool {
    !user.is_bot()
        && !config
            .conductor
            .agents
            .iter()
            .filter_map(|a| a.login.as_deref())
            .any(|l| l.eq_ignore_ascii_case(&user.login))
}

/// Whether the rig dispatched the issue: a claim marker in a comment shiprig's identity wrote
/// (`me`; an App's account when GitHub will not say who shiprig is).
async fn dispatched(
    gh: &GitHub,
    repo: &Repo,
    me: Option<&str>,
    number: u64,
) -> anyhow::Result<bool> {
    let comments = gh
        .comments(repo, number)
        .await
        .with_context(|| format!("reading the comments of #{number}"))?;
    Ok(comments.iter().any(|c| {
        let by_shiprig = c.user.as_ref().is_some_and(|u| match me {
            Some(me) => u.login.eq_ignore_ascii_case(me),
            None => u.is_bot(),
        });
        by_shiprig
            && c.body
                .as_deref()
                .is_some_and(|b| b.contains("<!-- shiprig:claim"))
    }))
}

/// Tags and releases, listing the shipped issues in the release body; safe to rerun.
pub(crate) async fn publish(
    gh: &GitHub,
    notifier: &Notifier,
    request: &PublishRequest,
    pull: &PullRequest,
) -> anyhow::Result<Published> {
    let (repo, config, links, dry_run) = (
        &request.repo,
        &request.config,
        &request.links,
        request.dry_run,
    );
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
    let issues = shipped_issues(gh, repo, config, &prepared).await?;
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
        let body = format!(
            "{}\n{}\n",
            published.prepared.changelog.trim_end(),
            shipped_marker(&issues)
        );
        let release = gh
            .create_release(repo, &tag, &target, &body)
            .await
            .with_context(|| format!("creating release {tag}"))?;
        published.release_url = release.html_url;
        published.created = true;
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

/// Labels `number` done and takes its in-flight labels off; true when it was not done before.
pub(super) async fn mark_done(
    gh: &GitHub,
    repo: &Repo,
    config: &Config,
    number: u64,
) -> anyhow::Result<bool> {
    let issue = gh
        .issue(repo, number)
        .await
        .with_context(|| format!("reading #{number}"))?;
    if issue.is_pull_request() {
        return Ok(false);
    }
    let flying = in_flight(&issue, config);
    // Not finished while any in-flight label is left: a rerun after a lost answer says so.
    let newly = !issue.has_label(&config.labels.done) || !flying.is_empty();
    if !issue.has_label(&config.labels.done) {
        gh.add_labels(repo, number, std::slice::from_ref(&config.labels.done))
            .await
            .with_context(|| format!("labelling #{number} done"))?;
    }
    for label in flying {
        gh.remove_label(repo, number, label)
            .await
            .with_context(|| format!("removing `{label}` from #{number}"))?;
    }
    Ok(newly)
}

#[cfg(test)]
mod tests {
    //! Issue 25: production deploys only a release pull request a person merged.

    use super::*;
    use serde_json::{Value, json};

    use crate::config::Config;
    use crate::github::PullRequest;

    fn release(merged_by: Value) -> PullRequest {
        serde_json::from_value(json!({
            "id": 30, "number": 3, "title": "chore(release): v0.1.0", "state": "closed",
            "merged_at": "2026-01-02T00:00:00Z", "merge_commit_sha": "m",
            "head": {"ref": "shiprig/release", "sha": "h"}, "base": {"ref": "production", "sha": "b"},
            "user": {"login": "app-77[bot]", "type": "Bot"}, "labels": [],
            "merged_by": merged_by,
        }))
        .unwrap()
    }

    #[test]
    fn only_a_person_s_merge_of_the_release_deploys() {
        let config = Config::from_yaml(
            "t.yml",
            "version: 1\nconductor: {agents: [{name: agent-1, login: rig-agent-1}]}\n",
        )
        .unwrap();
        assert_eq!(
            merged_by_person(&release(json!({"login": "mia", "type": "User"})), &config),
            Ok(())
        );
        let refused = |by: Value| merged_by_person(&release(by), &config).unwrap_err();
        assert!(refused(json!(null)).contains("no one recorded"));
        assert!(refused(json!({"login": "app-77[bot]", "type": "Bot"})).contains("a bot"));
        assert!(
            refused(json!({"login": "Rig-Agent-1", "type": "User"})).contains("an agent's account")
        );
    }
}
