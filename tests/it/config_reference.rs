//! The full example config (docs/configuration.md#a-full-example) loads and means what it says;
//! defaults fill the rest.

use std::path::Path;
use std::time::Duration as StdDuration;

use shiprig::config::{Config, Duration, Permission};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

fn reference() -> Config {
    Config::load(&fixture("reference.yml")).unwrap_or_else(|err| panic!("{err}"))
}

/// The fixture is the full example of docs/configuration.md, kept in the repository so a fresh
/// clone needs nothing beside it: every top-level section the example sets is there, in its
/// order.
#[test]
fn reference_config_has_every_section_of_the_design_brief() {
    let fixture = std::fs::read_to_string(fixture("reference.yml")).unwrap();
    let sections: Vec<&str> = fixture
        .lines()
        .filter(|l| !l.starts_with([' ', '#']) && !l.is_empty())
        .filter_map(|l| l.split(':').next())
        .collect();
    assert_eq!(
        sections,
        [
            "version",
            "labels",
            "approvers",
            "conductor",
            "notify",
            "product",
            "gate",
            "deploy",
            "release"
        ]
    );
}

#[test]
fn reference_config_conductor() {
    let config = reference();
    assert_eq!(config.version, 1);
    assert_eq!(config.approvers.min_permission, Permission::Maintain);
    let agents = &config.conductor.agents;
    assert_eq!(agents.len(), 2);
    assert_eq!(agents[0].name, "agent-1");
    assert_eq!(agents[0].login.as_deref(), Some("rig-agent-1"));
    assert_eq!(agents[1].name, "agent-2");
    assert_eq!(agents[1].login.as_deref(), Some("rig-agent-2"));
    let gha = config.conductor.dispatch.github_actions.as_ref().unwrap();
    assert_eq!(gha.workflow, "shiprig-agent.yml");
    assert_eq!(gha.git_ref, "main");
    assert!(config.conductor.dispatch.kubernetes.is_none());
    assert_eq!(
        config.conductor.stale_after,
        Duration(StdDuration::from_secs(6 * 3600))
    );
    assert_eq!(config.conductor.max_fix_attempts, 2);
}

#[test]
fn reference_config_labels_notify_product_release() {
    let config = reference();
    assert_eq!(config.labels.in_progress, "in-progress");
    assert_eq!(config.labels.high_priority, "high-priority");
    assert_eq!(
        config.labels.agent_failed, "agent-failed",
        "left out: default"
    );
    let slack = config.notify.slack.as_ref().unwrap();
    assert_eq!(slack.webhook_url_env, "SLACK_WEBHOOK_URL");
    let clickup = config.product.clickup.as_ref().unwrap();
    assert_eq!(clickup.list, "901");
    assert_eq!(clickup.token_env, "CLICKUP_TOKEN");
    assert_eq!(clickup.ready_status, "ready to build");
    assert_eq!(clickup.done_status, "complete");
    assert!(config.product.asana.is_none());
    assert_eq!(config.release.production_branch, "production");
    assert_eq!(config.release.main_branch, "main");
    assert_eq!(config.release.tag_prefix, "v");
}

#[test]
fn reference_config_gate() {
    let config = reference();
    let rules = &config.gate.rules;
    let names: Vec<&str> = rules.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["auth", "deletion", "dependencies", "payments", "schema"]
    );

    let auth = &rules["auth"];
    assert!(auth.matches_path("src/auth/login.rs"));
    assert!(auth.matches_path("app/session_store.rs"));
    assert!(auth.matches_path("src/auth/oauth/google.rs"));
    assert!(!auth.matches_path("src/billing/invoice.rs"));
    assert_eq!(auth.owners, ["@acme/security"]);
    assert_eq!(auth.required_approvals(&config.gate.humans), 1);

    let deletion = &rules["deletion"];
    assert!(deletion.matches_diff_line("delete from users"));
    assert!(deletion.matches_diff_line("    sqlx::query(\"DELETE  FROM sessions\")"));
    assert!(!deletion.matches_diff_line("undeleted_from_cache()"));
    assert!(deletion.matches_path("src/retention/purge.rs"));

    let schema = &rules["schema"];
    assert!(schema.matches_path("migrations/0001_init.sql"));
    assert!(schema.matches_path("db/seed.sql"));
    assert!(rules["dependencies"].new_dependencies);
    assert!(!rules["dependencies"].version_bumps);
    assert!(!rules["dependencies"].matches_path("Cargo.toml"));

    assert_eq!(config.gate.humans.min_approvals, 1);
    assert_eq!(config.gate.humans.min_permission, Permission::Write);
    assert_eq!(config.gate.check_name, "shiprig/human-gate");
}

#[test]
fn reference_config_deploy() {
    let config = reference();
    let staging = &config.deploy["staging"];
    assert_eq!(staging.command, ["./scripts/deploy.sh", "staging"]);
    assert_eq!(staging.url.as_deref(), Some("https://staging.example.com"));
    assert_eq!(staging.timeout.to_string(), "30m");
    assert_eq!(staging.smoke_deadline.to_string(), "2m");
    let health = &staging.smoke[0];
    assert_eq!(health.name, "health");
    assert_eq!(health.url, "https://staging.example.com/healthz");
    assert_eq!(health.method, "GET");
    assert_eq!(health.expected_status(), 200);
    assert_eq!(health.expect_body.as_deref(), Some("ok"));
}

#[test]
fn empty_file_and_version_alone_are_the_defaults() {
    let empty = Config::from_yaml("empty.yml", "").unwrap();
    assert_eq!(empty, Config::default());
    assert_eq!(
        Config::from_yaml("v.yml", "version: 1\n").unwrap(),
        Config::default()
    );
    assert_eq!(
        Config::from_yaml("c.yml", "# nothing yet\n").unwrap(),
        Config::default()
    );
}

#[test]
fn defaults_are_the_documented_ones() {
    let config = Config::default();
    assert_eq!(config.version, 1);
    assert_eq!(config.labels.approved, "approved");
    assert_eq!(config.labels.hold, "on-hold");
    assert_eq!(config.labels.agent_prefix, "agent:");
    assert_eq!(config.labels.human_gate, "human-gate");
    assert_eq!(config.approvers.min_permission, Permission::Maintain);
    assert_eq!(config.conductor.stale_after.to_string(), "6h");
    assert_eq!(config.conductor.max_fix_attempts, 2);
    assert_eq!(config.conductor.max_review_rounds, 3);
    assert_eq!(config.conductor.test_command, None);
    assert_eq!(config.conductor.review_agent, None);
    assert!(config.conductor.dispatch.backend().is_none());
    assert_eq!(config.gate.check_name, "shiprig/human-gate");
    assert_eq!(config.gate.humans.min_approvals, 1);
    assert!(config.deploy.is_empty());
    assert_eq!(config.release.main_branch, "main");
}

#[test]
fn section_defaults_inside_a_set_section() {
    let text = "conductor:\n  dispatch:\n    kubernetes: {job_template: k8s/agent-job.yml}\n\
                notify:\n  slack: {}\n";
    let config = Config::from_yaml("k.yml", text).unwrap();
    let k8s = config.conductor.dispatch.kubernetes.as_ref().unwrap();
    assert_eq!(k8s.namespace, "default");
    assert_eq!(k8s.active_deadline.to_string(), "6h");
    assert_eq!(k8s.ttl_after_finished.to_string(), "1h");
    assert_eq!(
        config.notify.slack.unwrap().webhook_url_env,
        "SLACK_WEBHOOK_URL"
    );
}

#[test]
fn full_smoke_check_reads() {
    let text = r#"
deploy:
  production:
    command: [./deploy.sh]
    before: [[./migrate.sh, --yes]]
    smoke:
      - name: version
        url: https://example.com/version
        method: HEAD
        headers: {Accept: application/json}
        expect_status: 204
        expect_body_regex: '^ok'
        expect_json: {/status: ok, /replicas: 3}
        max_latency_ms: 500
        expect_version: {pointer: /sha}
"#;
    let config = Config::from_yaml("s.yml", text).unwrap();
    let env = &config.deploy["production"];
    assert_eq!(env.before, [["./migrate.sh", "--yes"]]);
    let check = &env.smoke[0];
    assert_eq!(check.expected_status(), 204);
    assert_eq!(check.expect_json["/status"], serde_json::json!("ok"));
    assert_eq!(check.expect_json["/replicas"], serde_json::json!(3));
    assert!(
        check
            .expect_body_regex
            .as_ref()
            .unwrap()
            .is_match("ok then")
    );
    assert_eq!(
        check.expect_version.as_ref().unwrap().pointer.as_deref(),
        Some("/sha")
    );
}

#[test]
fn permission_from_github() {
    assert_eq!(Permission::from_github("admin"), Some(Permission::Admin));
    assert_eq!(
        Permission::from_github("maintain"),
        Some(Permission::Maintain)
    );
    assert_eq!(Permission::from_github("push"), Some(Permission::Write));
    assert_eq!(Permission::from_github("pull"), Some(Permission::Read));
    assert_eq!(Permission::from_github("none"), None);
    assert!(Permission::Maintain > Permission::Write);
    assert!(Permission::Read < Permission::Triage);
}

#[test]
fn serialized_config_reads_back_the_same() {
    let config = reference();
    let yaml = serde_saphyr::to_string(&config).unwrap();
    let again = Config::from_yaml("roundtrip.yml", &yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    assert_eq!(again, config);
}
