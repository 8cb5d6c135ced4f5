//! Reading a scenario file for a replay: its text read or mapped ([`Source`]), loaded whole or,
//! for a large JSON file, streamed user by user ([`StreamedScenario`]).

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::json::{JsonCut, PARALLEL_PARSE_MIN_BYTES, cut_json};
use super::{Scenario, ScenarioFormat, User, UserFile, check_user};
use crate::model::diagnostics::{Diagnostic, LoadError, Severity};
use crate::model::locate::Locator;

/// A scenario file's text: read into memory, or, for a large regular file, mapped.
///
/// Mapping a large file spares copying it and zeroing as much fresh memory to copy it into,
/// which is a good part of loading tens of megabytes. The map is read while the file is
/// parsed; a program truncating the file in that instant would stop this one with `SIGBUS`
/// (as `rg` and other tools that map files accept), where reading would only see a torn
/// file: only command-line runs map.
pub(super) enum Source {
    Read(String),
    Mapped(memmap2::Mmap),
}

impl Source {
    /// Files from this size are mapped.
    pub(super) const MAP_MIN_BYTES: u64 = 1 << 20;

    /// The text of `path`; with `map`, a large regular file is mapped.
    pub(super) fn read(path: &Path, map: bool) -> std::io::Result<Source> {
        use crate::model::limits::{MAX_SCENARIO_BYTES, too_large};
        let file = std::fs::File::open(path)?;
        let metadata = file.metadata()?;
        if metadata.is_file() && metadata.len() > MAX_SCENARIO_BYTES {
            return Err(too_large(MAX_SCENARIO_BYTES));
        }
        if map && metadata.is_file() && metadata.len() >= Self::MAP_MIN_BYTES {
            // SAFETY: the map is only read, and only as long as `Source` lives (see above for
            // a file changed meanwhile). A failed map falls back to reading.
            if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
                return Ok(Source::Mapped(map));
            }
        }
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut std::io::Read::take(&file, MAX_SCENARIO_BYTES + 1),
            &mut text,
        )?;
        if text.len() as u64 > MAX_SCENARIO_BYTES {
            return Err(too_large(MAX_SCENARIO_BYTES));
        }
        Ok(Source::Read(text))
    }

    /// The text; a mapped file that is not UTF-8 gets the error reading it would give.
    fn text(&self) -> std::io::Result<&str> {
        match self {
            Source::Read(text) => Ok(text),
            Source::Mapped(map) => std::str::from_utf8(map).map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "stream did not contain valid UTF-8",
                )
            }),
        }
    }
}

/// A scenario file's text, read for one replay (see [`ScenarioText::open_for_replay`]).
pub struct ScenarioText {
    source: Source,
    format: ScenarioFormat,
    path: PathBuf,
}

/// A scenario opened for one replay: loaded whole, or, for a large JSON file, streamed.
pub enum ReplaySource<'a> {
    /// Loaded and checked, with its warnings.
    Whole(Scenario, Vec<Diagnostic>),
    /// Read user by user as the replay reaches them.
    Streamed(StreamedScenario<'a>),
}

impl ScenarioText {
    /// Reads a scenario file, mapping a large one rather than copying it (see [`Source`]): for
    /// command-line runs, where nothing unsaved is lost if another program truncates the file
    /// at that instant.
    pub fn read(path: &Path) -> Result<Self, LoadError> {
        Self::read_with(path, true)
    }

    /// Reads a scenario file into memory, never mapped: for the studio.
    pub fn read_unmapped(path: &Path) -> Result<Self, LoadError> {
        Self::read_with(path, false)
    }

    /// Reads a scenario file; with `map`, a large one is mapped (see [`Source`]).
    fn read_with(path: &Path, map: bool) -> Result<Self, LoadError> {
        let format = ScenarioFormat::from_path(path).ok_or_else(|| LoadError::UnknownFormat {
            path: path.to_owned(),
            expected: ".ron or .json",
        })?;
        let source = Source::read(path, map).map_err(|e| LoadError::io(path, e))?;
        Ok(Self {
            source,
            format,
            path: path.to_owned(),
        })
    }

    /// The scenario for a replay that goes through its users in order and stops at the first
    /// invalid one: a large JSON file that sets `until` is streamed ([`StreamedScenario`]),
    /// any other file is loaded whole.
    pub fn open_for_replay(&self) -> Result<ReplaySource<'_>, LoadError> {
        let path = &self.path;
        let text = self.text()?;
        let cut = (self.format == ScenarioFormat::Json && text.len() >= PARALLEL_PARSE_MIN_BYTES)
            .then(|| cut_json(text))
            .flatten();
        match cut {
            Some(JsonCut { users, rest }) if rest.until.is_some() => {
                // No user yet, so no diagnostic.
                let (head, _) = Scenario::check(rest, text);
                Ok(ReplaySource::Streamed(StreamedScenario {
                    source: text,
                    head,
                    users,
                    path,
                }))
            }
            // Without `until`, loaded whole, from the cut already made.
            cut => Scenario::from_str_cut(text, self.format, path, cut)
                .map(|(scenario, warnings)| ReplaySource::Whole(scenario, warnings)),
        }
    }

    /// The scenario, loaded whole, with its warnings.
    pub fn load(&self) -> Result<(Scenario, Vec<Diagnostic>), LoadError> {
        Scenario::from_str(self.text()?, self.format, &self.path)
    }

    fn text(&self) -> Result<&str, LoadError> {
        self.source.text().map_err(|e| LoadError::io(&self.path, e))
    }
}

/// A large JSON scenario read user by user: its head (name, description, `until`) parsed and
/// each user's part of the text found, each user parsed and checked only when asked for.
///
/// A replay of tens of thousands of users then parses them on every core along with their
/// replay, and never holds them all: parsing a 64 MB file whole took as much fresh memory
/// again, and fresh memory is slow to come by on a virtual machine. Only for files that set
/// `until`: without it, the horizon is 14 days after the last event of any user, known once
/// every user is read.
pub struct StreamedScenario<'a> {
    source: &'a str,
    head: Scenario,
    users: Vec<Range<usize>>,
    path: &'a Path,
}

impl StreamedScenario<'_> {
    /// The scenario without its users: name, description and `until`.
    pub fn head(&self) -> &Scenario {
        &self.head
    }

    /// The number of users.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether the scenario has no user.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// User `index`, parsed and checked, with its warnings (events sorted); `None` when it does
    /// not parse or is invalid, and [`StreamedScenario::error`] then says why. The uniqueness of
    /// ids is left to the caller, which sees every user.
    pub fn user(&self, index: usize) -> Option<(User, Vec<Diagnostic>)> {
        let file: UserFile =
            serde_json::from_str(&self.source[self.users.get(index)?.clone()]).ok()?;
        let mut diagnostics = Vec::new();
        let user = check_user(index, file, &Locator::new(self.source), &mut diagnostics);
        let invalid = diagnostics.iter().any(|d| d.severity == Severity::Error);
        (!invalid).then_some((user, diagnostics))
    }

    /// What is wrong with the file, once a user was found invalid or two with the same id: the
    /// error of loading it whole, which names every problem at its place.
    pub fn error(&self) -> LoadError {
        match Scenario::from_str(self.source, ScenarioFormat::Json, self.path) {
            Err(error) => error,
            // Only if the file changed while it was read.
            Ok(_) => LoadError::io(
                self.path,
                std::io::Error::other("the file changed while it was read"),
            ),
        }
    }
}
