//! Seeding and asserting helpers for issues, labels, milestones and dependencies, used by
//! tests and `shiprig demo` without going through HTTP.

use super::issues::NewIssue;
use super::{IssueView, Model};

impl Model {
    /// Deletes an issue: its routes answer 410 and its dependency and sub-issue links go.
    pub fn delete_issue(&mut self, repo: &str, number: u64) {
        let ri = self.seed_ri(repo);
        let id = self
            .issue_ref(ri, number)
            .expect("emulator: delete_issue")
            .id;
        self.deps.retain(|d| d.0 != id && d.1 != id);
        self.sub_issues.retain(|s| s.0 != id && s.1 != id);
        self.repos[ri].issues[number as usize - 1].gone = Some(410);
    }

    /// Hides an issue as if it were private to the caller: its routes answer 404 and lists
    /// omit it, but dependency summaries still count it (the mismatch clients must survive).
    pub fn hide_issue(&mut self, repo: &str, number: u64) {
        let ri = self.seed_ri(repo);
        self.issue_ref(ri, number).expect("emulator: hide_issue");
        self.repos[ri].issues[number as usize - 1].gone = Some(404);
    }

    /// Creates an issue as `author` (the same path as the HTTP create); returns its number.
    pub fn create_issue(
        &mut self,
        repo: &str,
        title: &str,
        body: &str,
        labels: &[&str],
        author: &str,
    ) -> u64 {
        let ri = self.seed_ri(repo);
        self.add_user(author, super::UserKind::User);
        let new = NewIssue {
            title,
            body: Some(body),
            labels: labels.iter().map(|s| s.to_string()).collect(),
            assignees: Vec::new(),
            milestone: None,
            author,
        };
        self.new_issue(ri, new, None)
    }

    /// Edits an issue's title and/or body as `actor` (a `renamed` event, `lastEditedAt`).
    pub fn edit_issue(
        &mut self,
        repo: &str,
        number: u64,
        title: Option<&str>,
        body: Option<&str>,
        actor: &str,
    ) {
        let ri = self.seed_ri(repo);
        self.edit_text(ri, number, title, body.map(Some), actor)
            .expect("emulator: edit_issue on a missing issue");
        self.touch(ri, number);
    }

    /// Adds a label as `actor` (idempotent).
    pub fn add_label(&mut self, repo: &str, number: u64, label: &str, actor: &str) {
        let ri = self.seed_ri(repo);
        self.add_labels(ri, number, &[label.to_string()], actor)
            .expect("emulator: add_label on a missing issue");
    }

    /// Removes a label as `actor`; returns whether it was on the issue.
    pub fn remove_label(&mut self, repo: &str, number: u64, label: &str, actor: &str) -> bool {
        let ri = self.seed_ri(repo);
        self.remove_label_inner(ri, number, label, actor).is_ok()
    }

    pub fn close_issue(&mut self, repo: &str, number: u64, actor: &str) {
        let ri = self.seed_ri(repo);
        self.set_state(ri, number, false, None, actor)
            .expect("emulator: close_issue on a missing issue");
    }

    pub fn reopen_issue(&mut self, repo: &str, number: u64, actor: &str) {
        let ri = self.seed_ri(repo);
        self.set_state(ri, number, true, None, actor)
            .expect("emulator: reopen_issue on a missing issue");
    }

    /// Assigns users (only assignable ones stick, as on GitHub).
    pub fn assign(&mut self, repo: &str, number: u64, logins: &[&str], actor: &str) {
        let ri = self.seed_ri(repo);
        let logins: Vec<String> = logins.iter().map(|s| s.to_string()).collect();
        self.add_assignees(ri, number, &logins, actor);
    }

    /// Records that `repo#number` is blocked by `blocker_repo#blocker_number`.
    pub fn add_blocked_by(
        &mut self,
        repo: &str,
        number: u64,
        blocker_repo: &str,
        blocker_number: u64,
    ) {
        let blocked = self
            .issue_ref(self.seed_ri(repo), number)
            .expect("blocked issue")
            .id;
        let blocker = self
            .issue_ref(self.seed_ri(blocker_repo), blocker_number)
            .expect("blocker issue")
            .id;
        self.block(blocked, blocker)
            .expect("emulator: add_blocked_by");
    }

    pub fn create_milestone(&mut self, repo: &str, title: &str) -> u64 {
        let ri = self.seed_ri(repo);
        let owner = self.repos[ri].owner.clone();
        self.new_milestone(ri, title, None, &owner)
            .expect("emulator: create_milestone")
    }

    /// Puts an issue in a milestone (by milestone number), recorded as the repo owner.
    pub fn set_milestone(&mut self, repo: &str, issue: u64, milestone: u64) {
        let ri = self.seed_ri(repo);
        let owner = self.repos[ri].owner.clone();
        self.set_issue_milestone(ri, issue, Some(milestone), &owner)
            .expect("emulator: set_milestone");
    }

    pub fn add_comment(&mut self, repo: &str, number: u64, body: &str, actor: &str) -> u64 {
        let ri = self.seed_ri(repo);
        self.new_comment(ri, number, body, actor)
            .expect("emulator: add_comment")
    }

    /// The issue (or pull request) as it stands.
    pub fn issue(&self, repo: &str, number: u64) -> Option<IssueView> {
        let ri = self.find_repo(repo)?;
        let i = self.issue_ref(ri, number).ok()?;
        let r = &self.repos[ri];
        Some(IssueView {
            id: i.id,
            number,
            title: i.title.clone(),
            body: i.body.clone(),
            author: i.user.clone(),
            state: if i.state_open { "open" } else { "closed" }.to_string(),
            state_reason: i.state_reason.clone(),
            labels: i.labels.clone(),
            assignees: i.assignees.clone(),
            milestone: i
                .milestone
                .and_then(|m| r.milestones.iter().find(|x| x.number == m))
                .map(|m| m.title.clone()),
            comments: r
                .comments
                .iter()
                .filter(|c| c.issue == number)
                .map(|c| c.body.clone())
                .collect(),
            is_pull_request: i.pull.is_some(),
        })
    }

    /// Event kinds recorded for an issue, oldest first (e.g. `["labeled", "closed"]`).
    pub fn issue_events(&self, repo: &str, number: u64) -> Vec<String> {
        let Some(ri) = self.find_repo(repo) else {
            return Vec::new();
        };
        self.repos[ri]
            .events
            .iter()
            .filter(|e| e.issue == number)
            .map(|e| e.kind.clone())
            .collect()
    }

    /// Whether the milestone (by number) is open.
    pub fn milestone_open(&self, repo: &str, number: u64) -> Option<bool> {
        let ri = self.find_repo(repo)?;
        self.repos[ri]
            .milestones
            .iter()
            .find(|m| m.number == number)
            .map(|m| m.open)
    }
}
