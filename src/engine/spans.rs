//! Time spans a timeline shades for one user: the quiet hours, the window in which a follow-up
//! may go out after each silence, and the periods in which the user meets the message-count
//! condition.
//!
//! Pure functions of a policy and a user's facts, computed with the engine's own rules
//! ([`shift_out_of_quiet`], [`evaluate`]) so what a plot shades is exactly what the engine decides.
//! Spans are half-open `(start_secs, end_secs)` pairs in unix seconds, sorted and disjoint.

use chrono::{Duration, TimeZone};
use chrono_tz::Tz;

use super::{Decision, Evidence, Profile, UserFacts, evaluate, shift_out_of_quiet};
use crate::model::policy::{Policy, QuietHours, Rule};

/// The quiet hours of `quiet`, local time of `tz`, that overlap `[from_secs, to_secs)`, clipped
/// to it.
pub fn quiet_hours_spans(
    quiet: &QuietHours,
    tz: Tz,
    from_secs: i64,
    to_secs: i64,
) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    if from_secs >= to_secs || quiet.start == quiet.end {
        return out;
    }
    let Some(first) = tz.timestamp_opt(from_secs, 0).single() else {
        return out;
    };
    // Quiet hours that wrap midnight began the local day before `from_secs`.
    let mut date = first.date_naive() - Duration::days(1);
    loop {
        let naive = date.and_time(quiet.start);
        // A start skipped by a clock change counts from the first valid instant after it.
        let Some(start) = tz.from_local_datetime(&naive).earliest().or_else(|| {
            tz.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        }) else {
            date = date.succ_opt().unwrap_or(date);
            continue;
        };
        let start_secs = start.timestamp();
        if start_secs >= to_secs {
            break;
        }
        let end_secs = shift_out_of_quiet(start_secs, quiet, tz);
        let (a, b) = (start_secs.max(from_secs), end_secs.min(to_secs));
        if a < b {
            match out.last_mut() {
                Some(last) if last.1 >= a => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    out
}

/// The periods within `[from_secs, to_secs)` in which a nudge would pass the policy's
/// message-count condition (`min_messages`), or `None` when the policy sets no such condition.
/// `facts` must have been built under `policy`.
pub fn message_count_spans(
    policy: &Policy,
    profile: &Profile<'_>,
    facts: &UserFacts,
    from_secs: i64,
    to_secs: i64,
) -> Option<Vec<(i64, i64)>> {
    let condition = policy.min_messages?;
    let mut only_count = policy.clone();
    only_count.order = vec![Rule::TooFewMessages];
    let span = condition.days * 86_400;
    // The condition can only change at a message, when a message leaves the counted span, or
    // when a conversation's counted span ends.
    let mut cuts: Vec<i64> = Vec::with_capacity(facts.messages.len() * 3 + 2);
    cuts.push(from_secs);
    cuts.push(to_secs);
    for (m, start) in facts.messages.iter().zip(&facts.conversation_start_secs) {
        cuts.extend([m.at_secs, m.at_secs + span + 1, start + span + 1]);
    }
    cuts.retain(|&c| (from_secs..=to_secs).contains(&c));
    cuts.sort_unstable();
    cuts.dedup();
    let mut out: Vec<(i64, i64)> = Vec::new();
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        // The condition is constant strictly inside a segment: test its middle.
        let probe = if b - a >= 2 { a + (b - a) / 2 } else { a };
        let met = evaluate(&only_count, profile, facts, probe)
            .checks()
            .any(|c| c.rule == Rule::TooFewMessages && c.passed);
        if met {
            match out.last_mut() {
                Some(last) if last.1 == a => last.1 = b,
                _ => out.push((a, b)),
            }
        }
    }
    Some(out)
}

/// The window in which the follow-up of `decision`'s silence may go out: from the user's last
/// message plus the policy's delay to the window's deadline, ended early by the user's next
/// message `next_message_secs`. `None` as the end means no limit.
pub fn follow_up_window(
    policy: &Policy,
    decision: &Decision,
    next_message_secs: Option<i64>,
) -> (i64, Option<i64>) {
    let start = decision.silence_start.timestamp() + policy.delay_hours * 3600;
    let deadline = decision.evaluation.checks().find_map(|c| match c.evidence {
        Evidence::Window { deadline_secs, .. } => Some(deadline_secs),
        _ => None,
    });
    let end = match (deadline, next_message_secs) {
        (Some(d), Some(n)) => Some(d.min(n)),
        (d, n) => d.or(n),
    };
    (start, end.map(|e| e.max(start)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{checker_for, decide};
    use crate::model::policy::{Anchor, MinMessages};
    use crate::model::scenario::ScenarioFormat;
    use crate::model::{Persona, Scenario};
    use chrono::NaiveTime;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
    }

    fn secs(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("valid instant")
            .timestamp()
    }

    #[test]
    fn quiet_hours_wrap_midnight_in_the_users_zone() {
        let q = QuietHours {
            start: hm(21, 0),
            end: hm(9, 0),
        };
        let from = secs("2026-01-05T12:00:00Z");
        let to = secs("2026-01-07T12:00:00Z");
        let spans = quiet_hours_spans(&q, chrono_tz::Europe::Paris, from, to);
        // Paris is UTC+1 in January: 20:00Z to 08:00Z, twice.
        assert_eq!(
            spans,
            [
                (secs("2026-01-05T20:00:00Z"), secs("2026-01-06T08:00:00Z")),
                (secs("2026-01-06T20:00:00Z"), secs("2026-01-07T08:00:00Z")),
            ]
        );
        // Clipped at both ends.
        let inside = quiet_hours_spans(
            &q,
            chrono_tz::Europe::Paris,
            secs("2026-01-06T02:00:00Z"),
            secs("2026-01-06T03:00:00Z"),
        );
        assert_eq!(
            inside,
            [(secs("2026-01-06T02:00:00Z"), secs("2026-01-06T03:00:00Z"))]
        );
    }

    #[test]
    fn quiet_hours_within_one_day() {
        let q = QuietHours {
            start: hm(1, 0),
            end: hm(6, 0),
        };
        let spans = quiet_hours_spans(
            &q,
            chrono_tz::UTC,
            secs("2026-01-05T00:00:00Z"),
            secs("2026-01-06T00:00:00Z"),
        );
        assert_eq!(
            spans,
            [(secs("2026-01-05T01:00:00Z"), secs("2026-01-05T06:00:00Z"))]
        );
    }

    const USER: &str = r#"{"name": "s", "users": [{"id": "a", "timezone": "UTC", "locale": "en",
      "events": [
        {"at": "2026-01-01T10:00:00Z", "from": "user", "channel": "messenger", "text": "one"},
        {"at": "2026-01-02T10:00:00Z", "from": "user", "channel": "messenger", "text": "two"},
        {"at": "2026-01-03T10:00:00Z", "from": "user", "channel": "messenger", "text": "three"},
        {"at": "2026-01-20T10:00:00Z", "from": "user", "channel": "messenger", "text": "four"}
      ]}]}"#;

    #[test]
    fn message_count_spans_follow_the_sliding_window() {
        let (scenario, _) = Scenario::from_str(USER, ScenarioFormat::Json, "s.json".as_ref())
            .expect("scenario loads");
        let user = &scenario.users[0];
        let mut policy = Policy::omni();
        policy.min_messages = Some(MinMessages {
            count: 2,
            days: 14,
            anchor: Anchor::SendTime,
        });
        let persona = Persona::new_blank("p", "P");
        let facts = UserFacts::from_user(user, &policy, &checker_for(&persona));
        let profile = Profile::of(user);
        let from = secs("2026-01-01T00:00:00Z");
        let to = secs("2026-02-01T00:00:00Z");
        let spans = message_count_spans(&policy, &profile, &facts, from, to).expect("a condition");
        // Two messages from the second one until the first leaves the 14 days... and the third
        // keeps two in until the second leaves; the lone fourth message never makes two.
        assert_eq!(
            spans,
            [(secs("2026-01-02T10:00:00Z"), secs("2026-01-16T10:00:01Z"))]
        );
        // Each span agrees with the engine at its edges.
        let mut check = policy.clone();
        check.order = vec![Rule::TooFewMessages];
        let passes =
            |t: i64| evaluate(&check, &profile, &facts, t).reason == super::super::Reason::Sent;
        assert!(passes(spans[0].0));
        assert!(passes(spans[0].1 - 1));
        assert!(!passes(spans[0].1 + 1));
        assert!(!passes(spans[0].0 - 1));
        policy.min_messages = None;
        assert!(message_count_spans(&policy, &profile, &facts, from, to).is_none());
    }

    #[test]
    fn follow_up_window_runs_from_the_delay_to_the_deadline() {
        let (scenario, _) = Scenario::from_str(USER, ScenarioFormat::Json, "s.json".as_ref())
            .expect("scenario loads");
        let user = &scenario.users[0];
        let persona = Persona::new_blank("p", "P");
        let policy = Policy::omni();
        let (decisions, _) = decide(&policy, &checker_for(&persona), user, scenario.horizon());
        let last = decisions.last().expect("the last silence has a decision");
        let (start, end) = follow_up_window(&policy, last, None);
        assert_eq!(start, secs("2026-01-21T10:00:00Z"));
        assert_eq!(end, Some(secs("2026-02-03T10:00:00Z")));
        let (_, cut) = follow_up_window(&policy, last, Some(secs("2026-01-25T00:00:00Z")));
        assert_eq!(cut, Some(secs("2026-01-25T00:00:00Z")));
    }
}
