#!/usr/bin/env python3
"""Vendors the parts of GitHub's own API descriptions that shiprig's tests read.

Run from the repository root with GitHub's full descriptions in a folder (default
../shared/github): the npm packages @octokit/openapi (api.github.com.json),
@octokit/graphql-schema (schema.graphql) and @octokit/webhooks-examples (index.json), all MIT.
Writes tests/fixtures/github/: the OpenAPI paths below with every component they reference,
the webhook examples of the events shiprig's workflows react to, the GraphQL schema, and the
licences. The output is deterministic; rerun it after adding a path or an event here.
"""
import json
import shutil
import sys
from pathlib import Path

SOURCE = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/github")
OUT = Path("tests/fixtures/github")

# Every REST path the emulator answers or shiprig calls.
PATHS = [
    "/app",
    "/app/installations/{installation_id}/access_tokens",
    "/installation/repositories",
    "/orgs/{org}/repos",
    "/users/{username}/repos",
    "/rate_limit",
    "/search/issues",
    "/repos/{owner}/{repo}",
    "/repos/{owner}/{repo}/actions/runs",
    "/repos/{owner}/{repo}/actions/runs/{run_id}",
    "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
    "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
    "/repos/{owner}/{repo}/assignees",
    "/repos/{owner}/{repo}/assignees/{assignee}",
    "/repos/{owner}/{repo}/branches/{branch}",
    "/repos/{owner}/{repo}/branches/{branch}/protection",
    "/repos/{owner}/{repo}/check-runs",
    "/repos/{owner}/{repo}/check-runs/{check_run_id}",
    "/repos/{owner}/{repo}/codeowners/errors",
    "/repos/{owner}/{repo}/collaborators",
    "/repos/{owner}/{repo}/collaborators/{username}",
    "/repos/{owner}/{repo}/collaborators/{username}/permission",
    "/repos/{owner}/{repo}/commits",
    "/repos/{owner}/{repo}/commits/{commit_sha}/pulls",
    "/repos/{owner}/{repo}/commits/{ref}",
    "/repos/{owner}/{repo}/commits/{ref}/check-runs",
    "/repos/{owner}/{repo}/commits/{ref}/status",
    "/repos/{owner}/{repo}/commits/{ref}/statuses",
    "/repos/{owner}/{repo}/compare/{basehead}",
    "/repos/{owner}/{repo}/contents/{path}",
    "/repos/{owner}/{repo}/dependency-graph/compare/{basehead}",
    "/repos/{owner}/{repo}/deployments",
    "/repos/{owner}/{repo}/deployments/{deployment_id}",
    "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
    "/repos/{owner}/{repo}/dispatches",
    "/repos/{owner}/{repo}/git/blobs/{file_sha}",
    "/repos/{owner}/{repo}/git/matching-refs/{ref}",
    "/repos/{owner}/{repo}/git/ref/{ref}",
    "/repos/{owner}/{repo}/git/refs",
    "/repos/{owner}/{repo}/git/refs/{ref}",
    "/repos/{owner}/{repo}/git/tags",
    "/repos/{owner}/{repo}/installation",
    "/repos/{owner}/{repo}/issues",
    "/repos/{owner}/{repo}/issues/comments/{comment_id}",
    "/repos/{owner}/{repo}/issues/events",
    "/repos/{owner}/{repo}/issues/{issue_number}",
    "/repos/{owner}/{repo}/issues/{issue_number}/assignees",
    "/repos/{owner}/{repo}/issues/{issue_number}/assignees/{assignee}",
    "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    "/repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by",
    "/repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by/{issue_id}",
    "/repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocking",
    "/repos/{owner}/{repo}/issues/{issue_number}/events",
    "/repos/{owner}/{repo}/issues/{issue_number}/labels",
    "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
    "/repos/{owner}/{repo}/issues/{issue_number}/parent",
    "/repos/{owner}/{repo}/issues/{issue_number}/sub_issue",
    "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues",
    "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues/priority",
    "/repos/{owner}/{repo}/issues/{issue_number}/timeline",
    "/repos/{owner}/{repo}/labels",
    "/repos/{owner}/{repo}/labels/{name}",
    "/repos/{owner}/{repo}/merges",
    "/repos/{owner}/{repo}/milestones",
    "/repos/{owner}/{repo}/milestones/{milestone_number}",
    "/repos/{owner}/{repo}/pulls",
    "/repos/{owner}/{repo}/pulls/{pull_number}",
    "/repos/{owner}/{repo}/pulls/{pull_number}/comments",
    "/repos/{owner}/{repo}/pulls/{pull_number}/commits",
    "/repos/{owner}/{repo}/pulls/{pull_number}/files",
    "/repos/{owner}/{repo}/pulls/{pull_number}/merge",
    "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
    "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
    "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals",
    "/repos/{owner}/{repo}/pulls/{pull_number}/update-branch",
    "/repos/{owner}/{repo}/releases",
    "/repos/{owner}/{repo}/releases/latest",
    "/repos/{owner}/{repo}/releases/tags/{tag}",
    "/repos/{owner}/{repo}/releases/{release_id}",
    "/repos/{owner}/{repo}/releases/{release_id}/assets",
    "/repos/{owner}/{repo}/rules/branches/{branch}",
    "/repos/{owner}/{repo}/statuses/{sha}",
    "/repos/{owner}/{repo}/tags",
    "/repos/{owner}/{repo}/topics",
]

# Events the shipped workflows run on, the ones the gate and merge read, and the ones
# `conductor run` takes as webhooks.
EVENTS = [
    "check_run", "check_suite", "installation_repositories", "issue_comment", "issues",
    "merge_group", "pull_request", "pull_request_review", "push", "release", "status",
    "workflow_dispatch", "workflow_run",
]


def refs(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            found.add(ref)
        for value in node.values():
            refs(value, found)
    elif isinstance(node, list):
        for value in node:
            refs(value, found)


def openapi_subset(doc):
    paths = {}
    for path in PATHS:
        if path not in doc["paths"]:
            sys.exit(f"{path}: not in GitHub's description")
        paths[path] = doc["paths"][path]
    components = {}
    todo = set()
    refs(paths, todo)
    done = set()
    while todo:
        ref = todo.pop()
        if ref in done:
            continue
        done.add(ref)
        _, _, kind, name = ref.split("/", 3)
        node = doc["components"][kind][name]
        components.setdefault(kind, {})[name] = node
        refs(node, todo)
    subset = {key: doc[key] for key in ("openapi", "info", "servers") if key in doc}
    subset["paths"] = paths
    subset["components"] = {k: dict(sorted(v.items())) for k, v in sorted(components.items())}
    return subset


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    doc = json.loads((SOURCE / "openapi.json").read_text())
    write(OUT / "openapi-subset.json", openapi_subset(doc))
    hooks = json.loads((SOURCE / "webhook-examples.json").read_text())
    write(OUT / "webhook-examples.json", [h for h in hooks if h["name"] in EVENTS])
    shutil.copyfile(SOURCE / "graphql-schema.graphql", OUT / "graphql-schema.graphql")
    shutil.copyfile(SOURCE / "LICENSE", OUT / "LICENSE")
    shutil.copyfile(SOURCE / "LICENSE-graphql-schema.md", OUT / "LICENSE-graphql-schema.md")


def write(path, value):
    path.write_text(json.dumps(value, indent=1, sort_keys=True) + "\n")
    print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
