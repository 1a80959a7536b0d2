//! `shiprig conductor explain ISSUE`: one test per standing (dispatched, queued behind N,
//! blocked by, approval not honoured, agent failed, held, no agent free), each checked against
//! the queue of the plan a tick makes of the same repository.

use std::time::Duration;

use shiprig::conductor::explain::{ApprovalView, Explanation, IssueVerdict};
use shiprig::conductor::{self, Tick, TickPlan};
use shiprig::config::Config;
use shiprig::emulator::{Emulator, Permission, UserKind};
use shiprig::github::{GitHub, Repo};
use shiprig::notify::Notifier;

use crate::support;

const REPO: &str = "acme/web";

fn config(agents: &str) -> Config {
    let yaml = format!(
        "version: 1\napprovers: {{min_permission: write}}\nconductor:\n  agents: [{agents}]\n  \
         dispatch: {{github_actions: {{workflow: shiprig-agent.yml, ref: main}}}}\n"
    );
    Config::from_yaml("explain test", &yaml).unwrap()
}

/// `acme/web` and `acme/infra`, each with `issues` issues `pm` approved.
async fn world(issues: u64) -> (Emulator, GitHub) {
    support::service::world(&[REPO, "acme/infra"], issues, |options| {
        options.retry.budget = Duration::from_secs(5);
    })
    .await
}

/// `explain`'s answer for `issue` and the plan it read it from (the tick's plan, made with
/// every queued issue's approval read); the standing is also checked against the plan a plain
/// read-only tick makes.
async fn explain(gh: &GitHub, config: &Config, issue: u64) -> (TickPlan, Explanation) {
    let repo: Repo = REPO.parse().unwrap();
    let notifier = Notifier::default();
    let tick = Tick {
        gh,
        repo: &repo,
        config,
        notifier: &notifier,
        product: None,
        backend: None,
    };
    let now = gh.clock().now();
    let (_, ticked) = conductor::decide(&tick, now).await.unwrap();
    let (plan, explained) = conductor::explain(&tick, issue, now).await.unwrap();
    let standing = |plan: &TickPlan| {
        plan.queue
            .iter()
            .find(|e| e.issue == issue)
            .map(|e| e.standing.clone())
    };
    assert_eq!(
        standing(&ticked),
        standing(&plan),
        "explain stands where the tick does"
    );
    (plan, explained)
}

/// The explanation agrees with the plan's own queue: same place, same standing.
fn agrees_with_the_queue(plan: &TickPlan, explained: &Explanation) {
    let at = plan
        .queue
        .iter()
        .position(|e| e.issue == explained.issue)
        .expect("the issue is in the plan's queue");
    assert_eq!(explained.position, Some(at + 1), "{explained:#?}");
    assert_eq!(explained.queue_length, plan.queue.len());
    assert_eq!(
        explained.standing.as_ref(),
        Some(&plan.queue[at].standing),
        "{explained:#?}"
    );
}

async fn tick_once(gh: &GitHub, config: &Config) {
    let repo: Repo = REPO.parse().unwrap();
    let notifier = Notifier::default();
    let tick = Tick {
        gh,
        repo: &repo,
        config,
        notifier: &notifier,
        product: None,
        backend: None,
    };
    conductor::tick(&tick, gh.clock().now(), false)
        .await
        .unwrap();
}

#[tokio::test]
async fn explain_dispatched_names_the_agent_this_tick_starts() {
    let (_emu, gh) = world(1).await;
    let config = config("{name: a1}");
    let (plan, explained) = explain(&gh, &config, 1).await;
    agrees_with_the_queue(&plan, &explained);
    assert_eq!(
        explained.verdict,
        IssueVerdict::Dispatched { agent: "a1".into() }
    );
    assert!(
        matches!(&explained.approval, ApprovalView::Counts { actor, permission, .. }
            if actor == "pm" && permission.as_deref() == Some("maintain")),
        "{:?}",
        explained.approval
    );
    assert_eq!(explained.agents.idle, vec!["a1".to_string()]);
}

#[tokio::test]
async fn explain_queued_behind_counts_the_issues_ahead() {
    let (_emu, gh) = world(3).await;
    let config = config("{name: a1}");
    let (plan, explained) = explain(&gh, &config, 3).await;
    agrees_with_the_queue(&plan, &explained);
    assert_eq!(explained.verdict, IssueVerdict::QueuedBehind { ahead: 2 });
    assert_eq!(explained.position, Some(3));
    assert!(
        explained.next.contains("2 issues ahead"),
        "{}",
        explained.next
    );
}

#[tokio::test]
async fn explain_blocked_by_lists_open_blockers_across_repositories_with_links() {
    let (emu, gh) = world(2).await;
    {
        let mut m = emu.model();
        m.add_blocked_by(REPO, 1, "acme/infra", 2);
        m.add_blocked_by(REPO, 1, REPO, 2);
        m.add_blocked_by(REPO, 1, "acme/infra", 1);
        m.close_issue("acme/infra", 1, "pm");
    }
    let config = config("{name: a1}");
    let (plan, explained) = explain(&gh, &config, 1).await;
    agrees_with_the_queue(&plan, &explained);
    assert_eq!(
        explained.verdict,
        IssueVerdict::BlockedBy {
            blockers: vec!["acme/infra#2".into(), "acme/web#2".into()]
        }
    );
    let links: Vec<&str> = explained
        .blockers
        .iter()
        .filter(|b| b.open)
        .map(|b| b.url.as_str())
        .collect();
    assert_eq!(
        links,
        vec![
            "https://github.com/acme/infra/issues/2",
            "https://github.com/acme/web/issues/2"
        ]
    );
    assert!(explained.blockers.iter().any(|b| b.number == 1 && !b.open));
    assert_eq!(explained.next, "acme/infra#2, acme/web#2 closing");
}

#[tokio::test]
async fn explain_approval_not_honoured_says_who_and_why() {
    let (emu, gh) = world(0).await;
    {
        let mut m = emu.model();
        m.add_user("rex", UserKind::User);
        m.set_permission(REPO, "rex", Permission::Read);
        let n = m.create_issue(REPO, "rex wants this", "", &[], "rex");
        m.add_label(REPO, n, "approved", "rex");
    }
    let config = config("{name: a1}");
    let (plan, explained) = explain(&gh, &config, 1).await;
    agrees_with_the_queue(&plan, &explained);
    assert!(
        matches!(&explained.verdict, IssueVerdict::ApprovalNotHonoured { reason } if reason.contains("rex")),
        "{:?}",
        explained.verdict
    );
    assert!(
        matches!(&explained.approval, ApprovalView::NotHonoured { actor: Some(a), permission, .. }
            if a == "rex" && permission.as_deref() == Some("read")),
        "{:?}",
        explained.approval
    );
    assert!(plan.effects.is_empty(), "nobody is started on it");
}

#[tokio::test]
async fn explain_agent_failed_asks_a_person_to_look() {
    let (emu, gh) = world(2).await;
    emu.model()
        .add_label(REPO, 1, "agent-failed", "conductor[bot]");
    let config = config("{name: a1}");
    let (plan, explained) = explain(&gh, &config, 1).await;
    agrees_with_the_queue(&plan, &explained);
    assert_eq!(explained.verdict, IssueVerdict::AgentFailed);
    assert!(
        explained.next.contains("agent-failed"),
        "{}",
        explained.next
    );
    let (_, second) = explain(&gh, &config, 2).await;
    assert_eq!(
        second.verdict,
        IssueVerdict::Dispatched { agent: "a1".into() },
        "the failed issue does not hold the queue"
    );
}

#[tokio::test]
async fn explain_held_names_the_label_that_holds_it() {
    let (emu, gh) = world(1).await;
    emu.model().add_label(REPO, 1, "on-hold", "pm");
    let config = config("{name: a1}");
    let (plan, explained) = explain(&gh, &config, 1).await;
    agrees_with_the_queue(&plan, &explained);
    assert_eq!(
        explained.verdict,
        IssueVerdict::Held {
            label: "on-hold".into()
        }
    );
    assert_eq!(explained.next, "a person removing `on-hold`");
}

#[tokio::test]
async fn explain_no_agent_free_when_every_agent_works_and_shows_the_claim() {
    let (emu, gh) = world(1).await;
    let config = config("{name: a1}");
    tick_once(&gh, &config).await;
    let n = {
        let mut m = emu.model();
        let n = m.create_issue(REPO, "later work", "", &[], "pm");
        m.add_label(REPO, n, "approved", "pm");
        n
    };
    let (plan, explained) = explain(&gh, &config, n).await;
    agrees_with_the_queue(&plan, &explained);
    assert_eq!(explained.verdict, IssueVerdict::NoAgentFree { ahead: 0 });
    assert!(explained.agents.idle.is_empty());
    let (plan, working) = explain(&gh, &config, 1).await;
    agrees_with_the_queue(&plan, &working);
    assert_eq!(
        working.verdict,
        IssueVerdict::InProgress {
            agent: Some("a1".into())
        }
    );
    let claim = working.claim.expect("the claim is shown");
    assert_eq!(claim.agent, "a1");
    assert!(claim.since.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_as_a_command_prints_text_and_json_and_writes_nothing() {
    let (emu, _gh) = world(2).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shiprig.yml");
    std::fs::write(
        &path,
        serde_json::to_string(&serde_json::to_value(config("{name: a1}")).unwrap()).unwrap(),
    )
    .unwrap();
    let run = |json: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_shiprig"));
        command.args(["conductor", "explain", "2", "--repo", REPO]);
        if json {
            command.arg("--json");
        }
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("GITHUB_API_URL", emu.url())
            .env("GITHUB_TOKEN", support::service::TOKEN)
            .env("SHIPRIG_CONFIG", &path)
            .output()
            .unwrap()
    };
    let writes_before = emu
        .requests()
        .iter()
        .filter(|r| r.method != "GET" && r.path != "/graphql")
        .count();
    let text = run(false);
    assert!(
        text.status.success(),
        "{}",
        String::from_utf8_lossy(&text.stderr)
    );
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("acme/web#2"), "{text}");
    assert!(text.contains("queued behind 1"), "{text}");
    assert!(text.contains("queue:     2 of 2"), "{text}");
    let json = run(true);
    assert!(json.status.success());
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["verdict"]["verdict"], "queued-behind");
    assert_eq!(value["verdict"]["ahead"], 1);
    assert_eq!(value["position"], 2);
    let writes_after = emu
        .requests()
        .iter()
        .filter(|r| r.method != "GET" && r.path != "/graphql")
        .count();
    assert_eq!(writes_before, writes_after, "explain writes nothing");
}
