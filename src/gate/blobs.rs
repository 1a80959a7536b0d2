//! Files GitHub lists without a patch (large diffs, or files it treats as binary): their text
//! is read at the base and the head, so `diff_patterns` still see every added and removed line.
//! A file too large to read fails closed for the categories that have `diff_patterns`; only a
//! pure rename (identical blob SHAs) is taken as changing no line.

use std::collections::BTreeMap;

use super::changes::ChangedFile;
use crate::github::{FileStatus, GitHub, PullRequest, Repo};

/// The largest side of a file the gate reads to find its lines (the contents API's own limit).
pub(crate) const BLOB_CAP: u64 = 1024 * 1024;

/// At most this many patch-less files are read (two requests each); past it the rest fail
/// closed like a file too large to read.
pub(crate) const FILES_READ: usize = 100;

/// What one side of a file holds, as far as the diff is concerned.
enum Side {
    /// The text (bytes that are not UTF-8 are replaced, so a NUL byte or one stray byte
    /// hides no line), and the blob's SHA.
    Text(String, String),
    Absent,
}

impl Side {
    fn sha(&self) -> Option<&str> {
        match self {
            Side::Text(_, sha) => Some(sha),
            Side::Absent => None,
        }
    }
}

/// Gives each patch-less file a patch made from its two sides, or a reason it cannot be read.
/// Only a pure rename (the same blob under a new name) is known to change no line.
pub(crate) async fn fill_patches(
    gh: &GitHub,
    repo: &Repo,
    pull: &PullRequest,
    files: &mut [ChangedFile],
) {
    for (n, file) in files.iter_mut().filter(|f| f.patch.is_none()).enumerate() {
        if n >= FILES_READ {
            file.unreadable = Some(format!(
                "GitHub sent no patch, and the gate reads at most {FILES_READ} such files"
            ));
            continue;
        }
        match both_sides(gh, repo, pull, file).await {
            Ok((base, head)) => file.patch = Some(patch(&base, &head).unwrap_or_default()),
            Err(reason) => file.unreadable = Some(reason),
        }
    }
}

/// The file at the base (under its old name when renamed) and at the head.
async fn both_sides(
    gh: &GitHub,
    repo: &Repo,
    pull: &PullRequest,
    file: &ChangedFile,
) -> Result<(Side, Side), String> {
    let old_name = file.previous_filename.as_deref().unwrap_or(&file.filename);
    let base = match file.status {
        FileStatus::Added => Side::Absent,
        _ => side(gh, repo, old_name, &pull.base.sha).await?,
    };
    let pure_rename = file.status == FileStatus::Renamed
        && base.sha().is_some()
        && base.sha() == file.sha.as_deref();
    if pure_rename {
        return Ok((Side::Absent, Side::Absent));
    }
    let head = match file.status {
        FileStatus::Removed => Side::Absent,
        _ => side(gh, repo, &file.filename, &pull.head.sha).await?,
    };
    Ok((base, head))
}

async fn side(gh: &GitHub, repo: &Repo, path: &str, sha: &str) -> Result<Side, String> {
    let blob = match gh.file_blob(repo, path, sha).await {
        Ok(Some(blob)) => blob,
        Ok(None) => return Ok(Side::Absent),
        Err(e) => return Err(format!("GitHub sent no patch and reading it failed: {e}")),
    };
    match blob.content {
        Some(bytes) if blob.size <= BLOB_CAP => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            Ok(Side::Text(text, blob.sha))
        }
        _ => Err(format!(
            "GitHub sent no patch and the file is {} bytes, over the {} MiB the gate reads",
            blob.size,
            BLOB_CAP / (1024 * 1024)
        )),
    }
}

/// Lines only on one side, as `+`/`-` lines (order kept, repeats counted); `None` when there
/// is nothing to match.
fn patch(base: &Side, head: &Side) -> Option<String> {
    let lines = |side: &Side| match side {
        Side::Text(text, _) => text.lines().map(str::to_string).collect(),
        _ => Vec::new(),
    };
    let (old, new): (Vec<String>, Vec<String>) = (lines(base), lines(head));
    let mut out = String::new();
    for (sign, from, other) in [('-', &old, &new), ('+', &new, &old)] {
        let mut left = count(other);
        for line in from.iter() {
            match left.get_mut(line.as_str()) {
                Some(n) if *n > 0 => *n -= 1,
                _ => {
                    out.push(sign);
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

fn count(list: &[String]) -> BTreeMap<&str, usize> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for line in list {
        *counts.entry(line.as_str()).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_only_on_one_side_become_the_patch() {
        let text = |t: &str| Side::Text(t.into(), String::new());
        let base = text("a\nkeep\nb\n");
        let head = text("keep\nDELETE FROM users\nkeep\n");
        assert_eq!(
            patch(&base, &head).unwrap(),
            "-a\n-b\n+DELETE FROM users\n+keep\n"
        );
        assert_eq!(patch(&Side::Absent, &Side::Absent), None);
        let nul = Side::Text(
            String::from_utf8_lossy(b"\0\xff\nDELETE FROM t;\n").into(),
            String::new(),
        );
        assert!(
            patch(&Side::Absent, &nul)
                .unwrap()
                .contains("+DELETE FROM t;")
        );
    }
}
