//! The hidden markers that link GitHub objects to what made them, so nothing else is stored:
//! a plan key in each issue body, a product feature in each milestone description.

/// Opens the marker of a plan key in an issue body.
const PLAN_KEY: &str = "<!-- shiprig:plan key=";
/// Opens the marker of a product feature in a milestone description.
const FEATURE: &str = "<!-- shiprig:feature ";
const CLOSE: &str = " -->";

/// The issue body a plan asks for: its text, then the key's marker on its own line.
pub fn issue_body(body: &str, key: &str) -> String {
    let text = body.trim_end();
    if text.is_empty() {
        format!("{PLAN_KEY}{key}{CLOSE}")
    } else {
        format!("{text}\n\n{PLAN_KEY}{key}{CLOSE}")
    }
}

/// The plan keys an issue body carries (a product pull's story key, and the key of a plan
/// that took the issue over).
pub fn plan_keys(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|l| l.trim().strip_prefix(PLAN_KEY)?.strip_suffix(CLOSE))
        .filter(|k| is_id(k))
        .map(str::to_string)
        .collect()
}

/// The marker naming a product tool's feature (`clickup`, `86abc`).
pub fn feature(tool: &str, id: &str) -> String {
    format!("{FEATURE}{tool}:{id}{CLOSE}")
}

/// The `(tool, id)` a milestone description links to, if any.
pub fn feature_of(description: &str) -> Option<(String, String)> {
    description.lines().find_map(|l| {
        let inner = l.trim().strip_prefix(FEATURE)?.strip_suffix(CLOSE)?;
        let (tool, id) = inner.split_once(':')?;
        (is_id(tool) && is_id(id)).then(|| (tool.to_string(), id.to_string()))
    })
}

/// `wanted`, plus any shiprig marker line of `current` it lacks: a plan rewriting a milestone
/// description never cuts the link to its product feature.
pub fn keep_markers(wanted: &str, current: &str) -> String {
    let mut out = wanted.trim_end().to_string();
    for line in current.lines().map(str::trim) {
        if line.starts_with("<!-- shiprig:") && !wanted.contains(line) {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(line);
        }
    }
    out
}

/// Ids that may sit inside a marker: letters, digits, `-`, `_`, `.` (never `-->`).
pub fn is_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 100
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !text.contains("--")
}
