//! Renders model objects in GitHub's JSON shapes, with URLs under the emulator's own base URL.

mod ci;
mod git;
mod issues;

pub(crate) use ci::workflow_id;

use serde_json::{Value, json};

use super::model::{Model, UserKind, node_id, ts};

pub(crate) const WEB: &str = "https://github.com";

impl Model {
    /// A `simple-user` object (unknown logins render as people with id 0).
    pub(crate) fn user_json(&self, login: &str) -> Value {
        let (id, kind, login) = match self.user(login) {
            Some(u) => (u.id, u.kind, u.login.clone()),
            None => (0, UserKind::User, login.to_string()),
        };
        let api = format!("{}/users/{login}", self.base_url);
        json!({
            "login": login,
            "id": id,
            "node_id": node_id("U", id),
            "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
            "gravatar_id": "",
            "url": api,
            "html_url": format!("{WEB}/{login}"),
            "followers_url": format!("{api}/followers"),
            "following_url": format!("{api}/following{{/other_user}}"),
            "gists_url": format!("{api}/gists{{/gist_id}}"),
            "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
            "subscriptions_url": format!("{api}/subscriptions"),
            "organizations_url": format!("{api}/orgs"),
            "repos_url": format!("{api}/repos"),
            "events_url": format!("{api}/events{{/privacy}}"),
            "received_events_url": format!("{api}/received_events"),
            "type": if kind == UserKind::Bot { "Bot" } else { "User" },
            "user_view_type": "public",
            "site_admin": false,
        })
    }

    /// `simple-user` or null.
    pub(crate) fn user_or_null(&self, login: Option<&str>) -> Value {
        login.map_or(Value::Null, |l| self.user_json(l))
    }

    pub(crate) fn repo_api(&self, ri: usize) -> String {
        format!("{}/repos/{}", self.base_url, self.repos[ri].full_name())
    }

    pub(crate) fn repo_html(&self, ri: usize) -> String {
        format!("{WEB}/{}", self.repos[ri].full_name())
    }

    /// A full repository object (a superset of `repository` and `minimal-repository`).
    pub(crate) fn repo_json(&self, ri: usize) -> Value {
        let r = &self.repos[ri];
        let api = self.repo_api(ri);
        let html = self.repo_html(ri);
        let open = r.issues.iter().filter(|i| i.state_open).count();
        let mut v = json!({
            "id": r.id, "node_id": node_id("R", r.id), "name": r.name, "full_name": r.full_name(),
            "owner": self.user_json(&r.owner), "private": false, "html_url": html,
            "description": Value::Null, "fork": false, "url": api,
            "clone_url": format!("{html}.git"), "git_url": format!("git://github.com/{}.git", r.full_name()),
            "ssh_url": format!("git@github.com:{}.git", r.full_name()), "svn_url": html,
            "mirror_url": Value::Null, "homepage": Value::Null, "language": "Rust",
            "forks": 0, "forks_count": 0, "stargazers_count": 0, "watchers_count": 0, "watchers": 0,
        });
        let rest = json!({
            "size": 1, "default_branch": r.default_branch, "open_issues": open, "open_issues_count": open,
            "is_template": false, "topics": r.topics, "has_issues": true, "has_projects": true,
            "has_wiki": true, "has_pages": false, "has_downloads": true, "has_discussions": false,
            "archived": false, "disabled": false, "visibility": "public",
            "pushed_at": ts(self.now()), "created_at": ts(r.created_at), "updated_at": ts(self.now()),
            "permissions": {"admin": true, "maintain": true, "push": true, "triage": true, "pull": true},
            "allow_rebase_merge": true, "allow_squash_merge": true, "allow_merge_commit": true,
            "allow_auto_merge": false, "delete_branch_on_merge": false,
            "license": Value::Null, "network_count": 0, "subscribers_count": 0,
        });
        issues::merge(&mut v, rest);
        for (key, suffix) in REPO_URLS {
            v[*key] = Value::String(format!("{api}{suffix}"));
        }
        v
    }

    /// A `label` object; unknown names render with GitHub's default grey.
    pub(crate) fn label_json(&self, ri: usize, name: &str) -> Value {
        let (id, name, color, description) = match self.label_ref(ri, name) {
            Some(l) => (l.id, l.name.clone(), l.color.clone(), l.description.clone()),
            None => (0, name.to_string(), "ededed".to_string(), None),
        };
        json!({
            "id": id,
            "node_id": node_id("LA", id),
            "url": format!("{}/labels/{}", self.repo_api(ri), super::http::encode(&name)),
            "name": name,
            "color": color,
            "description": description,
            "default": false,
        })
    }

    /// A `milestone` object with its issue counts computed from the issues.
    pub(crate) fn milestone_json(&self, ri: usize, number: u64) -> Value {
        let r = &self.repos[ri];
        let Some(m) = r.milestones.iter().find(|m| m.number == number) else {
            return Value::Null;
        };
        let members = r
            .issues
            .iter()
            .filter(|i| i.milestone == Some(number) && i.gone != Some(410));
        let (open, closed) =
            members.fold(
                (0, 0),
                |(o, c), i| if i.state_open { (o + 1, c) } else { (o, c + 1) },
            );
        let url = format!("{}/milestones/{number}", self.repo_api(ri));
        json!({
            "url": url, "html_url": format!("{}/milestone/{number}", self.repo_html(ri)),
            "labels_url": format!("{url}/labels"), "id": m.id, "node_id": node_id("MI", m.id),
            "number": number, "state": if m.open { "open" } else { "closed" }, "title": m.title,
            "description": m.description, "creator": self.user_json(&m.creator),
            "open_issues": open, "closed_issues": closed, "created_at": ts(m.created_at),
            "updated_at": ts(m.updated_at), "closed_at": m.closed_at.map(ts), "due_on": m.due_on,
        })
    }
}

const REPO_URLS: &[(&str, &str)] = &[
    ("archive_url", "/{archive_format}{/ref}"),
    ("assignees_url", "/assignees{/user}"),
    ("blobs_url", "/git/blobs{/sha}"),
    ("branches_url", "/branches{/branch}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("comments_url", "/comments{/number}"),
    ("commits_url", "/commits{/sha}"),
    ("compare_url", "/compare/{base}...{head}"),
    ("contents_url", "/contents/{+path}"),
    ("contributors_url", "/contributors"),
    ("deployments_url", "/deployments"),
    ("downloads_url", "/downloads"),
    ("events_url", "/events"),
    ("forks_url", "/forks"),
    ("git_commits_url", "/git/commits{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"),
    ("hooks_url", "/hooks"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("issue_events_url", "/issues/events{/number}"),
    ("issues_url", "/issues{/number}"),
    ("keys_url", "/keys{/key_id}"),
    ("labels_url", "/labels{/name}"),
    ("languages_url", "/languages"),
    ("merges_url", "/merges"),
    ("milestones_url", "/milestones{/number}"),
    (
        "notifications_url",
        "/notifications{?since,all,participating}",
    ),
    ("pulls_url", "/pulls{/number}"),
    ("releases_url", "/releases{/id}"),
    ("stargazers_url", "/stargazers"),
    ("statuses_url", "/statuses/{sha}"),
    ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"),
    ("tags_url", "/tags"),
    ("teams_url", "/teams"),
    ("trees_url", "/git/trees{/sha}"),
];
