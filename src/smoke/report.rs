//! How a smoke run reads: a fixed-width table for the terminal and Markdown for the job summary.

use super::judge::SmokeReport;
use crate::markdown::{code, inline};

/// Control characters out, so text from a server cannot draw on the terminal or issue
/// workflow commands (`::add-mask::`) when printed.
fn plain(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect()
}

fn verdict(passed: bool) -> &'static str {
    if passed { "pass" } else { "FAIL" }
}

fn latency(ms: Option<u64>) -> String {
    ms.map_or_else(|| "-".into(), |ms| format!("{ms} ms"))
}

/// The terminal table, one row per check, then the overall verdict.
pub(crate) fn table(report: &SmokeReport) -> String {
    let width = report
        .checks
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut out = format!(
        "{:<width$}  {:<6} {:<6} {:>9} {:>8}  detail\n",
        "check", "result", "status", "latency", "attempts"
    );
    for c in &report.checks {
        let status = c.status.map_or_else(|| "-".into(), |s| s.to_string());
        out.push_str(&format!(
            "{:<width$}  {:<6} {:<6} {:>9} {:>8}  {}\n",
            plain(&c.name),
            verdict(c.passed),
            status,
            latency(c.latency_ms),
            c.attempts,
            plain(&c.message)
        ));
    }
    let passed = report.checks.iter().filter(|c| c.passed).count();
    out.push_str(&format!(
        "smoke {}: {} ({passed}/{} checks passed)\n",
        plain(&report.environment),
        if report.passed { "passed" } else { "FAILED" },
        report.checks.len()
    ));
    out
}

/// The job summary section.
pub(crate) fn summary_markdown(report: &SmokeReport) -> String {
    let icon = if report.passed { "✅" } else { "❌" };
    let sha = report
        .sha
        .as_deref()
        .map(|s| format!(" at {}", code(&s.chars().take(12).collect::<String>(), 12)))
        .unwrap_or_default();
    let mut out = format!(
        "## {icon} Smoke tests: {}{sha}\n\n| check | result | status | latency | attempts | detail |\n|---|---|---|---|---|---|\n",
        inline(&report.environment, 200)
    );
    for c in &report.checks {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            inline(&c.name, 200),
            verdict(c.passed),
            c.status.map_or_else(|| "-".into(), |s| s.to_string()),
            latency(c.latency_ms),
            c.attempts,
            inline(&c.message, 200)
        ));
    }
    out.push('\n');
    out
}
