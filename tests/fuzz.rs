//! Fuzz-style tests on stable Rust: the shipped personas, scenarios, policies, archetypes, cards
//! and chats, mutated (bytes flipped, cut short, spliced, numbers replaced with extremes), go
//! through the library's loaders, validators and the replay. Nothing may panic, and the work
//! stays bounded: a file that loads gives at most as many decisions as its bounds allow.
//!
//! `cargo test --test fuzz` runs 64 cases per target. A long run:
//! `RELANCE_FUZZ_CASES=100000 cargo test --release --test fuzz` (README, "Limits and ranges").

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;

use proptest::prelude::*;
use relance::interop::chat::{ChatImportOptions, import_chat_str};
use relance::interop::{PersonaFormat, export_persona, import_persona_bytes};
use relance::model::policy::bounds;
use relance::model::scenario::ScenarioFormat;
use relance::model::{Persona, Policy, Scenario};
use relance::replay::{ReplayOptions, replay};
use relance::sim::{Archetype, Mix, NoSink, Population, PopulationConfig, Progress};

/// Cases per target: `RELANCE_FUZZ_CASES`, else 64.
fn cases() -> u32 {
    std::env::var("RELANCE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every file of `dir` whose name ends with one of `exts`, as bytes.
fn files(dir: &str, exts: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(root().join(dir))
        .expect("shipped folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let name = p.to_string_lossy();
            exts.iter().any(|e| name.ends_with(e))
        })
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("readable"))
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seed in {dir}");
    out
}

fn maestro() -> &'static Persona {
    static P: OnceLock<Persona> = OnceLock::new();
    P.get_or_init(|| Persona::load(&root().join("personas/cinema-maestro.ron")).expect("loads"))
}

fn small_scenario() -> &'static Scenario {
    static S: OnceLock<Scenario> = OnceLock::new();
    S.get_or_init(|| Scenario::load(&root().join("assets/scenarios/sent.ron")).expect("loads"))
}

/// Numbers that overflow something: the extremes of every integer and float type, and dates far
/// out of range.
const EXTREMES: [&str; 14] = [
    "0",
    "-1",
    "2147483648",
    "4294967295",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "2562047788015216",
    "1e308",
    "-1e308",
    "1e-320",
    "NaN",
    "inf",
    "+262142",
];

/// One way of spoiling a file.
#[derive(Clone, Debug)]
enum Mutation {
    /// XOR the byte at (index modulo length) with a non-zero mask.
    Flip(usize, u8),
    /// Keep only the first (index modulo length) bytes.
    Truncate(usize),
    /// Insert bytes at (index modulo length).
    Insert(usize, Vec<u8>),
    /// Replace the (n modulo count)-th run of digits with an extreme number.
    Number(usize, usize),
    /// Remove a run of bytes.
    Remove(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, m)| Mutation::Flip(i, m)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 0..EXTREMES.len()).prop_map(|(n, e)| Mutation::Number(n, e)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Remove(i, n)),
    ]
}

fn apply(bytes: &[u8], mutation: &Mutation) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let len = out.len().max(1);
    match mutation {
        Mutation::Flip(i, mask) => {
            if let Some(b) = out.get_mut(i % len) {
                *b ^= mask;
            }
        }
        Mutation::Truncate(i) => out.truncate(i % len),
        Mutation::Insert(i, inserted) => {
            let at = (i % len).min(out.len());
            out.splice(at..at, inserted.iter().copied());
        }
        Mutation::Number(n, e) => {
            let runs: Vec<(usize, usize)> = digit_runs(&out);
            if !runs.is_empty() {
                let (start, end) = runs[n % runs.len()];
                out.splice(start..end, EXTREMES[*e].bytes());
            }
        }
        Mutation::Remove(i, n) => {
            let at = (i % len).min(out.len());
            let end = (at + n).min(out.len());
            out.drain(at..end);
        }
    }
    out
}

fn digit_runs(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    runs
}

/// Runs `work`, failing the case (not the process) on a panic.
fn no_panic(what: &str, work: impl FnOnce()) -> Result<(), TestCaseError> {
    catch_unwind(AssertUnwindSafe(work))
        .map_err(|_| TestCaseError::fail(format!("{what}: panicked")))
}

/// Replays `scenario` under `policy` and checks that the work is bounded: no user gets more
/// decisions than silences times the most nudges a policy allows.
fn bounded_replay(persona: &Persona, policy: &Policy, scenario: &Scenario) {
    let result = replay(persona, policy, scenario, ReplayOptions::default());
    for (user, decisions) in scenario.users.iter().zip(&result.users) {
        let most = (user.events.len() + 1) * (*bounds::MAX_NUDGES_PER_SILENCE.end() as usize);
        assert!(decisions.decisions.len() <= most);
        for d in &decisions.decisions {
            // A nudge is never dated before the message that opened its silence.
            assert!(d.at >= d.silence_start);
        }
    }
}

fn seeds_personas() -> Vec<(String, Vec<u8>)> {
    files("personas", &[".ron"])
}

fn seeds_scenarios() -> Vec<(String, Vec<u8>)> {
    files("assets/scenarios", &[".ron"])
}

fn seeds_policies() -> Vec<(String, Vec<u8>)> {
    relance::model::policy::PRESET_NAMES
        .iter()
        .map(|name| {
            let policy = Policy::preset(name).expect("preset");
            let text = ron::ser::to_string_pretty(&policy, Default::default()).expect("ron");
            (format!("{name}.ron"), text.into_bytes())
        })
        .collect()
}

fn seeds_archetypes() -> Vec<(String, Vec<u8>)> {
    files("assets/archetypes", &[".ron"])
        .into_iter()
        .filter(|(name, _)| name != "default-mix.ron" && name != "phrasebook.ron")
        .collect()
}

/// The card seeds, made once: exporting the PNG card compresses a whole image.
fn seeds_cards() -> Vec<(String, Vec<u8>)> {
    static CARDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    CARDS
        .get_or_init(|| {
            let mut out = files("tests/data/cards", &[".json"]);
            let png = export_persona(maestro(), PersonaFormat::CardPng, None).expect("exports");
            out.push(("maestro.png".to_owned(), png));
            out
        })
        .clone()
}

fn seeds_chats() -> Vec<(String, Vec<u8>)> {
    files("tests/data/chats", &[".txt", ".jsonl"])
}

fn pick(seeds: &[(String, Vec<u8>)], index: usize) -> &(String, Vec<u8>) {
    &seeds[index % seeds.len()]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mutated_personas_never_panic(index in any::<usize>(), m in mutation()) {
        let seeds = seeds_personas();
        let (name, bytes) = pick(&seeds, index);
        let mutated = apply(bytes, &m);
        no_panic(name, || {
            let text = String::from_utf8_lossy(&mutated);
            if let Ok(persona) = Persona::from_ron_str(&text, Path::new(name))
                && let Some(policy) = persona.policy.resolve()
            {
                bounded_replay(&persona, &policy, small_scenario());
            }
        })?;
    }

    #[test]
    fn mutated_scenarios_never_panic(index in any::<usize>(), m in mutation(), json in any::<bool>()) {
        let seeds = seeds_scenarios();
        let (name, bytes) = pick(&seeds, index);
        // The same scenario as JSON, too: its own parser and fast paths.
        let bytes = if json {
            let (s, _) = Scenario::from_str(
                std::str::from_utf8(bytes).expect("utf-8"),
                ScenarioFormat::Ron,
                Path::new(name),
            )
            .expect("a shipped scenario loads");
            s.to_string(ScenarioFormat::Json).into_bytes()
        } else {
            bytes.clone()
        };
        let format = if json { ScenarioFormat::Json } else { ScenarioFormat::Ron };
        let mutated = apply(&bytes, &m);
        no_panic(name, || {
            let text = String::from_utf8_lossy(&mutated);
            if let Ok((scenario, _)) = Scenario::from_str(&text, format, Path::new(name)) {
                let policy = maestro().policy.resolve().expect("preset");
                bounded_replay(maestro(), &policy, &scenario);
                let _ = scenario.horizon();
                let _ = scenario.span();
            }
        })?;
    }

    #[test]
    fn mutated_policies_never_panic(index in any::<usize>(), m in mutation()) {
        let seeds = seeds_policies();
        let (name, bytes) = pick(&seeds, index);
        let mutated = apply(bytes, &m);
        no_panic(name, || {
            let text = String::from_utf8_lossy(&mutated);
            if let Ok(policy) = ron::from_str::<Policy>(&text)
                && policy.validate("").is_empty()
            {
                let _ = policy.sentences();
                bounded_replay(maestro(), &policy, small_scenario());
            }
        })?;
    }

    #[test]
    fn mutated_archetypes_never_panic(index in any::<usize>(), m in mutation()) {
        let seeds = seeds_archetypes();
        let (name, bytes) = pick(&seeds, index);
        let mutated = apply(bytes, &m);
        no_panic(name, || {
            let text = String::from_utf8_lossy(&mutated);
            if let Ok(archetype) = Archetype::from_ron_str(&text, Path::new(name)) {
                let mut config = PopulationConfig::new(
                    maestro().clone(),
                    maestro().policy.resolve().expect("preset"),
                )
                .expect("config");
                config.mix = Mix::single(archetype).expect("mix");
                config.users = 2;
                config.days = 3;
                let population = Population::new(config).expect("a valid archetype runs");
                let report = population
                    .run(&Progress::default(), &AtomicBool::new(false), &NoSink)
                    .expect("runs");
                let _ = report;
            }
        })?;
    }

    #[test]
    fn mutated_cards_never_panic(index in any::<usize>(), m in mutation()) {
        let seeds = seeds_cards();
        let (name, bytes) = pick(&seeds, index);
        let mutated = apply(bytes, &m);
        no_panic(name, || {
            if let Ok(imported) = import_persona_bytes(&mutated, Path::new(name)) {
                let _ = imported.persona.to_ron();
            }
        })?;
    }

    #[test]
    fn mutated_chats_never_panic(index in any::<usize>(), m in mutation()) {
        let seeds = seeds_chats();
        let (name, bytes) = pick(&seeds, index);
        let mutated = apply(bytes, &m);
        let (user, bot) = if name.contains("colon") || name.contains("media")
            || name.contains("-de") || name.contains("-es") || name.contains("unreadable")
        {
            ("Anna", "Ben")
        } else {
            ("Léa", "Maestro")
        };
        no_panic(name, || {
            let text = String::from_utf8_lossy(&mutated);
            let mut options = ChatImportOptions::new(Some(user), Some(bot), chrono_tz::Europe::Paris);
            options.skip_malformed = true;
            if let Ok(imported) = import_chat_str(&text, Path::new(name), &options) {
                let policy = maestro().policy.resolve().expect("preset");
                bounded_replay(maestro(), &policy, &imported.scenario);
            }
        })?;
    }
}

/// Each value the issue found unbounded is refused at load time with its place.
#[test]
fn the_values_found_unbounded_are_refused() {
    let omni = ron::ser::to_string_pretty(&Policy::omni(), Default::default()).expect("ron");
    for (field, value) in [
        (
            "max_nudges_per_silence: 1",
            "max_nudges_per_silence: 9223372036854775807",
        ),
        ("delay_hours: 24", "delay_hours: 2562047788015216"),
        ("delay_hours: 24", "delay_hours: 9223372036854775807"),
        (
            "repeat_every_hours: 72",
            "repeat_every_hours: 9223372036854775807",
        ),
        ("days: 14,", "days: 9223372036854775807,"),
        (
            "sensitive_cooldown_days: 30",
            "sensitive_cooldown_days: 9223372036854775807",
        ),
    ] {
        assert!(omni.contains(field), "{field}");
        let text = omni.replacen(field, value, 1);
        let policy: Policy = ron::from_str(&text).expect("parses");
        let problems = policy.validate("");
        assert!(!problems.is_empty(), "{value} is accepted");
        assert!(
            problems
                .iter()
                .any(|d| d.message.contains("must be between")),
            "{value}: {problems:?}"
        );
    }
    let visitor = std::fs::read_to_string(root().join("assets/archetypes/one-off-visitor.ron"))
        .expect("readable");
    for (field, value) in [
        ("sessions_per_day: 1.0", "sessions_per_day: 2147483648"),
        ("sessions_per_day: 1.0", "sessions_per_day: 1e308"),
        ("(min: 1, max: 5)", "(min: 1, max: 4294967295)"),
        ("weekdays: [1.0,", "weekdays: [1e308,"),
    ] {
        assert!(visitor.contains(field), "{field}");
        let text = visitor.replacen(field, value, 1);
        let err = Archetype::from_ron_str(&text, Path::new("a.ron")).expect_err(value);
        let message = err.to_string();
        assert!(message.contains("a.ron:"), "{message}");
        assert!(
            !message.contains("00000000000000000000"),
            "huge floats print shortly: {message}"
        );
    }
}
