//! Setting a repository up for shiprig: `init` (files by phase), `labels sync`, `bootstrap`
//! (labels and branch protection) and `doctor` (every gap and its fix). Each decides in a pure
//! function and leaves the reading and writing to thin code in `src/cli/`.

pub mod codeowners;
pub mod doctor;
pub mod init;
pub mod labels;
pub mod protection;
pub mod templates;
pub mod workflows;
