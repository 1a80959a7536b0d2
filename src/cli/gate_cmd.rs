//! `shiprig gate` (the required check on pull requests) and `shiprig gate explain`.

use super::args::{DryRun, Global, PrArg, SummaryArg, print_json};
use crate::actions_event::ActionsEvent;
use crate::config::Config;
use crate::context::{self, Vars};
use crate::error::{Exit, UsageError};
use crate::gate::changes::{ChangedFile, Changes};
use crate::gate::{self, Evidence, GateEnding, GateEvent, GateReport, GateRequest, Rules, output};
use crate::github::PullRequest;
use crate::markdown;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct GateArgs {
    #[command(subcommand)]
    pub(crate) command: Option<GateCommand>,
    #[command(flatten)]
    pub(crate) run: GateRunArgs,
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum GateCommand {
    /// The verdict for a list of changed paths, locally, without GitHub: debug your rules.
    Explain(GateExplainArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct GateRunArgs {
    /// `--pr` judges that pull request at its current head instead of an event's.
    #[command(flatten)]
    pub(crate) target: PrArg,
    /// The event that started the run (Actions sets it).
    #[arg(long, env = "GITHUB_EVENT_NAME")]
    pub(crate) event_name: Option<String>,
    /// The event payload file (Actions sets it).
    #[arg(long, env = "GITHUB_EVENT_PATH", value_name = "PATH")]
    pub(crate) event_path: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub(crate) dry: DryRun,
    #[command(flatten)]
    pub(crate) summary: SummaryArg,
}

#[derive(Debug, clap::Args)]
pub(crate) struct GateExplainArgs {
    /// Changed paths; `-` or none reads them from stdin, one a line.
    pub(crate) paths: Vec<String>,
}

pub(crate) async fn run(args: GateArgs, global: &Global, vars: &Vars) -> anyhow::Result<Exit> {
    let run = match args.command {
        Some(GateCommand::Explain(explain)) => return run_explain(explain, global),
        None => args.run,
    };
    let event = actions_event(&run)?;
    // A run that only says "something finished on this commit" (`workflow_run` after a review
    // or CI, `status`): the gate judges every open pull request of that SHA, found through the
    // API, never from the payload's own list.
    match event.as_ref().and_then(ActionsEvent::finished_sha) {
        Some(sha) => run_woken(&run, &sha, global, vars).await,
        None => run_gate(&run, gate_event(run.target.pr, event)?, global, vars).await,
    }
}

/// The Actions event, unless `--pr` names the pull request.
fn actions_event(args: &GateRunArgs) -> anyhow::Result<Option<ActionsEvent>> {
    if args.target.pr.is_some() {
        return Ok(None);
    }
    let (Some(name), Some(path)) = (&args.event_name, &args.event_path) else {
        return Err(UsageError(
            "no event: run from Actions (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH) or pass --pr NUMBER"
                .into(),
        )
        .into());
    };
    Ok(Some(ActionsEvent::read(Some(name), Some(path))?))
}

/// The gate's event (`--pr`'s when there is no Actions event), and the pull request as the
/// payload carries it (when it does).
fn gate_event(
    pr: Option<u64>,
    event: Option<ActionsEvent>,
) -> anyhow::Result<(GateEvent, Option<PullRequest>)> {
    let Some(event) = event else {
        return Ok((GateEvent::local(pr.unwrap_or_default()), None));
    };
    let gate_event = GateEvent::from_payload(event.name(), event.payload()).map_err(UsageError)?;
    Ok((gate_event, event.pull_request()))
}

/// The gate for each open pull request whose head is `sha`; the first exit that is not `Ok`.
async fn run_woken(
    args: &GateRunArgs,
    sha: &str,
    global: &Global,
    vars: &Vars,
) -> anyhow::Result<Exit> {
    let repo = context::repository(args.target.repo.repo.as_deref(), vars)?;
    let gh = context::client(&repo, vars)?;
    let mut exit = Exit::Ok;
    for number in gate::open_pulls_at(&gh, &repo, sha).await? {
        let ended = run_gate(args, (GateEvent::local(number), None), global, vars).await?;
        if exit == Exit::Ok {
            exit = ended;
        }
    }
    Ok(exit)
}

async fn run_gate(
    args: &GateRunArgs,
    event: (GateEvent, Option<PullRequest>),
    global: &Global,
    vars: &Vars,
) -> anyhow::Result<Exit> {
    let dry_run = args.dry.dry_run;
    let repo = context::repository(args.target.repo.repo.as_deref(), vars)?;
    let (event, pull) = event;
    if let Some(refusal) = gate::event::fork_refusal(&event) {
        // Before any request: nothing is judged, nothing posted.
        eprintln!("error: {refusal}");
        return Ok(Exit::Outside);
    }
    let local_config = match &global.config {
        Some(_) if !dry_run => {
            return Err(UsageError(
                "--config is only for --dry-run: a real gate run judges by the base branch's config".into(),
            )
            .into());
        }
        Some(path) => Some(Config::load(path)?),
        None => None,
    };
    let gh = context::client(&repo, vars)?;
    let request = GateRequest {
        repo,
        event,
        dry_run,
        local_config,
        pull,
    };
    let report = gate::run(&gh, &request).await;
    if !report.dry_run && !report.posted.labels_added.is_empty() {
        let notifier = |config: &Config| context::notifier(config, vars);
        gate::tell::human_needed(&request.repo, &report, notifier).await;
    }
    if report.verdict.is_some() {
        args.summary
            .write(|| format!("## shiprig human gate\n\n{}", report.markdown))?;
    }
    if global.json {
        print_json(&report)?;
    } else {
        print!("{}", render(&report));
    }
    Ok(match report.ending {
        GateEnding::Pass | GateEnding::Superseded => Exit::Ok,
        GateEnding::NeedsHuman => Exit::No,
        GateEnding::BadConfig => Exit::Usage,
        GateEnding::Outside => Exit::Outside,
    })
}

/// The run as a person reads it; PR text only ever appears escaped, never at a line start.
pub(crate) fn render(report: &GateReport) -> String {
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

fn run_explain(args: GateExplainArgs, global: &Global) -> anyhow::Result<Exit> {
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
