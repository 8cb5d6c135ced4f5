//! The `relance simulate` outputs: JSON (a public contract, see README "JSON output") and text.

use std::collections::HashSet;
use std::fmt::Write as _;

use rayon::prelude::*;
use serde::Serialize;

use crate::compose::MemoryItem;
use crate::engine::trace::{DecisionTrace, decision_trace, decision_trace_parts, local};
use crate::engine::{
    Decision, Outcome, Reason, Replay, ReplayOptions, Replayer, UserFacts, checker_for,
};
use crate::model::scenario::StreamedScenario;
use crate::model::{Channel, Diagnostic, LoadError, Persona, Policy, Scenario, User};

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
    write_users_json(&policy.name, scenario.users.len(), out, |i| {
        Ok(replayed_user_json(&replayer, policy, &scenario.users[i])?)
    })
}

/// Why [`write_streamed_replay_json`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum StreamedReplayError {
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The scenario is invalid (found once the replay reached the first invalid user).
    #[error(transparent)]
    Scenario(#[from] LoadError),
}

/// [`write_replay_json`] of a scenario read user by user: each user is parsed in the batch
/// that replays it. Returns the scenario's warnings (events sorted), in user order.
///
/// # Errors
///
/// Those of `out`, and the scenario's problems ([`StreamedScenario::error`]) when a user is
/// invalid or two share an id: what was written before is then incomplete, so `out` should
/// be a file written atomically, which such an error leaves untouched.
pub fn write_streamed_replay_json(
    persona: &Persona,
    policy: &Policy,
    scenario: &StreamedScenario<'_>,
    options: ReplayOptions,
    out: &mut dyn std::io::Write,
) -> Result<Vec<Diagnostic>, StreamedReplayError> {
    let replayer = Replayer::new(persona, policy, scenario.head(), options);
    let ids = std::sync::Mutex::new(HashSet::with_capacity(scenario.len()));
    let warnings = std::sync::Mutex::new(Vec::new());
    let poisoned = || std::io::Error::other("a replay thread panicked");
    let written = write_users_json(&policy.name, scenario.len(), out, |i| {
        let (user, user_warnings) = scenario.user(i).ok_or(UserFailure::Invalid)?;
        if !ids.lock().map_err(|_| poisoned())?.insert(user.id.clone()) {
            return Err(UserFailure::Invalid);
        }
        if !user_warnings.is_empty() {
            warnings
                .lock()
                .map_err(|_| poisoned())?
                .push((i, user_warnings));
        }
        Ok(replayed_user_json(&replayer, policy, &user)?)
    });
    match written {
        Ok(()) => {}
        Err(UserFailure::Io(error)) => return Err(error.into()),
        // Said once, whatever the number of invalid users met (loading the file whole to say
        // it is not cheap).
        Err(UserFailure::Invalid) => return Err(scenario.error().into()),
    }
    let mut warnings = warnings.into_inner().map_err(|_| poisoned())?;
    warnings.sort_by_key(|&(i, _)| i);
    Ok(warnings.into_iter().flat_map(|(_, w)| w).collect())
}

/// Why one user of a streamed replay was not written.
enum UserFailure {
    Io(std::io::Error),
    /// The user is invalid, or has the id of another.
    Invalid,
}

impl From<std::io::Error> for UserFailure {
    fn from(error: std::io::Error) -> Self {
        Self::Io(error)
    }
}

impl From<serde_json::Error> for UserFailure {
    fn from(error: serde_json::Error) -> Self {
        Self::Io(error.into())
    }
}

/// The decisions of `user` replayed by `replayer`, as its part of the JSON.
fn replayed_user_json(
    replayer: &Replayer<'_>,
    policy: &Policy,
    user: &User,
) -> serde_json::Result<Vec<u8>> {
    let (decisions, facts) = replayer.decide(user);
    // About 2 KB a decision, most of it its trace: written into room made at once.
    let mut out = Vec::with_capacity(256 + 2560 * decisions.len());
    serde_json::to_writer(
        &mut out,
        &decisions_json(user, &decisions, policy, Some(&facts)),
    )?;
    Ok(out)
}

/// Writes the `simulate --json` object of `count` users to `out`, user `i`'s part made by
/// `user_json(i)`: in parallel a batch at a time, on another thread while this one writes the
/// previous batch out.
fn write_users_json<E>(
    policy: &str,
    count: usize,
    out: &mut dyn std::io::Write,
    user_json: impl Fn(usize) -> Result<Vec<u8>, E> + Sync,
) -> Result<(), E>
where
    E: From<std::io::Error> + From<serde_json::Error> + Send,
{
    out.write_all(json_head(policy)?.as_bytes())?;
    std::thread::scope(|scope| {
        let (parts_tx, parts_rx) = std::sync::mpsc::sync_channel(1);
        let user_json = &user_json;
        scope.spawn(move || {
            for start in (0..count).step_by(BATCH_USERS) {
                let parts = (start..count.min(start + BATCH_USERS))
                    .into_par_iter()
                    .map(user_json)
                    .collect::<Result<Vec<Vec<u8>>, E>>();
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
                out.write_all(&part)?;
            }
        }
        Ok::<(), E>(())
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
    use crate::model::scenario::{ReplaySource, ScenarioFormat, ScenarioText};

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
        let persona = cinema_maestro();
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
        let mut many = demo_users(BATCH_USERS * 2 + 3);
        assert_streamed_json_is_the_replay_json(&persona, &Policy::omni(), &many);
        many.users.clear();
        assert_streamed_json_is_the_replay_json(&persona, &Policy::omni(), &many);
    }

    /// `users` users of the demo scenario (ids made unique) until a fixed instant.
    fn demo_users(users: usize) -> Scenario {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut scenario = Scenario::load(&root.join("assets/scenarios/demo-cinema.json")).unwrap();
        let demo = std::mem::take(&mut scenario.users);
        scenario.users = (0..users)
            .map(|i| {
                let mut user = demo[i % demo.len()].clone();
                user.id = format!("{}-{i}", user.id);
                user
            })
            .collect();
        scenario.until = scenario.horizon();
        scenario
    }

    /// A temporary folder for `test`, left empty.
    fn temp_dir(test: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("relance-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// `text` written as `name` in `dir`.
    fn scenario_file(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn cinema_maestro() -> Persona {
        Persona::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("personas/cinema-maestro.ron"))
            .unwrap()
    }

    /// The JSON of the scenario file at `path` streamed, or its error.
    fn streamed(
        persona: &Persona,
        path: &Path,
    ) -> Result<(Vec<u8>, Vec<Diagnostic>), StreamedReplayError> {
        let file = ScenarioText::read(path).unwrap();
        let ReplaySource::Streamed(scenario) = file.open_for_replay().unwrap() else {
            panic!("{} is not streamed", path.display());
        };
        let mut out = Vec::new();
        let policy = Policy::omni();
        let warnings = write_streamed_replay_json(
            persona,
            &policy,
            &scenario,
            ReplayOptions::default(),
            &mut out,
        )?;
        Ok((out, warnings))
    }

    #[test]
    fn a_large_json_scenario_streamed_gives_the_json_and_warnings_of_its_whole_load() {
        let persona = cinema_maestro();
        let mut scenario = demo_users(800);
        // Two users with events out of order: sorted, with a warning each.
        scenario.users[3].events.swap(0, 1);
        scenario.users[700].events.swap(1, 2);
        let text = scenario.to_string(ScenarioFormat::Json);
        assert!(text.len() > 1 << 20, "{} bytes only", text.len());
        let dir = temp_dir("streamed-json");
        let path = scenario_file(&dir, "large.json", &text);
        let (whole, whole_warnings) = Scenario::load_with_warnings(&path).unwrap();
        assert_eq!(whole_warnings.len(), 2);
        let mut expected = Vec::new();
        write_replay_json(
            &persona,
            &Policy::omni(),
            &whole,
            ReplayOptions::default(),
            &mut expected,
        )
        .unwrap();
        let (out, warnings) = streamed(&persona, &path).unwrap();
        assert!(out == expected, "the streamed JSON differs");
        assert_eq!(warnings, whole_warnings);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_invalid_user_stops_a_streamed_replay_with_the_error_of_the_whole_load() {
        let persona = cinema_maestro();
        let text = demo_users(800).to_string(ScenarioFormat::Json);
        // Each change is made in user 497's part of the file.
        let user_500 = text.find("\"lea-497\"").unwrap();
        let after = |needle: &str| user_500 + text[user_500..].find(needle).unwrap();
        let replace_after = |needle: &str, with: &str| {
            let at = after(needle);
            format!("{}{with}{}", &text[..at], &text[at + needle.len()..])
        };
        let before_user_497 = |insert: &str| {
            let at = text[..user_500].rfind('{').unwrap();
            format!("{}{insert}{}", &text[..at], &text[at..])
        };
        let cases = [
            (
                "syntax.json",
                replace_after("\"from\": \"user\"", "\"from\": \"usr\""),
            ),
            (
                "zone.json",
                replace_after("\"Europe/Paris\"", "\"Europe/Parris\""),
            ),
            ("twice.json", replace_after("\"lea-497\"", "\"noor-2\"")),
            // Every user invalid: the error is still made once, for the whole file.
            (
                "every-zone.json",
                text.replace("\"Europe/Paris\"", "\"Europe/Parris\""),
            ),
            ("empty-id.json", replace_after("\"lea-497\"", "\" \"")),
            // Not JSON whitespace between two users: a no-break space, a form feed.
            ("no-break-space.json", before_user_497("\u{a0}")),
            ("form-feed.json", before_user_497("\u{c}")),
        ];
        let dir = temp_dir("streamed-errors");
        for (name, text) in cases {
            let path = scenario_file(&dir, name, &text);
            let expected = Scenario::load(&path).unwrap_err().to_string();
            match streamed(&persona, &path) {
                Err(StreamedReplayError::Scenario(error)) => {
                    assert_eq!(error.to_string(), expected, "{name}");
                }
                Err(StreamedReplayError::Io(error)) => panic!("{name}: {error}"),
                Ok(_) => panic!("{name} was replayed"),
            }
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_large_json_scenario_that_is_not_utf8_gets_the_error_of_the_whole_load() {
        let mut bytes = demo_users(800).to_string(ScenarioFormat::Json).into_bytes();
        let at = bytes.len() / 2;
        bytes[at] = 0xFF;
        let dir = temp_dir("streamed-not-utf8");
        let path = dir.join("large.json");
        std::fs::write(&path, &bytes).unwrap();
        let expected = Scenario::load(&path).unwrap_err().to_string();
        let file = ScenarioText::read(&path).unwrap();
        let Err(error) = file.open_for_replay() else {
            panic!("a file that is not UTF-8 was opened");
        };
        assert_eq!(error.to_string(), expected);
        assert!(expected.contains("UTF-8"), "{expected}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn only_large_json_files_that_set_until_are_streamed() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let is_streamed = |path: &Path| {
            let file = ScenarioText::read(path).unwrap();
            matches!(file.open_for_replay().unwrap(), ReplaySource::Streamed(_))
        };
        assert!(!is_streamed(
            &root.join("assets/scenarios/demo-cinema.json")
        ));
        let dir = temp_dir("streamed-or-not");
        let mut scenario = demo_users(800);
        assert!(is_streamed(&scenario_file(
            &dir,
            "until.json",
            &scenario.to_string(ScenarioFormat::Json)
        )));
        scenario.until = None;
        let no_until = scenario_file(
            &dir,
            "no-until.json",
            &scenario.to_string(ScenarioFormat::Json),
        );
        // Loaded whole from the cut made to decide: the scenario a plain load gives.
        let file = ScenarioText::read(&no_until).unwrap();
        let ReplaySource::Whole(whole, warnings) = file.open_for_replay().unwrap() else {
            panic!("a file without `until` was streamed");
        };
        assert_eq!(
            (whole, warnings),
            Scenario::load_with_warnings(&no_until).unwrap()
        );
        assert_eq!(
            Scenario::load(&no_until).unwrap(),
            scenario,
            "the round trip of the scenario"
        );
        scenario.until = scenario.horizon();
        assert!(!is_streamed(&scenario_file(
            &dir,
            "large.ron",
            &scenario.to_string(ScenarioFormat::Ron)
        )));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
