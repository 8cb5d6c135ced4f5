//! Problems found in files: syntax errors, validation errors and lint warnings, each with its place.

use std::fmt;
use std::path::{Path, PathBuf};

/// How serious a [`Diagnostic`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The file cannot be used as it is.
    Error,
    /// The file works, but a responsible platform would likely reject it.
    Warning,
}

/// One problem in a file, with the place it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The field it concerns, as a path such as `templates[2].text` (empty for the whole file).
    pub field: String,
    /// 1-based line and column in the file, when known.
    pub position: Option<(usize, usize)>,
    /// Name of the lint rule for warnings (`clingy`, `false_urgency`…), empty for errors.
    pub rule: String,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl Diagnostic {
    /// An error on `field`.
    pub fn error(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            field: field.into(),
            position: None,
            rule: String::new(),
            message: message.into(),
        }
    }

    /// A warning of lint rule `rule` on `field`.
    pub fn warning(
        rule: impl Into<String>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            field: field.into(),
            position: None,
            rule: rule.into(),
            message: message.into(),
        }
    }

    /// The same diagnostic placed at `position`.
    pub fn at(mut self, position: Option<(usize, usize)>) -> Self {
        self.position = position;
        self
    }

    /// `file:line:col: error: message (field)`, the form `relance check` prints.
    pub fn display_in<'a>(&'a self, path: &'a Path) -> impl fmt::Display + 'a {
        DiagnosticInFile {
            diagnostic: self,
            path,
        }
    }
}

struct DiagnosticInFile<'a> {
    diagnostic: &'a Diagnostic,
    path: &'a Path,
}

impl fmt::Display for DiagnosticInFile<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some((line, col)) = self.diagnostic.position {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": {}", self.diagnostic)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.severity {
            Severity::Error => write!(f, "error: {}", self.message)?,
            Severity::Warning => write!(f, "warning[{}]: {}", self.rule, self.message)?,
        }
        if !self.field.is_empty() {
            write!(f, " (in {})", self.field)?;
        }
        Ok(())
    }
}

/// Why a persona, policy or scenario file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read or written.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error (shown in the message, so not chained as a source).
        error: std::io::Error,
    },
    /// The file is not well-formed RON or JSON, or does not have the expected shape.
    #[error("{}:{line}:{col}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What the parser expected.
        message: String,
    },
    /// The file parsed but its content is invalid; every problem is listed.
    #[error("{}", display_all(path, diagnostics))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every error found (and the warnings found with them).
        diagnostics: Vec<Diagnostic>,
    },
    /// The file's extension does not say which format it is in.
    #[error("{}: unknown file type; expected {expected}", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// The extensions that would be accepted.
        expected: &'static str,
    },
}

impl LoadError {
    /// Every diagnostic of this error, syntax errors included, for display beside a field.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            LoadError::Io { error, .. } => vec![Diagnostic::error("", error.to_string())],
            LoadError::Syntax {
                line, col, message, ..
            } => vec![Diagnostic::error("", message.clone()).at(Some((*line, *col)))],
            LoadError::Invalid { diagnostics, .. } => diagnostics.clone(),
            LoadError::UnknownFormat { expected, .. } => vec![Diagnostic::error(
                "",
                format!("unknown file type; expected {expected}"),
            )],
        }
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            LoadError::Io { path, .. }
            | LoadError::Syntax { path, .. }
            | LoadError::Invalid { path, .. }
            | LoadError::UnknownFormat { path, .. } => path,
        }
    }

    /// A RON parse error turned into a [`LoadError::Syntax`].
    pub fn from_ron(path: &Path, err: &ron::error::SpannedError) -> Self {
        LoadError::Syntax {
            path: path.to_owned(),
            line: err.span.start.line,
            col: err.span.start.col,
            message: err.code.to_string(),
        }
    }

    /// A JSON parse error turned into a [`LoadError::Syntax`].
    pub fn from_json(path: &Path, err: &serde_json::Error) -> Self {
        // serde_json appends " at line L column C" to its message; the position is kept apart.
        let full = err.to_string();
        let message = match full.rfind(" at line ") {
            Some(cut) => full[..cut].to_owned(),
            None => full,
        };
        LoadError::Syntax {
            path: path.to_owned(),
            line: err.line(),
            col: err.column(),
            message,
        }
    }

    /// A read or write failure on `path`.
    pub fn io(path: &Path, error: std::io::Error) -> Self {
        LoadError::Io {
            path: path.to_owned(),
            error,
        }
    }
}

fn display_all(path: &Path, diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let mut out = format!(
        "{}: {errors} error{} found",
        path.display(),
        if errors == 1 { "" } else { "s" }
    );
    for d in diagnostics {
        out.push_str(&format!("\n  {}", d.display_in(path)));
    }
    out
}

/// Writes `contents` to `path` atomically: a temporary file beside it, then a rename, so a crash
/// never leaves a half-written file.
///
/// A symbolic link is followed (the file it points to is replaced, the link stays), an existing
/// file keeps its permissions, and a path that is not a regular file (`/dev/null`, `/dev/stdout`,
/// a named pipe) is written in place: renaming over it would replace the device with a file.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), LoadError> {
    write_atomically_with(path, |out| out.write_all(contents))
}

/// Whether [`write_atomically`] writes `path` in place, as it does a path that exists and is
/// not a regular file (a device, a named pipe): what is written there is seen at once, and an
/// error leaves it half-written.
pub fn writes_in_place(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// [`write_atomically`] of what `write` writes, through a buffer: for contents made piece by
/// piece, never held whole in memory.
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), LoadError> {
    if writes_in_place(path) {
        return std::fs::File::create(path)
            .and_then(|file| write_buffered(SyncingFile::new(file, None), write))
            .and_then(SyncingFile::finish)
            .map(drop)
            .map_err(|source| LoadError::io(path, source));
    }
    let existing = std::fs::metadata(path).ok();
    let target = if existing.is_some() {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
    } else {
        path.to_owned()
    };
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "relance".to_owned());
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let file = SyncingFile::new(std::fs::File::create(&tmp)?, Some(SYNC_EVERY_BYTES));
        let file = write_buffered(file, write)?.finish()?;
        file.sync_all()?;
        if let Some(metadata) = &existing {
            std::fs::set_permissions(&tmp, metadata.permissions())?;
        }
        std::fs::rename(&tmp, &target)
    })();
    if let Err(source) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(LoadError::io(path, source));
    }
    Ok(())
}

/// The buffer between [`write_atomically_with`]'s writer and the file.
const WRITE_BUFFER_BYTES: usize = 256 * 1024;

/// Runs `write` on `file` through a buffer, flushed; returns the file.
fn write_buffered(
    file: SyncingFile,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<SyncingFile> {
    let mut out = std::io::BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
    write(&mut out)?;
    out.into_inner()
        .map_err(std::io::IntoInnerError::into_error)
}

/// A large file is flushed to disk as it is written, a step behind, so that the last
/// `sync_all` before the rename has little left to wait for.
const SYNC_EVERY_BYTES: usize = 8 << 20;

/// A file being written that, every so many bytes, has what was written so far synced to disk
/// on another thread while writing goes on.
struct SyncingFile {
    file: std::fs::File,
    every_bytes: Option<usize>,
    since_sync_bytes: usize,
    syncing: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    /// Syncs started so far.
    syncs: usize,
}

impl SyncingFile {
    fn new(file: std::fs::File, every_bytes: Option<usize>) -> Self {
        Self {
            file,
            every_bytes,
            since_sync_bytes: 0,
            syncing: None,
            syncs: 0,
        }
    }

    /// Waits for the sync under way, if any.
    fn wait(&mut self) -> std::io::Result<()> {
        match self.syncing.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(std::io::Error::other("a file sync thread panicked")),
            None => Ok(()),
        }
    }

    /// The file, once the sync under way is done.
    fn finish(mut self) -> std::io::Result<std::fs::File> {
        self.wait()?;
        Ok(self.file)
    }
}

impl std::io::Write for SyncingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.file.write(buf)?;
        self.since_sync_bytes += written;
        if self
            .every_bytes
            .is_some_and(|every| self.since_sync_bytes >= every)
        {
            self.wait()?;
            self.since_sync_bytes = 0;
            let file = self.file.try_clone()?;
            self.syncing = Some(std::thread::spawn(move || file.sync_data()));
            self.syncs += 1;
        }
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_synced_as_they_are_written_hold_every_byte() {
        let dir = std::env::temp_dir().join(format!("relance-sync-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.txt");
        let file = SyncingFile::new(std::fs::File::create(&path).unwrap(), Some(100));
        let expected: String = (0..2000).map(|i| format!("{i},")).collect();
        let file = write_buffered(file, |out| {
            for chunk in expected.as_bytes().chunks(37) {
                out.write_all(chunk)?;
                out.flush()?;
            }
            Ok(())
        })
        .unwrap();
        // A sync at most every 100 bytes (every third write of 37): dozens of them.
        assert!(file.syncs >= expected.len() / 200, "{} syncs", file.syncs);
        drop(file.finish().unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("relance-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn an_atomic_write_replaces_the_file_and_leaves_no_temporary_file() {
        let dir = scratch_dir("atomic");
        let path = dir.join("persona.ron");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("persona.ron")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn an_atomic_write_through_a_symbolic_link_keeps_the_link_and_the_permissions() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = scratch_dir("symlink");
        let real = dir.join("real.ron");
        std::fs::write(&real, "old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.join("link.ron");
        std::os::unix::fs::symlink(&real, &link).unwrap();

        write_atomically(&link, b"new").unwrap();

        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// `--out /dev/null` once replaced the machine's `/dev/null` with a regular file: a path
    /// that is not a regular file must be written in place. A named pipe stands in for the device.
    #[cfg(unix)]
    #[test]
    fn an_atomic_write_to_a_named_pipe_writes_into_the_pipe() {
        use std::os::unix::fs::FileTypeExt as _;
        let dir = scratch_dir("fifo");
        let fifo = dir.join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("mkfifo is not available; skipped");
            return;
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write_atomically(&fifo, b"through the pipe").unwrap();
        let still_a_pipe = std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo();
        assert!(
            still_a_pipe,
            "the named pipe was replaced by a regular file"
        );
        assert_eq!(reader.join().unwrap(), "through the pipe");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
