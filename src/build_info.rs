//! Where this binary was built from, embedded by `build.rs`: what `--version` shows and what
//! `shiprig init` pins the action to.

/// The commit the binary was built from; "unknown" when neither git nor `SHIPRIG_COMMIT` said.
pub const COMMIT: &str = env!("SHIPRIG_BUILD_COMMIT");
/// The repository whose `action.yml` the workflows use (`owner/name`).
pub const REPOSITORY: &str = env!("SHIPRIG_BUILD_REPOSITORY");
/// The crate version, `0.1.0`.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `0.1.0 (commit 9f55683…)`, for `--version`.
pub(crate) const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("SHIPRIG_BUILD_COMMIT"),
    ", ",
    env!("SHIPRIG_BUILD_REPOSITORY"),
    ")"
);

/// Whether the commit is known (a full SHA), so a workflow can be pinned to it.
pub(crate) fn commit_known() -> bool {
    COMMIT.len() == 40 && COMMIT.chars().all(|c| c.is_ascii_hexdigit())
}

/// The `uses:` line value of the action at this build: `owner/shiprig@<commit> # v<version>`,
/// or the version tag when the commit is unknown.
pub(crate) fn action_ref() -> String {
    if commit_known() {
        format!("{REPOSITORY}@{COMMIT} # v{VERSION}")
    } else {
        format!("{REPOSITORY}@v{VERSION}")
    }
}
