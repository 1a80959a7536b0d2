//! New dependencies: each touched manifest is parsed at the base and at the head (real parsers,
//! never patterns over text) and the two dependency lists are compared.

mod cargo;
mod node;
mod other;
mod python;
mod spec;

use serde::Serialize;

pub(crate) use spec::Entries;

/// What changed about one dependency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum DependencyChangeKind {
    /// Not declared at the base.
    New { version: String, source: String },
    /// Declared at the base, now fetched from somewhere else (a git, path or URL source).
    Source { from: String, to: String },
    /// Same place, other version.
    Bump { from: String, to: String },
}

/// A dependency change found in one manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependencyChange {
    pub(crate) manifest: String,
    pub(crate) section: String,
    pub(crate) name: String,
    pub(crate) change: DependencyChangeKind,
}

impl DependencyChange {
    pub(crate) fn is_bump(&self) -> bool {
        matches!(self.change, DependencyChangeKind::Bump { .. })
    }

    /// One line for people: `serde 1 ([dependencies] in Cargo.toml)`.
    pub(crate) fn describe(&self) -> String {
        let what = match &self.change {
            DependencyChangeKind::New { version, source } => {
                let from = if source.is_empty() {
                    String::new()
                } else {
                    format!(" from {source}")
                };
                format!("new `{}` {version}{from}", self.name)
            }
            DependencyChangeKind::Source { from, to } => {
                let from = if from.is_empty() { "registry" } else { from };
                format!("`{}` now from {to} (was {from})", self.name)
            }
            DependencyChangeKind::Bump { from, to } => format!("`{}` {from} → {to}", self.name),
        };
        format!("{what} ({} in {})", self.section, self.manifest)
    }
}

/// Whether a changed path is a manifest or lockfile shiprig reads.
pub(crate) fn is_manifest(path: &str) -> bool {
    parser_for(path).is_some()
}

type Parser = fn(&str) -> Result<Entries, String>;

fn parser_for(path: &str) -> Option<Parser> {
    let mut parts = path.rsplit('/');
    let file = parts.next().unwrap_or(path);
    let folder = parts.next().unwrap_or_default();
    // pip's layouts: `requirements*.txt` anywhere, and every `.txt`/`.in` in a `requirements/`
    // folder (`requirements/base.txt`, `requirements/dev.in`).
    let lower = file.to_ascii_lowercase();
    if folder.eq_ignore_ascii_case("requirements")
        && (lower.ends_with(".txt") || lower.ends_with(".in"))
    {
        return Some(python::requirements);
    }
    if lower.starts_with("requirements") && lower.ends_with(".txt") {
        return Some(python::requirements);
    }
    let parser: Parser = match file {
        "Cargo.toml" => cargo::manifest,
        "Cargo.lock" => cargo::lockfile,
        "package.json" => node::manifest,
        "package-lock.json" | "npm-shrinkwrap.json" => node::package_lock,
        "yarn.lock" => node::yarn_lock,
        "pnpm-lock.yaml" => node::pnpm_lock,
        "pyproject.toml" => python::pyproject,
        "go.mod" => other::go_mod,
        "Gemfile" | "gems.rb" => other::gemfile,
        "Gemfile.lock" | "gems.locked" => other::gemfile_lock,
        "composer.json" => other::composer_json,
        "composer.lock" => other::composer_lock,
        _ => return None,
    };
    Some(parser)
}

/// Whether `path` is a pip requirements file by its name or folder.
pub(crate) fn is_requirements(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    is_manifest(path) && (file.ends_with(".txt") || file.ends_with(".in"))
}

pub(crate) use python::includes;

/// [`compare`] for a file read as pip requirements whatever its name (one that a
/// requirements file includes with `-r` or `-c`).
pub(crate) fn compare_requirements(
    path: &str,
    base: Option<&str>,
    head: Option<&str>,
) -> Result<Vec<DependencyChange>, String> {
    compare_with(path, python::requirements, base, head)
}

/// The dependency changes of one manifest between `base` and `head` text (`None`: the file
/// does not exist on that side). An unreadable head is an error: the caller fails closed.
pub(crate) fn compare(
    path: &str,
    base: Option<&str>,
    head: Option<&str>,
) -> Result<Vec<DependencyChange>, String> {
    let Some(parse) = parser_for(path) else {
        return Ok(Vec::new());
    };
    compare_with(path, parse, base, head)
}

fn compare_with(
    path: &str,
    parse: Parser,
    base: Option<&str>,
    head: Option<&str>,
) -> Result<Vec<DependencyChange>, String> {
    let head = match head {
        Some(text) => parse(text).map_err(|e| format!("cannot parse {path}: {e}"))?,
        None => return Ok(Vec::new()),
    };
    // A base that no longer parses declares nothing shiprig can trust: everything is new.
    let base = base.and_then(|text| parse(text).ok()).unwrap_or_default();
    Ok(diff(path, &base, &head))
}

fn diff(manifest: &str, base: &Entries, head: &Entries) -> Vec<DependencyChange> {
    let mut out = Vec::new();
    for (key, spec) in head {
        let change = match base.get(key) {
            None => DependencyChangeKind::New {
                version: spec.version.clone(),
                source: spec.source.clone(),
            },
            Some(old) if old.source != spec.source => DependencyChangeKind::Source {
                from: old.source.clone(),
                to: spec.source.clone(),
            },
            Some(old) if old.version != spec.version => DependencyChangeKind::Bump {
                from: old.version.clone(),
                to: spec.version.clone(),
            },
            Some(_) => continue,
        };
        out.push(DependencyChange {
            manifest: manifest.to_string(),
            section: spec.section.clone(),
            name: spec.name.clone(),
            change,
        });
    }
    out
}

/// Names of the non-bump changes between two texts of `path` (tests of every parser).
#[cfg(test)]
pub(crate) fn new_names(path: &str, base: &str, head: &str) -> Vec<String> {
    compare(path, Some(base), Some(head))
        .unwrap()
        .into_iter()
        .filter(|c| !c.is_bump())
        .map(|c| c.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_manifests_are_read() {
        for path in [
            "Cargo.toml",
            "crates/x/Cargo.toml",
            "web/package.json",
            "requirements-dev.txt",
            "services/api/requirements.txt",
            "requirements/base.txt",
            "backend/requirements/dev.in",
            "go.mod",
            "Gemfile.lock",
        ] {
            assert!(is_manifest(path), "{path}");
        }
        assert!(!is_manifest("src/Cargo.toml.rs"));
        assert!(!is_manifest("notes.txt"));
    }

    #[test]
    fn an_unparseable_head_is_an_error_and_a_missing_head_is_nothing() {
        assert!(compare("Cargo.toml", None, Some("[dependencies")).is_err());
        assert_eq!(compare("Cargo.toml", Some("x = 1"), None), Ok(vec![]));
    }
}
