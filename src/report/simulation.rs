//! The `relance simulate` outputs: JSON (a public contract, see README "JSON output") and text.

use std::fmt::Write as _;

use rayon::prelude::*;
use serde::Serialize;

use crate::engine::trace::{DecisionTrace, decision_trace, decision_trace_parts};
use crate::engine::{Decision, Evidence, Replay, UserDecisions, UserFacts, checker_for};
use crate::model::decision::{MemoryItem, Outcome, Reason, local};
use crate::model::{Channel, Persona, Policy, Scenario, User};
use crate::replay::{DecisionSink, UserReplay};
use crate::safety::SafetyChecker;

/// The JSON object `relance simulate --json` prints.
#[derive(Debug, Serialize)]
pub struct SimulationJson<'a> {
    /// The policy's name.
    pub policy: &'a str,
    /// Users in scenario order.
    pub users: Vec<UserJson<'a>>,
}

/// One user's decisions.
#[derive(Debug, Serialize)]
pub struct UserJson<'a> {
    /// The user's id.
    pub id: &'a str,
    /// Decisions in time order.
    pub decisions: Vec<DecisionJson<'a>>,
}

/// One decision.
#[derive(Debug, Serialize)]
pub struct DecisionJson<'a> {
    /// RFC 3339 UTC instant with `Z`.
    pub at: String,
    /// `sent` or `suppressed`.
    pub outcome: Outcome,
    /// `sent` or the reason.
    pub reason: Reason,
    /// The channel.
    pub channel: Channel,
    /// The text, for sent decisions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<&'a str>,
    /// The rules checked, then the composer's steps.
    pub trace: DecisionTrace<'a>,
    /// The user message that opened the silence (RFC 3339 UTC).
    pub silence_start: String,
    /// The crisis referral, when a self-harm flag holds the nudge back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crisis_referral: Option<&'a str>,
    /// The persona template used, for sent decisions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<&'a str>,
    /// The WhatsApp template filled, on WhatsApp.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_template: Option<&'a str>,
    /// What the text echoes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<&'a MemoryItem>,
}

fn rfc3339(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Builds the JSON value of a replay.
pub fn simulation_json<'a>(
    persona: &Persona,
    scenario: &'a Scenario,
    replay: &'a Replay,
) -> SimulationJson<'a> {
    let checker = checker_for(persona);
    let users = replay
        .users
        .iter()
        .map(|ud| user_json(ud, scenario, replay, &checker))
        .collect();
    SimulationJson {
        policy: &replay.policy.name,
        users,
    }
}

/// The compact JSON text of [`simulation_json`], byte for byte, followed by a newline: each
/// user's part is built and serialised on rayon's pool, then written in order.
pub fn simulation_json_text(
    persona: &Persona,
    scenario: &Scenario,
    replay: &Replay,
) -> serde_json::Result<String> {
    let checker = checker_for(persona);
    let users = replay
        .users
        .par_iter()
        .map(|ud| serde_json::to_string(&user_json(ud, scenario, replay, &checker)))
        .collect::<serde_json::Result<Vec<_>>>()?;
    let mut out = json_head(&replay.policy.name)?;
    out.push_str(&users.join(","));
    out.push_str(JSON_TAIL);
    Ok(out)
}

/// The start of the `simulate --json` object up to its first user, as serde writes it:
/// `{"policy":…,"users":[`. Users already serialised follow, separated by commas, then
/// [`JSON_TAIL`].
fn json_head(policy: &str) -> serde_json::Result<String> {
    let mut empty = serde_json::to_string(&SimulationJson {
        policy,
        users: Vec::new(),
    })?;
    // `users` is the last field: the text ends with its empty array.
    if !empty.ends_with("[]}") {
        return Err(serde::ser::Error::custom(
            "`users` is not the last field of the simulate JSON",
        ));
    }
    empty.truncate(empty.len() - "]}".len());
    Ok(empty)
}

/// The end of the `simulate --json` object after its last user, and the final newline.
const JSON_TAIL: &str = "]}\n";

fn user_json<'a>(
    ud: &'a UserDecisions,
    scenario: &'a Scenario,
    replay: &'a Replay,
    checker: &SafetyChecker,
) -> UserJson<'a> {
    let user = &scenario.users[ud.user];
    let needs_facts = ud.decisions.iter().any(|d| {
        d.evaluation
            .checks()
            .any(|c| matches!(c.evidence, Evidence::Sensitive { flagged: Some(_) }))
    });
    let facts = needs_facts.then(|| UserFacts::from_user(user, &replay.policy, checker));
    decisions_json(user, &ud.decisions, &replay.policy, facts.as_ref())
}

/// One user's part of the JSON; `facts` (the user's, under `policy`) are needed only for the
/// flags that sensitive-topic traces quote.
fn decisions_json<'a>(
    user: &'a User,
    decisions: &'a [Decision],
    policy: &Policy,
    facts: Option<&UserFacts>,
) -> UserJson<'a> {
    UserJson {
        id: &user.id,
        decisions: decisions
            .iter()
            .map(|d| decision_json(d, policy, user, facts))
            .collect(),
    }
}

fn decision_json<'a>(
    d: &'a Decision,
    policy: &Policy,
    user: &User,
    facts: Option<&UserFacts>,
) -> DecisionJson<'a> {
    DecisionJson {
        at: rfc3339(d.at),
        outcome: d.outcome,
        reason: d.reason,
        channel: d.channel,
        text: d.text(),
        trace: decision_trace_parts(d, policy, user, facts),
        silence_start: rfc3339(d.silence_start),
        crisis_referral: d.crisis_referral.as_deref(),
        template: d.message.as_ref().map(|m| m.template.as_str()),
        channel_template: d
            .message
            .as_ref()
            .and_then(|m| m.channel_template.as_deref()),
        memory: d.message.as_ref().and_then(|m| m.memory.as_ref()),
    }
}

/// The `simulate --json` object written as a replay goes: each user's part is serialised on the
/// thread that replayed it and the parts are written in order, so that neither every decision
/// nor the whole text is ever held in memory, and each user's messages are read once for the
/// decisions and their traces. The bytes are those of [`simulation_json_text`] of the same
/// replay collected.
pub struct JsonWriter<'w> {
    out: &'w mut dyn std::io::Write,
    first: bool,
}

impl<'w> JsonWriter<'w> {
    /// Writes the start of the object (`{"policy":…,"users":[`) to `out`.
    ///
    /// # Errors
    ///
    /// Those of `out`.
    pub fn start(policy: &str, out: &'w mut dyn std::io::Write) -> std::io::Result<Self> {
        out.write_all(json_head(policy)?.as_bytes())?;
        Ok(Self { out, first: true })
    }

    /// Writes the end of the object after the last user, and the final newline.
    ///
    /// # Errors
    ///
    /// Those of `out`.
    pub fn finish(self) -> std::io::Result<()> {
        self.out.write_all(JSON_TAIL.as_bytes())
    }
}

impl DecisionSink for JsonWriter<'_> {
    type Part = Vec<u8>;
    type Error = std::io::Error;

    fn part(replayed: UserReplay<'_>) -> std::io::Result<Vec<u8>> {
        // About 2 KB a decision, most of it its trace: written into room made at once.
        let mut out = Vec::with_capacity(256 + 2560 * replayed.decisions.len());
        serde_json::to_writer(
            &mut out,
            &decisions_json(
                replayed.user,
                &replayed.decisions,
                replayed.policy,
                Some(&replayed.facts),
            ),
        )?;
        Ok(out)
    }

    fn take(&mut self, part: Vec<u8>) -> std::io::Result<()> {
        if !self.first {
            self.out.write_all(b",")?;
        }
        self.first = false;
        self.out.write_all(&part)
    }
}

/// The human-readable report of a replay, written as the replay goes: each user's part on the
/// thread that replayed it. The text is that of [`simulation_text`] of the same replay
/// collected.
#[derive(Debug, Default)]
pub struct TextReport {
    users: String,
    sent: usize,
    held: usize,
}

/// One user's part of a [`TextReport`].
#[derive(Debug)]
pub struct UserText {
    text: String,
    sent: usize,
    held: usize,
}

impl TextReport {
    /// The report of `persona` replaying `scenario`, its users' parts taken.
    pub fn finish(self, persona: &Persona, scenario: &Scenario, policy: &Policy) -> String {
        let mut out = String::with_capacity(self.users.len() + 160);
        let _ = writeln!(
            out,
            "{} × scenario \"{}\" under policy {}: {} sent, {} held back",
            persona.name, scenario.name, policy.name, self.sent, self.held
        );
        out.push_str(&self.users);
        out
    }
}

impl DecisionSink for TextReport {
    type Part = UserText;
    type Error = std::convert::Infallible;

    fn part(replayed: UserReplay<'_>) -> Result<UserText, Self::Error> {
        let sent = replayed
            .decisions
            .iter()
            .filter(|d| d.outcome == Outcome::Sent)
            .count();
        Ok(UserText {
            text: user_text(
                replayed.user,
                &replayed.decisions,
                replayed.policy,
                &replayed.facts,
            ),
            sent,
            held: replayed.decisions.len() - sent,
        })
    }

    fn take(&mut self, part: UserText) -> Result<(), Self::Error> {
        self.users.push_str(&part.text);
        self.sent += part.sent;
        self.held += part.held;
        Ok(())
    }
}

/// The human-readable report of a collected replay.
pub fn simulation_text(persona: &Persona, scenario: &Scenario, replay: &Replay) -> String {
    let checker = checker_for(persona);
    let mut report = TextReport::default();
    for ud in &replay.users {
        let user = &scenario.users[ud.user];
        let facts = UserFacts::from_user(user, &replay.policy, &checker);
        let sent = ud
            .decisions
            .iter()
            .filter(|d| d.outcome == Outcome::Sent)
            .count();
        let _ = report.take(UserText {
            text: user_text(user, &ud.decisions, &replay.policy, &facts),
            sent,
            held: ud.decisions.len() - sent,
        });
    }
    report.finish(persona, scenario, &replay.policy)
}

/// One user's part of the text report: who, then each decision, its text and the steps that
/// explain it.
fn user_text(user: &User, decisions: &[Decision], policy: &Policy, facts: &UserFacts) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{} ({}, {}, {}{})",
        user.name,
        user.id,
        user.timezone.name(),
        user.locale,
        user.age.map(|a| format!(", {a} years")).unwrap_or_default()
    );
    if decisions.is_empty() {
        let _ = writeln!(out, "  no decision: the user never went quiet long enough");
    }
    for d in decisions {
        let mark = match d.outcome {
            Outcome::Sent => "SENT",
            Outcome::Suppressed => "held",
        };
        let _ = writeln!(
            out,
            "  {mark:<4} {} UTC  {}  {}  {}",
            d.at.format("%Y-%m-%d %H:%M"),
            local(d.at, user.timezone),
            d.channel,
            d.reason.as_str()
        );
        if let Some(text) = d.text() {
            let _ = writeln!(out, "       “{text}”");
        }
        if let Some(r) = &d.crisis_referral {
            let _ = writeln!(
                out,
                "       CRISIS: a human-safety protocol must take over. Referral: {r}"
            );
        }
        for step in decision_trace(d, policy, user, Some(facts)) {
            if !step.passed || d.outcome == Outcome::Suppressed {
                let _ = writeln!(
                    out,
                    "       {} {}: {}",
                    if step.passed { "✓" } else { "✗" },
                    step.rule,
                    step.detail
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::replay::{ReplayOptions, replay};

    #[test]
    fn parallel_json_text_is_the_serialised_value() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let persona = cinema_maestro();
        let scenario = Scenario::load(&root.join("assets/scenarios/demo-cinema.json")).unwrap();
        let policy = persona.policy.resolve().unwrap();
        let result = replay(&persona, &policy, &scenario, ReplayOptions::default());
        let text = simulation_json_text(&persona, &scenario, &result).unwrap();
        let mut expected =
            serde_json::to_string(&simulation_json(&persona, &scenario, &result)).unwrap();
        expected.push('\n');
        assert!(result.users.len() > 1 && result.totals().0 > 0);
        assert_eq!(text, expected);
    }

    fn cinema_maestro() -> Persona {
        Persona::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("personas/cinema-maestro.ron"))
            .unwrap()
    }
}
