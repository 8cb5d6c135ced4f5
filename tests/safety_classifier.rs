//! The crisis classifier beside the lexicons: the combination rule, the sitting context, the
//! explanation in the trace, and the report of invalid persona safety additions.

use chrono::{DateTime, Duration, TimeZone, Utc};

use relance::engine::facts::CrisisCatch;
use relance::engine::trace::decision_trace;
use relance::engine::{UserFacts, checker_for};
use relance::model::diagnostics::Diagnostic;
use relance::model::{Channel, Event, Lang, Persona, Policy, Sender, Severity, User};
use relance::replay::{ReplayOptions, decide_user};
use relance::safety::classifier::Classifier;
use relance::safety::{Category, SafetyAdditions, SafetyChecker, SafetyError};

mod run;
use run::{path_str, relance, scratch, stderr, stdout};

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 18, 0, 0)
        .single()
        .expect("valid instant")
}

/// A user whose messages are sent `gap_mins` apart from `start()`.
fn user(texts: &[&str], gap_mins: i64) -> User {
    let timed: Vec<(&str, i64)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| (*t, gap_mins * i as i64))
        .collect();
    user_at(&timed)
}

/// A user who wrote each text at its minute after [`start`].
fn user_at(timed: &[(&str, i64)]) -> User {
    User {
        id: "u".into(),
        name: "U".into(),
        age: None,
        timezone: chrono_tz::Europe::Paris,
        locale: "en".into(),
        events: timed
            .iter()
            .map(|&(t, minute)| Event {
                at: start() + Duration::minutes(minute),
                from: Sender::User,
                channel: Channel::Messenger,
                text: (*t).into(),
                media: false,
            })
            .collect(),
    }
}

fn policy() -> Policy {
    Persona::new_blank("t", "T")
        .policy
        .resolve()
        .expect("the default policy resolves")
}

fn facts(texts: &[&str], gap_mins: i64, checker: &SafetyChecker) -> UserFacts {
    facts_of(&user(texts, gap_mins), checker)
}

fn facts_of(user: &User, checker: &SafetyChecker) -> UserFacts {
    UserFacts::from_user(user, &policy(), checker)
}

/// The persona validation's diagnostic on `field`, which must be an error.
fn validation_error(persona: &Persona, field: &str) -> Diagnostic {
    let d = relance::safety::lint_persona(persona)
        .into_iter()
        .find(|d| d.field == field)
        .unwrap_or_else(|| panic!("no diagnostic on {field}"));
    assert_eq!(d.severity, Severity::Error, "{}", d.message);
    d
}

/// A crisis message the lexicons miss and the shipped classifier catches alone.
const CLASSIFIER_ONLY: &str = "I counted the pills, after tonight nothing matters";

#[test]
fn the_classifier_adds_a_crisis_catch_the_lexicons_miss() {
    let checker = SafetyChecker::builtin();
    assert!(
        checker.first_blocking(CLASSIFIER_ONLY).is_none(),
        "precondition: the lexicons miss it"
    );
    let f = facts(
        &["hi! seen any good film lately?", CLASSIFIER_ONLY],
        10,
        checker,
    );
    assert_eq!(f.messages[0].blocking, None);
    assert_eq!(f.messages[1].blocking, Some(Category::SelfHarm));
    let caught = f.crisis_of(1).expect("a classifier catch");
    assert!(caught.probability >= caught.threshold);
    assert_eq!(caught.from_event, 1, "caught alone");
}

#[test]
fn the_classifier_never_removes_a_lexicon_catch() {
    let checker = SafetyChecker::builtin();
    // Lexicon catches, whatever the classifier thinks of them.
    for text in [
        "je veux en finir",
        "I want to kill myself",
        "ce film m'a donné envie de mourir",
    ] {
        let lexicon = checker.first_blocking(text).map(|f| f.category);
        let f = facts(&[text], 10, checker);
        if lexicon.is_some() {
            assert!(f.messages[0].blocking.is_some(), "{text:?} lost its flag");
        }
        if lexicon == Some(Category::SelfHarm) {
            assert!(
                f.crisis_of(0).is_none(),
                "the lexicon explains it, not the classifier"
            );
        }
    }
}

#[test]
fn ordinary_film_talk_is_not_flagged() {
    let checker = SafetyChecker::builtin();
    for text in [
        "I'm dying to see the new Nolan film",
        "ce film m'a tuée, j'ai pleuré de rire",
        "The ending where the hero dies was so well done",
    ] {
        let f = facts(&[text], 10, checker);
        assert_eq!(f.messages[0].blocking, None, "{text:?}");
    }
}

#[test]
fn the_classifier_is_on_and_a_persona_may_only_make_it_stricter() {
    let classifier = Classifier::builtin();
    // Each language's shipped threshold, in `Lang::ALL` order.
    let model = Lang::ALL.map(|l| classifier.threshold(Some(l)));
    let thresholds = |c: &SafetyChecker| Lang::ALL.map(|l| c.crisis_threshold(Some(l)));
    let builtin = SafetyChecker::builtin();
    assert!(builtin.classifier_on());
    assert_eq!(thresholds(builtin), model);
    let strictest = model.iter().copied().fold(1.0, f32::min);
    assert_eq!(
        builtin.crisis_threshold(None),
        strictest,
        "another language"
    );
    assert_eq!(
        SafetyChecker::crisis_floor(),
        classifier.highest_threshold()
    );
    let f = facts(&["hi!", CLASSIFIER_ONLY], 10, builtin);
    assert_eq!(f.messages[1].blocking, Some(Category::SelfHarm));
    let lexicons = builtin.clone().lexicons_only();
    assert!(!lexicons.classifier_on());
    let f = facts(&["hi!", CLASSIFIER_ONLY], 10, &lexicons);
    assert_eq!(f.messages[1].blocking, None, "the lexicons alone miss it");

    // A lower threshold is stricter: taken as asked, in every language.
    let stricter = SafetyAdditions {
        crisis_threshold: Some(strictest - 0.2),
        ..SafetyAdditions::default()
    };
    let checker = SafetyChecker::with_additions(&stricter).expect("a stricter threshold");
    assert_eq!(thresholds(&checker), [strictest - 0.2; 2]);
    assert!(stricter.problems().is_empty());
    // Between the languages' thresholds, it lowers the higher one and leaves the lower one:
    // never weaker in any language.
    let between = (strictest + SafetyChecker::crisis_floor()) / 2.0;
    let checker = SafetyChecker::with_additions(&SafetyAdditions {
        crisis_threshold: Some(between),
        ..SafetyAdditions::default()
    })
    .expect("at most the highest shipped threshold");
    assert_eq!(thresholds(&checker), model.map(|t| t.min(between)));

    // A higher one would be weaker: reported, and the shipped threshold is used.
    let weaker = SafetyAdditions {
        crisis_threshold: Some(0.95),
        ..SafetyAdditions::default()
    };
    let err = SafetyChecker::with_additions(&weaker).expect_err("weaker than the floor");
    assert!(matches!(err, SafetyError::AboveFloor { .. }), "{err}");
    let (checker, problems) = SafetyChecker::with_valid_additions(&weaker);
    assert_eq!(thresholds(&checker), model);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].to_string().contains("never weaker"),
        "{}",
        problems[0]
    );
    let mut persona = Persona::new_blank("t", "T");
    persona.safety = weaker;
    let d = validation_error(&persona, "safety.crisis_threshold");
    assert!(d.message.contains("0.95"), "{}", d.message);

    // At or below the prior, a message the model finds nothing in ("thanks") would be a
    // crisis: reported, and the shipped threshold is used.
    let prior = Classifier::builtin().prior();
    for low in [prior, prior * 0.5] {
        let everything = SafetyAdditions {
            crisis_threshold: Some(low),
            ..SafetyAdditions::default()
        };
        let err = SafetyChecker::with_additions(&everything).expect_err("at the prior");
        assert!(matches!(err, SafetyError::AtPrior { .. }), "{err}");
        assert!(err.to_string().contains("every ordinary message"), "{err}");
        let (checker, _) = SafetyChecker::with_valid_additions(&everything);
        assert_eq!(thresholds(&checker), model);
    }
    let just_above = SafetyAdditions {
        crisis_threshold: Some(prior + 0.01),
        ..SafetyAdditions::default()
    };
    assert!(just_above.problems().is_empty());

    for bad in [0.0, 1.5, f32::NAN] {
        let not_a_probability = SafetyAdditions {
            crisis_threshold: Some(bad),
            ..SafetyAdditions::default()
        };
        let err = SafetyChecker::with_additions(&not_a_probability).expect_err("not a probability");
        assert!(matches!(err, SafetyError::Threshold { .. }), "{err}");
        let (checker, problems) = SafetyChecker::with_valid_additions(&not_a_probability);
        assert_eq!(thresholds(&checker), model, "{bad}: the shipped ones");
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].to_string().contains("not a probability"),
            "{}",
            problems[0]
        );
    }
}

/// Two messages that are not flagged alone but are together.
const SITTING: (&str, &str) = ("it's all planned", "tonight, the river");

#[test]
fn a_sitting_is_scored_whole() {
    let checker = SafetyChecker::builtin();
    let (first, second) = SITTING;
    for text in [first, second] {
        assert!(
            checker.first_blocking(text).is_none()
                && !checker.is_crisis(checker.classifier().evidence(text), Some(Lang::En)),
            "precondition: {text:?} alone is not flagged"
        );
    }
    // Ten minutes apart: one sitting, the second message is caught with the first.
    let f = facts(&[first, second], 10, checker);
    assert_eq!(f.messages[0].blocking, None);
    assert_eq!(f.messages[1].blocking, Some(Category::SelfHarm));
    assert_eq!(f.crisis_of(1).map(|c| c.from_event), Some(0));
    // Three hours apart: two sittings, nothing is caught.
    let f = facts(&[first, second], 180, checker);
    assert_eq!(f.messages[1].blocking, None);
}

#[test]
fn a_flagged_message_gives_no_sitting_catch_while_it_is_read_with_the_next_ones() {
    let checker = SafetyChecker::builtin();
    let (first, second) = SITTING;
    let said = "I want to kill myself";
    assert_eq!(
        checker.first_blocking(said).map(|f| f.category),
        Some(Category::SelfHarm),
        "precondition: a lexicon catch"
    );
    // Without the lexicon catch before them, the sitting is caught on its last message.
    let f = facts(&[first, second], 10, checker);
    assert!(f.crisis_of(1).is_some());
    // Right after it, the same messages are read with the crisis already flagged: no catch of
    // their own, so the trace names the message that said it.
    let f = facts(&[said, first, second], 10, checker);
    assert_eq!(f.messages[0].blocking, Some(Category::SelfHarm));
    assert!(f.crisis_of(1).is_none(), "message 1");
    assert!(f.crisis_of(2).is_none(), "message 2");
    // Once it is no longer among the messages read together, what follows is read as if it
    // had not been said: a crisis said anew over short messages is caught again.
    let fresh = facts(&["still up", first, second], 10, checker);
    assert!(fresh.crisis_of(2).is_some(), "precondition: caught alone");
    let f = facts(&[said, "still up", first, second], 10, checker);
    assert_eq!(f.crisis_of(2), None, "read with the flagged message");
    assert_eq!(
        f.crisis_of(3).copied(),
        fresh.crisis_of(2).map(|c| CrisisCatch {
            from_event: 1,
            ..*c
        })
    );
    // More than an hour after it, a new sitting is read afresh, and caught on its own.
    let f = facts_of(&user_at(&[(said, 0), (first, 70), (second, 80)]), checker);
    assert!(f.crisis_of(2).is_some(), "a new sitting after the gap");
}

#[test]
fn the_trace_explains_a_classifier_hold() {
    let persona = Persona::new_blank("t", "T");
    let policy = policy();
    let u = user(&[CLASSIFIER_ONLY], 10);
    let checker = checker_for(&persona);
    let decisions = decide_user(
        &persona,
        &policy,
        &checker,
        &u,
        None,
        ReplayOptions {
            compose: false,
            ..ReplayOptions::default()
        },
    );
    let f = UserFacts::from_user(&u, &policy, &checker);
    let held = decisions.first().expect("a decision");
    let step = decision_trace(held, &policy, &u, Some(&f))
        .into_iter()
        .find(|s| s.rule == "sensitive")
        .expect("a sensitive step");
    assert!(!step.passed);
    assert!(step.detail.contains("crisis classifier"), "{}", step.detail);
    assert!(step.detail.contains("threshold"), "{}", step.detail);
    assert!(step.detail.contains("weighed most \""), "{}", step.detail);
    // The quoted words come from the message.
    let quoted: Vec<&str> = step
        .detail
        .split("weighed most ")
        .nth(1)
        .expect("phrases")
        .split('"')
        .skip(1)
        .step_by(2)
        .collect();
    assert!(!quoted.is_empty());
    for q in quoted {
        assert!(CLASSIFIER_ONLY.contains(q), "{q:?} is not in the message");
    }
}

#[test]
fn invalid_additions_are_reported_by_name_and_the_rest_kept() {
    let mut persona = Persona::new_blank("t", "T");
    persona.safety.phrases.insert(
        Category::SelfHarm,
        vec!["tout plaquer ce soir".into(), "ab*".into()],
    );
    let problems = persona.safety.problems();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].to_string().contains("\"ab*\""),
        "{}",
        problems[0]
    );
    // The valid phrase still applies.
    let checker = checker_for(&persona);
    let flag = checker
        .first_blocking("je vais tout plaquer ce soir")
        .expect("the valid addition applies");
    assert_eq!(flag.phrase, "tout plaquer ce soir");
    // The persona's validation names it as an error.
    let d = validation_error(&persona, "safety.phrases.self_harm");
    assert!(d.message.contains("ab*"), "{}", d.message);
}

#[test]
fn safety_eval_prints_rates_and_names_bad_lines() {
    let dir = scratch("safety-eval");
    let good = dir.join("good.jsonl");
    std::fs::write(
        &good,
        concat!(
            "{\"text\":\"je veux mourir\",\"label\":\"crisis\",\"lang\":\"fr\",\"kind\":\"chat\"}\n",
            "{\"text\":\"on a vu un film hier\",\"label\":\"ok\",\"lang\":\"fr\",\"kind\":\"chat\"}\n",
        ),
    )
    .expect("write");
    let out = relance(&["safety-eval", path_str(&good)]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("recall 100.0 % (1/1)"), "{text}");
    assert!(text.contains("false positives  0.0 % (0/1)"), "{text}");
    assert!(
        text.contains(&format!(
            "lexicons or classifier at threshold {:.2} (fr), {:.2} (en)",
            Classifier::builtin().threshold(Some(Lang::Fr)),
            Classifier::builtin().threshold(Some(Lang::En)),
        )),
        "{text}"
    );

    let out = relance(&["safety-eval", "--crisis-threshold", "off", path_str(&good)]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("lexicons alone"), "{text}");
    let out = relance(&["safety-eval", "--crisis-threshold", "1.5", path_str(&good)]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("--crisis-threshold \"1.5\""), "{err}");

    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"text\":\"hi\",\"label\":\"ok\"}\n{\"text\":\"x\",\"label\":\"maybe\"}\n",
    )
    .expect("write");
    let out = relance(&["safety-eval", path_str(&bad)]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("bad.jsonl:2: label \"maybe\""), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn relance_check_names_an_invalid_safety_addition() {
    let mut persona = Persona::new_blank("t", "T");
    persona.safety.phrases.insert(
        Category::SelfHarm,
        vec!["tout plaquer".into(), "ab*".into()],
    );
    let dir = scratch("check-safety");
    let path = dir.join("t.ron");
    std::fs::write(&path, persona.to_ron()).expect("write persona");
    let out = relance(&["check", path_str(&path)]);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("\"ab*\""), "{all}");
    assert!(all.contains("safety addition for `self_harm`"), "{all}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A crisis only the classifier caught is left out of the persona's memory like a lexicon
/// catch, in a replay (which knows the engine's facts) and in a memory read alone.
#[test]
fn the_memory_leaves_out_a_crisis_only_the_classifier_caught() {
    let crisis = "I counted the pills, after tonight nothing matters. Blade Runner was the last film I watched";
    let ordinary = "Blade Runner was the last film I watched, what a score";
    let maestro = Persona::load(&run::root().join("personas/cinema-maestro.ron"))
        .expect("the shipped persona loads");
    let checker = checker_for(&maestro);
    assert!(
        checker.first_flag(crisis).is_none(),
        "precondition: no lexicon flag"
    );
    assert!(
        checker.is_crisis(checker.read_message(crisis).crisis, Some(Lang::En)),
        "precondition: a catch"
    );
    let mut policy = maestro.policy.resolve().expect("the policy resolves");
    policy.sensitive_cooldown_days = 14;
    // The crisis, then a fortnight of short ordinary messages, then silence: the cooldown has
    // ended when the nudge is due, and the crisis is within the memory's horizon.
    let timeline = |first: &'static str| {
        let mut timed = vec![(first, 0)];
        for day in [3, 6, 9, 12, 14, 15, 16] {
            timed.push(("what should I watch this weekend?", day * 24 * 60));
        }
        user_at(&timed)
    };
    let sent_trace = |u: &User| -> String {
        let decisions = decide_user(
            &maestro,
            &policy,
            &checker,
            u,
            None,
            ReplayOptions::default(),
        );
        let sent = decisions
            .iter()
            .find(|d| d.outcome == relance::engine::Outcome::Sent)
            .unwrap_or_else(|| panic!("a nudge is sent: {decisions:#?}"));
        sent.compose_trace
            .iter()
            .map(|s| s.detail.clone())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let caught = sent_trace(&timeline(crisis));
    assert!(caught.contains("flagged self_harm"), "{caught}");
    assert!(!caught.contains("mention \"Blade Runner\""), "{caught}");
    // The same film named in an ordinary message is echoed.
    let plain = sent_trace(&timeline(ordinary));
    assert!(plain.contains("mention \"Blade Runner\""), "{plain}");
    // Read alone, without the engine's facts.
    let u = timeline(crisis);
    let memory = relance::compose::remember(
        &maestro,
        &checker,
        &u,
        u.events[7].at + Duration::days(1),
        relance::model::Lang::En,
        &[],
    );
    assert!(
        memory.skipped.iter().any(|k| matches!(
            k,
            relance::compose::Skip::FlaggedMessage {
                event: 0,
                category: Category::SelfHarm,
                ..
            }
        )),
        "{:?}",
        memory.skipped
    );
    assert!(memory.items.iter().all(|i| i.label != "Blade Runner"));
}

#[test]
fn a_message_is_read_at_the_threshold_of_its_users_language() {
    // Between the English and the French thresholds (0.44 and 0.47 for the model of
    // 2026-12-08, thirty rounds, where it scores 0.45; see `assets/safety/MODEL.md`), so the two
    // languages read it apart. Which language is the stricter can change from one model to the
    // next (a trial model read English at 0.46 and French at 0.44), so the test asks the model.
    let text = "I'm really tired of all this";
    let checker = SafetyChecker::builtin();
    let p = checker.classifier().score(text);
    let en = checker.crisis_threshold(Some(Lang::En));
    let fr = checker.crisis_threshold(Some(Lang::Fr));
    assert!(
        p >= en.min(fr) && p < en.max(fr),
        "precondition: {p} between the two thresholds ({en}, {fr})"
    );
    let caught_at = |threshold: f32| threshold <= p;
    assert!(checker.first_blocking(text).is_none(), "precondition");
    let mut u = user(&["hi!", text], 10);
    for (locale, caught) in [
        ("en-GB", caught_at(en)),
        ("fr-FR", caught_at(fr)),
        ("de", true),
    ] {
        u.locale = locale.into();
        let f = facts_of(&u, checker);
        let expected = caught.then_some(Category::SelfHarm);
        assert_eq!(f.messages[1].blocking, expected, "{locale}");
        if caught {
            let lang = Lang::from_locale(locale);
            assert_eq!(f.crisis[0].1.threshold, checker.crisis_threshold(lang));
        }
    }
    // `safety-eval` reads a line at the threshold of its language, and the strictest without.
    for (lang, caught) in [
        (Some(Lang::En), caught_at(en)),
        (Some(Lang::Fr), caught_at(fr)),
        (None, true),
    ] {
        let v = relance::safety::eval::verdict(checker, text, lang);
        assert_eq!(v.crisis, caught, "{lang:?}");
    }
}

#[test]
fn safety_eval_reads_a_line_without_a_language_in_the_one_detected() {
    let dir = scratch("safety-eval-lang");
    let file = dir.join("nolang.jsonl");
    // A line long enough to tell its language (English: counted and read as English), and one
    // too short ("ok": counted under "?", read at the strictest threshold).
    std::fs::write(
        &file,
        concat!(
            "{\"text\":\"I'm so tired of everything, honestly I am\",\"label\":\"crisis\"}\n",
            "{\"text\":\"ok\",\"label\":\"ok\"}\n",
        ),
    )
    .expect("write");
    let out = relance(&["safety-eval", path_str(&file)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let english = text
        .lines()
        .find(|l| l.starts_with("en "))
        .unwrap_or_else(|| panic!("counted as English: {text}"));
    assert!(english.contains("recall 100.0 % (1/1)"), "{english}");
    assert!(text.contains("\n? "), "too short to tell: {text}");
    assert!(
        text.contains(
            "lines without \"lang\": 2; read in the language detected from the text: 1; read at the strictest threshold"
        ),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
