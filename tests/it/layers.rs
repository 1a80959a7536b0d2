//! Keeps shiprig's rooms apart, read off `src/` with the standard library only:
//!
//! 1. No import circles between files: when two files import each other, the type they share
//!    belongs in a leaf file of its own. A folder's `mod.rs` declaring its child (`mod child;`)
//!    or re-exporting the child's items (`pub use child::Thing;`) does not import the child:
//!    the child using the parent's items is the ordinary shape of a folder, not a circle.
//! 2. Nothing below the command line imports `crate::cli`.
//! 3. A command file (`src/cli/*_cmd.rs`) only translates: it makes no GitHub call, builds no
//!    client (GitHub's, an HTTP client, a notifier's or a product tool's: the context builds
//!    them) and holds no server or cluster code; those live in the feature it calls.
//! 4. No feature imports `crate::context`: each takes the request its command builds.
//!
//! Imports are read from paths (`crate::…`, `super::…`, `self::…`, with `{…}` groups expanded)
//! and from a parent file naming a child module in its code; `#[cfg(test)]` modules and
//! comments are left out. A `pub use` in a parent counts as the child's item, so importing a
//! re-exported name ties a file to the child that defines it, not to the parent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What is wrong with the tree under `src`, one line each; empty when the layers hold.
fn check(src: &Path) -> Vec<String> {
    let sources = read_sources(src);
    let files: BTreeMap<PathBuf, Source> = sources
        .into_iter()
        .map(|(path, text)| {
            let module = module_path(src, &path);
            let code = strip_tests_and_comments(&text);
            (path, Source { module, code })
        })
        .collect();
    let modules: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .filter(|(path, _)| !is_main(path))
        .map(|(path, s)| (s.module.clone(), path.clone()))
        .collect();
    let reexports = reexports(&files, &modules);
    let edges = edges(&files, &modules, &reexports);
    let rel = |path: &Path| {
        path.strip_prefix(src.parent().unwrap_or(src))
            .unwrap_or(path)
            .display()
            .to_string()
    };

    let mut problems = Vec::new();
    for component in circles(&edges) {
        let names: Vec<String> = component.iter().map(|p| rel(p)).collect();
        problems.push(format!("import circle: {}", names.join(", ")));
    }
    let cli = src.join("cli");
    let context = src.join("context.rs");
    for (path, targets) in &edges {
        let below_cli = !path.starts_with(&cli);
        let feature = below_cli && *path != context && !is_main(path) && !is_lib(src, path);
        for target in targets {
            if below_cli && target.starts_with(&cli) {
                problems.push(format!("{} imports the command line", rel(path)));
            }
            if feature && *target == context {
                problems.push(format!(
                    "{} imports crate::context: a feature takes the request its command builds",
                    rel(path)
                ));
            }
        }
    }
    for (path, source) in &files {
        let is_command = path.starts_with(&cli)
            && path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with("_cmd.rs"));
        if is_command {
            for (line, what, text) in command_findings(&source.code) {
                problems.push(format!("{}:{line}: a command {what}: {text}", rel(path)));
            }
        }
    }
    problems
}

struct Source {
    /// `["gate", "tell"]` for `src/gate/tell.rs`, `["gate"]` for `src/gate/mod.rs`.
    module: Vec<String>,
    /// The file without `#[cfg(test)]` modules and comments, its lines kept in place.
    code: String,
}

fn read_sources(src: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut folders = vec![src.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("reading {}: {e}", folder.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
                out.insert(path, text);
            }
        }
    }
    out
}

fn is_main(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "main.rs")
}

fn is_lib(src: &Path, path: &Path) -> bool {
    path == src.join("lib.rs")
}

fn module_path(src: &Path, path: &Path) -> Vec<String> {
    let rel = path.strip_prefix(src).unwrap_or(path).with_extension("");
    let mut module: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if module
        .last()
        .is_some_and(|m| matches!(m.as_str(), "mod" | "lib" | "main"))
    {
        module.pop();
    }
    module
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `mod name {` or `mod name;` with any visibility: the name and whether it is inline.
fn mod_item(line: &str) -> Option<(&str, bool)> {
    let mut rest = line.trim_start();
    if let Some(after) = rest.strip_prefix("pub") {
        rest = after.trim_start();
        if rest.starts_with('(') {
            rest = rest[rest.find(')')? + 1..].trim_start();
        }
    }
    let rest = rest.strip_prefix("mod ")?.trim_start();
    let end = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
    let (name, tail) = rest.split_at(end);
    match tail.trim_start().chars().next() {
        Some('{') if !name.is_empty() => Some((name, true)),
        Some(';') if !name.is_empty() => Some((name, false)),
        _ => None,
    }
}

/// Blanks `#[cfg(test)]` modules (inline or declared) and `//` comments, keeping line numbers.
fn strip_tests_and_comments(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let test_attr = lines[i].trim() == "#[cfg(test)]";
        match (test_attr, lines.get(i + 1).and_then(|l| mod_item(l))) {
            (true, Some((_, true))) => {
                let mut depth = 0i64;
                let mut j = i + 1;
                while j < lines.len() {
                    depth += lines[j].matches('{').count() as i64;
                    depth -= lines[j].matches('}').count() as i64;
                    if depth == 0 && j > i + 1 {
                        break;
                    }
                    j += 1;
                }
                let end = j.min(lines.len() - 1);
                out.extend((i..=end).map(|_| String::new()));
                i = end + 1;
            }
            (true, Some((_, false))) => {
                out.push(String::new());
                out.push(String::new());
                i += 2;
            }
            _ => {
                let line = lines[i];
                out.push(match line.find("//") {
                    Some(at) => line[..at].to_string(),
                    None => line.to_string(),
                });
                i += 1;
            }
        }
    }
    out.join("\n")
}

/// Every path a file names from `crate`, `super` or `self`, `{…}` groups expanded.
fn use_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut at = 0;
    while at < code.len() {
        let Some(found) = ["crate", "super", "self"]
            .iter()
            .filter_map(|head| code[at..].find(head).map(|i| (at + i, *head)))
            .min()
        else {
            break;
        };
        let (start, head) = found;
        let before = code[..start].chars().next_back();
        let after = start + head.len();
        at = after;
        if before.is_some_and(|c| is_word(c) || c == ':') || !code[after..].starts_with("::") {
            continue;
        }
        let (trees, end) = use_tree(code, after);
        at = end;
        for tree in trees {
            let mut path = vec![head.to_string()];
            path.extend(tree);
            if path.len() > 1 {
                paths.push(path);
            }
        }
    }
    paths
}

/// The paths of a use tree starting at `at` (just after its first segment): `::a::b`,
/// `::{a, b::{c, self}}`; returns them (without the first segment) and where the tree ends.
fn use_tree(code: &str, mut at: usize) -> (Vec<Vec<String>>, usize) {
    let mut base: Vec<String> = Vec::new();
    loop {
        let rest = &code[at..];
        let Some(next) = rest.strip_prefix("::") else {
            return (vec![base], at);
        };
        let trimmed = next.trim_start();
        at += 2 + (next.len() - trimmed.len());
        if trimmed.starts_with('{') {
            let (items, end) = group(code, at + 1);
            let paths = items
                .into_iter()
                .map(|item| {
                    let mut path = base.clone();
                    path.extend(item);
                    path
                })
                .collect();
            return (paths, end);
        }
        let len = trimmed.find(|c: char| !is_word(c)).unwrap_or(trimmed.len());
        if len == 0 {
            return (vec![base], at);
        }
        base.push(trimmed[..len].to_string());
        at += len;
    }
}

/// The items of a `{…}` group starting at `at` (just after `{`), nested groups expanded; `self`
/// names the group's base. Returns them and the offset after the closing `}`.
fn group(code: &str, mut at: usize) -> (Vec<Vec<String>>, usize) {
    let mut items = Vec::new();
    loop {
        let rest = &code[at..];
        let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        at += rest.len() - trimmed.len();
        if trimmed.is_empty() {
            return (items, at);
        }
        if trimmed.starts_with('}') {
            return (items, at + 1);
        }
        if trimmed.starts_with('{') {
            let (inner, end) = group(code, at + 1);
            items.extend(inner);
            at = end;
            continue;
        }
        let len = trimmed.find(|c: char| !is_word(c)).unwrap_or(trimmed.len());
        if len == 0 {
            // Not a use tree (`*`, an attribute…): skip one character.
            at += trimmed.chars().next().map_or(1, char::len_utf8);
            continue;
        }
        let first = trimmed[..len].to_string();
        let (trees, end) = use_tree(code, at + len);
        at = end;
        for tree in trees {
            let mut path = if first == "self" {
                Vec::new()
            } else {
                vec![first.clone()]
            };
            path.extend(tree);
            items.push(path);
        }
        // ` as alias`
        let rest = &code[at..];
        let trimmed = rest.trim_start();
        if let Some(alias) = trimmed.strip_prefix("as ") {
            let alias = alias.trim_start();
            let len = alias.find(|c: char| !is_word(c)).unwrap_or(alias.len());
            at += rest.len() - alias.len() + len;
        }
    }
}

/// `pub use child::…;` statements (any visibility, with or without `self::`) of a file whose
/// module declares `child`: their start and end offsets, and the child and the names.
fn child_reexports(
    code: &str,
    children: &BTreeSet<String>,
) -> Vec<(usize, usize, String, Vec<String>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = code[at..].find("pub") {
        let start = at + i;
        at = start + 3;
        if code[..start].chars().next_back().is_some_and(is_word) {
            continue;
        }
        let mut rest = &code[start + 3..];
        if rest.starts_with('(') {
            let Some(close) = rest.find(')') else {
                continue;
            };
            rest = &rest[close + 1..];
        }
        let Some(rest) = rest.trim_start().strip_prefix("use ") else {
            continue;
        };
        let rest = rest.trim_start();
        let rest = rest.strip_prefix("self::").unwrap_or(rest);
        let len = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
        let child = &rest[..len];
        if !children.contains(child) || !rest[len..].starts_with("::") {
            continue;
        }
        let Some(semi) = code[start..].find(';') else {
            continue;
        };
        let end = start + semi + 1;
        let (trees, _) = use_tree(code, code.len() - rest.len() + len);
        let names = trees
            .into_iter()
            .filter_map(|t| t.first().cloned())
            .collect();
        out.push((start, end, child.to_string(), names));
        at = end;
    }
    out
}

fn declared_children(code: &str) -> BTreeSet<String> {
    code.lines()
        .filter_map(mod_item)
        .filter(|(_, inline)| !inline)
        .map(|(name, _)| name.to_string())
        .collect()
}

type Reexports = BTreeMap<(Vec<String>, String), Vec<String>>;

/// A name re-exported by a module file → the child module it comes from.
fn reexports(
    files: &BTreeMap<PathBuf, Source>,
    modules: &BTreeMap<Vec<String>, PathBuf>,
) -> Reexports {
    let mut out = BTreeMap::new();
    for source in files.values() {
        let children = declared_children(&source.code);
        for (_, _, child, names) in child_reexports(&source.code, &children) {
            let mut child_module = source.module.clone();
            child_module.push(child);
            if !modules.contains_key(&child_module) {
                continue;
            }
            for name in names {
                out.insert((source.module.clone(), name), child_module.clone());
            }
        }
    }
    out
}

fn edges(
    files: &BTreeMap<PathBuf, Source>,
    modules: &BTreeMap<Vec<String>, PathBuf>,
    reexports: &Reexports,
) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let resolve = |segments: &[String]| -> Option<&PathBuf> {
        (1..=segments.len()).rev().find_map(|k| {
            let target = &segments[..k];
            let file = modules.get(target)?;
            match segments.get(k) {
                Some(name) => match reexports.get(&(target.to_vec(), name.clone())) {
                    Some(child) => modules.get(child),
                    None => Some(file),
                },
                None => Some(file),
            }
        })
    };
    let mut edges = BTreeMap::new();
    for (path, source) in files {
        let mut targets = BTreeSet::new();
        if is_main(path) {
            edges.insert(path.clone(), targets);
            continue;
        }
        // Declaring a child and re-exporting its items do not import it.
        let children = declared_children(&source.code);
        let mut code = source.code.clone();
        for (start, end, _, _) in child_reexports(&source.code, &children).into_iter().rev() {
            code.replace_range(start..end, &" ".repeat(end - start));
        }
        let code: String = code
            .split('\n')
            .map(|line| match mod_item(line) {
                Some((_, false)) => "",
                _ => line,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let me = &source.module;
        for segments in use_paths(&code) {
            let mut absolute: Vec<String> = match segments[0].as_str() {
                "crate" => Vec::new(),
                "self" => me.clone(),
                _ => me[..me.len().saturating_sub(1)].to_vec(),
            };
            let mut rest = &segments[1..];
            while rest.first().is_some_and(|s| s == "super") {
                absolute.pop();
                rest = &rest[1..];
            }
            absolute.extend(rest.iter().filter(|s| *s != "self").cloned());
            if let Some(target) = resolve(&absolute)
                && target != path
            {
                targets.insert(target.clone());
            }
        }
        for child in &children {
            let mut child_module = me.clone();
            child_module.push(child.clone());
            let Some(target) = modules.get(&child_module) else {
                continue;
            };
            let named = code.match_indices(&format!("{child}::")).any(|(i, _)| {
                !code[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| is_word(c) || c == ':')
            });
            if named {
                targets.insert(target.clone());
            }
        }
        edges.insert(path.clone(), targets);
    }
    edges
}

/// The groups of files that reach each other (more than one file each).
fn circles(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    let reach = |from: &PathBuf| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(node) = todo.pop() {
            for next in edges.get(&node).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&PathBuf, BTreeSet<PathBuf>> =
        edges.keys().map(|p| (p, reach(p))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for (node, from_node) in &reached {
        if done.contains(*node) {
            continue;
        }
        let component: Vec<PathBuf> = from_node
            .iter()
            .filter(|other| reached.get(other).is_some_and(|r| r.contains(*node)))
            .cloned()
            .collect();
        if component.len() > 1 {
            done.extend(component.iter().cloned());
            out.push(component);
        }
    }
    out
}

/// What a command file does that is not translating: `(line, what, the line's text)`.
fn command_findings(code: &str) -> Vec<(usize, &'static str, String)> {
    let mut found: Vec<(usize, &'static str)> = Vec::new();
    let words: [(&str, &str); 13] = [
        ("GitHub::new", "builds a GitHub client"),
        ("GitHub::from_env", "builds a GitHub client"),
        ("ClientOptions::from_env", "builds a GitHub client"),
        ("Slack::bot", "builds a notifier's HTTP client"),
        ("Slack::webhook", "builds a notifier's HTTP client"),
        ("Notifier {", "builds a notifier's HTTP client"),
        (
            "ProductTool::from_config",
            "builds a product tool's HTTP client",
        ),
        ("octocrab::", "uses an HTTP client, server or cluster"),
        ("reqwest::", "uses an HTTP client, server or cluster"),
        ("axum::", "uses an HTTP client, server or cluster"),
        ("kube::", "uses an HTTP client, server or cluster"),
        ("hyper::", "uses an HTTP client, server or cluster"),
        ("tokio::net::", "opens sockets"),
    ];
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    for (word, what) in words {
        for (at, _) in code.match_indices(word) {
            if !code[..at].chars().next_back().is_some_and(is_word) {
                found.push((line_of(at), what));
            }
        }
    }
    // `SomeClient::new(…)`, `Client::builder()`: any client built here.
    for suffix in [
        "Client::new",
        "Client::builder",
        "Client::try_from",
        "Client::default",
    ] {
        for (at, _) in code.match_indices(suffix) {
            found.push((line_of(at), "builds a client"));
        }
    }
    // `vars.github()`: the variables' client, built in the command instead of its context.
    for (at, _) in code.match_indices(".github()") {
        found.push((line_of(at), "builds a GitHub client"));
    }
    // `gh.pulls(`, `ctx.gh\n    .merge(`: a method call on a GitHub client, across lines too.
    for (at, _) in code.match_indices("gh") {
        let word_before = code[..at].chars().next_back().is_some_and(is_word);
        let rest = &code[at + 2..];
        let after_dot = rest.trim_start().strip_prefix('.').map(str::trim_start);
        let call = after_dot.is_some_and(|r| {
            let len = r
                .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                .unwrap_or(r.len());
            len > 0 && r[len..].trim_start().starts_with('(')
        });
        if !word_before && call {
            found.push((line_of(at), "calls GitHub"));
        }
    }
    found.sort();
    found.dedup();
    let lines: Vec<&str> = code.split('\n').collect();
    found
        .into_iter()
        .map(|(line, what)| (line, what, lines[line - 1].trim().to_string()))
        .collect()
}

#[test]
fn shiprigs_layers_hold() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = check(&src);
    assert!(
        problems.is_empty(),
        "the layers are broken:\n{}",
        problems.join("\n")
    );
}

/// A small `src/` in a temporary folder.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    for (path, text) in files {
        let path = src.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn problems_of(files: &[(&str, &str)]) -> Vec<String> {
    let dir = tree(files);
    check(&dir.path().join("src"))
}

const LIB: &str = "pub mod a;\npub mod b;\npub mod cli;\npub mod context;\n";
const CLI: &str = "mod run_cmd;\n";
const CONTEXT: &str = "pub struct Vars;\n";

#[test]
fn a_good_tree_passes() {
    let problems = problems_of(&[
        ("lib.rs", LIB),
        ("a.rs", "pub struct A;\n"),
        ("b.rs", "use crate::a::A;\npub fn b(_: A) {}\n"),
        ("cli/mod.rs", CLI),
        (
            "cli/run_cmd.rs",
            "use crate::context::Vars;\npub fn run(_: &Vars) { crate::b::b(crate::a::A) }\n",
        ),
        ("context.rs", CONTEXT),
    ]);
    assert_eq!(problems, Vec::<String>::new());
}

#[test]
fn two_files_importing_each_other_are_a_circle() {
    let problems = problems_of(&[
        ("lib.rs", LIB),
        ("a.rs", "use crate::b::B;\npub struct A(Option<Box<B>>);\n"),
        ("b.rs", "use crate::a::A;\npub struct B(A);\n"),
        ("cli/mod.rs", CLI),
        ("cli/run_cmd.rs", "pub fn run() {}\n"),
        ("context.rs", CONTEXT),
    ]);
    assert_eq!(problems, ["import circle: src/a.rs, src/b.rs"]);
}

#[test]
fn a_circle_through_a_group_and_super_is_found() {
    let problems = problems_of(&[
        ("lib.rs", "pub mod a;\npub mod cli;\n"),
        ("a/mod.rs", "mod x;\nmod y;\npub struct Top;\n"),
        (
            "a/x.rs",
            "use super::{y::{self, Y}, Top};\npub struct X(Y, Top);\n",
        ),
        (
            "a/y.rs",
            "pub struct Y;\npub fn f() -> super::x::X { todo!() }\n",
        ),
        ("cli/mod.rs", "\n"),
    ]);
    assert_eq!(problems, ["import circle: src/a/x.rs, src/a/y.rs"]);
}

#[test]
fn a_folder_and_its_child_are_not_a_circle() {
    // The parent declares and re-exports the child; the child uses the parent's type.
    let problems = problems_of(&[
        ("lib.rs", "pub mod a;\npub mod cli;\n"),
        (
            "a/mod.rs",
            "mod child;\npub use child::{Thing, make};\npub use self::child::Other;\npub struct Parent;\n",
        ),
        (
            "a/child.rs",
            "use super::Parent;\npub struct Thing(Parent);\npub struct Other;\npub fn make() {}\n",
        ),
        ("cli/mod.rs", "\n"),
    ]);
    assert_eq!(problems, Vec::<String>::new());
    // The parent calling into the child as well makes it one.
    let problems = problems_of(&[
        ("lib.rs", "pub mod a;\npub mod cli;\n"),
        (
            "a/mod.rs",
            "mod child;\npub use child::Thing;\npub struct Parent;\npub fn go() { child::make() }\n",
        ),
        (
            "a/child.rs",
            "use super::Parent;\npub struct Thing(Parent);\npub fn make() {}\n",
        ),
        ("cli/mod.rs", "\n"),
    ]);
    assert_eq!(problems, ["import circle: src/a/child.rs, src/a/mod.rs"]);
}

#[test]
fn a_feature_importing_the_command_line_is_found() {
    let problems = problems_of(&[
        ("lib.rs", LIB),
        ("a.rs", "pub fn a() { crate::cli::helper() }\n"),
        ("b.rs", "\n"),
        ("cli/mod.rs", "mod run_cmd;\npub fn helper() {}\n"),
        ("cli/run_cmd.rs", "pub fn run() {}\n"),
        ("context.rs", CONTEXT),
    ]);
    assert_eq!(problems, ["src/a.rs imports the command line"]);
}

#[test]
fn a_command_calling_github_or_building_a_client_is_found() {
    let command = "\
use crate::context::Vars;
pub async fn run(vars: &Vars) {
    let gh = vars.github().unwrap();
    let other = GitHub::new(options);
    let pulls = ctx
        .gh
        .pulls_for_commit(&repo, sha)
        .await;
    let http = reqwest::Client::new();
    let mine = SlackClient::new();
    let slack = Slack::webhook(url);
    // gh.pull(1) in a comment is fine
    let ok = feature::run(&gh, &request).await;
}
";
    let problems = problems_of(&[
        ("lib.rs", LIB),
        ("a.rs", "\n"),
        ("b.rs", "\n"),
        ("cli/mod.rs", CLI),
        ("cli/run_cmd.rs", command),
        ("context.rs", CONTEXT),
    ]);
    assert_eq!(
        problems,
        [
            "src/cli/run_cmd.rs:3: a command builds a GitHub client: let gh = vars.github().unwrap();",
            "src/cli/run_cmd.rs:4: a command builds a GitHub client: let other = GitHub::new(options);",
            "src/cli/run_cmd.rs:6: a command calls GitHub: .gh",
            "src/cli/run_cmd.rs:9: a command builds a client: let http = reqwest::Client::new();",
            "src/cli/run_cmd.rs:9: a command uses an HTTP client, server or cluster: let http = reqwest::Client::new();",
            "src/cli/run_cmd.rs:10: a command builds a client: let mine = SlackClient::new();",
            "src/cli/run_cmd.rs:11: a command builds a notifier's HTTP client: let slack = Slack::webhook(url);",
        ]
    );
}

#[test]
fn a_feature_importing_the_context_is_found() {
    let problems = problems_of(&[
        ("lib.rs", LIB),
        (
            "a.rs",
            "use crate::context::{self, Vars};\npub fn a(_: &Vars) {}\n",
        ),
        ("b.rs", "pub use crate::context::Vars;\n"),
        ("cli/mod.rs", CLI),
        (
            "cli/run_cmd.rs",
            "use crate::context::Vars;\npub fn run(_: &Vars) {}\n",
        ),
        ("context.rs", CONTEXT),
    ]);
    assert_eq!(
        problems,
        [
            "src/a.rs imports crate::context: a feature takes the request its command builds",
            "src/b.rs imports crate::context: a feature takes the request its command builds",
        ]
    );
}

#[test]
fn test_modules_and_comments_are_left_out() {
    let problems = problems_of(&[
        ("lib.rs", LIB),
        (
            "a.rs",
            "// crate::context::Vars is read by the command\n#[cfg(test)]\nmod tests {\n    use crate::context::Vars;\n    use crate::cli;\n}\n",
        ),
        ("b.rs", "#[cfg(test)]\nmod tests;\n"),
        ("cli/mod.rs", CLI),
        (
            "cli/run_cmd.rs",
            "pub fn run() {}\n#[cfg(test)]\nmod tests {\n    fn t() { gh.pull(1); }\n}\n",
        ),
        ("context.rs", CONTEXT),
    ]);
    assert_eq!(problems, Vec::<String>::new());
}
