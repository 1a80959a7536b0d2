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
pub(crate) use dispatch::ConfiguredBackend;
pub(crate) use gate::{diff_set, path_glob};
pub use load::ConfigError;
pub(crate) use load::explicit_tag;
pub(crate) use model::{
    Asana, ClickUp, CommandDispatch, ConductorConfig, Dispatch, Environment, GateConfig, GateRule,
    GithubActionsDispatch, KubernetesDispatch, Product, ProductPriorities, Release, SmokeCheck,
    VersionCheck,
};
pub use model::{Config, Labels};
pub use permission::Permission;
pub use schema::{SCHEMA_ID, json_schema};
pub use values::Duration;

/// Where a repository keeps its shiprig config.
pub(crate) const CONFIG_PATH: &str = ".github/shiprig.yml";
