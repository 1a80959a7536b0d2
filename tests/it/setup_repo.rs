//! `labels sync`, `bootstrap` and `doctor` through the binary against the GitHub emulator:
//! a bare repository shows every gap; `bootstrap` closes the labels and protection ones
//! without touching anyone else's labels or settings; after `init` is committed and
//! `bootstrap` has run, `doctor` finds nothing missing.

use std::process::Output;

use serde_json::{Value, json};
use shiprig::emulator::Emulator;
use shiprig::setup::templates;

use crate::support::emulator::{REPO, TOKEN, seeded};
use crate::support::text;

async fn shiprig(emu: &Emulator, args: &[&str]) -> Output {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_shiprig"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GITHUB_API_URL", emu.url())
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", REPO)
        .output()
        .await
        .expect("the shiprig binary runs");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains(TOKEN), "case 32: the token leaked: {all}");
    out
}

/// Installs shiprig's GitHub App (id 5150, an admin of the repository) and runs the binary as
/// it: the setup shiprig recommends, where the gate's check can be required from that App.
async fn shiprig_as_app(emu: &Emulator, args: &[&str]) -> Output {
    shiprig_as_app_with(emu, args, &[]).await
}

/// [`shiprig_as_app`] with more environment variables (`doctor` reads agents' tokens there).
async fn shiprig_as_app_with(emu: &Emulator, args: &[&str], env: &[(&str, &str)]) -> Output {
    let pem = {
        let mut m = emu.model();
        let (private, public) = crate::support::emulator::rsa_pair();
        m.register_app_named(5150, "shiprig-app", &public);
        m.add_installation(5150, "acme");
        m.set_permission(
            REPO,
            "shiprig-app[bot]",
            shiprig::emulator::Permission::Admin,
        );
        private
    };
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_shiprig"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GITHUB_API_URL", emu.url())
        .env("SHIPRIG_APP_ID", "5150")
        .env("SHIPRIG_APP_PRIVATE_KEY", &pem)
        .env("GITHUB_REPOSITORY", REPO)
        .envs(env.iter().copied())
        .output()
        .await
        .expect("the shiprig binary runs");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains(pem.trim()), "case 32: the key leaked: {all}");
    out
}

/// The seeded world with `mia` as an admin: bootstrap and doctor read and write classic branch
/// protection, which GitHub shows only to admins.
async fn admin_seeded() -> Emulator {
    let emu = seeded().await;
    emu.model()
        .set_permission(REPO, "mia", shiprig::emulator::Permission::Admin);
    emu
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)))
}

fn gaps(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}: {}",
                f["area"].as_str().unwrap(),
                f["gap"].as_str().unwrap()
            )
        })
        .collect()
}

/// Commits what `shiprig init --phase 3` writes, plus a CODEOWNERS, to main.
fn commit_phase_3(emu: &Emulator) {
    let mut files: Vec<(String, String)> = templates::files_for(3)
        .into_iter()
        .map(|f| (f.path, f.content))
        .collect();
    let config =
        shiprig::config::Config::from_yaml("shiprig.yml", &templates::config_text(3)).unwrap();
    let codeowners = shiprig::setup::codeowners::render(templates::CODEOWNERS.1, &config);
    files.push((".github/CODEOWNERS".into(), codeowners));
    let pairs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    emu.model()
        .set_files(REPO, "main", &pairs, "chore: set up shiprig");
    import_action(emu);
}

/// The action's repository with the commit this build pins, as on GitHub.
fn import_action(emu: &Emulator) {
    let mut m = emu.model();
    let (owner, name) = shiprig::build_info::REPOSITORY.split_once('/').unwrap();
    m.add_repo(owner, name, "main");
    m.set_file(
        shiprig::build_info::REPOSITORY,
        "main",
        "action.yml",
        "name: shiprig\n",
    );
    m.import_commit(
        shiprig::build_info::REPOSITORY,
        shiprig::build_info::COMMIT,
        "the build's commit",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_on_a_bare_repository_lists_every_gap_with_its_fix() {
    let emu = admin_seeded().await;
    let out = shiprig(&emu, &["--json", "doctor"]).await;
    assert_eq!(out.status.code(), Some(1), "gaps are a no");
    let report = json_of(&out);
    assert_eq!(report["ok"], false);
    assert_eq!(
        gaps(&report),
        vec![
            "config: no .github/shiprig.yml on `main`",
            "labels: missing labels: approved, blocked, in-progress, in-review, done, critical, high-priority, agent-failed, on-hold, human-gate",
            "protection: branch `main` is not protected",
            "protection: no CI check is required on `main`: PRs merge on the gate and commit lint alone",
            "codeowners: no CODEOWNERS file, so code-owner review has nobody to ask",
            "workflows: no workflow runs `shiprig gate`",
            "workflows: no workflow runs `shiprig lifecycle`",
            "workflows: no workflow runs `shiprig merge`",
            "workflows: no workflow runs `shiprig commits lint`",
        ]
    );
    let fixes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fix"].as_str().unwrap())
        .collect();
    assert!(fixes[0].contains("shiprig init"));
    assert!(fixes[1].contains("shiprig labels sync"));
    assert!(fixes[2].contains("shiprig bootstrap") && fixes[2].contains("Settings"));
    assert!(
        fixes[5].contains("shiprig init --phase 1")
            && fixes[5].contains(".github/workflows/shiprig-gate.yml")
    );
    assert!(emu.writes().is_empty(), "doctor only reads");

    let human = shiprig(&emu, &["doctor"]).await;
    let stdout = text(&human.stdout);
    assert!(stdout.starts_with("acme/widgets: 9 gap(s)"), "{stdout}");
    assert!(
        stdout.contains("    fix: run `shiprig labels sync`"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn labels_sync_owns_its_labels_and_leaves_everyone_elses() {
    let emu = admin_seeded().await;
    {
        let mut m = emu.model();
        m.set_label(REPO, "bug", "d73a4a", Some("Something is broken"));
        m.set_label(REPO, "Approved", "ffffff", None);
    }
    commit_phase_3(&emu);
    let out = shiprig(&emu, &["labels", "sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("did update label `Approved`"), "{stdout}");
    assert!(
        stdout.contains("did create label `human-gate:payments`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("did create label `agent:agent-1`"),
        "{stdout}"
    );

    let labels = emu.model().labels(REPO);
    let bug = labels.iter().find(|l| l.name == "bug").unwrap();
    assert_eq!(
        (bug.color.as_str(), bug.description.as_deref()),
        ("d73a4a", Some("Something is broken"))
    );
    let approved = labels
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case("approved"))
        .unwrap();
    assert_eq!(approved.name, "Approved", "never renamed");
    assert_eq!(approved.color, "0e8a16");
    assert_eq!(labels.len(), 2 + 9 + 5 + 2, "{labels:?}");
    let writes = emu.writes();
    assert!(writes.iter().all(|w| w.method != "DELETE"), "never deletes");
    assert!(
        writes
            .iter()
            .all(|w| w.body.as_ref().is_none_or(|b| b.get("new_name").is_none())),
        "never renames"
    );

    emu.clear_requests();
    let again = shiprig(&emu, &["labels", "sync"]).await;
    assert_eq!(text(&again.stdout), "acme/widgets: labels are in place\n");
    assert!(emu.writes().is_empty(), "a second sync changes nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn bootstrap_dry_run_writes_nothing_then_protects_keeping_a_humans_settings() {
    let emu = admin_seeded().await;
    emu.model().set_protection(
        REPO,
        "main",
        json!({"required_status_checks": {"strict": true, "contexts": ["ci / test"]},
               "enforce_admins": true, "required_pull_request_reviews": null, "restrictions": null,
               "required_linear_history": true}),
    );
    let dry = shiprig(&emu, &["--json", "bootstrap", "--dry-run"]).await;
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    let plan = json_of(&dry);
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["labels"]["applied"], 0);
    assert_eq!(plan["labels"]["changes"].as_array().unwrap().len(), 10);
    assert_eq!(
        plan["protection"]["gaps"],
        json!([{"check_not_required": {"check": "shiprig/human-gate"}},
               {"reviews_not_required": {"wanted": 1}}, "stale_approvals_kept",
               "last_push_approval_not_required", "code_owner_review_not_required"])
    );
    assert!(emu.writes().is_empty(), "--dry-run writes nothing");

    let out = shiprig(&emu, &["bootstrap"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("protected `main`, closing:"));
    let protection = emu.model().protection(REPO, "main").unwrap();
    assert_eq!(
        protection["required_status_checks"],
        json!({"strict": true, "checks": [{"context": "ci / test"}, {"context": "shiprig/human-gate"}]})
    );
    assert_eq!(protection["enforce_admins"], true);
    assert_eq!(protection["required_linear_history"], true);
    let reviews = &protection["required_pull_request_reviews"];
    assert_eq!(reviews["dismiss_stale_reviews"], true);
    assert_eq!(reviews["require_last_push_approval"], true);
    assert_eq!(reviews["require_code_owner_reviews"], true);
    let puts: Vec<_> = emu
        .writes()
        .into_iter()
        .filter(|w| w.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 1);
    assert_eq!(puts[0].path, "/repos/acme/widgets/branches/main/protection");

    emu.clear_requests();
    let again = shiprig(&emu, &["bootstrap"]).await;
    assert!(text(&again.stdout).contains("already has what the gate needs"));
    assert!(
        emu.writes().is_empty(),
        "a second bootstrap changes nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn after_init_and_bootstrap_doctor_finds_nothing_missing() {
    let emu = admin_seeded().await;
    commit_phase_3(&emu);
    commit_ci(&emu);
    create_production(&emu).await;
    let before = json_of(&shiprig(&emu, &["--json", "doctor"]).await);
    assert_eq!(
        gaps(&before)
            .iter()
            .map(|g| g.split(':').next().unwrap())
            .collect::<Vec<_>>(),
        vec!["labels", "protection", "protection", "protection"],
        "{:#?}",
        gaps(&before)
    );
    // With a token, the gate's check stays required from any source on main and production:
    // doctor says so.
    let out = shiprig(&emu, &["bootstrap"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doctor = json_of(&shiprig(&emu, &["--json", "doctor"]).await);
    let left = gaps(&doctor);
    assert_eq!(left.len(), 2, "{left:#?}");
    assert!(
        left.iter().all(|g| g.contains("from any source")),
        "{left:#?}"
    );
    let again = shiprig(&emu, &["bootstrap"]).await;
    assert!(
        text(&again.stdout).contains("note: `shiprig/human-gate` is required"),
        "{}",
        text(&again.stdout)
    );
    // As shiprig's App, bootstrap pins the check to it and nothing is missing.
    let out = shiprig_as_app(&emu, &["bootstrap"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doctor = shiprig_as_app(&emu, &["doctor"]).await;
    assert_eq!(doctor.status.code(), Some(0), "{}", text(&doctor.stdout));
    assert_eq!(
        text(&doctor.stdout),
        "acme/widgets: shiprig is set up; nothing is missing\n"
    );
}

/// `init --phase 3` names agent-1 (`acme-agent-1`) and a reviewer of its own (`acme-reviewer`,
/// token in SHIPRIG_AGENT_TOKEN_REVIEWER). `doctor` asks GitHub who each token it can see acts
/// as: the author's token stored as the reviewer's is found, as the login mismatch and as a
/// reviewer sharing the author's identity; the reviewer's own token is fine; no token leaks.
#[tokio::test(flavor = "multi_thread")]
async fn doctor_finds_an_agent_token_that_is_not_its_login_and_a_reviewer_sharing_the_authors_identity()
 {
    let emu = admin_seeded().await;
    commit_phase_3(&emu);
    commit_ci(&emu);
    create_production(&emu).await;
    {
        let mut m = emu.model();
        for (login, token) in [
            ("acme-agent-1", "ghp_agent_one"),
            ("acme-reviewer", "ghp_the_reviewer"),
        ] {
            m.add_user(login, shiprig::emulator::UserKind::User);
            m.add_token(token, login);
        }
    }
    assert_eq!(
        shiprig_as_app(&emu, &["bootstrap"]).await.status.code(),
        Some(0)
    );
    let shared = [
        ("SHIPRIG_AGENT_TOKEN", "ghp_agent_one"),
        ("SHIPRIG_AGENT_TOKEN_REVIEWER", "ghp_agent_one"),
    ];
    let out = shiprig_as_app_with(&emu, &["--json", "doctor"], &shared).await;
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains("ghp_agent_one"), "a token leaked: {all}");
    assert_eq!(
        gaps(&json_of(&out)),
        vec![
            "agents: agent `reviewer`'s token (`SHIPRIG_AGENT_TOKEN_REVIEWER`) acts as `acme-agent-1`, but its config names `acme-reviewer`: the gate and the Conductor know an agent by its login, so that user's approvals could count as a person's",
            "agents: the review agent `reviewer` acts as `acme-agent-1`, the same GitHub user as agent `agent-1`: GitHub refuses an author's approval of its own pull request, so it can never approve that agent's work",
        ]
    );
    let own = [
        ("SHIPRIG_AGENT_TOKEN", "ghp_agent_one"),
        ("SHIPRIG_AGENT_TOKEN_REVIEWER", "ghp_the_reviewer"),
    ];
    let out = shiprig_as_app_with(&emu, &["doctor"], &own).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[tokio::test(flavor = "multi_thread")]
async fn case_4_doctor_flags_a_job_named_like_the_gate_and_a_conductor_without_schedule() {
    let emu = admin_seeded().await;
    commit_phase_3(&emu);
    commit_ci(&emu);
    create_production(&emu).await;
    let conductor = templates::pinned(templates::CONDUCTOR.1).replace(
        "  schedule:\n    - cron: \"2-59/5 * * * *\" # every 5 minutes, off the busy :00 minute\n",
        "",
    );
    assert_ne!(conductor, templates::pinned(templates::CONDUCTOR.1));
    let impostor = "on: pull_request\npermissions: {}\njobs:\n  fake:\n    name: shiprig/human-gate\n    runs-on: ubuntu-24.04\n    timeout-minutes: 1\n    permissions: {}\n    steps:\n      - run: \"true\"\n";
    emu.model().set_files(
        REPO,
        "main",
        &[
            (
                ".github/workflows/shiprig-conductor.yml",
                conductor.as_str(),
            ),
            (".github/workflows/sneaky.yml", impostor),
        ],
        "ci: tweaks",
    );
    assert_eq!(
        shiprig_as_app(&emu, &["bootstrap"]).await.status.code(),
        Some(0)
    );
    let report = json_of(&shiprig_as_app(&emu, &["--json", "doctor"]).await);
    assert_eq!(
        gaps(&report),
        vec![
            "workflows: the workflow running `shiprig conductor tick` has no `schedule` trigger",
            "workflows: sneaky.yml has a job named `shiprig/human-gate`, which could pass for the gate's check",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_says_when_it_cannot_read_the_protection_and_bootstrap_fails_as_outside() {
    let emu = admin_seeded().await;
    commit_phase_3(&emu);
    let path = "/repos/acme/widgets/branches/main/protection";
    emu.inject(shiprig::emulator::Fault::status(Some("GET"), path, 403));
    let out = shiprig(&emu, &["--json", "doctor"]).await;
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out);
    let protection: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["area"] == "protection")
        .filter(|f| f["gap"].as_str().unwrap().contains("`main`"))
        .collect();
    assert_eq!(protection.len(), 1, "{report:#}");
    let gap = protection[0]["gap"].as_str().unwrap();
    assert!(
        gap.starts_with("cannot read the protection of `main`"),
        "{gap}"
    );
    assert!(gap.contains("403"), "{gap}");
    assert!(
        protection[0]["fix"]
            .as_str()
            .unwrap()
            .contains("admin rights")
    );

    let bootstrap = shiprig(&emu, &["bootstrap"]).await;
    assert_eq!(bootstrap.status.code(), Some(3), "an outside failure");
    assert!(
        emu.writes().is_empty(),
        "a failed read leaves the repository untouched"
    );
}

/// Commits every file under `dir` to main, as `git add . && git commit && git push` would.
fn commit_dir(emu: &Emulator, dir: &std::path::Path, message: &str) {
    fn walk(root: &std::path::Path, at: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(at).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    let pairs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    emu.model().set_files(REPO, "main", &pairs, message);
}

fn local(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_shiprig"))
        .args(args)
        .env_clear()
        .output()
        .unwrap()
}

/// Each fix doctor names, run as written in a scratch repository, closes the gap it names.
#[tokio::test(flavor = "multi_thread")]
async fn each_fix_doctor_names_closes_its_gap() {
    let emu = admin_seeded().await;
    import_action(&emu);
    let areas = |report: &Value| -> Vec<String> {
        gaps(report)
            .iter()
            .map(|g| g.split(':').next().unwrap().to_string())
            .collect()
    };
    let report = json_of(&shiprig(&emu, &["--json", "doctor"]).await);
    assert_eq!(
        areas(&report),
        [
            "config",
            "labels",
            "protection",
            "protection",
            "codeowners",
            "workflows",
            "workflows",
            "workflows",
            "workflows"
        ]
    );

    // "run `shiprig init --phase 1` … and commit": config and workflows.
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().to_str().unwrap();
    assert_eq!(
        local(&["init", "--phase", "1", "--dir", root])
            .status
            .code(),
        Some(0)
    );
    // "run `shiprig codeowners` … and commit .github/CODEOWNERS".
    assert_eq!(local(&["codeowners", "--dir", root]).status.code(), Some(0));
    commit_dir(&emu, scratch.path(), "ci: set up shiprig");
    let report = json_of(&shiprig(&emu, &["--json", "doctor"]).await);
    assert_eq!(
        areas(&report),
        ["labels", "protection", "protection"],
        "{report:#}"
    );

    // "run `shiprig labels sync`", then "run `shiprig bootstrap`".
    assert_eq!(
        shiprig(&emu, &["labels", "sync"]).await.status.code(),
        Some(0)
    );
    let report = json_of(&shiprig(&emu, &["--json", "doctor"]).await);
    assert_eq!(areas(&report), ["protection", "protection"]);
    // "add a CI workflow that builds and tests on `pull_request`", then "run the gate as a
    // GitHub App …, then `shiprig bootstrap`".
    commit_ci(&emu);
    assert_eq!(
        shiprig_as_app(&emu, &["bootstrap"]).await.status.code(),
        Some(0)
    );
    let done = shiprig_as_app(&emu, &["doctor"]).await;
    assert_eq!(done.status.code(), Some(0), "{}", text(&done.stdout));

    // A pin to a commit the action's repository does not have is named, with its fix.
    let workflow = emu
        .model()
        .file_at(REPO, "main", ".github/workflows/shiprig-gate.yml")
        .unwrap();
    let pin = format!("@{}", shiprig::build_info::COMMIT);
    assert!(workflow.contains(&pin), "{workflow}");
    let broken = workflow.replace(&pin, &format!("@{}", "0".repeat(40)));
    emu.model()
        .set_file(REPO, "main", ".github/workflows/shiprig-gate.yml", &broken);
    let report = json_of(&shiprig_as_app(&emu, &["--json", "doctor"]).await);
    let found = gaps(&report);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains("does not resolve"), "{}", found[0]);
    assert!(
        report["findings"][0]["fix"]
            .as_str()
            .unwrap()
            .contains("shiprig init")
    );
}

/// A CI workflow on `pull_request`: a named job, a job known by its id, a matrix job; and a
/// push-only workflow that is no pull request's CI.
fn commit_ci(emu: &Emulator) {
    let ci = "name: ci\non: [pull_request, push]\njobs:\n  test:\n    name: build and test\n    runs-on: ubuntu-latest\n    steps: [{run: cargo test}]\n  lint:\n    runs-on: ubuntu-latest\n    steps: [{run: cargo clippy}]\n  os:\n    strategy: {matrix: {os: [ubuntu-latest, macos-latest]}}\n    runs-on: ${{ matrix.os }}\n    steps: [{run: cargo build}]\n";
    let nightly = "on: {push: {branches: [main]}}\njobs:\n  bench:\n    runs-on: ubuntu-latest\n    steps: [{run: cargo bench}]\n";
    let docs = "on: {pull_request: {branches: [main, 'release/**']}}\njobs:\n  docs:\n    runs-on: ubuntu-latest\n    steps: [{run: mdbook build}]\n";
    let files = [
        (".github/workflows/ci.yml", ci),
        (".github/workflows/nightly.yml", nightly),
        (".github/workflows/docs.yml", docs),
    ];
    emu.model()
        .set_files(REPO, "main", &files, "ci: build and test pull requests");
    // The merge follows the CI, as `shiprig init` would have written it beside these files.
    let installed = emu
        .model()
        .file_at(REPO, "main", ".github/workflows/shiprig-merge.yml");
    if installed.is_some() {
        let owned: Vec<(String, String)> = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        let follows = templates::merge_follows(&templates::ci_workflows(&owned));
        let merge = templates::pinned(&templates::merge_with(&follows));
        emu.model().set_files(
            REPO,
            "main",
            &[(".github/workflows/shiprig-merge.yml", merge.as_str())],
            "ci: the merge follows CI",
        );
    }
}

/// The production branch, made from main's head by the maintainer.
async fn create_production(emu: &Emulator) {
    let sha = emu.model().branch_sha(REPO, "main").unwrap();
    let api = crate::support::emulator::Api::new(emu, Some(TOKEN));
    let (status, body) = api
        .json(
            "POST",
            "/repos/acme/widgets/git/refs",
            Some(json!({"ref": "refs/heads/production", "sha": sha})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bootstrap_protects_production_so_an_agents_token_cannot_push_to_it() {
    let emu = admin_seeded().await;
    commit_phase_3(&emu);
    create_production(&emu).await;
    emu.model().add_token("ghp_agent", "rig-agent-1");
    let agent = crate::support::emulator::Api::new(&emu, Some("ghp_agent"));
    let main = emu.model().branch_sha(REPO, "main").unwrap();
    // An agent's own commit, on its own branch.
    emu.model()
        .set_file(REPO, "agent/1", "deploy-me.txt", "unreviewed\n");
    let pushed = emu.model().branch_sha(REPO, "agent/1").unwrap();
    assert_ne!(main, pushed);

    // Before bootstrap, doctor reports the production branch as unprotected.
    let doctor = json_of(&shiprig(&emu, &["--json", "doctor"]).await);
    assert!(
        gaps(&doctor).contains(&"protection: branch `production` is not protected".to_string()),
        "{:#?}",
        gaps(&doctor)
    );

    let out = shiprig_as_app(&emu, &["bootstrap"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("protected `production`, closing:"),
        "{}",
        text(&out.stdout)
    );
    let protection = emu.model().protection(REPO, "production").unwrap();
    assert_eq!(protection["allow_force_pushes"], false);
    assert_eq!(protection["allow_deletions"], false);
    assert_eq!(protection["enforce_admins"], true);
    let reviews = &protection["required_pull_request_reviews"];
    assert_eq!(reviews["required_approving_review_count"], 1);
    assert_eq!(
        protection["required_status_checks"]["checks"],
        emu.model().protection(REPO, "main").unwrap()["required_status_checks"]["checks"],
        "production requires the same checks as main"
    );

    // The agent's token pushes to production: refused, as GitHub refuses it.
    let (status, body) = agent
        .json(
            "PATCH",
            "/repos/acme/widgets/git/refs/heads/production",
            Some(json!({"sha": pushed, "force": true})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Protected branch update failed")
    );
    let (status, _) = agent
        .json(
            "PUT",
            "/repos/acme/widgets/contents/deploy-me.txt",
            Some(json!({"message": "x", "content": "eA==", "branch": "production"})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = agent
        .json(
            "POST",
            "/repos/acme/widgets/merges",
            Some(json!({"base": "production", "head": "agent/1"})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = agent
        .json(
            "DELETE",
            "/repos/acme/widgets/git/refs/heads/production",
            None,
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        emu.model().branch_sha(REPO, "production").unwrap(),
        main,
        "production did not move"
    );

    // A second bootstrap changes nothing; doctor no longer names production.
    emu.clear_requests();
    let again = shiprig_as_app(&emu, &["bootstrap"]).await;
    assert!(
        text(&again.stdout).contains("`production` protection already has what the gate needs"),
        "{}",
        text(&again.stdout)
    );
    let writes: Vec<_> = emu
        .writes()
        .into_iter()
        .filter(|w| w.path.starts_with("/repos/"))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    let doctor = json_of(&shiprig_as_app(&emu, &["--json", "doctor"]).await);
    assert!(
        !gaps(&doctor).iter().any(|g| g.contains("`production`")),
        "{:#?}",
        gaps(&doctor)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bootstrap_says_a_missing_production_branch_is_missing_and_creates_none() {
    let emu = admin_seeded().await;
    commit_phase_3(&emu);
    let out = shiprig(&emu, &["bootstrap"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("the production branch `production` does not exist"),
        "{}",
        text(&out.stdout)
    );
    assert!(emu.model().branch_sha(REPO, "production").is_none());
    let doctor = json_of(&shiprig(&emu, &["--json", "doctor"]).await);
    assert!(
        gaps(&doctor)
            .contains(&"protection: the production branch `production` does not exist".to_string()),
        "{:#?}",
        gaps(&doctor)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bootstrap_requires_the_ci_jobs_from_github_actions_and_doctor_reports_no_ci() {
    let emu = admin_seeded().await;
    commit_phase_3(&emu);
    let no_ci = "protection: no CI check is required on `main`: PRs merge on the gate and commit lint alone";
    let doctor = json_of(&shiprig(&emu, &["--json", "doctor"]).await);
    assert!(
        gaps(&doctor).contains(&no_ci.to_string()),
        "{:#?}",
        gaps(&doctor)
    );

    // Bootstrapped without CI, only shiprig's check is required: doctor still says so.
    let out = shiprig(&emu, &["bootstrap"]).await;
    assert!(
        text(&out.stdout).contains("note: no CI check found"),
        "{}",
        text(&out.stdout)
    );
    let doctor = json_of(&shiprig(&emu, &["--json", "doctor"]).await);
    assert!(
        gaps(&doctor).contains(&no_ci.to_string()),
        "{:#?}",
        gaps(&doctor)
    );

    commit_ci(&emu);
    create_production(&emu).await;
    let out = shiprig(&emu, &["bootstrap"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("CI checks required from GitHub Actions: `build and test`, `docs`, `lint`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("note: ci.yml: os names its checks at run time"),
        "{stdout}"
    );
    let checks =
        emu.model().protection(REPO, "main").unwrap()["required_status_checks"]["checks"].clone();
    assert_eq!(
        checks,
        json!([{"context": "shiprig/human-gate"},
               {"context": "build and test", "app_id": 15368},
               {"context": "docs", "app_id": 15368},
               {"context": "lint", "app_id": 15368}]),
        "the CI jobs are required from GitHub Actions; the matrix and push-only jobs are not"
    );
    // docs.yml runs for pull requests into main only: production does not wait for it.
    let production = emu.model().protection(REPO, "production").unwrap()["required_status_checks"]
        ["checks"]
        .clone();
    assert_eq!(
        production,
        json!([{"context": "shiprig/human-gate"},
               {"context": "build and test", "app_id": 15368},
               {"context": "lint", "app_id": 15368}])
    );
    let doctor = json_of(&shiprig(&emu, &["--json", "doctor"]).await);
    assert!(
        !gaps(&doctor).iter().any(|g| g.contains("CI")),
        "{:#?}",
        gaps(&doctor)
    );
}
