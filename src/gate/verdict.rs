//! The gate's decision as a pure function of what was read: changed files and patches,
//! manifests at base and head, reviews, permissions, authorship and the base branch's config.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::approvals::{self, Authorship, GateReview, Ignored};
use super::changes::Changes;
use super::deps::{self, DependencyChange};
use super::rules::Rules;
use crate::config::{Config, Permission};
use crate::github::FileStatus;

/// A manifest's text on both sides; `error` when one side could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub path: String,
    pub base: Option<String>,
    pub head: Option<String>,
    pub error: Option<String>,
    /// Read as pip requirements whatever its name: a requirements file includes it.
    #[serde(default)]
    pub included: bool,
}

/// Everything the verdict looks at, read and pinned to one head SHA.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub head_sha: String,
    pub changes: Changes,
    pub manifests: Vec<Manifest>,
    pub reviews: Vec<GateReview>,
    /// Lowercased login → the permission GitHub reported (`None`: none).
    pub permissions: BTreeMap<String, Option<Permission>>,
    pub authorship: Authorship,
}

/// Why a category applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    File {
        path: String,
        status: FileStatus,
    },
    Line {
        path: String,
        sign: char,
        text: String,
    },
    Dependency(DependencyChange),
    Unreadable {
        path: String,
        reason: String,
    },
}

/// One category the change touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gated {
    pub category: String,
    pub triggers: Vec<Trigger>,
    pub(crate) owners: Vec<String>,
    pub(crate) needed: u32,
    /// Approvals that count for this category.
    pub approved_by: Vec<String>,
}

impl Gated {
    pub fn satisfied(&self) -> bool {
        self.approved_by.len() >= self.needed as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Nothing gated, or every gated category approved.
    Pass,
    /// A category waits for a human.
    NeedsHuman,
    /// The gate could not judge the change (config, file list): never a pass.
    CannotJudge,
}

/// Another open pull request with the same head SHA, and how the gate judged it: the check
/// on a SHA speaks for every open pull request with that head, so it passes only if all do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Sibling {
    pub(crate) pull: u64,
    pub(crate) base_ref: String,
    pub(crate) passed: bool,
    /// Its verdict's title (`A human must approve: auth`).
    pub(crate) title: String,
}

/// The gate's verdict on one pull request: the PR, the base SHA and the head SHA it judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateVerdict {
    /// The pull request judged (0 only for `gate explain`, which judges paths).
    #[serde(skip_serializing_if = "is_zero")]
    pub(crate) pull: u64,
    /// The base branch and its SHA the rules were read from.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) base_ref: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) base_sha: String,
    pub(crate) head_sha: String,
    pub outcome: Outcome,
    /// Why the gate could not judge, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
    pub gated: Vec<Gated>,
    pub ignored: Vec<Ignored>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) agent: Option<String>,
    /// Who pushed the head, as far as the gate knows: recorded on the check run it posts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) pushers: Vec<String>,
    /// What the gate could not see and how it ruled instead (unknown pusher, unlinked commits).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) notes: Vec<String>,
    /// Approvals of the head that count at all (a human with the permission, not a writer of
    /// the change, not a bot or agent): what `merge` asks for, the same ones the gate counts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) approved_by: Vec<String>,
    /// The review agent's login, when its latest review approves the head and it wrote none
    /// of the change: never a person's approval, but what lets a change no category gates
    /// merge with no person (`merge` reads it only when nothing is gated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reviewed_by_agent: Option<String>,
    /// Other open pull requests with this head SHA (see [`Sibling`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) siblings: Vec<Sibling>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl GateVerdict {
    /// A verdict that fails closed without looking further.
    pub(crate) fn cannot_judge(head_sha: &str, reason: impl Into<String>) -> GateVerdict {
        GateVerdict {
            pull: 0,
            base_ref: String::new(),
            base_sha: String::new(),
            head_sha: head_sha.to_string(),
            outcome: Outcome::CannotJudge,
            reason: Some(reason.into()),
            gated: Vec::new(),
            ignored: Vec::new(),
            agent: None,
            pushers: Vec::new(),
            notes: Vec::new(),
            approved_by: Vec::new(),
            reviewed_by_agent: None,
            siblings: Vec::new(),
        }
    }

    /// Whether the check on the head SHA may say `success`: this pull request passes and so
    /// does every other open one with the same head.
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Pass && self.siblings.iter().all(|s| s.passed)
    }

    /// The open pull requests with this head that do not pass.
    pub(crate) fn held_by(&self) -> impl Iterator<Item = &Sibling> {
        self.siblings.iter().filter(|s| !s.passed)
    }
}

/// `gate::verdict`: which categories apply, and whether each has the approvals it needs.
pub fn verdict(evidence: &Evidence, rules: &Rules, config: &Config) -> GateVerdict {
    let by = &evidence.authorship;
    let reason = evidence
        .changes
        .fail_closed_reason()
        .or_else(|| by.incomplete.clone());
    if let Some(reason) = reason {
        let mut verdict = GateVerdict::cannot_judge(&evidence.head_sha, reason);
        verdict.pushers = by.pushers.clone();
        return verdict;
    }
    let triggers = triggers(evidence, rules);
    let standing = approvals::standing(
        &evidence.reviews,
        &evidence.head_sha,
        &evidence.authorship,
        config,
    );
    let min = config.gate.humans.min_permission;
    let mut ignored = standing.ignored;
    let permitted: Vec<&String> = standing
        .approvers
        .iter()
        .filter(|login| {
            let ok = approvals::permitted(evidence.permissions.get(*login), min);
            if !ok {
                ignored.push(Ignored {
                    login: login.to_string(),
                    reason: format!("below `{}` permission", permission_name(min)),
                });
            }
            ok
        })
        .collect();
    // An unknown pusher may be among the approvers: every category then needs at least the
    // gate-wide number of approvals (branch protection's "approval of the most recent push"
    // is the second line).
    let floor = if by.pusher_known {
        0
    } else {
        config.gate.humans.min_approvals
    };
    let gated: Vec<Gated> = triggers
        .into_iter()
        .enumerate()
        .filter(|(_, t)| !t.is_empty())
        .map(|(index, triggers)| {
            let category = &rules.categories[index];
            Gated {
                category: category.name.clone(),
                triggers,
                owners: category.owners.clone(),
                needed: category.min_approvals.max(floor),
                approved_by: permitted
                    .iter()
                    .filter(|l| approvals::is_owner(l, &category.owners, &config.gate.teams))
                    .map(|l| l.to_string())
                    .collect(),
            }
        })
        .collect();
    let outcome = if gated.iter().all(Gated::satisfied) {
        Outcome::Pass
    } else {
        Outcome::NeedsHuman
    };
    GateVerdict {
        pull: 0,
        base_ref: String::new(),
        base_sha: String::new(),
        head_sha: evidence.head_sha.clone(),
        outcome,
        reason: None,
        notes: notes(by, &evidence.head_sha, !gated.is_empty()),
        gated,
        ignored,
        agent: by.agent.clone(),
        pushers: by.pushers.clone(),
        approved_by: permitted.iter().map(|l| l.to_string()).collect(),
        reviewed_by_agent: approvals::agent_review(
            &evidence.reviews,
            &evidence.head_sha,
            by,
            config,
        ),
        siblings: Vec::new(),
    }
}

/// What the summary must say about writers the gate cannot see.
fn notes(by: &Authorship, head_sha: &str, gated: bool) -> Vec<String> {
    let mut out = Vec::new();
    if gated && !by.pusher_known {
        out.push(format!(
            "Who pushed {} is unknown (no `synchronize` run of the gate recorded it), so every category needs at least `gate.humans.min_approvals` approvals from people who are neither the author nor a committer; keep \"require approval of the most recent reviewable push\" on in branch protection.",
            approvals::short(head_sha)
        ));
    }
    if !by.unlinked.is_empty() {
        out.push(format!(
            "{} commit side(s) GitHub does not link to an account: {}. An approver whose name or email matches one does not count.",
            by.unlinked.len(),
            by.unlinked
                .iter()
                .take(10)
                .map(|u| crate::markdown::inline(u, 160))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    out
}

fn permission_name(p: Permission) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The triggers of every category, indexed like `rules.categories`.
pub fn triggers(evidence: &Evidence, rules: &Rules) -> Vec<Vec<Trigger>> {
    let mut out = vec![Vec::new(); rules.categories.len()];
    for file in &evidence.changes.files {
        for name in file.names() {
            for index in rules.path_categories(name) {
                out[index].push(Trigger::File {
                    path: name.to_string(),
                    status: file.status.clone(),
                });
            }
        }
        if let Some(reason) = &file.unreadable {
            for index in rules.line_watchers() {
                out[index].push(Trigger::Unreadable {
                    path: file.filename.clone(),
                    reason: reason.clone(),
                });
            }
        }
        for (sign, line) in file.diff_lines() {
            for index in rules.line_categories(line) {
                out[index].push(Trigger::Line {
                    path: file.filename.clone(),
                    sign,
                    text: line.to_string(),
                });
            }
        }
    }
    dependency_triggers(evidence, rules, &mut out);
    out
}

fn dependency_triggers(evidence: &Evidence, rules: &Rules, out: &mut [Vec<Trigger>]) {
    for (index, category) in rules.categories.iter().enumerate() {
        if !category.new_dependencies {
            continue;
        }
        for manifest in &evidence.manifests {
            if let Some(reason) = &manifest.error {
                out[index].push(Trigger::Unreadable {
                    path: manifest.path.clone(),
                    reason: reason.clone(),
                });
                continue;
            }
            let compare = if manifest.included {
                deps::compare_requirements
            } else {
                deps::compare
            };
            match compare(
                &manifest.path,
                manifest.base.as_deref(),
                manifest.head.as_deref(),
            ) {
                Ok(changes) => out[index].extend(
                    changes
                        .into_iter()
                        .filter(|c| category.version_bumps || !c.is_bump())
                        .map(Trigger::Dependency),
                ),
                Err(reason) => out[index].push(Trigger::Unreadable {
                    path: manifest.path.clone(),
                    reason,
                }),
            }
        }
    }
}
