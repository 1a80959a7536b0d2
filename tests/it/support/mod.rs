//! What several test areas share: worlds on the emulator, ways to run the real binary against
//! them, and the checkers of GitHub's description and of shipped workflows.

pub mod conductor;
pub mod emulator;
pub mod gate_rig;
pub mod integrations;
pub mod pipeline;
pub mod reference_doc;
pub mod requests;
pub mod service;
pub mod spec;
pub mod workflow;

/// Bytes a process printed, as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
