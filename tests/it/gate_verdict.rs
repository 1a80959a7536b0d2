//! `gate::verdict` without HTTP: path matching (property tests against each rule's own
//! matcher), approvals per category, owners and teams, permissions, bumps, patchless files,
//! and the rendered check summary, comment and labels (insta snapshots).

use std::collections::BTreeMap;

use proptest::prelude::*;
use shiprig::config::{Config, Permission};
use shiprig::gate::approvals::{Authorship, GateReview};
use shiprig::gate::changes::{ChangedFile, Changes};
use shiprig::gate::rules::{ALWAYS_GATED, GATE_CONFIG};
use shiprig::gate::verdict::Manifest;
use shiprig::gate::{Evidence, Outcome, Rules, output, verdict};

const CONFIG: &str = r#"version: 1
conductor: {agents: [{name: agent-1, login: rig-agent-1}]}
gate:
  rules:
    auth:         {paths: ["src/auth/**", "**/session*"], owners: ["@alice", "@acme/security"]}
    payments:     {paths: ["src/billing/**"], min_approvals: 2}
    schema:       {paths: ["migrations/**", "**/*.sql"]}
    deletion:     {paths: ["src/retention/**"], diff_patterns: ['(?i)\bDELETE\s+FROM\b']}
    dependencies: {new_dependencies: true}
  teams: {acme/security: [sam]}
"#;

fn config() -> Config {
    Config::from_yaml("t.yml", CONFIG).unwrap()
}

fn evidence(files: &[&str]) -> Evidence {
    Evidence {
        head_sha: "head".into(),
        changes: Changes::complete(
            files
                .iter()
                .map(|f| ChangedFile::new(f, "modified"))
                .collect(),
        ),
        authorship: Authorship {
            author: "dev".into(),
            commit_authors: vec!["dev".into()],
            agent: Some("agent-1".into()),
            pushers: vec!["dev".into()],
            pusher_known: true,
            ..Authorship::default()
        },
        ..Evidence::default()
    }
}

fn approve(e: &mut Evidence, login: &str, permission: Permission) {
    e.reviews.push(GateReview {
        login: login.into(),
        bot: false,
        state: "APPROVED".into(),
        commit_id: e.head_sha.clone(),
        body: String::new(),
    });
    e.permissions.insert(login.to_lowercase(), Some(permission));
}

fn judge(e: &Evidence) -> shiprig::gate::GateVerdict {
    let config = config();
    verdict(e, &Rules::compile(&config.gate).unwrap(), &config)
}

#[test]
fn owners_teams_permissions_and_min_approvals_per_category() {
    let mut e = evidence(&["src/auth/login.rs", "src/billing/pay.rs"]);
    approve(&mut e, "bob", Permission::Write);
    approve(&mut e, "mallory", Permission::Read);
    let v = judge(&e);
    assert_eq!(v.outcome, Outcome::NeedsHuman);
    assert!(v.gated[0].approved_by.is_empty(), "bob is no auth owner");
    assert_eq!(v.gated[1].approved_by, ["bob"]);
    assert!(
        v.ignored
            .iter()
            .any(|i| i.login == "mallory" && i.reason.contains("write"))
    );

    approve(&mut e, "sam", Permission::Maintain);
    let v = judge(&e);
    assert_eq!(v.gated[0].approved_by, ["sam"], "sam is in @acme/security");
    assert!(
        v.gated[0].satisfied() && v.gated[1].satisfied(),
        "payments has two"
    );
    assert_eq!(v.outcome, Outcome::Pass);
}

#[test]
fn files_without_a_patch_and_binary_files_do_not_crash_the_diff_patterns() {
    let mut e = evidence(&["assets/logo.png", "src/jobs/purge.rs"]);
    e.changes.files[1].patch = Some("@@ -0,0 +1 @@\n+db.run(\"DELETE FROM users\")".into());
    let v = judge(&e);
    assert_eq!(v.gated.len(), 1);
    assert_eq!(v.gated[0].category, "deletion");
}

#[test]
fn version_bumps_follow_the_switch_and_unreadable_manifests_gate() {
    let bump = Manifest {
        path: "Cargo.toml".into(),
        base: Some("[dependencies]\nserde = \"1.0.1\"\n".into()),
        head: Some("[dependencies]\nserde = \"1.0.2\"\n".into()),
        error: None,
        included: false,
    };
    let mut e = evidence(&["Cargo.toml"]);
    e.manifests = vec![bump];
    assert!(judge(&e).passed(), "bumps are not gated by default");
    let strict = CONFIG.replace(
        "new_dependencies: true",
        "new_dependencies: true, version_bumps: true",
    );
    let config = Config::from_yaml("t.yml", &strict).unwrap();
    let v = verdict(&e, &Rules::compile(&config.gate).unwrap(), &config);
    assert_eq!(v.gated[0].category, "dependencies");

    e.manifests[0].head = Some("[dependencies".into());
    let v = judge(&e);
    assert!(output::describe(&v.gated[0].triggers[0]).contains("cannot read Cargo.toml"));
}

#[test]
fn rendered_summary_comment_and_labels() {
    let mut e = evidence(&["src/auth/session.rs", "migrations/002_add.sql"]);
    e.manifests = vec![Manifest {
        path: "Cargo.toml".into(),
        base: Some("[dependencies]\nserde = \"1\"\n".into()),
        head: Some(
            "[dependencies]\nserde = \"1\"\nrand = { git = \"https://example.com/rand\" }\n".into(),
        ),
        error: None,
        included: false,
    }];
    approve(&mut e, "alice", Permission::Write);
    approve(&mut e, "rig-agent-1", Permission::Write);
    let config = config();
    let v = judge(&e);
    insta::assert_snapshot!("summary", output::summary(&v, &config));
    insta::assert_snapshot!("comment", output::comment(&v, &config));
    // A passing verdict drops `human-gate` (nobody is waited on) and keeps the categories.
    assert_eq!(
        output::labels(&v, &config),
        [
            "human-gate:auth",
            "human-gate:dependencies",
            "human-gate:schema"
        ]
    );
    insta::assert_json_snapshot!("verdict", v);
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("src".to_string()),
        Just("auth".to_string()),
        Just("billing".to_string()),
        Just("migrations".to_string()),
        Just(".github".to_string()),
        Just("workflows".to_string()),
        Just("session.rs".to_string()),
        Just("x.sql".to_string()),
        Just("action.yml".to_string()),
        "[a-zA-Z0-9_.-]{1,8}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 1..6).prop_map(|s| s.join("/"))
}

proptest! {
    /// The one compiled set gives exactly what each rule's own matcher and the always-gated
    /// globs give, for any path.
    #[test]
    fn one_globset_agrees_with_every_rule(path in path()) {
        let config = config();
        let rules = Rules::compile(&config.gate).unwrap();
        let mut expected: Vec<String> = config
            .gate
            .rules
            .iter()
            .filter(|(_, rule)| rule.matches_path(&path))
            .map(|(name, _)| name.clone())
            .collect();
        let fixed = ALWAYS_GATED.iter().any(|g| {
            globset::GlobBuilder::new(g).literal_separator(true).build().unwrap().compile_matcher().is_match(&path)
        });
        if fixed {
            expected.push(GATE_CONFIG.to_string());
        }
        let got: Vec<String> = rules
            .path_categories(&path)
            .into_iter()
            .map(|i| rules.categories[i].name.clone())
            .collect();
        prop_assert_eq!(got, expected);
    }

    /// A rename is gated when either name is, whichever side the gated one is on.
    #[test]
    fn a_rename_is_judged_under_both_names(tail in "[a-z]{1,8}\\.rs", outside in path()) {
        for (from, to) in [
            (format!("src/auth/{tail}"), format!("zz/{outside}")),
            (format!("zz/{outside}"), format!("src/auth/{tail}")),
        ] {
            let mut file = ChangedFile::new(&to, "renamed");
            file.previous_filename = Some(from);
            let e = Evidence { head_sha: "h".into(), changes: Changes::complete(vec![file]), ..Evidence::default() };
            let v = judge(&e);
            prop_assert!(v.gated.iter().any(|g| g.category == "auth"));
        }
    }

    /// Approvals never make a gated change pass unless an eligible human approved the head.
    #[test]
    fn no_eligible_approval_never_passes(
        logins in prop::collection::vec(prop_oneof![Just("dev"), Just("rig-agent-1"), Just("bot[bot]"), Just("bob")], 0..6),
        old in any::<bool>(),
    ) {
        let mut e = evidence(&["src/auth/a.rs"]);
        for login in &logins {
            approve(&mut e, login, Permission::Admin);
        }
        if old {
            for r in &mut e.reviews { r.commit_id = "older".into(); }
        }
        prop_assert!(!judge(&e).passed());
    }
}

#[test]
fn teams_without_listed_members_count_nobody() {
    let mut e = evidence(&["src/auth/a.rs"]);
    approve(&mut e, "acme", Permission::Admin);
    let mut config = config();
    config.gate.teams = BTreeMap::new();
    let v = verdict(&e, &Rules::compile(&config.gate).unwrap(), &config);
    assert!(!v.passed());
}
