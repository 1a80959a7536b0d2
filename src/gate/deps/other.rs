//! Go (`go.mod`), Ruby (`Gemfile`, `Gemfile.lock`) and PHP (`composer.json`, `composer.lock`).

use serde_json::Value;

use super::spec::{Entries, Spec, insert};

/// `go.mod`: `require` and `replace` directives, single-line or in blocks.
pub(crate) fn go_mod(text: &str) -> Result<Entries, String> {
    let mut entries = Entries::new();
    let mut block: Option<String> = None;
    for raw in text.lines() {
        let line = raw.split("//").next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        if line == ")" {
            block = None;
            continue;
        }
        let (verb, rest) = match &block {
            Some(verb) => (verb.clone(), line),
            None => {
                let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
                if rest.trim() == "(" {
                    block = Some(verb.to_string());
                    continue;
                }
                (verb.to_string(), rest.trim())
            }
        };
        match verb.as_str() {
            "require" => {
                let mut parts = rest.split_whitespace().map(|p| p.trim_matches('"'));
                let module = parts.next().ok_or("a require without a module")?;
                let version = parts.next().unwrap_or_default();
                insert(&mut entries, Spec::new("require", module, version, ""));
            }
            "replace" => {
                let (from, to) = rest
                    .split_once("=>")
                    .ok_or_else(|| format!("cannot read the replace {rest:?}"))?;
                insert(
                    &mut entries,
                    Spec::new("replace", from.trim(), "", to.trim()),
                );
            }
            _ => {}
        }
    }
    Ok(entries)
}

/// `Gemfile`: `gem "name", "~> 1", git: "…"` calls and `source "…"` lines.
pub(crate) fn gemfile(text: &str) -> Result<Entries, String> {
    let mut entries = Entries::new();
    for raw in text.lines() {
        let line = raw.trim();
        let (section, args) = if let Some(args) = call_args(line, "gem") {
            ("gem", args)
        } else if let Some(args) = call_args(line, "source") {
            ("source", args)
        } else {
            continue;
        };
        let arguments = split_arguments(args);
        let Some(name) = arguments.first().and_then(|a| unquote(a)) else {
            continue;
        };
        let mut versions = Vec::new();
        let mut sources = Vec::new();
        for argument in &arguments[1..] {
            match unquote(argument) {
                Some(version) => versions.push(version),
                None => {
                    let option = argument.trim_start_matches(':').replace("=>", ":");
                    if ["git", "github", "path", "source", "branch", "ref", "tag"]
                        .iter()
                        .any(|k| option.starts_with(k))
                    {
                        sources.push(option.split_whitespace().collect::<Vec<_>>().join(" "));
                    }
                }
            }
        }
        let source = if section == "source" {
            name
        } else {
            &sources.join(", ")
        };
        insert(
            &mut entries,
            Spec::new(section, name, &versions.join(", "), source),
        );
    }
    Ok(entries)
}

fn call_args<'a>(line: &'a str, method: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(method)?;
    let rest = rest.strip_prefix('(').or_else(|| rest.strip_prefix(' '))?;
    Some(rest.trim_end_matches(')').trim())
}

/// Splits on commas outside quotes.
fn split_arguments(args: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quote: Option<char> = None;
    for c in args.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ',') => {
                out.push(String::new());
                continue;
            }
            (None, '#') => break,
            _ => {}
        }
        out.last_mut().expect("one argument").push(c);
    }
    out.into_iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect()
}

fn unquote(text: &str) -> Option<&str> {
    ['"', '\'']
        .iter()
        .find_map(|q| text.strip_prefix(*q)?.strip_suffix(*q))
}

/// `Gemfile.lock`: the specs of its GEM, GIT and PATH sections (`    name (version)`).
pub(crate) fn gemfile_lock(text: &str) -> Result<Entries, String> {
    let mut entries = Entries::new();
    let (mut section, mut remote) = (String::new(), String::new());
    for line in text.lines() {
        if !line.starts_with(' ') {
            section = line.trim().to_string();
            remote.clear();
            continue;
        }
        if !["GEM", "GIT", "PATH"].contains(&section.as_str()) {
            continue;
        }
        if let Some(r) = line.trim().strip_prefix("remote:") {
            remote = r.trim().to_string();
            continue;
        }
        let is_spec = line.starts_with("    ") && !line.starts_with("     ");
        if let (true, Some((name, version))) = (is_spec, line.trim().split_once(" (")) {
            let source = match section.as_str() {
                "GEM" if remote.starts_with("https://rubygems.org") => String::new(),
                kind => format!("{} {remote}", kind.to_lowercase()),
            };
            let version = version.trim_end_matches(')');
            insert(&mut entries, Spec::new("specs", name, version, &source));
        }
    }
    Ok(entries)
}

/// `composer.json`: `require` and `require-dev`, without the PHP platform entries.
pub(crate) fn composer_json(text: &str) -> Result<Entries, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut entries = Entries::new();
    for section in ["require", "require-dev"] {
        for (name, version) in doc
            .get(section)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if name == "php" || name.starts_with("ext-") {
                continue;
            }
            let version = version.as_str().unwrap_or_default();
            insert(&mut entries, Spec::new(section, name, version, ""));
        }
    }
    for repo in doc
        .get("repositories")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let url = repo.get("url").and_then(Value::as_str).unwrap_or_default();
        insert(&mut entries, Spec::new("repositories", url, "", url));
    }
    Ok(entries)
}

/// `composer.lock`: `packages` and `packages-dev`.
pub(crate) fn composer_lock(text: &str) -> Result<Entries, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut entries = Entries::new();
    for section in ["packages", "packages-dev"] {
        for package in doc
            .get(section)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let text = |k: &str| package.get(k).and_then(Value::as_str).unwrap_or_default();
            insert(
                &mut entries,
                Spec::new(section, text("name"), text("version"), ""),
            );
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::super::new_names as names;

    #[test]
    fn go_mod_requires_and_replaces() {
        let base = "module x\n\ngo 1.22\n\nrequire github.com/a/a v1.0.0\n";
        let head = "module x\n\nrequire (\n\tgithub.com/a/a v1.1.0\n\tgithub.com/b/b v0.1.0 // indirect\n)\nreplace github.com/a/a => ../a\n";
        assert_eq!(
            names("go.mod", base, head),
            ["github.com/a/a", "github.com/b/b"]
        );
    }

    #[test]
    fn gemfile_and_its_lock() {
        let head = "source \"https://rubygems.org\"\ngem \"rails\", \"~> 7.1\"\ngroup :dev do\n  gem 'pry', git: 'https://x/pry'\nend\n";
        assert_eq!(
            names(
                "Gemfile",
                "source \"https://rubygems.org\"\ngem \"rails\", \"~> 7.0\"\n",
                head
            ),
            ["pry"]
        );
        let lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (3.0.0)\n      base64\n    rails (7.1.0)\n\nPLATFORMS\n  ruby\n";
        assert_eq!(
            names("Gemfile.lock", "GEM\n  specs:\n", lock),
            ["rack", "rails"]
        );
    }

    #[test]
    fn composer_manifest_and_lock() {
        let head = r#"{"require": {"php": ">=8.2", "monolog/monolog": "^3"}, "require-dev": {"phpunit/phpunit": "^11"}}"#;
        assert_eq!(
            names("composer.json", "{}", head),
            ["monolog/monolog", "phpunit/phpunit"]
        );
        let lock = r#"{"packages": [{"name": "psr/log", "version": "3.0.0"}]}"#;
        assert_eq!(names("composer.lock", "{}", lock), ["psr/log"]);
    }
}
