//! The library's rooms one at a time, through their public API: the pure decisions and
//! renderings that need no GitHub, no clock and no network.

mod actions_log;
mod bounded;
mod commits;
mod conductor_claim;
mod conductor_fallback;
mod conductor_graph;
mod gate_approvals;
mod gate_changes;
mod gate_deps;
mod gate_event;
mod gate_output;
mod gate_rules;
mod github_auth;
mod github_retry;
mod lifecycle;
mod markdown;
mod merge;
mod notify_critical;
mod plan_diff;
mod plan_marker;
mod product_pull;
mod release_merged_by;
mod secrets;
mod service;
mod setup_codeowners;
mod setup_init;
mod setup_protection;
mod setup_templates;
mod setup_triggers;
mod setup_workflows;
mod smoke;
