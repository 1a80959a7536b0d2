//! `shiprig gate` (the required check on pull requests) and `shiprig gate explain`.

use anyhow::Context as _;

use super::conductor_cmd::{append, notifier};
use super::env::{self, Environment};
use super::{Exit, Global, UsageError, print_json};
use crate::config::Config;
use crate::gate::changes::{ChangedFile, Changes};
use crate::gate::{self, Ending, Evidence, Gate, GateEvent, GateReport, Rules, output};
use crate::github::{GitHub, Repo};
use crate::markdown;
use crate::notify::Event;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct GateArgs {
    #[command(subcommand)]
    pub command: Option<GateCommand>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum GateCommand {
    /// The verdict for a list of changed paths, locally, without GitHub: debug your rules.
    Explain(ExplainArgs),
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The repository (default: `GITHUB_REPOSITORY`).
    #[arg(long, env = "GITHUB_REPOSITORY", value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// The event that started the run (Actions sets it).
    #[arg(long, env = "GITHUB_EVENT_NAME")]
    pub event_name: Option<String>,
    /// The event payload file (Actions sets it).
    #[arg(long, env = "GITHUB_EVENT_PATH", value_name = "PATH")]
    pub event_path: Option<std::path::PathBuf>,
    /// Judge this pull request at its current head instead of an event's.
    #[arg(long, env = "SHIPRIG_PR", value_name = "NUMBER")]
    pub pr: Option<u64>,
    /// Print the verdict and write nothing.
    #[arg(long, env = "SHIPRIG_DRY_RUN")]
    pub dry_run: bool,
    /// Where to write the Markdown job summary (Actions sets `GITHUB_STEP_SUMMARY`).
    #[arg(long, env = "GITHUB_STEP_SUMMARY", value_name = "PATH")]
    pub summary: Option<std::path::PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// Changed paths; `-` or none reads them from stdin, one a line.
    pub paths: Vec<String>,
}

pub async fn run(
    args: GateArgs,
    global: &Global,
    environment: &Environment,
) -> anyhow::Result<Exit> {
    match args.command {
        Some(GateCommand::Explain(explain)) => run_explain(explain, global),
        None => run_gate(args.run, global, environment).await,
    }
}

async fn run_gate(
    args: RunArgs,
    global: &Global,
    environment: &Environment,
) -> anyhow::Result<Exit> {
    let repo = env::repository(args.repo.as_deref(), environment)?;
    let event = event(&args)?;
    if let Some(refusal) = gate::event::fork_refusal(&event) {
        // Before any request: nothing is judged, nothing posted.
        eprintln!("error: {refusal}");
        return Ok(Exit::Outside);
    }
    let local_config = match &global.config {
        Some(_) if !args.dry_run => {
            return Err(UsageError(
                "--config is only for --dry-run: a real gate run judges by the base branch's config".into(),
            )
            .into());
        }
        Some(path) => Some(Config::load(path)?),
        None => None,
    };
    let gh = environment.github()?.for_repo(&repo);
    let report = gate::run(Gate {
        gh: &gh,
        repo: &repo,
        event,
        dry_run: args.dry_run,
        local_config,
    })
    .await;
    if !report.dry_run && !report.posted.labels_added.is_empty() {
        tell_human_needed(&gh, &repo, &report, environment).await;
    }
    if let Some(path) = args.summary.as_ref().filter(|_| report.verdict.is_some()) {
        append(
            path,
            &format!("## shiprig human gate\n\n{}", report.markdown),
        )
        .with_context(|| format!("writing the job summary to {}", path.display()))?;
    }
    if global.json {
        print_json(&report)?;
    } else {
        print!("{}", render(&report));
    }
    Ok(match report.ending {
        Ending::Pass | Ending::Superseded => Exit::Ok,
        Ending::NeedsHuman => Exit::No,
        Ending::BadConfig => Exit::Usage,
        Ending::Outside => Exit::Outside,
    })
}

/// "Human review needed", told once: by the run that added the `human-gate` label (a rerun
/// finds it there and adds nothing). Slack trouble is logged, never fails the gate.
async fn tell_human_needed(
    gh: &GitHub,
    repo: &Repo,
    report: &GateReport,
    environment: &Environment,
) {
    let Some(verdict) = &report.verdict else {
        return;
    };
    let Ok(pull) = gh.pull(repo, report.event.number).await else {
        return tracing::warn!("no Slack message: the pull request could not be read");
    };
    // Slack's settings come from where the gate's rules came from: the base.
    let config = match gh
        .file_text(repo, gate::CONFIG_PATH, Some(&pull.base.sha))
        .await
    {
        Ok(Some(text)) => match Config::from_yaml(gate::CONFIG_PATH, &text) {
            Ok(config) => config,
            Err(e) => return tracing::warn!("no Slack message: {e}"),
        },
        Ok(None) => return,
        Err(e) => return tracing::warn!("no Slack message: reading the config: {e}"),
    };
    let label = &config.labels.human_gate;
    if !report
        .posted
        .labels_added
        .iter()
        .any(|l| l.eq_ignore_ascii_case(label))
    {
        return;
    }
    let notifier = match notifier(&config, environment) {
        Ok(notifier) => notifier,
        Err(e) => return tracing::warn!("no Slack message: {e:#}"),
    };
    let waiting = verdict.gated.iter().filter(|g| !g.satisfied());
    let mut approvers: Vec<String> = waiting.clone().flat_map(|g| g.owners.clone()).collect();
    approvers.sort();
    approvers.dedup();
    notifier
        .tell(Event::HumanReviewNeeded {
            repo: repo.to_string(),
            number: report.event.number,
            title: pull.title,
            url: pull.html_url,
            categories: waiting.map(|g| g.category.clone()).collect(),
            approvers,
        })
        .await;
}

fn event(args: &RunArgs) -> anyhow::Result<GateEvent> {
    if let Some(number) = args.pr {
        return Ok(GateEvent::local(number));
    }
    let (Some(name), Some(path)) = (&args.event_name, &args.event_path) else {
        return Err(UsageError(
            "no event: run from Actions (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH) or pass --pr NUMBER"
                .into(),
        )
        .into());
    };
    let payload =
        crate::bounded::read_text(path, crate::bounded::EVENT_LIMIT, "event").map_err(|e| {
            let place = match e.line {
                0 => String::new(),
                line => format!(":{line}:{}", e.column),
            };
            UsageError(format!("{}{place}: {}", path.display(), e.message))
        })?;
    GateEvent::parse(name, &payload).map_err(|e| UsageError(e).into())
}

/// The run as a person reads it; PR text only ever appears escaped, never at a line start.
pub fn render(report: &GateReport) -> String {
    let mut out = String::new();
    let head = gate::approvals::short(&report.event.head_sha);
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    let what = format!(
        "gate: {} #{} at {head}",
        report.repository, report.event.number
    );
    match &report.verdict {
        Some(verdict) => {
            line(format!("{what}: {}", output::title(verdict)));
            if let Some(reason) = &verdict.reason {
                line(format!("  reason: {}", markdown::inline(reason, 2000)));
            }
            for gated in &verdict.gated {
                let state = if gated.satisfied() {
                    "approved"
                } else {
                    "waiting"
                };
                line(format!("  {} ({state}):", gated.category));
                for trigger in &gated.triggers {
                    line(format!("    - {}", output::describe(trigger)));
                }
            }
            for ignored in &verdict.ignored {
                line(format!(
                    "  not counted: {} ({})",
                    markdown::inline(&ignored.login, 60),
                    ignored.reason
                ));
            }
        }
        None => line(format!("{what}: nothing posted")),
    }
    let p = &report.posted;
    if report.dry_run {
        line("  dry run: nothing written".into());
    } else if let Some(check) = &p.check {
        line(format!(
            "  posted: {check}; labels +[{}] -[{}]; comment {}",
            p.labels_added.join(", "),
            p.labels_removed.join(", "),
            p.comment.as_deref().unwrap_or("none")
        ));
    }
    for note in &report.notes {
        line(format!("  note: {}", markdown::inline(note, 2000)));
    }
    let r = &report.requests;
    line(format!(
        "  requests: {} ({} read, {} write, {} retried)",
        r.total(),
        r.reads,
        r.writes,
        r.retries
    ));
    out
}

fn run_explain(args: ExplainArgs, global: &Global) -> anyhow::Result<Exit> {
    let config = match &global.config {
        Some(path) => Config::load(path)?,
        None => Config::load(std::path::Path::new(gate::CONFIG_PATH))?,
    };
    let mut paths = args.paths;
    if paths.is_empty() || paths == ["-"] {
        paths = std::io::stdin()
            .lines()
            .map_while(Result::ok)
            .filter(|l| !l.trim().is_empty())
            .collect();
    }
    let rules = Rules::compile(&config.gate).map_err(UsageError)?;
    let mut evidence = Evidence {
        head_sha: "local".into(),
        changes: Changes::complete(
            paths
                .iter()
                .map(|p| ChangedFile::new(p, "modified"))
                .collect(),
        ),
        ..Evidence::default()
    };
    // Explaining rules over paths: nobody pushed anything.
    evidence.authorship.pusher_known = true;
    let verdict = gate::verdict(&evidence, &rules, &config);
    if global.json {
        print_json(&verdict)?;
    } else {
        print!("{}", output::summary(&verdict, &config));
    }
    Ok(if verdict.passed() { Exit::Ok } else { Exit::No })
}
