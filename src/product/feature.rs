//! A feature as the product tools hand it over: its user stories become the starting issues.

use serde::Serialize;

/// A feature waiting to be built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feature {
    /// The tool's id (an Asana gid, a ClickUp task id); checked to be marker-safe.
    pub id: String,
    pub name: String,
    pub description: String,
    pub url: String,
    /// The tool's own name for the feature's priority (`urgent`, `High`, …), when it has one.
    pub priority: Option<String>,
    /// User stories (subtasks or checklist items), each a starting issue.
    pub stories: Vec<Story>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Story {
    pub id: String,
    pub name: String,
}
