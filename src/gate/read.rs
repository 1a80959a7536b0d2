//! Reading the evidence for one pull request at one head SHA: files, manifests on both
//! sides, reviews, commits, the agent behind it, and the permissions of those who approved.

use std::collections::BTreeMap;

use regex::Regex;

use super::GateEvent;
use super::approvals::{self, Authorship, Review};
use super::changes::{ChangedFile, Changes};
use super::deps;
use super::rules::Rules;
use super::verdict::{Evidence, Manifest};
use crate::config::{Config, Permission};
use crate::github::{GatePull, GitHub, GitHubError, Repo};

/// Reads everything the verdict needs for `pull`, pinned to `pull.head.sha`.
pub async fn evidence(
    gh: &GitHub,
    repo: &Repo,
    pull: &GatePull,
    event: &GateEvent,
    rules: &Rules,
    config: &Config,
) -> Result<Evidence, GitHubError> {
    let changes = files(gh, repo, pull.number).await;
    let manifests = if rules.watches_dependencies() && changes.unreadable.is_none() {
        manifests(gh, repo, pull, &changes.files).await
    } else {
        Vec::new()
    };
    let reviews = reviews(gh, repo, pull.number).await?;
    let authorship = authorship(gh, repo, pull, event, config).await?;
    let mut evidence = Evidence {
        head_sha: pull.head.sha.clone(),
        changes,
        manifests,
        reviews,
        permissions: BTreeMap::new(),
        authorship,
    };
    evidence.permissions = permissions(gh, repo, &evidence, config).await?;
    Ok(evidence)
}

async fn files(gh: &GitHub, repo: &Repo, number: u64) -> Changes {
    let listing = gh.pull_files(repo, number).await;
    let unreadable = match (&listing.error, listing.complete) {
        (Some(error), _) => Some(error.to_string()),
        (None, false) => Some("more pages than GitHub lists".to_string()),
        (None, true) => None,
    };
    let files = listing
        .items
        .into_iter()
        .map(|f| ChangedFile {
            filename: f.filename,
            status: f.status,
            previous_filename: f.previous_filename,
            patch: f.patch,
        })
        .collect();
    Changes { files, unreadable }
}

/// Each touched manifest at the base SHA (under its old name when renamed) and the head SHA.
async fn manifests(
    gh: &GitHub,
    repo: &Repo,
    pull: &GatePull,
    files: &[ChangedFile],
) -> Vec<Manifest> {
    let mut out = Vec::new();
    for file in files.iter().filter(|f| deps::is_manifest(&f.filename)) {
        let mut manifest = Manifest {
            path: file.filename.clone(),
            ..Manifest::default()
        };
        let old_name = file.previous_filename.as_deref().unwrap_or(&file.filename);
        let base = match file.status.as_str() {
            "added" | "copied" if file.previous_filename.is_none() => Ok(None),
            _ => gh.file_text(repo, old_name, Some(&pull.base.sha)).await,
        };
        let head = match file.status.as_str() {
            "removed" => Ok(None),
            _ => {
                gh.file_text(repo, &file.filename, Some(&pull.head.sha))
                    .await
            }
        };
        match (base, head) {
            (Ok(base), Ok(head)) => (manifest.base, manifest.head) = (base, head),
            (Err(e), _) | (_, Err(e)) => manifest.error = Some(e.to_string()),
        }
        out.push(manifest);
    }
    out
}

async fn reviews(gh: &GitHub, repo: &Repo, number: u64) -> Result<Vec<Review>, GitHubError> {
    Ok(gh
        .pull_reviews(repo, number)
        .await?
        .into_iter()
        .filter_map(|r| {
            let user = r.user?;
            Some(Review {
                bot: user.is_bot(),
                login: user.login,
                state: r.state,
                commit_id: r.commit_id.unwrap_or_default(),
                body: r.body.unwrap_or_default(),
            })
        })
        .collect())
}

async fn authorship(
    gh: &GitHub,
    repo: &Repo,
    pull: &GatePull,
    event: &GateEvent,
    config: &Config,
) -> Result<Authorship, GitHubError> {
    let commits = gh.gate_commits(repo, pull.number).await?;
    let mut commit_authors: Vec<String> = commits
        .iter()
        .flat_map(|c| [&c.author, &c.committer])
        .flatten()
        .map(|u| u.login.clone())
        .collect();
    if event.action == "synchronize"
        && let Some(pusher) = &event.sender
    {
        commit_authors.push(pusher.clone());
    }
    commit_authors.sort();
    commit_authors.dedup();
    let prefix = &config.labels.agent_prefix;
    let labelled = |labels: &[String]| {
        labels
            .iter()
            .find_map(|l| l.strip_prefix(prefix.as_str()).map(str::to_string))
    };
    let pr_labels: Vec<String> = pull.labels.iter().map(|l| l.name.clone()).collect();
    let mut agent =
        labelled(&pr_labels).or_else(|| commits.iter().find_map(|c| trailer(&c.commit.message)));
    if agent.is_none()
        && let Some(issue) = linked_issue(pull.body.as_deref().unwrap_or_default())
    {
        agent = match gh.issue(repo, issue).await {
            Ok(issue) => labelled(&issue.labels),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e),
        };
    }
    Ok(Authorship {
        author: pull
            .user
            .as_ref()
            .map(|u| u.login.clone())
            .unwrap_or_default(),
        commit_authors,
        agent,
    })
}

/// `Shiprig-Agent: agent-1` in a commit message.
fn trailer(message: &str) -> Option<String> {
    message.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case("shiprig-agent")
            .then(|| value.trim().to_string())
            .filter(|v| !v.is_empty())
    })
}

/// The issue a PR body closes (`Closes #12`, `fixes #3`, `resolved #7`).
pub fn linked_issue(body: &str) -> Option<u64> {
    let re = Regex::new(r"(?i)\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+#(\d+)\b")
        .expect("a valid pattern");
    re.captures(body)?.get(1)?.as_str().parse().ok()
}

/// The permission of each reviewer whose approval could count: one read per person.
async fn permissions(
    gh: &GitHub,
    repo: &Repo,
    evidence: &Evidence,
    config: &Config,
) -> Result<BTreeMap<String, Option<Permission>>, GitHubError> {
    let standing = approvals::standing(
        &evidence.reviews,
        &evidence.head_sha,
        &evidence.authorship,
        config,
    );
    let mut out = BTreeMap::new();
    for login in standing.approvers {
        let role = gh.permission(repo, &login).await?;
        out.insert(login, role.as_deref().and_then(Permission::from_github));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers_and_closing_keywords() {
        assert_eq!(
            trailer("feat: x\n\nShiprig-Agent: agent-2\n").as_deref(),
            Some("agent-2")
        );
        assert_eq!(trailer("feat: x"), None);
        assert_eq!(linked_issue("This closes #12 and more"), Some(12));
        assert_eq!(linked_issue("Fixes: #3"), Some(3));
        assert_eq!(linked_issue("see #4"), None);
    }
}
