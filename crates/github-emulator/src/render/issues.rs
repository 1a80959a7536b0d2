//! JSON for issues, pull requests, reviews, comments and issue events.

use serde_json::{Value, json};

use crate::model::{Comment, Issue, IssueEvent, Model, node_id, ts};

impl Model {
    fn author_association(&self, ri: usize, login: &str) -> &'static str {
        if self.repos[ri].owner.eq_ignore_ascii_case(login) {
            "OWNER"
        } else if self.permission_of(ri, login).is_some() {
            "COLLABORATOR"
        } else {
            "NONE"
        }
    }

    fn reactions(url: &str) -> Value {
        json!({"url": format!("{url}/reactions"), "total_count": 0, "+1": 0, "-1": 0, "laugh": 0,
               "confused": 0, "heart": 0, "hooray": 0, "eyes": 0, "rocket": 0})
    }

    /// An `issue` object, with `issue_dependencies_summary` and `sub_issues_summary` computed
    /// from the current edges; pull requests carry a `pull_request` key.
    pub(crate) fn issue_json(&self, ri: usize, i: &Issue) -> Value {
        let api = self.repo_api(ri);
        let url = format!("{api}/issues/{}", i.number);
        let html = format!("{}/issues/{}", self.repo_html(ri), i.number);
        let (blocked_by, total_blocked_by, blocking, total_blocking) = self.dep_summary(i.id);
        let subs: Vec<u64> = self
            .sub_issues
            .iter()
            .filter(|s| s.0 == i.id)
            .map(|s| s.1)
            .collect();
        let done = subs.iter().filter(|s| !self.is_open_id(**s)).count();
        let percent = if subs.is_empty() {
            0
        } else {
            done * 100 / subs.len()
        };
        let comments = self.repos[ri]
            .comments
            .iter()
            .filter(|c| c.issue == i.number)
            .count();
        let assignees: Vec<Value> = i.assignees.iter().map(|a| self.user_json(a)).collect();
        let mut v = json!({
            "id": i.id, "node_id": node_id("I", i.id), "url": url,
            "repository_url": api, "labels_url": format!("{url}/labels{{/name}}"),
            "comments_url": format!("{url}/comments"), "events_url": format!("{url}/events"),
            "timeline_url": format!("{url}/timeline"), "html_url": html, "number": i.number,
            "title": i.title, "body": i.body, "user": self.user_json(&i.user),
            "labels": i.labels.iter().map(|l| self.label_json(ri, l)).collect::<Vec<_>>(),
            "state": if i.state_open { "open" } else { "closed" }, "state_reason": i.state_reason,
            "locked": false, "active_lock_reason": Value::Null,
            "assignee": assignees.first().cloned().unwrap_or(Value::Null), "assignees": assignees,
            "milestone": i.milestone.map_or(Value::Null, |m| self.milestone_json(ri, m)),
            "comments": comments, "created_at": ts(i.created_at), "updated_at": ts(i.updated_at),
            "closed_at": i.closed_at.map(ts), "closed_by": self.user_or_null(i.closed_by.as_deref()),
            "author_association": self.author_association(ri, &i.user),
            "reactions": Self::reactions(&url),
            "issue_dependencies_summary": {"blocked_by": blocked_by, "total_blocked_by": total_blocked_by,
                "blocking": blocking, "total_blocking": total_blocking},
            "sub_issues_summary": {"total": subs.len(), "completed": done, "percent_completed": percent},
        });
        if let Some(p) = &i.pull {
            let purl = format!("{api}/pulls/{}", i.number);
            let phtml = format!("{}/pull/{}", self.repo_html(ri), i.number);
            v["draft"] = json!(p.draft);
            v["pull_request"] = json!({"url": purl, "html_url": phtml, "diff_url": format!("{phtml}.diff"),
                "patch_url": format!("{phtml}.patch"), "merged_at": p.merged_at.map(ts)});
        }
        v
    }

    pub(crate) fn issue_json_n(&self, ri: usize, number: u64) -> Value {
        match self.issue_ref(ri, number) {
            Ok(i) => self.issue_json(ri, i),
            Err(_) => Value::Null,
        }
    }

    /// The issue with this database id, rendered in its own repository.
    pub(crate) fn issue_json_by_id(&self, id: u64) -> Value {
        match self.issue_by_id(id) {
            Some((ri, n)) => self.issue_json_n(ri, n),
            None => Value::Null,
        }
    }

    /// An `issue-comment` object.
    pub(crate) fn comment_json(&self, ri: usize, c: &Comment) -> Value {
        let api = self.repo_api(ri);
        let url = format!("{api}/issues/comments/{}", c.id);
        json!({
            "id": c.id, "node_id": node_id("IC", c.id), "url": url,
            "html_url": format!("{}/issues/{}#issuecomment-{}", self.repo_html(ri), c.issue, c.id),
            "issue_url": format!("{api}/issues/{}", c.issue), "body": c.body,
            "user": self.user_json(&c.user), "created_at": ts(c.created_at), "updated_at": ts(c.updated_at),
            "author_association": self.author_association(ri, &c.user),
            "reactions": Self::reactions(&url),
        })
    }

    /// An issue event; `with_issue` embeds the issue (repository-level listing).
    pub(crate) fn event_json(&self, ri: usize, e: &IssueEvent, with_issue: bool) -> Value {
        let api = self.repo_api(ri);
        let mut v = json!({
            "id": e.id, "node_id": node_id("LE", e.id), "url": format!("{api}/issues/events/{}", e.id),
            "actor": self.user_json(&e.actor), "event": e.kind,
            "commit_id": e.commit_id, "commit_url": e.commit_id.as_ref().map(|c| format!("{api}/commits/{c}")),
            "created_at": ts(e.created_at), "performed_via_github_app": Value::Null,
        });
        if let Some((name, color)) = &e.label {
            v["label"] = json!({"name": name, "color": color});
        }
        if let Some(a) = &e.assignee {
            v["assignee"] = self.user_json(a);
            v["assigner"] = self.user_json(&e.actor);
        }
        if let Some(m) = &e.milestone {
            v["milestone"] = json!({"title": m});
        }
        if e.kind == "closed" || e.kind == "reopened" {
            v["state_reason"] = json!(e.state_reason);
        }
        if with_issue {
            v["issue"] = self.issue_json_n(ri, e.issue);
        }
        v
    }

    /// The timeline of an issue: its events and comments, oldest first.
    pub(crate) fn timeline_json(&self, ri: usize, number: u64) -> Vec<Value> {
        let r = &self.repos[ri];
        let mut items: Vec<(chrono::DateTime<chrono::Utc>, u64, Value)> = r
            .events
            .iter()
            .filter(|e| e.issue == number && e.kind != "merged")
            .map(|e| (e.created_at, e.id, self.event_json(ri, e, false)))
            .collect();
        for c in r.comments.iter().filter(|c| c.issue == number) {
            let mut v = self.comment_json(ri, c);
            v["event"] = json!("commented");
            v["actor"] = self.user_json(&c.user);
            items.push((c.created_at, c.id, v));
        }
        items.sort_by_key(|(t, id, _)| (*t, *id));
        items.into_iter().map(|(_, _, v)| v).collect()
    }

    /// A `pull-request` object (a superset of `pull-request-simple`).
    pub(crate) fn pull_json(&self, ri: usize, number: u64) -> Value {
        let Ok(i) = self.issue_ref(ri, number) else {
            return Value::Null;
        };
        let Some(p) = &i.pull else { return Value::Null };
        let api = self.repo_api(ri);
        let url = format!("{api}/pulls/{number}");
        let html = format!("{}/pull/{number}", self.repo_html(ri));
        let issue = self.issue_json(ri, i);
        let files = self.pull_files(ri, number).unwrap_or_default();
        let commits = self.repos[ri]
            .git
            .commits_between(&self.base_sha(ri, p), &p.head_sha)
            .len();
        let owner = &self.repos[ri].owner;
        let side = |r: &str, sha: &str| {
            json!({"label": format!("{owner}:{r}"), "ref": r, "sha": sha,
            "user": self.user_json(owner), "repo": self.repo_json(ri)})
        };
        let link = |h: String| json!({"href": h});
        let mut v = json!({
            "url": url, "id": p.id, "node_id": node_id("PR", p.id), "html_url": html,
            "diff_url": format!("{html}.diff"), "patch_url": format!("{html}.patch"),
            "issue_url": format!("{api}/issues/{number}"), "commits_url": format!("{url}/commits"),
            "review_comments_url": format!("{url}/comments"),
            "review_comment_url": format!("{api}/pulls/comments{{/number}}"),
            "comments_url": format!("{api}/issues/{number}/comments"),
            "statuses_url": format!("{api}/statuses/{}", p.head_sha),
            "number": number, "state": issue["state"], "locked": false, "title": i.title,
            "user": issue["user"], "body": i.body, "labels": issue["labels"],
            "milestone": issue["milestone"], "active_lock_reason": Value::Null,
            "created_at": issue["created_at"], "updated_at": issue["updated_at"],
            "closed_at": issue["closed_at"], "merged_at": p.merged_at.map(ts),
            "merge_commit_sha": p.merge_commit_sha, "assignee": issue["assignee"],
            "assignees": issue["assignees"],
            "requested_reviewers": p.requested_reviewers.iter().map(|r| self.user_json(r)).collect::<Vec<_>>(),
            "requested_teams": [],
        });
        let rest = json!({
            "head": side(&p.head_ref, &p.head_sha), "base": side(&p.base_ref, &self.base_sha(ri, p)),
            "author_association": issue["author_association"], "auto_merge": Value::Null,
            "draft": p.draft, "merged": p.merged_at.is_some(),
            "mergeable": if i.state_open { json!(true) } else { Value::Null },
            "rebaseable": true, "mergeable_state": if i.state_open { "clean" } else { "unknown" },
            "merged_by": self.user_or_null(p.merged_by.as_deref()),
            "comments": issue["comments"], "review_comments": 0, "maintainer_can_modify": false,
            "commits": commits, "additions": files.iter().map(|f| f.additions).sum::<usize>(),
            "deletions": files.iter().map(|f| f.deletions).sum::<usize>(), "changed_files": files.len(),
        });
        merge(&mut v, rest);
        v["_links"] = json!({"self": link(url.clone()), "html": link(html.clone()),
            "issue": link(format!("{api}/issues/{number}")),
            "comments": link(format!("{api}/issues/{number}/comments")),
            "review_comments": link(format!("{url}/comments")),
            "review_comment": link(format!("{api}/pulls/comments{{/number}}")),
            "commits": link(format!("{url}/commits")),
            "statuses": link(format!("{api}/statuses/{}", p.head_sha))});
        v
    }

    /// A `pull-request-review` object.
    pub(crate) fn review_json(&self, ri: usize, number: u64, r: &crate::model::Review) -> Value {
        let purl = format!("{}/pulls/{number}", self.repo_api(ri));
        let html = format!(
            "{}/pull/{number}#pullrequestreview-{}",
            self.repo_html(ri),
            r.id
        );
        json!({
            "id": r.id, "node_id": node_id("PRR", r.id), "user": self.user_json(&r.user),
            "body": r.body, "state": r.state.as_str(), "html_url": html, "pull_request_url": purl,
            "_links": {"html": {"href": html}, "pull_request": {"href": purl}},
            "submitted_at": ts(r.submitted_at), "commit_id": r.commit_id,
            "author_association": self.author_association(ri, &r.user),
        })
    }

    /// A line comment of a review, as `GET …/pulls/{n}/comments` lists it.
    pub(crate) fn review_comment_json(
        &self,
        ri: usize,
        number: u64,
        r: &crate::model::Review,
        c: &crate::model::ReviewComment,
    ) -> Value {
        let purl = format!("{}/pulls/{number}", self.repo_api(ri));
        let url = format!("{}/pulls/comments/{}", self.repo_api(ri), c.id);
        let html = format!("{}/pull/{number}#discussion_r{}", self.repo_html(ri), c.id);
        json!({
            "id": c.id, "node_id": node_id("PRRC", c.id), "url": url,
            "pull_request_review_id": r.id, "diff_hunk": "", "path": c.path, "line": c.line,
            "commit_id": r.commit_id, "original_commit_id": r.commit_id,
            "user": self.user_json(&r.user), "body": c.body,
            "created_at": ts(r.submitted_at), "updated_at": ts(r.submitted_at),
            "html_url": html, "pull_request_url": purl,
            "author_association": self.author_association(ri, &r.user),
            "_links": {"self": {"href": url}, "html": {"href": html}, "pull_request": {"href": purl}},
        })
    }
}

/// Copies the fields of object `b` into object `a` (json! macros have a recursion limit).
pub(crate) fn merge(a: &mut Value, b: Value) {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
}
