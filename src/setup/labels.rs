//! shiprig's own labels: which it wants (names from the config, colours and descriptions from
//! here), and the creates and updates that bring a repository there. It never deletes or
//! renames a label, and never touches one it does not own.

use serde::Serialize;

use crate::config::Config;
use crate::github::{GitHub, Repo, RepoLabel};

/// A label shiprig wants to exist, with its colour (hex, no `#`) and description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct LabelSpec {
    pub(crate) name: String,
    pub(crate) color: String,
    pub(crate) description: String,
}

fn spec(name: &str, color: &str, description: &str) -> LabelSpec {
    LabelSpec {
        name: name.to_string(),
        color: color.to_string(),
        description: description.to_string(),
    }
}

/// Every label shiprig owns under `config`, in a stable order.
pub(crate) fn desired(config: &Config) -> Vec<LabelSpec> {
    let l = &config.labels;
    let mut labels = vec![
        spec(
            &l.approved,
            "0e8a16",
            "Ready to build: the Conductor may assign it",
        ),
        spec(
            &l.blocked,
            "b60205",
            "Has an open blocker (kept true by shiprig)",
        ),
        spec(&l.in_progress, "fbca04", "An agent is working on it"),
        spec(&l.in_review, "1d76db", "Its pull request is open"),
        spec(&l.done, "5319e7", "Shipped to production"),
        spec(&l.critical, "d73a4a", "Taken before everything else"),
        spec(&l.high_priority, "d93f0b", "Taken before normal work"),
        spec(
            &l.agent_failed,
            "e11d21",
            "The agent failed or stalled: a human looks",
        ),
        spec(&l.hold, "c5def5", "A human's hold: shiprig leaves it alone"),
        spec(
            &l.human_gate,
            "d876e3",
            "Needs a human's approval (shiprig gate)",
        ),
    ];
    if !config.conductor.fallback.is_empty() {
        labels.push(spec(
            &l.handed_off,
            "f9d0c4",
            "Its agent failed: the next fallback agent takes it",
        ));
    }
    for category in config.gate.rules.keys() {
        labels.push(spec(
            &format!("{}:{category}", l.human_gate),
            "d4c5f9",
            &format!("The change touches {category}: a human approves it"),
        ));
    }
    for agent in &config.conductor.agents {
        labels.push(spec(
            &format!("{}{}", l.agent_prefix, agent.name),
            "bfdadc",
            &format!("Claimed by shiprig agent {}", agent.name),
        ));
    }
    labels
}

/// One change to a repository's labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub(crate) enum LabelChange {
    Create {
        label: LabelSpec,
    },
    /// Colour or description differ; `name` is the existing label's own spelling.
    Update {
        name: String,
        label: LabelSpec,
    },
}

impl LabelChange {
    pub(crate) fn describe(&self) -> String {
        match self {
            LabelChange::Create { label } => {
                format!("create label `{}` (#{})", label.name, label.color)
            }
            LabelChange::Update { name, label } => format!(
                "update label `{name}`: colour #{}, description {:?}",
                label.color, label.description
            ),
        }
    }
}

/// The changes that give every wanted label its colour and description. Label names are
/// compared as GitHub does, ignoring case; labels not wanted are never in the result.
pub(crate) fn plan(wanted: &[LabelSpec], existing: &[RepoLabel]) -> Vec<LabelChange> {
    wanted
        .iter()
        .filter_map(|label| {
            let found = existing
                .iter()
                .find(|e| e.name.eq_ignore_ascii_case(&label.name));
            match found {
                None => Some(LabelChange::Create {
                    label: label.clone(),
                }),
                Some(e)
                    if !e.color.eq_ignore_ascii_case(&label.color)
                        || e.description.as_deref().unwrap_or("") != label.description =>
                {
                    Some(LabelChange::Update {
                        name: e.name.clone(),
                        label: label.clone(),
                    })
                }
                Some(_) => None,
            }
        })
        .collect()
}

/// What a sync decided and did.
#[derive(Debug, Serialize)]
pub(crate) struct LabelsReport {
    pub(crate) changes: Vec<LabelChange>,
    pub(crate) applied: usize,
}

/// Reads the labels, decides, and (unless `dry_run`) makes each change.
pub(crate) async fn sync(gh: &GitHub, request: &LabelsRequest) -> anyhow::Result<LabelsReport> {
    let changes = read_changes(gh, &request.repo, &request.config).await?;
    apply(gh, &request.repo, changes, request.dry_run).await
}

/// What `shiprig labels sync` asks for: shiprig's labels, named by the config.
#[derive(Debug, Clone)]
pub(crate) struct LabelsRequest {
    pub(crate) repo: Repo,
    pub(crate) config: Config,
    pub(crate) dry_run: bool,
}

/// The label changes `config` asks of the repository (reads only).
pub(crate) async fn read_changes(
    gh: &GitHub,
    repo: &Repo,
    config: &Config,
) -> anyhow::Result<Vec<LabelChange>> {
    let existing = gh.repo_labels(repo).await?;
    Ok(plan(&desired(config), &existing))
}

/// Makes each change (none when `dry_run`).
pub(crate) async fn apply(
    gh: &GitHub,
    repo: &Repo,
    changes: Vec<LabelChange>,
    dry_run: bool,
) -> anyhow::Result<LabelsReport> {
    let mut applied = 0;
    for change in changes.iter().filter(|_| !dry_run) {
        match change {
            LabelChange::Create { label } => {
                let new = RepoLabel {
                    name: label.name.clone(),
                    color: label.color.clone(),
                    description: Some(label.description.clone()),
                };
                gh.create_repo_label(repo, &new).await?;
            }
            LabelChange::Update { name, label } => {
                gh.update_repo_label(repo, name, &label.color, Some(&label.description))
                    .await?;
            }
        }
        applied += 1;
    }
    Ok(LabelsReport { changes, applied })
}

/// Names of wanted labels the repository lacks (what `doctor` reports).
pub(crate) fn missing(wanted: &[LabelSpec], existing: &[RepoLabel]) -> Vec<String> {
    plan(wanted, existing)
        .into_iter()
        .filter_map(|c| match c {
            LabelChange::Create { label } => Some(label.name),
            LabelChange::Update { .. } => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn existing(name: &str, color: &str, description: Option<&str>) -> RepoLabel {
        RepoLabel {
            name: name.into(),
            color: color.into(),
            description: description.map(str::to_string),
        }
    }

    #[test]
    fn wanted_labels_follow_the_config() {
        let config = Config::from_yaml(
            "t.yml",
            "labels: {approved: ready}\ngate: {rules: {auth: {paths: [\"src/auth/**\"]}}}\n\
             conductor: {agents: [{name: a1, login: rig-a1}]}\n",
        )
        .unwrap();
        let names: Vec<String> = desired(&config).into_iter().map(|l| l.name).collect();
        for name in [
            "ready",
            "human-gate",
            "human-gate:auth",
            "agent:a1",
            "on-hold",
            "agent-failed",
        ] {
            assert!(names.contains(&name.to_string()), "{name} in {names:?}");
        }
        assert!(!names.contains(&"approved".to_string()));
    }

    #[test]
    fn sync_creates_and_updates_only_its_own_and_never_renames() {
        let wanted = vec![
            spec("approved", "0e8a16", "ready"),
            spec("blocked", "b60205", "blocker"),
            spec("done", "5319e7", "shipped"),
        ];
        let have = vec![
            existing("Approved", "ffffff", Some("a human's colour")),
            existing("done", "5319E7", Some("shipped")),
            existing("bug", "d73a4a", None),
        ];
        let changes = plan(&wanted, &have);
        assert_eq!(
            changes,
            vec![
                LabelChange::Update {
                    name: "Approved".into(),
                    label: wanted[0].clone()
                },
                LabelChange::Create {
                    label: wanted[1].clone()
                },
            ]
        );
        assert_eq!(missing(&wanted, &have), vec!["blocked".to_string()]);
        assert!(plan(&wanted, &[]).len() == 3);
    }
}
