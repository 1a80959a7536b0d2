//! `shiprig lifecycle`: the issues a pull request closes follow it. Opened: `in-progress` →
//! `in-review`. Merged into the default branch: closed if GitHub did not (they keep `in-review`
//! until a release ships them). Closed unmerged: shiprig's in-flight labels and the agent's
//! claim come off, so the issue is back in the queue and the agent is free.

mod refs;

use anyhow::Context as _;
use serde::Serialize;

use crate::config::Config;
use crate::github::{GitHub, GitHubError, Issue, PullRequest, PullState, Repo};
use crate::notify::{Event, Notifier};

pub(crate) use refs::{IssueRef, closing_refs};

/// One change the lifecycle makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub(crate) enum LifecycleEffect {
    AddLabel {
        issue: IssueRef,
        label: String,
    },
    RemoveLabel {
        issue: IssueRef,
        label: String,
    },
    Unassign {
        issue: IssueRef,
        logins: Vec<String>,
    },
    Close {
        issue: IssueRef,
    },
    Tell {
        event: Event,
    },
}

/// Where a pull request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PullStanding {
    Open,
    Merged,
    ClosedUnmerged,
}

impl PullStanding {
    pub(crate) fn of(pull: &PullRequest) -> PullStanding {
        match (pull.is_merged(), &pull.state) {
            (true, _) => PullStanding::Merged,
            (false, PullState::Closed) => PullStanding::ClosedUnmerged,
            _ => PullStanding::Open,
        }
    }
}

/// A linked issue as read, with the repository it lives in.
#[derive(Debug, Clone)]
pub(crate) struct Linked {
    pub(crate) at: IssueRef,
    pub(crate) issue: Issue,
}

/// Decides every change for one pull request and its linked issues; pure.
pub(crate) fn plan(
    repo: &Repo,
    pull: &PullRequest,
    linked: &[Linked],
    config: &Config,
    default_branch: &str,
) -> Vec<LifecycleEffect> {
    let state = PullStanding::of(pull);
    let labels = &config.labels;
    let mut effects = Vec::new();
    let mut opened_told = false;
    for Linked { at, issue } in linked {
        if issue.is_pull_request() {
            continue;
        }
        let add = |label: &str| LifecycleEffect::AddLabel {
            issue: at.clone(),
            label: label.to_string(),
        };
        let remove = |label: &str| LifecycleEffect::RemoveLabel {
            issue: at.clone(),
            label: label.to_string(),
        };
        let in_progress = issue.has_label(&labels.in_progress);
        let in_review = issue.has_label(&labels.in_review);
        match state {
            PullStanding::Open if issue.is_open() && in_progress => {
                effects.push(add(&labels.in_review));
                effects.push(remove(&labels.in_progress));
                // Told once: this move happens once per issue, and one message per pull request.
                if !opened_told {
                    opened_told = true;
                    effects.push(LifecycleEffect::Tell {
                        event: opened(repo, pull, at, issue, config),
                    });
                }
            }
            PullStanding::Merged if pull.base.name == default_branch => {
                if in_progress {
                    effects.push(add(&labels.in_review));
                    effects.push(remove(&labels.in_progress));
                }
                if issue.is_open() {
                    effects.push(LifecycleEffect::Close { issue: at.clone() });
                }
            }
            PullStanding::ClosedUnmerged
                if issue.is_open()
                    && (in_progress || in_review)
                    && !labels.left_behind(&issue.labels, &pull.labels) =>
            {
                effects.extend(release_claim(at, issue, config));
                effects.push(LifecycleEffect::Tell {
                    event: Event::IssueReturned {
                        repo: repo.to_string(),
                        issue: at.number,
                        pull: pull.number,
                        url: pull.html_url.clone(),
                    },
                });
            }
            _ => {}
        }
    }
    effects
}

/// "Pull request opened", for the issue it moves to review and the agent that claimed it.
fn opened(repo: &Repo, pull: &PullRequest, at: &IssueRef, issue: &Issue, config: &Config) -> Event {
    let agent = config.labels.agent_in(&issue.labels).map(str::to_string);
    Event::PullRequestOpened {
        repo: repo.to_string(),
        number: pull.number,
        title: pull.title.clone(),
        url: pull.html_url.clone(),
        issue: Some(at.number),
        agent,
    }
}

/// The in-flight labels, every `agent:*` label and the agents' assignments come off.
fn release_claim(at: &IssueRef, issue: &Issue, config: &Config) -> Vec<LifecycleEffect> {
    let labels = &config.labels;
    let mut effects: Vec<LifecycleEffect> = issue
        .labels
        .iter()
        .filter(|l| {
            l.eq_ignore_ascii_case(&labels.in_progress)
                || l.eq_ignore_ascii_case(&labels.in_review)
                || l.starts_with(&labels.agent_prefix)
        })
        .map(|l| LifecycleEffect::RemoveLabel {
            issue: at.clone(),
            label: l.clone(),
        })
        .collect();
    let agent_logins: Vec<String> = issue
        .assignees
        .iter()
        .filter(|a| {
            config
                .conductor
                .agents
                .iter()
                .any(|agent| agent.login.as_deref() == Some(a.login.as_str()))
        })
        .map(|a| a.login.clone())
        .collect();
    if !agent_logins.is_empty() {
        effects.push(LifecycleEffect::Unassign {
            issue: at.clone(),
            logins: agent_logins,
        });
    }
    effects
}

/// Reads the issues a pull request closes (in any repository the client can read).
pub(crate) async fn read_linked(gh: &GitHub, repo: &Repo, pull: &PullRequest) -> Vec<Linked> {
    let mut linked = Vec::new();
    for at in closing_refs(pull.body.as_deref().unwrap_or(""), repo) {
        match gh.for_repo(&at.repo).issue(&at.repo, at.number).await {
            Ok(issue) => linked.push(Linked { at, issue }),
            Err(e) => tracing::warn!("could not read linked issue {at}: {e}"),
        }
    }
    linked
}

/// Makes the changes in order; stops at the first GitHub failure.
pub(crate) async fn apply(
    gh: &GitHub,
    notifier: &Notifier,
    effects: &[LifecycleEffect],
) -> Result<(), GitHubError> {
    for effect in effects {
        match effect {
            LifecycleEffect::AddLabel { issue, label } => {
                let gh = gh.for_repo(&issue.repo);
                gh.add_labels(&issue.repo, issue.number, std::slice::from_ref(label))
                    .await?
            }
            LifecycleEffect::RemoveLabel { issue, label } => {
                let gh = gh.for_repo(&issue.repo);
                gh.remove_label(&issue.repo, issue.number, label).await?
            }
            LifecycleEffect::Unassign { issue, logins } => {
                let gh = gh.for_repo(&issue.repo);
                gh.remove_assignees(&issue.repo, issue.number, logins)
                    .await?
            }
            LifecycleEffect::Close { issue } => {
                let gh = gh.for_repo(&issue.repo);
                gh.close_issue(&issue.repo, issue.number).await?
            }
            LifecycleEffect::Tell { event } => {
                notifier.tell(event.clone()).await;
            }
        }
    }
    Ok(())
}

/// What a lifecycle run decided and did.
#[derive(Debug, Serialize)]
pub(crate) struct LifecycleReport {
    pub(crate) pull: u64,
    pub(crate) state: PullStanding,
    pub(crate) dry_run: bool,
    pub(crate) effects: Vec<LifecycleEffect>,
}

/// What `shiprig lifecycle` asks for: move the issues one pull request closes along.
#[derive(Debug, Clone)]
pub(crate) struct LifecycleRequest {
    pub(crate) repo: Repo,
    pub(crate) config: Config,
    /// The pull request as the API has it now (never an event's copy).
    pub(crate) pull: PullRequest,
    pub(crate) dry_run: bool,
}

/// Reads the linked issues, decides, and (unless `dry_run`) makes the changes.
pub(crate) async fn run(
    gh: &GitHub,
    notifier: &Notifier,
    request: &LifecycleRequest,
) -> anyhow::Result<LifecycleReport> {
    let (repo, config, pull, dry_run) = (
        &request.repo,
        &request.config,
        &request.pull,
        request.dry_run,
    );
    let linked = read_linked(gh, repo, pull).await;
    let main = &config.release.main_branch;
    let effects = plan(repo, pull, &linked, config, main);
    if !dry_run {
        apply(gh, notifier, &effects)
            .await
            .with_context(|| format!("updating the issues of #{}", pull.number))?;
    }
    Ok(LifecycleReport {
        pull: pull.number,
        state: PullStanding::of(pull),
        dry_run,
        effects,
    })
}

/// One line per effect, for people.
pub(crate) fn describe(effect: &LifecycleEffect) -> String {
    match effect {
        LifecycleEffect::AddLabel { issue, label } => format!("label {issue} `{label}`"),
        LifecycleEffect::RemoveLabel { issue, label } => format!("unlabel {issue} `{label}`"),
        LifecycleEffect::Unassign { issue, logins } => {
            format!("unassign {} from {issue}", logins.join(", "))
        }
        LifecycleEffect::Close { issue } => format!("close {issue}"),
        LifecycleEffect::Tell { event } => format!(
            "tell Slack: {}",
            crate::notify::slack::render(event)["text"]
                .as_str()
                .unwrap_or("")
        ),
    }
}

#[cfg(test)]
mod tests;
