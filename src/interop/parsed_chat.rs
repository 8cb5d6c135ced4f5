//! What a chat parser reads from a file, before it becomes a scenario: messages with their line
//! numbers, lines left out and lines that could not be read. The WhatsApp and SillyTavern parsers
//! write it; [`crate::interop::chat`] builds the scenario from it.

use chrono::{DateTime, NaiveDateTime, TimeZone as _, Utc};
use chrono_tz::Tz;

/// A message read from a chat file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatMessage {
    /// 1-based line where it starts.
    pub line: usize,
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// The sender's name as written in the file.
    pub sender: String,
    /// Whether the file itself marks the sender as the user (SillyTavern's `is_user`).
    pub is_user: Option<bool>,
    /// The text, lines joined with `\n`; for a media message, its caption (often empty).
    pub text: String,
    /// A photo, video, voice note, sticker, document or location: the file says only that one
    /// was sent (`<Media omitted>`, `image omitted`).
    pub media: bool,
}

/// A line left out of the scenario, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// 1-based line.
    pub line: usize,
    /// Why (`system line`, `from Carol, neither the user nor the bot`, a parse error…).
    pub why: String,
    /// The line's text (cut to 80 characters).
    pub text: String,
}

impl Skipped {
    /// A skipped line; the text is cut to 80 characters.
    pub fn new(line: usize, why: impl Into<String>, text: &str) -> Self {
        let mut short: String = text.chars().take(80).collect();
        if short.len() < text.len() {
            short.push('…');
        }
        Self {
            line,
            why: why.into(),
            text: short,
        }
    }
}

/// A line that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProblem {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// What a parser read from a chat file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedChat {
    /// Messages in file order.
    pub messages: Vec<ChatMessage>,
    /// Lines left out on purpose (system lines, system messages).
    pub skipped: Vec<Skipped>,
    /// Lines that could not be read.
    pub problems: Vec<LineProblem>,
    /// Observations about the whole file (date order chosen, names from the header…).
    pub notes: Vec<String>,
    /// The user's name, when the file says it (SillyTavern's header).
    pub user_name: Option<String>,
    /// The bot's name, when the file says it.
    pub bot_name: Option<String>,
}

impl ParsedChat {
    /// Participant names in order of first message.
    pub fn participants(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for m in &self.messages {
            if !out.contains(&m.sender.as_str()) {
                out.push(&m.sender);
            }
        }
        out
    }
}

/// How the day and month are ordered in a WhatsApp export's dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateOrder {
    /// `31/12/2025` (French, British…).
    DayMonthYear,
    /// `12/31/25` (United States).
    MonthDayYear,
    /// `2025-12-31`.
    YearMonthDay,
}

impl DateOrder {
    /// The order of a command-line name: `dmy`, `mdy` or `ymd`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "dmy" => Some(DateOrder::DayMonthYear),
            "mdy" => Some(DateOrder::MonthDayYear),
            "ymd" => Some(DateOrder::YearMonthDay),
            _ => None,
        }
    }

    /// `day/month/year`…
    pub fn describe(self) -> &'static str {
        match self {
            DateOrder::DayMonthYear => "day/month/year",
            DateOrder::MonthDayYear => "month/day/year",
            DateOrder::YearMonthDay => "year/month/day",
        }
    }
}

/// Turns a local time in `tz` into UTC: the earlier instant when a clock change repeats it, the
/// instant one hour later when a clock change skips it (with a note either way).
pub fn local_to_utc(
    naive: NaiveDateTime,
    tz: Tz,
    line: usize,
    notes: &mut Vec<String>,
) -> DateTime<Utc> {
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(early, _) => {
            notes.push(format!(
                "line {line}: {naive} happens twice in {} (clock change); the first was taken",
                tz.name()
            ));
            early.with_timezone(&Utc)
        }
        chrono::LocalResult::None => {
            notes.push(format!(
                "line {line}: {naive} does not exist in {} (clock change); read one hour later",
                tz.name()
            ));
            tz.from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
                .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
        }
    }
}
