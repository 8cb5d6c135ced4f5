//! The fast path for large JSON scenarios: the users array is cut into each user's text, so
//! that users can be parsed on several threads (a whole load) or one at a time as a replay
//! reaches them (a streamed replay, [`super::StreamedScenario`]).
//!
//! The cut is serde_json's own: the file is deserialized with each user kept as a
//! [`RawValue`] (borrowed text, not parsed into values), which also parses the rest of the
//! file (name, `until`, expectations). A hand-written byte scanner did the same job before; on
//! the 64 MB replay benchmark it was not faster by the 10 % that would justify its 150 lines
//! (see the note at [`cut_json`]).

use std::ops::Range;

use serde_json::value::RawValue;

use super::{ScenarioFile, UserFile};

/// Below this size a JSON scenario is parsed on the calling thread alone.
pub(super) const PARALLEL_PARSE_MIN_BYTES: usize = 1 << 20;

/// A JSON scenario cut by [`cut_json`]: the byte ranges of its users in the text, and the rest
/// of the file parsed (with no user).
pub(super) struct JsonCut {
    /// Each user's text, as a range of the source.
    pub users: Vec<Range<usize>>,
    /// Everything but the users.
    pub rest: ScenarioFile,
}

/// The [`JsonCut`] of `source`; `None` when it does not parse as a scenario file (the caller
/// then parses it whole, which reports the error at its place).
///
/// Measured on the replay benchmark (README, "Speed"), against the hand-written scanner it
/// replaced, in one `hyperfine` series: see ARCHITECTURE.md, "Scenario input".
pub(super) fn cut_json(source: &str) -> Option<JsonCut> {
    let file: ScenarioFile<&RawValue> = serde_json::from_str(source).ok()?;
    // Borrowed raw values are slices of `source`: their offset is their address's distance
    // from its start.
    let base = source.as_ptr() as usize;
    let users = file
        .users
        .iter()
        .map(|raw| {
            let start = raw.get().as_ptr() as usize - base;
            start..start + raw.get().len()
        })
        .collect();
    let rest = ScenarioFile {
        name: file.name,
        description: file.description,
        until: file.until,
        users: Vec::new(),
        expect: file.expect,
    };
    Some(JsonCut { users, rest })
}

/// Parses a JSON scenario; a large one (a replay benchmark's file is 64 MB) has its users
/// parsed on scoped threads, one chunk per core. Not on rayon's pool: the studio loads files
/// on its UI thread while a population run may hold every worker of that pool. Any error is
/// found again by the plain serial parse, so that it names the line and column in the whole
/// file. `cut` is [`cut_json`] of `source` when the caller has it already.
pub(super) fn parse_json(
    source: &str,
    cut: Option<JsonCut>,
) -> Result<ScenarioFile, serde_json::Error> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    if source.len() < PARALLEL_PARSE_MIN_BYTES || threads < 2 {
        return serde_json::from_str(source);
    }
    let parallel = || -> Option<ScenarioFile> {
        let JsonCut { users, rest } = match cut {
            Some(cut) => cut,
            None => cut_json(source)?,
        };
        let parse = |ranges: &[Range<usize>]| {
            ranges
                .iter()
                .map(|r| serde_json::from_str::<UserFile>(&source[r.clone()]))
                .collect::<Result<Vec<_>, _>>()
        };
        let chunk = users.len().div_ceil(threads).max(1);
        let parts = std::thread::scope(|scope| {
            let handles: Vec<_> = users
                .chunks(chunk)
                .map(|ranges| scope.spawn(move || parse(ranges)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().ok().and_then(Result::ok))
                .collect::<Option<Vec<_>>>()
        })?;
        Some(ScenarioFile {
            users: parts.into_iter().flatten().collect(),
            ..rest
        })
    };
    match parallel() {
        Some(file) => Ok(file),
        None => serde_json::from_str(source),
    }
}
