//! `doctor`'s trigger report: triggers GitHub would never fire for the repository's shiprig
//! workflows, and a merge whose events start nothing.

use super::*;
use crate::setup::templates;
use crate::setup::workflows::{Workflow, read};

fn wf(file: &str, text: &str) -> Workflow {
    read(file, text).unwrap()
}

const CI: &str = "name: CI\non: [push, pull_request]\njobs: {}\n";

/// The merge as shipped before: it waited on `check_suite`/`check_run` after Actions CI, and
/// merged with the Actions token.
const OLD_MERGE: &str = r#"name: shiprig merge
on:
  pull_request_review: {types: [submitted]}
  check_suite: {types: [completed]}
  check_run: {types: [completed]}
jobs:
  merge:
    steps:
      - uses: shiprig/shiprig@2b0955c3b98ca3d43542a178793d56999233f95e
        with: {command: merge}
"#;

#[test]
fn check_suite_after_actions_ci_and_a_merge_as_the_actions_token_are_reported() {
    let found = findings(&[wf("ci.yml", CI), wf("shiprig-merge.yml", OLD_MERGE)]);
    let gaps: Vec<&str> = found.iter().map(|f| f.gap.as_str()).collect();
    assert_eq!(found.len(), 4, "{gaps:#?}");
    assert!(
        gaps[0].contains("`check_suite`") && gaps[0].contains("(CI)"),
        "{}",
        gaps[0]
    );
    assert!(gaps[1].contains("`check_run`"), "{}", gaps[1]);
    assert!(
        gaps[2].contains("follows none of the CI workflows"),
        "{}",
        gaps[2]
    );
    assert!(
        gaps[3].contains("merges with the Actions token"),
        "{}",
        gaps[3]
    );
    assert!(
        found[0].fix.contains("workflow_run: {workflows: [CI]"),
        "{}",
        found[0].fix
    );
    assert!(found[3].fix.contains("SHIPRIG_APP_ID"), "{}", found[3].fix);
}

#[test]
fn check_suite_without_actions_ci_is_left_alone() {
    // CI from an external App raises check suites that do start workflows.
    let found = findings(&[wf("shiprig-merge.yml", OLD_MERGE)]);
    assert!(
        found.iter().all(|f| !f.gap.contains("check_")),
        "{found:#?}"
    );
}

#[test]
fn a_workflow_run_of_a_name_nobody_has_is_reported() {
    let merge = templates::merge_with(&["shiprig review".into(), "Tests".into()]);
    let found = findings(&[
        wf("ci.yml", CI),
        wf("shiprig-merge.yml", &merge),
        wf("shiprig-review.yml", templates::REVIEW.1),
    ]);
    // `Tests` is no workflow's name, and the real CI is followed by nobody.
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].gap.contains("`Tests`"), "{}", found[0].gap);
    assert!(
        found[1].gap.contains("follows none of the CI"),
        "{}",
        found[1].gap
    );
}

#[test]
fn the_shipped_templates_with_their_ci_are_clean() {
    let merge = templates::merge_with(&templates::merge_follows(&["CI".into()]));
    let mut all = vec![wf("ci.yml", CI), wf("shiprig-merge.yml", &merge)];
    for (path, text) in templates::WORKFLOWS {
        let file = path.rsplit('/').next().unwrap();
        if file != "shiprig-merge.yml" {
            all.push(wf(file, text));
        }
    }
    assert_eq!(findings(&all), Vec::new());
}

/// Issue 25: a product tool is configured, so `product pull` and the Conductor's tick need its
/// token. The templates `init --phase 4` writes pass it; a Conductor passing only ClickUp's
/// token to an Asana rig is reported, and so is a rig with no `product pull` at all.
#[test]
fn a_product_token_the_workflows_do_not_pass_is_reported() {
    use crate::config::Config;
    use crate::setup::doctor::product_token_findings;
    let phase_4: Vec<Workflow> = templates::files_for(4)
        .into_iter()
        .filter(|w| w.path.starts_with(".github/workflows/"))
        .map(|w| wf(&w.path, &w.content))
        .collect();
    let config = Config::from_yaml(".github/shiprig.yml", &templates::config_text(4)).unwrap();
    assert!(config.product.clickup.is_some());
    assert_eq!(product_token_findings(&phase_4, &config), []);
    let product = phase_4
        .iter()
        .find(|w| w.file.ends_with("shiprig-product.yml"))
        .unwrap();
    assert!(product.passes("product pull", "CLICKUP_TOKEN"));
    assert!(
        !product.passes("product pull", "ASANA_TOKEN"),
        "only the one the config names"
    );

    let asana = Config::from_yaml(
        "t.yml",
        "version: 1\nproduct:\n  asana: {project: \"1\", ready_section: Ready}\n",
    )
    .unwrap();
    let gaps: Vec<String> = product_token_findings(&phase_4, &asana)
        .into_iter()
        .map(|f| f.gap)
        .collect();
    assert_eq!(gaps.len(), 2, "{gaps:#?}");
    assert!(
        gaps.iter().all(|g| g.contains("without `ASANA_TOKEN`")),
        "{gaps:#?}"
    );

    let without_product: Vec<Workflow> = phase_4
        .into_iter()
        .filter(|w| !w.file.ends_with("shiprig-product.yml"))
        .collect();
    let gaps = product_token_findings(&without_product, &config);
    assert_eq!(gaps.len(), 1, "{gaps:#?}");
    assert!(
        gaps[0]
            .gap
            .contains("no workflow runs `shiprig product pull`")
    );
    // With no product tool known, the Conductor passes both tokens.
    let phase_3 = templates::files_for(3);
    let conductor = phase_3
        .iter()
        .find(|w| w.path.ends_with("shiprig-conductor.yml"))
        .unwrap();
    let conductor = wf(&conductor.path, &conductor.content);
    assert!(conductor.passes("conductor tick", "CLICKUP_TOKEN"));
    assert!(conductor.passes("conductor tick", "ASANA_TOKEN"));
}
