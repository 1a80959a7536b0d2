//! What a command ends in, and the one error type whose cause is the user's: the exit codes
//! every room agrees on (0 ok, 1 a policy said no, 2 bad usage or config, 3 an outside
//! service failed).

/// What a command ended in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    Ok = 0,
    /// A policy said no (the gate needs a human, smoke tests failed).
    No = 1,
    Usage = 2,
    Outside = 3,
}

/// Bad usage or config: exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub(crate) String);

/// Config and usage errors are the user's to fix (2); everything else came from outside (3).
pub(crate) fn classify(error: &anyhow::Error) -> Exit {
    let is_usage = error.chain().any(|cause| {
        cause.downcast_ref::<crate::config::ConfigError>().is_some()
            || cause.downcast_ref::<UsageError>().is_some()
    });
    if is_usage { Exit::Usage } else { Exit::Outside }
}
