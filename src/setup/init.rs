//! `shiprig init`: decide what happens to each file a phase needs (create, leave, overwrite
//! with `--force`, or refuse with a diff), then write exactly that.

use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;

use super::templates::{self, Wanted};

/// What `init` does with one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum FileAction {
    /// The file is missing: written.
    Create { path: String },
    /// The file already holds exactly this: nothing to do.
    Unchanged { path: String },
    /// The file differs and `--force` was given: replaced.
    Overwrite { path: String, diff: String },
    /// The file differs and there is no `--force`: left alone; the diff shows what `init`
    /// would write.
    Refuse { path: String, diff: String },
}

impl FileAction {
    pub fn path(&self) -> &str {
        match self {
            FileAction::Create { path }
            | FileAction::Unchanged { path }
            | FileAction::Overwrite { path, .. }
            | FileAction::Refuse { path, .. } => path,
        }
    }

    /// Whether this action writes the file.
    pub fn writes(&self) -> bool {
        matches!(
            self,
            FileAction::Create { .. } | FileAction::Overwrite { .. }
        )
    }
}

/// The decision for every file of `wanted`, given what each path holds now (`None`: missing).
pub fn plan(
    wanted: &[Wanted],
    existing: impl Fn(&str) -> Option<String>,
    force: bool,
) -> Vec<FileAction> {
    wanted
        .iter()
        .map(|file| {
            let path = file.path.clone();
            match existing(&file.path) {
                None => FileAction::Create { path },
                Some(current) if current == file.content => FileAction::Unchanged { path },
                Some(current) => {
                    let diff = unified_diff(&file.path, &current, &file.content);
                    if force {
                        FileAction::Overwrite { path, diff }
                    } else {
                        FileAction::Refuse { path, diff }
                    }
                }
            }
        })
        .collect()
}

/// A unified diff from what is there to what `init` would write.
pub fn unified_diff(path: &str, current: &str, wanted: &str) -> String {
    similar::TextDiff::from_lines(current, wanted)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// Writes the files the plan says to write, under `root`.
pub fn apply(root: &Path, wanted: &[Wanted], actions: &[FileAction]) -> anyhow::Result<()> {
    for (file, action) in wanted.iter().zip(actions) {
        if !action.writes() {
            continue;
        }
        let target = root.join(&file.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, &file.content)
            .with_context(|| format!("writing {}", target.display()))?;
    }
    Ok(())
}

/// What a file under `root` holds now; `None` when it does not exist or is not text.
pub fn read_existing(root: &Path, path: &str) -> Option<String> {
    std::fs::read_to_string(root.join(path)).ok()
}

/// The files of `phase` and their plan against `root`. A repository without CI gets a starting
/// one for the language its root shows (`Cargo.toml`, `go.mod`, `package.json`,
/// `pyproject.toml` or `requirements.txt`), which the merge then follows.
pub fn plan_dir(root: &Path, phase: u8, force: bool) -> (Vec<Wanted>, Vec<FileAction>) {
    let mut ci = templates::ci_workflows(&workflow_files(root));
    let starter = match ci.is_empty() {
        true => templates::starter_ci(|file| root.join(file).is_file()),
        false => None,
    };
    if starter.is_some() {
        ci.push(templates::STARTER_CI_NAME.to_string());
    }
    let mut wanted = templates::files_following(phase, &ci);
    wanted.extend(starter.map(|(_, file)| file));
    let actions = plan(&wanted, |p| read_existing(root, p), force);
    (wanted, actions)
}

/// The workflow files already under `root/.github/workflows` (path, text).
fn workflow_files(root: &Path) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(root.join(".github/workflows")) else {
        return Vec::new();
    };
    let mut files: Vec<(String, String)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            Some((name, std::fs::read_to_string(&p).ok()?))
        })
        .collect();
    files.sort();
    files
}
