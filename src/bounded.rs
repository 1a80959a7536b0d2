//! Reading the files shiprig is handed (a config, a plan, an event payload) within a size
//! limit: never more than the limit plus one byte is read, whatever the file is (a huge file,
//! `/dev/zero`, a FIFO that never ends), and text that is not UTF-8 is refused with the line
//! and column of its first bad byte.

use std::io::Read as _;
use std::path::Path;

/// `.github/shiprig.yml` (or `--config`).
pub(crate) const CONFIG_LIMIT: u64 = 1024 * 1024;
/// A plan file for `shiprig plan apply`.
pub(crate) const PLAN_LIMIT: u64 = 4 * 1024 * 1024;
/// `GITHUB_EVENT_PATH`: GitHub caps webhook payloads at 25 MB.
pub(crate) const EVENT_LIMIT: u64 = 25 * 1024 * 1024;

/// Why a file could not be read as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReadError {
    /// 1-based place of the problem; 0 when it has none.
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) message: String,
}

impl ReadError {
    fn whole(message: String) -> ReadError {
        ReadError {
            line: 0,
            column: 0,
            message,
        }
    }
}

/// Reads at most `limit` bytes of `path` as UTF-8 text; larger is an error, read no further.
pub(crate) fn read_text(path: &Path, limit: u64, what: &str) -> Result<String, ReadError> {
    let file = std::fs::File::open(path)
        .map_err(|e| ReadError::whole(format!("cannot read the {what}: {e}")))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::whole(format!("cannot read the {what}: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::whole(format!(
            "the {what} is larger than {}: shiprig reads at most that much",
            human(limit)
        )));
    }
    utf8(bytes)
}

/// The bytes as text, or the line and column (in characters) of the first invalid byte.
pub(crate) fn utf8(bytes: Vec<u8>) -> Result<String, ReadError> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let before = String::from_utf8_lossy(&bytes[..valid]);
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .unwrap_or_default()
            .chars()
            .count()
            + 1;
        ReadError {
            line,
            column,
            message: format!(
                "invalid UTF-8 (byte 0x{:02x}): expected UTF-8 text",
                bytes[valid]
            ),
        }
    })
}

fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{} MiB", b / (1024 * 1024)),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn bad_utf8_has_a_line_and_column() {
        let err = utf8(b"a: 1\nbb: \xff\n".to_vec()).unwrap_err();
        assert_eq!((err.line, err.column), (2, 5));
        assert!(err.message.contains("0xff"), "{}", err.message);
        assert_eq!(utf8("é\n".into()).unwrap(), "é\n");
    }

    #[test]
    fn reading_stops_past_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, vec![b'a'; 2048]).unwrap();
        let err = read_text(&path, 1024, "plan").unwrap_err();
        assert!(
            err.message.contains("plan is larger than"),
            "{}",
            err.message
        );
        assert_eq!(read_text(&path, 4096, "plan").unwrap().len(), 2048);
        let zero = read_text(Path::new("/dev/zero"), 1024, "config").unwrap_err();
        assert!(zero.message.contains("larger than"));
    }
}
