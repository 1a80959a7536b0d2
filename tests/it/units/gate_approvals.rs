//! `shiprig::gate::approvals`, through its public API.

use shiprig::config::Config;
use shiprig::gate::approvals::*;
use std::collections::BTreeMap;

fn review(login: &str, state: &str, sha: &str) -> GateReview {
    GateReview {
        login: login.into(),
        bot: false,
        state: state.into(),
        commit_id: sha.into(),
        body: String::new(),
    }
}

fn by() -> Authorship {
    Authorship {
        author: "dev".into(),
        commit_authors: vec!["pusher".into()],
        ..Authorship::default()
    }
}

#[test]
fn case_10_pushers_unlinked_writers_and_co_authors_do_not_count() {
    let config = Config::default();
    let mut by = by();
    by.pushers = vec!["Pat".into()];
    by.identities = co_authors("fix: x\n\nCo-authored-by: Carol Q <carol.q@example.com>\n");
    by.identities.push(Identity {
        name: "Someone".into(),
        email: "123+erin@users.noreply.github.com".into(),
    });
    let reviews = [
        review("pat", "APPROVED", "h"),
        review("carolq", "APPROVED", "h"),
        review("carol-q", "APPROVED", "h"),
        review("erin", "APPROVED", "h"),
        review("alice", "APPROVED", "h"),
    ];
    let s = standing(&reviews, "h", &by, &config);
    assert_eq!(s.approvers, ["alice"]);
    assert_eq!(s.ignored.len(), 4, "{:?}", s.ignored);
}

#[test]
fn latest_decisive_review_wins_and_comments_change_nothing() {
    let config = Config::default();
    let reviews = [
        review("alice", "APPROVED", "h"),
        review("alice", "COMMENTED", "h"),
        review("bob", "APPROVED", "h"),
        review("bob", "CHANGES_REQUESTED", "h"),
        review("carol", "APPROVED", "h"),
        review("carol", "DISMISSED", "h"),
    ];
    assert_eq!(standing(&reviews, "h", &by(), &config).approvers, ["alice"]);
}

#[test]
fn authors_bots_and_old_commits_do_not_count() {
    let config = Config::from_yaml(
        "t.yml",
        "conductor: {agents: [{name: agent-1, login: rig-agent-1}]}",
    )
    .unwrap();
    let mut bot = review("helper", "APPROVED", "h");
    bot.bot = true;
    let mut signed = review("shared", "APPROVED", "h");
    signed.body = "LGTM\n\nShiprig-Agent: agent-2".into();
    let reviews = [
        review("dev", "APPROVED", "h"),
        review("pusher", "APPROVED", "h"),
        review("github-actions[bot]", "APPROVED", "h"),
        review("rig-agent-1", "APPROVED", "h"),
        review("old", "APPROVED", "a"),
        bot,
        signed,
    ];
    let s = standing(&reviews, "h", &by(), &config);
    assert!(s.approvers.is_empty());
    assert_eq!(s.ignored.len(), 7);
}

#[test]
fn owners_are_users_or_listed_team_members() {
    let teams = BTreeMap::from([("acme/security".to_string(), vec!["Alice".to_string()])]);
    let owners = vec!["@acme/security".to_string(), "@bob".to_string()];
    assert!(is_owner("alice", &owners, &teams));
    assert!(is_owner("bob", &owners, &teams));
    assert!(!is_owner("carol", &owners, &teams));
    assert!(!is_owner("acme", &["@acme/unlisted".into()], &teams));
    assert!(is_owner("anyone", &[], &teams));
}
