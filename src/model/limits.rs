//! Size limits on input files, checked before a file is read whole.
//!
//! Each limit is far above any real file of its kind (the shipped personas are a few kilobytes,
//! a year of a busy WhatsApp chat a few megabytes), so that only a wrong path (`/dev/zero`, a
//! video renamed `.json`) meets it, and is refused before it fills memory.

use std::io::Read as _;
use std::path::Path;

const MIB: u64 = 1024 * 1024;

/// Personas, policies, archetypes, mixes, lexicons, character cards in JSON: 16 MiB.
pub const MAX_DOCUMENT_BYTES: u64 = 16 * MIB;
/// Scenarios (a replay benchmark's file is 64 MB): 512 MiB.
pub const MAX_SCENARIO_BYTES: u64 = 512 * MIB;
/// Chat exports (WhatsApp text, chat JSON): 128 MiB.
pub const MAX_CHAT_BYTES: u64 = 128 * MIB;
/// Character card images (PNG): 64 MiB.
pub const MAX_IMAGE_BYTES: u64 = 64 * MIB;

/// The error for a file above `limit` bytes.
pub fn too_large(limit: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::FileTooLarge,
        format!(
            "the file is larger than the {} MiB this kind of file may hold; is it the right file?",
            limit / MIB
        ),
    )
}

/// Reads `path` whole, refusing it when it holds more than `limit` bytes: a regular file by its
/// length before reading, anything else (a pipe, `/dev/zero`) after `limit + 1` bytes.
pub fn read_limited(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let metadata = file.metadata()?;
    if metadata.is_file() && metadata.len() > limit {
        return Err(too_large(limit));
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    Ok(bytes)
}

/// [`read_limited`] for a UTF-8 text file.
pub fn read_text_limited(path: &Path, limit: u64) -> std::io::Result<String> {
    String::from_utf8(read_limited(path, limit)?).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// `text` without a leading byte-order mark (U+FEFF), which some editors on Windows write at
/// the start of UTF-8 files and which RON and JSON parsers do not accept.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endless_files_stop_at_the_limit() {
        let err = read_limited(Path::new("/dev/zero"), 1024).expect_err("refused");
        assert_eq!(err.kind(), std::io::ErrorKind::FileTooLarge);
        assert!(err.to_string().contains("MiB"), "{err}");
    }

    #[test]
    fn regular_files_above_the_limit_are_refused_before_reading() {
        let dir = std::env::temp_dir().join(format!("relance-limits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.json");
        std::fs::write(&path, vec![b' '; 2048]).unwrap();
        assert!(read_limited(&path, 1024).is_err());
        assert_eq!(read_limited(&path, 2048).unwrap().len(), 2048);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn byte_order_marks_are_stripped() {
        assert_eq!(strip_bom("\u{feff}(a: 1)"), "(a: 1)");
        assert_eq!(strip_bom("(a: 1)"), "(a: 1)");
    }
}
