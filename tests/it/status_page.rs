//! The status page of `conductor run` in a real headless browser (Chromium from the system's
//! packages; `.ci/run` installs it): a world of 3 repositories and 60 issues, the DOM checked
//! for the queue's order, the reasons, a blocked issue's blockers and the graph's edges, and a
//! screenshot taken. Without Chromium this fails: the page is only proven in a browser.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use regex::Regex;
use shiprig::emulator::Emulator;

use crate::support;
use crate::support::service::TOKEN;

const REPOS: [&str; 3] = ["acme/web", "acme/api", "acme/infra"];

fn config_yaml() -> &'static str {
    "version: 1\napprovers: {min_permission: write}\nconductor:\n  \
     agents: [{name: a1}, {name: a2}, {name: a3}]\n  \
     dispatch: {github_actions: {workflow: shiprig-agent.yml, ref: main}}\n  \
     repositories: [acme/web, acme/api, acme/infra]\n  request_budget: 300\n"
}

/// 3 repositories of 20 approved issues each; in `acme/web` a milestone of #1–#6 where #1
/// blocks #2 and #3, both block #4, and #5 waits on `acme/infra#20`; #7 is critical.
async fn world() -> Emulator {
    let (emulator, _) = support::service::world(&REPOS, 20, |_| {}).await;
    {
        let mut m = emulator.model();
        let milestone = m.create_milestone("acme/web", "Checkout v2");
        for n in 1..=6 {
            m.set_milestone("acme/web", n, milestone);
        }
        m.add_blocked_by("acme/web", 2, "acme/web", 1);
        m.add_blocked_by("acme/web", 3, "acme/web", 1);
        m.add_blocked_by("acme/web", 4, "acme/web", 2);
        m.add_blocked_by("acme/web", 4, "acme/web", 3);
        m.add_blocked_by("acme/web", 5, "acme/infra", 20);
        m.add_label("acme/web", 7, "critical", "pm");
        m.edit_issue(
            "acme/web",
            6,
            Some("Render <b>receipts</b> & \"totals\""),
            None,
            "pm",
        );
    }
    emulator
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `shiprig conductor run` against the emulator, one loop an hour (the first one runs at once).
pub fn spawn_service(emulator: &Emulator, dir: &Path, port: u16, yaml: &str) -> Child {
    let config = dir.join("shiprig.yml");
    std::fs::write(&config, yaml).unwrap();
    Command::new(env!("CARGO_BIN_EXE_shiprig"))
        .args([
            "conductor",
            "run",
            "--interval",
            "1h",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GITHUB_API_URL", emulator.url())
        .env("GITHUB_REPOSITORY", "acme/web")
        .env("GITHUB_TOKEN", TOKEN)
        .env("SHIPRIG_CONFIG", &config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts")
}

/// The JSON state once every repository has ticked.
pub async fn ticked(port: u16, repos: usize) -> serde_json::Value {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/api/v1/state"))
            .send()
            .await
        else {
            continue;
        };
        let state: serde_json::Value = response.json().await.unwrap();
        let done = state["repositories"]
            .as_array()
            .is_some_and(|r| r.len() == repos && r.iter().all(|r| r["result"] != "pending"));
        if done {
            return state;
        }
    }
    panic!("the service did not tick every repository");
}

fn chromium() -> String {
    for name in ["chromium", "chromium-browser"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if found {
            return name.to_string();
        }
    }
    panic!("Chromium is not installed: `.ci/run` installs the `chromium` package");
}

/// Chromium, headless, with a profile of its own; root needs `--no-sandbox`.
fn headless(profile: &Path, extra: &[&str], url: &str) -> std::process::Output {
    let mut command = Command::new(chromium());
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--hide-scrollbars",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    command.args(extra).arg(url);
    command.output().expect("chromium runs")
}

fn section<'a>(dom: &'a str, repo: &str) -> &'a str {
    let start = dom
        .find(&format!(
            "<section class=\"repository\" data-repo=\"{repo}\""
        ))
        .unwrap_or_else(|| panic!("no section for {repo}"));
    let end = dom[start..].find("</section>").unwrap() + start;
    &dom[start..end]
}

fn table<'a>(section: &'a str, class: &str) -> &'a str {
    let start = section
        .find(&format!("<table class=\"{class}\""))
        .unwrap_or_else(|| panic!("no {class} table"));
    let end = section[start..].find("</table>").unwrap() + start;
    &section[start..end]
}

#[tokio::test(flavor = "multi_thread")]
async fn the_status_page_in_a_headless_browser_shows_queue_reasons_blockers_and_edges() {
    let browser = chromium();
    let emulator = world().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = spawn_service(&emulator, dir.path(), port, config_yaml());
    let state = ticked(port, 3).await;
    let url = format!("http://127.0.0.1:{port}/");

    let dumped = headless(&dir.path().join("dom"), &["--dump-dom"], &url);
    let shot = dir.path().join("status-page.png");
    let screenshot = headless(
        &dir.path().join("shot"),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2200",
        ],
        &url,
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        dumped.status.success(),
        "{browser}: {}",
        String::from_utf8_lossy(&dumped.stderr)
    );
    let dom = String::from_utf8(dumped.stdout).unwrap();
    let web = section(&dom, "acme/web");

    // The queue in the plan's order: the critical issue first, then by approval.
    let queue = table(web, "queue");
    let rows = Regex::new(r#"<tr data-issue="(\d+)" data-state="([a-z-]+)">"#).unwrap();
    let order: Vec<u64> = rows
        .captures_iter(queue)
        .map(|c| c[1].parse().unwrap())
        .collect();
    let web_state = state["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["repository"] == "acme/web")
        .unwrap();
    let expected: Vec<u64> = web_state["queue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["issue"]["number"].as_u64().unwrap())
        .collect();
    assert_eq!(order, expected, "the page shows the plan's order");
    assert_eq!(order.len(), 20);
    assert_eq!(order[0], 7, "the critical issue leads");

    // Reasons: a blocked issue says so, and one agent took the critical issue.
    let states: Vec<(u64, String)> = rows
        .captures_iter(queue)
        .map(|c| (c[1].parse().unwrap(), c[2].to_string()))
        .collect();
    for blocked in [2, 3, 4, 5] {
        assert!(
            states.contains(&(blocked, "blocked".into())),
            "#{blocked}: {states:?}"
        );
    }
    assert!(
        queue.contains("<td class=\"reason\">blocked</td>"),
        "the reason is shown"
    );
    assert!(
        Regex::new(r#"data-issue="7" data-state="next">.*?<td class="reason">starting: a\d</td>"#)
            .unwrap()
            .is_match(queue),
        "{queue}"
    );

    // A blocked issue's blockers, across repositories, linked.
    let blocked = table(web, "blocked");
    let five = &blocked[blocked.find("<tr data-issue=\"5\"").expect("#5 is listed")..];
    let five = &five[..five.find("</tr>").unwrap()];
    assert!(
        five.contains("href=\"https://github.com/acme/infra/issues/20\"")
            && five.contains(">acme/infra#20</a>"),
        "{five}"
    );
    let four = &blocked[blocked.find("<tr data-issue=\"4\"").expect("#4 is listed")..];
    let four = &four[..four.find("</tr>").unwrap()];
    assert!(
        four.contains("acme/web#2") && four.contains("acme/web#3"),
        "{four}"
    );

    // The milestone's graph, drawn by the server, with every edge.
    let edges = Regex::new(r#"<path class="edge" data-from="(\d+)" data-to="(\d+)""#).unwrap();
    let mut drawn: Vec<(u64, u64)> = edges
        .captures_iter(web)
        .map(|c| (c[1].parse().unwrap(), c[2].parse().unwrap()))
        .collect();
    drawn.sort();
    assert_eq!(drawn, vec![(1, 2), (1, 3), (2, 4), (3, 4)]);
    let nodes = Regex::new(r#"<g class="node [a-z]+" data-issue="(\d+)""#).unwrap();
    assert_eq!(nodes.captures_iter(web).count(), 6);

    // A title is text, never markup.
    assert!(web.contains("Render &lt;b&gt;receipts&lt;/b&gt; &amp; \"totals\""));
    assert!(!web.contains("<b>receipts</b>"));
    assert!(!dom.contains("<script"), "the page carries no script");
    for repo in REPOS {
        section(&dom, repo);
    }

    // The screenshot: a real PNG of the rendered page.
    assert!(screenshot.status.success());
    let png = std::fs::read(&shot).expect("the screenshot was written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(png.len() > 20_000, "a rendered page, not a blank one");
    if let Ok(target) = std::env::var("SHIPRIG_STATUS_SCREENSHOT") {
        std::fs::copy(&shot, target).unwrap();
    }
}

/// docs/security.md#case-47, as an attacker with triage rights tries it: an issue title and a label
/// written as markup (and a terminal escape), on an issue a maintainer approved. The page shows
/// them as text, `explain` prints them without the escape, and neither shows the token.
#[tokio::test(flavor = "multi_thread")]
async fn case_47_status_page_and_explain_escape_hostile_titles_and_labels_and_show_no_token() {
    let (emulator, _) = support::service::world(&["acme/web"], 0, |_| {}).await;
    let title = "<img src=x onerror=alert(1)>\u{1b}[2J";
    let label = "agent:<script>alert(2)</script>";
    {
        let mut m = emulator.model();
        m.add_user("mallory", shiprig::emulator::UserKind::User);
        m.set_permission("acme/web", "mallory", shiprig::emulator::Permission::Triage);
        let n = m.create_issue("acme/web", title, "", &[], "mallory");
        m.add_label("acme/web", n, "approved", "pm");
        m.add_label("acme/web", n, label, "mallory");
        let milestone = m.create_milestone("acme/web", "<svg onload=alert(3)>");
        m.set_milestone("acme/web", n, milestone);
    }
    let yaml = "version: 1\napprovers: {min_permission: write}\nconductor:\n  \
                agents: [{name: a1}]\n  \
                dispatch: {github_actions: {workflow: shiprig-agent.yml, ref: main}}\n";
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = spawn_service(&emulator, dir.path(), port, yaml);
    let state = ticked(port, 1).await;
    let page = reqwest::get(format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    std::fs::write(dir.path().join("shiprig.yml"), yaml).unwrap();
    let explain = |json: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_shiprig"));
        command.args(["conductor", "explain", "1", "--repo", "acme/web"]);
        if json {
            command.arg("--json");
        }
        let output = command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("GITHUB_API_URL", emulator.url())
            .env("GITHUB_TOKEN", TOKEN)
            .env("SHIPRIG_CONFIG", dir.path().join("shiprig.yml"))
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let (text, json) = (explain(false), explain(true));

    assert!(!page.contains("<img"), "a title is never markup");
    assert!(!page.contains("<script"), "a label is never markup");
    assert!(
        !page.contains("<svg onload"),
        "a milestone title is never markup"
    );
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(page.contains("agent:&lt;script&gt;alert(2)&lt;/script&gt;"));
    assert!(
        !page.contains('\u{1b}'),
        "no control character reaches the page"
    );
    assert!(
        !text.contains('\u{1b}'),
        "explain prints no terminal escape"
    );
    assert!(text.contains("<img src=x onerror=alert(1)>"), "{text}");
    assert!(
        text.contains("held (agent:<script>alert(2)</script>)"),
        "{text}"
    );
    let served = state.to_string();
    for shown in [&page, &served, &text, &json] {
        assert!(!shown.contains(TOKEN), "the token is never shown");
        assert!(!shown.contains("ghs_"), "no token-looking value is shown");
    }
}

/// Edges at rest: on a tick that changes nothing, the job summary's milestone graph still has
/// every dependency edge, read in one GraphQL request for the milestone's blocked issues.
#[tokio::test(flavor = "multi_thread")]
async fn a_tick_at_rest_draws_every_edge_of_the_milestone_in_one_request() {
    use shiprig::conductor::{self, Tick, summary};
    use shiprig::github::Repo;
    use shiprig::notify::Notifier;

    let (emulator, gh) = support::service::world(&["acme/web"], 6, |_| {}).await;
    {
        let mut m = emulator.model();
        let milestone = m.create_milestone("acme/web", "Checkout v2");
        for n in 1..=6 {
            m.set_milestone("acme/web", n, milestone);
        }
        m.add_blocked_by("acme/web", 2, "acme/web", 1);
        m.add_blocked_by("acme/web", 3, "acme/web", 1);
        m.add_blocked_by("acme/web", 4, "acme/web", 2);
        m.add_blocked_by("acme/web", 4, "acme/web", 3);
        m.add_blocked_by("acme/web", 6, "acme/web", 5);
    }
    let yaml = "version: 1\napprovers: {min_permission: write}\nconductor:\n  \
                agents: [{name: a1}, {name: a2}]\n  \
                dispatch: {github_actions: {workflow: shiprig-agent.yml, ref: main}}\n";
    let config = shiprig::config::Config::from_yaml("edges", yaml).unwrap();
    let repo: Repo = "acme/web".parse().unwrap();
    let notifier = Notifier::default();
    let tick = Tick {
        gh: &gh,
        repo: &repo,
        config: &config,
        notifier: &notifier,
        product: None,
        backend: None,
    };
    let first = conductor::tick(&tick, gh.clock().now(), false)
        .await
        .unwrap();
    assert!(
        !first.plan.effects.is_empty(),
        "the first tick starts agents"
    );
    let mut rest = conductor::tick(&tick, gh.clock().now(), false)
        .await
        .unwrap();
    assert!(rest.plan.effects.is_empty(), "{:?}", rest.plan.effects);
    let before = emulator.requests().len();
    conductor::read_graph(&tick, &mut rest).await.unwrap();
    let graph_reads: Vec<String> = emulator.requests()[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        graph_reads,
        vec!["POST /graphql"],
        "one batch for every list"
    );
    let markdown = summary::markdown(&rest);
    for edge in [
        "i1 --> i2",
        "i1 --> i3",
        "i2 --> i4",
        "i3 --> i4",
        "i5 --> i6",
    ] {
        assert!(markdown.contains(edge), "{edge} is missing:\n{markdown}");
    }
}

/// A repository whose tick failed keeps its last good view on the page, with the failure told
/// apart: a rate limit (or a spent request budget) is not "could not read GitHub".
#[test]
fn a_failed_tick_keeps_the_last_view_and_says_how_it_failed() {
    use shiprig::service::status::{Board, RepoView, TickResult, html};

    let board = Board::default();
    board.expect(&["acme/web".into(), "acme/api".into()]);
    let now = chrono::Utc::now();
    let mut view = RepoView::empty("acme/web");
    view.result = TickResult::Ok;
    view.at = Some(now);
    view.queue.push(shiprig::service::status::view::QueueRow {
        position: 1,
        issue: shiprig::service::status::view::IssueLink {
            number: 12,
            title: "Keep me".into(),
            url: "https://github.com/acme/web/issues/12".into(),
        },
        rank: "normal".into(),
        approved_at: None,
        state: "waiting".into(),
        reason: "waiting for an agent".into(),
    });
    board.record(view);
    board.failed(
        "acme/web",
        now,
        "GET /repos/acme/web/issues answered 403: API rate limit exceeded",
    );
    board.failed(
        "acme/api",
        now,
        "GET /repos/acme/api/issues failed: connection refused",
    );
    let state = board.state(now);
    let names: Vec<&str> = state
        .repositories
        .iter()
        .map(|r| r.repository.as_str())
        .collect();
    assert_eq!(names, vec!["acme/web", "acme/api"], "the service's order");
    assert!(matches!(
        state.repositories[0].result,
        TickResult::RateLimited(_)
    ));
    assert_eq!(state.repositories[0].queue.len(), 1, "the last view stays");
    assert!(matches!(
        state.repositories[1].result,
        TickResult::CouldNotRead(_)
    ));
    let page = html::page(&state);
    assert!(page.contains("rate-limited: GET /repos/acme/web/issues answered 403"));
    assert!(page.contains("could not read GitHub: GET /repos/acme/api/issues"));
    assert!(page.contains("Keep me"));
    assert!(page.contains("<meta http-equiv=\"refresh\" content=\"30\">"));
}
