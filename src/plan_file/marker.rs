//! The hidden markers that link GitHub objects to what made them, so nothing else is stored:
//! a plan key in each issue body, a product feature in each milestone description.

/// Opens the marker of a plan key in an issue body.
const PLAN_KEY: &str = "<!-- shiprig:plan key=";
/// Opens the marker of a product feature in a milestone description.
const FEATURE: &str = "<!-- shiprig:feature ";
const CLOSE: &str = " -->";

/// The issue body a plan asks for: its text, then the key's marker on its own line.
pub(crate) fn issue_body(body: &str, key: &str) -> String {
    let text = body.trim_end();
    if text.is_empty() {
        format!("{PLAN_KEY}{key}{CLOSE}")
    } else {
        format!("{text}\n\n{PLAN_KEY}{key}{CLOSE}")
    }
}

/// The plan keys an issue body carries (a product pull's story key, and the key of a plan
/// that took the issue over).
pub(crate) fn plan_keys(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|l| l.trim().strip_prefix(PLAN_KEY)?.strip_suffix(CLOSE))
        .filter(|k| is_id(k))
        .map(str::to_string)
        .collect()
}

/// The marker naming a product tool's feature (`clickup`, `86abc`).
pub(crate) fn feature(tool: &str, id: &str) -> String {
    format!("{FEATURE}{tool}:{id}{CLOSE}")
}

/// The `(tool, id)` a milestone description links to, if any.
pub(crate) fn feature_of(description: &str) -> Option<(String, String)> {
    description.lines().find_map(|l| {
        let inner = l.trim().strip_prefix(FEATURE)?.strip_suffix(CLOSE)?;
        let (tool, id) = inner.split_once(':')?;
        (is_id(tool) && is_id(id)).then(|| (tool.to_string(), id.to_string()))
    })
}

/// `wanted`, plus any shiprig marker line of `current` it lacks: a plan rewriting a milestone
/// description never cuts the link to its product feature.
pub(crate) fn keep_markers(wanted: &str, current: &str) -> String {
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
pub(crate) fn is_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 100
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !text.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_keys_round_trip_through_the_body() {
        let body = issue_body("Build it.\n", "api");
        assert_eq!(body, "Build it.\n\n<!-- shiprig:plan key=api -->");
        assert_eq!(plan_keys(&body), ["api"]);
        assert!(plan_keys("no marker").is_empty());
        let both = keep_markers(&issue_body("New text", "send"), &body);
        assert_eq!(plan_keys(&both), ["send", "api"]);
        assert_eq!(issue_body("", "x"), "<!-- shiprig:plan key=x -->");
    }

    #[test]
    fn features_round_trip_and_odd_ids_are_refused() {
        let d = format!("Feature text\n{}", feature("clickup", "86abc"));
        assert_eq!(feature_of(&d), Some(("clickup".into(), "86abc".into())));
        assert_eq!(feature_of("<!-- shiprig:feature clickup:a b -->"), None);
        assert!(!is_id("a-->b"));
    }

    #[test]
    fn a_new_description_keeps_the_feature_link() {
        let current = format!("old\n{}", feature("asana", "12"));
        let kept = keep_markers("new text", &current);
        assert_eq!(kept, format!("new text\n{}", feature("asana", "12")));
        assert_eq!(keep_markers(&kept, &current), kept);
    }
}
