//! Files GitHub lists without a patch (large diffs, or files it treats as binary): their text
//! is read at the base and the head, so `diff_patterns` still see every added and removed line.
//! A file too large to read fails closed for the categories that have `diff_patterns`.

use std::collections::BTreeMap;

use super::changes::ChangedFile;
use crate::github::{GitHub, PullRequest, Repo};

/// The largest side of a file the gate reads to find its lines (the contents API's own limit).
pub const BLOB_CAP: u64 = 1024 * 1024;

/// At most this many patch-less files are read (two requests each); past it the rest fail
/// closed like a file too large to read.
pub const FILES_READ: usize = 100;

/// What one side of a file holds, as far as the diff is concerned.
enum Side {
    Text(String),
    /// Not UTF-8: no lines to match.
    Binary,
    Absent,
}

/// Gives each patch-less file a patch made from its two sides, or a reason it cannot be read.
pub async fn fill_patches(gh: &GitHub, repo: &Repo, pull: &PullRequest, files: &mut [ChangedFile]) {
    for (n, file) in files.iter_mut().filter(|f| f.patch.is_none()).enumerate() {
        if n >= FILES_READ {
            file.unreadable = Some(format!(
                "GitHub sent no patch, and the gate reads at most {FILES_READ} such files"
            ));
            continue;
        }
        let old_name = file
            .previous_filename
            .clone()
            .unwrap_or(file.filename.clone());
        let base = match file.status.as_str() {
            "added" => Ok(Side::Absent),
            _ => side(gh, repo, &old_name, &pull.base.sha).await,
        };
        let head = match file.status.as_str() {
            "removed" => Ok(Side::Absent),
            _ => side(gh, repo, &file.filename, &pull.head.sha).await,
        };
        match (base, head) {
            (Ok(base), Ok(head)) => file.patch = patch(&base, &head),
            (Err(reason), _) | (_, Err(reason)) => file.unreadable = Some(reason),
        }
    }
}

async fn side(gh: &GitHub, repo: &Repo, path: &str, sha: &str) -> Result<Side, String> {
    let blob = match gh.file_blob(repo, path, sha).await {
        Ok(Some(blob)) => blob,
        Ok(None) => return Ok(Side::Absent),
        Err(e) => return Err(format!("GitHub sent no patch and reading it failed: {e}")),
    };
    match blob.content {
        Some(bytes) if blob.size <= BLOB_CAP => Ok(match String::from_utf8(bytes) {
            Ok(text) => Side::Text(text),
            Err(_) => Side::Binary,
        }),
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
        Side::Text(text) => text.lines().map(str::to_string).collect(),
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
        let base = Side::Text("a\nkeep\nb\n".into());
        let head = Side::Text("keep\nDELETE FROM users\nkeep\n".into());
        assert_eq!(
            patch(&base, &head).unwrap(),
            "-a\n-b\n+DELETE FROM users\n+keep\n"
        );
        assert_eq!(patch(&Side::Binary, &Side::Absent), None);
    }
}
