//! The branch protection the gate needs: `shiprig/human-gate` required (from shiprig's App
//! when one is configured: anyone with `checks: write` can post a check of any name), stale
//! approvals dismissed, the most recent push approved by someone else, code owners' review
//! required.
//! `gaps` says what a branch lacks; `body` is the PUT that closes them while keeping every
//! other setting (other required checks, push restrictions, admin enforcement) as it was.

use serde::Serialize;
use serde_json::{Value, json};

use crate::github::{ACTIONS_APP_ID, BranchProtection, Enabled, RequiredCheck, RequiredReviews};

/// One thing the branch's protection lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ProtectionGap {
    /// The branch has no protection at all.
    Unprotected,
    /// The gate's check is not a required status check.
    CheckNotRequired {
        check: String,
    },
    /// The gate's check is required from any source (`app`: the App it should be pinned to,
    /// when one is configured): any workflow or App that may write checks can satisfy it.
    CheckFromAnySource {
        check: String,
        app: Option<u64>,
    },
    /// Pull requests need fewer approvals than the gate's humans (or none at all).
    ReviewsNotRequired {
        wanted: u32,
    },
    StaleApprovalsKept,
    LastPushApprovalNotRequired,
    CodeOwnerReviewNotRequired,
    /// A check of the repository's CI (a `pull_request` workflow's job) is not required, or
    /// not from GitHub Actions, which posts it.
    CiCheckNotRequired {
        check: String,
    },
    /// The branch accepts force pushes.
    ForcePushesAllowed,
    /// The branch can be deleted.
    DeletionsAllowed,
    /// Admins may push past the protection.
    AdminsNotEnforced,
}

impl ProtectionGap {
    /// The gap as a person reads it.
    pub(crate) fn describe(&self, branch: &str) -> String {
        match self {
            ProtectionGap::Unprotected => format!("branch `{branch}` is not protected"),
            ProtectionGap::CheckNotRequired { check } => {
                format!("`{check}` is not a required status check on `{branch}`")
            }
            ProtectionGap::CheckFromAnySource { check, .. } => format!(
                "`{check}` is required on `{branch}` from any source: any workflow or App that may write checks (an agent's included) can post a passing `{check}` and satisfy it"
            ),
            ProtectionGap::ReviewsNotRequired { wanted } => {
                format!("`{branch}` does not require {wanted} approving review(s)")
            }
            ProtectionGap::StaleApprovalsKept => {
                format!("`{branch}` keeps approvals after new commits (dismiss stale approvals)")
            }
            ProtectionGap::LastPushApprovalNotRequired => format!(
                "`{branch}` lets the last pusher's own approval count (require approval of the most recent push)"
            ),
            ProtectionGap::CodeOwnerReviewNotRequired => {
                format!("`{branch}` does not require review from code owners")
            }
            ProtectionGap::CiCheckNotRequired { check } => format!(
                "the CI check `{check}` is not required on `{branch}` from GitHub Actions (App {ACTIONS_APP_ID})"
            ),
            ProtectionGap::ForcePushesAllowed => format!("`{branch}` accepts force pushes"),
            ProtectionGap::DeletionsAllowed => format!("`{branch}` can be deleted"),
            ProtectionGap::AdminsNotEnforced => {
                format!("admins can push to `{branch}` past its protection")
            }
        }
    }
}

/// What the branch lacks for the gate; empty when nothing. `app` is shiprig's App, when one
/// is configured: the gate's check must then be required from it.
pub(crate) fn gaps(
    current: Option<&BranchProtection>,
    check: &str,
    min_approvals: u32,
    app: Option<u64>,
) -> Vec<ProtectionGap> {
    let Some(current) = current else {
        return vec![ProtectionGap::Unprotected];
    };
    let mut gaps = Vec::new();
    let checks = current.required_status_checks.clone().unwrap_or_default();
    if !checks.names().iter().any(|c| c == check) {
        gaps.push(ProtectionGap::CheckNotRequired {
            check: check.to_string(),
        });
    } else if !pinned(&checks.checks, check, app) {
        gaps.push(ProtectionGap::CheckFromAnySource {
            check: check.to_string(),
            app,
        });
    }
    let reviews = current.required_pull_request_reviews.as_ref();
    let wanted = min_approvals.max(1);
    if reviews.is_none_or(|r| r.required_approving_review_count < wanted) {
        gaps.push(ProtectionGap::ReviewsNotRequired { wanted });
    }
    let reviews = reviews.cloned().unwrap_or_default();
    if !reviews.dismiss_stale_reviews {
        gaps.push(ProtectionGap::StaleApprovalsKept);
    }
    if !reviews.require_last_push_approval {
        gaps.push(ProtectionGap::LastPushApprovalNotRequired);
    }
    if !reviews.require_code_owner_reviews {
        gaps.push(ProtectionGap::CodeOwnerReviewNotRequired);
    }
    gaps
}

/// Whether `check` is required from one App (`app` when given). GitHub Actions is no such
/// App: every workflow of the repository posts as it.
fn pinned(checks: &[RequiredCheck], check: &str, app: Option<u64>) -> bool {
    checks.iter().any(|c| {
        let id = c.app_id.and_then(|id| u64::try_from(id).ok());
        c.context == check
            && match (id, app) {
                (Some(id), Some(app)) => id == app,
                (Some(id), None) => id != ACTIONS_APP_ID,
                (None, _) => false,
            }
    })
}

impl ProtectionGap {
    /// Whether `bootstrap` can close it: pinning the check needs shiprig's App.
    pub(crate) fn closable(&self) -> bool {
        !matches!(self, ProtectionGap::CheckFromAnySource { app: None, .. })
    }
}

/// The required checks with the gate's: every existing check keeps its App pin, and the gate's
/// is pinned to `app` when one is configured.
fn required_checks(
    checks: &crate::github::RequiredChecks,
    check: &str,
    app: Option<u64>,
) -> Vec<Value> {
    let mut out: Vec<RequiredCheck> = checks.checks.clone();
    for context in &checks.contexts {
        if !out.iter().any(|c| &c.context == context) {
            out.push(RequiredCheck {
                context: context.clone(),
                app_id: None,
            });
        }
    }
    match out.iter_mut().find(|c| c.context == check) {
        Some(gate) => gate.app_id = app.and_then(|a| i64::try_from(a).ok()).or(gate.app_id),
        None => out.push(RequiredCheck {
            context: check.to_string(),
            app_id: app.and_then(|a| i64::try_from(a).ok()),
        }),
    }
    out.iter()
        .map(|c| match c.app_id {
            Some(id) => json!({"context": c.context, "app_id": id}),
            None => json!({"context": c.context}),
        })
        .collect()
}

/// The `PUT /repos/{o}/{r}/branches/{b}/protection` body: the gate's settings on top of
/// everything the branch already had.
pub fn body(
    current: Option<&BranchProtection>,
    check: &str,
    min_approvals: u32,
    app: Option<u64>,
) -> Value {
    let current = current.cloned().unwrap_or_default();
    let checks = current.required_status_checks.clone().unwrap_or_default();
    let required = required_checks(&checks, check, app);
    let reviews: RequiredReviews = current.required_pull_request_reviews.unwrap_or_default();
    let enabled = |e: &Option<Enabled>| e.as_ref().is_some_and(|e| e.enabled);
    let restrictions = current.restrictions.map(|r| {
        json!({
            "users": r.users.into_iter().map(|u| u.login).collect::<Vec<_>>(),
            "teams": r.teams.into_iter().map(|t| t.slug).collect::<Vec<_>>(),
            "apps": r.apps.into_iter().map(|a| a.slug).collect::<Vec<_>>(),
        })
    });
    json!({
        "required_status_checks": {"strict": checks.strict, "checks": required},
        "enforce_admins": enabled(&current.enforce_admins),
        "required_pull_request_reviews": {
            "dismiss_stale_reviews": true,
            "require_code_owner_reviews": true,
            "require_last_push_approval": true,
            "required_approving_review_count": reviews.required_approving_review_count.max(min_approvals).max(1),
        },
        "restrictions": restrictions,
        "required_linear_history": enabled(&current.required_linear_history),
        "allow_force_pushes": enabled(&current.allow_force_pushes),
        "allow_deletions": enabled(&current.allow_deletions),
        "block_creations": enabled(&current.block_creations),
        "required_conversation_resolution": enabled(&current.required_conversation_resolution),
    })
}

/// The CI checks (`ci`: the check names of the repository's `pull_request` workflows) the
/// branch does not require from one App (GitHub Actions, which posts them, or another a
/// person picked). On an unprotected branch, `Unprotected` says it all.
pub(crate) fn ci_gaps(current: Option<&BranchProtection>, ci: &[String]) -> Vec<ProtectionGap> {
    let Some(current) = current else {
        return Vec::new();
    };
    let checks = current.required_status_checks.clone().unwrap_or_default();
    ci.iter()
        .filter(|name| {
            !checks.checks.iter().any(|c| {
                // One pinned to another App was a person's choice, and is kept.
                &c.context == *name && c.app_id.is_some()
            })
        })
        .map(|name| ProtectionGap::CiCheckNotRequired {
            check: name.clone(),
        })
        .collect()
}

/// What the production branch lacks beyond the default branch's needs: it takes no force
/// push, no deletion, and admins go through pull requests too.
pub(crate) fn production_gaps(current: Option<&BranchProtection>) -> Vec<ProtectionGap> {
    let Some(current) = current else {
        return Vec::new();
    };
    let enabled = |e: &Option<Enabled>| e.as_ref().is_some_and(|e| e.enabled);
    let mut gaps = Vec::new();
    if enabled(&current.allow_force_pushes) {
        gaps.push(ProtectionGap::ForcePushesAllowed);
    }
    if enabled(&current.allow_deletions) {
        gaps.push(ProtectionGap::DeletionsAllowed);
    }
    if !enabled(&current.enforce_admins) {
        gaps.push(ProtectionGap::AdminsNotEnforced);
    }
    gaps
}

/// `body` with the CI checks required from GitHub Actions (a check already listed keeps its
/// place; one required from any source is pinned); for the production branch, no force
/// pushes, no deletions, admins included.
pub(crate) fn with_ci_and_production(mut body: Value, ci: &[String], production: bool) -> Value {
    if let Some(list) = body
        .pointer_mut("/required_status_checks/checks")
        .and_then(Value::as_array_mut)
    {
        for name in ci {
            match list.iter_mut().find(|c| c["context"] == name.as_str()) {
                Some(c) if c.get("app_id").is_some() => {}
                Some(c) => c["app_id"] = json!(ACTIONS_APP_ID),
                None => list.push(json!({"context": name, "app_id": ACTIONS_APP_ID})),
            }
        }
    }
    if production {
        body["allow_force_pushes"] = json!(false);
        body["allow_deletions"] = json!(false);
        body["enforce_admins"] = json!(true);
    }
    body
}

#[cfg(test)]
mod tests;
