//! Scenarios: simulated users and the time-ordered messages they exchanged with the bot.
//!
//! Loaded from RON or JSON (chosen by extension); the JSON shape is the documented interchange
//! format (README, "Scenario files"). Raw file structs are checked once into [`Scenario`]: time
//! zones parsed, ids unique, events in time order (out-of-order events are sorted and reported).
//!
//! One way in from a file: [`ScenarioText::read`] (a large file is mapped, not copied), then
//! [`ScenarioText::load`] for the whole scenario with its warnings or
//! [`ScenarioText::open_for_replay`] for a replay that may stream a large JSON file user by
//! user. [`Scenario::load`] is the studio's shorthand (read, never mapped, warnings dropped), and
//! [`Scenario::from_str`] parses text already in memory. The fast JSON path lives in `json`,
//! file reading and streaming in `input`.

mod input;
mod json;

use std::ops::Range;
use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::Channel;
use super::diagnostics::{Diagnostic, LoadError, Severity, write_atomically};
use super::expect::{DecisionExpect, Expectations, ScenarioExpect};
use super::locate::Locator;
pub use input::{ReplaySource, ScenarioText, StreamedScenario};
use json::{JsonCut, parse_json};

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

/// The scenario file as written (RON or JSON); its users are `U`, parsed ([`UserFile`]) or,
/// for the fast JSON path, left as raw text ([`json::cut_json`]).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile<U = UserFile> {
    name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_optional_instant"
    )]
    until: Option<DateTime<Utc>>,
    users: Vec<U>,
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

/// The default horizon after the last event when a scenario sets no `until`.
pub const DEFAULT_HORIZON_DAYS: i64 = 14;

impl Scenario {
    /// Loads a scenario file, read rather than mapped (the studio's way: another program
    /// truncating a mapped file would stop it, with unsaved edits); warnings (such as sorted
    /// events) are dropped. Command-line runs use [`ScenarioText::read`].
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        ScenarioText::read_unmapped(path)?.load().map(|(s, _)| s)
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

#[cfg(test)]
mod tests {
    use super::input::Source;
    use super::json::{JsonCut, PARALLEL_PARSE_MIN_BYTES, cut_json, parse_json};
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

    /// Cuts `json` and checks each user's range parses to the user the whole parse gives.
    fn assert_cut_matches_whole_parse(json: &str) -> usize {
        let JsonCut { users, rest } = cut_json(json).expect(json);
        let whole: ScenarioFile = serde_json::from_str(json).unwrap();
        assert_eq!(users.len(), whole.users.len(), "{json}");
        for (range, user) in users.iter().zip(&whole.users) {
            let one: UserFile = serde_json::from_str(&json[range.clone()]).unwrap();
            assert_eq!(format!("{one:?}"), format!("{user:?}"));
        }
        assert!(rest.users.is_empty());
        assert_eq!((rest.name, rest.until), (whole.name, whole.until));
        users.len()
    }

    #[test]
    fn users_are_cut_out_of_the_json_at_their_place() {
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
            assert_cut_matches_whole_parse(&json);
        }
        assert_eq!(assert_cut_matches_whole_parse(&big_json(300)), 300);
        // Not a scenario file: the caller parses the whole text instead, which says why.
        for json in [
            r#"[{"users": []}]"#,
            r#"{"name": "x", "users": {}}"#,
            r#"{"name": "x", "users": [], "users": []}"#,
            r#"{"name": "x", "users": [{"id": "a"},]}"#,
            r#"{"name": "x", "users": [,{"id": "a"}]}"#,
            r#"{"name": "x"}"#,
            r#"{"name": "x", "users": [{"id": "a"}"#,
            r#"{"name": "x", "users": [], "extra": 1}"#,
        ] {
            assert!(cut_json(json).is_none(), "{json}");
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
        let (mapped, _) = ScenarioText::read(&path).and_then(|t| t.load()).unwrap();
        assert_eq!(mapped, Scenario::load(&path).unwrap());
        // A byte that is not UTF-8 is the same error either way, naming the file.
        let mut bytes = json.into_bytes();
        bytes[1000] = 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let mapped = ScenarioText::read(&path)
            .and_then(|t| t.load())
            .unwrap_err()
            .to_string();
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
