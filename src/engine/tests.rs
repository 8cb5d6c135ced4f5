//! Unit tests of every rule and preset, on small hand-built histories.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::*;
use crate::model::policy::{Anchor, Policy};
use crate::model::{Event, Sender};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test instant")
        .with_timezone(&Utc)
}

fn local(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("unambiguous local time")
        .with_timezone(&Utc)
}

fn user(tz: Tz, events: Vec<(DateTime<Utc>, Sender, &str)>) -> User {
    User {
        id: "u".into(),
        name: "U".into(),
        age: None,
        timezone: tz,
        locale: "fr".into(),
        events: events
            .into_iter()
            .map(|(at, from, text)| Event {
                at,
                from,
                channel: Channel::Messenger,
                text: text.into(),
                media: false,
            })
            .collect(),
    }
}

/// `n` user messages one hour apart, the last at `last`.
fn engaged(last: DateTime<Utc>, n: i64) -> Vec<(DateTime<Utc>, Sender, &'static str)> {
    (0..n)
        .rev()
        .map(|k| {
            (
                last - Duration::hours(k),
                Sender::User,
                "On parle de musiques de film ?",
            )
        })
        .collect()
}

fn decide(policy: &Policy, u: &User) -> Vec<Decision> {
    let persona = Persona::new_blank("t", "T");
    let checker = checker_for(&persona);
    super::decide(policy, &checker, u, None).0
}

fn reasons(ds: &[Decision]) -> Vec<&'static str> {
    ds.iter().map(|d| d.reason.as_str()).collect()
}

const PARIS: Tz = chrono_tz::Europe::Paris;

#[test]
fn omni_sends_24_hours_after_an_engaged_users_last_message() {
    let last = local(PARIS, 2026, 1, 7, 14, 0);
    let ds = decide(&Policy::omni(), &user(PARIS, engaged(last, 5)));
    assert_eq!(reasons(&ds), ["sent"]);
    assert_eq!(ds[0].at, last + Duration::hours(24));
    assert_eq!(ds[0].silence_start, last);
}

#[test]
fn bot_messages_never_count_and_never_open_a_silence() {
    let last = local(PARIS, 2026, 1, 7, 14, 0);
    let mut events = engaged(last, 4);
    events.push((last + Duration::minutes(1), Sender::Bot, "Réponse"));
    events.push((last + Duration::hours(2), Sender::Bot, "Autre réponse"));
    let ds = decide(&Policy::omni(), &user(PARIS, events));
    assert_eq!(reasons(&ds), ["too_few_messages"]);
    assert_eq!(ds[0].silence_start, last);
}

#[test]
fn a_user_who_writes_again_at_or_before_t_pre_empts_the_decision() {
    let first = local(PARIS, 2026, 1, 7, 14, 0);
    let mut events = engaged(first, 5);
    events.push((first + Duration::hours(24), Sender::User, "Me revoilà"));
    let ds = decide(&Policy::omni(), &user(PARIS, events));
    // Only the second silence gets a decision: the first was pre-empted exactly at t.
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].silence_start, first + Duration::hours(24));
}

#[test]
fn quiet_hours_move_the_send_time_to_09_00_local() {
    // Last message 22:30 local: 24 hours later is in quiet hours, moved to the next 09:00.
    let last = local(PARIS, 2026, 1, 7, 22, 30);
    let ds = decide(&Policy::omni(), &user(PARIS, engaged(last, 5)));
    assert_eq!(ds[0].at, local(PARIS, 2026, 1, 9, 9, 0));
    assert_eq!(ds[0].base, last + Duration::hours(24));
    // Early morning: 03:00 moves to 09:00 the same day.
    let last = local(PARIS, 2026, 1, 7, 3, 0);
    let ds = decide(&Policy::omni(), &user(PARIS, engaged(last, 5)));
    assert_eq!(ds[0].at, local(PARIS, 2026, 1, 8, 9, 0));
    // 21:00 is quiet (inclusive), 09:00 is not (exclusive).
    let q = Policy::omni().quiet_hours.expect("quiet hours");
    let t = local(PARIS, 2026, 1, 8, 21, 0).timestamp();
    assert_eq!(
        shift_out_of_quiet(t, &q, PARIS),
        local(PARIS, 2026, 1, 9, 9, 0).timestamp()
    );
    let t = local(PARIS, 2026, 1, 8, 9, 0).timestamp();
    assert_eq!(shift_out_of_quiet(t, &q, PARIS), t);
}

#[test]
fn quiet_hours_use_the_users_own_zone_across_clock_changes() {
    let ny = chrono_tz::America::New_York;
    // 8 March 2026: US clocks go forward at 02:00. A 23:00 candidate moves to 09:00 EDT.
    let last = local(ny, 2026, 3, 7, 23, 0);
    let ds = decide(&Policy::omni(), &user(ny, engaged(last, 5)));
    assert_eq!(ds[0].at, local(ny, 2026, 3, 9, 9, 0));
    assert_eq!(
        ds[0].at.with_timezone(&ny).format("%H:%M").to_string(),
        "09:00"
    );
}

#[test]
fn too_few_messages_counts_the_14_days_before_t() {
    let last = local(PARIS, 2026, 1, 20, 12, 0);
    let mut events = vec![(last - Duration::days(16), Sender::User, "vieux message")];
    events.extend(engaged(last, 4));
    let ds = decide(&Policy::omni(), &user(PARIS, events));
    let last_decision = ds.last().expect("a decision");
    assert_eq!(last_decision.reason, Reason::TooFewMessages);
    let check = last_decision
        .evaluation
        .checks()
        .find(|c| c.rule == Rule::TooFewMessages)
        .expect("checked");
    let persona_user = user(PARIS, engaged(last, 4));
    let sentence = trace::check_sentence(
        check,
        &Policy::omni(),
        &persona_user,
        None,
        last_decision.at,
    );
    assert_eq!(
        sentence,
        "4 user messages in the 14 days before 21 Jan 12:00 (Europe/Paris); 5 needed."
    );
}

#[test]
fn minors_by_profile_or_by_statement_never_receive_a_nudge() {
    let last = local(PARIS, 2026, 1, 7, 14, 0);
    let mut u = user(PARIS, engaged(last, 5));
    u.age = Some(17);
    assert_eq!(reasons(&decide(&Policy::omni(), &u)), ["minor"]);
    u.age = Some(18);
    assert_eq!(reasons(&decide(&Policy::omni(), &u)), ["sent"]);
    let mut events = engaged(last, 5);
    events.insert(
        0,
        (last - Duration::hours(6), Sender::User, "Moi j'ai 15 ans"),
    );
    let ds = decide(&Policy::omni(), &user(PARIS, events));
    assert_eq!(reasons(&ds), ["minor"]);
    assert!(matches!(
        ds[0].evaluation.checks().next().map(|c| c.evidence),
        Some(Evidence::Minor {
            stated: Some((0, 15)),
            ..
        })
    ));
}

#[test]
fn an_opt_out_word_stops_every_later_nudge() {
    let last = local(PARIS, 2026, 1, 7, 14, 0);
    let mut events = engaged(last, 5);
    events.push((last + Duration::hours(1), Sender::User, "  Stop. "));
    events.push((
        last + Duration::days(3),
        Sender::User,
        "Finalement, une idée de film ?",
    ));
    let ds = decide(&Policy::omni(), &user(PARIS, events));
    assert_eq!(reasons(&ds), ["opted_out", "opted_out"]);
    // Not an opt-out: the word inside a sentence.
    let mut events = engaged(last, 5);
    events.push((
        last + Duration::hours(1),
        Sender::User,
        "stop motion films are great",
    ));
    assert_eq!(
        reasons(&decide(&Policy::omni(), &user(PARIS, events))),
        ["sent"]
    );
    for word in ["STOP", "arrête", "Arrete", "unsubscribe!"] {
        let mut events = engaged(last, 5);
        events.push((last + Duration::hours(1), Sender::User, word));
        assert_eq!(
            reasons(&decide(&Policy::omni(), &user(PARIS, events))),
            ["opted_out"],
            "{word}"
        );
    }
}

#[test]
fn a_flagged_message_holds_nudges_back_for_the_cooldown_with_a_referral() {
    let last = local(PARIS, 2026, 1, 7, 14, 0);
    let mut events = engaged(last, 5);
    events.insert(
        0,
        (last - Duration::days(2), Sender::User, "je veux mourir"),
    );
    let ds = decide(&Policy::omni(), &user(PARIS, events));
    assert_eq!(reasons(&ds).last(), Some(&"sensitive"));
    let d = ds.last().expect("decision");
    assert!(d.evaluation.crisis);
    assert!(
        d.crisis_referral
            .as_deref()
            .is_some_and(|r| r.contains("3114"))
    );
    // 31 days later the cooldown is over.
    let mut events = vec![(last - Duration::days(31), Sender::User, "je veux mourir")];
    events.extend(engaged(last, 5));
    let ds = decide(&Policy::omni(), &user(PARIS, events));
    assert_eq!(reasons(&ds).last(), Some(&"sent"));
}

#[test]
fn window_expired_when_the_send_time_is_past_the_window() {
    let last = local(PARIS, 2026, 1, 7, 14, 0);
    let mut p = Policy::omni();
    p.name = "custom".into();
    p.delay_hours = 15 * 24;
    p.min_messages = None;
    let ds = decide(&p, &user(PARIS, engaged(last, 5)));
    assert_eq!(reasons(&ds), ["window_expired"]);
}

#[test]
fn the_first_failing_rule_in_the_policys_order_is_the_reason() {
    let last = local(PARIS, 2026, 1, 7, 14, 0);
    let mut u = user(PARIS, engaged(last, 2));
    u.age = Some(15);
    assert_eq!(reasons(&decide(&Policy::omni(), &u)), ["minor"]);
    let mut p = Policy::omni();
    p.order = vec![
        Rule::TooFewMessages,
        Rule::Minor,
        Rule::OptedOut,
        Rule::Sensitive,
    ];
    let ds = decide(&p, &u);
    assert_eq!(reasons(&ds), ["too_few_messages"]);
    // Every rule is still checked and traced, passed or failed.
    let checked: Vec<_> = ds[0]
        .evaluation
        .checks()
        .map(|c| (c.rule, c.passed))
        .collect();
    assert_eq!(
        checked,
        [
            (Rule::TooFewMessages, false),
            (Rule::Minor, false),
            (Rule::OptedOut, true),
            (Rule::Sensitive, true)
        ]
    );
}

#[test]
fn omni_considers_one_nudge_per_silence_and_pushy_five() {
    let last = local(PARIS, 2026, 2, 2, 20, 40);
    let u = user(PARIS, engaged(last, 5));
    let omni = decide(&Policy::omni(), &u);
    assert_eq!(omni.len(), 1);
    let pushy = Policy::preset("pushy").expect("pushy");
    let ds = decide(&pushy, &u);
    assert_eq!(reasons(&ds), ["sent"; 5]);
    for (k, d) in ds.iter().enumerate() {
        assert_eq!(d.nth, k as u32 + 1);
        // No quiet hours: the exact hour of the last message, every three days.
        assert_eq!(d.at, last + Duration::hours(72 * (k as i64 + 1)));
    }
    // Pushy keeps the hard safety lines.
    let mut minor = u.clone();
    minor.age = Some(14);
    assert_eq!(reasons(&decide(&pushy, &minor)), ["minor"; 5]);
}

#[test]
fn omni_two_weeks_waits_two_weeks_and_counts_before_the_last_message() {
    let last = local(PARIS, 2026, 1, 7, 14, 0);
    let p = Policy::preset("omni-two-weeks").expect("preset");
    let ds = decide(&p, &user(PARIS, engaged(last, 5)));
    assert_eq!(reasons(&ds), ["sent"]);
    assert_eq!(ds[0].at, last + Duration::days(14));
    let ds = decide(&p, &user(PARIS, engaged(last, 4)));
    assert_eq!(reasons(&ds), ["too_few_messages"]);
}

#[test]
fn omni_conversation_start_counts_from_the_start_of_the_conversation() {
    let p = Policy::preset("omni-conversation-start").expect("preset");
    let start = local(PARIS, 2026, 1, 1, 12, 0);
    // Five messages on day 1, then one every 3 days: the conversation never has a 14-day gap.
    let mut events = engaged(start, 5);
    for k in 1..=5 {
        events.push((
            start + Duration::days(3 * k),
            Sender::User,
            "encore un film",
        ));
    }
    let ds = decide(&p, &user(PARIS, events.clone()));
    // Silences after day 14 of the conversation fall outside its window.
    let last = ds.last().expect("decisions");
    assert_eq!(last.reason, Reason::WindowExpired);
    assert!(ds.iter().any(|d| d.reason == Reason::Sent));
    // Under omni the same history ends with a sent nudge.
    assert_eq!(
        decide(&Policy::omni(), &user(PARIS, events))
            .last()
            .map(|d| d.reason),
        Some(Reason::Sent)
    );
}

#[test]
fn wellbeing_holds_back_heavy_or_night_time_use() {
    let last = local(PARIS, 2026, 1, 7, 14, 0);
    // 351 messages in the week before t.
    let many: Vec<_> = (0..351)
        .map(|k| (last - Duration::minutes(20 * k), Sender::User, "encore"))
        .rev()
        .collect();
    assert_eq!(
        reasons(&decide(&Policy::omni(), &user(PARIS, many))).last(),
        Some(&"wellbeing")
    );
    // Messages at 01:00 local on three distinct nights.
    let mut nights = engaged(last, 5);
    for d in [4, 5, 6] {
        nights.push((local(PARIS, 2026, 1, d, 1, 0), Sender::User, "insomnie"));
    }
    nights.sort_by_key(|e| e.0);
    let ds = decide(&Policy::omni(), &user(PARIS, nights.clone()));
    assert_eq!(ds.last().map(|d| d.reason), Some(Reason::Wellbeing));
    // Two nights are fine; and pushy does not check wellbeing at all.
    nights.retain(|e| e.0 != local(PARIS, 2026, 1, 4, 1, 0));
    assert_eq!(
        decide(&Policy::omni(), &user(PARIS, nights.clone()))
            .last()
            .map(|d| d.reason),
        Some(Reason::Sent)
    );
    let pushy = Policy::preset("pushy").expect("pushy");
    assert!(
        decide(&pushy, &user(PARIS, nights))
            .iter()
            .all(|d| d.reason == Reason::Sent)
    );
}

#[test]
fn decisions_after_until_are_not_reported() {
    let last = local(PARIS, 2026, 1, 7, 14, 0);
    let persona = Persona::new_blank("t", "T");
    let checker = checker_for(&persona);
    let u = user(PARIS, engaged(last, 5));
    let until = Some(last + Duration::hours(23));
    let (ds, _) = super::decide(&Policy::omni(), &checker, &u, until);
    assert!(ds.is_empty());
}

#[test]
fn explain_at_reports_quiet_hours_and_the_silences_decision() {
    let last = local(PARIS, 2026, 1, 7, 14, 0);
    let u = user(PARIS, engaged(last, 3));
    let persona = Persona::new_blank("t", "T");
    let checker = checker_for(&persona);
    let e = explain_at(
        &Policy::omni(),
        &checker,
        &u,
        local(PARIS, 2026, 1, 8, 23, 0),
    );
    assert!(e.in_quiet_hours);
    assert_eq!(e.last_message, Some(last));
    assert_eq!(
        e.evaluation.map(|ev| ev.reason),
        Some(Reason::TooFewMessages)
    );
    assert_eq!(
        e.decision_of_silence.map(|d| d.reason),
        Some(Reason::TooFewMessages)
    );
    let before_any = explain_at(&Policy::omni(), &checker, &u, at("2025-01-01T00:00:00Z"));
    assert!(before_any.evaluation.is_none());
    assert_eq!(before_any.trace.len(), 1);
}

#[test]
fn every_decision_carries_a_trace_with_every_rule() {
    let last = local(PARIS, 2026, 1, 7, 14, 0);
    let u = user(PARIS, engaged(last, 5));
    let p = Policy::omni();
    let ds = decide(&p, &u);
    let steps = trace::decision_trace(&ds[0], &p, &u, None);
    let rules: Vec<_> = steps.iter().map(|s| s.rule.as_str()).collect();
    assert_eq!(
        rules,
        [
            "schedule",
            "minor",
            "opted_out",
            "sensitive",
            "wellbeing",
            "window_expired",
            "too_few_messages"
        ]
    );
    assert!(steps.iter().all(|s| s.passed && !s.detail.is_empty()));
    let _ = Anchor::ALL;
}

#[test]
fn opt_out_words_match_whole_messages_whatever_their_case() {
    use super::facts::{fold_opt_out, is_opt_out};
    let words: Vec<String> = ["stop", "arrête", "désabonner"]
        .iter()
        .map(|w| fold_opt_out(w))
        .collect();
    for yes in [
        "STOP",
        "  Stop !",
        "stop.",
        "Arrête",
        "ARRÊTE!!",
        "Désabonner\u{a0}!",
    ] {
        assert!(is_opt_out(yes, &words), "{yes}");
    }
    for no in [
        "stop please",
        "stoppe",
        "",
        "!",
        "arrête de parler de ça",
        "non",
    ] {
        assert!(!is_opt_out(no, &words), "{no}");
    }
}
