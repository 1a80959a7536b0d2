//! The README and `docs/` say what the code does. The configuration reference is generated
//! from the JSON Schema and fails here when it drifts; every YAML example is a config that
//! validates (or says what else it is: ```` ```yaml workflow ````, ```` ```yaml plan ````);
//! every `shiprig …` command line names a command and flags that exist; links between pages
//! resolve to a file and an anchor; every test the security page names exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use regex::Regex;
use serde_json::Value;

use crate::support::reference_doc;
use crate::support::text;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const FIX: &str = "SHIPRIG_UPDATE_DOCS=1 cargo test --test it docs::";

fn shiprig(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shiprig"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .expect("the shiprig binary runs")
}

/// The README and every page under `docs/`, as (path from the root, text).
fn pages() -> Vec<(String, String)> {
    let mut paths = vec![PathBuf::from(ROOT).join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("docs"))
        .expect("docs/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    paths.extend(docs);
    paths
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(ROOT).unwrap().display().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// A fenced code block: where it starts, its info string and its text.
struct Block {
    at: String,
    info: String,
    text: String,
}

fn blocks(name: &str, page: &str) -> Vec<Block> {
    let mut found = Vec::new();
    let mut open: Option<(usize, String, String)> = None;
    for (n, line) in page.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        match (&mut open, fence) {
            (None, true) => {
                let info = line.trim_start().trim_start_matches('`').trim().to_string();
                open = Some((n + 1, info, String::new()));
            }
            (Some(_), true) => {
                let (start, info, text) = open.take().unwrap();
                found.push(Block {
                    at: format!("{name}:{start}"),
                    info,
                    text,
                });
            }
            (Some((_, _, text)), false) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, false) => {}
        }
    }
    assert!(open.is_none(), "{name}: a code block is never closed");
    found
}

/// A page's text outside code blocks (fenced lines blanked, so line numbers hold).
fn prose(page: &str) -> String {
    let mut fenced = false;
    page.lines()
        .map(|line| {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                ""
            } else if fenced {
                ""
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_configuration_reference_is_the_schemas() {
    let out = shiprig(&["config", "schema"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let schema: Value = serde_json::from_slice(&out.stdout).expect("the schema is JSON");
    let generated = reference_doc::render(&schema);
    let path = Path::new(ROOT).join("docs/configuration.md");
    let page = std::fs::read_to_string(&path).unwrap();
    let (Some(begin), Some(end)) = (
        page.find(reference_doc::BEGIN),
        page.find(reference_doc::END),
    ) else {
        panic!(
            "docs/configuration.md lacks the markers `{}` and `{}`",
            reference_doc::BEGIN,
            reference_doc::END
        );
    };
    let start = begin + reference_doc::BEGIN.len();
    let current = &page[start..end];
    if current == generated {
        return;
    }
    if std::env::var_os("SHIPRIG_UPDATE_DOCS").is_some_and(|v| v == "1") {
        let updated = format!("{}{generated}{}", &page[..start], &page[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    let diff = similar::TextDiff::from_lines(current, generated.as_str())
        .unified_diff()
        .context_radius(2)
        .header("docs/configuration.md", "shiprig config schema")
        .to_string();
    panic!(
        "docs/configuration.md's reference is not what the config's JSON Schema says:\n\n{diff}\n\
         Run `{FIX}` to rewrite it from the schema."
    );
}

#[test]
fn every_config_key_says_what_it_does() {
    let faults = reference_doc::description_faults(&shiprig::config::json_schema());
    assert!(
        faults.is_empty(),
        "every config key needs a description for the reference, written for the person who \
         edits .github/shiprig.yml (a doc comment on its field in src/config/; for a \
         `try_from` type, on the field of the struct it is read from):\n{}",
        faults.join("\n")
    );
}

#[test]
fn the_description_check_catches_a_silent_key_and_a_rust_path() {
    let schema = serde_json::json!({
        "properties": {"said": {"description": "Says it.", "$ref": "#/$defs/Inner"}},
        "$defs": {"Inner": {"properties": {
            "silent": {"type": "string"},
            "blank": {"type": "string", "description": "  "},
            "rusty": {"type": "integer", "description": "See [`Check::status`]."},
        }}},
    });
    let mut faults = reference_doc::description_faults(&schema);
    faults.sort();
    assert_eq!(
        faults,
        [
            "#/$defs/Inner/properties/blank: no description",
            "#/$defs/Inner/properties/rusty: names code, not config: See [`Check::status`].",
            "#/$defs/Inner/properties/silent: no description",
        ]
    );
}

#[test]
fn every_yaml_example_is_a_config_that_validates_or_says_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for (name, page) in pages() {
        for block in blocks(&name, &page) {
            let mut words = block.info.split_whitespace();
            if words.next() != Some("yaml") {
                continue;
            }
            checked += 1;
            match words.next() {
                None => {
                    let file = dir.path().join(format!("example-{checked}.yml"));
                    std::fs::write(&file, &block.text).unwrap();
                    let out = shiprig(&["config", "validate", file.to_str().unwrap()]);
                    assert_eq!(
                        out.status.code(),
                        Some(0),
                        "{}: this ```yaml block is not a valid shiprig config (mark another \
                         kind of YAML, e.g. ```yaml workflow):\n{}\n{}",
                        block.at,
                        block.text,
                        text(&out.stderr)
                    );
                }
                Some("plan") => {
                    if let Err(err) =
                        shiprig::plan_file::PlanFile::from_yaml(&block.at, &block.text)
                    {
                        panic!("{}: not a valid plan file: {err}\n{}", block.at, block.text);
                    }
                }
                Some("workflow") => {
                    let parsed: Result<Value, _> = serde_saphyr::from_str(&block.text);
                    assert!(
                        parsed.as_ref().is_ok_and(Value::is_object),
                        "{}: not a YAML mapping: {parsed:?}\n{}",
                        block.at,
                        block.text
                    );
                }
                Some(other) => panic!(
                    "{}: ```yaml {other} is no kind of example this test knows \
                     (none for a config, `plan`, `workflow`)",
                    block.at
                ),
            }
        }
    }
    assert!(checked >= 10, "only {checked} YAML examples were found");
}

/// A command's subcommands and flags, as its `--help` lists them.
#[derive(Default)]
struct Help {
    commands: BTreeSet<String>,
    flags: BTreeSet<String>,
    /// Flags followed by a value (`--phase <PHASE>`).
    valued: BTreeSet<String>,
}

fn help<'a>(path: &[String], cache: &'a mut BTreeMap<Vec<String>, Help>) -> &'a Help {
    cache.entry(path.to_vec()).or_insert_with(|| {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = shiprig(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "`shiprig {}` is no command: {}",
            path.join(" "),
            text(&out.stderr)
        );
        let command = Regex::new(r"^  ([a-z][a-z0-9-]*)(\s|$)").unwrap();
        let flag = Regex::new(r"^\s+(?:-([A-Za-z]), )?--([a-z0-9-]+)( <)?").unwrap();
        let mut found = Help::default();
        let mut section = String::new();
        for line in text(&out.stdout).lines() {
            if !line.starts_with(' ') && line.ends_with(':') {
                section = line.to_string();
            } else if section == "Commands:" {
                if let Some(c) = command.captures(line) {
                    found.commands.insert(c[1].to_string());
                }
            } else if let Some(c) = flag.captures(line) {
                let mut names = vec![format!("--{}", &c[2])];
                names.extend(c.get(1).map(|short| format!("-{}", short.as_str())));
                if c.get(3).is_some() {
                    found.valued.extend(names.iter().cloned());
                }
                found.flags.extend(names);
            }
        }
        found
    })
}

/// The problems with one `shiprig …` line: an unknown command or a flag its command lacks.
fn check_command(line: &str, cache: &mut BTreeMap<Vec<String>, Help>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut positional = false;
    let mut value_next = false;
    for word in line.split_whitespace().skip(1) {
        let word = word.trim_matches(|c| c == '[' || c == ']' || c == ',');
        if word.is_empty() || word == "|" || word == "&" || word == "\\" {
            break;
        }
        if std::mem::take(&mut value_next) {
            continue;
        }
        if let Some(flag) = word.strip_prefix("--") {
            let (flag, inline_value) = match flag.split_once('=') {
                Some((flag, _)) => (format!("--{flag}"), true),
                None => (format!("--{flag}"), false),
            };
            let known = help(&path, cache);
            if !known.flags.contains(&flag) {
                problems.push(format!("`shiprig {}` has no `{flag}`", path.join(" ")));
            }
            value_next = !inline_value && known.valued.contains(&flag);
        } else if let Some(shorts) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
            for short in shorts.chars() {
                let flag = format!("-{short}");
                if !help(&path, cache).flags.contains(&flag) {
                    problems.push(format!("`shiprig {}` has no `{flag}`", path.join(" ")));
                }
            }
        } else if !positional && !help(&path, cache).commands.is_empty() {
            if help(&path, cache).commands.contains(word) {
                path.push(word.to_string());
            } else {
                problems.push(format!(
                    "`shiprig {}` has no command `{word}`",
                    path.join(" ")
                ));
                break;
            }
        } else {
            positional = true;
        }
    }
    problems
}

/// Every `shiprig …` line of a ```sh or ```console block, and every inline `shiprig …`.
fn command_lines(name: &str, page: &str) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    for block in blocks(name, page) {
        let console = block.info == "console";
        if !matches!(block.info.as_str(), "sh" | "console" | "shell" | "bash") {
            continue;
        }
        for line in block.text.lines() {
            let line = line.trim();
            let line = if console {
                match line.strip_prefix("$ ") {
                    Some(rest) => rest,
                    None => continue,
                }
            } else {
                line
            };
            if line.starts_with("shiprig ") {
                let line = line.split(" #").next().unwrap_or(line);
                lines.push((block.at.clone(), line.to_string()));
            }
        }
    }
    let prose = prose(page);
    let inline = Regex::new(r"`(shiprig [^`]+)`").unwrap();
    for found in inline.captures_iter(&prose) {
        let span = found[1].split_whitespace().collect::<Vec<_>>().join(" ");
        // The agent workflow's run name (`shiprig agent <agent> on #<issue>`) is no command.
        if span.starts_with("shiprig agent ") {
            continue;
        }
        let line = prose[..found.get(0).unwrap().start()]
            .lines()
            .count()
            .max(1);
        lines.push((format!("{name}:{line}"), span));
    }
    lines
}

#[test]
fn every_shiprig_command_in_the_docs_exists_with_its_flags() {
    let mut cache = BTreeMap::new();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, page) in pages() {
        for (at, line) in command_lines(&name, &page) {
            checked += 1;
            for problem in check_command(&line, &mut cache) {
                problems.push(format!("{at}: `{line}`: {problem}"));
            }
        }
    }
    assert!(checked >= 40, "only {checked} command lines were found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_command_check_catches_a_wrong_command_or_flag() {
    let mut cache = BTreeMap::new();
    assert!(check_command("shiprig init --phase 2 --force", &mut cache).is_empty());
    assert!(check_command("shiprig conductor explain 5 --repo acme/web", &mut cache).is_empty());
    assert!(check_command("shiprig --config x.yml gate --pr 42", &mut cache).is_empty());
    assert_eq!(check_command("shiprig init --phaze 2", &mut cache).len(), 1);
    assert_eq!(check_command("shiprig conductor tock", &mut cache).len(), 1);
    assert_eq!(check_command("shiprig doctor -q", &mut cache).len(), 1);
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors a page offers: its headings' (numbered when repeated) and explicit `id`s.
fn anchors(page: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let id = Regex::new(r#"<a id="([^"]+)"></a>"#).unwrap();
    for line in prose(page).lines() {
        if let Some(heading) = line.strip_prefix('#') {
            let base = slug(heading.trim_start_matches('#'));
            let n = seen.entry(base.clone()).or_insert(0);
            found.insert(if *n == 0 {
                base.clone()
            } else {
                format!("{base}-{n}")
            });
            *n += 1;
        }
        for c in id.captures_iter(line) {
            found.insert(c[1].to_string());
        }
    }
    found
}

/// A page's links outside code: `[text](target)` and `![alt](target)`.
fn links(page: &str) -> Vec<(usize, String)> {
    let code = Regex::new(r"`[^`]*`").unwrap();
    let link = Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    let mut found = Vec::new();
    for (n, line) in prose(page).lines().enumerate() {
        let line = code.replace_all(line, "");
        for c in link.captures_iter(&line) {
            found.push((n + 1, c[1].to_string()));
        }
    }
    found
}

#[test]
fn links_between_pages_resolve_to_a_file_and_an_anchor() {
    let pages = pages();
    let texts: BTreeMap<PathBuf, &str> = pages
        .iter()
        .map(|(name, text)| (Path::new(ROOT).join(name), text.as_str()))
        .collect();
    let mut broken = Vec::new();
    let mut checked = 0;
    for (name, page) in &pages {
        let here = Path::new(ROOT).join(name);
        for (line, target) in links(page) {
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            checked += 1;
            let (file, anchor) = match target.split_once('#') {
                Some((file, anchor)) => (file, Some(anchor)),
                None => (target.as_str(), None),
            };
            let path = if file.is_empty() {
                here.clone()
            } else {
                here.parent().unwrap().join(file)
            };
            let Ok(path) = path.canonicalize() else {
                broken.push(format!("{name}:{line}: `{target}`: no such file"));
                continue;
            };
            if let Some(anchor) = anchor {
                let offered = texts
                    .iter()
                    .find(|(p, _)| p.canonicalize().is_ok_and(|p| p == path))
                    .map(|(_, text)| anchors(text))
                    .unwrap_or_default();
                if !offered.contains(anchor) {
                    broken.push(format!("{name}:{line}: `{target}`: no anchor `#{anchor}`"));
                }
            }
        }
    }
    assert!(checked >= 30, "only {checked} links were found");
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn anchors_are_githubs() {
    assert_eq!(
        slug(" Why isn't it moving? `shiprig conductor explain ISSUE`"),
        "why-isnt-it-moving-shiprig-conductor-explain-issue"
    );
    assert_eq!(slug("What it costs (measured)"), "what-it-costs-measured");
    let page = "# A\n## Same\n## Same\n```sh\n# not a heading\n```\n<a id=\"case-7\"></a>\n";
    let found: Vec<String> = anchors(page).into_iter().collect();
    assert_eq!(found, ["a", "case-7", "same", "same-1"]);
}

/// Every `fn` in the repository's Rust sources, by name.
fn test_names() -> BTreeSet<String> {
    let name = Regex::new(r"fn ([a-z0-9_]+)\s*[(<]").unwrap();
    let mut found = BTreeSet::new();
    let mut folders = vec![Path::new(ROOT).join("src"), Path::new(ROOT).join("tests")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                found.extend(name.captures_iter(&text).map(|c| c[1].to_string()));
            }
        }
    }
    found
}

#[test]
fn every_security_case_has_an_anchor_and_tests_that_exist() {
    let page = std::fs::read_to_string(Path::new(ROOT).join("docs/security.md")).unwrap();
    let names = test_names();
    let case = Regex::new(r#"<a id="case-(\d+)"></a>"#).unwrap();
    let starts: Vec<(usize, u32)> = case
        .captures_iter(&page)
        .map(|c| (c.get(0).unwrap().start(), c[1].parse().unwrap()))
        .collect();
    let numbers: Vec<u32> = starts.iter().map(|(_, n)| *n).collect();
    assert_eq!(
        numbers,
        (1..=48).collect::<Vec<_>>(),
        "cases in order, none missing"
    );
    let ident = Regex::new(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`").unwrap();
    let mut missing = Vec::new();
    for (i, (start, n)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(page.len(), |(s, _)| *s);
        let section = &page[*start..end];
        let tests = section
            .split("Tests:")
            .nth(1)
            .unwrap_or_else(|| panic!("case {n} names no test"));
        let tests = tests.split("\n\n").next().unwrap();
        let named: Vec<&str> = ident
            .captures_iter(tests)
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        assert!(!named.is_empty(), "case {n} names no test");
        for test in named {
            if !names.contains(test) {
                missing.push(format!("case {n}: no test `{test}` in src/ or tests/"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
