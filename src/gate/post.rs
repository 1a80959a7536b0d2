//! Acting on a verdict: the check run (or a commit status where check runs are refused), the
//! owned labels, and the one sticky comment. Only differences are written.

use super::output;
use super::verdict::{GateVerdict, Outcome};
use crate::config::Config;
use crate::github::{CommitStatus, GitHub, GitHubError, Repo};

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Posted {
    /// `check_run`, `status`, or absent when nothing could be posted.
    pub(crate) check: Option<String>,
    pub(crate) labels_added: Vec<String>,
    pub(crate) labels_removed: Vec<String>,
    /// `created`, `updated` or `unchanged`.
    pub(crate) comment: Option<String>,
}

/// Posts the result on `sha`: a check run, else a commit status of the same name.
pub(crate) async fn result(
    gh: &GitHub,
    repo: &Repo,
    sha: &str,
    verdict: &GateVerdict,
    config: &Config,
    pushers: &[String],
) -> Result<String, String> {
    let name = &config.gate.check_name;
    let record = super::read::record(pushers);
    let conclusion = if verdict.passed() {
        "success"
    } else {
        "failure"
    };
    let title = output::title(verdict);
    let summary = output::summary(verdict, config);
    let check = gh
        .complete_check_run(
            repo,
            name,
            sha,
            conclusion,
            &title,
            &summary,
            record.as_deref(),
        )
        .await;
    match check {
        Ok(()) => return Ok("check_run".into()),
        Err(e) if forbidden(&e) => {
            tracing::info!("check runs refused ({e}); posting a commit status instead");
        }
        Err(e) => return Err(format!("posting the check run failed: {e}")),
    }
    let status = CommitStatus {
        context: name.clone(),
        state: conclusion.into(),
        description: Some(title),
    };
    match gh.create_status(repo, sha, &status).await {
        Ok(()) => Ok("status".into()),
        Err(e) if forbidden(&e) => Err(format!(
            "the token may not post checks or statuses ({e}). A pull_request event from a fork gets a read-only token: run the gate on pull_request_target, which judges with the base branch's config and never runs the fork's code. Nothing was posted, so `{name}` stays missing and a required check blocks the merge."
        )),
        Err(e) => Err(format!("posting the commit status failed: {e}")),
    }
}

fn forbidden(error: &GitHubError) -> bool {
    matches!(error.status(), Some(403 | 404))
}

/// Makes shiprig's labels equal what the verdict says; nobody else's labels are touched.
pub(crate) async fn labels(
    gh: &GitHub,
    repo: &Repo,
    number: u64,
    current: &[String],
    verdict: &GateVerdict,
    config: &Config,
    posted: &mut Posted,
) -> Result<(), GitHubError> {
    let desired = output::labels(verdict, config);
    let (add, remove) = output::label_changes(current, &desired, config);
    if !add.is_empty() {
        gh.add_labels(repo, number, &add).await?;
        posted.labels_added = add;
    }
    for label in remove {
        gh.remove_label(repo, number, &label).await?;
        posted.labels_removed.push(label);
    }
    Ok(())
}

/// Creates or edits the one comment that starts with the marker; none is created for a
/// change the gate has nothing to say about. `uncommented`: the pull request as just read has
/// no comments at all, so the list is not read.
pub(crate) async fn comment(
    gh: &GitHub,
    repo: &Repo,
    number: u64,
    verdict: &GateVerdict,
    config: &Config,
    uncommented: bool,
) -> Result<Option<String>, GitHubError> {
    let body = output::comment(verdict, config);
    // A pull request without comments has no sticky comment to find. Anyone can paste the
    // marker: only the comment shiprig itself wrote is the sticky one.
    let comments = match uncommented {
        true => Vec::new(),
        false => gh.own_comments(repo, number).await?,
    };
    let existing = comments.iter().find(|c| {
        c.body
            .as_deref()
            .is_some_and(|b| b.starts_with(output::MARKER))
    });
    match existing {
        Some(c) if c.body.as_deref() == Some(body.as_str()) => Ok(Some("unchanged".into())),
        Some(c) => {
            gh.update_comment(repo, c.id, &body).await?;
            Ok(Some("updated".into()))
        }
        None if verdict.outcome == Outcome::Pass && verdict.gated.is_empty() => Ok(None),
        None => {
            gh.create_comment(repo, number, &body).await?;
            Ok(Some("created".into()))
        }
    }
}
