//! Runs one argv command: no shell, output streamed to stderr, killed with its whole process
//! group when it outlives its timeout.

use std::process::Stdio;
use std::time::Duration;

use serde::Serialize;

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(crate) enum Ended {
    Succeeded,
    Failed { code: Option<i32> },
    TimedOut { after_secs: u64 },
    NotStarted { reason: String },
}

impl Ended {
    pub(crate) fn ok(&self) -> bool {
        matches!(self, Ended::Succeeded)
    }

    /// One line for people: `exited with 3`, `timed out after 30s`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Ended::Succeeded => "succeeded".into(),
            Ended::Failed { code: Some(code) } => format!("exited with {code}"),
            Ended::Failed { code: None } => "was killed by a signal".into(),
            Ended::TimedOut { after_secs } => {
                format!("timed out after {after_secs}s and was killed")
            }
            Ended::NotStarted { reason } => format!("could not start: {reason}"),
        }
    }
}

/// Runs `argv` from a clean environment (the allow-list and the `allowed` names, see
/// `secrets::child_env`) with `env` added. Its stdout and stderr both go to shiprig's stderr as they come, so
/// `--json` on stdout stays clean.
pub(crate) async fn run(
    argv: &[String],
    env: &[(&str, &str)],
    allowed: &[String],
    timeout: Duration,
) -> Ended {
    let Some((program, args)) = argv.split_first() else {
        return Ended::NotStarted {
            reason: "empty command".into(),
        };
    };
    let mut command = tokio::process::Command::new(program);
    crate::secrets::start_clean(&mut command, allowed);
    command
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::io::stderr()))
        .stderr(Stdio::from(std::io::stderr()))
        .kill_on_drop(true)
        // Its own process group, so a timeout kills what it started too.
        .process_group(0);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            return Ended::NotStarted {
                reason: format!("{program}: {e}"),
            };
        }
    };
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) if status.success() => Ended::Succeeded,
        Ok(Ok(status)) => Ended::Failed {
            code: status.code(),
        },
        Ok(Err(e)) => Ended::NotStarted {
            reason: format!("{program}: {e}"),
        },
        Err(_) => {
            if let Some(pid) = child.id() {
                kill_group(pid);
            }
            let _ = child.kill().await;
            Ended::TimedOut {
                after_secs: timeout.as_secs(),
            }
        }
    }
}

/// SIGKILL to the process group `pid` leads (the command and everything it spawned).
fn kill_group(pid: u32) {
    let Ok(pid) = i32::try_from(pid) else { return };
    // SAFETY: kill(2) takes plain integers and touches no memory of ours; a negative pid names
    // the process group the child was started in (`process_group(0)` above).
    let result = unsafe { libc::kill(-pid, libc::SIGKILL) };
    if result != 0 {
        tracing::warn!(
            "could not kill process group {pid}: {}",
            std::io::Error::last_os_error()
        );
    }
}
