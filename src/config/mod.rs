//! The `.github/shiprig.yml` model, read strictly: unknown keys, bad globs, regexes and
//! durations are errors with the file, line and column, before any command writes anything.
//!
//! [`Config::from_yaml`] parses text from anywhere (a file, the contents API);
//! [`Config::load`] reads a local file. [`json_schema`] describes the same model for editors.

mod de;
mod deploy;
mod dispatch;
mod gate;
mod load;
mod model;
mod permission;
mod schema;
mod values;

pub use de::agent_token_slot;
pub use dispatch::ConfiguredBackend;
pub use gate::{diff_set, path_glob};
pub use load::ConfigError;
pub(crate) use load::explicit_tag;
pub use model::{
    Agent, Approvers, Asana, CONFIG_VERSION, ClickUp, CommandDispatch, ConductorConfig, Config,
    Dispatch, Environment, GateConfig, GateRule, GithubActionsDispatch, Humans, KubernetesDispatch,
    Labels, Notify, Product, ProductPriorities, Release, RepositoryName, RepositorySource,
    SlackConfig, SmokeCheck, VersionCheck,
};
pub use permission::Permission;
pub use schema::{SCHEMA_ID, json_schema};
pub use values::{Duration, Glob, Pattern, REGEX_BUDGET};

/// Where a repository keeps its shiprig config.
pub const CONFIG_PATH: &str = ".github/shiprig.yml";
