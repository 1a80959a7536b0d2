//! The human gate's rules: which changes need a human, and whose approval counts.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use globset::GlobBuilder;
use regex::{RegexSet, RegexSetBuilder};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::de;
use super::permission::Permission;
use super::values::{Glob, Pattern, REGEX_BUDGET, regex_error};

/// The gate: rules by category, the approvals required, and the check's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GateConfig {
    /// Gated categories by name (`auth`, `payments`, …); each becomes a `human-gate:<name>` label.
    /// All `diff_patterns` together must compile within the regex budget (2 MiB).
    #[serde(deserialize_with = "rules_within_budget")]
    pub rules: BTreeMap<String, GateRule>,
    /// Whose approval counts for every category, and how many approvals each needs.
    pub humans: Humans,
    /// Members of the teams named in `owners` (`org/team` → logins). The gate cannot list a
    /// team's members with the token Actions gives it, so a team owner counts only through
    /// the logins listed here.
    pub teams: BTreeMap<String, Vec<String>>,
    /// The name of the check run the gate posts on a pull request's head commit; make it a
    /// required status check.
    #[serde(deserialize_with = "de::non_empty")]
    pub check_name: String,
    /// Match `paths` case-sensitively. Off by default: on case-insensitive checkouts
    /// `SRC/Auth/x.rs` is `src/auth/x.rs`, so the gate treats them alike.
    pub(crate) case_sensitive: bool,
}

impl Default for GateConfig {
    fn default() -> Self {
        Self {
            rules: BTreeMap::new(),
            humans: Humans::default(),
            teams: BTreeMap::new(),
            check_name: "shiprig/human-gate".into(),
            case_sensitive: false,
        }
    }
}

/// Every category's diff patterns as one set, within [`REGEX_BUDGET`]: what `config validate`
/// checks is what the gate runs, since both build the set here. The last set built is kept
/// by its patterns: reading the config builds it, and the gate's rules then ask for the same
/// set, which a process compiles once (a fifth of a small gate run's instructions).
pub(crate) fn diff_set<'a>(
    patterns: impl IntoIterator<Item = &'a str>,
) -> Result<RegexSet, String> {
    static LAST: Mutex<Option<RegexSet>> = Mutex::new(None);
    let patterns: Vec<&str> = patterns.into_iter().collect();
    let mut last = LAST.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(set) = last
        .as_ref()
        .filter(|set| set.patterns() == patterns.as_slice())
    {
        return Ok(set.clone());
    }
    let set = build_diff_set(&patterns)?;
    *last = Some(set.clone());
    Ok(set)
}

fn build_diff_set(patterns: &[&str]) -> Result<RegexSet, String> {
    RegexSetBuilder::new(patterns)
        .size_limit(REGEX_BUDGET)
        .dfa_size_limit(REGEX_BUDGET)
        .build()
        .map_err(|err| match err {
            regex::Error::CompiledTooBig(_) => format!(
                "the {} diff_patterns together compile to more than the {} MiB budget: use fewer or smaller patterns, or ASCII classes (`(?-u:\\w)`)",
                patterns.len(),
                REGEX_BUDGET / (1024 * 1024)
            ),
            other => regex_error(&patterns.join("|"), &other),
        })
}

/// One path glob of the gate: `*` stays within a folder, case-insensitive unless asked.
pub(crate) fn path_glob(source: &str, case_sensitive: bool) -> Result<globset::Glob, String> {
    GlobBuilder::new(source)
        .literal_separator(true)
        .case_insensitive(!case_sensitive)
        .build()
        .map_err(|err| format!("invalid glob `{source}`: {}", err.kind()))
}

fn rules_within_budget<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, GateRule>, D::Error> {
    use serde::de::Error as _;
    let rules: BTreeMap<String, GateRule> = de::slug_map(d)?;
    let patterns = rules
        .values()
        .flat_map(|r| r.diff_patterns.iter().map(Pattern::as_str));
    diff_set(patterns).map_err(D::Error::custom)?;
    Ok(rules)
}

/// One gated category: what makes a change belong to it, and who may approve it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(from = "GateRuleSpec")]
pub struct GateRule {
    /// Path globs; a changed file under any of them puts the change in this category.
    pub(crate) paths: Vec<Glob>,
    /// Patterns over added and removed diff lines (deletion logic rarely lives in one folder).
    pub(crate) diff_patterns: Vec<Pattern>,
    /// Users (`@login`) or teams (`@org/team`) whose approval counts; empty means anyone
    /// with `gate.humans.min_permission`.
    pub owners: Vec<String>,
    /// Approvals this category needs; `gate.humans.min_approvals` when unset.
    pub(crate) min_approvals: Option<u32>,
    /// A new direct dependency in any manifest puts the change in this category.
    pub new_dependencies: bool,
    /// A version bump of an existing dependency does too.
    pub version_bumps: bool,
}

impl GateRule {
    /// A rule over `paths` with nothing else set, for tests that build a config without YAML.
    #[cfg(test)]
    pub(crate) fn new(paths: Vec<Glob>) -> Self {
        Self::from(GateRuleSpec {
            paths,
            ..GateRuleSpec::default()
        })
    }

    /// Whether a changed file's path falls under this rule, one glob at a time: for checking a
    /// rule on its own. The gate compiles every rule's paths into one set (`gate::rules`), so a
    /// rule keeps no compiled set of its own; building one per rule when the config was read
    /// took a quarter of the instructions of a gate run over 100 rules.
    pub fn matches_path(&self, path: &str) -> bool {
        self.paths
            .iter()
            .any(|glob| glob.glob().compile_matcher().is_match(path))
    }

    /// Whether an added or removed diff line matches one of `diff_patterns`.
    pub fn matches_diff_line(&self, line: &str) -> bool {
        self.diff_patterns.iter().any(|p| p.is_match(line))
    }

    /// Approvals needed, given the gate-wide default.
    pub fn required_approvals(&self, humans: &Humans) -> u32 {
        self.min_approvals.unwrap_or(humans.min_approvals)
    }
}

/// `GateRule` as written. The schema describes
/// the `gate.rules.<name>` keys from this struct, so its field comments are the reference's text.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct GateRuleSpec {
    /// Path globs from the repository root (`src/auth/**`, `**/*.sql`); a pull request that
    /// adds, changes, renames or deletes a file under any of them is in this category.
    paths: Vec<Glob>,
    /// Regular expressions over the pull request's added and removed lines; a line that
    /// matches any of them puts it in this category, wherever the file is.
    diff_patterns: Vec<Pattern>,
    /// Users (`@login`) or teams (`@org/team`, listed in `gate.teams`) whose approval counts
    /// for this category; empty, anyone with `gate.humans.min_permission`.
    #[serde(deserialize_with = "owners")]
    owners: Vec<String>,
    /// Approvals this category needs; unset, `gate.humans.min_approvals`.
    #[serde(deserialize_with = "some_at_least_one")]
    #[schemars(range(min = 1))]
    min_approvals: Option<u32>,
    /// A pull request that adds a dependency in a manifest or lock file the gate reads
    /// (`Cargo.toml`, `package.json`, `go.mod`, …), or moves one to a git, path or URL source,
    /// is in this category.
    new_dependencies: bool,
    /// With `new_dependencies`, a version change of an existing dependency counts too.
    version_bumps: bool,
}

impl From<GateRuleSpec> for GateRule {
    fn from(spec: GateRuleSpec) -> Self {
        Self {
            paths: spec.paths,
            diff_patterns: spec.diff_patterns,
            owners: spec.owners,
            min_approvals: spec.min_approvals,
            new_dependencies: spec.new_dependencies,
            version_bumps: spec.version_bumps,
        }
    }
}

/// Owners are users or teams; the error points at the bad entry.
fn owners<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let owners = Vec::<serde_saphyr::Spanned<String>>::deserialize(d)?;
    if let Some(bad) = owners
        .iter()
        .find(|o| !o.value.starts_with('@') || o.value.len() < 2)
    {
        return Err(de::located(
            bad.referenced,
            format!(
                "invalid owner `{}`: expected a user `@login` or a team `@org/team`",
                bad.value
            ),
        ));
    }
    Ok(owners.into_iter().map(|o| o.value).collect())
}

/// An approval count: 0 would silently switch the gate off, so it is refused.
fn at_least_one<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    use serde::de::Error as _;
    match u32::deserialize(d)? {
        0 => Err(D::Error::custom(
            "min_approvals is 0: expected at least 1 (remove the rule to stop gating)",
        )),
        n => Ok(n),
    }
}

fn some_at_least_one<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    use serde::de::Error as _;
    match Option::<u32>::deserialize(d)? {
        Some(0) => Err(D::Error::custom(
            "min_approvals is 0: expected at least 1 (remove the rule to stop gating)",
        )),
        n => Ok(n),
    }
}

/// Whose approval counts, gate-wide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Humans {
    /// Approvals, from different people, each category needs unless it sets its own
    /// `min_approvals`.
    #[serde(deserialize_with = "at_least_one")]
    #[schemars(range(min = 1))]
    pub min_approvals: u32,
    /// The lowest repository permission of a reviewer whose approval counts, and whose request
    /// for changes sends an agent back.
    pub min_permission: Permission,
}

impl Default for Humans {
    fn default() -> Self {
        Self {
            min_approvals: 1,
            min_permission: Permission::Write,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_validates_is_what_the_gate_compiles() {
        // A pattern that fits the budget alone, repeated until the set does not.
        let pattern = |n: u32| format!("\\w{{{n}}}");
        let (mut fits, mut too_big) = (1, 400);
        while too_big - fits > 1 {
            let mid = (fits + too_big) / 2;
            match diff_set([pattern(mid).as_str()]) {
                Ok(_) => fits = mid,
                Err(_) => too_big = mid,
            }
        }
        let single = pattern(fits);
        let rules: String = (0..60)
            .map(|i| format!("    r{i}: {{diff_patterns: ['{single}']}}\n"))
            .collect();
        let yaml = format!("gate:\n  rules:\n{rules}");
        let err = crate::config::Config::from_yaml("t.yml", &yaml).unwrap_err();
        assert!(err.message.contains("budget"), "{err}");
        assert_eq!((err.line, err.file.as_str()), (3, "t.yml"), "{err}");
        assert!(diff_set(std::iter::repeat_n(single.as_str(), 60)).is_err());
        assert!(diff_set([single.as_str()]).is_ok());
    }

    #[test]
    fn rule_built_in_code_matches_like_one_read_from_yaml() {
        let rule = GateRule::new(vec![Glob::new("src/auth/**").unwrap()]);
        assert!(rule.matches_path("src/auth/login.rs"));
        assert!(!rule.matches_path("src/lib.rs"));
        assert_eq!(rule.required_approvals(&Humans::default()), 1);
    }
}
