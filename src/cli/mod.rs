//! The command line. One file per subcommand; each turns its arguments into a call of its
//! feature and renders the result, so clap types never reach the core and no GitHub call,
//! state or server lives here. Exit codes: see [`crate::error::Exit`].

mod args;
mod bootstrap_cmd;
mod codeowners_cmd;
mod commits_cmd;
mod conductor_cmd;
mod config_cmd;
#[cfg(feature = "demo")]
mod demo_cmd;
mod deploy_cmd;
mod doctor_cmd;
mod gate_cmd;
mod init_cmd;
mod labels_cmd;
mod lifecycle_cmd;
mod merge_cmd;
mod plan_cmd;
mod product_cmd;
mod release_cmd;
mod service_cmd;
mod smoke_cmd;

use clap::{Parser, Subcommand};

use crate::context::Vars;
use crate::error::{Exit, classify};
pub(crate) use args::Global;

#[derive(Debug, Parser)]
#[command(
    name = "shiprig",
    version = crate::build_info::LONG_VERSION,
    about = "Turns a GitHub repository into an automated engineering rig."
)]
#[command(propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Conventional commits: `commits lint` checks a pull request's title and commits.
    #[command(subcommand)]
    Commits(commits_cmd::CommitsCommand),
    /// The Conductor: keep `blocked` true, order the queue, hand issues to idle agents.
    #[command(subcommand)]
    Conductor(conductor_cmd::ConductorCommand),
    /// Write .github/CODEOWNERS from the gate's rules and CODEOWNERS.template (`--check`: drift).
    Codeowners(codeowners_cmd::CodeownersArgs),
    /// Check the shiprig config, or print its JSON Schema.
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
    /// Run the design's example against the built-in GitHub emulator, tick by tick.
    #[cfg(feature = "demo")]
    Demo(demo_cmd::DemoArgs),
    /// Write the config and the workflows a setup phase needs (never overwriting without --force).
    Init(init_cmd::InitArgs),
    /// shiprig's own labels.
    #[command(subcommand)]
    Labels(labels_cmd::LabelsCommand),
    /// Labels, and branch protection that makes the human gate count.
    Bootstrap(bootstrap_cmd::BootstrapArgs),
    /// Read the repository's shiprig setup and print each gap with its fix.
    Doctor(doctor_cmd::DoctorArgs),
    /// Apply a plan file: a milestone, its issues and their dependencies.
    #[command(subcommand)]
    Plan(plan_cmd::PlanCommand),
    /// The product tool (Asana, ClickUp): pull the ready queue into milestones.
    #[command(subcommand)]
    Product(product_cmd::ProductCommand),
    /// Deploy a SHA to an environment: a GitHub Deployment, the deploy command, statuses.
    Deploy(deploy_cmd::DeployArgs),
    /// Move a pull request's linked issues along: in review, closed, or back to the queue.
    Lifecycle(lifecycle_cmd::LifecycleArgs),
    /// Merge a pull request that needs no human once its checks, gate and review pass.
    Merge(merge_cmd::MergeArgs),
    /// Open or update the one release pull request for a SHA whose staging smoke tests passed.
    ReleasePr(release_cmd::ReleasePrArgs),
    /// Releases: publish a merged release (tag, GitHub Release), mark it shipped after production.
    #[command(subcommand)]
    Release(release_cmd::ReleaseCommand),
    /// Run an environment's smoke checks; `--alert` is monitor mode.
    Smoke(smoke_cmd::SmokeArgs),
    /// The human gate: the required check that decides whether a pull request needs a person.
    Gate(gate_cmd::GateArgs),
}

/// Parse, run, and turn the result into an exit code.
pub fn main() -> i32 {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = parse();
    let service = matches!(
        &cli.command,
        Command::Conductor(conductor_cmd::ConductorCommand::Run(_))
    );
    let verbose = if service {
        cli.global.verbose.max(1)
    } else {
        cli.global.verbose
    };
    init_logging(
        verbose,
        service && !std::io::IsTerminal::is_terminal(&std::io::stdout()),
    );
    // A one-shot command waits on a few exchanges at a time: one thread drives them, and
    // starting a worker per core would cost more than it saves. The service, and the demo
    // (which serves its emulator while its commands run), get the workers.
    let mut builder = if service || serves_while_running(&cli.command) {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return Exit::Outside as i32;
        }
    };
    let vars = Vars::from_process();
    match runtime.block_on(run(cli, &vars)) {
        Ok(exit) => exit as i32,
        Err(error) => {
            let exit = classify(&error);
            let text = format!("{error:#}");
            eprintln!("error: {}", crate::secrets::redact_urls(&text));
            exit as i32
        }
    }
}

/// The commands in the order of the flow, as `--help` lists them: setting a repository up,
/// the work that fills the queue, the Conductor, a pull request's way to production, then the
/// demo. A command missing here is listed after them.
const FLOW: [&str; 18] = [
    "init",
    "codeowners",
    "bootstrap",
    "doctor",
    "labels",
    "config",
    "product",
    "plan",
    "conductor",
    "gate",
    "commits",
    "merge",
    "deploy",
    "smoke",
    "release-pr",
    "release",
    "lifecycle",
    "demo",
];

/// The command line, its commands listed in the order of the flow.
fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command().mut_subcommands(|sub| {
        let place = FLOW.iter().position(|name| *name == sub.get_name());
        sub.display_order(place.unwrap_or(FLOW.len()))
    })
}

/// `Cli::parse`, with `--help` in the order of the flow.
fn parse() -> Cli {
    let mut matches = command().get_matches();
    <Cli as clap::FromArgMatches>::from_arg_matches_mut(&mut matches)
        .unwrap_or_else(|e| e.format(&mut command()).exit())
}

/// Commands that serve something in-process while they work.
fn serves_while_running(command: &Command) -> bool {
    #[cfg(feature = "demo")]
    if matches!(command, Command::Demo(_)) {
        return true;
    }
    let _ = command;
    false
}

async fn run(cli: Cli, vars: &Vars) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Commits(command) => commits_cmd::run(command, &cli.global, vars).await,
        Command::Conductor(command) => conductor_cmd::run(command, &cli.global, vars).await,
        Command::Codeowners(args) => codeowners_cmd::run(args, &cli.global),
        Command::Config(command) => config_cmd::run(command, &cli.global, vars).await,
        #[cfg(feature = "demo")]
        Command::Demo(args) => demo_cmd::run(args, &cli.global).await,
        Command::Init(args) => init_cmd::run(args, &cli.global),
        Command::Labels(command) => labels_cmd::run(command, &cli.global, vars).await,
        Command::Bootstrap(args) => bootstrap_cmd::run(args, &cli.global, vars).await,
        Command::Doctor(args) => doctor_cmd::run(args, &cli.global, vars).await,
        Command::Plan(command) => plan_cmd::run(command, &cli.global, vars).await,
        Command::Product(command) => product_cmd::run(command, &cli.global, vars).await,
        Command::Deploy(args) => deploy_cmd::run(args, &cli.global, vars).await,
        Command::Lifecycle(args) => lifecycle_cmd::run(args, &cli.global, vars).await,
        Command::Merge(args) => merge_cmd::run(args, &cli.global, vars).await,
        Command::ReleasePr(args) => release_cmd::run_pr(args, &cli.global, vars).await,
        Command::Release(command) => release_cmd::run(command, &cli.global, vars).await,
        Command::Smoke(args) => smoke_cmd::run(args, &cli.global, vars).await,
        Command::Gate(args) => gate_cmd::run(args, &cli.global, vars).await,
    }
}

/// Logs go to stderr; a service whose stdout is not a terminal logs JSON lines on stdout.
fn init_logging(verbose: u8, json_lines: bool) {
    // octocrab logs each failed request itself at error level, repeating what shiprig's own
    // line says; its lines show only with SHIPRIG_LOG.
    let default = match verbose {
        0 => "warn,octocrab=off",
        1 => "shiprig=info,warn,octocrab=off",
        _ => "shiprig=debug,info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SHIPRIG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colour only for a person at a terminal: a pipe or a log file gets plain text.
    let colour = !json_lines
        && std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour);
    // Every log line passes through the URL redaction (octocrab logs request URLs itself).
    let _ = if json_lines {
        builder
            .json()
            .with_writer(|| Redacting(std::io::stdout()))
            .try_init()
    } else {
        builder
            .with_writer(|| Redacting(std::io::stderr()))
            .try_init()
    };
}

/// A log writer that blanks the userinfo of URLs; tracing writes each event in one call.
struct Redacting<W>(W);

impl<W: std::io::Write> std::io::Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0
            .write_all(crate::secrets::redact_urls(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
