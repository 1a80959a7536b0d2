//! Commits since the last release, read as conventional commits, and the version they lead to.
//!
//! Version rules follow release-please: from 1.0.0 on, a breaking change bumps the major
//! version, a feature the minor, anything else the patch. Before 1.0.0 a breaking change
//! releases 1.0.0 and a feature bumps the minor, unless `bump_minor_pre_major` (breaking →
//! minor) or `bump_patch_for_minor_pre_major` (feature → patch) is set. With no earlier release
//! tag, the first release is 0.1.0.

use std::sync::LazyLock;

use regex::Regex;
use semver::Version;
use serde::Serialize;

use crate::config::Release;

/// A commit as the history gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawCommit {
    pub(crate) sha: String,
    pub(crate) message: String,
    pub(crate) parents: usize,
}

/// What a commit is, for the changelog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    Feature,
    Fix,
    Performance,
    Revert,
    Documentation,
    /// Another conventional type (`chore`, `ci`, `build`, `test`, `refactor`, `style`, …).
    Other(String),
    /// Not a conventional commit: listed as written, never dropped.
    NonConventional,
}

/// One change in the release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ReleaseChange {
    pub(crate) sha: String,
    pub(crate) kind: Kind,
    pub(crate) scope: Option<String>,
    pub(crate) description: String,
    /// What breaks, for a breaking change (`!` or a `BREAKING CHANGE:` footer).
    pub(crate) breaking: Option<String>,
    /// Pull requests named in the subject (`(#12)`, as GitHub's merges write it).
    pub(crate) pulls: Vec<u64>,
    /// Issues of this repository the message closes (`Closes #4`).
    pub(crate) issues: Vec<u64>,
}

/// The history between two releases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct History {
    pub(crate) changes: Vec<ReleaseChange>,
    /// Subjects of merge commits (`Merge pull request …`, `Merge branch …`): they carry no
    /// change of their own; the commits they merged are listed.
    pub(crate) merges: Vec<String>,
}

static PULL_SUFFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*\(#(\d+)\)\s*$").expect("pull suffix regex"));
static MERGE_PULL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^Merge pull request #(\d+)").expect("merge regex"));
static GIT_REVERT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^Revert "(.+)"$"#).expect("revert regex"));

/// Reads commits, oldest first.
pub(crate) fn read(commits: &[RawCommit]) -> History {
    let mut history = History {
        changes: Vec::new(),
        merges: Vec::new(),
    };
    for commit in commits {
        let subject = commit.message.lines().next().unwrap_or("").trim();
        if commit.parents > 1 && (subject.starts_with("Merge ") || MERGE_PULL.is_match(subject)) {
            history.merges.push(subject.to_string());
            continue;
        }
        history.changes.push(change(commit, subject));
    }
    history
}

fn change(commit: &RawCommit, subject: &str) -> ReleaseChange {
    let mut pulls = Vec::new();
    let message = match PULL_SUFFIX.captures(subject) {
        Some(caps) => {
            pulls.extend(caps[1].parse::<u64>().ok());
            let stripped = PULL_SUFFIX.replace(subject, "");
            commit.message.replacen(subject, &stripped, 1)
        }
        None => commit.message.clone(),
    };
    let subject = message.lines().next().unwrap_or("").trim().to_string();
    let base = ReleaseChange {
        sha: commit.sha.clone(),
        kind: Kind::NonConventional,
        scope: None,
        description: subject.clone(),
        breaking: None,
        pulls,
        issues: closes(&message),
    };
    if let Some(caps) = GIT_REVERT.captures(&subject) {
        return ReleaseChange {
            kind: Kind::Revert,
            description: caps[1].to_string(),
            ..base
        };
    }
    let Ok(parsed) = git_conventional::Commit::parse(message.trim()) else {
        return base;
    };
    let kind = match parsed.type_().as_str().to_ascii_lowercase().as_str() {
        "feat" => Kind::Feature,
        "fix" => Kind::Fix,
        "perf" => Kind::Performance,
        "revert" => Kind::Revert,
        "docs" => Kind::Documentation,
        other => Kind::Other(other.to_string()),
    };
    let breaking = parsed.breaking().then(|| {
        parsed
            .breaking_description()
            .unwrap_or(parsed.description())
            .trim()
            .to_string()
    });
    ReleaseChange {
        kind,
        scope: parsed.scope().map(|s| s.as_str().to_string()),
        description: parsed.description().trim().to_string(),
        breaking,
        ..base
    }
}

/// Issue numbers of this repository that `message` closes.
fn closes(message: &str) -> Vec<u64> {
    let here = crate::github::Repo::new("_", "_");
    crate::lifecycle::closing_refs(message, &here)
        .into_iter()
        .filter(|r| r.repo == here)
        .map(|r| r.number)
        .collect()
}

/// How far a release moves the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Bump {
    Patch,
    Minor,
    Major,
}

/// The bump the changes call for; `None` when there is nothing to release.
pub(crate) fn bump(history: &History) -> Option<Bump> {
    history
        .changes
        .iter()
        .map(|c| match (&c.breaking, &c.kind) {
            (Some(_), _) => Bump::Major,
            (None, Kind::Feature) => Bump::Minor,
            (None, _) => Bump::Patch,
        })
        .max()
}

/// The next version after `previous` (none: the first release).
pub(crate) fn next_version(previous: Option<&Version>, bump: Bump, rules: &Release) -> Version {
    let Some(previous) = previous else {
        return Version::new(0, 1, 0);
    };
    let (major, minor, patch) = (previous.major, previous.minor, previous.patch);
    let pre_major = major == 0;
    match bump {
        Bump::Major if pre_major && rules.bump_minor_pre_major => Version::new(0, minor + 1, 0),
        Bump::Major => Version::new(major + 1, 0, 0),
        Bump::Minor if pre_major && rules.bump_patch_for_minor_pre_major => {
            Version::new(0, minor, patch + 1)
        }
        Bump::Minor => Version::new(major, minor + 1, 0),
        Bump::Patch => Version::new(major, minor, patch + 1),
    }
}

/// The newest release tag: the highest version among tags `prefix` + semver (no pre-releases).
pub(crate) fn latest_tag<'a>(
    tags: impl IntoIterator<Item = &'a str>,
    prefix: &str,
) -> Option<(String, Version)> {
    tags.into_iter()
        .filter_map(|t| {
            let v = Version::parse(t.strip_prefix(prefix)?).ok()?;
            v.pre.is_empty().then(|| (t.to_string(), v))
        })
        .max_by(|a, b| a.1.cmp(&b.1))
}
