//! The gate's rules compiled once: one `GlobSet` over every category's paths plus the
//! always-gated ones, and one `RegexSet` over every diff pattern.

use globset::{GlobSet, GlobSetBuilder};
use regex::RegexSet;

use crate::config::{GateConfig, GateRule, diff_set, path_glob};

/// The category that holds the paths gated whatever the config says.
pub const GATE_CONFIG: &str = "gate-config";

/// Gated in every repository: the gate's own config, the files that decide who reviews and
/// what runs in CI. A PR cannot switch the gate off by editing them.
pub const ALWAYS_GATED: &[&str] = &[
    ".github/shiprig.yml",
    ".github/shiprig.yaml",
    "CODEOWNERS",
    ".github/CODEOWNERS",
    "docs/CODEOWNERS",
    "CODEOWNERS.template",
    ".github/workflows/**",
    ".github/actions/**",
    "action.yml",
    "action.yaml",
    "**/action.yml",
    "**/action.yaml",
];

/// One category as the verdict uses it.
#[derive(Debug, Clone)]
pub struct Category {
    pub name: String,
    /// `@login` or `@org/team`; empty means any human with the minimum permission.
    pub(crate) owners: Vec<String>,
    pub(crate) min_approvals: u32,
    pub(crate) new_dependencies: bool,
    pub(crate) version_bumps: bool,
}

/// Every rule of a config, compiled.
#[derive(Debug, Clone)]
pub struct Rules {
    pub categories: Vec<Category>,
    /// Globs folded to lower case, matched against the lower-cased path: matching in any case
    /// without `(?i)` in every glob, which keeps the set's literal fast paths.
    folded: GlobSet,
    /// Glob index in `folded` → category index.
    folded_owner: Vec<usize>,
    /// Globs matched against the path as written (`gate.case_sensitive: true`).
    exact: GlobSet,
    exact_owner: Vec<usize>,
    diff: RegexSet,
    /// Pattern index in `diff` → category index.
    diff_owner: Vec<usize>,
}

impl Rules {
    /// Compiles a config's gate section. Globs and regexes were checked when the config was
    /// read, so this only fails on a set too large to build.
    pub fn compile(gate: &GateConfig) -> Result<Rules, String> {
        let mut categories = Vec::new();
        let (mut folded, mut folded_owner) = (GlobSetBuilder::new(), Vec::new());
        let (mut exact, mut exact_owner) = (GlobSetBuilder::new(), Vec::new());
        let mut patterns = Vec::new();
        let mut diff_owner = Vec::new();
        for (name, rule) in &gate.rules {
            let index = categories.len();
            categories.push(category(name, rule, gate));
            for glob in &rule.paths {
                if gate.case_sensitive {
                    exact.add(path_glob(glob.as_str(), true)?);
                    exact_owner.push(index);
                } else {
                    folded.add(path_glob(&glob.as_str().to_lowercase(), true)?);
                    folded_owner.push(index);
                }
            }
            for pattern in &rule.diff_patterns {
                patterns.push(pattern.as_str());
                diff_owner.push(index);
            }
        }
        let fixed = match categories.iter().position(|c| c.name == GATE_CONFIG) {
            Some(index) => index,
            None => {
                categories.push(Category {
                    name: GATE_CONFIG.into(),
                    owners: Vec::new(),
                    min_approvals: gate.humans.min_approvals,
                    new_dependencies: false,
                    version_bumps: false,
                });
                categories.len() - 1
            }
        };
        for source in ALWAYS_GATED {
            // The always-gated paths match in any case, whatever the config says.
            folded.add(path_glob(&source.to_lowercase(), true)?);
            folded_owner.push(fixed);
        }
        let diff = diff_set(patterns)?;
        Ok(Rules {
            categories,
            folded: folded.build().map_err(|e| e.to_string())?,
            folded_owner,
            exact: exact.build().map_err(|e| e.to_string())?,
            exact_owner,
            diff,
            diff_owner,
        })
    }

    /// Category indexes whose paths match `path`, ascending, without repeats. `\` counts as a
    /// folder separator, so `src\auth\x.rs` is judged as `src/auth/x.rs`.
    pub fn path_categories(&self, path: &str) -> Vec<usize> {
        let normalized;
        let path = if path.contains('\\') {
            normalized = path.replace('\\', "/");
            normalized.as_str()
        } else {
            path
        };
        let lower = path.to_lowercase();
        let mut hits: Vec<usize> = self
            .folded
            .matches(&lower)
            .into_iter()
            .map(|glob| self.folded_owner[glob])
            .collect();
        if !self.exact_owner.is_empty() {
            let exact = self.exact.matches(path).into_iter();
            hits.extend(exact.map(|glob| self.exact_owner[glob]));
        }
        hits.sort_unstable();
        hits.dedup();
        hits
    }

    /// Category indexes with a diff pattern matching `line`.
    pub(crate) fn line_categories(&self, line: &str) -> Vec<usize> {
        if self.diff_owner.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<usize> = self
            .diff
            .matches(line)
            .into_iter()
            .map(|pattern| self.diff_owner[pattern])
            .collect();
        hits.sort_unstable();
        hits.dedup();
        hits
    }

    /// Whether any category has `diff_patterns` (so lines of every file need reading).
    pub(crate) fn watches_lines(&self) -> bool {
        !self.diff_owner.is_empty()
    }

    /// Category indexes that have `diff_patterns`, ascending, without repeats.
    pub(crate) fn line_watchers(&self) -> Vec<usize> {
        let mut out = self.diff_owner.clone();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether any category looks at new dependencies (so manifests need reading).
    pub(crate) fn watches_dependencies(&self) -> bool {
        self.categories.iter().any(|c| c.new_dependencies)
    }
}

fn category(name: &str, rule: &GateRule, gate: &GateConfig) -> Category {
    Category {
        name: name.to_string(),
        owners: rule.owners.clone(),
        min_approvals: rule.required_approvals(&gate.humans),
        new_dependencies: rule.new_dependencies,
        version_bumps: rule.version_bumps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn rules(yaml: &str) -> Rules {
        Rules::compile(&Config::from_yaml("t.yml", yaml).unwrap().gate).unwrap()
    }

    #[test]
    fn paths_map_to_their_categories_and_fixed_paths_are_always_gated() {
        let r = rules("gate: {rules: {auth: {paths: ['src/auth/**', '**/session*']}}}");
        let names = |p: &str| -> Vec<String> {
            r.path_categories(p)
                .into_iter()
                .map(|i| r.categories[i].name.clone())
                .collect()
        };
        assert_eq!(names("src/auth/login.rs"), ["auth"]);
        assert_eq!(names("lib/session_store.rs"), ["auth"]);
        assert!(names("src/lib.rs").is_empty());
        for fixed in [
            ".github/workflows/ci.yml",
            ".github/shiprig.yml",
            "CODEOWNERS",
            ".github/CODEOWNERS",
            "action.yml",
            "tools/setup/action.yaml",
        ] {
            assert_eq!(names(fixed), [GATE_CONFIG], "{fixed}");
        }
    }

    #[test]
    fn case_16_paths_differing_in_case_or_separator_are_gated() {
        let r = rules("gate: {rules: {auth: {paths: ['src/auth/**']}}}");
        for path in [
            "src/Auth/login.rs",
            "SRC/auth/x.rs",
            "src\\auth\\x.rs",
            ".GitHub/Workflows/ci.yml",
        ] {
            assert!(!r.path_categories(path).is_empty(), "{path}");
        }
        let strict = rules("gate: {case_sensitive: true, rules: {auth: {paths: ['src/auth/**']}}}");
        assert!(strict.path_categories("src/Auth/login.rs").is_empty());
        assert_eq!(strict.path_categories("src\\auth\\x.rs"), [0]);
    }

    #[test]
    fn diff_patterns_map_to_their_categories() {
        let r = rules(r"gate: {rules: {deletion: {diff_patterns: ['(?i)\bDELETE\s+FROM\b']}}}");
        assert_eq!(r.line_categories("  db.exec(\"delete from users\")"), [0]);
        assert!(r.line_categories("select 1").is_empty());
    }
}
