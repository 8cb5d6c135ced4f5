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
    use crate::model::Diagnostic;
    use crate::model::scenario::{ReplaySource, ScenarioFormat, ScenarioText};
    use crate::replay::{BATCH_USERS, ReplayOptions, Replayer, StreamedError, replay};

    /// The JSON of `simulate --json` written as `scenario` is replayed.
    fn write_replay_json(
        persona: &Persona,
        policy: &Policy,
        scenario: &Scenario,
        options: ReplayOptions,
        out: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        let replayer = Replayer::new(persona, policy, scenario, options);
        let mut json = JsonWriter::start(&policy.name, out)?;
        replayer.run(&scenario.users, &mut json)?;
        json.finish()
    }

    #[test]
    fn the_text_written_as_the_replay_goes_is_the_text_of_the_replay() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let persona = cinema_maestro();
        let scenario = Scenario::load(&root.join("assets/scenarios/demo-cinema.json")).unwrap();
        let policy = persona.policy.resolve().unwrap();
        let options = ReplayOptions::default();
        let mut text = TextReport::default();
        Replayer::new(&persona, &policy, &scenario, options)
            .run(&scenario.users, &mut text)
            .unwrap();
        let result = replay(&persona, &policy, &scenario, options);
        let expected = simulation_text(&persona, &scenario, &result);
        assert!(expected.contains("SENT") && expected.contains("held"));
        assert_eq!(text.finish(&persona, &scenario, &policy), expected);
    }

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
    ) -> Result<(Vec<u8>, Vec<Diagnostic>), StreamedError<std::io::Error>> {
        let file = ScenarioText::read(path).unwrap();
        let ReplaySource::Streamed(scenario) = file.open_for_replay().unwrap() else {
            panic!("{} is not streamed", path.display());
        };
        let mut out = Vec::new();
        let policy = Policy::omni();
        let replayer = Replayer::new(persona, &policy, scenario.head(), ReplayOptions::default());
        let mut json = JsonWriter::start(&policy.name, &mut out).map_err(StreamedError::Sink)?;
        let warnings = replayer.run_streamed(&scenario, &mut json)?;
        json.finish().map_err(StreamedError::Sink)?;
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
                Err(StreamedError::Scenario(error)) => {
                    assert_eq!(error.to_string(), expected, "{name}");
                }
                Err(StreamedError::Sink(error)) => panic!("{name}: {error}"),
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
