//! `shiprig doctor`: from what a repository really has (config, labels, branch protection,
//! workflows, CODEOWNERS), every gap in its shiprig setup and the command or setting that
//! closes it. `diagnose` is pure; the command only gathers the [`DoctorFacts`].

use serde::Serialize;

use super::codeowners;
use super::labels;
use super::protection::{self, ProtectionGap};
use super::workflows::Workflow;
use crate::config::Config;
use crate::github::{BranchProtection, RepoLabel};

/// The config as found on the default branch.
#[derive(Debug, Clone)]
pub(crate) enum ConfigFact {
    Missing,
    Invalid(String),
    Valid(Box<Config>),
}

/// Everything `doctor` reads from the repository.
#[derive(Debug, Clone)]
pub struct DoctorFacts {
    pub(crate) branch: String,
    pub(crate) config: ConfigFact,
    pub(crate) labels: Vec<RepoLabel>,
    /// `Err` when the protection could not be read (it needs admin rights).
    pub(crate) protection: Result<Option<BranchProtection>, String>,
    pub(crate) workflows: Vec<Workflow>,
    /// Workflow files that are not valid YAML, with the reason.
    pub(crate) unreadable_workflows: Vec<String>,
    /// The CODEOWNERS file found (root, `.github/` or `docs/`) and its text.
    pub(crate) codeowners: Option<(String, String)>,
    /// `.github/CODEOWNERS.template`, when the repository has one.
    pub(crate) codeowners_template: Option<String>,
    /// Each shiprig pin (`owner/shiprig@<sha>`) no commit answers to, with why.
    pub(crate) unresolved_pins: Vec<(String, String)>,
    /// shiprig's App (`SHIPRIG_APP_ID`), when it acts as one: the gate's check must come from it.
    pub(crate) app_id: Option<u64>,
    /// The branch's active ruleset rules (readable without admin rights).
    pub(crate) rules: Vec<serde_json::Value>,
    /// The production branch (`release.production_branch`), unless it is `branch` itself.
    pub(crate) production: Option<ProductionFact>,
    /// Who each agent's token acts as, for the agents whose token `doctor` could see.
    pub(crate) agent_identities: Vec<AgentIdentity>,
}

/// The GitHub user behind an agent's token.
#[derive(Debug, Clone)]
pub(crate) struct AgentIdentity {
    pub(crate) agent: String,
    /// The environment variable (the Actions secret's name) the token was read from.
    pub(crate) secret: String,
    /// The login the token acts as, or why GitHub could not say.
    pub(crate) login: Result<String, String>,
}

/// The production branch as found.
#[derive(Debug, Clone)]
pub(crate) struct ProductionFact {
    pub(crate) branch: String,
    /// `None`: the branch does not exist.
    pub(crate) protection: Option<Result<Option<BranchProtection>, String>>,
}

/// One gap and how to close it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub(crate) area: &'static str,
    pub gap: String,
    pub fix: String,
}

fn finding(area: &'static str, gap: String, fix: impl Into<String>) -> Finding {
    Finding {
        area,
        gap,
        fix: fix.into(),
    }
}

/// Every gap, in a stable order: config, labels, protection, CODEOWNERS, workflows.
pub fn diagnose(facts: &DoctorFacts) -> Vec<Finding> {
    let mut found = Vec::new();
    let defaults = Config::default();
    let config = match &facts.config {
        ConfigFact::Valid(config) => config.as_ref(),
        ConfigFact::Missing => {
            found.push(finding(
                "config",
                format!("no .github/shiprig.yml on `{}`", facts.branch),
                "run `shiprig init`, then commit .github/shiprig.yml (the defaults apply until then)",
            ));
            &defaults
        }
        ConfigFact::Invalid(message) => {
            found.push(finding(
                "config",
                format!(".github/shiprig.yml is not valid: {message}"),
                "fix the file; `shiprig config validate .github/shiprig.yml` names the line",
            ));
            &defaults
        }
    };
    let missing = labels::missing(&labels::desired(config), &facts.labels);
    if !missing.is_empty() {
        found.push(finding(
            "labels",
            format!("missing labels: {}", missing.join(", ")),
            "run `shiprig labels sync`",
        ));
    }
    let (ci, _) =
        super::workflows::ci_checks(&facts.workflows, &config.gate.check_name, &facts.branch);
    found.extend(protection_findings(
        &facts.branch,
        &facts.protection,
        facts,
        config,
        &ci,
        false,
    ));
    found.extend(ci_findings(facts, config, &ci));
    found.extend(production_findings(facts, config));
    found.extend(ruleset_findings(facts, config));
    found.extend(codeowners_findings(facts, config));
    found.extend(workflow_findings(facts, config));
    found.extend(identity_findings(facts, config));
    found.extend(
        super::triggers::findings(&facts.workflows)
            .into_iter()
            .map(|t| finding("triggers", t.gap, t.fix)),
    );
    found.extend(facts.unresolved_pins.iter().map(|(pin, why)| {
        finding(
            "workflows",
            format!("`uses: {pin}` does not resolve: {why}, so every step using it fails"),
            format!(
                "pin a commit that exists: `shiprig init --phase N --dry-run` shows the workflows pinned to this build ({})",
                crate::build_info::action_ref()
            ),
        )
    }));
    found
}

/// Each agent's token acts as the login its config names, and the review agent is a GitHub user
/// of its own: the gate and the Conductor know agents by login, and GitHub refuses an author's
/// approval of its own pull request.
fn identity_findings(facts: &DoctorFacts, config: &Config) -> Vec<Finding> {
    let mut found = Vec::new();
    let conductor = &config.conductor;
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    for id in &facts.agent_identities {
        let configured = conductor.agent_login(&id.agent);
        match (&id.login, configured.as_deref()) {
            (Err(why), _) => found.push(finding(
                "agents",
                format!("agent `{}`'s token (`{}`) could not be checked: {why}", id.agent, id.secret),
                format!("store a working token of the agent's own GitHub user in `{}`", id.secret),
            )),
            (Ok(login), Some(wanted)) if same(login, wanted) => {}
            (Ok(login), wanted) => found.push(finding(
                "agents",
                format!(
                    "agent `{}`'s token (`{}`) acts as `{login}`, but its config names {}: the gate and the Conductor know an agent by its login, so that user's approvals could count as a person's",
                    id.agent,
                    id.secret,
                    wanted.map_or("no login".to_string(), |w| format!("`{w}`"))
                ),
                format!(
                    "set `login: {login}` on agent `{}`, or store the token of its own user in `{}`",
                    id.agent, id.secret
                ),
            )),
        }
    }
    let Some(reviewer) = conductor.review_agent.as_deref() else {
        return found;
    };
    let acts_as = |agent: &str| -> Option<String> {
        facts
            .agent_identities
            .iter()
            .find(|i| i.agent == agent)
            .and_then(|i| i.login.clone().ok())
            .or_else(|| conductor.agent_login(agent))
    };
    let Some(review_login) = acts_as(reviewer) else {
        return found;
    };
    for other in conductor.agents.iter().filter(|a| a.name != reviewer) {
        if acts_as(&other.name).is_some_and(|l| same(&l, &review_login)) {
            found.push(finding(
                "agents",
                format!(
                    "the review agent `{reviewer}` acts as `{review_login}`, the same GitHub user as agent `{}`: GitHub refuses an author's approval of its own pull request, so it can never approve that agent's work",
                    other.name
                ),
                format!(
                    "give `{reviewer}` a GitHub user of its own: its `login`, and its token in the secret its `token_secret` names"
                ),
            ));
        }
    }
    found
}

/// CODEOWNERS exists and, where it is generated from the template, matches the gate's rules.
fn codeowners_findings(facts: &DoctorFacts, config: &Config) -> Option<Finding> {
    let fix = "run `shiprig codeowners` in the repository's folder and commit .github/CODEOWNERS";
    let Some((path, text)) = &facts.codeowners else {
        return Some(finding(
            "codeowners",
            "no CODEOWNERS file, so code-owner review has nobody to ask".into(),
            fix,
        ));
    };
    let template = facts.codeowners_template.as_deref()?;
    (path == codeowners::PATH && *text != codeowners::render(template, config)).then(|| {
        finding(
            "codeowners",
            format!(
                "{path} does not match the gate's rules and {}",
                codeowners::TEMPLATE_PATH
            ),
            format!("{fix}; `shiprig codeowners --check` shows the difference"),
        )
    })
}

/// The production branch: missing (when production is deployed), or protected less than the
/// default branch, or open to direct pushes.
fn production_findings(facts: &DoctorFacts, config: &Config) -> Vec<Finding> {
    let Some(production) = &facts.production else {
        return Vec::new();
    };
    let branch = &production.branch;
    let (ci, _) = super::workflows::ci_checks(&facts.workflows, &config.gate.check_name, branch);
    let ci = &ci;
    match &production.protection {
        None if config.deploy.contains_key("production") => vec![finding(
            "protection",
            format!("the production branch `{branch}` does not exist"),
            format!(
                "create it from `{}` (`git push origin {}:{branch}`), then run `shiprig bootstrap` to protect it",
                facts.branch, facts.branch
            ),
        )],
        None => Vec::new(),
        Some(protection) => protection_findings(branch, protection, facts, config, ci, true),
    }
}

/// Only shiprig's checks (or none) are required: a pull request merges on the gate and commit
/// lint alone, whatever its build and tests say.
fn ci_findings(facts: &DoctorFacts, config: &Config, ci: &[String]) -> Option<Finding> {
    let Ok(current) = &facts.protection else {
        return None;
    };
    let mut required: Vec<String> = current
        .as_ref()
        .and_then(|p| p.required_status_checks.as_ref())
        .map(|c| c.names())
        .unwrap_or_default();
    for rule in facts
        .rules
        .iter()
        .filter(|r| r["type"] == "required_status_checks")
    {
        let listed = rule.pointer("/parameters/required_status_checks");
        for c in listed.and_then(|l| l.as_array()).into_iter().flatten() {
            required.extend(c["context"].as_str().map(str::to_string));
        }
    }
    let shiprigs: Vec<&String> = facts
        .workflows
        .iter()
        .filter(|w| w.file.starts_with("shiprig-"))
        .flat_map(|w| &w.checks)
        .collect();
    let ours = |name: &String| *name == config.gate.check_name || shiprigs.contains(&name);
    if required.iter().any(|name| !ours(name)) {
        return None;
    }
    let fix = if ci.is_empty() {
        "add a CI workflow that builds and tests on `pull_request` (`shiprig init` writes one to adapt when there is none), commit it, then run `shiprig bootstrap` to require its checks".to_string()
    } else {
        format!(
            "run `shiprig bootstrap`: it requires {} from GitHub Actions",
            ci.iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Some(finding(
        "protection",
        format!(
            "no CI check is required on `{}`: PRs merge on the gate and commit lint alone",
            facts.branch
        ),
        fix,
    ))
}

fn protection_findings(
    branch: &str,
    protection: &Result<Option<BranchProtection>, String>,
    facts: &DoctorFacts,
    config: &Config,
    ci: &[String],
    production: bool,
) -> Vec<Finding> {
    let current = match protection {
        Ok(current) => current.as_ref(),
        Err(reason) => {
            return vec![finding(
                "protection",
                format!("cannot read the protection of `{branch}`: {reason}"),
                "run `shiprig doctor` with a token that has admin rights on the repository",
            )];
        }
    };
    let check = &config.gate.check_name;
    let min = config.gate.humans.min_approvals;
    let app = facts.app_id;
    let mut gaps = protection::gaps(current, check, min, app);
    gaps.extend(protection::ci_gaps(current, ci));
    if production {
        gaps.extend(protection::production_gaps(current));
    }
    gaps.into_iter()
        .map(|gap| {
            let setting = match &gap {
                ProtectionGap::Unprotected => "add a branch protection rule".to_string(),
                ProtectionGap::CheckNotRequired { check } => {
                    format!("require the status check `{check}`")
                }
                ProtectionGap::CheckFromAnySource { check, app: Some(app) } => {
                    format!("require `{check}` from the App {app} (the one shiprig posts as), not from any source")
                }
                ProtectionGap::CheckFromAnySource { check, app: None } => {
                    return finding(
                        "protection",
                        gap.describe(branch),
                        format!("run the gate as a GitHub App (set SHIPRIG_APP_ID and SHIPRIG_APP_PRIVATE_KEY), then `shiprig bootstrap` requires `{check}` from that App; a check of that name from anyone else then satisfies nothing"),
                    );
                }
                ProtectionGap::ReviewsNotRequired { wanted } => {
                    format!("require {wanted} approving review(s)")
                }
                ProtectionGap::StaleApprovalsKept => {
                    "tick \"Dismiss stale pull request approvals\"".to_string()
                }
                ProtectionGap::LastPushApprovalNotRequired => {
                    "tick \"Require approval of the most recent reviewable push\"".to_string()
                }
                ProtectionGap::CodeOwnerReviewNotRequired => {
                    "tick \"Require review from Code Owners\"".to_string()
                }
                ProtectionGap::CiCheckNotRequired { check } => format!(
                    "require the status check `{check}` from GitHub Actions"
                ),
                ProtectionGap::ForcePushesAllowed => "untick \"Allow force pushes\"".to_string(),
                ProtectionGap::DeletionsAllowed => "untick \"Allow deletions\"".to_string(),
                ProtectionGap::AdminsNotEnforced => {
                    "tick \"Do not allow bypassing the above settings\"".to_string()
                }
            };
            finding(
                "protection",
                gap.describe(branch),
                format!(
                    "run `shiprig bootstrap`, or in Settings → Branches → `{branch}`: {setting}"
                ),
            )
        })
        .collect()
}

/// A ruleset that requires the gate's check without an `integration_id` (or from GitHub
/// Actions, which every workflow posts as): any workflow or App that may write checks
/// satisfies it.
fn ruleset_findings(facts: &DoctorFacts, config: &Config) -> Vec<Finding> {
    let check = &config.gate.check_name;
    let unpinned = facts
        .rules
        .iter()
        .filter(|r| r["type"] == "required_status_checks")
        .filter(|r| {
            let listed = r.pointer("/parameters/required_status_checks");
            listed.and_then(|l| l.as_array()).is_some_and(|l| {
                l.iter().any(|c| {
                    c["context"] == check.as_str()
                        && c.get("integration_id")
                            .and_then(|i| i.as_u64())
                            .is_none_or(|i| i == crate::github::ACTIONS_APP_ID)
                })
            })
        });
    unpinned
        .map(|rule| {
            let id = rule["ruleset_id"].as_u64().unwrap_or_default();
            let app = facts
                .app_id
                .map_or("shiprig's GitHub App".to_string(), |a| format!("the App {a}"));
            finding(
                "protection",
                format!(
                    "ruleset {id} requires `{check}` on `{}` without an `integration_id`: any workflow or App that may write checks (an agent's included) can post a passing `{check}` and satisfy it",
                    facts.branch
                ),
                format!("in Settings → Rules → ruleset {id}, pick {app} as the source of `{check}`"),
            )
        })
        .collect()
}

/// A workflow shiprig needs: which command it runs, on what, and the `init` phase that writes
/// its template.
struct Need {
    command: &'static str,
    trigger: Option<&'static str>,
    template: &'static str,
    phase: u8,
}

fn needs(config: &Config) -> Vec<Need> {
    let need = |command, trigger, template, phase| Need {
        command,
        trigger,
        template,
        phase,
    };
    let mut needs = vec![
        need("gate", Some("pull_request_target"), "shiprig-gate.yml", 1),
        need("lifecycle", None, "shiprig-lifecycle.yml", 1),
        need("merge", Some("workflow_run"), "shiprig-merge.yml", 1),
        need(
            "commits lint",
            Some("pull_request"),
            "shiprig-commits.yml",
            1,
        ),
    ];
    if config.deploy.contains_key("staging") {
        needs.push(need(
            "deploy staging",
            Some("push"),
            "shiprig-deploy.yml",
            1,
        ));
    }
    if config.deploy.contains_key("production") {
        needs.push(need("release-pr", Some("push"), "shiprig-deploy.yml", 2));
        needs.push(need(
            "release publish",
            Some("push"),
            "shiprig-release.yml",
            2,
        ));
        needs.push(need("deploy production", None, "shiprig-release.yml", 2));
        needs.push(need("release shipped", None, "shiprig-release.yml", 2));
        needs.push(need(
            "smoke production",
            Some("schedule"),
            "shiprig-monitor.yml",
            2,
        ));
    }
    if !config.conductor.agents.is_empty() {
        needs.push(need(
            "conductor tick",
            Some("schedule"),
            "shiprig-conductor.yml",
            3,
        ));
    }
    needs
}

/// A product tool is configured: every workflow step that talks to it (`product pull`, and the
/// Conductor's tick, which writes `done` back) must pass its token.
pub(crate) fn product_token_findings(workflows: &[Workflow], config: &Config) -> Vec<Finding> {
    let token = match (&config.product.clickup, &config.product.asana) {
        (Some(c), _) => &c.token_env,
        (None, Some(a)) => &a.token_env,
        (None, None) => return Vec::new(),
    };
    let mut found = Vec::new();
    for command in ["product pull", "conductor tick"] {
        for w in workflows.iter().filter(|w| w.runs(command)) {
            if !w.passes(command, token) {
                found.push(finding(
                    "workflows",
                    format!(
                        "{} runs `shiprig {command}` without `{token}`, the product tool's token",
                        w.file
                    ),
                    format!("add `{token}: ${{{{ secrets.{token} }}}}` to that step's `env:`"),
                ));
            }
        }
    }
    if !workflows.iter().any(|w| w.runs("product pull")) {
        found.push(finding(
            "workflows",
            "a product tool is configured but no workflow runs `shiprig product pull`".to_string(),
            "run `shiprig init --phase 4` and commit .github/workflows/shiprig-product.yml",
        ));
    }
    found
}

fn workflow_findings(facts: &DoctorFacts, config: &Config) -> Vec<Finding> {
    let mut found: Vec<Finding> = facts
        .unreadable_workflows
        .iter()
        .map(|reason| {
            finding(
                "workflows",
                format!("a workflow is not valid YAML: {reason}"),
                "fix it; `zizmor` and `check-jsonschema --builtin-schema vendor.github-workflows` help",
            )
        })
        .collect();
    for need in needs(config) {
        let running: Vec<&Workflow> = facts
            .workflows
            .iter()
            .filter(|w| w.runs(need.command))
            .collect();
        let triggered = |w: &&Workflow| need.trigger.is_none_or(|t| w.on(t));
        if running.is_empty() {
            found.push(finding(
                "workflows",
                format!("no workflow runs `shiprig {}`", need.command),
                format!(
                    "run `shiprig init --phase {}` (it writes only the missing files) and commit .github/workflows/{}",
                    need.phase, need.template
                ),
            ));
        } else if !running.iter().any(triggered) {
            let trigger = need.trigger.unwrap_or_default();
            found.push(finding(
                "workflows",
                format!(
                    "the workflow running `shiprig {}` has no `{trigger}` trigger",
                    need.command
                ),
                format!(
                    "add `{trigger}` to its `on:`; `shiprig init --phase {} --dry-run` shows the diff to .github/workflows/{} as shipped",
                    need.phase, need.template
                ),
            ));
        }
    }
    if let Some(gha) = &config.conductor.dispatch.github_actions
        && !config.conductor.agents.is_empty()
        && !facts.workflows.iter().any(|w| w.file == gha.workflow)
    {
        found.push(finding(
            "workflows",
            format!(
                "the agent workflow .github/workflows/{} is missing",
                gha.workflow
            ),
            "run `shiprig init --phase 3` and commit it (or point conductor.dispatch at yours)",
        ));
    }
    found.extend(product_token_findings(&facts.workflows, config));
    let check = &config.gate.check_name;
    for w in &facts.workflows {
        if w.job_names.iter().any(|n| n == check) {
            found.push(finding(
                "workflows",
                format!(
                    "{} has a job named `{check}`, which could pass for the gate's check",
                    w.file
                ),
                "rename that job: only shiprig posts the gate's check",
            ));
        }
    }
    found
}
