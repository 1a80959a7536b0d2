//! Issues, labels, milestones, comments, assignees and their events, as GitHub applies them.

use chrono::{DateTime, Utc};

use super::{Model, Pull};
use crate::http::ApiError;

#[derive(Debug, Clone)]
pub(crate) struct Label {
    pub id: u64,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Issue {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub user: String,
    pub state_open: bool,
    pub state_reason: Option<String>,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub milestone: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub pull: Option<Pull>,
    /// When set, the issue's routes answer this (404 hidden, 410 deleted) and lists omit it.
    pub gone: Option<u16>,
    /// When the body was last edited (GraphQL `lastEditedAt`); `None` if never.
    pub last_edited_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Milestone {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub description: Option<String>,
    pub open: bool,
    pub creator: String,
    pub due_on: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Comment {
    pub id: u64,
    pub issue: u64,
    pub user: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An issue event; `kind` is GitHub's `event` string.
#[derive(Debug, Clone, Default)]
pub(crate) struct IssueEvent {
    pub id: u64,
    pub issue: u64,
    pub actor: String,
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub label: Option<(String, String)>,
    pub assignee: Option<String>,
    pub milestone: Option<String>,
    pub commit_id: Option<String>,
    pub state_reason: Option<String>,
}

/// An issue's state as a test asserts it, without HTTP.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueView {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub author: String,
    /// "open" or "closed".
    pub state: String,
    pub state_reason: Option<String>,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    /// The milestone's title.
    pub milestone: Option<String>,
    /// Comment bodies, oldest first.
    pub comments: Vec<String>,
    pub is_pull_request: bool,
}

/// Fields of a new issue, shared by the HTTP create and the seeding helper.
pub(crate) struct NewIssue<'a> {
    pub title: &'a str,
    pub body: Option<&'a str>,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub milestone: Option<u64>,
    pub author: &'a str,
}

impl Model {
    /// The issue as routes see it: 404 when missing or hidden, 410 when deleted.
    pub(crate) fn issue_ref(&self, ri: usize, number: u64) -> Result<&Issue, ApiError> {
        let issue = self.issue_raw(ri, number).ok_or_else(ApiError::not_found)?;
        match issue.gone {
            Some(410) => Err(ApiError::new(410, "This issue was deleted")),
            Some(_) => Err(ApiError::not_found()),
            None => Ok(issue),
        }
    }

    /// The issue whether or not it is visible.
    pub(crate) fn issue_raw(&self, ri: usize, number: u64) -> Option<&Issue> {
        self.repos[ri].issues.get((number as usize).wrapping_sub(1))
    }

    pub(crate) fn issue_mut(&mut self, ri: usize, number: u64) -> Result<&mut Issue, ApiError> {
        self.issue_ref(ri, number)?;
        self.repos[ri]
            .issues
            .get_mut((number as usize).wrapping_sub(1))
            .ok_or_else(ApiError::not_found)
    }

    /// (repo index, number) of the issue with this database id.
    pub(crate) fn issue_by_id(&self, id: u64) -> Option<(usize, u64)> {
        self.repos
            .iter()
            .enumerate()
            .find_map(|(ri, r)| r.issues.iter().find(|i| i.id == id).map(|i| (ri, i.number)))
    }

    /// Whether the issue is open; hidden issues count, so summaries keep counting blockers a
    /// caller cannot see.
    pub(crate) fn is_open_id(&self, id: u64) -> bool {
        self.issue_by_id(id)
            .and_then(|(ri, n)| self.issue_raw(ri, n))
            .is_some_and(|i| i.state_open && i.gone != Some(410))
    }

    pub(crate) fn record(
        &mut self,
        ri: usize,
        issue: u64,
        actor: &str,
        kind: &str,
    ) -> &mut super::IssueEvent {
        let id = self.next_id("event");
        let now = self.now();
        let events = &mut self.repos[ri].events;
        events.push(IssueEvent {
            id,
            issue,
            actor: actor.to_string(),
            kind: kind.to_string(),
            created_at: now,
            ..IssueEvent::default()
        });
        events.last_mut().expect("just pushed")
    }

    /// Edits the title and body as GitHub does: a new title records a `renamed` event, a new
    /// body sets `lastEditedAt`.
    pub(crate) fn edit_text(
        &mut self,
        ri: usize,
        number: u64,
        title: Option<&str>,
        body: Option<Option<&str>>,
        actor: &str,
    ) -> Result<(), crate::http::ApiError> {
        let now = self.now();
        if let Some(title) = title
            && self.issue_ref(ri, number)?.title != title
        {
            self.issue_mut(ri, number)?.title = title.to_string();
            self.record(ri, number, actor, "renamed");
        }
        if let Some(body) = body {
            let issue = self.issue_mut(ri, number)?;
            if issue.body.as_deref() != body {
                issue.body = body.map(str::to_string);
                issue.last_edited_at = Some(now);
            }
        }
        Ok(())
    }

    pub(crate) fn touch(&mut self, ri: usize, number: u64) {
        let now = self.now();
        if let Ok(i) = self.issue_mut(ri, number) {
            i.updated_at = now;
        }
    }

    /// Creates an issue (or the issue half of a pull request); returns its number.
    pub(crate) fn new_issue(&mut self, ri: usize, new: NewIssue<'_>, pull: Option<Pull>) -> u64 {
        let kind = if pull.is_some() { "pull" } else { "issue" };
        let id = self.next_id(kind);
        let now = self.now();
        let repo = &mut self.repos[ri];
        let number = repo.issues.len() as u64 + 1;
        repo.issues.push(Issue {
            id,
            number,
            title: new.title.to_string(),
            body: new.body.map(str::to_string),
            user: new.author.to_string(),
            state_open: true,
            state_reason: None,
            labels: Vec::new(),
            assignees: Vec::new(),
            milestone: None,
            created_at: now,
            updated_at: now,
            closed_at: None,
            closed_by: None,
            pull,
            gone: None,
            last_edited_at: None,
        });
        let _ = self.add_labels(ri, number, &new.labels, new.author);
        self.add_assignees(ri, number, &new.assignees, new.author);
        if new.milestone.is_some() {
            let _ = self.set_issue_milestone(ri, number, new.milestone, new.author);
        }
        number
    }

    /// Creates the label on the repository if it does not exist yet; returns its name as stored.
    pub(crate) fn ensure_label(&mut self, ri: usize, name: &str) -> String {
        if let Some(l) = self.label_ref(ri, name) {
            return l.name.clone();
        }
        let id = self.next_id("label");
        self.repos[ri].labels.push(Label {
            id,
            name: name.to_string(),
            color: "ededed".to_string(),
            description: None,
        });
        name.to_string()
    }

    pub(crate) fn label_ref(&self, ri: usize, name: &str) -> Option<&Label> {
        self.repos[ri]
            .labels
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
    }

    /// Adds labels; ones already on the issue are left alone (no event).
    pub(crate) fn add_labels(
        &mut self,
        ri: usize,
        number: u64,
        names: &[String],
        actor: &str,
    ) -> Result<(), ApiError> {
        self.issue_ref(ri, number)?;
        for name in names {
            let stored = self.ensure_label(ri, name);
            let issue = self.issue_mut(ri, number)?;
            if issue.labels.iter().any(|l| l.eq_ignore_ascii_case(&stored)) {
                continue;
            }
            issue.labels.push(stored.clone());
            let color = self
                .label_ref(ri, &stored)
                .map(|l| l.color.clone())
                .unwrap_or_default();
            self.record(ri, number, actor, "labeled").label = Some((stored, color));
            self.touch(ri, number);
        }
        Ok(())
    }

    /// Removes one label; 404 `Label does not exist` when it is not on the issue.
    pub(crate) fn remove_label_inner(
        &mut self,
        ri: usize,
        number: u64,
        name: &str,
        actor: &str,
    ) -> Result<(), ApiError> {
        let issue = self.issue_mut(ri, number)?;
        let Some(pos) = issue
            .labels
            .iter()
            .position(|l| l.eq_ignore_ascii_case(name))
        else {
            return Err(ApiError::new(404, "Label does not exist"));
        };
        let stored = issue.labels.remove(pos);
        let color = self
            .label_ref(ri, &stored)
            .map(|l| l.color.clone())
            .unwrap_or_default();
        self.record(ri, number, actor, "unlabeled").label = Some((stored, color));
        self.touch(ri, number);
        Ok(())
    }

    /// Replaces the issue's labels with `names`, recording only the differences.
    pub(crate) fn set_labels(
        &mut self,
        ri: usize,
        number: u64,
        names: &[String],
        actor: &str,
    ) -> Result<(), ApiError> {
        let current = self.issue_ref(ri, number)?.labels.clone();
        for old in current
            .iter()
            .filter(|o| !names.iter().any(|n| n.eq_ignore_ascii_case(o)))
        {
            self.remove_label_inner(ri, number, old, actor)?;
        }
        self.add_labels(ri, number, names, actor)
    }

    /// Opens or closes an issue, recording `closed`/`reopened`.
    pub(crate) fn set_state(
        &mut self,
        ri: usize,
        number: u64,
        open: bool,
        reason: Option<&str>,
        actor: &str,
    ) -> Result<(), ApiError> {
        let now = self.now();
        let issue = self.issue_mut(ri, number)?;
        if issue.state_open == open {
            return Ok(());
        }
        issue.state_open = open;
        issue.updated_at = now;
        let reason = match (open, reason) {
            (true, _) => Some("reopened".to_string()),
            (false, Some(r)) => Some(r.to_string()),
            (false, None) => Some("completed".to_string()),
        };
        issue.state_reason = reason.clone();
        issue.closed_at = (!open).then_some(now);
        issue.closed_by = (!open).then(|| actor.to_string());
        let kind = if open { "reopened" } else { "closed" };
        self.record(ri, number, actor, kind).state_reason = reason;
        Ok(())
    }

    /// Adds assignees that can be assigned; others are silently dropped, as GitHub does.
    pub(crate) fn add_assignees(&mut self, ri: usize, number: u64, logins: &[String], actor: &str) {
        for login in logins {
            let Some(user) = self.user(login).map(|u| u.login.clone()) else {
                continue;
            };
            if !self.assignable(ri, &user) {
                continue;
            }
            let Ok(issue) = self.issue_mut(ri, number) else {
                return;
            };
            if issue
                .assignees
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&user))
            {
                continue;
            }
            issue.assignees.push(user.clone());
            self.record(ri, number, actor, "assigned").assignee = Some(user);
            self.touch(ri, number);
        }
    }

    pub(crate) fn remove_assignees(
        &mut self,
        ri: usize,
        number: u64,
        logins: &[String],
        actor: &str,
    ) {
        for login in logins {
            let Ok(issue) = self.issue_mut(ri, number) else {
                return;
            };
            let Some(pos) = issue
                .assignees
                .iter()
                .position(|a| a.eq_ignore_ascii_case(login))
            else {
                continue;
            };
            let user = issue.assignees.remove(pos);
            self.record(ri, number, actor, "unassigned").assignee = Some(user);
            self.touch(ri, number);
        }
    }

    /// Sets or clears the milestone, recording `milestoned`/`demilestoned`.
    pub(crate) fn set_issue_milestone(
        &mut self,
        ri: usize,
        number: u64,
        milestone: Option<u64>,
        actor: &str,
    ) -> Result<(), ApiError> {
        if let Some(m) = milestone
            && !self.repos[ri].milestones.iter().any(|x| x.number == m)
        {
            return Err(ApiError::invalid("Issue", "milestone", "invalid"));
        }
        let old = self.issue_ref(ri, number)?.milestone;
        if old == milestone {
            return Ok(());
        }
        let title = |m: Option<u64>, model: &Model| {
            m.and_then(|n| model.repos[ri].milestones.iter().find(|x| x.number == n))
                .map(|x| x.title.clone())
        };
        if old.is_some() {
            let t = title(old, self);
            self.record(ri, number, actor, "demilestoned").milestone = t;
        }
        if milestone.is_some() {
            let t = title(milestone, self);
            self.record(ri, number, actor, "milestoned").milestone = t;
        }
        self.issue_mut(ri, number)?.milestone = milestone;
        self.touch(ri, number);
        Ok(())
    }

    pub(crate) fn new_milestone(
        &mut self,
        ri: usize,
        title: &str,
        description: Option<&str>,
        creator: &str,
    ) -> Result<u64, ApiError> {
        if self.repos[ri].milestones.iter().any(|m| m.title == title) {
            return Err(ApiError::invalid("Milestone", "title", "already_exists"));
        }
        let id = self.next_id("milestone");
        let now = self.now();
        let ms = &mut self.repos[ri].milestones;
        let number = ms.len() as u64 + 1;
        ms.push(Milestone {
            id,
            number,
            title: title.to_string(),
            description: description.map(str::to_string),
            open: true,
            creator: creator.to_string(),
            due_on: None,
            created_at: now,
            updated_at: now,
            closed_at: None,
        });
        Ok(number)
    }

    pub(crate) fn new_comment(
        &mut self,
        ri: usize,
        number: u64,
        body: &str,
        actor: &str,
    ) -> Result<u64, ApiError> {
        self.issue_ref(ri, number)?;
        let id = self.next_id("comment");
        let now = self.now();
        self.repos[ri].comments.push(Comment {
            id,
            issue: number,
            user: actor.to_string(),
            body: body.to_string(),
            created_at: now,
            updated_at: now,
        });
        self.touch(ri, number);
        Ok(id)
    }

    /// Adds a native `blocked_by` edge; 422 for a self-block or a duplicate.
    pub(crate) fn block(&mut self, blocked: u64, blocker: u64) -> Result<(), ApiError> {
        let (ri, n) = self.issue_by_id(blocker).ok_or_else(ApiError::not_found)?;
        self.issue_ref(ri, n)?;
        if blocked == blocker {
            return Err(ApiError::unprocessable(
                "An issue cannot be blocked by itself",
            ));
        }
        if self.deps.contains(&(blocked, blocker)) {
            return Err(ApiError::unprocessable(
                "Issue is already blocked by this issue",
            ));
        }
        self.deps.push((blocked, blocker));
        Ok(())
    }

    /// (open blockers, all blockers, open blocked, all blocked) of an issue id.
    pub(crate) fn dep_summary(&self, id: u64) -> (usize, usize, usize, usize) {
        let blockers: Vec<u64> = self
            .deps
            .iter()
            .filter(|d| d.0 == id)
            .map(|d| d.1)
            .collect();
        let blocking: Vec<u64> = self
            .deps
            .iter()
            .filter(|d| d.1 == id)
            .map(|d| d.0)
            .collect();
        let open = |ids: &[u64]| ids.iter().filter(|i| self.is_open_id(**i)).count();
        (
            open(&blockers),
            blockers.len(),
            open(&blocking),
            blocking.len(),
        )
    }
}
