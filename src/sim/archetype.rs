//! Synthetic users as data: archetypes, the weighted mix of a population, and the phrase book
//! their messages are written from.
//!
//! All three are RON files a designer edits (`assets/archetypes/`). The shipped files are also
//! built into the binary, so a population runs from any directory; a mix file on disk resolves
//! each archetype id to `<id>.ron` beside it first, then to the built-in one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::model::diagnostics::{Diagnostic, LoadError, Severity};
use crate::model::locate::Locator;
use crate::model::{Channel, Lang};
use crate::safety::Category;

/// A kind of synthetic user: how often it writes, when, how it reacts to nudges, and the share
/// of such users who are minors, write something flagged, or opt out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Archetype {
    /// Stable identifier, lowercase letters, digits and dashes (`engaged-fan`).
    pub id: String,
    /// Display name ("Engaged fan").
    pub name: String,
    /// What kind of user this is, in a sentence or two.
    #[serde(default)]
    pub description: String,
    /// Mean number of sessions a day, over an average week, while the user is active.
    pub sessions_per_day: f64,
    /// Relative weight of each local hour (24 values, midnight first) for session starts.
    pub hours: Vec<f64>,
    /// Relative weight of each local weekday (7 values, Monday first) for sessions; normalised
    /// so that the week keeps `sessions_per_day` on average.
    pub weekdays: Vec<f64>,
    /// Messages in one session (uniform between the bounds).
    pub messages_per_session: Span,
    /// Seconds between two messages of a session (uniform between the bounds).
    pub message_gap_secs: Span,
    /// The user first writes on a random day of the run instead of being there from the start.
    #[serde(default)]
    pub joins_during_run: bool,
    /// Probability, after each session, that the user drifts away for good (unless a nudge
    /// brings them back).
    pub drift_away_per_session: f64,
    /// How the user reacts to a nudge.
    pub answer: Answer,
    /// Minors among these users.
    #[serde(default)]
    pub minors: Minors,
    /// Users who, at some point, write something the safety check flags.
    #[serde(default)]
    pub flagged: Flagged,
    /// Share of users who, at some point, send an opt-out word of their own accord.
    #[serde(default)]
    pub opt_out_share: f64,
    /// Share of adult users whose profile gives their age.
    #[serde(default)]
    pub adult_age_in_profile: f64,
    /// Where users live: locale and IANA time zone, weighted.
    pub places: Vec<Place>,
    /// The channel each user talks on, weighted.
    pub channels: BTreeMap<Channel, f64>,
    /// What the user writes, per language; `{mention}` takes one of the persona's lexicon
    /// entries and `{topic}` one of its topic keywords.
    #[serde(default)]
    pub phrases: BTreeMap<Lang, Vec<String>>,
}

/// Inclusive bounds of a uniform draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Span {
    /// Smallest value.
    pub min: u32,
    /// Largest value.
    pub max: u32,
}

/// How a user reacts to a nudge.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// Probability of answering a nudge while still active.
    pub probability: f64,
    /// Probability of answering after having drifted away (answering brings the user back).
    pub when_lapsed: f64,
    /// Median delay of an answer, in minutes (the delay is log-normal).
    pub delay_median_minutes: f64,
    /// Spread of the delay: the standard deviation of its natural logarithm.
    pub delay_spread: f64,
    /// Probability of answering a nudge with an opt-out word instead.
    pub opt_out: f64,
}

/// Minors among an archetype's users. A minor's age is known to the engine from the profile,
/// from a message stating it, or not at all (the remaining share).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Minors {
    /// Share of users who are minors (13 to 17).
    pub share: f64,
    /// Of minors, the share whose profile gives their age.
    pub age_in_profile: f64,
    /// Of minors, the share who state their age in a message during their first sessions.
    pub states_age: f64,
}

/// Users who write something the safety check flags (a blocking category).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flagged {
    /// Share of users who write at least one flagged message, on a random day of the run.
    pub share: f64,
    /// Which blocking category, weighted.
    #[serde(default)]
    pub categories: BTreeMap<Category, f64>,
    /// After the first one, probability that each later session holds another flagged message.
    #[serde(default)]
    pub repeat_per_session: f64,
}

/// A locale and time zone users live in, with its weight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// Relative weight.
    pub weight: f64,
    /// Locale (`fr`, `en-US`…).
    pub locale: String,
    /// IANA time zone (`Europe/Paris`).
    pub timezone: Tz,
}

/// The phrases every archetype shares: flagged messages, age statements, answers to nudges,
/// plain fallbacks and the bot's replies, per language.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhraseBook {
    /// Messages the safety check should flag, per blocking category and language.
    #[serde(default)]
    pub flagged: BTreeMap<Category, BTreeMap<Lang, Vec<String>>>,
    /// Messages stating an age, `{age}` standing for it.
    #[serde(default)]
    pub age: BTreeMap<Lang, Vec<String>>,
    /// First message of a user answering a nudge.
    #[serde(default)]
    pub answers: BTreeMap<Lang, Vec<String>>,
    /// Plain messages, used when no archetype phrase fits.
    #[serde(default)]
    pub plain: BTreeMap<Lang, Vec<String>>,
    /// The bot's reply to a user message (the engine ignores them; the timeline shows them).
    #[serde(default)]
    pub bot_replies: BTreeMap<Lang, Vec<String>>,
}

/// One line of a mix file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixEntry {
    /// An archetype id (`<id>.ron` beside the mix file, else built in) or a `.ron` path
    /// relative to the mix file.
    pub archetype: String,
    /// Relative weight in the population.
    pub weight: f64,
}

/// A mix file as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Mix")]
pub struct MixFile {
    /// Display name.
    pub name: String,
    /// What population this is.
    #[serde(default)]
    pub description: String,
    /// The archetypes and their weights.
    pub archetypes: Vec<MixEntry>,
    /// The phrase book: a path relative to the mix file; default `phrasebook.ron` beside it,
    /// else the built-in one.
    #[serde(default)]
    pub phrasebook: Option<String>,
}

/// A population mix, loaded and checked: archetypes with their weights, and the phrase book.
#[derive(Clone, Debug, PartialEq)]
pub struct Mix {
    /// Display name.
    pub name: String,
    /// What population this is.
    pub description: String,
    /// Archetypes with their relative weights (positive), in file order.
    pub archetypes: Vec<(Archetype, f64)>,
    /// The shared phrases.
    pub phrasebook: PhraseBook,
}

/// The shipped archetype files, built in: (id, path in the repository, source).
pub const BUILTIN_ARCHETYPES: [(&str, &str, &str); 7] = [
    (
        "engaged-fan",
        "assets/archetypes/engaged-fan.ron",
        include_str!("../../assets/archetypes/engaged-fan.ron"),
    ),
    (
        "weekend-regular",
        "assets/archetypes/weekend-regular.ron",
        include_str!("../../assets/archetypes/weekend-regular.ron"),
    ),
    (
        "curious-then-lapsed",
        "assets/archetypes/curious-then-lapsed.ron",
        include_str!("../../assets/archetypes/curious-then-lapsed.ron"),
    ),
    (
        "one-off-visitor",
        "assets/archetypes/one-off-visitor.ron",
        include_str!("../../assets/archetypes/one-off-visitor.ron"),
    ),
    (
        "night-owl",
        "assets/archetypes/night-owl.ron",
        include_str!("../../assets/archetypes/night-owl.ron"),
    ),
    (
        "teen",
        "assets/archetypes/teen.ron",
        include_str!("../../assets/archetypes/teen.ron"),
    ),
    (
        "in-distress",
        "assets/archetypes/in-distress.ron",
        include_str!("../../assets/archetypes/in-distress.ron"),
    ),
];

const BUILTIN_MIX: (&str, &str) = (
    "assets/archetypes/default-mix.ron",
    include_str!("../../assets/archetypes/default-mix.ron"),
);

const BUILTIN_PHRASEBOOK: (&str, &str) = (
    "assets/archetypes/phrasebook.ron",
    include_str!("../../assets/archetypes/phrasebook.ron"),
);

/// The text of an archetype, phrase book or mix file, within the size limit of documents and
/// without a byte-order mark.
fn read_document(path: &Path) -> Result<String, LoadError> {
    use crate::model::limits;
    let mut text = limits::read_text_limited(path, limits::MAX_DOCUMENT_BYTES)
        .map_err(|e| LoadError::io(path, e))?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

fn parse_ron<T: DeserializeOwned>(source: &str, path: &Path) -> Result<T, LoadError> {
    ron::from_str(source).map_err(|e| LoadError::from_ron(path, &e))
}

fn invalid(path: &Path, diagnostics: Vec<Diagnostic>) -> Result<(), LoadError> {
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        Err(LoadError::Invalid {
            path: path.to_owned(),
            diagnostics,
        })
    } else {
        Ok(())
    }
}

fn check_probability(out: &mut Vec<Diagnostic>, loc: &Locator<'_>, field: &str, value: f64) {
    if !(0.0..=1.0).contains(&value) {
        let key = field.rsplit('.').next().unwrap_or(field);
        let anchors: Vec<&str> = field.split('.').collect();
        let anchors = &anchors[..anchors.len().saturating_sub(1)];
        let anchors: Vec<String> = anchors.iter().map(|a| format!("{a}:")).collect();
        let anchors: Vec<&str> = anchors.iter().map(String::as_str).collect();
        out.push(
            Diagnostic::error(
                field,
                format!(
                    "{key} is a probability, between 0 and 1, not {}",
                    short_number(value)
                ),
            )
            .at(loc.find(&anchors, &format!("{key}:"))),
        );
    }
}

/// The documented ranges of an archetype's and a mix's numbers, checked when they are loaded:
/// a population run's work grows with them, so they stay near what a real user does.
pub mod bounds {
    /// `sessions_per_day`: 0 to 100 sessions a day.
    pub const SESSIONS_PER_DAY: f64 = 100.0;
    /// The largest `messages_per_session.max`: 1,000 messages.
    pub const MESSAGES_PER_SESSION: u32 = 1_000;
    /// The largest `message_gap_secs.max`: one day.
    pub const MESSAGE_GAP_SECS: u32 = 86_400;
    /// The largest weight (hours, weekdays, places, channels, categories, a mix's entries).
    pub const WEIGHT: f64 = 1_000_000.0;
    /// The largest `answer.delay_median_minutes`: 30 days.
    pub const DELAY_MEDIAN_MINUTES: f64 = 43_200.0;
}

/// A number for a message: as written when short, else in scientific notation (`1e308`, not
/// 309 digits).
fn short_number(value: f64) -> String {
    let plain = value.to_string();
    if plain.len() <= 16 {
        plain
    } else {
        format!("{value:e}")
    }
}

fn check_weights(
    out: &mut Vec<Diagnostic>,
    loc: &Locator<'_>,
    field: &str,
    weights: &[f64],
    len: Option<usize>,
) {
    let at = loc.find(&[], &format!("{field}:"));
    if let Some(len) = len
        && weights.len() != len
    {
        out.push(
            Diagnostic::error(
                field,
                format!("{field} needs {len} weights, not {}", weights.len()),
            )
            .at(at),
        );
    }
    if weights
        .iter()
        .any(|w| !w.is_finite() || !(0.0..=bounds::WEIGHT).contains(w))
    {
        out.push(
            Diagnostic::error(
                field,
                format!(
                    "the weights of {field} must be between 0 and {}",
                    bounds::WEIGHT
                ),
            )
            .at(at),
        );
    } else if weights.iter().sum::<f64>() <= 0.0 {
        out.push(
            Diagnostic::error(
                field,
                format!("at least one weight of {field} must be positive"),
            )
            .at(at),
        );
    }
}

impl Archetype {
    /// Parses archetype RON text; `path` names the file in errors, which carry line and column.
    pub fn from_ron_str(source: &str, path: &Path) -> Result<Self, LoadError> {
        let archetype: Archetype = parse_ron(source, path)?;
        invalid(path, archetype.validate_in(source))?;
        Ok(archetype)
    }

    /// Loads and checks an archetype file.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let source = read_document(path)?;
        Self::from_ron_str(&source, path)
    }

    /// A built-in archetype by id.
    pub fn builtin(id: &str) -> Option<Self> {
        let (_, path, source) = BUILTIN_ARCHETYPES.iter().find(|(i, _, _)| *i == id)?;
        Self::from_ron_str(source, Path::new(path)).ok()
    }

    /// Every problem, placed in `source`.
    pub fn validate_in(&self, source: &str) -> Vec<Diagnostic> {
        let loc = Locator::new(source);
        let mut out = Vec::new();
        if self.id.is_empty()
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            out.push(
                Diagnostic::error(
                    "id",
                    format!(
                        "the id `{}` must be non-empty lowercase letters, digits and dashes",
                        self.id
                    ),
                )
                .at(loc.find(&[], "id:")),
            );
        }
        if !(self.sessions_per_day.is_finite()
            && (0.0..=bounds::SESSIONS_PER_DAY).contains(&self.sessions_per_day))
        {
            out.push(
                Diagnostic::error(
                    "sessions_per_day",
                    format!(
                        "sessions_per_day must be between 0 and {}, not {}",
                        bounds::SESSIONS_PER_DAY,
                        short_number(self.sessions_per_day)
                    ),
                )
                .at(loc.find(&[], "sessions_per_day:")),
            );
        }
        check_weights(&mut out, &loc, "hours", &self.hours, Some(24));
        check_weights(&mut out, &loc, "weekdays", &self.weekdays, Some(7));
        for (field, span, most) in [
            (
                "messages_per_session",
                self.messages_per_session,
                bounds::MESSAGES_PER_SESSION,
            ),
            (
                "message_gap_secs",
                self.message_gap_secs,
                bounds::MESSAGE_GAP_SECS,
            ),
        ] {
            if span.min > span.max {
                out.push(
                    Diagnostic::error(field, format!("min {} is above max {}", span.min, span.max))
                        .at(loc.find(&[&format!("{field}:")], "min:")),
                );
            } else if span.max > most {
                out.push(
                    Diagnostic::error(
                        format!("{field}.max"),
                        format!("{field}.max must be at most {most}, not {}", span.max),
                    )
                    .at(loc.find(&[&format!("{field}:")], "max:")),
                );
            }
        }
        if self.messages_per_session.min == 0 {
            out.push(
                Diagnostic::error(
                    "messages_per_session.min",
                    "a session has at least one message",
                )
                .at(loc.find(&["messages_per_session:"], "min:")),
            );
        }
        if self.message_gap_secs.min == 0 {
            out.push(
                Diagnostic::error(
                    "message_gap_secs.min",
                    "messages of a session are at least one second apart",
                )
                .at(loc.find(&["message_gap_secs:"], "min:")),
            );
        }
        for (field, value) in [
            ("drift_away_per_session", self.drift_away_per_session),
            ("answer.probability", self.answer.probability),
            ("answer.when_lapsed", self.answer.when_lapsed),
            ("answer.opt_out", self.answer.opt_out),
            ("minors.share", self.minors.share),
            ("minors.age_in_profile", self.minors.age_in_profile),
            ("minors.states_age", self.minors.states_age),
            ("flagged.share", self.flagged.share),
            (
                "flagged.repeat_per_session",
                self.flagged.repeat_per_session,
            ),
            ("opt_out_share", self.opt_out_share),
            ("adult_age_in_profile", self.adult_age_in_profile),
        ] {
            check_probability(&mut out, &loc, field, value);
        }
        if self.answer.probability + self.answer.opt_out > 1.0 {
            out.push(
                Diagnostic::error(
                    "answer.opt_out",
                    "answer.probability and answer.opt_out add up to more than 1",
                )
                .at(loc.find(&["answer:"], "opt_out:")),
            );
        }
        if self.minors.age_in_profile + self.minors.states_age > 1.0 {
            out.push(
                Diagnostic::error(
                    "minors.states_age",
                    "minors.age_in_profile and minors.states_age add up to more than 1",
                )
                .at(loc.find(&["minors:"], "states_age:")),
            );
        }
        if !(self.answer.delay_median_minutes.is_finite()
            && (1.0..=bounds::DELAY_MEDIAN_MINUTES).contains(&self.answer.delay_median_minutes))
        {
            out.push(
                Diagnostic::error(
                    "answer.delay_median_minutes",
                    format!(
                        "the median answer delay must be between 1 and {} minutes",
                        bounds::DELAY_MEDIAN_MINUTES
                    ),
                )
                .at(loc.find(&["answer:"], "delay_median_minutes:")),
            );
        }
        if !(self.answer.delay_spread.is_finite()
            && (0.0..=5.0).contains(&self.answer.delay_spread))
        {
            out.push(
                Diagnostic::error(
                    "answer.delay_spread",
                    format!(
                        "the delay spread must be between 0 and 5, not {}",
                        short_number(self.answer.delay_spread)
                    ),
                )
                .at(loc.find(&["answer:"], "delay_spread:")),
            );
        }
        for (category, _) in self.flagged.categories.iter() {
            if !category.is_blocking() {
                out.push(
                    Diagnostic::error(
                        "flagged.categories",
                        format!(
                            "`{}` does not hold nudges back; list blocking categories only",
                            category.as_str()
                        ),
                    )
                    .at(loc.find(&["flagged:"], category.as_str())),
                );
            }
        }
        if self.flagged.share > 0.0 {
            let weights: Vec<f64> = self.flagged.categories.values().copied().collect();
            check_weights(&mut out, &loc, "categories", &weights, None);
        }
        let weights: Vec<f64> = self.places.iter().map(|p| p.weight).collect();
        check_weights(&mut out, &loc, "places", &weights, None);
        for (i, place) in self.places.iter().enumerate() {
            if place.locale.trim().is_empty() {
                out.push(
                    Diagnostic::error(format!("places[{i}].locale"), "the locale is empty")
                        .at(loc.find_nth(&["places:"], "locale:", i)),
                );
            }
        }
        let weights: Vec<f64> = self.channels.values().copied().collect();
        check_weights(&mut out, &loc, "channels", &weights, None);
        for (lang, phrases) in &self.phrases {
            for (i, p) in phrases.iter().enumerate() {
                if let Err(why) = crate::model::placeholder::placeholders(p) {
                    out.push(
                        Diagnostic::error(format!("phrases.{lang}[{i}]"), why)
                            .at(loc.find(&["phrases:"], p)),
                    );
                } else if let Ok(refs) = crate::model::placeholder::placeholders(p)
                    && let Some(r) = refs.iter().find(|r| !matches!(r.name, "mention" | "topic"))
                {
                    out.push(
                        Diagnostic::error(
                            format!("phrases.{lang}[{i}]"),
                            format!(
                                "unknown placeholder `{{{}}}`; phrases may use {{mention}} and {{topic}}",
                                r.name
                            ),
                        )
                        .at(loc.find(&["phrases:"], p)),
                    );
                }
            }
        }
        out
    }
}

impl PhraseBook {
    /// Parses phrase book RON text; `path` names the file in errors.
    pub fn from_ron_str(source: &str, path: &Path) -> Result<Self, LoadError> {
        let book: PhraseBook = parse_ron(source, path)?;
        let loc = Locator::new(source);
        let mut out = Vec::new();
        for category in book.flagged.keys() {
            if !category.is_blocking() {
                out.push(
                    Diagnostic::error(
                        "flagged",
                        format!(
                            "`{}` does not hold nudges back; list blocking categories only",
                            category.as_str()
                        ),
                    )
                    .at(loc.find(&["flagged:"], category.as_str())),
                );
            }
        }
        for (lang, phrases) in &book.age {
            for p in phrases {
                if !p.contains("{age}") {
                    out.push(
                        Diagnostic::error(
                            format!("age.{lang}"),
                            format!("the age phrase \"{p}\" has no {{age}}"),
                        )
                        .at(loc.find(&["age:"], p)),
                    );
                }
            }
        }
        invalid(path, out)?;
        Ok(book)
    }

    /// Loads and checks a phrase book file.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let source = read_document(path)?;
        Self::from_ron_str(&source, path)
    }

    /// The built-in phrase book.
    pub fn builtin() -> Result<Self, LoadError> {
        Self::from_ron_str(BUILTIN_PHRASEBOOK.1, Path::new(BUILTIN_PHRASEBOOK.0))
    }
}

impl Mix {
    /// The shipped mix of the seven built-in archetypes.
    pub fn builtin() -> Result<Self, LoadError> {
        Self::from_ron_str(BUILTIN_MIX.1, Path::new(BUILTIN_MIX.0), None)
    }

    /// A mix of one archetype only, with the built-in phrase book.
    pub fn single(archetype: Archetype) -> Result<Self, LoadError> {
        Ok(Self {
            name: archetype.id.clone(),
            description: archetype.description.clone(),
            archetypes: vec![(archetype, 1.0)],
            phrasebook: PhraseBook::builtin()?,
        })
    }

    /// Loads a mix file; archetype ids resolve to `<id>.ron` beside it, then to the built-in
    /// archetypes.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let source = read_document(path)?;
        let dir = path
            .parent()
            .map(Path::to_owned)
            .unwrap_or_else(|| PathBuf::from("."));
        Self::from_ron_str(&source, path, Some(&dir))
    }

    /// Parses mix RON text; `dir`, when given, is where archetype and phrase book files are
    /// looked for before the built-in ones.
    pub fn from_ron_str(source: &str, path: &Path, dir: Option<&Path>) -> Result<Self, LoadError> {
        let file: MixFile = parse_ron(source, path)?;
        let loc = Locator::new(source);
        let mut out = Vec::new();
        if file.archetypes.is_empty() {
            out.push(
                Diagnostic::error("archetypes", "the mix lists no archetype")
                    .at(loc.find(&[], "archetypes:")),
            );
        }
        let mut archetypes: Vec<(Archetype, f64)> = Vec::new();
        for (i, entry) in file.archetypes.iter().enumerate() {
            let field = format!("archetypes[{i}]");
            let at = loc.find(&["archetypes:"], &format!("\"{}\"", entry.archetype));
            if !(entry.weight.is_finite() && entry.weight > 0.0 && entry.weight <= bounds::WEIGHT) {
                out.push(
                    Diagnostic::error(
                        format!("{field}.weight"),
                        format!(
                            "the weight of `{}` must be above 0 and at most {}, not {}",
                            entry.archetype,
                            bounds::WEIGHT,
                            short_number(entry.weight)
                        ),
                    )
                    .at(at),
                );
            }
            let archetype = match resolve_archetype(&entry.archetype, dir) {
                Ok(Some(a)) => a,
                Ok(None) => {
                    out.push(
                        Diagnostic::error(
                            format!("{field}.archetype"),
                            format!(
                                "unknown archetype `{}`; the built-in ones are {}",
                                entry.archetype,
                                BUILTIN_ARCHETYPES
                                    .iter()
                                    .map(|(id, _, _)| *id)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                        .at(at),
                    );
                    continue;
                }
                // An archetype file with errors is reported as it is, naming its own place.
                Err(e) => return Err(e),
            };
            if archetypes.iter().any(|(a, _)| a.id == archetype.id) {
                out.push(
                    Diagnostic::error(
                        format!("{field}.archetype"),
                        format!("the archetype `{}` is listed twice", archetype.id),
                    )
                    .at(at),
                );
                continue;
            }
            archetypes.push((archetype, entry.weight));
        }
        invalid(path, out)?;
        let phrasebook = match (&file.phrasebook, dir) {
            (Some(name), Some(dir)) => PhraseBook::load(&dir.join(name))?,
            (Some(name), None) if name == "phrasebook.ron" => PhraseBook::builtin()?,
            (Some(name), None) => PhraseBook::load(Path::new(name))?,
            (None, Some(dir)) if dir.join("phrasebook.ron").is_file() => {
                PhraseBook::load(&dir.join("phrasebook.ron"))?
            }
            (None, _) => PhraseBook::builtin()?,
        };
        Ok(Self {
            name: file.name,
            description: file.description,
            archetypes,
            phrasebook,
        })
    }
}

fn resolve_archetype(name: &str, dir: Option<&Path>) -> Result<Option<Archetype>, LoadError> {
    if name.ends_with(".ron") {
        let path = match dir {
            Some(dir) => dir.join(name),
            None => PathBuf::from(name),
        };
        return Archetype::load(&path).map(Some);
    }
    if let Some(dir) = dir {
        let path = dir.join(format!("{name}.ron"));
        if path.is_file() {
            return Archetype::load(&path).map(Some);
        }
    }
    match BUILTIN_ARCHETYPES.iter().find(|(id, _, _)| *id == name) {
        Some((_, path, source)) => Archetype::from_ron_str(source, Path::new(path)).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_files_load() {
        for (id, path, source) in BUILTIN_ARCHETYPES {
            let a =
                Archetype::from_ron_str(source, Path::new(path)).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(a.id, id);
        }
        let mix = Mix::builtin().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mix.archetypes.len(), 7);
        assert!(!mix.phrasebook.flagged.is_empty());
    }

    #[test]
    fn shipped_mix_on_disk_equals_the_built_in_one() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/archetypes");
        let on_disk = Mix::load(&dir.join("default-mix.ron")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(on_disk, Mix::builtin().unwrap_or_else(|e| panic!("{e}")));
    }

    #[test]
    fn errors_name_the_file_line_and_column() {
        let (_, path, source) = BUILTIN_ARCHETYPES[0];
        let bad = source.replacen("probability: 0.", "probability: 1.", 1);
        let err = Archetype::from_ron_str(&bad, Path::new(path)).expect_err("rejected");
        let text = err.to_string();
        assert!(text.contains("answer.probability"), "{text}");
        let line = source
            .lines()
            .position(|l| l.contains("probability:"))
            .map(|i| i + 1)
            .unwrap_or(0);
        assert!(text.contains(&format!("engaged-fan.ron:{line}:")), "{text}");

        let bad_zone = source.replacen("Europe/Paris", "Europe/Pariss", 1);
        let err = Archetype::from_ron_str(&bad_zone, Path::new(path)).expect_err("rejected");
        let text = err.to_string();
        assert!(
            text.starts_with("assets/archetypes/engaged-fan.ron:"),
            "{text}"
        );
        assert!(text.contains("Pariss"), "{text}");
    }

    #[test]
    fn unknown_archetypes_in_a_mix_are_reported_at_their_place() {
        let src = "Mix(\n  name: \"x\",\n  archetypes: [\n    (archetype: \"engaged-fan\", weight: 1),\n    (archetype: \"ghost\", weight: 2),\n  ],\n)";
        let err = Mix::from_ron_str(src, Path::new("m.ron"), None).expect_err("rejected");
        let text = err.to_string();
        assert!(text.contains("m.ron:5:"), "{text}");
        assert!(text.contains("unknown archetype `ghost`"), "{text}");
    }
}
