//! `shiprig::conductor::claim`, through its public API.

use chrono::DateTime;
use shiprig::conductor::claim::*;
use shiprig::github::Comment;

fn claim(id: u64, agent: &str, minute: i64) -> Claim {
    let at = DateTime::from_timestamp(1_800_000_000 + minute * 60, 0).unwrap();
    Claim {
        comment_id: id,
        agent: agent.into(),
        at,
    }
}

#[test]
fn the_lowest_live_claim_wins() {
    let mine = claim(11, "agent-1", 30);
    assert_eq!(
        loses(&mine, &[claim(10, "agent-1", 30)], |_| true).map(|c| c.comment_id),
        Some(10)
    );
    assert_eq!(loses(&mine, &[claim(12, "agent-2", 30)], |_| true), None);
    assert_eq!(
        loses(&mine, &[claim(10, "agent-2", 30)], |c| c.agent != "agent-2"),
        None,
        "withdrawn"
    );
    assert_eq!(
        loses(&mine, &[claim(3, "agent-1", 5)], |_| true),
        None,
        "an earlier round"
    );
}

#[test]
fn an_agent_failed_report_closes_the_round() {
    let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    let comment = |id, body: String| Comment {
        id,
        created_at: at,
        body: Some(body),
        user: None,
        html_url: String::new(),
    };
    let comments = [
        comment(1, marker("agent-1", "a")),
        comment(2, format!("{FAILED_MARKER}\nagent-1 did not finish")),
        comment(3, started_marker("agent-1", "b", Some(77))),
    ];
    let live = records(&comments);
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(
        (live[0].comment_id, live[0].run, live[0].started),
        (3, Some(77), true)
    );
    assert_eq!(live[0].tick, "b");
}

#[test]
fn claims_are_read_from_markers_only() {
    let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    let comment = |id, body: &str| Comment {
        id,
        created_at: at,
        body: Some(body.into()),
        user: None,
        html_url: String::new(),
    };
    let found = claims(&[
        comment(
            1,
            &format!("{}\nagent-1 is starting", marker("agent-1", "t1")),
        ),
        comment(2, "shiprig:claim agent=agent-9 without the marker"),
    ]);
    assert_eq!(
        found,
        vec![Claim {
            comment_id: 1,
            agent: "agent-1".into(),
            at
        }]
    );
}
