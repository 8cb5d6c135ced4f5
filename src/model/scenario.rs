//! Scenarios: simulated users and the time-ordered messages they exchanged with the bot.
//!
//! Loaded from RON or JSON (chosen by extension); the JSON shape is the documented interchange
//! format (README, "Scenario files"). Raw file structs are checked once into [`Scenario`]: time
//! zones parsed, ids unique, events in time order (out-of-order events are sorted and reported).

use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::Channel;
use super::diagnostics::{Diagnostic, LoadError, Severity, write_atomically};
use super::expect::{DecisionExpect, Expectations, ScenarioExpect};
use super::locate::Locator;

/// Who sent a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sender {
    /// The user: only these messages count as interactions.
    User,
    /// The bot (replies and nudges).
    Bot,
}

/// One message in a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// When it was sent (UTC).
    #[serde(deserialize_with = "deserialize_instant")]
    pub at: DateTime<Utc>,
    /// Who sent it.
    pub from: Sender,
    /// Where.
    pub channel: Channel,
    /// What it said; for a media message, its caption (often empty).
    pub text: String,
    /// A photo, video, voice note, sticker, document or location whose content the file does
    /// not hold: an interaction, with no words for memory, echo or the safety check.
    #[serde(default, skip_serializing_if = "is_false")]
    pub media: bool,
}

fn is_false(value: &bool) -> bool {
    !value
}

/// Reads an instant as chrono does (RFC 3339, any offset, converted to UTC), with a fast path
/// for the form every exporter writes, `2026-01-12T08:00:00Z`: a scenario holds one per event.
fn deserialize_instant<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<DateTime<Utc>, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = DateTime<Utc>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an RFC 3339 formatted date and time string")
        }

        fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Self::Value, E> {
            parse_instant(value).map_err(E::custom)
        }
    }
    deserializer.deserialize_str(Visitor)
}

/// [`deserialize_instant`] for an optional instant (`until`).
fn deserialize_optional_instant<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    let text: Option<String> = Option::deserialize(deserializer)?;
    text.map(|t| parse_instant(&t).map_err(serde::de::Error::custom))
        .transpose()
}

/// The years a timestamp may fall in: wide enough for any real conversation, narrow enough that
/// no date computed from one (a horizon, a send time a policy's delays after it) can overflow.
pub const TIMESTAMP_YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// A timestamp as written in a scenario: RFC 3339, within [`TIMESTAMP_YEARS`]. The error names
/// the value and says it is a timestamp.
pub fn parse_instant(value: &str) -> Result<DateTime<Utc>, String> {
    use chrono::Datelike as _;
    let at = match utc_seconds(value) {
        Some(at) => at,
        None => value
            .parse::<DateTime<chrono::FixedOffset>>()
            .map(|at| at.with_timezone(&Utc))
            .map_err(|e| {
                format!(
                    "the timestamp `{}` cannot be read ({e}); write it as 2026-01-12T08:00:00Z",
                    short(value)
                )
            })?,
    };
    if !TIMESTAMP_YEARS.contains(&at.year()) {
        return Err(format!(
            "the timestamp `{}` is outside the years {} to {}",
            short(value),
            TIMESTAMP_YEARS.start(),
            TIMESTAMP_YEARS.end()
        ));
    }
    Ok(at)
}

/// A value quoted in an error, cut to 60 characters.
fn short(value: &str) -> String {
    if value.chars().count() <= 60 {
        value.to_owned()
    } else {
        format!("{}…", value.chars().take(60).collect::<String>())
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` exactly, with a valid date and time; anything else is `None` (and
/// left to chrono's parser).
fn utc_seconds(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || b[19] != b'Z' {
        return None;
    }
    let num = |range: Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let date = chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let time = chrono::NaiveTime::from_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
    Some(date.and_time(time).and_utc())
}

/// A simulated user, checked: the time zone is known and events are in time order.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    /// Unique identifier in the scenario.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Age when known.
    pub age: Option<u32>,
    /// IANA time zone.
    pub timezone: Tz,
    /// Locale (`fr`, `en-US`…).
    pub locale: String,
    /// Messages, in time order.
    pub events: Vec<Event>,
}

/// A named set of simulated users.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Display name.
    pub name: String,
    /// What the scenario shows.
    pub description: String,
    /// Decisions after this instant are not reported; `None` means 14 days after the last event.
    pub until: Option<DateTime<Utc>>,
    /// The users.
    pub users: Vec<User>,
}

/// The scenario file as written (RON or JSON).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_optional_instant"
    )]
    until: Option<DateTime<Utc>>,
    users: Vec<UserFile>,
    #[serde(default, skip_serializing_if = "ScenarioExpect::is_empty")]
    expect: ScenarioExpect,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserFile {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    age: Option<u32>,
    timezone: String,
    locale: String,
    #[serde(default)]
    events: Vec<Event>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    expect: Vec<DecisionExpect>,
}

/// Below this size a JSON scenario is parsed on the calling thread alone.
const PARALLEL_PARSE_MIN_BYTES: usize = 1 << 20;

/// Parses a JSON scenario; a large one (a replay benchmark's file is 64 MB) has its users
/// parsed on scoped threads, one chunk per core. Not on rayon's pool: the studio loads files
/// on its UI thread while a population run may hold every worker of that pool. Any error is
/// found again by the plain serial parse, so that it names the line and column in the whole
/// file. `cut` is [`cut_json`] of `source` when the caller has it already.
fn parse_json(source: &str, cut: Option<JsonCut>) -> Result<ScenarioFile, serde_json::Error> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    if source.len() < PARALLEL_PARSE_MIN_BYTES || threads < 2 {
        return serde_json::from_str(source);
    }
    let parallel = || -> Option<ScenarioFile> {
        let (users, rest) = match cut {
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

/// A JSON scenario cut by [`users_in_json`]: the byte ranges of its users, and the rest of the
/// file parsed (with no user).
type JsonCut = (Vec<Range<usize>>, ScenarioFile);

/// The [`JsonCut`] of `source`; `None` when the text is not so shaped.
fn cut_json(source: &str) -> Option<JsonCut> {
    let (users, array) = users_in_json(source.as_bytes())?;
    Some((users, rest_of_json(source, array)?))
}

/// The scenario file `source` without its users, `array` being the range of its users array:
/// the rest of the file, with an empty `users` array, is small.
fn rest_of_json(source: &str, array: Range<usize>) -> Option<ScenarioFile> {
    let rest = format!(
        "{}[]{}",
        source.get(..array.start)?,
        source.get(array.end..)?
    );
    let rest: ScenarioFile = serde_json::from_str(&rest).ok()?;
    rest.users.is_empty().then_some(rest)
}

/// Whether `b` is whitespace in JSON (space, tab, line feed, carriage return, and nothing
/// else: a form feed or a no-break space between two users is an error, as the whole parse
/// says).
fn is_json_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The byte ranges of the users of a JSON scenario (the elements of the array under the
/// top-level key `users`), and the range of that array, brackets included: found by looking
/// only at strings, brackets and commas, far faster than parsing, so that the users can then
/// be parsed in parallel. `None` when the text is not so shaped (not an object, no `users` array
/// at the top level, or found twice): the caller then parses the whole text, which reports any
/// error at its place.
fn users_in_json(bytes: &[u8]) -> Option<(Vec<Range<usize>>, Range<usize>)> {
    let skip_space = |mut i: usize| {
        while bytes.get(i).copied().is_some_and(is_json_space) {
            i += 1;
        }
        i
    };
    // The index just past the string whose opening quote is at `i`.
    let string_end = |mut i: usize| -> Option<usize> {
        i += 1;
        loop {
            i += quote_or_backslash(bytes.get(i..)?)?;
            match bytes[i] {
                b'"' => return Some(i + 1),
                _ => i += 2,
            }
        }
    };
    // `start..end` without the whitespace around it; `None` if nothing is left.
    let element = |start: usize, end: usize| {
        let text = &bytes[start..end];
        let from = start + text.iter().take_while(|&&b| is_json_space(b)).count();
        let to = end - text.iter().rev().take_while(|&&b| is_json_space(b)).count();
        (from < to).then_some(from..to)
    };
    if bytes.get(skip_space(0)) != Some(&b'{') {
        return None;
    }
    let mut depth = 0usize;
    let mut elements = Vec::new();
    let mut array: Option<Range<usize>> = None;
    // While inside the users array: its opening bracket, and where its current element starts.
    let mut open: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let end = string_end(i)?;
                // A key of the top-level object?
                let after = (depth == 1 && open.is_none()).then(|| skip_space(end));
                if let Some(after) = after
                    && bytes.get(after) == Some(&b':')
                    && &bytes[i..end] == b"\"users\""
                {
                    let bracket = skip_space(after + 1);
                    if array.is_some() || bytes.get(bracket) != Some(&b'[') {
                        return None;
                    }
                    depth += 1;
                    open = Some((bracket, bracket + 1));
                    i = bracket + 1;
                } else {
                    i = end;
                }
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 1
                    && let Some((bracket, start)) = open.take()
                {
                    match element(start, i) {
                        Some(last) => elements.push(last),
                        // `[]` holds no user; `[a,]` is not JSON.
                        None if !elements.is_empty() => return None,
                        None => {}
                    }
                    array = Some(bracket..i + 1);
                }
            }
            b',' if depth == 2 => {
                if let Some((bracket, start)) = open {
                    elements.push(element(start, i)?);
                    open = Some((bracket, i + 1));
                }
            }
            _ => {}
        }
        i += 1;
    }
    Some((elements, array?))
}

/// The offset of the first `"` or `\` in `bytes`. Most strings of a scenario are short (keys,
/// names, channels, instants), so its first 16 bytes are looked at eight at a time, in a word,
/// before a vectorised search of the rest, which costs more to start than a short string does.
fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    const QUOTES: u64 = u64::from_ne_bytes([b'"'; 8]);
    const BACKSLASHES: u64 = u64::from_ne_bytes([b'\\'; 8]);
    let mut words = bytes.chunks_exact(8);
    for k in 0..2 {
        let Some(chunk) = words.next() else {
            break;
        };
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        let found = zero_bytes(word ^ QUOTES) | zero_bytes(word ^ BACKSLASHES);
        if found != 0 {
            return Some(8 * k + (found.trailing_zeros() / 8) as usize);
        }
    }
    let from = (bytes.len() / 8).min(2) * 8;
    memchr::memchr2(b'"', b'\\', &bytes[from..]).map(|n| from + n)
}

/// `0x80` in each byte of `word` that is zero, `0` in the others (exactly: no carry crosses
/// bytes).
fn zero_bytes(word: u64) -> u64 {
    const LOW_BITS: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    !(((word & LOW_BITS) + LOW_BITS) | word | LOW_BITS)
}

/// Checks user `index` of a scenario file as read: its id is not empty, its time zone, locale
/// and age, and the order of its events (sorted, with a warning, when they are not); all but
/// the uniqueness of its id, which needs the other users. `loc` is over the whole file.
fn check_user(
    index: usize,
    u: UserFile,
    loc: &Locator<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> User {
    // Only problems need these.
    let field = || format!("users[{index}]");
    let id_anchor = || format!("\"{}\"", u.id);
    if u.id.trim().is_empty() {
        diagnostics.push(
            Diagnostic::error(format!("{}.id", field()), "a user has an empty id")
                .at(loc.find_nth(&[], "id", index)),
        );
    }
    let timezone = match u.timezone.parse::<Tz>() {
        Ok(tz) => tz,
        Err(_) => {
            diagnostics.push(
                Diagnostic::error(
                    format!("{}.timezone", field()),
                    format!(
                        "unknown time zone `{}` for user `{}`; use an IANA name such as Europe/Paris or America/New_York",
                        u.timezone, u.id
                    ),
                )
                .at(loc.find(&[&id_anchor()], &format!("\"{}\"", u.timezone))),
            );
            Tz::UTC
        }
    };
    if u.locale.trim().is_empty() {
        diagnostics.push(
            Diagnostic::error(
                format!("{}.locale", field()),
                format!("the user `{}` has an empty locale", u.id),
            )
            .at(loc.find(&[&id_anchor()], "locale")),
        );
    }
    if let Some(age) = u.age
        && age > 130
    {
        diagnostics.push(
            Diagnostic::error(
                format!("{}.age", field()),
                format!("the age {age} of user `{}` is not plausible", u.id),
            )
            .at(loc.find(&[&id_anchor()], "age")),
        );
    }
    let mut events = u.events;
    if let Some(k) = events.windows(2).position(|w| w[1].at < w[0].at) {
        let at = events[k + 1].at;
        diagnostics.push(Diagnostic {
            severity: Severity::Warning,
            field: format!("{}.events[{}]", field(), k + 1),
            position: loc.find(&[&id_anchor()], &at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            rule: "events_order".to_owned(),
            message: format!(
                "the events of user `{}` are not in time order (event {} at {at} comes before the one above it); they were sorted",
                u.id,
                k + 1
            ),
        });
        events.sort_by_key(|e| e.at);
    }
    let name = if u.name.trim().is_empty() {
        u.id.clone()
    } else {
        u.name
    };
    User {
        id: u.id,
        name,
        age: u.age,
        timezone,
        locale: u.locale,
        events,
    }
}

/// File formats a scenario is stored in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScenarioFormat {
    /// Pretty RON.
    Ron,
    /// JSON, the interchange format.
    Json,
}

impl ScenarioFormat {
    /// The format named by a file's extension.
    pub fn from_path(path: &Path) -> Option<Self> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("ron") => Some(Self::Ron),
            Some("json") => Some(Self::Json),
            _ => None,
        }
    }
}

/// A scenario file's text: read into memory, or, for a large regular file, mapped.
///
/// Mapping a large file spares copying it and zeroing as much fresh memory to copy it into,
/// which is a good part of loading tens of megabytes. The map is read while the file is
/// parsed; a program truncating the file in that instant would stop this one with `SIGBUS`
/// (as `rg` and other tools that map files accept), where reading would only see a torn
/// file: only command-line runs map.
enum Source {
    Read(String),
    Mapped(memmap2::Mmap),
}

impl Source {
    /// Files from this size are mapped.
    const MAP_MIN_BYTES: u64 = 1 << 20;

    /// The text of `path`; with `map`, a large regular file is mapped.
    fn read(path: &Path, map: bool) -> std::io::Result<Source> {
        use super::limits::{MAX_SCENARIO_BYTES, too_large};
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

    /// The bytes, unchecked.
    fn bytes(&self) -> &[u8] {
        match self {
            Source::Read(text) => text.as_bytes(),
            Source::Mapped(map) => map,
        }
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

/// The default horizon after the last event when a scenario sets no `until`.
pub const DEFAULT_HORIZON_DAYS: i64 = 14;

impl Scenario {
    /// Loads a scenario file; warnings (such as sorted events) are dropped.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        Self::load_from(path, false).map(|(s, _)| s)
    }

    /// Loads a scenario file and returns it with its warnings, mapping a large file rather
    /// than reading it (see [`Source`]): for command-line runs, where nothing unsaved is lost
    /// if another program truncates the file at that instant. The studio reads files.
    pub fn load_with_warnings(path: &Path) -> Result<(Self, Vec<Diagnostic>), LoadError> {
        Self::load_from(path, true)
    }

    fn load_from(path: &Path, map: bool) -> Result<(Self, Vec<Diagnostic>), LoadError> {
        ScenarioText::read_with(path, map)?.load()
    }

    /// Parses scenario text in `format`; `path` names the file in errors.
    pub fn from_str(
        source: &str,
        format: ScenarioFormat,
        path: &Path,
    ) -> Result<(Self, Vec<Diagnostic>), LoadError> {
        Self::from_str_cut(source, format, path, None)
    }

    /// [`Scenario::from_str`]; `cut` is [`cut_json`] of a JSON `source` when the caller has it
    /// already.
    fn from_str_cut(
        source: &str,
        format: ScenarioFormat,
        path: &Path,
        cut: Option<JsonCut>,
    ) -> Result<(Self, Vec<Diagnostic>), LoadError> {
        // A byte-order mark is dropped; the cut, made on the text with it, is made again.
        let (source, cut) = match source.strip_prefix('\u{feff}') {
            Some(rest) => (rest, None),
            None => (source, cut),
        };
        let file: ScenarioFile = match format {
            ScenarioFormat::Ron => {
                ron::from_str(source).map_err(|e| LoadError::from_ron(path, &e))?
            }
            ScenarioFormat::Json => {
                parse_json(source, cut).map_err(|e| LoadError::from_json(path, &e))?
            }
        };
        let (scenario, diagnostics) = Self::check(file, source);
        if diagnostics.iter().any(|d| d.severity == Severity::Error) {
            return Err(LoadError::Invalid {
                path: path.to_owned(),
                diagnostics,
            });
        }
        Ok((scenario, diagnostics))
    }

    fn check(file: ScenarioFile, source: &str) -> (Self, Vec<Diagnostic>) {
        let loc = Locator::new(source);
        let mut diagnostics = Vec::new();
        let mut users: Vec<User> = Vec::with_capacity(file.users.len());
        let mut seen_ids = std::collections::HashSet::with_capacity(file.users.len());
        for (i, u) in file.users.into_iter().enumerate() {
            // An empty id is `check_user`'s to report.
            if !u.id.trim().is_empty() && !seen_ids.insert(u.id.clone()) {
                diagnostics.push(
                    Diagnostic::error(
                        format!("users[{i}].id"),
                        format!("the user id `{}` is used twice", u.id),
                    )
                    .at(loc.find_nth(&[], &format!("\"{}\"", u.id), 1)),
                );
            }
            users.push(check_user(i, u, &loc, &mut diagnostics));
        }
        (
            Scenario {
                name: file.name,
                description: file.description,
                until: file.until,
                users,
            },
            diagnostics,
        )
    }

    /// The instant after which decisions are not reported: `until`, or 14 days after the last
    /// event of any user.
    pub fn horizon(&self) -> Option<DateTime<Utc>> {
        self.until.or_else(|| {
            self.users
                .iter()
                .filter_map(|u| u.events.last().map(|e| e.at))
                .max()
                .map(|last| last + chrono::Duration::days(DEFAULT_HORIZON_DAYS))
        })
    }

    /// The first and last event instants of all users.
    pub fn span(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let first = self
            .users
            .iter()
            .filter_map(|u| u.events.first())
            .map(|e| e.at)
            .min()?;
        let last = self
            .users
            .iter()
            .filter_map(|u| u.events.last())
            .map(|e| e.at)
            .max()?;
        Some((first, last))
    }

    /// A user by id.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    fn to_file(&self) -> ScenarioFile {
        ScenarioFile {
            name: self.name.clone(),
            description: self.description.clone(),
            until: self.until,
            users: self
                .users
                .iter()
                .map(|u| UserFile {
                    id: u.id.clone(),
                    name: u.name.clone(),
                    age: u.age,
                    timezone: u.timezone.name().to_owned(),
                    locale: u.locale.clone(),
                    events: u.events.clone(),
                    expect: Vec::new(),
                })
                .collect(),
            expect: ScenarioExpect::default(),
        }
    }

    /// The scenario as text in `format` (pretty RON, or pretty JSON).
    pub fn to_string(&self, format: ScenarioFormat) -> String {
        Self::file_to_string(&self.to_file(), format)
    }

    /// Parses scenario text with the expectations it carries (see [`super::expect`]): an
    /// impossible expectation is an error placed in `source`.
    pub fn from_str_with_expectations(
        source: &str,
        format: ScenarioFormat,
        path: &Path,
    ) -> Result<(Self, Expectations, Vec<Diagnostic>), LoadError> {
        let source = source.strip_prefix('\u{feff}').unwrap_or(source);
        let mut file: ScenarioFile = match format {
            ScenarioFormat::Ron => {
                ron::from_str(source).map_err(|e| LoadError::from_ron(path, &e))?
            }
            ScenarioFormat::Json => {
                serde_json::from_str(source).map_err(|e| LoadError::from_json(path, &e))?
            }
        };
        let loc = Locator::new(source);
        let mut diagnostics = super::expect::check_scenario_expectations(&file.expect, &loc);
        let mut expectations = Expectations {
            scenario: std::mem::take(&mut file.expect),
            users: Vec::new(),
        };
        for (i, u) in file.users.iter_mut().enumerate() {
            diagnostics.extend(super::expect::check_user_expectations(
                i, &u.id, &u.expect, &loc,
            ));
            if !u.expect.is_empty() {
                expectations
                    .users
                    .push((u.id.clone(), std::mem::take(&mut u.expect)));
            }
        }
        let (scenario, more) = Self::check(file, source);
        diagnostics.extend(more);
        if diagnostics.iter().any(|d| d.severity == Severity::Error) {
            return Err(LoadError::Invalid {
                path: path.to_owned(),
                diagnostics,
            });
        }
        Ok((scenario, expectations, diagnostics))
    }

    /// The scenario as text in `format` with `expectations` written in.
    pub fn to_string_with_expectations(
        &self,
        format: ScenarioFormat,
        expectations: &Expectations,
    ) -> String {
        let mut file = self.to_file();
        file.expect = expectations.scenario.clone();
        for u in &mut file.users {
            u.expect = expectations.of_user(&u.id).to_vec();
        }
        Self::file_to_string(&file, format)
    }

    fn file_to_string(file: &ScenarioFile, format: ScenarioFormat) -> String {
        let mut text = match format {
            ScenarioFormat::Ron => {
                let config = ron::ser::PrettyConfig::new()
                    .struct_names(false)
                    .escape_strings(false);
                ron::ser::to_string_pretty(file, config)
                    .unwrap_or_else(|e| format!("// serialisation failed: {e}"))
            }
            ScenarioFormat::Json => serde_json::to_string_pretty(file)
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")),
        };
        text.push('\n');
        text
    }

    /// Saves atomically, in the format named by the extension of `path`.
    pub fn save(&self, path: &Path) -> Result<(), LoadError> {
        let format = ScenarioFormat::from_path(path).ok_or_else(|| LoadError::UnknownFormat {
            path: path.to_owned(),
            expected: ".ron or .json",
        })?;
        write_atomically(path, self.to_string(format).as_bytes())
    }

    /// [`Scenario::save`], keeping the test expectations of the file at `from` (the file this
    /// scenario was opened from, or `path` itself): the studio edits users and messages, not
    /// expectations, and a save must not lose them. A `from` that is missing or does not parse
    /// has none to keep.
    pub fn save_keeping_expectations(
        &self,
        path: &Path,
        from: Option<&Path>,
    ) -> Result<(), LoadError> {
        let format = ScenarioFormat::from_path(path).ok_or_else(|| LoadError::UnknownFormat {
            path: path.to_owned(),
            expected: ".ron or .json",
        })?;
        let kept = from
            .and_then(|from| {
                let source =
                    super::limits::read_text_limited(from, super::limits::MAX_SCENARIO_BYTES)
                        .ok()?;
                let from_format = ScenarioFormat::from_path(from)?;
                Self::from_str_with_expectations(&source, from_format, from).ok()
            })
            .map(|(_, expectations, _)| expectations)
            .unwrap_or_default();
        write_atomically(
            path,
            self.to_string_with_expectations(format, &kept).as_bytes(),
        )
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
    /// Reads a scenario file, mapping a large one as [`Scenario::load_with_warnings`] does: for
    /// command-line runs.
    pub fn read(path: &Path) -> Result<Self, LoadError> {
        Self::read_with(path, true)
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
        let bytes = self.source.bytes();
        let (text, users) =
            if self.format == ScenarioFormat::Json && bytes.len() >= PARALLEL_PARSE_MIN_BYTES {
                // Both read the whole file: the UTF-8 check on another thread while the users
                // are found.
                let (text, users) = std::thread::scope(|scope| {
                    let text = scope.spawn(|| self.text());
                    let users = users_in_json(bytes);
                    (text.join(), users)
                });
                (
                    text.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?,
                    users,
                )
            } else {
                (self.text()?, None)
            };
        let cut = users.and_then(|(users, array)| Some((users, rest_of_json(text, array)?)));
        match cut {
            Some((users, rest)) if rest.until.is_some() => {
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

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"{"name": "demo", "until": "2026-03-01T00:00:00Z",
 "users": [{"id": "lea", "name": "Léa", "age": 34, "timezone": "Europe/Paris", "locale": "fr",
            "events": [{"at": "2026-01-05T18:03:00Z", "from": "user", "channel": "messenger", "text": "Tu connais la BO d'Interstellar ?"},
                       {"at": "2026-01-05T18:03:05Z", "from": "bot", "channel": "messenger", "text": "Bien sûr, Hans Zimmer !"}]}]}"#;

    /// The error that loading the JSON scenario `source` as `file` reports.
    fn json_error(source: &str, file: &str) -> String {
        Scenario::from_str(source, ScenarioFormat::Json, Path::new(file))
            .expect_err("rejected")
            .to_string()
    }

    proptest::proptest! {
        /// The word-at-a-time search finds the first quote or backslash, wherever it is.
        #[test]
        fn quote_or_backslash_is_the_first_of_either(
            plain in "[aé\u{80}\u{ff}]{0,30}",
            rest in "[a\"\\\\]{0,4}",
        ) {
            let text = format!("{plain}{rest}");
            let bytes = text.as_bytes();
            proptest::prop_assert_eq!(
                quote_or_backslash(bytes),
                bytes.iter().position(|&b| b == b'"' || b == b'\\')
            );
        }
    }

    #[test]
    fn documented_json_shape_loads() {
        let (s, warnings) =
            Scenario::from_str(JSON, ScenarioFormat::Json, Path::new("demo.json")).expect("loads");
        assert!(warnings.is_empty());
        assert_eq!(s.name, "demo");
        let lea = s.user("lea").expect("lea");
        assert_eq!(lea.timezone, chrono_tz::Europe::Paris);
        assert_eq!(lea.age, Some(34));
        assert_eq!(lea.events.len(), 2);
        assert_eq!(lea.events[1].from, Sender::Bot);
    }

    #[test]
    fn timestamps_outside_the_years_are_refused_with_their_value() {
        for bad in [
            "+262142-12-31T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "1899-12-31T23:59:59Z",
        ] {
            let err = parse_instant(bad).expect_err(bad);
            assert!(err.contains("timestamp") && err.contains(bad), "{err}");
        }
        assert!(parse_instant("9999-12-31T23:59:59Z").is_ok());
        let far = JSON.replace("2026-01-05T18:03:05Z", "0100-01-05T18:03:05Z");
        let err = json_error(&far, "demo.json");
        assert!(
            err.contains("demo.json:4:") && err.contains("1900"),
            "{err}"
        );
    }

    #[test]
    fn instants_read_as_chrono_reads_them() {
        for text in [
            "2026-01-05T18:03:00Z",
            "2024-02-29T23:59:59Z",
            "2026-01-05T19:03:00+01:00",
            "2026-01-05T18:03:00.250Z",
            "2026-01-05 18:03:00Z",
        ] {
            let ours: DateTime<Utc> =
                deserialize_instant(serde_json::Value::String(text.to_owned())).unwrap();
            let chrono: DateTime<Utc> = text.parse().unwrap();
            assert_eq!(ours, chrono, "{text}");
        }
        for bad in [
            "2026-02-30T10:00:00Z",
            "2026-01-05T24:00:00Z",
            "2026-13-05T10:00:00Z",
            "2026-01-05T10:00:0xZ",
            "yesterday",
        ] {
            assert!(utc_seconds(bad).is_none(), "{bad}");
            let err = deserialize_instant(serde_json::Value::String(bad.to_owned()))
                .expect_err(bad)
                .to_string();
            let chrono_err = bad.parse::<DateTime<Utc>>().unwrap_err().to_string();
            assert!(err.contains(&chrono_err), "{bad}: {err}");
            assert!(err.contains(&format!("timestamp `{bad}`")), "{err}");
        }
        let bad_day = JSON.replace("2026-01-05T18:03:05Z", "2026-01-32T18:03:05Z");
        let err = json_error(&bad_day, "demo.json");
        assert!(err.contains("demo.json:4:"), "{err}");
    }

    /// A JSON scenario above the parallel parse's threshold, one user per line.
    fn big_json(users: usize) -> String {
        let mut out = String::from("{\"name\": \"big\", \"users\": [\n");
        for i in 0..users {
            if i > 0 {
                out.push_str(",\n");
            }
            out.push_str(&format!(
                r#"{{"id": "u{i}", "timezone": "Europe/Paris", "locale": "fr", "events": [{{"at": "2026-01-05T18:{:02}:00Z", "from": "user", "channel": "messenger", "text": "Bonjour n°{i}, tu connais la BO d'Interstellar ?"}}, {{"at": "2026-01-05T19:00:00+01:00", "from": "bot", "channel": "whatsapp", "text": "Oui !"}}]}}"#,
                i % 60
            ));
        }
        out.push_str("\n]}");
        out
    }

    #[test]
    fn large_files_parse_in_parallel_to_the_same_scenario() {
        let json = big_json(8000);
        assert!(json.len() > PARALLEL_PARSE_MIN_BYTES);
        let serial: ScenarioFile = serde_json::from_str(&json).unwrap();
        let parallel = parse_json(&json, None).unwrap();
        assert_eq!(parallel.users.len(), 8000);
        assert_eq!(
            format!("{:?}", parallel.users),
            format!("{:?}", serial.users)
        );
        // A broken user near the end is reported at its own line of the whole file.
        let broken = json.replace(
            r#""id": "u7000", "timezone": "Europe/Paris""#,
            r#""id": "u7000", "timezone": 5"#,
        );
        let err = json_error(&broken, "big.json");
        assert!(err.contains("big.json:7002:"), "{err}");
        assert!(err.contains("invalid type: integer `5`"), "{err}");
    }

    /// The scenario file with each user left as raw JSON text: serde's own cut.
    #[derive(Deserialize)]
    struct LazyScenarioFile<'a> {
        #[serde(borrow)]
        users: Vec<&'a serde_json::value::RawValue>,
    }

    /// `users_in_json` against serde's own cut of the users array (raw values).
    fn assert_users_cut_as_serde_cuts(json: &str) {
        let lazy: LazyScenarioFile<'_> = serde_json::from_str(json).unwrap();
        let (users, array) = users_in_json(json.as_bytes()).expect(json);
        let cut: Vec<&str> = users.iter().map(|r| &json[r.clone()]).collect();
        let expected: Vec<&str> = lazy.users.iter().map(|raw| raw.get()).collect();
        assert_eq!(cut, expected, "{json}");
        assert!(json[array.clone()].starts_with('[') && json[array].ends_with(']'));
    }

    #[test]
    fn users_are_cut_out_of_the_json_as_serde_cuts_them() {
        let user = |id: &str, text: &str| {
            format!(
                r#"{{"id": "{id}", "timezone": "Europe/Paris", "locale": "fr", "events": [{{"at": "2026-01-05T18:03:00Z", "from": "user", "channel": "messenger", "text": "{text}"}}]}}"#
            )
        };
        let tricky = [
            r#"a ] } , [ { in a string"#,
            r#"escaped \" quote and \\ backslash \\"#,
            r#"\"users\": [1, 2]"#,
            "ünïcödé ✨ \\u00e9",
        ];
        let users: Vec<String> = tricky
            .iter()
            .enumerate()
            .map(|(i, t)| user(&format!("u{i}"), t))
            .collect();
        let joined = users.join(",\n  ");
        for json in [
            format!(r#"{{"name": "x", "users": [{joined}]}}"#),
            format!("{{\n  \"users\" :\n [\n  {joined}\n ] ,\n \"name\": \"users\"\n}}"),
            format!(
                r#"{{"description": "{{\"users\": []}}", "until": "2026-03-01T00:00:00Z", "name": "x", "users": [{}]}}"#,
                users[0]
            ),
            r#"{"name": "x", "users": []}"#.to_owned(),
            r#"{"name": "x", "users": [ ]}"#.to_owned(),
        ] {
            assert_users_cut_as_serde_cuts(&json);
        }
        let big = big_json(300);
        assert_users_cut_as_serde_cuts(&big);
        assert_eq!(users_in_json(big.as_bytes()).unwrap().0.len(), 300);
        // Not so shaped: the caller parses the whole text instead.
        for json in [
            r#"[{"users": []}]"#,
            r#"{"name": "x", "users": {}}"#,
            r#"{"name": "x", "users": [], "users": []}"#,
            r#"{"name": "x", "users": [{"id": "a"},]}"#,
            r#"{"name": "x", "users": [,{"id": "a"}]}"#,
            r#"{"name": "x"}"#,
            r#"{"name": "x", "users": [{"id": "a"}"#,
        ] {
            assert!(users_in_json(json.as_bytes()).is_none(), "{json}");
        }
    }

    #[test]
    fn large_files_map_to_what_reading_gives() {
        let dir = std::env::temp_dir().join(format!("relance-map-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.json");
        let json = big_json(8000);
        assert!(json.len() as u64 > Source::MAP_MIN_BYTES);
        std::fs::write(&path, &json).unwrap();
        assert!(matches!(
            Source::read(&path, true).unwrap(),
            Source::Mapped(_)
        ));
        assert!(matches!(
            Source::read(&path, false).unwrap(),
            Source::Read(_)
        ));
        let (mapped, _) = Scenario::load_with_warnings(&path).unwrap();
        assert_eq!(mapped, Scenario::load(&path).unwrap());
        // A byte that is not UTF-8 is the same error either way, naming the file.
        let mut bytes = json.into_bytes();
        bytes[1000] = 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let mapped = Scenario::load_with_warnings(&path).unwrap_err().to_string();
        let read = Scenario::load(&path).unwrap_err().to_string();
        assert_eq!(mapped, read);
        assert!(
            mapped.contains("big.json") && mapped.contains("UTF-8"),
            "{mapped}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_broken_user_is_reported_at_its_place_in_the_whole_file() {
        let bad = JSON.replace(r#""from": "bot""#, r#""from": "robot""#);
        let err = json_error(&bad, "demo.json");
        assert!(err.contains("demo.json:4:"), "{err}");
        assert!(err.contains("robot"), "{err}");
    }

    #[test]
    fn unknown_time_zone_is_reported_at_its_place() {
        let bad = JSON.replace("Europe/Paris", "Europe/Pariss");
        let text = json_error(&bad, "demo.json");
        assert!(text.contains("demo.json:2:"), "{text}");
        assert!(text.contains("Europe/Pariss"), "{text}");
    }

    #[test]
    fn out_of_order_events_are_sorted_and_reported() {
        let swapped = JSON
            .replace("2026-01-05T18:03:00Z", "X")
            .replace("2026-01-05T18:03:05Z", "2026-01-05T18:03:00Z")
            .replace('X', "2026-01-05T18:03:05Z");
        let (s, warnings) =
            Scenario::from_str(&swapped, ScenarioFormat::Json, Path::new("d.json")).expect("loads");
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].severity, Severity::Warning);
        let lea = s.user("lea").expect("lea");
        assert!(lea.events.windows(2).all(|w| w[0].at <= w[1].at));
        assert_eq!(lea.events.len(), 2);
    }

    #[test]
    fn round_trips_through_ron_and_json() {
        let (s, _) =
            Scenario::from_str(JSON, ScenarioFormat::Json, Path::new("demo.json")).expect("loads");
        for format in [ScenarioFormat::Ron, ScenarioFormat::Json] {
            let text = s.to_string(format);
            let (back, _) = Scenario::from_str(&text, format, Path::new("x")).expect("reloads");
            assert_eq!(back, s);
        }
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let err = Scenario::from_str(
            "{\"name\": \"x\",\n \"users\": [}",
            ScenarioFormat::Json,
            Path::new("b.json"),
        )
        .expect_err("rejected");
        assert!(err.to_string().starts_with("b.json:2:"), "{err}");
    }
}
