//! Reading the evidence for one pull request at one head SHA: files, manifests on both
//! sides, reviews, commits, the agent behind it, and the permissions of those who approved.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::approvals::{self, Authorship, GateReview, Identity};
use super::changes::{ChangedFile, Changes};
use super::deps;
use super::event::GateEvent;
use super::rules::Rules;
use super::verdict::{Evidence, Manifest};
use crate::config::{Config, Permission};
use crate::github::{CommitInfo, FileStatus, GitHub, GitHubError, PullRequest, Repo};

/// Reads everything the verdict needs for `pull`, pinned to `pull.head.sha`.
pub(crate) async fn evidence(
    gh: &GitHub,
    repo: &Repo,
    pull: &PullRequest,
    event: &GateEvent,
    rules: &Rules,
    config: &Config,
) -> Result<Evidence, GitHubError> {
    let mut changes = files(gh, repo, pull.number).await;
    if rules.watches_lines() && changes.unreadable.is_none() {
        super::blobs::fill_patches(gh, repo, pull, &mut changes.files).await;
    }
    let manifests = if rules.watches_dependencies() && changes.unreadable.is_none() {
        let included = super::includes::included(gh, repo, pull, &changes.files).await?;
        manifests(gh, repo, pull, &changes.files, &included).await
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
            // No patch is never "no change": `changes: 0` is also what a binary file gets.
            // The blobs are read (a pure rename is known by its identical blob SHAs).
            patch: f.patch,
            sha: f.sha,
            unreadable: None,
        })
        .collect();
    Changes { files, unreadable }
}

/// Each touched manifest at the base SHA (under its old name when renamed) and the head SHA.
async fn manifests(
    gh: &GitHub,
    repo: &Repo,
    pull: &PullRequest,
    files: &[ChangedFile],
    included: &[String],
) -> Vec<Manifest> {
    let mut out = Vec::new();
    let is_included = |f: &ChangedFile| included.contains(&f.filename);
    for file in files
        .iter()
        .filter(|f| deps::is_manifest(&f.filename) || is_included(f))
    {
        let mut manifest = Manifest {
            path: file.filename.clone(),
            included: is_included(file),
            ..Manifest::default()
        };
        let old_name = file.previous_filename.as_deref().unwrap_or(&file.filename);
        let base = match file.status {
            FileStatus::Added | FileStatus::Copied if file.previous_filename.is_none() => Ok(None),
            _ => gh.file_text(repo, old_name, Some(&pull.base.sha)).await,
        };
        let head = match file.status {
            FileStatus::Removed => Ok(None),
            _ => {
                gh.file_text(repo, &file.filename, Some(&pull.head.sha))
                    .await
            }
        };
        match (base, head) {
            (Ok(base), Ok(head)) => (manifest.base, manifest.head) = (base, head),
            (Err(e), _) | (_, Err(e)) => manifest.error = Some(e.to_string()),
        }
        // Listed as changed, yet absent where it must exist: never read as "no dependencies".
        let added = matches!(file.status, FileStatus::Added | FileStatus::Copied)
            && file.previous_filename.is_none();
        if manifest.error.is_none() && manifest.head.is_none() && file.status != FileStatus::Removed
        {
            manifest.error = Some("listed as changed but cannot be read at the head".into());
        }
        if manifest.error.is_none() && manifest.base.is_none() && !added {
            manifest.error = Some(format!(
                "listed as {} but {old_name} cannot be read at the base",
                file.status
            ));
        }
        out.push(manifest);
    }
    out
}

async fn reviews(gh: &GitHub, repo: &Repo, number: u64) -> Result<Vec<GateReview>, GitHubError> {
    Ok(gh
        .pull_reviews(repo, number)
        .await?
        .into_iter()
        .filter_map(|r| {
            let user = r.user?;
            Some(GateReview {
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
    pull: &PullRequest,
    event: &GateEvent,
    config: &Config,
) -> Result<Authorship, GitHubError> {
    let listing = gh.compare(repo, &pull.base.sha, &pull.head.sha).await?;
    let commits = &listing.commits;
    let mut by = writers(commits);
    if listing.total_commits > commits.len() {
        by.incomplete = Some(format!(
            "GitHub counts {} commits and the gate read {}: it cannot know every writer",
            listing.total_commits,
            commits.len()
        ));
    }
    let (pushers, known) = pushers(gh, repo, pull, event, config).await?;
    (by.pushers, by.pusher_known) = (pushers, known);
    let prefix = &config.labels.agent_prefix;
    let labelled = |labels: &[String]| {
        labels
            .iter()
            .find_map(|l| l.strip_prefix(prefix.as_str()).map(str::to_string))
    };
    let mut agent =
        labelled(&pull.labels).or_else(|| commits.iter().find_map(|c| trailer(&c.commit.message)));
    if agent.is_none()
        && let Some(issue) = linked_issue(pull.body.as_deref().unwrap_or_default())
    {
        agent = match gh.issue(repo, issue).await {
            Ok(issue) => labelled(&issue.labels),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e),
        };
    }
    by.author = pull
        .user
        .as_ref()
        .map(|u| u.login.clone())
        .unwrap_or_default();
    by.agent = agent;
    Ok(by)
}

/// Who wrote the commits: linked logins, and the names and emails of everyone else.
pub(crate) fn writers(commits: &[CommitInfo]) -> Authorship {
    let mut by = Authorship::default();
    for c in commits {
        let sides = [
            (&c.author, &c.commit.author),
            (&c.committer, &c.commit.committer),
        ];
        for (user, git) in sides {
            match (user, git) {
                (Some(user), _) => by.commit_authors.push(user.login.clone()),
                (None, git) => {
                    let git = git.clone().unwrap_or_default();
                    let identity = Identity {
                        name: git.name.unwrap_or_default(),
                        email: git.email.unwrap_or_default(),
                    };
                    by.unlinked.push(format!(
                        "{} by {} <{}>",
                        approvals::short(&c.sha),
                        identity.name,
                        identity.email
                    ));
                    by.identities.push(identity);
                }
            }
        }
        by.identities
            .extend(approvals::co_authors(&c.commit.message));
    }
    by.commit_authors.sort();
    by.commit_authors.dedup();
    by.identities.sort();
    by.identities.dedup();
    by.unlinked.dedup();
    by
}

/// The record a gate check run keeps of who pushed its head: `shiprig:pushed-by=a,b`.
pub(crate) const PUSHER_RECORD: &str = "shiprig:pushed-by=";

/// Who pushed `pull.head.sha`: this event's sender when it is the push (`synchronize`) or the
/// opening, and the logins recorded on every earlier gate check run for the same head.
async fn pushers(
    gh: &GitHub,
    repo: &Repo,
    pull: &PullRequest,
    event: &GateEvent,
    config: &Config,
) -> Result<(Vec<String>, bool), GitHubError> {
    let mut pushers: Vec<String> = event.pusher().into_iter().collect();
    let mut known = !pushers.is_empty();
    let records = gh
        .check_run_records(repo, &pull.head.sha, &config.gate.check_name)
        .await?;
    for record in records {
        if let Some(logins) = parse_record(&record) {
            known = true;
            pushers.extend(logins);
        }
    }
    pushers.sort();
    pushers.dedup();
    Ok((pushers, known))
}

/// The logins in a pusher record; `None` when it is not one.
pub(crate) fn parse_record(record: &str) -> Option<Vec<String>> {
    let logins = record.strip_prefix(PUSHER_RECORD)?;
    let valid = |l: &&str| {
        !l.is_empty()
            && l.len() <= 60
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_[]".contains(c))
    };
    Some(
        logins
            .split(',')
            .filter(valid)
            .map(str::to_lowercase)
            .collect(),
    )
}

/// The record for `pushers`, or `None` when there is nobody to record.
pub(crate) fn record(pushers: &[String]) -> Option<String> {
    (!pushers.is_empty()).then(|| format!("{PUSHER_RECORD}{}", pushers.join(",")))
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

/// The issue a PR body closes (`Closes #12`, `fixes #3`, `resolved #7`). The keywords are
/// ASCII, so the expression is too: its Unicode form took a tenth of a gate run's
/// instructions to compile.
pub(crate) fn linked_issue(body: &str) -> Option<u64> {
    static CLOSES: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i-u)\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+#([0-9]+)\b")
            .expect("a valid pattern")
    });
    CLOSES.captures(body)?.get(1)?.as_str().parse().ok()
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
