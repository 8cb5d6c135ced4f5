//! The `relance simulate` outputs: JSON (a public contract, see README "JSON output") and text.

use std::fmt::Write as _;

use rayon::prelude::*;
use serde::Serialize;

use crate::compose::MemoryItem;
use crate::engine::trace::{decision_trace, local};
use crate::engine::{
    Decision, Outcome, Reason, Replay, ReplayOptions, Replayer, TraceStep, UserFacts, checker_for,
};
use crate::model::{Channel, Persona, Policy, Scenario, User};

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
    /// The rules checked.
    pub trace: Vec<TraceStep>,
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
    ud: &'a crate::engine::UserDecisions,
    scenario: &'a Scenario,
    replay: &'a Replay,
    checker: &crate::safety::SafetyChecker,
) -> UserJson<'a> {
    let user = &scenario.users[ud.user];
    let needs_facts = ud.decisions.iter().any(|d| {
        d.evaluation.checks().any(|c| {
            matches!(
                c.evidence,
                crate::engine::Evidence::Sensitive { flagged: Some(_) }
            )
        })
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
        trace: decision_trace(d, policy, user, facts),
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

/// Users replayed and serialised together by [`write_replay_json`]: enough to keep every core
/// busy, few enough that a batch's decisions and text stay small.
const BATCH_USERS: usize = 512;

/// Replays `scenario` under `policy` and writes the `simulate --json` object to `out`: the
/// same bytes as [`simulation_json_text`] of [`replay`](crate::engine::replay) with `options`.
///
/// Users are replayed and serialised in parallel a batch at a time and written in order, so
/// that neither every decision nor the whole text is ever held in memory, and each user's
/// messages are read once for the decisions and their traces.
///
/// # Errors
///
/// Those of `out`.
pub fn write_replay_json(
    persona: &Persona,
    policy: &Policy,
    scenario: &Scenario,
    options: ReplayOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let replayer = Replayer::new(persona, policy, scenario, options);
    out.write_all(json_head(&policy.name)?.as_bytes())?;
    // Batches are made on another thread while this one writes the previous batch out.
    std::thread::scope(|scope| {
        let (parts_tx, parts_rx) = std::sync::mpsc::sync_channel(1);
        scope.spawn(move || {
            for batch in scenario.users.chunks(BATCH_USERS) {
                let parts = batch
                    .par_iter()
                    .map(|user| {
                        let (decisions, facts) = replayer.decide(user);
                        serde_json::to_string(&decisions_json(
                            user,
                            &decisions,
                            policy,
                            Some(&facts),
                        ))
                    })
                    .collect::<serde_json::Result<Vec<String>>>();
                // The writer stopped (an error): no more batches.
                if parts_tx.send(parts).is_err() {
                    break;
                }
            }
        });
        let mut first = true;
        for parts in parts_rx {
            for part in parts? {
                if !first {
                    out.write_all(b",")?;
                }
                first = false;
                out.write_all(part.as_bytes())?;
            }
        }
        std::io::Result::Ok(())
    })?;
    out.write_all(JSON_TAIL.as_bytes())?;
    Ok(())
}

/// The human-readable report of a replay.
pub fn simulation_text(persona: &Persona, scenario: &Scenario, replay: &Replay) -> String {
    let checker = checker_for(persona);
    let mut out = String::new();
    let (sent, held) = replay.totals();
    let _ = writeln!(
        out,
        "{} × scenario \"{}\" under policy {}: {sent} sent, {held} held back",
        persona.name, scenario.name, replay.policy.name
    );
    for ud in &replay.users {
        let user = &scenario.users[ud.user];
        let _ = writeln!(
            out,
            "\n{} ({}, {}, {}{})",
            user.name,
            user.id,
            user.timezone.name(),
            user.locale,
            user.age.map(|a| format!(", {a} years")).unwrap_or_default()
        );
        if ud.decisions.is_empty() {
            let _ = writeln!(out, "  no decision: the user never went quiet long enough");
        }
        let facts = UserFacts::from_user(user, &replay.policy, &checker);
        for d in &ud.decisions {
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
            for step in decision_trace(d, &replay.policy, user, Some(&facts)) {
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
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::engine::{ReplayOptions, replay};

    #[test]
    fn parallel_json_text_is_the_serialised_value() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let persona = Persona::load(&root.join("personas/cinema-maestro.ron")).unwrap();
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

    /// The streamed JSON of `simulate --json` against the JSON of a whole replay.
    fn assert_streamed_json_is_the_replay_json(
        persona: &Persona,
        policy: &Policy,
        scenario: &Scenario,
    ) {
        let options = ReplayOptions::default();
        let result = replay(persona, policy, scenario, options);
        let expected = simulation_json_text(persona, scenario, &result).unwrap();
        let mut streamed = Vec::new();
        write_replay_json(persona, policy, scenario, options, &mut streamed).unwrap();
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            expected,
            "{}",
            scenario.name
        );
    }

    #[test]
    fn streamed_json_is_the_json_of_the_replay() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let persona = Persona::load(&root.join("personas/cinema-maestro.ron")).unwrap();
        let dir = root.join("assets/scenarios");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        assert!(paths.len() >= 8);
        for path in &paths {
            let scenario = Scenario::load(path).unwrap();
            for policy in [Policy::omni(), Policy::preset("pushy").unwrap()] {
                assert_streamed_json_is_the_replay_json(&persona, &policy, &scenario);
            }
        }
        // More users than one batch, and none at all.
        let mut many = Scenario::load(&dir.join("demo-cinema.json")).unwrap();
        let users = many.users.clone();
        many.users = (0..BATCH_USERS * 2 + 3)
            .map(|i| {
                let mut user = users[i % users.len()].clone();
                user.id = format!("{}-{i}", user.id);
                user
            })
            .collect();
        assert_streamed_json_is_the_replay_json(&persona, &Policy::omni(), &many);
        many.users.clear();
        assert_streamed_json_is_the_replay_json(&persona, &Policy::omni(), &many);
    }
}
