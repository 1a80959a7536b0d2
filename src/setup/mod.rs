//! Setting a repository up for shiprig: `init` (files by phase), `labels sync`, `bootstrap`
//! (labels and branch protection) and `doctor` (every gap and its fix). Each decides in a pure
//! function; the reading and writing around it is kept apart (`inspect`, `bootstrap::run`,
//! `labels::sync`).

pub mod bootstrap;
pub mod codeowners;
pub mod doctor;
pub(crate) mod init;
pub mod inspect;
pub(crate) mod labels;
pub mod protection;
pub mod templates;
pub(crate) mod triggers;
pub(crate) mod workflows;
