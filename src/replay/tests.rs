//! Tests of the replay: sinks take every user in order and stop at their first error, replays
//! inside a parallel job finish, the composer writes what the engine sends; and the command
//! line's sinks write the JSON and text of the replay collected, for scenarios loaded whole or
//! read user by user.

use std::path::Path;

use super::*;
use crate::model::scenario::{ReplaySource, ScenarioFormat, ScenarioText};
use crate::report::simulation::{JsonWriter, TextReport, simulation_json_text, simulation_text};

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
    let (whole, whole_warnings) = ScenarioText::read(&path).unwrap().load().unwrap();
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
        // A file that is not JSON as a whole (the no-break space, the form feed) is refused
        // when opened, before any user is replayed, with the same error.
        if let Err(error) = ScenarioText::read(&path).unwrap().open_for_replay() {
            assert_eq!(error.to_string(), expected, "{name}");
            continue;
        }
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
        ScenarioText::read(&no_until).unwrap().load().unwrap()
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

/// Records the order users reach it in, and stops at a given user.
struct Recorder {
    taken: Vec<usize>,
    stop_at: Option<usize>,
}

impl DecisionSink for Recorder {
    type Part = (usize, usize);
    type Error = usize;

    fn part(replayed: UserReplay<'_>) -> Result<(usize, usize), usize> {
        Ok((replayed.index, replayed.decisions.len()))
    }

    fn take(&mut self, (index, _): (usize, usize)) -> Result<(), usize> {
        if self.stop_at == Some(index) {
            return Err(index);
        }
        self.taken.push(index);
        Ok(())
    }
}

#[test]
fn a_sink_takes_every_user_in_scenario_order_and_its_error_stops_the_replay() {
    let persona = cinema_maestro();
    let policy = Policy::omni();
    let scenario = demo_users(BATCH_USERS * 2 + 3);
    let replayer = Replayer::new(&persona, &policy, &scenario, ReplayOptions::default());
    let mut all = Recorder {
        taken: Vec::new(),
        stop_at: None,
    };
    replayer.run(&scenario.users, &mut all).expect("no error");
    assert_eq!(all.taken, (0..scenario.users.len()).collect::<Vec<_>>());
    let mut stopped = Recorder {
        taken: Vec::new(),
        stop_at: Some(BATCH_USERS + 7),
    };
    assert_eq!(
        replayer.run(&scenario.users, &mut stopped),
        Err(BATCH_USERS + 7)
    );
    assert_eq!(stopped.taken, (0..BATCH_USERS + 7).collect::<Vec<_>>());
}

#[test]
fn replays_inside_a_parallel_job_finish_with_the_same_decisions() {
    let persona = cinema_maestro();
    let scenario = demo_users(BATCH_USERS + 5);
    let omni = Policy::omni();
    let pushy = Policy::preset("pushy").expect("a preset");
    let options = ReplayOptions::default();
    // Two replays on rayon's threads at once (as `relance diff` runs them): neither blocks
    // the pool waiting for the other.
    let (a, b) = rayon::join(
        || replay(&persona, &omni, &scenario, options),
        || replay(&persona, &pushy, &scenario, options),
    );
    assert_eq!(a, replay(&persona, &omni, &scenario, options));
    assert_eq!(b, replay(&persona, &pushy, &scenario, options));
    assert!(a.totals().0 > 0 && a != b);
}

#[test]
fn the_composer_writes_sent_decisions_and_the_engine_alone_does_not() {
    let persona = cinema_maestro();
    let scenario = demo_users(8);
    let policy = Policy::omni();
    let composed = replay(&persona, &policy, &scenario, ReplayOptions::default());
    let decided = replay(
        &persona,
        &policy,
        &scenario,
        ReplayOptions {
            compose: false,
            ..ReplayOptions::default()
        },
    );
    let pairs: Vec<(&Decision, &Decision)> = composed
        .users
        .iter()
        .flat_map(|u| &u.decisions)
        .zip(decided.users.iter().flat_map(|u| &u.decisions))
        .collect();
    assert!(pairs.iter().any(|(c, _)| c.text().is_some()));
    for (c, d) in pairs {
        assert_eq!((c.at, c.silence_start), (d.at, d.silence_start));
        assert!(d.message.is_none() && d.compose_trace.is_empty());
        // Sent by the engine: composed, or held back by the composer with its reason.
        assert_eq!(c.message.is_some(), c.outcome == Outcome::Sent);
        if d.outcome == Outcome::Sent {
            assert!(!c.compose_trace.is_empty());
        } else {
            assert_eq!((c.outcome, c.reason), (d.outcome, d.reason));
        }
    }
}
