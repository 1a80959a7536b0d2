#!/usr/bin/env python3
"""Keeps shiprig's rooms apart; run by .ci/run, exits 1 naming what broke.

1. No import circles between files: when two files import each other, the type they share
   belongs in a leaf file of its own.
2. Nothing below the command line imports `crate::cli`.
3. A command file (`src/cli/*_cmd.rs`) only translates: it makes no GitHub call and holds no
   client, server or cluster code; those live in the feature it calls.

Imports are read from `use`/paths (`crate::…`, `super::…`, `self::…`) and from a parent file
naming a child module in its code; `#[cfg(test)]` modules are left out. A `pub use` in a
parent counts as the child's item, so importing a re-exported name ties a file to the child
that defines it, not to the parent.
"""

import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")

# In a command file: a method call on a client (`gh.pulls(`, `ctx.gh.merge(`), building one,
# or a server, cluster or HTTP client of its own.
COMMAND_FORBIDDEN = [
    (re.compile(r"\bgh\s*\.\s*[a-z_]+\s*\("), "calls GitHub"),
    (re.compile(r"\bGitHub::new\b"), "builds a GitHub client"),
    (re.compile(r"\b(octocrab|reqwest|axum|kube|hyper)::"), "uses an HTTP client, server or cluster"),
    (re.compile(r"\btokio::net::"), "opens sockets"),
]


def strip_tests(text):
    """The file without its `#[cfg(test)] mod … { … }` blocks and `//` comments."""
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == "#[cfg(test)]" and i + 1 < len(lines) and re.match(
            r"\s*(pub(\([^)]*\))? )?mod \w+ \{", lines[i + 1]
        ):
            depth = 0
            j = i + 1
            while j < len(lines):
                depth += lines[j].count("{") - lines[j].count("}")
                if depth == 0 and j > i + 1:
                    break
                j += 1
            i = j + 1
            continue
        if lines[i].strip() == "#[cfg(test)]" and i + 1 < len(lines) and re.match(
            r"\s*(pub(\([^)]*\))? )?mod \w+;", lines[i + 1]
        ):
            i += 2
            continue
        out.append(re.sub(r"//.*", "", lines[i]))
        i += 1
    return "\n".join(out)


def module_path(path):
    rel = os.path.relpath(path, ROOT)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return tuple(rel)


def read_sources():
    sources = {}
    for directory, _, files in os.walk(ROOT):
        for name in files:
            if name.endswith(".rs"):
                path = os.path.join(directory, name)
                with open(path, encoding="utf-8") as f:
                    sources[path] = f.read()
    return sources


def use_paths(text):
    """Every path a file names: `crate::a::b`, `super::x`, `self::y`, with `{…}` groups expanded."""
    paths = []
    for m in re.finditer(r"\b(crate|super|self)((?:::\w+)*)(::\{([^;]*?)\})?", text, re.S):
        if not m.group(2) and not m.group(4):
            continue
        base = [m.group(1)] + [s for s in m.group(2).strip(":").split("::") if s]
        if m.group(2):
            paths.append(base)
        if m.group(4):
            for item in m.group(4).split(","):
                item = re.sub(r"[{}\s]", "", item.split(" as ")[0])
                if item and item != "self":
                    paths.append(base + item.split("::"))
    return paths


def main():
    sources = read_sources()
    modules = {module_path(p): p for p in sources if not p.endswith("main.rs")}
    stripped = {p: strip_tests(t) for p, t in sources.items()}
    # name re-exported by a module file -> the child module it comes from
    reexports = {}
    for path, text in stripped.items():
        me = module_path(path)
        for m in re.finditer(r"pub use (?:self::)?(\w+)::(\{[^;]*\}|\w+);", text, re.S):
            child, names = m.group(1), m.group(2)
            for name in re.split(r"[,{}\s]+", names):
                name = name.split(" as ")[0]
                if name and name != "self" and (*me, child) in modules:
                    reexports[(me, name)] = (*me, child)

    def resolve(segments):
        for k in range(len(segments), 0, -1):
            target = tuple(segments[:k])
            if target in modules:
                if k < len(segments) and (target, segments[k]) in reexports:
                    return modules[reexports[(target, segments[k])]]
                return modules[target]
        return None

    edges = {p: set() for p in sources}
    for path, text in stripped.items():
        if path.endswith("main.rs"):
            continue
        me = list(module_path(path))
        for segments in use_paths(text):
            head = segments[0]
            if head == "crate":
                absolute = segments[1:]
            elif head == "super":
                absolute = me[:-1] + segments[1:]
            else:
                absolute = me + segments[1:]
            absolute = [s for s in absolute if s != "self"]
            target = resolve(absolute)
            if target and target != path:
                edges[path].add(target)
        body = re.sub(r"^\s*(pub(\([^)]*\))? )?mod \w+;", "", text, flags=re.M)
        for child in re.findall(r"^\s*(?:pub(?:\([^)]*\))? )?mod (\w+);", text, re.M):
            target = modules.get((*me, child))
            if target and re.search(r"(?<![:\w])" + child + r"::", body):
                edges[path].add(target)

    problems = []
    for component in cycles(edges):
        names = ", ".join(sorted(os.path.relpath(p, os.path.join(ROOT, "..")) for p in component))
        problems.append(f"import circle: {names}")
    cli = os.path.join(ROOT, "cli")
    for path, targets in sorted(edges.items()):
        if path.startswith(cli + os.sep):
            continue
        for target in targets:
            if target.startswith(cli + os.sep):
                problems.append(f"{os.path.relpath(path, ROOT)} imports the command line")
    for path in sorted(sources):
        if path.startswith(cli + os.sep) and path.endswith("_cmd.rs"):
            for number, line in enumerate(stripped[path].split("\n"), 1):
                for pattern, what in COMMAND_FORBIDDEN:
                    if pattern.search(line):
                        rel = os.path.relpath(path, os.path.join(ROOT, ".."))
                        problems.append(f"{rel}:{number}: a command {what}: {line.strip()}")
    for problem in problems:
        print(problem)
    if problems:
        print(f"check-layers: {len(problems)} problem(s)")
        return 1
    print(f"check-layers: {len(sources)} files, no circles, commands only translate")
    return 0


def cycles(edges):
    """Strongly connected components with more than one file (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


if __name__ == "__main__":
    sys.exit(main())
