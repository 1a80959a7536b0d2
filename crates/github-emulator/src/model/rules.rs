//! Repository rulesets, as far as `GET /repos/{o}/{r}/rules/branches/{branch}` shows them:
//! readable with read access (unlike classic branch protection, which needs admin).

use serde_json::{Value, json};

use super::Model;

/// An active ruleset of a repository: the branches it targets and its rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Ruleset {
    pub id: u64,
    pub name: String,
    /// Branch names it applies to; `~DEFAULT_BRANCH` and `~ALL` as in GitHub's conditions.
    pub branches: Vec<String>,
    /// The rules, as GitHub spells them (`{"type": "required_status_checks", "parameters": …}`).
    pub rules: Vec<Value>,
}

impl Model {
    /// Adds an active ruleset targeting `branches`, as an admin would in the settings.
    pub fn add_ruleset(
        &mut self,
        repo: &str,
        name: &str,
        branches: &[&str],
        rules: Vec<Value>,
    ) -> u64 {
        let ri = self.seed_ri(repo);
        let id = self.next_id("ruleset");
        self.repos[ri].rulesets.push(Ruleset {
            id,
            name: name.to_string(),
            branches: branches.iter().map(|b| b.to_string()).collect(),
            rules,
        });
        id
    }

    /// A ruleset that requires these status check contexts on `branch`.
    pub fn require_checks_by_ruleset(
        &mut self,
        repo: &str,
        branch: &str,
        contexts: &[&str],
    ) -> u64 {
        let checks: Vec<Value> = contexts.iter().map(|c| json!({"context": c})).collect();
        let rule = json!({"type": "required_status_checks", "parameters": {
            "required_status_checks": checks, "strict_required_status_checks_policy": false}});
        self.add_ruleset(repo, "required checks", &[branch], vec![rule])
    }

    /// A commit pushed from elsewhere with its real SHA (say, the commit a released shiprig
    /// was built from, so a workflow pinned to it resolves): the default branch's tree, as a
    /// child of its head, on the `imported` branch.
    pub fn import_commit(&mut self, repo: &str, sha: &str, message: &str) {
        let ri = self.seed_ri(repo);
        let now = self.now();
        let r = &mut self.repos[ri];
        let head = r
            .git
            .resolve(&r.default_branch)
            .expect("the default branch exists");
        let mut commit = r.git.commits[&head].clone();
        commit.sha = sha.to_string();
        commit.parents = vec![head];
        commit.message = message.to_string();
        commit.date = now;
        r.git.commits.insert(sha.to_string(), commit);
        r.git
            .refs
            .insert("refs/heads/imported".into(), sha.to_string());
    }

    /// The required checks of `branch` pinned to one App (`(context, app_id)`), from its
    /// classic protection (`checks[].app_id`) and its rulesets (`integration_id`).
    fn pinned_checks(&self, ri: usize, branch: &str) -> Vec<(String, u64)> {
        let pin = |c: &Value, key: &str| {
            let context = c.get("context")?.as_str()?.to_string();
            let app = c.get(key)?.as_u64()?;
            Some((context, app))
        };
        let mut out: Vec<(String, u64)> = self.repos[ri]
            .protections
            .get(branch)
            .and_then(|p| p.pointer("/required_status_checks/checks"))
            .and_then(Value::as_array)
            .map(|l| l.iter().filter_map(|c| pin(c, "app_id")).collect())
            .unwrap_or_default();
        for rule in self.branch_rules_json(ri, branch) {
            let listed = rule.pointer("/parameters/required_status_checks");
            if let Some(list) = listed.and_then(Value::as_array) {
                out.extend(list.iter().filter_map(|c| pin(c, "integration_id")));
            }
        }
        out
    }

    /// Like GitHub, a merge waits until each check pinned to an App passed on the head, from
    /// that App: a check of the same name from anyone else satisfies nothing.
    pub(crate) fn pinned_checks_met(
        &self,
        ri: usize,
        branch: &str,
        head_sha: &str,
    ) -> Result<(), crate::http::ApiError> {
        for (context, app) in self.pinned_checks(ri, branch) {
            let latest = self.repos[ri]
                .checks
                .iter()
                .rev()
                .find(|c| c.head_sha == head_sha && c.name == context && c.app_id == Some(app));
            let passed = latest.is_some_and(|c| {
                matches!(
                    c.conclusion.as_deref(),
                    Some("success" | "neutral" | "skipped")
                )
            });
            if !passed {
                return Err(crate::http::ApiError::new(
                    405,
                    &format!("Required status check \"{context}\" is expected."),
                ));
            }
        }
        Ok(())
    }

    /// An integration's token (the Actions token, a GitHub App): a bot account.
    pub(crate) fn is_integration(&self, login: &str) -> bool {
        login.ends_with("[bot]")
            || self
                .user(login)
                .is_some_and(|u| u.kind == super::UserKind::Bot)
    }

    /// Every active rule that applies to `branch`, with the ruleset it comes from.
    pub(crate) fn branch_rules_json(&self, ri: usize, branch: &str) -> Vec<Value> {
        let r = &self.repos[ri];
        let applies = |target: &str| {
            target == branch
                || target == "~ALL"
                || (target == "~DEFAULT_BRANCH" && branch == r.default_branch)
        };
        r.rulesets
            .iter()
            .filter(|s| s.branches.iter().any(|t| applies(t)))
            .flat_map(|s| {
                s.rules.iter().map(|rule| {
                    let mut rule = rule.clone();
                    rule["ruleset_source_type"] = json!("Repository");
                    rule["ruleset_source"] = json!(r.full_name());
                    rule["ruleset_id"] = json!(s.id);
                    rule
                })
            })
            .collect()
    }

    /// Like GitHub, a branch whose protection requires pull request reviews takes no direct
    /// push (ref update, deletion, contents commit, `POST /merges`): 422 "Protected branch
    /// update failed". Admins pass unless the protection is enforced for them too.
    pub(crate) fn direct_push_allowed(
        &self,
        ri: usize,
        reference: &str,
        actor: &str,
    ) -> Result<(), crate::http::ApiError> {
        let branch = reference.strip_prefix("refs/heads/").unwrap_or(reference);
        let Some(protection) = self.repos[ri].protections.get(branch) else {
            return Ok(());
        };
        let reviews = protection
            .get("required_pull_request_reviews")
            .is_some_and(|r| !r.is_null());
        let enforced = |v: &Value| v.as_bool().or_else(|| v["enabled"].as_bool()) == Some(true);
        let admins = protection.get("enforce_admins").is_some_and(enforced);
        let admin = self.permission_of(ri, actor) == Some(super::Permission::Admin);
        if reviews && (admins || !admin) {
            return Err(crate::http::ApiError::new(
                422,
                &format!(
                    "Protected branch update failed for refs/heads/{branch}: Changes must be made through a pull request."
                ),
            ));
        }
        Ok(())
    }
}
