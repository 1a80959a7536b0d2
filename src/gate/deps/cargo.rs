//! Cargo: `Cargo.toml` (every dependency table, targets, workspace, `[patch]`, `[replace]`,
//! workspace members) and `Cargo.lock` (packages), through the `toml` crate.

use toml::{Table, Value};

use super::spec::{Entries, Spec, insert};

const TABLES: &[&str] = &["dependencies", "dev-dependencies", "build-dependencies"];

pub(crate) fn manifest(text: &str) -> Result<Entries, String> {
    let doc: Table = text
        .parse()
        .map_err(|e: toml::de::Error| e.message().to_string())?;
    let mut entries = Entries::new();
    for table in TABLES {
        deps_table(&mut entries, table, doc.get(*table));
        // `dev_dependencies` and `build_dependencies` are accepted spellings too.
        let legacy = table.replace('-', "_");
        deps_table(&mut entries, &legacy, doc.get(&legacy));
    }
    if let Some(Value::Table(targets)) = doc.get("target") {
        for (cfg, target) in targets {
            for table in TABLES {
                let section = format!("target.'{cfg}'.{table}");
                deps_table(&mut entries, &section, target.get(*table));
            }
        }
    }
    if let Some(Value::Table(workspace)) = doc.get("workspace") {
        deps_table(
            &mut entries,
            "workspace.dependencies",
            workspace.get("dependencies"),
        );
        members(&mut entries, workspace.get("members"));
    }
    if let Some(Value::Table(patches)) = doc.get("patch") {
        for (registry, table) in patches {
            deps_table(&mut entries, &format!("patch.'{registry}'"), Some(table));
        }
    }
    deps_table(&mut entries, "replace", doc.get("replace"));
    Ok(entries)
}

fn deps_table(entries: &mut Entries, section: &str, table: Option<&Value>) {
    let Some(Value::Table(table)) = table else {
        return;
    };
    for (name, value) in table {
        let (version, source) = describe(value);
        insert(entries, Spec::new(section, name, &version, &source));
    }
}

/// A dependency value's version and non-registry source (`git`, `path`, `registry`, a renamed
/// `package`).
fn describe(value: &Value) -> (String, String) {
    match value {
        Value::String(version) => (version.clone(), String::new()),
        Value::Table(t) => {
            let text = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or_default();
            let mut source = Vec::new();
            for key in ["git", "branch", "tag", "rev", "path", "registry", "package"] {
                if !text(key).is_empty() {
                    source.push(format!("{key} {}", text(key)));
                }
            }
            if t.get("workspace").and_then(Value::as_bool) == Some(true) {
                source.push("workspace".into());
            }
            (text("version").to_string(), source.join(", "))
        }
        other => (other.to_string(), String::new()),
    }
}

fn members(entries: &mut Entries, members: Option<&Value>) {
    let Some(Value::Array(members)) = members else {
        return;
    };
    for member in members.iter().filter_map(Value::as_str) {
        insert(
            entries,
            Spec::new("workspace.members", member, "", &format!("path {member}")),
        );
    }
}

pub(crate) fn lockfile(text: &str) -> Result<Entries, String> {
    let doc: Table = text
        .parse()
        .map_err(|e: toml::de::Error| e.message().to_string())?;
    let mut entries = Entries::new();
    let packages = doc.get("package").and_then(Value::as_array);
    for package in packages.into_iter().flatten().filter_map(Value::as_table) {
        let text = |k: &str| package.get(k).and_then(Value::as_str).unwrap_or_default();
        let key = (String::from("package"), text("name").to_string());
        let source = text("source");
        // A crate locked at several versions: one entry holding all of them.
        let entry = entries
            .entry(key)
            .or_insert_with(|| Spec::new("package", text("name"), "", ""));
        entry.version = join(&entry.version, text("version"));
        entry.source = join(&entry.source, source.split('#').next().unwrap_or_default());
    }
    Ok(entries)
}

fn join(old: &str, new: &str) -> String {
    let mut parts: Vec<&str> = old.split(", ").filter(|p| !p.is_empty()).collect();
    if !new.is_empty() && !parts.contains(&new) {
        parts.push(new);
    }
    parts.sort_unstable();
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::super::{DependencyChangeKind, compare};

    fn names(base: &str, head: &str) -> Vec<String> {
        compare("Cargo.toml", Some(base), Some(head))
            .unwrap()
            .into_iter()
            .filter(|c| !c.is_bump())
            .map(|c| format!("{} {}", c.section, c.name))
            .collect()
    }

    #[test]
    fn every_table_form_is_read() {
        let head = r#"
[dependencies]
serde = "1"
evil = { git = "https://example.com/evil" }
[dev-dependencies]
local = { path = "../local" }
[target.'cfg(unix)'.dependencies]
nix = "0.29"
[workspace]
members = ["crates/a", "crates/b"]
[workspace.dependencies]
tokio = "1"
[patch.crates-io]
serde = { git = "https://example.com/serde" }
[replace]
"foo:0.1.0" = { path = "foo" }
"#;
        let base = "[dependencies]\nserde = \"1\"\n[workspace]\nmembers = [\"crates/a\"]\n";
        assert_eq!(
            names(base, head),
            [
                "dependencies evil",
                "dev-dependencies local",
                "patch.'crates-io' serde",
                "replace foo:0.1.0",
                "target.'cfg(unix)'.dependencies nix",
                "workspace.dependencies tokio",
                "workspace.members crates/b",
            ]
        );
    }

    #[test]
    fn a_version_bump_is_a_bump_and_a_new_git_source_is_not() {
        let changes = compare(
            "Cargo.toml",
            Some("[dependencies]\na = \"1\"\nb = \"1\""),
            Some("[dependencies]\na = \"2\"\nb = { git = \"https://x\" }"),
        )
        .unwrap();
        assert!(matches!(
            changes[0].change,
            DependencyChangeKind::Bump { .. }
        ));
        assert!(matches!(
            changes[1].change,
            DependencyChangeKind::Source { .. }
        ));
    }

    #[test]
    fn a_new_locked_package_is_new() {
        let base = "version = 4\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n";
        let head = format!(
            "{base}[[package]]\nname = \"b\"\nversion = \"0.1.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        );
        let changes = compare("Cargo.lock", Some(base), Some(&head)).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].name, "b");
    }
}
