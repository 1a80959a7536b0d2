//! The `command` backend: a local program (argv, no shell) with the issue in its environment.
//! It should start the agent's work and return; exit 0 means started, anything else failed.

use std::process::Stdio;

use tokio::io::AsyncReadExt;

use super::assignment::{Assignment, DispatchError, Started};
use crate::config::CommandDispatch;

/// The environment variable prefix of the assignment's data (`SHIPRIG_ISSUE`, `SHIPRIG_TITLE`…).
pub(crate) const ENV_PREFIX: &str = "SHIPRIG_";

pub(crate) async fn run(
    settings: &CommandDispatch,
    assignment: &Assignment<'_>,
) -> Result<Started, DispatchError> {
    let (program, args) = settings
        .argv
        .split_first()
        .ok_or_else(|| DispatchError::AgentFailed("the dispatch command is empty".into()))?;
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    crate::secrets::start_clean(&mut command, &settings.env);
    for (name, value) in assignment.data() {
        command.env(format!("{ENV_PREFIX}{}", name.to_ascii_uppercase()), value);
    }
    let mut child = command
        .spawn()
        .map_err(|e| DispatchError::AgentFailed(format!("could not start {program}: {e}")))?;
    let mut output = child.stdout.take().map(read_all);
    let mut errors = child.stderr.take().map(read_all);
    let waited = tokio::time::timeout(settings.timeout.0, child.wait()).await;
    let status = match waited {
        Ok(status) => status.map_err(|e| DispatchError::AgentFailed(format!("{program}: {e}")))?,
        Err(_) => {
            let _ = child.kill().await;
            return Err(DispatchError::AgentFailed(format!(
                "{program} ran past its {} timeout and was killed",
                settings.timeout
            )));
        }
    };
    let stdout = match output.take() {
        Some(task) => task.await.unwrap_or_default(),
        None => String::new(),
    };
    let stderr = match errors.take() {
        Some(task) => task.await.unwrap_or_default(),
        None => String::new(),
    };
    if status.success() {
        return Ok(Started::default());
    }
    let tail: String = format!("{stdout}{stderr}")
        .lines()
        .rev()
        .take(5)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n");
    Err(DispatchError::AgentFailed(format!(
        "{program} exited with {status}: {}",
        tail.trim()
    )))
}

fn read_all<R: tokio::io::AsyncRead + Unpin + Send + 'static>(
    mut reader: R,
) -> tokio::task::JoinHandle<String> {
    tokio::spawn(async move {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes).await;
        String::from_utf8_lossy(&bytes).into_owned()
    })
}
