//! `shiprig conductor tick`.

use std::io::Write as _;

use anyhow::Context as _;
use clap::Subcommand;

use super::env::{self, Environment};
use super::{Exit, Global, print_json};
use crate::agents::Backend;
use crate::conductor::{self, Effect, Tick, TickReport, summary};
use crate::config::Config;
use crate::notify::{Notifier, ProductHook, Slack};
use crate::product::ProductTool;

#[derive(Debug, Subcommand)]
pub enum ConductorCommand {
    /// One stateless pass: keep `blocked` true, order the queue, start idle agents, close
    /// finished milestones. Safe to run at any time, also twice at once.
    Tick(TickArgs),
    /// The same tick in a loop, as a long-lived service: every `--interval` (jittered), over
    /// `conductor.repositories` with one shared agent pool, `/healthz` and `/metrics` on
    /// `--listen`, leader election over a Kubernetes Lease with `--lease`. SIGTERM finishes the
    /// tick in flight, then exits 0.
    Run(super::service_cmd::RunArgs),
}

#[derive(Debug, clap::Args)]
pub struct TickArgs {
    /// The repository (default: `GITHUB_REPOSITORY`).
    #[arg(long, env = "GITHUB_REPOSITORY", value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Print the plan and write nothing.
    #[arg(long, env = "SHIPRIG_DRY_RUN")]
    pub dry_run: bool,
    /// Where to write the Markdown job summary (Actions sets `GITHUB_STEP_SUMMARY`).
    #[arg(long, env = "GITHUB_STEP_SUMMARY", value_name = "PATH")]
    pub summary: Option<std::path::PathBuf>,
}

pub async fn run(
    command: ConductorCommand,
    global: &Global,
    environment: &Environment,
) -> anyhow::Result<Exit> {
    let args = match command {
        ConductorCommand::Tick(args) => args,
        ConductorCommand::Run(args) => {
            return super::service_cmd::run(args, global, environment).await;
        }
    };
    let repo = env::repository(args.repo.as_deref(), environment)?;
    let gh = environment.github()?.for_repo(&repo);
    let config = env::load_config(global.config.as_deref(), &gh, &repo).await?;
    let notifier = notifier(&config, environment)?;
    let product = product_hook(&config, environment);
    let kubeconfig = environment.get("KUBECONFIG").map(std::path::PathBuf::from);
    let backend = Backend::from_config(&config, kubeconfig.as_deref()).await?;
    let tick = Tick {
        gh: &gh,
        repo: &repo,
        config: &config,
        notifier: &notifier,
        product: product.as_ref().map(|p| p as &dyn ProductHook),
        backend: Some(&backend),
    };
    let event = super::pipeline_ctx::event(environment)?;
    let event_name = environment.get("GITHUB_EVENT_NAME").unwrap_or_default();
    if !args.dry_run
        && let Some(filed) =
            crate::notify::critical::filed(&event_name, &event, &config.labels, &repo.to_string())
    {
        notifier.tell(filed).await;
    }
    let mut report = conductor::tick(&tick, gh.clock().now(), args.dry_run).await?;
    if let Some(path) = &args.summary {
        conductor::read_graph(&tick, &mut report).await?;
        append(path, &summary::markdown(&report))
            .with_context(|| format!("writing the job summary to {}", path.display()))?;
    }
    if global.json {
        print_json(&report)?;
    } else {
        print!("{}", render(&report));
    }
    let failed = report.applied.as_ref().is_some_and(|a| !a.ok());
    Ok(if failed { Exit::Outside } else { Exit::Ok })
}

/// Slack from the variables the config names: a bot token with a channel when both are set,
/// else the webhook; neither set, no Slack.
pub fn notifier(config: &Config, environment: &Environment) -> anyhow::Result<Notifier> {
    let Some(slack) = &config.notify.slack else {
        return Ok(Notifier::default());
    };
    let token = slack
        .bot_token_env
        .as_deref()
        .and_then(|n| environment.get(n));
    if let (Some(token), Some(channel)) = (token, &slack.channel) {
        let api = environment
            .get("SLACK_API_URL")
            .unwrap_or_else(|| crate::notify::slack::DEFAULT_API_URL.into());
        return Ok(Notifier {
            slack: Some(Slack::bot(api, token, channel)?),
        });
    }
    match environment.get(&slack.webhook_url_env) {
        Some(url) => Ok(Notifier {
            slack: Some(Slack::webhook(url)?),
        }),
        None => {
            tracing::info!("{} is not set; Slack stays quiet", slack.webhook_url_env);
            Ok(Notifier::default())
        }
    }
}

/// The configured product tool; one that cannot be built (its token unset) is reported and
/// left out, like an unset Slack: telling people never stops a tick.
fn product_hook(config: &Config, environment: &Environment) -> Option<ProductTool> {
    match ProductTool::from_config(&config.product, |name| environment.get(name)) {
        Ok(tool) => tool,
        Err(e) => {
            tracing::warn!("the product tool stays uninformed: {e:#}");
            None
        }
    }
}

pub(super) fn append(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(text.as_bytes())
}

/// The tick as a person reads it.
pub fn render(report: &TickReport) -> String {
    let mut out = String::new();
    let verb = if report.dry_run { "would" } else { "did" };
    if report.plan.effects.is_empty() {
        out.push_str(&format!("{}: nothing to change\n", report.repository));
    }
    for effect in &report.plan.effects {
        out.push_str(&format!(
            "{}: {verb} {}\n",
            report.repository,
            describe(effect)
        ));
    }
    if let Some(applied) = &report.applied {
        for failed in &applied.failed {
            out.push_str(&format!(
                "  failed: {}: {}\n",
                describe(&failed.effect),
                failed.error
            ));
        }
        for withdrawn in &applied.withdrawn {
            out.push_str(&format!(
                "  stood down: #{} ({})\n",
                withdrawn.issue, withdrawn.reason
            ));
        }
    }
    for note in &report.plan.notes {
        out.push_str(&format!("  note: {note}\n"));
    }
    let r = &report.requests;
    out.push_str(&format!(
        "  requests: {} ({} read, {} write, {} retried)\n",
        r.total(),
        r.reads,
        r.writes,
        r.retries
    ));
    out
}

pub fn describe(effect: &Effect) -> String {
    match effect {
        Effect::AddLabel {
            issue,
            label,
            reason,
        } => format!("label #{issue} `{label}` ({reason})"),
        Effect::RemoveLabel {
            issue,
            label,
            reason,
        } => format!("unlabel #{issue} `{label}` ({reason})"),
        Effect::Assign { issue, login } => format!("assign #{issue} to {login}"),
        Effect::Start {
            issue,
            agent,
            title,
            ..
        } => format!(
            "start {agent} on #{issue} {}",
            crate::markdown::inline(title, 200)
        ),
        Effect::FinishClaim {
            issue,
            agent,
            claim,
            ..
        } => format!("finish {agent}'s half-claim on #{issue} (claim {claim}, never dispatched)"),
        Effect::WithdrawClaim {
            issue,
            agent,
            reason,
            ..
        } => format!("withdraw {agent}'s claim labels from #{issue} ({reason})"),
        Effect::ReportCycle { issue, cycle } => {
            format!("report the dependency cycle of #{issue} ({cycle:?})")
        }
        Effect::CloseMilestone { title, .. } => format!("close milestone {title:?}"),
        Effect::Review {
            pull_request,
            reviewer,
            author,
            ..
        } => {
            format!("ask {reviewer} to review #{pull_request} by {author}")
        }
        Effect::Fix {
            pull_request,
            agent,
            failing,
            attempt,
            ..
        } => {
            let names: Vec<&str> = failing.iter().map(|c| c.name.as_str()).collect();
            format!(
                "send {agent} back to fix #{pull_request} (attempt {attempt}: {})",
                names.join(", ")
            )
        }
        Effect::AgentFailed {
            issue,
            agent,
            reason,
            ..
        } => {
            format!("mark #{issue} agent-failed ({agent}: {reason})")
        }
    }
}
