//! `shiprig bootstrap`: shiprig's labels, and branch protection that makes the gate count
//! (its check required, stale approvals dismissed, the last push approved by someone else,
//! code owners' review required), keeping every other protection setting as it was. With a
//! GitHub App configured the check is required from that App (`checks: [{context, app_id}]`),
//! and every other check keeps its own pin. The checks of the repository's CI (the jobs of its
//! `pull_request` workflows) are required from GitHub Actions. The production branch gets the
//! same protection, and takes no direct push, force push or deletion, admins included.

use serde::Serialize;
use serde_json::Value;

use super::inspect;
use super::labels::{self, LabelsReport};
use super::protection::{self, ProtectionGap};
use super::workflows;
use crate::config::Config;
use crate::github::{BranchProtection, GitHub, Repo};

/// What bootstrap decided and did.
#[derive(Debug, Serialize)]
pub struct BootstrapReport {
    pub(crate) labels: LabelsReport,
    /// The gaps bootstrap closes.
    pub(crate) gaps: Vec<ProtectionGap>,
    /// A gap it cannot close: the gate's check stays required from any source while shiprig
    /// runs without an App to pin it to.
    pub(crate) unpinned: Option<String>,
    /// The protection written (or, dry, that would be), when there were gaps.
    pub(crate) put: Option<Value>,
    /// The CI checks required (the jobs of the repository's `pull_request` workflows).
    pub(crate) ci_checks: Vec<String>,
    /// CI jobs whose check names are only known at run time (matrix, expression, reusable
    /// workflow): not required, a person adds them.
    pub(crate) ci_skipped: Vec<String>,
    /// The production branch's plan; `None` when it is the default branch itself.
    pub(crate) production: Option<ProductionReport>,
}

/// The production branch: protected like the default branch, with no direct pushes.
#[derive(Debug, Serialize)]
pub(crate) struct ProductionReport {
    pub(crate) branch: String,
    /// `false`: the branch does not exist, and bootstrap creates nothing.
    pub(crate) exists: bool,
    pub(crate) gaps: Vec<ProtectionGap>,
    pub(crate) put: Option<Value>,
}

/// What one branch lacks and the PUT that closes it.
struct ProtectionFix {
    gaps: Vec<ProtectionGap>,
    open: Vec<ProtectionGap>,
    put: Option<Value>,
}

fn plan(
    current: Option<&BranchProtection>,
    config: &Config,
    app: Option<u64>,
    ci: &[String],
    production: bool,
) -> ProtectionFix {
    let check = &config.gate.check_name;
    let min = config.gate.humans.min_approvals;
    let mut all = protection::gaps(current, check, min, app);
    all.extend(protection::ci_gaps(current, ci));
    if production {
        all.extend(protection::production_gaps(current));
    }
    let (gaps, open): (Vec<_>, Vec<_>) = all.into_iter().partition(ProtectionGap::closable);
    let put = (!gaps.is_empty()).then(|| {
        let body = protection::body(current, check, min, app);
        protection::with_ci_and_production(body, ci, production)
    });
    ProtectionFix { gaps, open, put }
}

/// What `shiprig bootstrap` asks for: labels, and protection for `branch` (and production).
#[derive(Debug, Clone)]
pub struct BootstrapRequest {
    pub repo: Repo,
    /// The protected branch (the default branch unless named).
    pub branch: String,
    pub config: Config,
    pub dry_run: bool,
}

/// Reads and decides everything first, so a failed read leaves the repository untouched; then
/// (unless `dry_run`) creates the labels and puts the protections.
pub async fn run(gh: &GitHub, request: &BootstrapRequest) -> anyhow::Result<BootstrapReport> {
    let (repo, branch, config, dry_run) = (
        &request.repo,
        request.branch.as_str(),
        &request.config,
        request.dry_run,
    );
    let label_changes = labels::read_changes(gh, repo, config).await?;
    let current = gh.branch_protection(repo, branch).await?;
    let (workflows, _) = inspect::read_workflows(gh, repo).await?;
    let (ci, ci_skipped) = workflows::ci_checks(&workflows, &config.gate.check_name, branch);
    // With an App, the gate posts as it and the check is required from it alone.
    let app = gh.configured_app_id();
    let main = plan(current.as_ref(), config, app, &ci, false);
    let production_branch = &config.release.production_branch;
    let production = if production_branch == branch {
        None
    } else if inspect::branch_exists(gh, repo, production_branch).await? {
        let current = gh.branch_protection(repo, production_branch).await?;
        let check = &config.gate.check_name;
        let (ci, _) = workflows::ci_checks(&workflows, check, production_branch);
        let p = plan(current.as_ref(), config, app, &ci, true);
        Some(ProductionReport {
            branch: production_branch.clone(),
            exists: true,
            gaps: p.gaps,
            put: p.put,
        })
    } else {
        Some(ProductionReport {
            branch: production_branch.clone(),
            exists: false,
            gaps: Vec::new(),
            put: None,
        })
    };
    let unpinned = main.open.first().map(|gap| {
        format!(
            "{}; run shiprig as a GitHub App (SHIPRIG_APP_ID, SHIPRIG_APP_PRIVATE_KEY) and bootstrap again to require it from that App",
            gap.describe(branch)
        )
    });
    let labels = labels::apply(gh, repo, label_changes, dry_run).await?;
    if !dry_run {
        if let Some(body) = &main.put {
            gh.put_branch_protection(repo, branch, body).await?;
        }
        if let Some(ProductionReport {
            branch,
            put: Some(body),
            ..
        }) = &production
        {
            gh.put_branch_protection(repo, branch, body).await?;
        }
    }
    Ok(BootstrapReport {
        labels,
        gaps: main.gaps,
        unpinned,
        put: main.put,
        ci_checks: ci,
        ci_skipped,
        production,
    })
}
