//! Population simulation: determinism, metrics that add up, safety invariants checked on every
//! simulated user, agreement with the per-user engine, and the `relance population` command.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use relance::engine::Reason;
use relance::model::scenario::ScenarioFormat;
use relance::model::{Persona, Policy, Scenario};
use relance::replay::{ReplayOptions, replay};
use relance::sim::report::{comparison_json, population_json};
use relance::sim::{
    MessageKind, Metrics, NoSink, Population, PopulationConfig, PopulationReport, Progress,
    Reaction, SimError, Sink, UserRun,
};

mod run;

fn persona() -> Persona {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("personas/cinema-maestro.ron");
    Persona::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn config(policy: Policy, users: u64, days: u32, seed: u64) -> PopulationConfig {
    let mut c = PopulationConfig::new(persona(), policy).unwrap_or_else(|e| panic!("{e}"));
    c.users = users;
    c.days = days;
    c.seed = seed;
    c
}

fn run(config: &PopulationConfig) -> PopulationReport {
    Population::new(config.clone())
        .and_then(|p| p.run(&Progress::default(), &AtomicBool::new(false), &NoSink))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn run_on_threads(config: &PopulationConfig, threads: usize) -> PopulationReport {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(|| run(config))
}

/// The phrases the simulation writes, verified against the shipped check (lexicons and crisis
/// classifier) once per run.
mod phrases {
    use super::*;
    use relance::model::Lang;
    use relance::safety::Category;

    /// The phrase book's English violence phrases of `c`'s mix.
    fn en_violence(c: &mut PopulationConfig) -> &mut Vec<String> {
        c.mix
            .phrasebook
            .flagged
            .entry(Category::Violence)
            .or_default()
            .entry(Lang::En)
            .or_default()
    }

    /// Gives the first archetype of `c`'s mix one more phrase in `lang`.
    fn add_archetype_phrase(c: &mut PopulationConfig, lang: Lang, phrase: &str) {
        c.mix.archetypes[0]
            .0
            .phrases
            .entry(lang)
            .or_default()
            .push(phrase.to_owned());
    }

    fn shipped_persona(name: &str) -> Persona {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("personas/{name}.ron"));
        Persona::load(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_shipped_mix_and_phrase_book_pass_the_shipped_check_whole() {
        for name in ["cinema-maestro", "chef", "minimal"] {
            let pop = Population::new(
                PopulationConfig::new(shipped_persona(name), Policy::omni())
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .expect("valid");
            if name == "minimal" {
                // No lexicon and no topic: the phrases naming them are left out, and only they.
                let warnings = pop.warnings();
                assert_eq!(warnings.len(), 2, "{warnings:?}");
                assert!(warnings[0].starts_with("the persona's lexicon is empty: "));
                assert!(warnings[1].starts_with("the persona has no topic keyword: "));
            } else {
                assert_eq!(pop.warnings(), &[] as &[String], "{name}");
            }
        }
    }

    #[test]
    fn archetype_phrases_whose_placeholder_cannot_be_filled_are_left_out_and_named() {
        let mut c = config(Policy::omni(), 50, 10, 1);
        c.persona.lexicon.clear();
        let pop = Population::new(c.clone()).expect("valid");
        let warnings = pop.warnings().join("\n");
        // One warning for the cause, naming the archetypes, not one per archetype.
        assert_eq!(pop.warnings().len(), 1, "{warnings}");
        let mention = &pop.warnings()[0];
        assert!(
            mention.starts_with("the persona's lexicon is empty: ")
                && mention.contains("archetype phrases that name {mention}")
                && mention.contains("engaged-fan, ")
                && mention.ends_with(")"),
            "{mention}"
        );
        assert!(!warnings.contains("{topic}"), "{warnings}");

        c.persona.topics.clear();
        let pop = Population::new(c).expect("valid");
        let warnings = pop.warnings().join("\n");
        assert_eq!(pop.warnings().len(), 2, "{warnings}");
        assert!(
            warnings.contains("the persona has no topic keyword: ")
                && warnings.contains("one-off-visitor"),
            "{warnings}"
        );
        // Users of those archetypes still write: their other phrases, else the plain ones.
        let scenario = pop.user_scenario(0).expect("scenario");
        for event in &scenario.users[0].events {
            assert!(!event.text.contains('{'), "{}", event.text);
        }
    }

    #[test]
    fn an_archetype_phrase_unusable_whatever_it_names_is_left_out_and_named() {
        let mut c = config(Policy::omni(), 10, 10, 1);
        add_archetype_phrase(&mut c, Lang::En, "I want to kill myself like in {mention}.");
        let pop = Population::new(c).expect("valid");
        let warnings = pop.warnings().join("\n");
        assert_eq!(
            pop.warnings(),
            [
                "archetype engaged-fan: the phrase \"I want to kill myself like in {mention}.\" is flagged, states an age, opts out or could be read as a crisis by the classifier, whatever it names; left out"
            ],
            "{warnings}"
        );
    }

    #[test]
    fn a_category_whose_phrases_all_read_as_a_crisis_is_explained_truly() {
        let mut c = config(Policy::omni(), 10, 10, 1);
        *en_violence(&mut c) = vec!["I want to stab him.".to_owned()];
        let pop = Population::new(c).expect("valid");
        let warnings = pop.warnings().join("\n");
        assert!(
            !warnings.contains("no en phrase of the phrase book is flagged as violence"),
            "{warnings}"
        );
        assert!(
            warnings.contains("\"I want to stab him.\" could be read as a crisis by the classifier, not as violence; left out")
                && warnings.contains("no other en phrase of the phrase book is flagged as violence by the safety check, so en-speaking users write no such message"),
            "{warnings}"
        );
        assert_eq!(pop.warnings().len(), 2, "{warnings}");
    }

    #[test]
    fn a_crisis_threshold_at_the_prior_is_refused_and_the_run_uses_the_floor() {
        // At 0.001 every message would be a crisis and no ordinary phrase could be written;
        // the persona's check refuses such a threshold and uses the shipped one.
        let mut c = config(Policy::omni(), 10, 10, 1);
        c.persona.safety.crisis_threshold = Some(0.001);
        assert!(!c.persona.safety.problems().is_empty());
        let pop = Population::new(c).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pop.warnings(), &[] as &[String]);
    }

    #[test]
    fn phrases_the_classifier_could_read_as_a_crisis_are_named() {
        let mut c = config(Policy::omni(), 10, 10, 1);
        en_violence(&mut c).push("I want to stab him.".to_owned());
        add_archetype_phrase(&mut c, Lang::Fr, "La nuit tout est plus calme.");
        let pop = Population::new(c).expect("valid");
        let warnings = pop.warnings().join("\n");
        assert!(
            warnings.contains("\"I want to stab him.\" could be read as a crisis by the classifier, not as violence"),
            "{warnings}"
        );
        assert!(
            warnings.contains(
                "archetype engaged-fan: the phrase \"La nuit tout est plus calme.\" is flagged"
            ),
            "{warnings}"
        );
        assert_eq!(pop.warnings().len(), 2, "{warnings}");
    }
}

/// Same seed, same JSON, whatever the number of threads; another seed, other numbers.
mod determinism {
    use super::*;

    #[test]
    fn same_seed_same_json_across_thread_counts() {
        let c = config(Policy::omni(), 5_000, 60, 7);
        let one = serde_json::to_string(&population_json(&run_on_threads(&c, 1))).expect("json");
        for threads in [2, 3] {
            let other = serde_json::to_string(&population_json(&run_on_threads(&c, threads)))
                .expect("json");
            assert_eq!(one, other, "{threads} threads");
        }
        let reseeded = run(&config(Policy::omni(), 5_000, 60, 8));
        assert_ne!(
            one,
            serde_json::to_string(&population_json(&reseeded)).expect("json")
        );
    }

    #[test]
    fn a_user_does_not_depend_on_the_population_size() {
        // User #N's streams depend on (seed, N) only.
        let small = Population::new(config(Policy::omni(), 50, 60, 3)).expect("valid");
        let large = Population::new(config(Policy::omni(), 50_000, 60, 3)).expect("valid");
        for index in [0, 17, 49] {
            assert_eq!(
                small.user_run(index).expect("user"),
                large.user_run(index).expect("user")
            );
        }
    }
}

/// Every count adds up: decisions, days, hours, archetypes, distributions.
mod metrics_add_up {
    use super::*;

    fn check(m: &Metrics, days: u32) {
        assert_eq!(m.sent + m.held_back_total(), m.decisions);
        assert_eq!(m.held(Reason::Sent), 0);
        assert_eq!(m.per_day.len(), days as usize);
        assert_eq!(m.per_day.iter().sum::<u64>(), m.sent);
        assert_eq!(m.held_per_day.iter().sum::<u64>(), m.held_back_total());
        assert_eq!(m.by_local_hour.iter().sum::<u64>(), m.sent);
        assert_eq!(m.nudges_per_user.iter().sum::<u64>(), m.users);
        assert_eq!(m.users - m.nudges_per_user[0], m.nudged_users);
        assert_eq!(m.answer_delays.iter().sum::<u64>(), m.answered);
        assert!(m.answered + m.opted_out_after_nudge <= m.sent);
        assert!(m.returned_within_48h <= m.nudged_users);
        assert!(m.nudges_followed_within_48h <= m.sent);
        assert!(m.minors_protected <= m.minors && m.minors_nudged <= m.minors);
        assert!(m.distress_protected <= m.distressed && m.distressed <= m.flagged_users);
        assert!(m.flagged_protected <= m.flagged_users);
        assert!(m.opted_out_protected <= m.opted_out_users);
        assert!(m.crisis_holds <= m.held_back_total());
    }

    #[test]
    fn totals_and_archetypes_add_up_under_every_preset() {
        for name in ["omni", "omni-conversation-start", "omni-two-weeks", "pushy"] {
            let policy = Policy::preset(name).expect("preset");
            let report = run(&config(policy, 3_000, 45, 11));
            let total = report.total();
            check(&total, 45);
            assert_eq!(total.users, 3_000);
            assert!(total.decisions > 0 && total.sent > 0, "{name}");
            let mut sum = Metrics::new(45);
            for m in &report.per_archetype {
                check(m, 45);
                sum.merge(m);
            }
            assert_eq!(sum, total, "{name}");
            // The JSON carries the same numbers.
            let json = serde_json::to_value(population_json(&report)).expect("json");
            assert_eq!(json["sent"], total.sent);
            let held: u64 = json["held_back"]
                .as_object()
                .expect("object")
                .values()
                .map(|v| v.as_u64().expect("count"))
                .sum();
            assert_eq!(
                held + total.sent,
                json["decisions"].as_u64().expect("count")
            );
            let per_archetype: u64 = json["per_archetype"]
                .as_object()
                .expect("object")
                .values()
                .map(|a| a["sent"].as_u64().expect("count"))
                .sum();
            assert_eq!(per_archetype, total.sent);
        }
    }

    #[test]
    fn counting_agrees_with_the_users_run_one_by_one() {
        let c = config(Policy::omni(), 400, 60, 5);
        let report = run(&c);
        let pop = Population::new(c).expect("valid");
        let (mut sent, mut decisions, mut messages, mut answered) = (0, 0, 0, 0);
        for index in 0..400 {
            let user = pop.user_run(index).expect("user");
            decisions += user.decisions.len() as u64;
            sent += sent_times(&user).len() as u64;
            messages += user.messages.len() as u64;
            answered += user
                .reactions
                .iter()
                .filter(|(_, r)| matches!(r, Reaction::Answered { .. }))
                .count() as u64;
        }
        let total = report.total();
        assert_eq!(
            (
                total.sent,
                total.decisions,
                total.user_messages,
                total.answered
            ),
            (sent, decisions, messages, answered)
        );
    }
}

fn sent_times(user: &UserRun) -> Vec<i64> {
    user.decisions
        .iter()
        .filter(|d| d.evaluation.reason == Reason::Sent)
        .map(|d| d.candidate.at_secs)
        .collect()
}

/// The safety lines, checked on the simulated users' own messages (not on the engine's view).
mod safety_invariants {
    use super::*;

    fn check_users(policy: Policy, users: u64) -> (u64, u64, u64) {
        let cooldown_secs = policy.sensitive_cooldown_days * 86_400;
        let minor_age = policy.minor_age;
        let pop = Population::new(config(policy, users, 60, 21)).expect("valid");
        let (mut known_minors, mut opted_out, mut flagged) = (0, 0, 0);
        for index in 0..users {
            let user = pop.user_run(index).expect("user");
            let profile_minor = user
                .plan
                .profile_age
                .is_some_and(|a| i64::from(a) < minor_age);
            let stated_minor_at = user.messages.iter().find_map(|m| match m.kind {
                MessageKind::StatesAge(a) if i64::from(a) < minor_age => Some(m.at_secs),
                _ => None,
            });
            let opt_out_at = user
                .messages
                .iter()
                .find(|m| m.kind == MessageKind::OptOut)
                .map(|m| m.at_secs);
            let flagged_at: Vec<i64> = user
                .messages
                .iter()
                .filter(|m| matches!(m.kind, MessageKind::Flagged(_)))
                .map(|m| m.at_secs)
                .collect();
            known_minors += u64::from(profile_minor || stated_minor_at.is_some());
            opted_out += u64::from(opt_out_at.is_some());
            flagged += u64::from(!flagged_at.is_empty());
            for t in sent_times(&user) {
                assert!(
                    !profile_minor,
                    "user #{index}: nudged at {t}, profile minor"
                );
                assert!(
                    stated_minor_at.is_none_or(|s| s > t),
                    "user #{index}: nudged at {t}, stated a minor age at {stated_minor_at:?}"
                );
                assert!(
                    opt_out_at.is_none_or(|o| o > t),
                    "user #{index}: nudged at {t} after opting out at {opt_out_at:?}"
                );
                assert!(
                    !flagged_at.iter().any(|&f| f <= t && t - f <= cooldown_secs),
                    "user #{index}: nudged at {t} within the cooldown of a flagged message"
                );
            }
        }
        (known_minors, opted_out, flagged)
    }

    #[test]
    fn no_nudge_to_a_known_minor_an_opted_out_user_or_within_the_cooldown() {
        for name in ["omni", "pushy", "omni-conversation-start"] {
            let (minors, opted_out, flagged) =
                check_users(Policy::preset(name).expect("preset"), 6_000);
            // The population holds each case, so the checks above had something to check.
            assert!(
                minors > 50 && opted_out > 50 && flagged > 50,
                "{name}: {minors} {opted_out} {flagged}"
            );
        }
    }
}

/// A small population checked against the per-user engine: each user, opened as a scenario
/// with texts, replays to exactly the decisions of the population run.
mod against_the_engine {
    use super::*;

    fn compare(policy: Policy, users: u64) {
        compare_with(persona(), policy, users);
    }

    /// [`compare`] for `persona` (its safety additions, its classifier setting).
    fn compare_with(persona: Persona, policy: Policy, users: u64) {
        let mut c = PopulationConfig::new(persona.clone(), policy.clone())
            .unwrap_or_else(|e| panic!("{e}"));
        (c.users, c.days, c.seed) = (users, 45, 13);
        let pop = Population::new(c).expect("valid");
        let mut decisions = 0;
        for index in 0..users {
            let user = pop.user_run(index).expect("user");
            let scenario = pop.user_scenario(index).expect("scenario");
            let result = replay(
                &persona,
                &policy,
                &scenario,
                ReplayOptions {
                    compose: false,
                    ..ReplayOptions::default()
                },
            );
            let from_texts: Vec<(i64, i64, u32, Reason)> = result
                .of_user(0)
                .iter()
                .map(|d| {
                    (
                        d.at.timestamp(),
                        d.silence_start.timestamp(),
                        d.nth,
                        d.reason,
                    )
                })
                .collect();
            let simulated: Vec<(i64, i64, u32, Reason)> = user
                .decisions
                .iter()
                .map(|d| {
                    (
                        d.candidate.at_secs,
                        user.messages[d.candidate.silence].at_secs,
                        d.candidate.nth,
                        d.evaluation.reason,
                    )
                })
                .collect();
            assert_eq!(from_texts, simulated, "{}: user #{index}", policy.name);
            decisions += simulated.len();
        }
        assert!(decisions > 100, "{decisions}");
    }

    #[test]
    fn replaying_users_as_scenarios_gives_the_same_decisions() {
        for name in ["omni", "pushy", "omni-conversation-start", "omni-two-weeks"] {
            compare(Policy::preset(name).expect("preset"), 250);
        }
    }

    /// With a persona's stricter crisis threshold too, the phrases the simulation writes as
    /// ordinary messages are ones it can never read as a crisis, even several in a sitting.
    #[test]
    fn with_a_stricter_crisis_threshold_replayed_users_give_the_same_decisions() {
        let mut persona = persona();
        persona.safety.crisis_threshold =
            Some(relance::safety::classifier::Classifier::builtin().threshold(None) - 0.1);
        compare_with(persona, Policy::preset("omni").expect("preset"), 250);
    }

    #[test]
    fn a_user_scenario_round_trips_through_its_file_formats() {
        let pop = Population::new(config(Policy::omni(), 100, 30, 2)).expect("valid");
        let scenario = pop.user_scenario(42).expect("scenario");
        assert!(scenario.users[0].events.len() > 1);
        for format in [ScenarioFormat::Ron, ScenarioFormat::Json] {
            let text = scenario.to_string(format);
            let (back, warnings) =
                Scenario::from_str(&text, format, Path::new("user.ron")).expect("reloads");
            assert!(warnings.is_empty(), "{warnings:?}");
            assert_eq!(back, scenario);
        }
        assert!(matches!(
            pop.user_scenario(100),
            Err(SimError::NoSuchUser {
                index: 100,
                users: 100
            })
        ));
    }
}

/// Re-engagement is simulated: answers are user messages that come after the nudge.
mod reactions {
    use super::*;

    #[test]
    fn answers_follow_their_nudge_and_are_messages_of_the_user() {
        let pop = Population::new(config(Policy::omni(), 300, 45, 9)).expect("valid");
        let mut answers = 0;
        for index in 0..300 {
            let user = pop.user_run(index).expect("user");
            for (nudge, reaction) in &user.reactions {
                if let Reaction::Answered { at_secs, .. } = reaction {
                    assert!(at_secs > nudge);
                    if *at_secs <= pop.span_secs().1 {
                        answers += 1;
                        assert!(
                            user.messages
                                .iter()
                                .any(|m| m.at_secs == *at_secs && m.kind == MessageKind::Answer)
                        );
                    }
                }
            }
        }
        assert!(answers > 20, "{answers}");
    }

    #[test]
    fn pushy_reaches_more_users_and_is_answered_less_than_omni() {
        let omni = run(&config(Policy::omni(), 4_000, 60, 1));
        let pushy = run(&config(
            Policy::preset("pushy").expect("preset"),
            4_000,
            60,
            1,
        ));
        let (o, p) = (omni.total(), pushy.total());
        assert_eq!(o.users, p.users);
        // Five nudges per silence and no engagement condition: more users nudged, a lower
        // answer rate, more opt-outs in answer, and passing visitors nudged far more.
        assert!(
            p.nudged_users > o.nudged_users,
            "{} vs {}",
            p.nudged_users,
            o.nudged_users
        );
        assert!(p.answer_rate() < o.answer_rate());
        assert!(p.opted_out_after_nudge > o.opted_out_after_nudge);
        let one_off = omni
            .archetypes
            .iter()
            .position(|a| a.id == "one-off-visitor")
            .expect("the built-in mix has one-off visitors");
        assert!(pushy.per_archetype[one_off].sent > 5 * omni.per_archetype[one_off].sent);
        // No wellbeing rule in pushy.
        assert_eq!(p.held(Reason::Wellbeing), 0);
        assert!(o.held(Reason::Wellbeing) > 0);
        let json = serde_json::to_value(comparison_json(&omni, &pushy)).expect("json");
        assert_eq!(json["policy"], "omni");
        assert_eq!(json["compare"]["policy"], "pushy");
        assert_eq!(
            json["difference"]["sent"].as_i64(),
            Some(p.sent as i64 - o.sent as i64)
        );
        assert_eq!(
            json["difference"]["nudged_users"].as_i64(),
            Some(p.nudged_users as i64 - o.nudged_users as i64)
        );
    }
}

/// Progress, cancellation and partial results for the studio.
mod control {
    use super::*;

    #[derive(Default)]
    struct Count {
        users: AtomicU64,
        sent: AtomicU64,
    }

    impl Sink for Count {
        fn chunk(&self, _first: u64, count: u64, per_archetype: &[Metrics]) {
            self.users.fetch_add(count, Ordering::Relaxed);
            let sent: u64 = per_archetype.iter().map(|m| m.sent).sum();
            self.sent.fetch_add(sent, Ordering::Relaxed);
        }
    }

    #[test]
    fn progress_reaches_the_total_and_chunks_stream_the_same_counts() {
        let pop = Population::new(config(Policy::omni(), 5_000, 30, 4)).expect("valid");
        let progress = Progress::default();
        let sink = Count::default();
        let report = pop
            .run(&progress, &AtomicBool::new(false), &sink)
            .expect("runs");
        assert_eq!((progress.done(), progress.total()), (5_000, 5_000));
        assert!((progress.fraction() - 1.0).abs() < f32::EPSILON);
        assert_eq!(sink.users.load(Ordering::Relaxed), 5_000);
        assert_eq!(sink.sent.load(Ordering::Relaxed), report.total().sent);
    }

    #[test]
    fn a_cancelled_run_reports_it() {
        let pop = Population::new(config(Policy::omni(), 50_000, 30, 4)).expect("valid");
        let progress = Progress::default();
        let result = pop.run(&progress, &AtomicBool::new(true), &NoSink);
        assert!(matches!(result, Err(SimError::Cancelled)));
        assert_eq!(progress.done(), 0);
    }

    #[test]
    fn bad_configurations_are_errors() {
        let mut c = config(Policy::omni(), 0, 30, 1);
        assert!(matches!(
            Population::new(c.clone()),
            Err(SimError::Invalid(_))
        ));
        c.users = 10;
        c.days = 0;
        assert!(matches!(Population::new(c), Err(SimError::Invalid(_))));
    }
}

/// The `relance population` command.
mod cli {
    use super::run::{path_str, scratch, stderr, stdout};

    /// Runs `relance args` and gives its exit code, standard output and standard error.
    fn relance(args: &[&str]) -> (i32, String, String) {
        let out = super::run::relance(args);
        (out.status.code().unwrap_or(-1), stdout(&out), stderr(&out))
    }

    #[test]
    fn json_has_the_documented_fields() {
        let (code, out, err) = relance(&[
            "population",
            "--persona",
            "personas/cinema-maestro.ron",
            "--users",
            "800",
            "--days",
            "30",
            "--seed",
            "3",
            "--json",
        ]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
        for key in [
            "users",
            "days",
            "seed",
            "policy",
            "user_messages",
            "decisions",
            "sent",
            "held_back",
            "per_day",
            "by_local_hour",
            "answer_rate",
            "returned_within_48h",
            "per_archetype",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["users"], 800);
        assert_eq!(v["per_day"].as_array().map(Vec::len), Some(30));
        assert_eq!(v["by_local_hour"].as_array().map(Vec::len), Some(24));
        assert_eq!(v["per_archetype"].as_object().map(|o| o.len()), Some(7));
    }

    #[test]
    fn compare_reports_both_policies_and_the_difference() {
        let (code, out, err) = relance(&[
            "population",
            "--users",
            "500",
            "--days",
            "30",
            "--compare",
            "pushy",
            "--json",
        ]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
        assert_eq!(v["policy"], "omni");
        assert_eq!(v["compare"]["policy"], "pushy");
        assert!(
            v["difference"]["nudged_users"]
                .as_i64()
                .is_some_and(|d| d > 0)
        );
        assert_eq!(
            v["difference"]["sent"].as_i64(),
            Some(v["compare"]["sent"].as_i64().expect("sent") - v["sent"].as_i64().expect("sent"))
        );
        let (code, text, _) = relance(&[
            "population",
            "--users",
            "500",
            "--days",
            "30",
            "--compare",
            "pushy",
        ]);
        assert_eq!(code, 0);
        assert!(text.contains("pushy vs omni"), "{text}");
    }

    #[test]
    fn a_user_opens_as_a_scenario_that_simulate_reads() {
        let dir = scratch("pop");
        let file = dir.join("user.ron");
        let file = path_str(&file);
        let (code, _, err) = relance(&[
            "population",
            "--persona",
            "personas/cinema-maestro.ron",
            "--users",
            "100",
            "--user",
            "7",
            "--scenario-out",
            file,
        ]);
        assert_eq!(code, 0, "{err}");
        let (code, out, err) = relance(&[
            "simulate",
            "--persona",
            "personas/cinema-maestro.ron",
            "--scenario",
            file,
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("#7 "), "{out}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_bad_mix_is_reported_with_its_place() {
        let dir = scratch("mix");
        let mix = dir.join("mix.ron");
        std::fs::write(
            &mix,
            "Mix(\n    name: \"bad\",\n    archetypes: [\n        (archetype: \"teen\", weight: 1),\n        (archetype: \"nobody\", weight: 1),\n    ],\n)\n",
        )
        .expect("written");
        let (code, _, err) = relance(&["population", "--users", "10", "--mix", path_str(&mix)]);
        assert_eq!(code, 1);
        assert!(err.contains("mix.ron:5:"), "{err}");
        assert!(err.contains("unknown archetype `nobody`"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// `UserFacts::push`, which the simulation uses, builds the same facts as `UserFacts::index`.
mod incremental_facts {
    use proptest::prelude::*;
    use relance::engine::{MessageFacts, UserFacts};
    use relance::model::Channel;
    use relance::safety::Category;

    proptest! {
        #[test]
        fn push_equals_index(
            gaps in prop::collection::vec((0i64..40 * 86_400, 0u8..20), 1..60),
            preset in 0usize..4,
        ) {
            let policy = relance::model::Policy::preset(relance::model::policy::PRESET_NAMES[preset])
                .expect("preset");
            let tz = chrono_tz::Europe::Paris;
            let mut at = 1_767_225_600;
            let messages: Vec<MessageFacts> = gaps.iter().enumerate().map(|(i, (gap, roll))| {
                at += gap;
                MessageFacts {
                    at_secs: at,
                    event: i as u32,
                    channel: Channel::Messenger,
                    opt_out: *roll == 1,
                    blocking: (*roll == 2).then_some(Category::SelfHarm),
                    stated_age: (*roll == 3).then_some(15),
                    night: None,
                }
            }).collect();
            let mut indexed = UserFacts { messages: messages.clone(), ..UserFacts::default() };
            indexed.index(&policy, tz);
            let mut pushed = UserFacts::default();
            for m in messages {
                pushed.push(&policy, tz, m);
            }
            prop_assert_eq!(&pushed.messages, &indexed.messages);
            prop_assert_eq!(&pushed.conversation_start_secs, &indexed.conversation_start_secs);
            prop_assert_eq!(pushed.first_opt_out, indexed.first_opt_out);
            prop_assert_eq!(&pushed.blocking, &indexed.blocking);
            prop_assert_eq!(&pushed.stated_minor, &indexed.stated_minor);
            prop_assert_eq!(&pushed.night, &indexed.night);
        }
    }
}
