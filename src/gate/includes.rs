//! Files a pip requirements file pulls in with `-r`/`-c` (`-r common.txt`): when one of them
//! changes, its dependencies are judged like the requirements file's own, even when the
//! including file did not change. The includers are looked for in the changed file's folder.

use super::changes::ChangedFile;
use super::deps;
use crate::github::{GitHub, GitHubError, PullRequest, Repo};

/// At most this many changed `.txt`/`.in` files are checked, and this many requirements files
/// read per folder; the reads stay bounded whatever the pull request holds.
const CANDIDATES: usize = 20;
const INCLUDERS: usize = 10;

/// The changed files that a requirements file in their folder includes, at the base or head.
pub(crate) async fn included(
    gh: &GitHub,
    repo: &Repo,
    pull: &PullRequest,
    files: &[ChangedFile],
) -> Result<Vec<String>, GitHubError> {
    let candidates = files.iter().map(|f| f.filename.as_str()).filter(|path| {
        let lower = path.to_ascii_lowercase();
        (lower.ends_with(".txt") || lower.ends_with(".in")) && !deps::is_manifest(path)
    });
    let mut out = Vec::new();
    for path in candidates.take(CANDIDATES) {
        let folder = path.rsplit_once('/').map_or("", |(folder, _)| folder);
        if includes_it(gh, repo, pull, folder, path).await? {
            out.push(path.to_string());
        }
    }
    Ok(out)
}

async fn includes_it(
    gh: &GitHub,
    repo: &Repo,
    pull: &PullRequest,
    folder: &str,
    path: &str,
) -> Result<bool, GitHubError> {
    for sha in [&pull.head.sha, &pull.base.sha] {
        let listed = gh.folder_files(repo, folder, Some(sha)).await?;
        let includers = listed.iter().filter(|p| deps::is_requirements(p));
        for includer in includers.take(INCLUDERS) {
            let Some(text) = gh.file_text(repo, includer, Some(sha)).await? else {
                continue;
            };
            if deps::includes(&text)
                .iter()
                .any(|target| resolve(folder, target).as_deref() == Some(path))
            {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// `target` as written in a file in `folder`, as a repository path (`./`, `..` resolved).
fn resolve(folder: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_targets_resolve_from_the_includers_folder() {
        assert_eq!(resolve("", "common.txt").as_deref(), Some("common.txt"));
        assert_eq!(resolve("py", "./a/../b.txt").as_deref(), Some("py/b.txt"));
        assert_eq!(resolve("", "../x.txt"), None);
    }
}
