//! Version and changelog over a fixture history, as snapshots.

use super::history::{Bump, RawCommit};
use super::prepare::decide;
use super::*;
use crate::config::Config;

fn commit(n: u32, message: &str, parents: usize) -> RawCommit {
    RawCommit {
        sha: format!("{n:02}{}", "ab".repeat(19)),
        message: message.into(),
        parents,
    }
}

fn fixture() -> Vec<RawCommit> {
    vec![
        commit(1, "feat(api): add tool calls (#12)\n\nCloses #4", 1),
        commit(2, "fix: handle an empty body (#13)", 1),
        commit(3, "feat(ui)!: drop the old chat widget (#14)", 1),
        commit(
            4,
            "refactor(core): split the planner\n\nBREAKING CHANGE: `Plan::new` takes a config",
            1,
        ),
        commit(5, "Merge pull request #15 from acme/agent-1/analytics", 2),
        commit(6, "Revert \"fix: cache tokens\"", 1),
        commit(7, "revert: feat(ui): dark mode", 1),
        commit(8, "perf: stream the diff", 1),
        commit(9, "docs: explain the gate <script>@everyone", 1),
        commit(10, "chore(deps): bump tokio", 1),
        commit(11, "Update README.md", 1),
        commit(12, "WIP", 1),
    ]
}

fn links() -> Links {
    Links {
        server: "https://github.com".into(),
        repo: crate::github::Repo::new("acme", "widgets"),
    }
}

fn config(yaml: &str) -> Config {
    Config::from_yaml("t.yml", &format!("version: 1\n{yaml}")).unwrap()
}

#[test]
fn changelog_over_the_fixture_history() {
    let previous = Some(("v1.4.2".to_string(), semver::Version::new(1, 4, 2)));
    let prepared = decide("head", previous, &fixture(), &config(""), &links());
    assert_eq!(prepared.tag.as_deref(), Some("v2.0.0"));
    assert_eq!(prepared.history.merges.len(), 1);
    assert_eq!(
        prepared.history.changes.len(),
        11,
        "nothing but the merge is left out"
    );
    insta::assert_snapshot!(prepared.changelog);
}

#[test]
fn versions_follow_release_please() {
    use history::{Bump, next_version};
    let v = |s: &str| semver::Version::parse(s).unwrap();
    let plain = config("").release;
    let minor_pre =
        config("release: {bump_minor_pre_major: true, bump_patch_for_minor_pre_major: true}")
            .release;
    let table = [
        (Some("1.4.2"), Bump::Major, &plain, "2.0.0"),
        (Some("1.4.2"), Bump::Minor, &plain, "1.5.0"),
        (Some("1.4.2"), Bump::Patch, &plain, "1.4.3"),
        (Some("0.3.1"), Bump::Major, &plain, "1.0.0"),
        (Some("0.3.1"), Bump::Minor, &plain, "0.4.0"),
        (Some("0.3.1"), Bump::Patch, &plain, "0.3.2"),
        (Some("0.3.1"), Bump::Major, &minor_pre, "0.4.0"),
        (Some("0.3.1"), Bump::Minor, &minor_pre, "0.3.2"),
        (Some("1.4.2"), Bump::Major, &minor_pre, "2.0.0"),
        (None, Bump::Major, &plain, "0.1.0"),
    ];
    let got: Vec<String> = table
        .iter()
        .map(|(prev, bump, rules, _)| next_version(prev.map(v).as_ref(), *bump, rules).to_string())
        .collect();
    let want: Vec<&str> = table.iter().map(|t| t.3).collect();
    assert_eq!(got, want);
}

#[test]
fn bumps_come_from_the_biggest_change() {
    let only = |m: &str| history::bump(&history::read(&[commit(1, m, 1)]));
    assert_eq!(only("fix: x"), Some(Bump::Patch));
    assert_eq!(only("feat: x"), Some(Bump::Minor));
    assert_eq!(only("feat!: x"), Some(Bump::Major));
    assert_eq!(only("chore: x\n\nBREAKING CHANGE: y"), Some(Bump::Major));
    assert_eq!(
        only("tidy things"),
        Some(Bump::Patch),
        "a non-conventional commit still ships"
    );
    assert_eq!(
        history::bump(&history::read(&[commit(1, "Merge branch 'x'", 2)])),
        None
    );
}

#[test]
fn the_newest_release_tag_wins_and_pre_releases_are_skipped() {
    let tags = ["v1.2.0", "v1.10.0", "v2.0.0-rc.1", "other", "v1.9.9"];
    let latest = history::latest_tag(tags, "v").unwrap();
    assert_eq!(latest.0, "v1.10.0");
}
