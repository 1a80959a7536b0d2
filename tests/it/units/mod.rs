//! The library's rooms one at a time, through their public API: the pure decisions and
//! renderings that need no GitHub, no clock and no network.

mod bounded;
mod commits;
mod lifecycle;
mod merge;
mod plan_diff;
mod plan_marker;
mod product_pull;
mod secrets;
mod service;
mod setup_codeowners;
mod setup_init;
mod setup_protection;
mod setup_templates;
mod setup_workflows;
mod smoke;
