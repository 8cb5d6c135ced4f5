//! The vocabulary of decisions that the policy engine, the composer and every consumer of a
//! replay share: whether a nudge goes out and why ([`Outcome`], [`Reason`]), what the composer
//! needs of a decision ([`Nudge`]) and what it makes of it ([`Composed`], [`MemoryItem`]), the
//! lines of a trace ([`TraceStep`]), and instants written in a user's zone ([`local`],
//! [`local_short`]).
//!
//! These are plain data: the engine produces decisions, the composer fills their text, and the
//! reports, the command line and the studio read them, each importing them from here, below all
//! of them.

use chrono::{DateTime, Datelike as _, Timelike as _, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::policy::Rule;
use super::{Channel, Lang};

/// Whether a nudge goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The nudge is sent.
    Sent,
    /// The nudge is held back.
    Suppressed,
}

/// Why a decision came out as it did: `sent`, or the first failing check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Every check passed.
    Sent,
    /// The user is a minor.
    Minor,
    /// The user opted out.
    OptedOut,
    /// A flagged message in the cooldown.
    Sensitive,
    /// Compulsive-use signals.
    Wellbeing,
    /// Past the follow-up window.
    WindowExpired,
    /// Too few user messages.
    TooFewMessages,
    /// WhatsApp nudge, but the persona declares no approved template for the language.
    NoApprovedTemplate,
    /// Every candidate text failed the output check.
    NoSafeText,
}

impl Reason {
    /// Every reason, sent first.
    pub const ALL: [Reason; 9] = [
        Reason::Sent,
        Reason::Minor,
        Reason::OptedOut,
        Reason::Sensitive,
        Reason::Wellbeing,
        Reason::WindowExpired,
        Reason::TooFewMessages,
        Reason::NoApprovedTemplate,
        Reason::NoSafeText,
    ];

    /// The name used in JSON (`too_few_messages`).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Sent => "sent",
            Reason::Minor => "minor",
            Reason::OptedOut => "opted_out",
            Reason::Sensitive => "sensitive",
            Reason::Wellbeing => "wellbeing",
            Reason::WindowExpired => "window_expired",
            Reason::TooFewMessages => "too_few_messages",
            Reason::NoApprovedTemplate => "no_approved_template",
            Reason::NoSafeText => "no_safe_text",
        }
    }

    /// The reason a failing rule gives.
    pub fn of_rule(rule: Rule) -> Self {
        match rule {
            Rule::Minor => Reason::Minor,
            Rule::OptedOut => Reason::OptedOut,
            Rule::Sensitive => Reason::Sensitive,
            Rule::Wellbeing => Reason::Wellbeing,
            Rule::WindowExpired => Reason::WindowExpired,
            Rule::TooFewMessages => Reason::TooFewMessages,
        }
    }

    /// The outcome this reason implies.
    pub fn outcome(self) -> Outcome {
        if self == Reason::Sent {
            Outcome::Sent
        } else {
            Outcome::Suppressed
        }
    }
}

/// A nudge the policy engine lets through, as the composer sees it: when it goes out, the
/// silence it follows up and the channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nudge {
    /// The send time.
    pub at: DateTime<Utc>,
    /// The user message that opened the silence.
    pub silence_start: DateTime<Utc>,
    /// Event index of that message.
    pub silence_event: u32,
    /// 1 for the first nudge of the silence.
    pub nth: u32,
    /// The channel of the message that opened the silence.
    pub channel: Channel,
}

/// A composed nudge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Composed {
    /// The text to send.
    pub text: String,
    /// Its language.
    pub lang: Lang,
    /// The persona template used (`fallback` or `fallback-alt` for the generic lines); on
    /// WhatsApp, the approved template's name.
    pub template: String,
    /// The WhatsApp template filled, on WhatsApp.
    pub channel_template: Option<String>,
    /// The main thing the text echoes (the first of `echoed`).
    pub memory: Option<MemoryItem>,
    /// Everything the text echoes, named things first.
    pub echoed: Vec<MemoryItem>,
    /// The placeholder values in order: the parameters of a WhatsApp template.
    pub channel_params: Vec<String>,
    /// Whether the AI disclosure line was added.
    pub ai_disclosure: bool,
    /// When the nudge is sent.
    pub at: DateTime<Utc>,
}

/// Something the user talked about that a nudge can echo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryItem {
    /// `topic` or `mention`.
    pub kind: MemoryKind,
    /// The persona's topic id, or the matching key of the named thing.
    pub key: String,
    /// The words used in the nudge ("musiques de film", "Hans Zimmer").
    pub label: String,
    /// Event index of the most recent message it came from.
    pub event: u32,
    /// When that message was sent.
    pub at: DateTime<Utc>,
    /// How many of the user's messages mention it.
    pub count: u32,
    /// How it was recognised.
    pub source: MemorySource,
    /// The words the user wrote in that message ("BO", "hans zimmer").
    pub matched: String,
}

/// What a memory item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryKind {
    /// A topic of the persona, recognised by its keywords.
    Topic,
    /// A film, person, place or dish the user named.
    Mention,
}

/// How a memory item was recognised in a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemorySource {
    /// One of the topic's keywords.
    Keyword,
    /// An entry of the persona's lexicon.
    Lexicon,
    /// A phrase the user put in quotes.
    Quoted,
    /// A run of capitalised words.
    Capitalised,
}

/// One line of a decision's trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceStep {
    /// The rule or step (`schedule`, `too_few_messages`, `template`…).
    pub rule: String,
    /// Whether it allowed the nudge.
    pub passed: bool,
    /// What was checked, in one sentence.
    pub detail: String,
}

impl TraceStep {
    /// A step.
    pub fn new(rule: impl Into<String>, passed: bool, detail: impl Into<String>) -> Self {
        Self {
            rule: rule.into(),
            passed,
            detail: detail.into(),
        }
    }
}

/// "12 Jan 09:00 (Europe/Paris)": an instant in the user's zone.
pub fn local(at: DateTime<Utc>, tz: Tz) -> String {
    Local(at, tz).to_string()
}

/// "12 Jan 09:00": an instant in the user's zone, without the zone's name (the same text as
/// chrono's `%-d %b %H:%M`).
pub fn local_short(at: DateTime<Utc>, tz: Tz) -> String {
    LocalShort(at, tz).text().as_str().to_owned()
}

/// [`local`] as a value to format: a trace sentence writes it in place rather than make a
/// string of it first.
#[derive(Clone, Copy, Debug)]
pub struct Local(pub DateTime<Utc>, pub Tz);

impl std::fmt::Display for Local {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Local(at, tz) = *self;
        write!(f, "{} ({})", LocalShort(at, tz), tz.name())
    }
}

/// [`local_short`] as a value to format.
#[derive(Clone, Copy, Debug)]
pub struct LocalShort(pub DateTime<Utc>, pub Tz);

impl LocalShort {
    /// The text, built in place without parsing a format string: replays write it for every
    /// decision.
    fn text(self) -> ShortText {
        const MONTHS: [&[u8; 3]; 12] = [
            b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
            b"Dec",
        ];
        let t = self.0.with_timezone(&self.1);
        let digit = |n: u32| b'0' + (n % 10) as u8;
        let mut out = ShortText::default();
        let day = t.day();
        if day >= 10 {
            out.push(digit(day / 10));
        }
        out.push(digit(day));
        out.push(b' ');
        MONTHS[t.month0() as usize]
            .iter()
            .for_each(|&b| out.push(b));
        out.push(b' ');
        for b in two_digits(t.hour()) {
            out.push(b);
        }
        out.push(b':');
        for b in two_digits(t.minute()) {
            out.push(b);
        }
        out
    }
}

impl std::fmt::Display for LocalShort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text().as_str())
    }
}

/// The text of a [`LocalShort`]: at most "31 Dec 23:59", 12 ASCII bytes.
#[derive(Default)]
struct ShortText {
    bytes: [u8; 12],
    len: usize,
}

impl ShortText {
    fn push(&mut self, b: u8) {
        self.bytes[self.len] = b;
        self.len += 1;
    }

    fn as_str(&self) -> &str {
        // Only ASCII digits, letters, spaces and colons are pushed.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

/// The two digits of `n` (under 100).
fn two_digits(n: u32) -> [u8; 2] {
    [b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8]
}

/// "09:00": a time of day as chrono's `%H:%M` writes it, without parsing a format string.
#[derive(Clone, Copy, Debug)]
pub struct HhMm(pub chrono::NaiveTime);

impl std::fmt::Display for HhMm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [h1, h2] = two_digits(self.0.hour());
        let [m1, m2] = two_digits(self.0.minute());
        let text = [h1, h2, b':', m1, m2];
        f.write_str(std::str::from_utf8(&text).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_read_like_chrono_formats() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        for at in [
            "2026-01-12T08:00:00Z",
            "2026-03-29T00:59:59Z",
            "2026-03-29T01:00:00Z",
            "2026-12-31T23:05:00Z",
            "2026-07-04T09:09:00Z",
        ] {
            let at: DateTime<Utc> = at.parse().unwrap();
            let expected = at.with_timezone(&tz).format("%-d %b %H:%M").to_string();
            assert_eq!(local_short(at, tz), expected);
            assert_eq!(local(at, tz), format!("{expected} (Europe/Paris)"));
        }
        let at: DateTime<Utc> = "2026-01-12T08:00:00Z".parse().unwrap();
        assert_eq!(local(at, tz), "12 Jan 09:00 (Europe/Paris)");
        assert_eq!(format!("[{}]", LocalShort(at, tz)), "[12 Jan 09:00]");
    }

    proptest::proptest! {
        /// Instants and times of day written in place read as chrono writes them.
        #[test]
        fn written_in_place_like_chrono(secs in 0i64..4_102_444_800, zone in 0usize..4) {
            let tz: Tz = ["Europe/Paris", "America/New_York", "Asia/Kolkata", "UTC"][zone]
                .parse()
                .unwrap();
            let at = DateTime::from_timestamp(secs, 0).unwrap();
            let expected = at.with_timezone(&tz).format("%-d %b %H:%M").to_string();
            proptest::prop_assert_eq!(LocalShort(at, tz).to_string(), expected.clone());
            proptest::prop_assert_eq!(local_short(at, tz), expected.clone());
            proptest::prop_assert_eq!(Local(at, tz).to_string(), format!("{expected} ({})", tz.name()));
            let time = at.with_timezone(&tz).time();
            proptest::prop_assert_eq!(HhMm(time).to_string(), time.format("%H:%M").to_string());
        }
    }
}
