//! `shiprig init`: decide what happens to each file a phase needs (create, leave, overwrite
//! with `--force`, or refuse with a diff), then write exactly that.

use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;

use super::templates::{self, Wanted};

/// What `init` does with one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub(crate) enum FileAction {
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
    pub(crate) fn path(&self) -> &str {
        match self {
            FileAction::Create { path }
            | FileAction::Unchanged { path }
            | FileAction::Overwrite { path, .. }
            | FileAction::Refuse { path, .. } => path,
        }
    }

    /// Whether this action writes the file.
    pub(crate) fn writes(&self) -> bool {
        matches!(
            self,
            FileAction::Create { .. } | FileAction::Overwrite { .. }
        )
    }
}

/// The decision for every file of `wanted`, given what each path holds now (`None`: missing).
pub(crate) fn plan(
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
pub(crate) fn unified_diff(path: &str, current: &str, wanted: &str) -> String {
    similar::TextDiff::from_lines(current, wanted)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// Writes the files the plan says to write, under `root`.
pub(crate) fn apply(root: &Path, wanted: &[Wanted], actions: &[FileAction]) -> anyhow::Result<()> {
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
pub(crate) fn read_existing(root: &Path, path: &str) -> Option<String> {
    std::fs::read_to_string(root.join(path)).ok()
}

/// The files of `phase` and their plan against `root`. A repository without CI gets a starting
/// one for the language its root shows (`Cargo.toml`, `go.mod`, `package.json`,
/// `pyproject.toml` or `requirements.txt`), which the merge then follows.
pub(crate) fn plan_dir(root: &Path, phase: u8, force: bool) -> (Vec<Wanted>, Vec<FileAction>) {
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

/// One thing left to do after `init` writes a phase's files: a command to run or a setting to
/// make, and a line or two on what it is for and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct NextStep {
    pub(crate) step: String,
    pub(crate) details: Vec<String>,
}

fn step(step: impl Into<String>, details: &[&str]) -> NextStep {
    NextStep {
        step: step.into(),
        details: details.iter().map(|d| d.to_string()).collect(),
    }
}

/// What is left after `init` wrote `phase`'s files into `dir`, in order: CODEOWNERS, the
/// commit, the production branch (phase 2 and up), `bootstrap`, `doctor`, then the GitHub App
/// shiprig acts as, where its id and key go, and the other secrets the phase's workflows read.
pub(crate) fn next_steps(phase: u8, dir: &Path) -> Vec<NextStep> {
    let mut steps = Vec::new();
    if dir != Path::new(".") {
        let dir = dir.display().to_string();
        let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+=:@".contains(c);
        let dir = if dir.chars().all(plain) {
            dir
        } else {
            format!("'{}'", dir.replace('\'', "'\\''"))
        };
        steps.push(step(
            format!("cd {dir}"),
            &["the repository's folder, where the steps below run"],
        ));
    }
    steps.extend([
        step(
            "shiprig codeowners",
            &["writes .github/CODEOWNERS from the gate's rules and .github/CODEOWNERS.template"],
        ),
        step(
            "git add .github && git commit -m \"ci: set up shiprig\" && git push",
            &["the workflows run as the default branch has them"],
        ),
    ]);
    if phase >= 2 {
        steps.push(step(
            "git push origin HEAD:production",
            &["the branch production deploys from: bootstrap protects it but never creates it"],
        ));
    }
    steps.extend([
        step(
            "shiprig bootstrap --repo OWNER/NAME",
            &[
                "shiprig's labels, and branch protection that makes the gate count",
                "needs an admin's token in GITHUB_TOKEN; --dry-run first shows what it would change",
            ],
        ),
        step(
            "shiprig doctor --repo OWNER/NAME",
            &["every gap left in the setup, with its fix; exit 0 when none"],
        ),
        step(
            "create a GitHub App and install it on the repository",
            &[
                "GitHub: Settings > Developer settings > GitHub Apps > New GitHub App",
                "repository permissions: Actions, Checks, Contents, Issues, Pull requests: read and write; Commit statuses: read",
                "what shiprig does as the App starts workflows; the Actions token's merges and pull requests start none",
            ],
        ),
        step(
            "set the App's id as the variable SHIPRIG_APP_ID and a private key of it as the secret SHIPRIG_APP_PRIVATE_KEY",
            &[
                "the repository's Settings > Secrets and variables > Actions",
                "the workflows pass them to shiprig as `app-id` and `app-private-key`",
            ],
        ),
    ]);
    let mut secrets = vec!["SLACK_WEBHOOK_URL"];
    let mut details = vec!["Slack stays quiet without its webhook URL"];
    if phase >= 3 {
        secrets.extend([
            "ANTHROPIC_API_KEY",
            "SHIPRIG_AGENT_TOKEN",
            "SHIPRIG_AGENT_TOKEN_REVIEWER",
        ]);
        details.push("each agent's token is its own account's, without the `workflows` permission");
    }
    if phase >= 4 {
        secrets.push("CLICKUP_TOKEN");
    }
    steps.push(step(
        format!("set the secrets {}", secrets.join(", ")),
        &details,
    ));
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::templates::Wanted;

    fn wanted(path: &str, content: &str) -> Wanted {
        Wanted {
            path: path.into(),
            content: content.into(),
        }
    }

    #[test]
    fn a_user_file_is_never_overwritten_without_force() {
        let files = [wanted("a.yml", "new\n"), wanted("b.yml", "same\n")];
        let existing = |p: &str| match p {
            "a.yml" => Some("mine\n".to_string()),
            "b.yml" => Some("same\n".to_string()),
            _ => None,
        };
        let actions = plan(&files, existing, false);
        let FileAction::Refuse { diff, .. } = &actions[0] else {
            panic!("{actions:?}")
        };
        assert!(diff.contains("-mine") && diff.contains("+new"), "{diff}");
        assert_eq!(
            actions[1],
            FileAction::Unchanged {
                path: "b.yml".into()
            }
        );
        assert!(actions.iter().all(|a| !a.writes()));
        let forced = plan(&files, existing, true);
        assert!(matches!(forced[0], FileAction::Overwrite { .. }));
        assert!(forced[0].writes());
    }

    #[test]
    fn missing_files_are_created() {
        let actions = plan(&[wanted("x/y.yml", "y\n")], |_| None, false);
        assert_eq!(
            actions,
            vec![FileAction::Create {
                path: "x/y.yml".into()
            }]
        );
    }
}
