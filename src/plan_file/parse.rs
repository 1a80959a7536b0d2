//! Reading a plan file: YAML to a checked [`PlanFile`], or an error with file, line and column.
//!
//! Everything that would make applying it go wrong halfway (a duplicate key, a reference to a
//! key that does not exist, a dependency cycle) is found here, before anything is written.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_saphyr::{Location, Spanned};

use crate::config::ConfigError;

/// How urgent an issue is; mapped to the configured `critical` / `high-priority` labels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Priority {
    Critical,
    High,
    #[default]
    Normal,
}

/// A checked plan: one milestone and its issues, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanFile {
    pub(crate) milestone: String,
    pub(crate) description: Option<String>,
    /// Add `approved` to every issue once its dependencies are in place.
    pub(crate) approve: bool,
    pub(crate) issues: Vec<PlannedIssue>,
    /// Only create missing issues; never edit existing ones (a product pull, whose issues a
    /// plan may since have taken over and rewritten). Never set from a file.
    pub(crate) create_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PlannedIssue {
    /// The plan's name for the issue; the hidden marker in its body carries it.
    pub(crate) key: String,
    pub(crate) title: String,
    pub(crate) body: String,
    pub(crate) labels: Vec<String>,
    pub(crate) priority: Priority,
    /// Keys of the issues that block this one.
    pub(crate) blocked_by: Vec<String>,
    /// An existing issue (a product pull's starting issue) this entry takes over.
    pub(crate) issue: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanSpec {
    milestone: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    approve: bool,
    issues: Vec<IssueSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueSpec {
    key: Spanned<String>,
    title: Spanned<String>,
    #[serde(default)]
    body: String,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    priority: Priority,
    #[serde(default)]
    blocked_by: Vec<Spanned<String>>,
    #[serde(default)]
    issue: Option<Spanned<u64>>,
}

impl PlanFile {
    /// Parses and checks plan text; `source` names it in errors.
    pub fn from_yaml(source: &str, text: &str) -> Result<PlanFile, ConfigError> {
        if text.len() as u64 > crate::bounded::PLAN_LIMIT {
            let message = "the plan is larger than 4 MiB: shiprig reads at most that much";
            return Err(error(source, 0, 0, message));
        }
        if let Some((line, column, message)) = crate::config::explicit_tag(text) {
            return Err(error(source, line, column, message));
        }
        let options = serde_saphyr::options! { with_snippet: false };
        let spec: PlanSpec = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
            let e = e.without_snippet();
            let (line, column) = e.location().map_or((0, 0), position);
            let message = serde_saphyr::DefaultMessageFormatter
                .format_message(e)
                .to_string();
            error(source, line, column, strip_location(&message))
        })?;
        check(&spec).map_err(|(at, message)| {
            let (line, column) = position(at);
            error(source, line, column, message)
        })?;
        Ok(convert(spec))
    }

    /// Reads a plan file from disk. The only I/O in this module.
    pub(crate) fn load(path: &std::path::Path) -> Result<PlanFile, ConfigError> {
        let file = path.display().to_string();
        let text = crate::bounded::read_text(path, crate::bounded::PLAN_LIMIT, "plan")
            .map_err(|e| error(&file, e.line, e.column, e.message))?;
        PlanFile::from_yaml(&file, &text)
    }
}

use serde_saphyr::MessageFormatter as _;

fn position(location: Location) -> (usize, usize) {
    let n = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    (n(location.line()), n(location.column()))
}

/// serde-saphyr may repeat the place in its message; the error carries it once.
fn strip_location(message: &str) -> String {
    let first = message.lines().next().unwrap_or_default();
    match first.rfind(" at line ") {
        Some(i) => first[..i].to_string(),
        None => first.to_string(),
    }
}

fn error(file: &str, line: usize, column: usize, message: impl Into<String>) -> ConfigError {
    ConfigError {
        file: file.to_string(),
        line,
        column,
        message: message.into(),
        snippet: None,
    }
}

type Located = (Location, String);

/// Names, uniqueness, references and cycles; the first problem wins.
fn check(spec: &PlanSpec) -> Result<(), Located> {
    if spec.milestone.value.trim().is_empty() {
        return Err((spec.milestone.referenced, "empty milestone title".into()));
    }
    let mut keys: BTreeMap<&str, Location> = BTreeMap::new();
    let mut adopted: BTreeSet<u64> = BTreeSet::new();
    for issue in &spec.issues {
        let key = &issue.key;
        if !is_key(&key.value) {
            let message = format!(
                "invalid key `{}`: expected lowercase letters, digits, `-` and `_`",
                key.value
            );
            return Err((key.referenced, message));
        }
        if let Some(first) = keys.insert(&key.value, key.referenced) {
            let message = format!(
                "duplicate key `{}` (first used at line {})",
                key.value,
                first.line()
            );
            return Err((key.referenced, message));
        }
        if issue.title.value.trim().is_empty() {
            return Err((issue.title.referenced, "empty issue title".into()));
        }
        if let Some(number) = issue.issue.as_ref().filter(|n| n.value == 0) {
            let message = "issue 0 does not exist: expected an issue number (1 or more)";
            return Err((number.referenced, message.into()));
        }
        if let Some(number) = &issue.issue
            && !adopted.insert(number.value)
        {
            let message = format!("issue #{} is taken over twice", number.value);
            return Err((number.referenced, message));
        }
    }
    for issue in &spec.issues {
        for blocker in &issue.blocked_by {
            if !keys.contains_key(blocker.value.as_str()) {
                let message = format!(
                    "`{}` is blocked by `{}`, which is not a key in this plan",
                    issue.key.value, blocker.value
                );
                return Err((blocker.referenced, message));
            }
        }
    }
    find_cycle(spec)
}

fn is_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A depth-first search in file order, so the cycle reported is always the same one.
fn find_cycle(spec: &PlanSpec) -> Result<(), Located> {
    let index: BTreeMap<&str, usize> = spec
        .issues
        .iter()
        .enumerate()
        .map(|(i, issue)| (issue.key.value.as_str(), i))
        .collect();
    let mut state = vec![0u8; spec.issues.len()];
    let mut path = Vec::new();
    for start in 0..spec.issues.len() {
        visit(spec, &index, start, &mut state, &mut path)?;
    }
    Ok(())
}

fn visit(
    spec: &PlanSpec,
    index: &BTreeMap<&str, usize>,
    node: usize,
    state: &mut [u8],
    path: &mut Vec<usize>,
) -> Result<(), Located> {
    if state[node] == 2 {
        return Ok(());
    }
    state[node] = 1;
    path.push(node);
    for blocker in &spec.issues[node].blocked_by {
        let next = index[blocker.value.as_str()];
        if state[next] == 1 {
            let from = path.iter().position(|n| *n == next).unwrap_or(0);
            let mut names: Vec<&str> = path[from..]
                .iter()
                .map(|n| spec.issues[*n].key.value.as_str())
                .collect();
            names.push(&spec.issues[next].key.value);
            let message = format!("dependency cycle: {}", names.join(" → blocked by "));
            return Err((blocker.referenced, message));
        }
        visit(spec, index, next, state, path)?;
    }
    path.pop();
    state[node] = 2;
    Ok(())
}

fn convert(spec: PlanSpec) -> PlanFile {
    PlanFile {
        milestone: spec.milestone.value,
        description: spec.description,
        approve: spec.approve,
        create_only: false,
        issues: spec
            .issues
            .into_iter()
            .map(|i| PlannedIssue {
                key: i.key.value,
                title: i.title.value,
                body: i.body,
                labels: i.labels,
                priority: i.priority,
                blocked_by: i.blocked_by.into_iter().map(|b| b.value).collect(),
                issue: i.issue.map(|n| n.value),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PlanFile, ConfigError> {
        PlanFile::from_yaml("PLAN.yml", text)
    }

    const GOOD: &str = "milestone: AI Chat Widget
approve: true
issues:
  - {key: api, title: LLM tool API, priority: high}
  - {key: ui, title: Chat UI component, labels: [frontend]}
  - {key: connect, title: Connect UI to API, blocked_by: [api, ui]}
";

    #[test]
    fn a_good_plan_reads_in_file_order() {
        let plan = parse(GOOD).unwrap();
        assert_eq!(plan.milestone, "AI Chat Widget");
        assert!(plan.approve);
        let keys: Vec<&str> = plan.issues.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["api", "ui", "connect"]);
        assert_eq!(plan.issues[0].priority, Priority::High);
        assert_eq!(plan.issues[2].blocked_by, ["api", "ui"]);
    }

    #[test]
    fn a_cycle_is_located_at_the_edge_that_closes_it() {
        let text = "milestone: M
issues:
  - key: a
    title: A
    blocked_by: [b]
  - key: b
    title: B
    blocked_by:
      - a
";
        let err = parse(text).unwrap_err();
        assert_eq!((err.line, err.column), (9, 9), "{err}");
        assert!(
            err.message.contains("a → blocked by b → blocked by a"),
            "{err}"
        );
    }

    #[test]
    fn an_issue_blocking_itself_is_a_cycle() {
        let err =
            parse("milestone: M\nissues:\n  - {key: a, title: A, blocked_by: [a]}\n").unwrap_err();
        assert!(err.message.contains("cycle"), "{err}");
        assert_eq!(err.line, 3);
    }

    #[test]
    fn an_unknown_reference_names_the_key() {
        let err = parse("milestone: M\nissues:\n  - {key: a, title: A, blocked_by: [nope]}\n")
            .unwrap_err();
        assert!(err.message.contains("`nope`"), "{err}");
        assert_eq!(err.line, 3);
    }

    #[test]
    fn a_duplicate_key_points_at_the_second() {
        let err = parse("milestone: M\nissues:\n  - {key: a, title: A}\n  - {key: a, title: B}\n")
            .unwrap_err();
        assert_eq!(err.line, 4, "{err}");
        assert!(err.message.contains("first used at line 3"), "{err}");
    }

    #[test]
    fn unknown_fields_and_bad_keys_are_refused() {
        let err =
            parse("milestone: M\nissues:\n  - {key: a, title: A, blockd_by: []}\n").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        let err = parse("milestone: M\nissues:\n  - {key: 'A b', title: A}\n").unwrap_err();
        assert!(err.message.contains("invalid key"), "{err}");
        let err =
            parse("milestone: M\nissues:\n  - {key: a, title: A, priority: urgent}\n").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
    }

    #[test]
    fn one_issue_cannot_be_taken_over_twice() {
        let err = parse(
            "milestone: M\nissues:\n  - {key: a, title: A, issue: 3}\n  - {key: b, title: B, issue: 3}\n",
        )
        .unwrap_err();
        assert!(err.message.contains("#3"), "{err}");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// A plan of `n` issues where each edge `(i, j)` with `j < i` means `k{i}` is blocked by
    /// `k{j}`: acyclic by construction.
    fn plan_text(n: usize, edges: &[(usize, usize)], back: Option<(usize, usize)>) -> String {
        let mut text = String::from("milestone: M\nissues:\n");
        for i in 0..n {
            let mut blockers: Vec<String> = edges
                .iter()
                .filter(|(from, to)| *from == i && to < from)
                .map(|(_, to)| format!("k{to}"))
                .collect();
            if let Some((from, to)) = back
                && from == i
            {
                blockers.push(format!("k{to}"));
            }
            blockers.dedup();
            text.push_str(&format!(
                "  - {{key: k{i}, title: T{i}, blocked_by: [{}]}}\n",
                blockers.join(", ")
            ));
        }
        text
    }

    proptest! {
        #[test]
        fn acyclic_plans_read_and_a_back_edge_is_always_a_cycle(
            n in 2usize..12,
            raw in proptest::collection::vec((0usize..12, 0usize..12), 0..30),
        ) {
            let edges: Vec<(usize, usize)> = raw.into_iter().filter(|(a, b)| *a < n && *b < n).collect();
            let text = plan_text(n, &edges, None);
            prop_assert!(PlanFile::from_yaml("P", &text).is_ok(), "{}", text);
            // k0 blocked by k{n-1}, plus a chain k{i} blocked by k{i-1}: always a cycle.
            let mut chain = edges.clone();
            chain.extend((1..n).map(|i| (i, i - 1)));
            let text = plan_text(n, &chain, Some((0, n - 1)));
            let err = PlanFile::from_yaml("P", &text).unwrap_err();
            prop_assert!(err.message.contains("dependency cycle"), "{}", err);
        }
    }
}
