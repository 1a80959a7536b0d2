//! shiprig's integration tests, built as one test binary: the whole stack links once rather
//! than once per area. Each module below is one area, tested as a user of the crate would;
//! `support` holds what several share. Unit tests of private helpers live beside their code.
//!
//! Every test here may share this process: none sets process environment variables (each run
//! of the binary gets its own environment after `Command::env_clear`), the only process-wide
//! state is the rustls crypto provider, which every test installs as the same aws-lc-rs
//! provider (a second install is a no-op), and `bounded_inputs` measures the time and peak
//! memory of the child it runs (`wait4`), not of this process. A test that changes process
//! state belongs in a `tests/<name>.rs` binary of its own.

mod support;

mod agents;
mod as_installed;
mod bounded_inputs;
mod cli;
mod cli_credentials;
mod conductor_emulator;
mod conductor_explain;
mod conductor_fallback;
mod conductor_lost_answers;
mod conductor_plan;
mod config_duration;
mod config_errors;
mod config_reference;
mod config_schema;
mod config_snapshots;
mod conformance;
mod deploy_manifests;
mod docs;
mod emulator_faults;
mod emulator_issues;
mod emulator_pulls;
mod gate_airtight;
mod gate_event_props;
mod gate_security;
mod gate_story;
mod gate_trust_records;
mod gate_trust_verdict;
mod gate_verdict;
mod github_cache;
mod github_client;
mod integrations_config;
mod integrations_fakes;
mod integrations_plan;
mod integrations_plan_props;
mod integrations_product;
mod integrations_slack;
mod layers;
mod pipeline_deploy;
mod pipeline_lifecycle;
mod pipeline_release;
mod pipeline_slack;
mod pipeline_smoke;
mod pipeline_story;
mod release_shipped;
mod review_agent;
mod review_rounds;
mod secrets;
mod service;
mod service_webhook;
mod setup_action;
mod setup_init;
mod setup_repo;
mod status_page;
mod tls_roots;
mod trust_conductor;
mod trust_release;
mod workflow_story;
mod workflows;
