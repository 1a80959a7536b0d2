//! The changelog: changes grouped the way release-please groups them, with links to pull
//! requests, commits and issues. Commit text is data, escaped by [`crate::markdown::inline`].

use semver::Version;

use super::history::{History, Kind, ReleaseChange};
use crate::github::Repo;
use crate::markdown::inline;

/// Where links point.
#[derive(Debug, Clone)]
pub(crate) struct Links {
    /// `https://github.com` (Actions sets `GITHUB_SERVER_URL`).
    pub(crate) server: String,
    pub(crate) repo: Repo,
}

impl Links {
    fn base(&self) -> String {
        format!("{}/{}", self.server.trim_end_matches('/'), self.repo)
    }
    fn pull(&self, n: u64) -> String {
        format!("[#{n}]({}/pull/{n})", self.base())
    }
    fn issue(&self, n: u64) -> String {
        format!("[#{n}]({}/issues/{n})", self.base())
    }
    fn commit(&self, sha: &str) -> String {
        let short: String = sha.chars().take(7).collect();
        format!("[{short}]({}/commit/{sha})", self.base())
    }
}

/// The release being described.
#[derive(Debug, Clone)]
pub(crate) struct Heading<'a> {
    pub(crate) tag: &'a str,
    pub(crate) version: &'a Version,
    pub(crate) previous_tag: Option<&'a str>,
}

/// Which changes a section holds.
type Belongs = fn(&Kind) -> bool;

const SECTIONS: &[(&str, Belongs)] = &[
    ("Features", |k| matches!(k, Kind::Feature)),
    ("Bug Fixes", |k| matches!(k, Kind::Fix)),
    ("Performance Improvements", |k| {
        matches!(k, Kind::Performance)
    }),
    ("Reverts", |k| matches!(k, Kind::Revert)),
    ("Documentation", |k| matches!(k, Kind::Documentation)),
    ("Miscellaneous", |k| matches!(k, Kind::Other(_))),
    ("Other changes (not conventional commits)", |k| {
        matches!(k, Kind::NonConventional)
    }),
];

/// Markdown for the release PR and the GitHub Release.
pub(crate) fn render(history: &History, heading: &Heading<'_>, links: &Links) -> String {
    let title = match heading.previous_tag {
        Some(previous) => format!(
            "## [{}]({}/compare/{previous}...{})",
            heading.version,
            links.base(),
            heading.tag
        ),
        None => format!("## {}", heading.version),
    };
    let mut out = format!("{title}\n");
    let breaking: Vec<&ReleaseChange> = history
        .changes
        .iter()
        .filter(|c| c.breaking.is_some())
        .collect();
    section(&mut out, "⚠ BREAKING CHANGES", &breaking, links, true);
    for (name, belongs) in SECTIONS {
        let changes: Vec<&ReleaseChange> = history
            .changes
            .iter()
            .filter(|c| belongs(&c.kind))
            .collect();
        section(&mut out, name, &changes, links, false);
    }
    if !history.merges.is_empty() {
        out.push_str(&format!(
            "\n{} merge commit(s) left out: their commits are listed above.\n",
            history.merges.len()
        ));
    }
    out
}

fn section(
    out: &mut String,
    name: &str,
    changes: &[&ReleaseChange],
    links: &Links,
    breaking: bool,
) {
    if changes.is_empty() {
        return;
    }
    out.push_str(&format!("\n### {name}\n\n"));
    for change in changes {
        out.push_str(&entry(change, links, breaking));
    }
}

fn entry(change: &ReleaseChange, links: &Links, breaking: bool) -> String {
    let scope = change
        .scope
        .as_deref()
        .map(|s| format!("**{}:** ", inline(s, 300)))
        .unwrap_or_default();
    let text = match (&change.breaking, breaking) {
        (Some(what), true) => what.as_str(),
        _ => change.description.as_str(),
    };
    let mut line = format!("* {scope}{}", inline(text, 300));
    for pull in &change.pulls {
        line.push_str(&format!(" ({})", links.pull(*pull)));
    }
    line.push_str(&format!(" ({})", links.commit(&change.sha)));
    if !change.issues.is_empty() {
        let issues: Vec<String> = change.issues.iter().map(|n| links.issue(*n)).collect();
        line.push_str(&format!(", closes {}", issues.join(", ")));
    }
    line.push('\n');
    line
}
