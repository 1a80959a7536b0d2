//! The files `shiprig init` writes, by phase: the config and the workflow templates shipped in
//! `workflows-templates/`, embedded in the binary so they always match its version.

/// Where each template goes in a user's repository, and its text.
pub const GATE: (&str, &str) = (
    ".github/workflows/shiprig-gate.yml",
    include_str!("../../workflows-templates/gate.yml"),
);
pub const LIFECYCLE: (&str, &str) = (
    ".github/workflows/shiprig-lifecycle.yml",
    include_str!("../../workflows-templates/lifecycle.yml"),
);
pub const MERGE: (&str, &str) = (
    ".github/workflows/shiprig-merge.yml",
    include_str!("../../workflows-templates/merge.yml"),
);
pub const REVIEW: (&str, &str) = (
    ".github/workflows/shiprig-review.yml",
    include_str!("../../workflows-templates/review.yml"),
);
pub const COMMITS: (&str, &str) = (
    ".github/workflows/shiprig-commits.yml",
    include_str!("../../workflows-templates/commits.yml"),
);
pub(crate) const DEPLOY_STAGING: (&str, &str) = (
    ".github/workflows/shiprig-deploy.yml",
    include_str!("../../workflows-templates/deploy-staging.yml"),
);
pub const DEPLOY: (&str, &str) = (
    ".github/workflows/shiprig-deploy.yml",
    include_str!("../../workflows-templates/deploy.yml"),
);
pub const RELEASE: (&str, &str) = (
    ".github/workflows/shiprig-release.yml",
    include_str!("../../workflows-templates/release.yml"),
);
pub const MONITOR: (&str, &str) = (
    ".github/workflows/shiprig-monitor.yml",
    include_str!("../../workflows-templates/monitor.yml"),
);
pub const CONDUCTOR: (&str, &str) = (
    ".github/workflows/shiprig-conductor.yml",
    include_str!("../../workflows-templates/conductor.yml"),
);
pub const AGENT: (&str, &str) = (
    ".github/workflows/shiprig-agent.yml",
    include_str!("../../workflows-templates/agent.yml"),
);
pub(crate) const PRODUCT: (&str, &str) = (
    ".github/workflows/shiprig-product.yml",
    include_str!("../../workflows-templates/product.yml"),
);
/// Where a starting CI goes when a repository has none.
pub(crate) const STARTER_CI_PATH: &str = ".github/workflows/ci.yml";
/// The starting CI's workflow name (what the merge's `workflow_run` follows).
pub(crate) const STARTER_CI_NAME: &str = "ci";
/// The starting CI per language, in the order they are looked for: a file at the repository's
/// root that says the language, the language, the template.
pub(crate) const STARTER_CI: &[(&str, &str, &str)] = &[
    (
        "Cargo.toml",
        "Rust",
        include_str!("../../workflows-templates/ci-rust.yml"),
    ),
    (
        "go.mod",
        "Go",
        include_str!("../../workflows-templates/ci-go.yml"),
    ),
    (
        "package.json",
        "Node.js",
        include_str!("../../workflows-templates/ci-node.yml"),
    ),
    (
        "pyproject.toml",
        "Python",
        include_str!("../../workflows-templates/ci-python.yml"),
    ),
    (
        "requirements.txt",
        "Python",
        include_str!("../../workflows-templates/ci-python.yml"),
    ),
];

/// The starting CI for a repository whose root has `has(file)`: the language and the file to
/// write; `None` when no language is recognised.
pub(crate) fn starter_ci(has: impl Fn(&str) -> bool) -> Option<(&'static str, Wanted)> {
    STARTER_CI
        .iter()
        .find(|(marker, _, _)| has(marker))
        .map(|(_, language, text)| {
            let file = Wanted {
                path: STARTER_CI_PATH.to_string(),
                content: text.to_string(),
            };
            (*language, file)
        })
}

pub const CODEOWNERS: (&str, &str) = (
    ".github/CODEOWNERS.template",
    include_str!("../../CODEOWNERS.template"),
);

pub(crate) use crate::config::CONFIG_PATH;

/// How the templates in this repository pin the action. `init` writes this build's own pin
/// instead ([`crate::build_info::action_ref`]): the repository and commit it was built from.
pub(crate) const TEMPLATE_PIN: &str =
    "shiprig/shiprig@2b0955c3b98ca3d43542a178793d56999233f95e # v0.1.0";

/// Every workflow template, by the name it is installed under.
#[cfg(test)]
pub(crate) const WORKFLOWS: &[(&str, &str)] = &[
    GATE,
    LIFECYCLE,
    MERGE,
    REVIEW,
    COMMITS,
    DEPLOY_STAGING,
    DEPLOY,
    RELEASE,
    MONITOR,
    CONDUCTOR,
    AGENT,
    PRODUCT,
];

/// The environment variables the product tools' tokens come in by default.
pub(crate) const PRODUCT_TOKENS: &[&str] = &["CLICKUP_TOKEN", "ASANA_TOKEN"];

/// `template` passing only the product token `keep`, one of [`PRODUCT_TOKENS`] (the line
/// `NAME: ${{ secrets.NAME }}` of each other one is dropped); with `None`, every one.
pub(crate) fn with_product_token(template: &str, keep: Option<&str>) -> String {
    let Some(keep) = keep else {
        return template.to_string();
    };
    template
        .lines()
        .filter(|line| {
            let t = line.trim_start();
            !PRODUCT_TOKENS
                .iter()
                .any(|name| *name != keep && t.starts_with(&format!("{name}: ${{{{ secrets.")))
        })
        .map(|line| format!("{line}\n"))
        .collect()
}

/// One file `init` wants in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub path: String,
    pub content: String,
}

impl Wanted {
    fn of((path, content): (&str, &str)) -> Self {
        Wanted {
            path: path.to_string(),
            content: pinned(content),
        }
    }
}

/// A template with the action pinned to this build's repository and commit.
pub fn pinned(template: &str) -> String {
    template.replace(TEMPLATE_PIN, &crate::build_info::action_ref())
}

/// The phases: 1 gate, lifecycle, merge, commit lint, staging deploy; 2 release PR, production, smoke and
/// monitor; 3 Conductor and agents; 4 product sync.
pub(crate) const PHASES: std::ops::RangeInclusive<u8> = 1..=4;

/// The line of the merge template that lists the workflows whose end wakes the merge.
const CI_MARKER: &str = "# shiprig: ci-workflows";

/// The workflow names `shiprig-merge.yml` follows: the review relay and the repository's CI.
pub fn merge_follows(ci: &[String]) -> Vec<String> {
    let mut names = vec!["shiprig review".to_string()];
    names.extend(ci.iter().cloned());
    names
}

/// The merge template with its `workflows:` list set to `names`.
pub fn merge_with(names: &[String]) -> String {
    let list = names
        .iter()
        .map(|n| serde_json::Value::String(n.clone()).to_string())
        .collect::<Vec<_>>()
        .join(", ");
    MERGE
        .1
        .lines()
        .map(|line| match line.find(CI_MARKER) {
            Some(_) if line.trim_start().starts_with("workflows:") => {
                let indent = &line[..line.len() - line.trim_start().len()];
                format!("{indent}workflows: [{list}] {CI_MARKER}")
            }
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The CI workflows among a repository's workflow files (name, text): every workflow that is
/// not shiprig's and runs on `push` or `pull_request`, by its `name:` (GitHub's
/// `workflow_run.workflows` matches names).
pub fn ci_workflows(files: &[(String, String)]) -> Vec<String> {
    let mut names: Vec<String> = files
        .iter()
        .filter(|(file, _)| {
            !file
                .rsplit('/')
                .next()
                .unwrap_or(file)
                .starts_with("shiprig-")
        })
        .filter_map(|(file, text)| {
            let doc: serde_json::Value = serde_saphyr::from_str(text).ok()?;
            let on = doc.get("on").or_else(|| doc.get("true"))?;
            let runs_on_code = ["push", "pull_request"].iter().any(|e| match on {
                serde_json::Value::String(s) => s == e,
                serde_json::Value::Array(a) => a.iter().any(|x| x == e),
                serde_json::Value::Object(o) => o.contains_key(*e),
                _ => false,
            });
            let name = doc
                .get("name")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| file.clone());
            runs_on_code.then_some(name)
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Everything phase `phase` needs (each phase includes the ones before it).
pub fn files_for(phase: u8) -> Vec<Wanted> {
    files_following(phase, &[])
}

/// [`files_for`], with the merge following the CI workflows `ci` (see [`ci_workflows`]).
pub(crate) fn files_following(phase: u8, ci: &[String]) -> Vec<Wanted> {
    let mut files = vec![
        Wanted {
            path: CONFIG_PATH.to_string(),
            content: config_text(phase),
        },
        Wanted::of(CODEOWNERS),
        Wanted::of(GATE),
        Wanted::of(LIFECYCLE),
        Wanted {
            path: MERGE.0.to_string(),
            content: pinned(&merge_with(&merge_follows(ci))),
        },
        Wanted::of(REVIEW),
        Wanted::of(COMMITS),
    ];
    if phase >= 2 {
        files.extend([DEPLOY, RELEASE, MONITOR].map(Wanted::of));
    } else {
        files.push(Wanted::of(DEPLOY_STAGING));
    }
    // The product token the config `init` writes names (phase 4), else every default one.
    let token = (phase >= 4).then_some(PRODUCT_TOKENS[0]);
    let tokens = |(path, text): (&str, &str)| Wanted {
        path: path.to_string(),
        content: pinned(&with_product_token(text, token)),
    };
    if phase >= 3 {
        files.extend([tokens(CONDUCTOR), Wanted::of(AGENT)]);
    }
    if phase >= 4 {
        files.push(tokens(PRODUCT));
    }
    files
}

const CONFIG_HEAD: &str = r#"# shiprig's config. Every key has a default; `shiprig config validate` checks this file and
# `shiprig config schema` prints its JSON Schema for editors.
version: 1

# The human gate: a change touching these paths needs an approval from a human (not its author,
# not a bot) on its latest commit. The config, CODEOWNERS and workflows are always gated.
gate:
  rules:
    auth: {paths: ["src/auth/**", "**/session*"]}
    payments: {paths: ["src/billing/**"]}
    schema: {paths: ["migrations/**", "**/*.sql"]}
    deletion: {paths: ["src/retention/**"], diff_patterns: ['(?i)\bDELETE\s+FROM\b']}
    dependencies: {new_dependencies: true}
  humans: {min_approvals: 1, min_permission: write}

# Slack hears about deploys, agents and gates when this variable holds a webhook URL.
notify:
  slack: {webhook_url_env: SLACK_WEBHOOK_URL}

# Deploy commands are argv lists, never shell strings.
deploy:
  staging:
    command: ["./scripts/deploy.sh", "staging"]
    url: https://staging.example.com
    smoke:
      - {name: health, url: "https://staging.example.com/healthz", expect_status: 200}
"#;

const CONFIG_PRODUCTION: &str = r#"  production:
    command: ["./scripts/deploy.sh", "production"]
    url: https://example.com
    smoke:
      - {name: health, url: "https://example.com/healthz", expect_status: 200}

# Merging the release PR into the production branch tags, publishes and deploys.
release: {production_branch: production, tag_prefix: v}
"#;

const CONFIG_CONDUCTOR: &str = r#"
# The Conductor hands approved issues to idle agents, in dependency order.
approvers: {min_permission: maintain}
conductor:
  agents:
    # Each agent acts as its own GitHub account: `login` is that account, `token_secret` the
    # Actions secret holding its token (default SHIPRIG_AGENT_TOKEN). No agent's approval
    # counts as a person's.
    - {name: agent-1, login: acme-agent-1}
    # The reviewer needs an account and a token of its own: GitHub never lets an author
    # approve its own pull request. Its approval merges a change no gate rule touches.
    - {name: reviewer, login: acme-reviewer, token_secret: SHIPRIG_AGENT_TOKEN_REVIEWER}
  review_agent: reviewer
  # Every agent writes or updates tests and runs this command; the pull request says what ran.
  # test_command: cargo test
  # A review that requests changes sends the author agent back, this many times at most.
  max_review_rounds: 3
  dispatch:
    github_actions: {workflow: shiprig-agent.yml, ref: main}
  stale_after: 6h
"#;

const CONFIG_PRODUCT: &str = r#"
# The product tool the queue comes from; its token is read from this variable.
product:
  clickup: {token_env: CLICKUP_TOKEN, list: "901", ready_status: ready to build, done_status: complete}
"#;

/// The config for `phase`.
pub fn config_text(phase: u8) -> String {
    let mut text = CONFIG_HEAD.to_string();
    if phase >= 2 {
        text.push_str(CONFIG_PRODUCTION);
    }
    if phase >= 3 {
        text.push_str(CONFIG_CONDUCTOR);
    }
    if phase >= 4 {
        text.push_str(CONFIG_PRODUCT);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phase_config_is_valid_and_grows() {
        let mut previous = 0;
        for phase in PHASES {
            let text = config_text(phase);
            let config = crate::config::Config::from_yaml("init.yml", &text)
                .unwrap_or_else(|e| panic!("phase {phase}: {e}"));
            assert_eq!(config.deploy.contains_key("production"), phase >= 2);
            // Phase 3: an author agent and a review agent, each its own GitHub user.
            assert_eq!(config.conductor.agents.len(), 2 * usize::from(phase >= 3));
            assert_eq!(
                config.conductor.review_agent.as_deref(),
                (phase >= 3).then_some("reviewer")
            );
            assert!(config.conductor.agents.iter().all(|a| a.login.is_some()));
            assert_eq!(config.product.clickup.is_some(), phase >= 4);
            assert!(files_for(phase).len() >= previous);
            previous = files_for(phase).len();
        }
    }

    #[test]
    fn init_pins_the_action_to_this_build() {
        for (path, text) in WORKFLOWS.iter().filter(|(_, t)| t.contains("/shiprig@")) {
            assert!(text.contains(TEMPLATE_PIN), "{path}");
        }
        let written: String = files_for(3).into_iter().map(|f| f.content).collect();
        assert!(!written.contains(TEMPLATE_PIN));
        let pin = crate::build_info::action_ref();
        assert!(written.contains(&format!("uses: {pin}\n")), "{pin}");
        if crate::build_info::commit_known() {
            assert!(pin.contains(crate::build_info::COMMIT), "{pin}");
        }
    }

    #[test]
    fn each_phase_writes_one_deploy_workflow() {
        for phase in PHASES {
            let files = files_for(phase);
            let deploys = files.iter().filter(|f| f.path == DEPLOY.0).count();
            assert_eq!(deploys, 1, "phase {phase}");
            let mut paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
            paths.sort_unstable();
            paths.dedup();
            assert_eq!(paths.len(), files.len(), "phase {phase}: a path twice");
        }
    }
}
