//! A feature as the product tools hand it over: its user stories become the starting issues.

use serde::Serialize;

/// A feature waiting to be built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feature {
    /// The tool's id (an Asana gid, a ClickUp task id); checked to be marker-safe.
    pub(crate) id: String,
    pub name: String,
    pub(crate) description: String,
    pub(crate) url: String,
    /// The tool's own name for the feature's priority (`urgent`, `High`, …), when it has one.
    pub(crate) priority: Option<String>,
    /// User stories (subtasks or checklist items), each a starting issue.
    pub(crate) stories: Vec<Story>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Story {
    pub(crate) id: String,
    pub(crate) name: String,
}
