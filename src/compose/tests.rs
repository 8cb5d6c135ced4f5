//! Unit tests of the composer's choices: ranking and rotation of templates, what a template
//! echoes, and the trace sentences. End-to-end tests live in `tests/compose.rs`.

use std::collections::BTreeSet;

use std::cell::Cell;

use super::composer::{Fit, Skipped, order};
use super::slots::SlotValues;
use super::template::Template;
use super::*;
use crate::model::{Policy, Scenario};
use crate::replay::{ReplayOptions, replay};
use crate::safety::SafetyChecker;

fn fit(id: &str, rank: (usize, usize)) -> Fit<'_> {
    Fit {
        id,
        template: Template::parse(id),
        filled: None,
        echoed: Vec::new(),
        rank,
    }
}

fn ids(fits: Vec<Fit<'_>>) -> Vec<&str> {
    fits.into_iter().map(|f| f.id).collect()
}

#[test]
fn templates_echoing_more_come_first_and_rotate_within_a_rank() {
    let make = || {
        vec![
            fit("generic", (0, 0)),
            fit("topic-a", (0, 1)),
            fit("pair", (2, 0)),
            fit("topic-b", (0, 1)),
            fit("mention", (1, 0)),
            fit("topic-c", (0, 1)),
        ]
    };
    let mut topic_orders = BTreeSet::new();
    for hash in 0..64 {
        let order = ids(order(make(), hash));
        assert_eq!(order[..2], ["pair", "mention"]);
        assert_eq!(order[5], "generic");
        let mut topics = order[2..5].to_vec();
        topic_orders.insert(topics.clone());
        topics.sort_unstable();
        assert_eq!(topics, ["topic-a", "topic-b", "topic-c"]);
    }
    // A rotation of three: three different orders, each starting with a different template.
    assert_eq!(topic_orders.len(), 3);
}

fn maestro() -> Persona {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/personas/cinema-maestro.ron");
    Persona::load(path.as_ref()).expect("the shipped persona loads")
}

fn lea() -> Scenario {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/scenarios/sent.ron");
    Scenario::load(path.as_ref()).expect("the shipped scenario loads")
}

#[test]
fn a_template_ranks_by_the_named_things_it_echoes() {
    let persona = maestro();
    let scenario = lea();
    let user = &scenario.users[0];
    let memory = remember(
        &persona,
        SafetyChecker::builtin(),
        user,
        user.events[10].at,
        Lang::Fr,
        &[],
    );
    let voice = Voice::default();
    let values = SlotValues {
        persona: &persona,
        user,
        memory: &memory,
        voice: &voice,
        lang: Lang::Fr,
        lapse_days: 1,
        emoji_used: Cell::new(0),
        default_greeting: false,
        quiet: false,
    };
    let rank = |text: &str| values.echoes(&Template::parse(text)).1;
    assert_eq!(rank("{mention} et {mention2}"), (2, 0));
    assert_eq!(rank("{mention} puis {topic}"), (1, 0));
    assert_eq!(
        rank("de {topic:nouveaux/nouvelles} {topic} ou {topic2}"),
        (0, 2)
    );
    assert_eq!(rank("{greeting} {signoff}"), (0, 0));
    let (echoed, _) = values.echoes(&Template::parse("{topic} et {mention}"));
    let labels: Vec<&str> = echoed.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(
        labels,
        ["Interstellar", "musiques de film"],
        "named things first"
    );
}

#[test]
fn the_trace_groups_echoes_by_source_message() {
    let scenario = lea();
    let result = replay(
        &maestro(),
        &Policy::omni(),
        &scenario,
        ReplayOptions::default(),
    );
    let m = result.users[0].decisions[0].message.as_ref().expect("sent");
    let sentence = echo_sentence(&m.echoed, &scenario.users[0]);
    assert_eq!(
        sentence,
        "echoing mention \"Interstellar\" and mention \"Hans Zimmer\" (from the message of 7 Jan 09:15: \"Noté ! Et j'ai revu Interstellar hier soir avec Hans Zimmer…\")"
    );
    assert_eq!(
        echo_sentence(&[], &scenario.users[0]),
        "echoing nothing in particular"
    );
}

#[test]
fn skipped_templates_are_grouped_by_reason() {
    let mut s = Skipped::default();
    assert!(s.is_empty());
    s.add("a", "no topic".into());
    s.add("b", "the previous nudge used it".into());
    s.add("c", "no topic".into());
    assert_eq!(
        s.sentence(),
        "`a`, `c` (no topic), `b` (the previous nudge used it)"
    );
}

#[test]
fn choices_depend_on_the_seed() {
    let scenario = lea();
    let persona = maestro();
    let result = replay(
        &persona,
        &Policy::omni(),
        &scenario,
        ReplayOptions::default(),
    );
    let d = &result.users[0].decisions[0];
    let user = &scenario.users[0];
    let hashes: BTreeSet<u64> = (0..16)
        .map(|seed| choice_hash(&persona, user, &d.nudge(), seed))
        .collect();
    assert_eq!(hashes.len(), 16);
    assert_eq!(
        choice_hash(&persona, user, &d.nudge(), 5),
        choice_hash(&persona, user, &d.nudge(), 5)
    );
}

#[test]
fn what_was_read_of_a_user_serves_every_later_nudge_unchanged() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let persona = Persona::load(&root.join("personas/cinema-maestro.ron")).unwrap();
    let scenario = Scenario::load(&root.join("assets/scenarios/demo-cinema.json")).unwrap();
    let checker = crate::engine::checker_for(&persona);
    let mut compared = 0;
    for user in &scenario.users {
        let lang = persona.language_for(&user.locale);
        let recognizer = Recognizer::new(&persona, lang);
        let instants: Vec<_> = user
            .events
            .iter()
            .map(|e| e.at + chrono::Duration::seconds(1))
            .collect();
        // Read forwards, as a replay does, and backwards: each answer equals a fresh reading.
        for order in [instants.clone(), instants.iter().rev().copied().collect()] {
            let mut reading = UserReading::default();
            for &before in &order {
                let fresh = remember(&persona, &checker, user, before, lang, &[]);
                let shared =
                    memory::remember_with(&recognizer, &checker, user, before, &[], &mut reading);
                assert_eq!(shared, fresh, "{} before {before}", user.id);
                compared += usize::from(!fresh.items.is_empty() || !fresh.skipped.is_empty());
            }
        }
    }
    assert!(
        compared > 10,
        "the scenario gives memories to compare ({compared})"
    );
}

#[test]
fn a_language_the_persona_lacks_is_named_in_the_trace() {
    let persona = maestro();
    let mut scenario = lea();
    let policy = persona.policy.resolve().expect("preset");
    let trace_of = |scenario: &Scenario| {
        let result = replay(&persona, &policy, scenario, ReplayOptions::default());
        let d = result.users[0]
            .decisions
            .iter()
            .find(|d| d.message.is_some())
            .expect("a sent nudge")
            .clone();
        (d.message.expect("sent").lang, d.compose_trace)
    };
    // A French user: no language step.
    let (lang, trace) = trace_of(&scenario);
    assert_eq!(lang, Lang::Fr);
    assert!(trace.iter().all(|s| s.rule != "language"));
    // A German user: written in French, and the trace says so and why.
    scenario.users[0].locale = "de".to_owned();
    let (lang, trace) = trace_of(&scenario);
    assert_eq!(lang, Lang::Fr);
    let step = trace
        .iter()
        .find(|s| s.rule == "language")
        .expect("a language step");
    assert!(
        step.detail.contains("`de`") && step.detail.contains("written in français (fr)"),
        "{}",
        step.detail
    );
}
