//! The files a pull request changes, as the gate judges them: both names of a rename, the
//! added and removed lines of each patch, and whether the list is complete enough to judge.

use serde::{Deserialize, Serialize};

use crate::github::FileStatus;

/// GitHub lists at most this many files for a pull request; at or past it the gate fails closed.
pub(crate) const FILE_LIMIT: usize = 3000;

/// One changed file from `GET /pulls/{n}/files`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedFile {
    pub(crate) filename: String,
    /// `added`, `removed`, `modified`, `renamed`, `copied`, `changed`, `unchanged`.
    pub(crate) status: FileStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_filename: Option<String>,
    /// The unified diff; absent for binary files and very large diffs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    /// The blob SHA GitHub lists for the file (at the head).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sha: Option<String>,
    /// Why the file's lines could not be read when GitHub sent no patch (too large to fetch):
    /// every category with `diff_patterns` then fails closed on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) unreadable: Option<String>,
}

impl ChangedFile {
    pub fn new(filename: &str, status: impl Into<FileStatus>) -> Self {
        ChangedFile {
            filename: filename.to_string(),
            status: status.into(),
            previous_filename: None,
            patch: None,
            sha: None,
            unreadable: None,
        }
    }

    /// The names the file is judged under: a rename counts under the old name and the new one.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.filename.as_str()).chain(self.previous_filename.as_deref())
    }

    /// Added (`+`) and removed (`-`) lines of the patch, without the marker; hunk headers and
    /// context lines are skipped.
    pub(crate) fn diff_lines(&self) -> impl Iterator<Item = (char, &str)> {
        self.patch
            .as_deref()
            .unwrap_or_default()
            .lines()
            .filter_map(|line| {
                let mut chars = line.chars();
                match chars.next() {
                    Some(sign @ ('+' | '-')) => Some((sign, chars.as_str())),
                    _ => None,
                }
            })
    }
}

/// The pull request's file list and how far it could be read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    pub files: Vec<ChangedFile>,
    /// Why the list cannot be trusted to be whole (a page failed), if it cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) unreadable: Option<String>,
}

impl Changes {
    pub fn complete(files: Vec<ChangedFile>) -> Self {
        Changes {
            files,
            unreadable: None,
        }
    }

    /// The reason the gate cannot judge this list at all: too many files, or a missing page.
    pub(crate) fn fail_closed_reason(&self) -> Option<String> {
        if let Some(reason) = &self.unreadable {
            return Some(format!(
                "the pull request's file list could not be read in full ({reason})"
            ));
        }
        (self.files.len() >= FILE_LIMIT).then(|| {
            format!(
                "the pull request changes {} or more files; GitHub lists at most {FILE_LIMIT}, so the rest cannot be judged",
                FILE_LIMIT
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rename_has_both_names() {
        let mut f = ChangedFile::new("src/util/session.rs", "renamed");
        f.previous_filename = Some("src/auth/session.rs".into());
        assert_eq!(
            f.names().collect::<Vec<_>>(),
            ["src/util/session.rs", "src/auth/session.rs"]
        );
    }

    #[test]
    fn diff_lines_skip_headers_and_context() {
        let mut f = ChangedFile::new("a.rs", "modified");
        f.patch = Some("@@ -1,2 +1,2 @@\n keep\n-old\n+new".into());
        assert_eq!(
            f.diff_lines().collect::<Vec<_>>(),
            [('-', "old"), ('+', "new")]
        );
    }

    #[test]
    fn too_many_files_or_a_missing_page_fail_closed() {
        let many = Changes::complete(vec![ChangedFile::new("a", "added"); FILE_LIMIT]);
        assert!(many.fail_closed_reason().unwrap().contains("3000"));
        let partial = Changes {
            files: vec![],
            unreadable: Some("page 2 answered 502".into()),
        };
        assert!(partial.fail_closed_reason().unwrap().contains("page 2"));
        assert!(Changes::complete(vec![]).fail_closed_reason().is_none());
    }
}
