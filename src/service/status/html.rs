//! The status page as one HTML document: no script, no external asset, a meta refresh; every
//! title, login, label and reason escaped, every link checked to be a web address.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::svg;
use super::text::{esc, href};
use super::view::{IssueLink, RepoView, StateView};

/// Seconds between the page's own reloads.
pub(crate) const REFRESH_SECONDS: u32 = 30;

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:12px 20px;color:#0f172a}\
h1{font-size:20px}h2{font-size:17px;margin:28px 0 6px;border-bottom:1px solid #cbd5e1}h3{font-size:15px;margin:16px 0 4px}\
table{border-collapse:collapse;width:100%;margin:4px 0}td,th{border:1px solid #e2e8f0;padding:3px 6px;text-align:left;vertical-align:top}\
th{background:#f1f5f9}.result{padding:1px 6px;border-radius:4px}.result.ok{background:#dcfce7}.result.warn{background:#fef9c3}\
.result.bad{background:#fee2e2}.muted{color:#64748b}a{color:#1d4ed8}\
.graph .node rect{stroke-width:1.5}.graph .node text{font-size:12px;fill:#0f172a}\
.graph .ready rect{fill:#dbeafe;stroke:#1d4ed8}.graph .progress rect{fill:#fef3c7;stroke:#b45309}\
.graph .review rect{fill:#ede9fe;stroke:#6d28d9}.graph .blocked rect{fill:#fee2e2;stroke:#b91c1c}\
.scroll{overflow-x:auto}progress{width:160px}";

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "—".into())
}

fn issue_link(issue: &IssueLink) -> String {
    format!(
        "<a href=\"{}\">#{}</a> {}",
        href(&issue.url),
        issue.number,
        esc(&issue.title)
    )
}

/// The whole page.
pub fn page(state: &StateView) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"{REFRESH_SECONDS}\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>shiprig Conductor</title><style>{STYLE}</style></head><body>\
         <h1>shiprig Conductor</h1><p class=\"muted\">{} repositor{}; rendered {}; reloads every {REFRESH_SECONDS} s; \
         the same data as JSON: <a href=\"/api/v1/state\">/api/v1/state</a></p>",
        state.repositories.len(),
        if state.repositories.len() == 1 {
            "y"
        } else {
            "ies"
        },
        time(Some(state.generated_at)),
    );
    if state.repositories.is_empty() {
        out.push_str("<p>No tick has finished yet.</p>");
    } else {
        overview(&mut out, state);
    }
    for repo in &state.repositories {
        repository(&mut out, repo);
    }
    out.push_str("</body></html>\n");
    out
}

/// One line per repository, like a pool table: how its last tick went and what waits.
fn overview(out: &mut String, state: &StateView) {
    out.push_str(
        "<table class=\"overview\"><tr><th>repository</th><th>last tick</th><th>result</th>\
         <th>queued</th><th>agents working</th><th>blocked</th><th>need a person</th></tr>",
    );
    for repo in &state.repositories {
        let name = esc(&repo.repository);
        let working = repo
            .agents
            .iter()
            .filter(|a| a.state == "working" || a.state == "starting")
            .count();
        let _ = write!(
            out,
            "<tr data-repo=\"{name}\"><td><a href=\"#{name}\">{name}</a></td><td>{}</td>\
             <td><span class=\"result {}\">{}</span></td><td>{}</td><td>{working}</td><td>{}</td><td>{}</td></tr>",
            time(repo.at),
            repo.result.class(),
            esc(&repo.result.text()),
            repo.queue.len(),
            repo.blocked.len(),
            repo.needs_person.len(),
        );
    }
    out.push_str("</table>");
}

fn repository(out: &mut String, repo: &RepoView) {
    let name = esc(&repo.repository);
    let _ = write!(
        out,
        "<section class=\"repository\" data-repo=\"{name}\" id=\"{name}\"><h2>{name}</h2>\
         <p>Last tick: {} — <span class=\"result {}\">{}</span></p>",
        time(repo.at),
        repo.result.class(),
        esc(&repo.result.text()),
    );
    agents(out, repo);
    queue(out, repo);
    blocked(out, repo);
    needs_person(out, repo);
    for milestone in &repo.milestones {
        let total = milestone.open_issues + milestone.closed_issues;
        let _ = write!(
            out,
            "<div class=\"milestone\" data-milestone=\"{}\"><h3>Milestone <a href=\"{}\">{}</a></h3>\
             <p><progress max=\"{}\" value=\"{}\"></progress> {} of {} closed</p><div class=\"scroll\">{}</div></div>",
            milestone.number,
            href(&milestone.url),
            esc(&milestone.title),
            total.max(1),
            milestone.closed_issues,
            milestone.closed_issues,
            total,
            svg::graph(milestone),
        );
    }
    out.push_str("</section>");
}

fn agents(out: &mut String, repo: &RepoView) {
    out.push_str("<h3>Agents</h3><table class=\"agents\"><tr><th>agent</th><th>state</th><th>issue</th><th>since</th><th>run</th></tr>");
    for agent in &repo.agents {
        let run = agent
            .run_url
            .as_deref()
            .map(|u| format!("<a href=\"{}\">run</a>", href(u)))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<tr data-agent=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{run}</td></tr>",
            esc(&agent.name),
            esc(&agent.name),
            esc(&agent.state),
            agent.issue.as_ref().map(issue_link).unwrap_or_default(),
            if agent.since.is_some() {
                time(agent.since)
            } else {
                String::new()
            },
        );
    }
    out.push_str("</table>");
}

fn queue(out: &mut String, repo: &RepoView) {
    if repo.queue.is_empty() {
        out.push_str("<h3>Queue</h3><p class=\"muted\">The queue is empty.</p>");
        return;
    }
    out.push_str("<h3>Queue</h3><table class=\"queue\"><tr><th>#</th><th>issue</th><th>priority</th><th>approved</th><th>reason</th></tr>");
    for row in &repo.queue {
        let _ = write!(
            out,
            "<tr data-issue=\"{}\" data-state=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"reason\">{}</td></tr>",
            row.issue.number,
            esc(&row.state),
            row.position,
            issue_link(&row.issue),
            esc(&row.rank),
            time(row.approved_at),
            esc(&row.reason),
        );
    }
    out.push_str("</table>");
}

fn blocked(out: &mut String, repo: &RepoView) {
    if repo.blocked.is_empty() {
        return;
    }
    out.push_str(
        "<h3>Blocked</h3><table class=\"blocked\"><tr><th>issue</th><th>open blockers</th></tr>",
    );
    for row in &repo.blocked {
        let mut blockers: Vec<String> = row
            .blockers
            .iter()
            .map(|b| {
                format!(
                    "<a class=\"blocker\" data-blocker=\"{}#{}\" href=\"{}\">{}#{}</a>",
                    esc(&b.repository),
                    b.number,
                    href(&b.url),
                    esc(&b.repository),
                    b.number
                )
            })
            .collect();
        if !row.read {
            blockers.push("not read this tick".into());
        } else if row.unseen > 0 {
            blockers.push(format!("{} the token cannot read", row.unseen));
        }
        let _ = write!(
            out,
            "<tr data-issue=\"{}\"><td>{}</td><td>{}</td></tr>",
            row.issue.number,
            issue_link(&row.issue),
            blockers.join(", ")
        );
    }
    out.push_str("</table>");
}

fn needs_person(out: &mut String, repo: &RepoView) {
    if repo.needs_person.is_empty() {
        return;
    }
    out.push_str(
        "<h3>Needs a person</h3><table class=\"person\"><tr><th>issue</th><th>why</th></tr>",
    );
    for row in &repo.needs_person {
        let _ = write!(
            out,
            "<tr data-issue=\"{}\"><td>{}</td><td>{}</td></tr>",
            row.issue.number,
            issue_link(&row.issue),
            esc(&row.reason)
        );
    }
    out.push_str("</table>");
}
