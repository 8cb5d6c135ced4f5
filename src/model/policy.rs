//! Nudge policies: the rules that decide whether and when a persona may write first.
//!
//! A [`Policy`] is plain data; the engine (`crate::engine`) applies it. The built-in presets are
//! the readings of the rules reported for Meta's AI Studio follow-ups (see the README's "Policy
//! semantics"), plus `pushy`, a deliberately unguarded contrast.

use std::collections::BTreeMap;

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

use super::diagnostics::Diagnostic;

/// The smallest crisis cooldown a policy may set, in days.
pub const MIN_SENSITIVE_COOLDOWN_DAYS: i64 = 14;

/// The documented range of every number a policy holds, checked when it is loaded, so that no
/// time computed from them (a send time, a repeat, a window's end) can overflow: the longest
/// silence they describe, 100 nudges a year apart, stays within a few centuries.
pub mod bounds {
    use std::ops::RangeInclusive;

    /// `delay_hours`: one hour to one year.
    pub const DELAY_HOURS: RangeInclusive<i64> = 1..=8_760;
    /// `repeat_every_hours`: one hour to one year.
    pub const REPEAT_EVERY_HOURS: RangeInclusive<i64> = 1..=8_760;
    /// `max_nudges_per_silence`: 1 to 100.
    pub const MAX_NUDGES_PER_SILENCE: RangeInclusive<i64> = 1..=100;
    /// Day counts (`window.days`, `min_messages.days`): one day to ten years.
    pub const DAYS: RangeInclusive<i64> = 1..=3_650;
    /// `sensitive_cooldown_days`: 14 days to ten years.
    pub const SENSITIVE_COOLDOWN_DAYS: RangeInclusive<i64> =
        super::MIN_SENSITIVE_COOLDOWN_DAYS..=3_650;
    /// `min_messages.count`: 1 to 100,000 messages.
    pub const MIN_MESSAGES_COUNT: RangeInclusive<i64> = 1..=100_000;
    /// `wellbeing.max_messages_7d`: 1 to 1,000,000 messages.
    pub const MAX_MESSAGES_7D: RangeInclusive<i64> = 1..=1_000_000;
}

/// An error unless `value` is in `range`: "`what` must be between A and B, not V".
fn check_range(
    out: &mut Vec<Diagnostic>,
    field: String,
    what: &str,
    value: i64,
    range: std::ops::RangeInclusive<i64>,
) {
    if !range.contains(&value) {
        out.push(Diagnostic::error(
            field,
            format!(
                "{what} must be between {} and {}, not {value}",
                range.start(),
                range.end()
            ),
        ));
    }
}

/// A persona's policy: a built-in preset by name, or a full custom policy saved with the persona.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)] // A persona holds one; boxing would only obscure the file format.
pub enum PolicyChoice {
    /// A built-in preset, by name (`omni`, `omni-conversation-start`, `omni-two-weeks`, `pushy`).
    Preset(String),
    /// A full policy, edited by the designer.
    Custom(Policy),
}

impl Default for PolicyChoice {
    fn default() -> Self {
        PolicyChoice::Preset(DEFAULT_PRESET.to_owned())
    }
}

impl PolicyChoice {
    /// The policy this choice stands for, or `None` for an unknown preset name.
    pub fn resolve(&self) -> Option<Policy> {
        match self {
            PolicyChoice::Preset(name) => Policy::preset(name),
            PolicyChoice::Custom(policy) => Some(policy.clone()),
        }
    }

    /// The name shown to the user: the preset's name or the custom policy's name.
    pub fn name(&self) -> &str {
        match self {
            PolicyChoice::Preset(name) => name,
            PolicyChoice::Custom(policy) => &policy.name,
        }
    }
}

/// Why a run has no policy: what [`resolve_policy`] reports.
#[derive(Debug, thiserror::Error)]
pub enum ResolvePolicyError {
    /// The persona's own policy names a preset that does not exist.
    #[error(
        "the persona names the unknown preset `{name}`; the presets are {}",
        PRESET_NAMES.join(", ")
    )]
    UnknownOwnPreset {
        /// The name the persona gives.
        name: String,
    },
    /// The chosen name is neither a preset nor an existing file.
    #[error("`{name}` is neither a preset ({}) nor a policy file", PRESET_NAMES.join(", "))]
    Unknown {
        /// The name as given.
        name: String,
    },
    /// The chosen policy file could not be read, or is not a valid policy.
    #[error(transparent)]
    File(#[from] super::LoadError),
}

/// The policy of a run, the same way on the command line and in the studio: `choice` names a
/// preset or a policy file (RON, a `Policy(...)`); `None` is the persona's `own` policy.
///
/// ```
/// use relance::model::policy::{PolicyChoice, resolve_policy};
///
/// let own = PolicyChoice::default();
/// assert_eq!(resolve_policy(&own, None)?.name, "omni");
/// assert_eq!(resolve_policy(&own, Some("pushy"))?.name, "pushy");
/// assert!(resolve_policy(&own, Some("gentle")).is_err());
/// # Ok::<(), relance::model::policy::ResolvePolicyError>(())
/// ```
pub fn resolve_policy(
    own: &PolicyChoice,
    choice: Option<&str>,
) -> Result<Policy, ResolvePolicyError> {
    let Some(name) = choice else {
        return own
            .resolve()
            .ok_or_else(|| ResolvePolicyError::UnknownOwnPreset {
                name: own.name().to_owned(),
            });
    };
    if let Some(preset) = Policy::preset(name) {
        return Ok(preset);
    }
    let path = std::path::Path::new(name);
    if path.exists() {
        return Ok(Policy::load(path)?);
    }
    Err(ResolvePolicyError::Unknown {
        name: name.to_owned(),
    })
}

/// The preset used when a persona names none.
pub const DEFAULT_PRESET: &str = "omni";

/// Names of the built-in presets, in display order.
pub const PRESET_NAMES: [&str; 4] = ["omni", "omni-conversation-start", "omni-two-weeks", "pushy"];

/// A check the engine makes before sending a nudge. A suppressed decision names the first one
/// that failed, in the policy's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The user is under the minimum age (profile or stated in a message).
    Minor,
    /// The user sent an opt-out word.
    OptedOut,
    /// A user message in the cooldown before the send time was flagged by the sensitive-topic check.
    Sensitive,
    /// The user shows signs of compulsive use (many messages a day, or night-time use).
    Wellbeing,
    /// The send time is past the follow-up window.
    WindowExpired,
    /// The user wrote too few messages.
    TooFewMessages,
}

impl Rule {
    /// Every rule, in the order of the `omni` preset.
    pub const ALL: [Rule; 6] = [
        Rule::Minor,
        Rule::OptedOut,
        Rule::Sensitive,
        Rule::Wellbeing,
        Rule::WindowExpired,
        Rule::TooFewMessages,
    ];

    /// Rules no policy may drop: the hard safety lines.
    pub const MANDATORY: [Rule; 3] = [Rule::Minor, Rule::OptedOut, Rule::Sensitive];

    /// The name used in files, JSON and traces (`too_few_messages`).
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Minor => "minor",
            Rule::OptedOut => "opted_out",
            Rule::Sensitive => "sensitive",
            Rule::Wellbeing => "wellbeing",
            Rule::WindowExpired => "window_expired",
            Rule::TooFewMessages => "too_few_messages",
        }
    }
}

/// What a time-based rule counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// The candidate send time `t`.
    SendTime,
    /// The user's last message `L`, which opened the silence.
    LastMessage,
    /// The start of the conversation: the first user message after a gap longer than the
    /// policy's window (or the user's first message).
    ConversationStart,
}

impl Anchor {
    /// Every anchor, in display order.
    pub const ALL: [Anchor; 3] = [
        Anchor::SendTime,
        Anchor::LastMessage,
        Anchor::ConversationStart,
    ];

    /// A short English description ("the send time").
    pub fn describe(self) -> &'static str {
        match self {
            Anchor::SendTime => "the send time",
            Anchor::LastMessage => "the user's last message",
            Anchor::ConversationStart => "the start of the conversation",
        }
    }
}

/// Local night hours during which no nudge goes out; a candidate time inside moves to `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    /// Start, inclusive, local time of the user ("21:00").
    #[serde(with = "hh_mm")]
    pub start: NaiveTime,
    /// End, exclusive, local time of the user ("09:00").
    #[serde(with = "hh_mm")]
    pub end: NaiveTime,
}

impl QuietHours {
    /// Whether local time-of-day `time` falls in the quiet hours (the range may wrap midnight).
    pub fn contains(&self, time: NaiveTime) -> bool {
        in_daily_range(time, self.start, self.end)
    }
}

/// Whether a local time of day falls in `[start, end)`, a range that may wrap midnight
/// (`21:00`–`09:00`). The one statement of the rule, for the engine's quiet hours (with a
/// [`NaiveTime`]) and the population simulation's (with seconds since midnight).
pub fn in_daily_range<T: PartialOrd>(time: T, start: T, end: T) -> bool {
    if start <= end {
        start <= time && time < end
    } else {
        time >= start || time < end
    }
}

/// The follow-up window: no nudge later than `days` after the anchor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Length in days.
    pub days: i64,
    /// Counted from the user's last message (`omni`) or the start of the conversation.
    pub anchor: Anchor,
}

/// The engagement condition: at least `count` user messages in `days` days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinMessages {
    /// How many user messages are needed.
    pub count: i64,
    /// Over how many days.
    pub days: i64,
    /// `send_time`: the days before `t`; `last_message`: the days up to `L`;
    /// `conversation_start`: the days from the start of the conversation (up to `t`).
    pub anchor: Anchor,
}

/// Signals of compulsive use that hold a nudge back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wellbeing {
    /// Hold back when the user sent more than this many messages in the 7 days before `t`.
    pub max_messages_7d: i64,
    /// Hold back when the user wrote during at least this many distinct nights in those 7 days.
    pub min_nights_7d: i64,
    /// Night start, inclusive, user's local time ("00:00").
    #[serde(with = "hh_mm")]
    pub night_start: NaiveTime,
    /// Night end, exclusive, user's local time ("05:00").
    #[serde(with = "hh_mm")]
    pub night_end: NaiveTime,
}

impl Default for Wellbeing {
    fn default() -> Self {
        Self {
            max_messages_7d: 350,
            min_nights_7d: 3,
            night_start: hm(0, 0),
            night_end: hm(5, 0),
        }
    }
}

/// The night a local time of day belongs to, if it falls in the nightly range `[start, end)`
/// (the wellbeing rule's nights): `day` is the number of the local date, and a range that wraps
/// midnight (`22:00`–`05:00`) numbers the evening before midnight with the next day, so that both
/// halves of one night are one night. The one statement of the rule: the engine calls it with a
/// [`NaiveTime`], the population simulation with seconds since midnight.
pub fn night_of<T: PartialOrd>(day: i32, time: T, start: T, end: T) -> Option<i32> {
    if start <= end {
        (start <= time && time < end).then_some(day)
    } else if time >= start {
        Some(day + 1)
    } else if time < end {
        Some(day)
    } else {
        None
    }
}

/// A nudge policy: every parameter of every rule, and the order in which rules are checked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Display name (the preset's name, or the designer's name for a custom policy).
    pub name: String,
    /// Candidate send time: this many hours after the user's last message.
    pub delay_hours: i64,
    /// Quiet hours in the user's zone; `None` sends at any hour.
    pub quiet_hours: Option<QuietHours>,
    /// At most this many nudges in one silence (`omni`: 1).
    pub max_nudges_per_silence: i64,
    /// Hours between two nudges of the same silence, when more than one is allowed.
    pub repeat_every_hours: i64,
    /// The follow-up window; `None` for no limit.
    pub window: Option<Window>,
    /// The engagement condition; `None` for none.
    pub min_messages: Option<MinMessages>,
    /// Days after a flagged user message during which no nudge goes out (at least 14).
    pub sensitive_cooldown_days: i64,
    /// Users under this age never receive a nudge.
    pub minor_age: i64,
    /// Whole messages (trimmed, case-folded) that opt a user out for good.
    pub opt_out_words: Vec<String>,
    /// Compulsive-use signals; `None` disables the rule.
    pub wellbeing: Option<Wellbeing>,
    /// Crisis referral per locale (`fr`, `en-US`, `en`…), shown when `self_harm` holds a nudge back.
    pub crisis_referrals: BTreeMap<String, String>,
    /// The order in which rules are checked; the first failing one is the reason.
    pub order: Vec<Rule>,
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

/// The opt-out words every preset recognises.
pub fn default_opt_out_words() -> Vec<String> {
    [
        "stop",
        "arrête",
        "arrete",
        "unsubscribe",
        "désabonner",
        "desabonner",
        "stop messages",
        "leave me alone",
        "laisse-moi tranquille",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The crisis referrals every preset ships with.
pub fn default_crisis_referrals() -> BTreeMap<String, String> {
    [
        (
            "fr",
            "3114, numéro national de prévention du suicide (24h/24, gratuit)",
        ),
        ("fr-BE", "0800 32 123, Centre de prévention du suicide"),
        ("fr-CA", "9-8-8, ligne d'aide en cas de crise de suicide"),
        ("en", "988 Suicide & Crisis Lifeline (call or text 988)"),
        ("en-US", "988 Suicide & Crisis Lifeline (call or text 988)"),
        ("en-GB", "Samaritans, 116 123 (free, 24/7)"),
        ("en-IE", "Samaritans, 116 123 (free, 24/7)"),
        ("en-CA", "9-8-8 Suicide Crisis Helpline"),
        ("en-AU", "Lifeline, 13 11 14"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

impl Policy {
    /// `omni`: the reading of the rules reported for Meta's AI Studio follow-ups.
    pub fn omni() -> Self {
        Self {
            name: "omni".to_owned(),
            delay_hours: 24,
            quiet_hours: Some(QuietHours {
                start: hm(21, 0),
                end: hm(9, 0),
            }),
            max_nudges_per_silence: 1,
            repeat_every_hours: 72,
            window: Some(Window {
                days: 14,
                anchor: Anchor::LastMessage,
            }),
            min_messages: Some(MinMessages {
                count: 5,
                days: 14,
                anchor: Anchor::SendTime,
            }),
            sensitive_cooldown_days: 30,
            minor_age: 18,
            opt_out_words: default_opt_out_words(),
            wellbeing: Some(Wellbeing::default()),
            crisis_referrals: default_crisis_referrals(),
            order: Rule::ALL.to_vec(),
        }
    }

    /// A built-in preset by name.
    pub fn preset(name: &str) -> Option<Self> {
        let omni = Self::omni();
        match name {
            "omni" => Some(omni),
            "omni-conversation-start" => Some(Self {
                name: name.to_owned(),
                window: Some(Window {
                    days: 14,
                    anchor: Anchor::ConversationStart,
                }),
                min_messages: Some(MinMessages {
                    count: 5,
                    days: 14,
                    anchor: Anchor::ConversationStart,
                }),
                ..omni
            }),
            "omni-two-weeks" => Some(Self {
                name: name.to_owned(),
                delay_hours: 14 * 24,
                // The quiet-hours shift may push t past L + 14 days: one more day of grace.
                window: Some(Window {
                    days: 15,
                    anchor: Anchor::LastMessage,
                }),
                min_messages: Some(MinMessages {
                    count: 5,
                    days: 14,
                    anchor: Anchor::LastMessage,
                }),
                ..omni
            }),
            "pushy" => Some(Self {
                name: name.to_owned(),
                delay_hours: 72,
                quiet_hours: None,
                max_nudges_per_silence: 5,
                repeat_every_hours: 72,
                window: None,
                min_messages: None,
                wellbeing: None,
                order: Rule::MANDATORY.to_vec(),
                ..omni
            }),
            _ => None,
        }
    }

    /// Whether this policy is exactly the preset it is named after.
    pub fn is_preset(&self) -> bool {
        Self::preset(&self.name).as_ref() == Some(self)
    }

    /// The crisis referral for a user's locale: exact match, then the language, then `en`.
    pub fn crisis_referral(&self, locale: &str) -> Option<&str> {
        let normalized = locale.replace('_', "-");
        let lang = normalized.split('-').next().unwrap_or("");
        self.crisis_referrals
            .get(&normalized)
            .or_else(|| self.crisis_referrals.get(lang))
            .or_else(|| self.crisis_referrals.get("en"))
            .map(String::as_str)
    }

    /// Whether the policy checks `rule` at all.
    pub fn checks(&self, rule: Rule) -> bool {
        self.order.contains(&rule)
            && match rule {
                Rule::Wellbeing => self.wellbeing.is_some(),
                Rule::WindowExpired => self.window.is_some(),
                Rule::TooFewMessages => self.min_messages.is_some(),
                Rule::Minor | Rule::OptedOut | Rule::Sensitive => true,
            }
    }

    /// Every problem in the policy; `field_prefix` (such as `policy.Custom`) prefixes field paths.
    pub fn validate(&self, field_prefix: &str) -> Vec<Diagnostic> {
        let f = |name: &str| {
            if field_prefix.is_empty() {
                name.to_owned()
            } else {
                format!("{field_prefix}.{name}")
            }
        };
        let mut out = Vec::new();
        if self.name.trim().is_empty() {
            out.push(Diagnostic::error(f("name"), "the policy name is empty"));
        }
        check_range(
            &mut out,
            f("delay_hours"),
            "the delay in hours",
            self.delay_hours,
            bounds::DELAY_HOURS,
        );
        check_range(
            &mut out,
            f("max_nudges_per_silence"),
            "the number of nudges per silence",
            self.max_nudges_per_silence,
            bounds::MAX_NUDGES_PER_SILENCE,
        );
        check_range(
            &mut out,
            f("repeat_every_hours"),
            "the repeat interval in hours",
            self.repeat_every_hours,
            bounds::REPEAT_EVERY_HOURS,
        );
        if let Some(q) = &self.quiet_hours
            && q.start == q.end
        {
            out.push(Diagnostic::error(
                f("quiet_hours"),
                "quiet hours start and end at the same time; remove them instead",
            ));
        }
        if let Some(w) = &self.window {
            check_range(
                &mut out,
                f("window.days"),
                "the window in days",
                w.days,
                bounds::DAYS,
            );
            if w.anchor == Anchor::SendTime {
                out.push(Diagnostic::error(
                    f("window.anchor"),
                    "a window cannot be counted from the send time itself; use last_message or conversation_start",
                ));
            }
        }
        if let Some(m) = &self.min_messages {
            check_range(
                &mut out,
                f("min_messages.count"),
                "the message count",
                m.count,
                bounds::MIN_MESSAGES_COUNT,
            );
            check_range(
                &mut out,
                f("min_messages.days"),
                "the count period in days",
                m.days,
                bounds::DAYS,
            );
        }
        check_range(
            &mut out,
            f("sensitive_cooldown_days"),
            "the sensitive-topic cooldown in days",
            self.sensitive_cooldown_days,
            bounds::SENSITIVE_COOLDOWN_DAYS,
        );
        if !(1..=120).contains(&self.minor_age) {
            out.push(Diagnostic::error(
                f("minor_age"),
                format!(
                    "the minimum age must be between 1 and 120, not {}",
                    self.minor_age
                ),
            ));
        } else if self.minor_age < 18 {
            out.push(Diagnostic::error(
                f("minor_age"),
                format!(
                    "the minimum age cannot be below 18 (it is {})",
                    self.minor_age
                ),
            ));
        }
        if self.opt_out_words.iter().all(|w| w.trim().is_empty()) {
            out.push(Diagnostic::error(
                f("opt_out_words"),
                "at least one opt-out word is needed (such as \"stop\")",
            ));
        }
        if let Some(w) = &self.wellbeing {
            check_range(
                &mut out,
                f("wellbeing.max_messages_7d"),
                "the weekly message limit",
                w.max_messages_7d,
                bounds::MAX_MESSAGES_7D,
            );
            if w.min_nights_7d < 1 || w.min_nights_7d > 7 {
                out.push(Diagnostic::error(
                    f("wellbeing.min_nights_7d"),
                    format!(
                        "the number of nights must be between 1 and 7, not {}",
                        w.min_nights_7d
                    ),
                ));
            }
            if w.night_start == w.night_end {
                out.push(Diagnostic::error(
                    f("wellbeing.night_start"),
                    "the night starts and ends at the same time",
                ));
            }
        }
        for rule in Rule::MANDATORY {
            if !self.order.contains(&rule) {
                out.push(Diagnostic::error(
                    f("order"),
                    format!(
                        "the `{}` check cannot be removed from a policy",
                        rule.as_str()
                    ),
                ));
            }
        }
        let mut seen = Vec::new();
        for rule in &self.order {
            if seen.contains(rule) {
                out.push(Diagnostic::error(
                    f("order"),
                    format!("the `{}` check is listed twice", rule.as_str()),
                ));
            }
            seen.push(*rule);
        }
        out
    }

    /// Loads a policy file (RON, a `Policy(...)`): `--policy FILE`.
    pub fn load(path: &std::path::Path) -> Result<Self, super::LoadError> {
        use super::locate::Locator;
        let source = super::limits::read_text_limited(path, super::limits::MAX_DOCUMENT_BYTES)
            .map_err(|e| super::LoadError::io(path, e))?;
        let source = super::limits::strip_bom(&source);
        let policy: Policy =
            ron::from_str(source).map_err(|e| super::LoadError::from_ron(path, &e))?;
        let locator = Locator::new(source);
        let diagnostics: Vec<_> = policy
            .validate("")
            .into_iter()
            .map(|d| {
                // `min_messages.days` is the `days:` after `min_messages:`, not the first one.
                let mut segments: Vec<String> =
                    d.field.split('.').map(|s| format!("{s}:")).collect();
                let key = segments.pop().unwrap_or_default();
                let anchors: Vec<&str> = segments.iter().map(String::as_str).collect();
                let pos = locator.find(&anchors, &key);
                d.at(pos)
            })
            .collect();
        if diagnostics.is_empty() {
            Ok(policy)
        } else {
            Err(super::LoadError::Invalid {
                path: path.to_owned(),
                diagnostics,
            })
        }
    }

    /// One plain sentence per rule and parameter, in the order the engine applies them.
    pub fn sentences(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        out.push((
            "timing".to_owned(),
            format!(
                "Every user message opens a silence; a follow-up is considered {} after it{}.",
                hours_phrase(self.delay_hours),
                if self.max_nudges_per_silence > 1 {
                    format!(
                        ", then every {} of continued silence, up to {} in one silence",
                        hours_phrase(self.repeat_every_hours),
                        self.max_nudges_per_silence
                    )
                } else {
                    ", and never more than one per silence".to_owned()
                }
            ),
        ));
        out.push((
            "quiet_hours".to_owned(),
            match &self.quiet_hours {
                Some(q) => format!(
                    "No follow-up between {} and {} in the user's own time zone: a follow-up due then waits until {}.",
                    q.start.format("%H:%M"),
                    q.end.format("%H:%M"),
                    q.end.format("%H:%M")
                ),
                None => "Follow-ups go out at any hour of the day or night.".to_owned(),
            },
        ));
        for rule in &self.order {
            out.push((rule.as_str().to_owned(), self.rule_sentence(*rule)));
        }
        out
    }

    /// The plain sentence explaining one rule with this policy's parameters.
    pub fn rule_sentence(&self, rule: Rule) -> String {
        match rule {
            Rule::Minor => format!(
                "Never to a user under {}, whether the profile says so or the user states it in a message.",
                self.minor_age
            ),
            Rule::OptedOut => format!(
                "Never again to a user who sent an opt-out word ({}).",
                self.opt_out_words
                    .iter()
                    .map(|w| format!("\"{w}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Rule::Sensitive => format!(
                "Never within {} days of a user message about a sensitive topic; self-harm calls for the crisis referral instead.",
                self.sensitive_cooldown_days
            ),
            Rule::Wellbeing => match &self.wellbeing {
                Some(w) => format!(
                    "Not to a user showing compulsive use: more than {} messages in the last 7 days, or messages during at least {} nights ({}–{}) in those 7 days.",
                    w.max_messages_7d,
                    w.min_nights_7d,
                    w.night_start.format("%H:%M"),
                    w.night_end.format("%H:%M")
                ),
                None => "Compulsive-use signals are not checked.".to_owned(),
            },
            Rule::WindowExpired => match &self.window {
                Some(w) => format!("Only within {} days of {}.", w.days, w.anchor.describe()),
                None => "No time limit after the last exchange.".to_owned(),
            },
            Rule::TooFewMessages => match &self.min_messages {
                Some(m) => format!(
                    "Only if the user wrote at least {} times in the {} days {} {}.",
                    m.count,
                    m.days,
                    match m.anchor {
                        Anchor::ConversationStart => "from",
                        _ => "before",
                    },
                    m.anchor.describe()
                ),
                None => "No minimum number of user messages.".to_owned(),
            },
        }
    }
}

/// "24 hours", "3 days", "1 hour".
pub fn hours_phrase(hours: i64) -> String {
    if hours % 24 == 0 && hours >= 48 {
        format!("{} days", hours / 24)
    } else if hours == 1 {
        "1 hour".to_owned()
    } else {
        format!("{hours} hours")
    }
}

/// Serde for times of day written "HH:MM".
mod hh_mm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let s = String::deserialize(d)?;
        NaiveTime::parse_from_str(&s, "%H:%M").map_err(|_| {
            serde::de::Error::custom(format!("`{s}` is not a time of day in the form HH:MM"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid_and_named_after_itself() {
        for name in PRESET_NAMES {
            let p = Policy::preset(name).expect("preset exists");
            assert_eq!(p.name, name);
            assert!(p.validate("").is_empty(), "{name}: {:?}", p.validate(""));
            assert!(p.is_preset());
        }
        assert!(Policy::preset("nope").is_none());
    }

    #[test]
    fn quiet_hours_wrap_midnight() {
        let q = Policy::omni().quiet_hours.expect("omni has quiet hours");
        assert!(q.contains(hm(21, 0)));
        assert!(q.contains(hm(23, 59)));
        assert!(q.contains(hm(0, 0)));
        assert!(q.contains(hm(8, 59)));
        assert!(!q.contains(hm(9, 0)));
        assert!(!q.contains(hm(20, 59)));
        // Seconds since midnight follow the same rule.
        assert!(in_daily_range(23 * 3600, 21 * 3600, 9 * 3600));
        assert!(in_daily_range(3 * 3600, 21 * 3600, 9 * 3600));
        assert!(!in_daily_range(9 * 3600, 21 * 3600, 9 * 3600));
        assert!(in_daily_range(9 * 3600, 9 * 3600, 21 * 3600));
    }

    #[test]
    fn a_night_is_numbered_by_the_day_it_ends() {
        // 00:00–05:00: inside the same day, end excluded.
        assert_eq!(night_of(10, hm(0, 0), hm(0, 0), hm(5, 0)), Some(10));
        assert_eq!(night_of(10, hm(4, 59), hm(0, 0), hm(5, 0)), Some(10));
        assert_eq!(night_of(10, hm(5, 0), hm(0, 0), hm(5, 0)), None);
        assert_eq!(night_of(10, hm(23, 0), hm(0, 0), hm(5, 0)), None);
        // 22:00–05:00 wraps midnight: the evening counts with the next day's morning.
        assert_eq!(night_of(10, hm(22, 0), hm(22, 0), hm(5, 0)), Some(11));
        assert_eq!(night_of(11, hm(3, 0), hm(22, 0), hm(5, 0)), Some(11));
        assert_eq!(night_of(10, hm(21, 59), hm(22, 0), hm(5, 0)), None);
        assert_eq!(night_of(11, hm(5, 0), hm(22, 0), hm(5, 0)), None);
        // Seconds since midnight follow the same rule.
        assert_eq!(night_of(10, 23 * 3600, 22 * 3600, 5 * 3600), Some(11));
        assert_eq!(night_of(10, 12 * 3600, 22 * 3600, 5 * 3600), None);
    }

    #[test]
    fn validation_reports_every_problem() {
        let mut p = Policy::omni();
        p.delay_hours = 0;
        p.sensitive_cooldown_days = 7;
        p.order.retain(|r| *r != Rule::Minor);
        p.opt_out_words.clear();
        let problems = p.validate("policy");
        let fields: Vec<_> = problems.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "policy.delay_hours",
                "policy.sensitive_cooldown_days",
                "policy.opt_out_words",
                "policy.order"
            ]
        );
    }

    #[test]
    fn policies_round_trip_through_ron() {
        for name in PRESET_NAMES {
            let p = Policy::preset(name).expect("preset exists");
            let text = ron::ser::to_string_pretty(&p, Default::default()).expect("serialises");
            let back: Policy = ron::from_str(&text).expect("parses");
            assert_eq!(back, p);
        }
    }

    #[test]
    fn referral_falls_back_from_region_to_language() {
        let p = Policy::omni();
        assert!(
            p.crisis_referral("fr-FR")
                .is_some_and(|r| r.contains("3114"))
        );
        assert!(
            p.crisis_referral("en_US")
                .is_some_and(|r| r.contains("988"))
        );
        assert!(
            p.crisis_referral("en-GB")
                .is_some_and(|r| r.contains("116 123"))
        );
        assert!(p.crisis_referral("de").is_some_and(|r| r.contains("988")));
    }
}
