//! Property tests: the invariants of the `omni` preset, and the self-harm cooldown of every
//! preset, over random scenarios. The oracle recomputes each invariant from the generated
//! history and its labels, independently of the engine.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use relance::engine::Outcome;
use relance::model::policy::{PRESET_NAMES, Policy};
use relance::model::{Channel, Event, Persona, Scenario, Sender, User};
use relance::replay::{ReplayOptions, replay};

/// What a generated user message is, known by construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Chat,
    OptOut,
    SelfHarm,
    StatesMinorAge,
}

const CHAT: [&str; 6] = [
    "Tu connais la BO d'Interstellar ?",
    "I loved the score of Dune",
    "Une idée de film pour ce soir ?",
    "Thanks for the tips!",
    "J'ai revu Star Wars hier",
    "What should I watch this weekend?",
];
const OPT_OUT: [&str; 4] = ["STOP", "stop", " Arrête ", "unsubscribe"];
const SELF_HARM: [&str; 4] = [
    "je veux mourir",
    "I want to kill myself",
    "j'ai envie d'en finir",
    "I just want to end it all",
];
const MINOR: [&str; 3] = ["j'ai 15 ans", "I'm 14", "moi j'ai 16 ans"];
const ZONES: [Tz; 4] = [
    chrono_tz::Europe::Paris,
    chrono_tz::America::New_York,
    chrono_tz::Asia::Tokyo,
    chrono_tz::Australia::Sydney,
];

#[derive(Clone, Debug)]
struct Generated {
    user: User,
    kinds: Vec<Option<Kind>>,
}

fn message() -> impl Strategy<Value = (i64, bool, Kind, usize, u8)> {
    let gap_minutes = prop_oneof![
        6 => 1i64..180,
        3 => 180i64..2_880,
        1 => 2_880i64..30_000,
    ];
    let kind = prop_oneof![
        40 => Just(Kind::Chat),
        1 => Just(Kind::OptOut),
        1 => Just(Kind::SelfHarm),
        1 => Just(Kind::StatesMinorAge),
    ];
    (gap_minutes, any::<bool>(), kind, 0usize..16, 0u8..3)
}

fn generated() -> impl Strategy<Value = Generated> {
    (
        prop::collection::vec(message(), 0..60),
        prop::option::of(10u32..60),
        0usize..ZONES.len(),
        0i64..86_400,
    )
        .prop_map(|(messages, age, zone, offset_secs)| {
            let mut at = Utc
                .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .single()
                .expect("valid start")
                + Duration::seconds(offset_secs);
            let mut events = Vec::new();
            let mut kinds = Vec::new();
            for (gap, from_bot, kind, pick, channel) in messages {
                at += Duration::minutes(gap);
                let (from, text, kind) = if from_bot {
                    (Sender::Bot, CHAT[pick % CHAT.len()], None)
                } else {
                    let text = match kind {
                        Kind::Chat => CHAT[pick % CHAT.len()],
                        Kind::OptOut => OPT_OUT[pick % OPT_OUT.len()],
                        Kind::SelfHarm => SELF_HARM[pick % SELF_HARM.len()],
                        Kind::StatesMinorAge => MINOR[pick % MINOR.len()],
                    };
                    (Sender::User, text, Some(kind))
                };
                events.push(Event {
                    at,
                    from,
                    channel: Channel::ALL[channel as usize % 3],
                    text: text.to_owned(),
                    media: false,
                });
                kinds.push(kind);
            }
            Generated {
                user: User {
                    id: "u".into(),
                    name: "U".into(),
                    age,
                    timezone: ZONES[zone],
                    locale: "fr".into(),
                    events,
                },
                kinds,
            }
        })
}

fn run(g: &Generated, policy: &Policy) -> Vec<relance::engine::Decision> {
    let scenario = Scenario {
        name: "prop".into(),
        description: String::new(),
        until: None,
        users: vec![g.user.clone()],
    };
    // The maestro declares WhatsApp templates, so composing never hides a policy decision.
    let persona = Persona::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("personas/cinema-maestro.ron"),
    )
    .expect("shipped persona loads");
    let mut r = replay(
        &persona,
        policy,
        &scenario,
        ReplayOptions {
            compose: false,
            ..ReplayOptions::default()
        },
    );
    r.users.pop().map(|u| u.decisions).unwrap_or_default()
}

fn user_messages(g: &Generated) -> impl Iterator<Item = (DateTime<Utc>, Kind)> + '_ {
    g.user
        .events
        .iter()
        .zip(&g.kinds)
        .filter_map(|(e, k)| k.map(|k| (e.at, k)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn omni_invariants_hold(g in generated()) {
        let decisions = run(&g, &Policy::omni());
        let mut silences = std::collections::BTreeSet::new();
        for d in &decisions {
            prop_assert!(silences.insert(d.silence_start), "two decisions in one silence at {}", d.silence_start);
            // The silence is real: the user wrote nothing in (L, t].
            prop_assert!(!user_messages(&g).any(|(at, _)| at > d.silence_start && at <= d.at));
            if d.outcome != Outcome::Sent {
                continue;
            }
            let t = d.at;
            prop_assert!(g.user.age.is_none_or(|a| a >= 18), "nudge to a minor by profile");
            prop_assert!(!user_messages(&g).any(|(at, k)| at <= t && k == Kind::StatesMinorAge), "nudge to a user who stated a minor age");
            prop_assert!(!user_messages(&g).any(|(at, k)| at <= t && k == Kind::OptOut), "nudge after an opt-out");
            prop_assert!(!user_messages(&g).any(|(at, k)| at <= t && at >= t - Duration::days(30) && k == Kind::SelfHarm), "nudge within 30 days of self-harm");
            let recent = user_messages(&g).filter(|(at, _)| *at <= t && *at >= t - Duration::days(14)).count();
            prop_assert!(recent >= 5, "nudge with only {recent} messages in the 14 days before");
            let local = t.with_timezone(&g.user.timezone).time();
            let nine = NaiveTime::from_hms_opt(9, 0, 0).expect("09:00");
            let twenty_one = NaiveTime::from_hms_opt(21, 0, 0).expect("21:00");
            prop_assert!(local >= nine && local < twenty_one, "nudge at {local} local time");
            let last = user_messages(&g).map(|(at, _)| at).filter(|at| *at <= t).max().expect("a last message");
            prop_assert!(t <= last + Duration::days(14), "nudge more than 14 days after the last message");
        }
    }

    #[test]
    fn no_preset_sends_within_30_days_of_self_harm(g in generated()) {
        for name in PRESET_NAMES {
            let policy = Policy::preset(name).expect("preset");
            for d in run(&g, &policy).iter().filter(|d| d.outcome == Outcome::Sent) {
                let t = d.at;
                prop_assert!(
                    !user_messages(&g).any(|(at, k)| at <= t && at >= t - Duration::days(30) && k == Kind::SelfHarm),
                    "{name} sent at {t} within 30 days of a self-harm message"
                );
                prop_assert!(g.user.age.is_none_or(|a| a >= 18), "{name} sent to a minor");
                prop_assert!(!user_messages(&g).any(|(at, k)| at <= t && k == Kind::OptOut), "{name} sent after an opt-out");
            }
        }
    }
}
