//! Expectations a scenario carries for a persona's test suite: what each user should get, and
//! checks over the whole replay.
//!
//! They are written in the scenario file itself (RON or JSON), under `expect` on a user and on
//! the scenario, and parsed with it: an unknown field or reason is a syntax error with its line
//! and column, and an impossible expectation (a range that ends before it starts, a held-back
//! decision with text checks) is a validation error placed the same way. Running them against a
//! replay is `crate::suite`'s work; this module only holds the data.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::decision::Reason;
use super::diagnostics::Diagnostic;
use super::locate::Locator;
use super::persona::Formality;
use super::policy::QuietHours;
use super::{Channel, Lang};

/// Whether an expected decision is sent or held back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedOutcome {
    /// The nudge goes out.
    #[default]
    Sent,
    /// The nudge is held back (optionally for a given [`Reason`]).
    Held,
}

impl ExpectedOutcome {
    /// The word written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpectedOutcome::Sent => "sent",
            ExpectedOutcome::Held => "held",
        }
    }
}

/// Checks on the text of a sent nudge. Empty when nothing is checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextExpect {
    /// Phrases the text must contain (case and accents ignored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contains: Vec<String>,
    /// Phrases the text must not contain (case and accents ignored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_contains: Vec<String>,
    /// The language the text is written in.
    #[serde(default, with = "bare", skip_serializing_if = "Option::is_none")]
    pub lang: Option<Lang>,
    /// How a French text addresses the user (`tu` or `vous`).
    #[serde(default, with = "bare", skip_serializing_if = "Option::is_none")]
    pub address: Option<Formality>,
    /// The longest the text may be, in characters.
    #[serde(default, with = "bare", skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<usize>,
    /// The text echoes something the user talked about (a topic or a thing they named).
    #[serde(default, skip_serializing_if = "is_false")]
    pub mentions_user_subject: bool,
}

impl TextExpect {
    /// Whether no text check is set.
    pub fn is_empty(&self) -> bool {
        *self == TextExpect::default()
    }
}

/// One decision a user should get: its outcome, when (at an instant or within a range), on
/// which channel, and for a sent one what its text says. It passes when one of the user's
/// decisions in the time range meets every check.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionExpect {
    /// Sent or held back.
    pub outcome: ExpectedOutcome,
    /// For a held-back decision, the reason it must be held back for (any reason but `sent`),
    /// by the name the engine's JSON uses (`too_few_messages`).
    #[serde(default, with = "bare", skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// The exact instant of the decision (UTC).
    #[serde(default, with = "bare", skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    /// The decision is at or after this instant.
    #[serde(default, with = "bare", skip_serializing_if = "Option::is_none")]
    pub after: Option<DateTime<Utc>>,
    /// The decision is before this instant.
    #[serde(default, with = "bare", skip_serializing_if = "Option::is_none")]
    pub before: Option<DateTime<Utc>>,
    /// The channel of the decision.
    #[serde(default, with = "bare", skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// Checks on the text of a sent nudge.
    #[serde(default, skip_serializing_if = "TextExpect::is_empty")]
    pub text: TextExpect,
}

impl DecisionExpect {
    /// Whether `at` falls in this expectation's time: the exact instant, or the range.
    pub fn admits(&self, at: DateTime<Utc>) -> bool {
        self.at.is_none_or(|t| t == at)
            && self.after.is_none_or(|t| at >= t)
            && self.before.is_none_or(|t| at < t)
    }

    /// A short human description ("sent between … and … on messenger").
    pub fn describe(&self) -> String {
        let mut out = match (self.outcome, self.reason) {
            (ExpectedOutcome::Held, Some(r)) => format!("held back ({})", r.as_str()),
            (o, _) => o.as_str().to_owned(),
        };
        let short = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        match (self.at, self.after, self.before) {
            (Some(t), _, _) => out.push_str(&format!(" at {}", short(t))),
            (None, Some(a), Some(b)) => {
                out.push_str(&format!(" between {} and {}", short(a), short(b)))
            }
            (None, Some(a), None) => out.push_str(&format!(" after {}", short(a))),
            (None, None, Some(b)) => out.push_str(&format!(" before {}", short(b))),
            (None, None, None) => {}
        }
        if let Some(c) = self.channel {
            out.push_str(&format!(" on {c}"));
        }
        let t = &self.text;
        for c in &t.contains {
            out.push_str(&format!(", text contains \"{c}\""));
        }
        for c in &t.not_contains {
            out.push_str(&format!(", text does not contain \"{c}\""));
        }
        if let Some(l) = t.lang {
            let name = match l {
                Lang::Fr => "French",
                Lang::En => "English",
            };
            out.push_str(&format!(", in {name}"));
        }
        if let Some(a) = t.address {
            let word = match a {
                Formality::Tu => "tu",
                Formality::Vous => "vous",
            };
            out.push_str(&format!(", says {word}"));
        }
        if let Some(n) = t.max_chars {
            out.push_str(&format!(", at most {n} characters"));
        }
        if t.mentions_user_subject {
            out.push_str(", mentions something the user talked about");
        }
        out
    }
}

/// Checks over the whole replay of a scenario. Empty when nothing is checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioExpect {
    /// No nudge is sent to a user who is a minor (by profile or by their own words) or who
    /// opted out before it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_nudge_to_minor_or_opted_out: bool,
    /// At most this many nudges are sent in the whole scenario.
    #[serde(default, with = "bare", skip_serializing_if = "Option::is_none")]
    pub max_sent: Option<usize>,
    /// No nudge is sent in these local hours of the user (`(start: "21:00", end: "09:00")`).
    #[serde(default, with = "bare", skip_serializing_if = "Option::is_none")]
    pub no_send_between: Option<QuietHours>,
}

impl ScenarioExpect {
    /// Whether no scenario-wide check is set.
    pub fn is_empty(&self) -> bool {
        *self == ScenarioExpect::default()
    }
}

/// Every expectation of a scenario, checked: per user (by id, in scenario order) and
/// scenario-wide.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectations {
    /// Checks over the whole replay.
    pub scenario: ScenarioExpect,
    /// For each user with expectations, its id and what it should get.
    pub users: Vec<(String, Vec<DecisionExpect>)>,
}

impl Expectations {
    /// Whether the scenario carries no expectation at all.
    pub fn is_empty(&self) -> bool {
        self.scenario.is_empty() && self.users.iter().all(|(_, e)| e.is_empty())
    }

    /// How many expectations a run checks: one per decision expectation, one per scenario-wide
    /// check.
    pub fn count(&self) -> usize {
        let s = &self.scenario;
        self.users.iter().map(|(_, e)| e.len()).sum::<usize>()
            + usize::from(s.no_nudge_to_minor_or_opted_out)
            + usize::from(s.max_sent.is_some())
            + usize::from(s.no_send_between.is_some())
    }

    /// The expectations of user `id` (empty when it has none).
    pub fn of_user(&self, id: &str) -> &[DecisionExpect] {
        self.users
            .iter()
            .find(|(u, _)| u == id)
            .map_or(&[], |(_, e)| e.as_slice())
    }
}

/// Impossible expectations of user `user_id`, placed in the file's text by `loc`: a range that
/// ends before it starts, an instant and a range together, a reason or text checks that do not
/// fit the outcome.
pub fn check_user_expectations(
    user_index: usize,
    user_id: &str,
    expectations: &[DecisionExpect],
    loc: &Locator<'_>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let id_anchor = format!("\"{user_id}\"");
    for (k, e) in expectations.iter().enumerate() {
        let field = |name: &str| format!("users[{user_index}].expect[{k}].{name}");
        let place = |needle: &str| loc.find(&[&id_anchor, "expect:", "\"expect\""], needle);
        if let (Some(a), Some(b)) = (e.after, e.before)
            && b <= a
        {
            out.push(
                Diagnostic::error(
                    field("before"),
                    format!(
                        "the expected range of user `{user_id}` ends ({b}) before it starts ({a}); swap `after` and `before`"
                    ),
                )
                .at(place("before")),
            );
        }
        if e.at.is_some() && (e.after.is_some() || e.before.is_some()) {
            out.push(
                Diagnostic::error(
                    field("at"),
                    format!(
                        "an expectation of user `{user_id}` sets both an instant (`at`) and a range (`after`/`before`); keep one"
                    ),
                )
                .at(place("at")),
            );
        }
        if e.outcome == ExpectedOutcome::Sent && e.reason.is_some() {
            out.push(
                Diagnostic::error(
                    field("reason"),
                    format!(
                        "an expectation of user `{user_id}` is `sent` but names a held-back reason; use `outcome: held`"
                    ),
                )
                .at(place("reason")),
            );
        }
        if e.outcome == ExpectedOutcome::Held && e.reason == Some(Reason::Sent) {
            out.push(
                Diagnostic::error(
                    field("reason"),
                    format!(
                        "an expectation of user `{user_id}` is `held` for reason `sent`; name why it is held back (for example `too_few_messages`)"
                    ),
                )
                .at(place("reason")),
            );
        }
        if e.outcome == ExpectedOutcome::Held && !e.text.is_empty() {
            out.push(
                Diagnostic::error(
                    field("text"),
                    format!(
                        "an expectation of user `{user_id}` is `held` but checks the text; a held-back nudge has none"
                    ),
                )
                .at(place("text")),
            );
        }
        if e.text.max_chars == Some(0) {
            out.push(
                Diagnostic::error(
                    field("text.max_chars"),
                    format!(
                        "an expectation of user `{user_id}` allows a text of at most 0 characters"
                    ),
                )
                .at(place("max_chars")),
            );
        }
    }
    out
}

/// Impossible scenario-wide expectations, placed in the file's text by `loc`.
pub fn check_scenario_expectations(expect: &ScenarioExpect, loc: &Locator<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if let Some(q) = expect.no_send_between
        && q.start == q.end
    {
        out.push(
            Diagnostic::error(
                "expect.no_send_between",
                "the hours without sends start and end at the same time",
            )
            .at(loc.find(&[], "no_send_between")),
        );
    }
    out
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// An optional field written bare, without RON's `Some(…)`: absent means `None` (with
/// `#[serde(default)]`), present is the value itself, in RON as in JSON.
mod bare {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(
        value: &Option<T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => v.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        deserializer: D,
    ) -> Result<Option<T>, D::Error> {
        T::deserialize(deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_optional_fields_read_in_ron_and_json() {
        let ron_text =
            r#"(outcome: held, reason: minor, after: "2026-01-05T00:00:00Z", channel: messenger)"#;
        let e: DecisionExpect = ron::from_str(ron_text).expect("ron");
        assert_eq!(e.reason, Some(Reason::Minor));
        assert_eq!(e.channel, Some(Channel::Messenger));
        let json = r#"{"outcome": "sent", "text": {"lang": "fr", "max_chars": 200}}"#;
        let e: DecisionExpect = serde_json::from_str(json).expect("json");
        assert_eq!(e.text.lang, Some(Lang::Fr));
        assert_eq!(e.text.max_chars, Some(200));
        assert_eq!(e.at, None);
    }

    #[test]
    fn written_back_without_some_and_read_again() {
        let e = DecisionExpect {
            outcome: ExpectedOutcome::Held,
            reason: Some(Reason::TooFewMessages),
            at: Some("2026-01-07T10:00:00Z".parse().expect("instant")),
            ..DecisionExpect::default()
        };
        let text = ron::to_string(&e).expect("ron");
        assert!(!text.contains("Some"), "{text}");
        assert_eq!(ron::from_str::<DecisionExpect>(&text).expect("back"), e);
    }

    #[test]
    fn unknown_reason_and_field_are_errors() {
        assert!(ron::from_str::<DecisionExpect>("(outcome: held, reason: tired)").is_err());
        assert!(ron::from_str::<DecisionExpect>("(outcome: sent, colour: red)").is_err());
    }

    #[test]
    fn admits_an_instant_or_a_range() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().expect("instant");
        let e = DecisionExpect {
            after: Some(t("2026-01-05T00:00:00Z")),
            before: Some(t("2026-01-06T00:00:00Z")),
            ..DecisionExpect::default()
        };
        assert!(e.admits(t("2026-01-05T12:00:00Z")));
        assert!(!e.admits(t("2026-01-06T00:00:00Z")));
    }
}
