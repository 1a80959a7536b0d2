//! npm: `package.json` (all four dependency maps), `package-lock.json`, `yarn.lock` (classic
//! and Berry) and `pnpm-lock.yaml`.

use serde_json::Value;

use super::spec::{Entries, Spec, insert};

const MAPS: &[&str] = &[
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
];

pub(crate) fn manifest(text: &str) -> Result<Entries, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut entries = Entries::new();
    for map in MAPS {
        let Some(deps) = doc.get(*map).and_then(Value::as_object) else {
            continue;
        };
        for (name, spec) in deps {
            let spec = spec.as_str().unwrap_or_default();
            let (version, source) = split_spec(spec);
            insert(&mut entries, Spec::new(map, name, version, source));
        }
    }
    // npm `overrides` and yarn `resolutions` replace what any package in the tree gets.
    for map in ["overrides", "resolutions"] {
        if let Some(forced) = doc.get(map) {
            overrides(&mut entries, map, "", forced);
        }
    }
    Ok(entries)
}

/// Every entry of an `overrides`/`resolutions` map, nested ones as `parent > child`; a nested
/// object's own version is its `.` key.
fn overrides(entries: &mut Entries, map: &str, parent: &str, value: &Value) {
    let Some(forced) = value.as_object() else {
        return;
    };
    for (name, spec) in forced {
        let path = match (parent.is_empty(), name.as_str()) {
            (_, ".") => parent.to_string(),
            (true, _) => name.clone(),
            (false, _) => format!("{parent} > {name}"),
        };
        match spec {
            Value::Object(_) => overrides(entries, map, &path, spec),
            other => {
                let spec = other.as_str().unwrap_or_default();
                let (version, source) = split_spec(spec);
                insert(entries, Spec::new(map, &path, version, source));
            }
        }
    }
}

/// A registry range stays a version; a git, file, link, URL or alias spec is a source.
fn split_spec(spec: &str) -> (&str, &str) {
    let registry = spec.is_empty()
        || spec == "latest"
        || spec
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " ^~<>=*.|-+".contains(c));
    if registry { (spec, "") } else { ("", spec) }
}

pub(crate) fn package_lock(text: &str) -> Result<Entries, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut entries = Entries::new();
    if let Some(packages) = doc.get("packages").and_then(Value::as_object) {
        for (path, package) in packages.iter().filter(|(path, _)| !path.is_empty()) {
            let name = path.rsplit("node_modules/").next().unwrap_or(path);
            locked(&mut entries, name, package);
        }
    } else if let Some(deps) = doc.get("dependencies") {
        v1_dependencies(&mut entries, deps);
    }
    Ok(entries)
}

fn v1_dependencies(entries: &mut Entries, deps: &Value) {
    for (name, package) in deps.as_object().into_iter().flatten() {
        locked(entries, name, package);
        if let Some(nested) = package.get("dependencies") {
            v1_dependencies(entries, nested);
        }
    }
}

fn locked(entries: &mut Entries, name: &str, package: &Value) {
    let text = |k: &str| package.get(k).and_then(Value::as_str).unwrap_or_default();
    let resolved = text("resolved");
    let source = if package.get("link").and_then(Value::as_bool) == Some(true) {
        format!("link {resolved}")
    } else if resolved.starts_with("https://registry.npmjs.org/") || resolved.is_empty() {
        String::new()
    } else {
        resolved.to_string()
    };
    add_version(entries, name, text("version"), &source);
}

/// Lockfiles can hold one package at several versions: one entry lists them all.
fn add_version(entries: &mut Entries, name: &str, version: &str, source: &str) {
    let key = ("packages".to_string(), name.to_string());
    let entry = entries
        .entry(key)
        .or_insert_with(|| Spec::new("packages", name, "", ""));
    for (field, value) in [(&mut entry.version, version), (&mut entry.source, source)] {
        let mut parts: Vec<String> = field
            .split(", ")
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        if !value.is_empty() && !parts.iter().any(|p| p == value) {
            parts.push(value.to_string());
        }
        parts.sort();
        *field = parts.join(", ");
    }
}

/// `yarn.lock`: an unindented header line names the package (`"a@^1", a@^1.2:` or Berry's
/// `"a@npm:^1":`); an indented `version` line follows.
pub(crate) fn yarn_lock(text: &str) -> Result<Entries, String> {
    let mut entries = Entries::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            let header = line
                .strip_suffix(':')
                .ok_or_else(|| format!("unexpected line {line:?}"))?;
            let first = header.split(',').next().unwrap_or_default();
            let first = first.trim().trim_matches('"');
            current = (first != "__metadata").then(|| package_name(first).to_string());
            continue;
        }
        let trimmed = line.trim();
        if let (Some(name), Some(rest)) = (&current, trimmed.strip_prefix("version")) {
            let version = rest.trim_start_matches(':').trim().trim_matches('"');
            add_version(&mut entries, name, version, "");
        }
    }
    Ok(entries)
}

/// `@scope/name@range` → `@scope/name`.
fn package_name(spec: &str) -> &str {
    match spec[1.min(spec.len())..].find('@') {
        Some(at) => &spec[..at + 1],
        None => spec,
    }
}

/// `pnpm-lock.yaml`: the keys of `packages` (`/a/1.0.0`, `/a@1.0.0`, `a@1.0.0(peer@2)`).
pub(crate) fn pnpm_lock(text: &str) -> Result<Entries, String> {
    let doc: Value = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
    let mut entries = Entries::new();
    for key in doc
        .get("packages")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.keys())
    {
        let key = key.trim_start_matches('/');
        let key = key.split('(').next().unwrap_or(key);
        let (name, version) = match key[1.min(key.len())..].rfind('@') {
            Some(at) => (&key[..at + 1], &key[at + 2..]),
            None => key.rsplit_once('/').unwrap_or((key, "")),
        };
        add_version(&mut entries, name, version, "");
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::super::new_names as names;

    #[test]
    fn all_four_maps_of_package_json() {
        let head = r#"{"dependencies": {"a": "^1"}, "devDependencies": {"b": "1"},
            "peerDependencies": {"c": "*"}, "optionalDependencies": {"d": "github:x/d"}}"#;
        assert_eq!(names("package.json", "{}", head), ["a", "b", "d", "c"]);
    }

    #[test]
    fn case_16_npm_overrides_and_yarn_resolutions_swapping_a_package_are_new() {
        let base = r#"{"dependencies": {"lodash": "^4"}, "overrides": {"lodash": "4.17.21"}}"#;
        let head = r#"{"dependencies": {"lodash": "^4"}, "overrides": {"lodash": "npm:evil-lodash@1",
            "react": {"scheduler": "github:x/scheduler"}}, "resolutions": {"**/minimist": "1.2.8"}}"#;
        assert_eq!(
            names("package.json", base, head),
            ["lodash", "react > scheduler", "**/minimist"]
        );
    }

    #[test]
    fn lockfiles_of_npm_yarn_and_pnpm() {
        let lock = r#"{"lockfileVersion": 3, "packages": {"": {}, "node_modules/a": {"version": "1.0.0"},
            "node_modules/a/node_modules/@s/b": {"version": "2.0.0"}}}"#;
        assert_eq!(
            names("package-lock.json", r#"{"packages": {}}"#, lock),
            ["@s/b", "a"]
        );
        let yarn = "# yarn\n\"@s/b@^2\", \"@s/b@^2.1\":\n  version \"2.1.0\"\n\nleft-pad@npm:^1:\n  version: 1.3.0\n";
        assert_eq!(names("yarn.lock", "", yarn), ["@s/b", "left-pad"]);
        let pnpm = "lockfileVersion: '9.0'\npackages:\n  '@s/b@2.0.0':\n    resolution: {integrity: x}\n  /c/1.0.0:\n    resolution: {integrity: y}\n";
        assert_eq!(
            names("pnpm-lock.yaml", "lockfileVersion: '9.0'\n", pnpm),
            ["@s/b", "c"]
        );
    }
}
