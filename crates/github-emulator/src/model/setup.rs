//! Seeding and reading a repository's setup: its labels (with colours and descriptions) and
//! its branch protection, for tests of `labels sync`, `bootstrap` and `doctor`.

use serde_json::Value;

use super::Model;

/// A repository label as the model holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelView {
    pub name: String,
    pub color: String,
    pub description: Option<String>,
}

impl Model {
    /// Creates (or recolours) a label, as a person would in the web UI.
    pub fn set_label(&mut self, repo: &str, name: &str, color: &str, description: Option<&str>) {
        let ri = self.seed_ri(repo);
        let stored = self.ensure_label(ri, name);
        if let Some(label) = self.repos[ri].labels.iter_mut().find(|l| l.name == stored) {
            label.color = color.to_string();
            label.description = description.map(str::to_string);
        }
    }

    /// Every label of the repository, in creation order.
    pub fn labels(&self, repo: &str) -> Vec<LabelView> {
        let ri = self.seed_ri(repo);
        self.repos[ri]
            .labels
            .iter()
            .map(|l| LabelView {
                name: l.name.clone(),
                color: l.color.clone(),
                description: l.description.clone(),
            })
            .collect()
    }

    /// The protection settings last PUT on `branch`, as sent.
    pub fn protection(&self, repo: &str, branch: &str) -> Option<Value> {
        let ri = self.seed_ri(repo);
        self.repos[ri].protections.get(branch).cloned()
    }

    /// Protects `branch` with these settings, as an admin would.
    pub fn set_protection(&mut self, repo: &str, branch: &str, settings: Value) {
        let ri = self.seed_ri(repo);
        self.repos[ri]
            .protections
            .insert(branch.to_string(), settings);
    }
}
