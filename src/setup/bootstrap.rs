//! `shiprig bootstrap`: shiprig's labels, and branch protection that makes the gate count
//! (its check required, stale approvals dismissed, the last push approved by someone else,
//! code owners' review required), keeping every other protection setting as it was. With a
//! GitHub App configured the check is required from that App (`checks: [{context, app_id}]`),
//! and every other check keeps its own pin.

use serde::Serialize;
use serde_json::Value;

use super::labels::{self, LabelsReport};
use super::protection::{self, ProtectionGap};
use crate::config::Config;
use crate::github::{GitHub, Repo};

/// What bootstrap decided and did.
#[derive(Debug, Serialize)]
pub struct BootstrapReport {
    pub labels: LabelsReport,
    /// The gaps bootstrap closes.
    pub gaps: Vec<ProtectionGap>,
    /// A gap it cannot close: the gate's check stays required from any source while shiprig
    /// runs without an App to pin it to.
    pub unpinned: Option<String>,
    /// The protection written (or, dry, that would be), when there were gaps.
    pub put: Option<Value>,
}

/// Reads and decides everything first, so a failed read leaves the repository untouched; then
/// (unless `dry_run`) creates the labels and puts the protection.
pub async fn run(
    gh: &GitHub,
    repo: &Repo,
    branch: &str,
    config: &Config,
    dry_run: bool,
) -> anyhow::Result<BootstrapReport> {
    let label_changes = labels::read_changes(gh, repo, config).await?;
    let current = gh.branch_protection(repo, branch).await?;
    let check = &config.gate.check_name;
    let min = config.gate.humans.min_approvals;
    // With an App, the gate posts as it and the check is required from it alone.
    let app = gh.configured_app_id();
    let (gaps, open): (Vec<_>, Vec<_>) = protection::gaps(current.as_ref(), check, min, app)
        .into_iter()
        .partition(ProtectionGap::closable);
    let unpinned = open.first().map(|gap| {
        format!(
            "{}; run shiprig as a GitHub App (SHIPRIG_APP_ID, SHIPRIG_APP_PRIVATE_KEY) and bootstrap again to require it from that App",
            gap.describe(branch)
        )
    });
    let put = (!gaps.is_empty()).then(|| protection::body(current.as_ref(), check, min, app));
    let labels = labels::apply(gh, repo, label_changes, dry_run).await?;
    if let (Some(body), false) = (&put, dry_run) {
        gh.put_branch_protection(repo, branch, body).await?;
    }
    Ok(BootstrapReport {
        labels,
        gaps,
        unpinned,
        put,
    })
}
