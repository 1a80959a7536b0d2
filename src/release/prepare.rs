//! Deciding a release before any write: the tags and the commits since the newest release tag
//! become the next version and its changelog.

use anyhow::Context as _;
use semver::Version;
use serde::Serialize;

use super::changelog::{self, Links};
use super::history::{self, Bump, History, RawCommit};
use crate::config::Config;
use crate::github::{GitHub, Repo};

/// Everything about the release at one SHA, computed before any write.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Prepared {
    pub(crate) sha: String,
    pub(crate) previous_tag: Option<String>,
    pub(crate) bump: Option<Bump>,
    pub(crate) version: Option<Version>,
    pub(crate) tag: Option<String>,
    pub(crate) history: History,
    pub(crate) changelog: String,
}

/// Reads the tags and the commits since the newest release tag, and decides the release.
/// Tags on `released_at` are not earlier releases: they are this one, published by a run that
/// is now being repeated.
pub(crate) async fn prepare(
    gh: &GitHub,
    repo: &Repo,
    config: &Config,
    sha: &str,
    released_at: Option<&str>,
    links: &Links,
) -> anyhow::Result<Prepared> {
    let tags = gh.tags(repo).await.context("reading the tags")?;
    let previous = history::latest_tag(
        tags.iter()
            .filter(|t| Some(t.commit.sha.as_str()) != released_at)
            .map(|t| t.name.as_str()),
        &config.release.tag_prefix,
    );
    let commits = match &previous {
        Some((tag, _)) => {
            gh.compare(repo, tag, sha)
                .await
                .with_context(|| format!("comparing {tag}...{sha}"))?
                .commits
        }
        None => {
            let mut all = gh
                .commits_from(repo, sha)
                .await
                .with_context(|| format!("reading the history of {sha}"))?;
            all.reverse();
            all
        }
    };
    let raw: Vec<RawCommit> = commits
        .into_iter()
        .map(|c| RawCommit {
            sha: c.sha,
            message: c.commit.message,
            parents: c.parents.len(),
        })
        .collect();
    Ok(decide(sha, previous, &raw, config, links))
}

/// The pure part of [`prepare`].
pub(crate) fn decide(
    sha: &str,
    previous: Option<(String, Version)>,
    commits: &[RawCommit],
    config: &Config,
    links: &Links,
) -> Prepared {
    let history = history::read(commits);
    let bump = history::bump(&history);
    let version =
        bump.map(|b| history::next_version(previous.as_ref().map(|p| &p.1), b, &config.release));
    let tag = version
        .as_ref()
        .map(|v| format!("{}{v}", config.release.tag_prefix));
    let changelog = match (&version, &tag) {
        (Some(version), Some(tag)) => changelog::render(
            &history,
            &changelog::Heading {
                tag,
                version,
                previous_tag: previous.as_ref().map(|p| p.0.as_str()),
            },
            links,
        ),
        _ => String::new(),
    };
    Prepared {
        sha: sha.to_string(),
        previous_tag: previous.map(|p| p.0),
        bump,
        version,
        tag,
        history,
        changelog,
    }
}
