//! `shiprig plan apply` through the real binary against the emulator: what it creates, that a
//! second run writes nothing, and that a bad plan stops before any write.

use crate::support::integrations::{file, github_env, shiprig, world};
use crate::support::text;

const PLAN: &str = "milestone: AI Chat Widget
description: Chat with the assistant from any page.
approve: true
issues:
  - key: api
    title: LLM tool API
    body: Expose the tools over HTTP.
    labels: [backend]
    priority: high
  - key: ui
    title: Chat UI component
  - key: connect
    title: Connect UI to API
    blocked_by: [api, ui]
  - key: analytics
    title: Analytics tracking
    blocked_by: [connect]
";

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_creates_its_milestone_issues_and_dependencies_once() {
    let world = world().await;
    let (_dir, path) = file("PLAN.yml", PLAN);
    let out = shiprig(&["plan", "apply", &path], github_env(&world)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let full = world.full_name();
    let first_writes = world.emulator.writes().len();
    {
        let model = world.emulator.model();
        let api = model.issue(&full, 1).unwrap();
        assert_eq!(api.title, "LLM tool API");
        assert!(
            api.body
                .as_deref()
                .unwrap()
                .contains("<!-- shiprig:plan key=api -->")
        );
        for label in ["backend", "high-priority", "approved"] {
            assert!(
                api.labels.iter().any(|l| l == label),
                "{label}: {:?}",
                api.labels
            );
        }
        assert_eq!(api.milestone.as_deref(), Some("AI Chat Widget"));
    }
    assert_eq!(blockers(&world, 3).await, vec![1, 2]);
    assert_eq!(blockers(&world, 4).await, vec![3]);
    let approvals: Vec<u64> = world
        .emulator
        .writes()
        .iter()
        .filter(|w| {
            w.body
                .as_ref()
                .is_some_and(|b| b.to_string().contains("\"approved\""))
        })
        .map(|w| w.seq)
        .collect();
    let last_dependency = world
        .emulator
        .writes()
        .iter()
        .filter(|w| w.path.ends_with("/dependencies/blocked_by"))
        .map(|w| w.seq)
        .max()
        .unwrap();
    assert!(
        approvals.iter().all(|seq| *seq > last_dependency),
        "approved comes last"
    );

    let out = shiprig(&["plan", "apply", &path], github_env(&world)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        world.emulator.writes().len(),
        first_writes,
        "the second run wrote"
    );
    assert!(
        text(&out.stdout).contains("already matches the plan"),
        "{}",
        text(&out.stdout)
    );
    println!("plan apply: first run {first_writes} writes, second run 0 writes");
}

async fn blockers(world: &shiprig::demo::World, number: u64) -> Vec<u64> {
    let mut found: Vec<u64> = world
        .gh
        .blocked_by(&world.repo, number)
        .await
        .unwrap()
        .iter()
        .map(|i| i.number)
        .collect();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_plan_writes_only_the_difference() {
    let world = world().await;
    let (_dir, path) = file("PLAN.yml", PLAN);
    shiprig(&["plan", "apply", &path], github_env(&world)).await;
    let before = world.emulator.writes().len();
    let changed = PLAN.replace("title: Chat UI component", "title: Chat UI widget");
    let (_dir2, path2) = file("PLAN.yml", &changed);
    let out = shiprig(&["--json", "plan", "apply", &path2], github_env(&world)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["update_issue"]);
    assert_eq!(world.emulator.writes().len(), before + 1);
    let full = world.full_name();
    assert_eq!(
        world.emulator.model().issue(&full, 2).unwrap().title,
        "Chat UI widget"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_the_plan_and_writes_nothing() {
    let world = world().await;
    let (_dir, path) = file("PLAN.yml", PLAN);
    let out = shiprig(&["plan", "apply", "--dry-run", &path], github_env(&world)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("would create milestone \"AI Chat Widget\""),
        "{shown}"
    );
    assert!(
        shown.contains("would mark `connect` blocked by `api`"),
        "{shown}"
    );
    assert!(world.emulator.writes().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_with_a_cycle_exits_2_and_writes_nothing() {
    let world = world().await;
    let cyclic = PLAN.replace(
        "    title: LLM tool API\n",
        "    title: LLM tool API\n    blocked_by: [analytics]\n",
    );
    let (_dir, path) = file("PLAN.yml", &cyclic);
    let out = shiprig(&["plan", "apply", &path], github_env(&world)).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("PLAN.yml:15:18"), "{err}");
    assert!(
        err.contains(
            "dependency cycle: api → blocked by analytics → blocked by connect → blocked by api"
        ),
        "{err}"
    );
    assert!(world.emulator.writes().is_empty());
    assert!(world.emulator.requests().is_empty(), "not even a read");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_references_and_duplicate_keys_exit_2() {
    let world = world().await;
    for (bad, expected) in [
        (PLAN.replace("[api, ui]", "[api, nope]"), "`nope`"),
        (PLAN.replace("key: ui", "key: api"), "duplicate key `api`"),
    ] {
        let (_dir, path) = file("PLAN.yml", &bad);
        let out = shiprig(&["plan", "apply", &path], github_env(&world)).await;
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(expected),
            "{}",
            text(&out.stderr)
        );
    }
    let (_dir, path) = file(
        "PLAN.yml",
        &PLAN.replace("key: ui", "key: ui\n    issue: 99"),
    );
    let out = shiprig(&["plan", "apply", &path], github_env(&world)).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("#99"), "{}", text(&out.stderr));
    assert!(world.emulator.writes().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_and_product_have_help() {
    for args in [
        vec!["plan", "apply", "--help"],
        vec!["product", "pull", "--help"],
    ] {
        let out = shiprig(&args, Vec::new()).await;
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let shown = text(&out.stdout);
        assert!(
            shown.contains("Usage") && shown.contains("--dry-run"),
            "{shown}"
        );
    }
}
