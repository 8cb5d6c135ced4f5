//! Human sentences for decisions: each rule checked, passed or failed, and why.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::facts::{CrisisCatch, UserFacts, instant};
use super::{Check, Decision, Evaluation, Evidence};
use crate::model::decision::{HhMm, Local, LocalShort, TraceStep, local_short};
use crate::model::policy::{Anchor, Policy};
use crate::model::{Lang, Sender, User};
use crate::safety::Classifier;

fn quote(user: &User, event: u32) -> String {
    let text = user
        .events
        .get(event as usize)
        .map_or("", |e| e.text.as_str());
    let short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        format!("\"{short}…\"")
    } else {
        format!("\"{short}\"")
    }
}

fn event_time(user: &User, event: u32) -> String {
    user.events
        .get(event as usize)
        .map_or_else(String::new, |e| local_short(e.at, user.timezone))
}

/// " by the crisis classifier (score 0.91, threshold 0.40 for en (English), …; weighed most
/// "rope", …)": why the classifier held a message back, recomputed from the texts it scored.
fn classifier_sentence(user: &User, event: u32, caught: &CrisisCatch) -> String {
    let texts: Vec<&str> = user
        .events
        .get(caught.from_event as usize..=event as usize)
        .unwrap_or_default()
        .iter()
        .filter(|e| e.from == Sender::User)
        .map(|e| e.text.as_str())
        .collect();
    let explanation = Classifier::builtin().explain(&texts, 5);
    // Each language has its threshold; a locale in another reads at the strictest.
    let language = match Lang::from_locale(&user.locale) {
        Some(lang) => format!("{} ({})", lang.code(), lang.native_name()),
        None => format!("locale {} (another language: the strictest)", user.locale),
    };
    let mut s = format!(
        " by the crisis classifier (score {:.2}, threshold {:.2} for {language}",
        caught.probability, caught.threshold
    );
    if texts.len() > 1 {
        let _ = write!(
            s,
            ", read with the {} earlier message{} of its sitting",
            texts.len() - 1,
            if texts.len() == 2 { "" } else { "s" }
        );
    }
    if !explanation.phrases.is_empty() {
        s.push_str("; weighed most ");
        for (i, p) in explanation.phrases.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            let _ = write!(s, "\"{p}\"");
        }
    }
    s.push(')');
    s
}

/// The sentence for one check of a decision at `at`.
pub fn check_sentence(
    check: &Check,
    policy: &Policy,
    user: &User,
    facts: Option<&UserFacts>,
    at: DateTime<Utc>,
) -> String {
    let tz = user.timezone;
    match check.evidence {
        Evidence::Minor {
            profile_age,
            stated,
        } => match (profile_age, stated) {
            (Some(age), _) if (age as i64) < policy.minor_age => format!(
                "The profile gives age {age}: under {}, no nudge ever.",
                policy.minor_age
            ),
            (_, Some((event, age))) => format!(
                "The user stated age {age} on {} ({}): under {}, no nudge ever.",
                event_time(user, event),
                quote(user, event),
                policy.minor_age
            ),
            (Some(age), None) => format!(
                "The profile gives age {age}, and no message states an age under {}.",
                policy.minor_age
            ),
            (None, None) => format!(
                "No age in the profile, and no message states an age under {}.",
                policy.minor_age
            ),
        },
        Evidence::OptedOut { event } => match event {
            Some(e) => format!(
                "The user sent {} on {}: opted out for good.",
                quote(user, e),
                event_time(user, e)
            ),
            None => "No opt-out word among the user's messages.".to_owned(),
        },
        Evidence::Sensitive { flagged } => match flagged {
            Some((e, category)) => {
                let caught = facts.and_then(|f| f.crisis_of(e));
                let phrase = match caught {
                    Some(c) => classifier_sentence(user, e, c),
                    None => facts
                        .and_then(|f| f.flag_of(e))
                        .map(|f| format!(" (matched \"{}\")", f.matched))
                        .unwrap_or_default(),
                };
                let mut s = format!(
                    "The message of {} {} was flagged {}{phrase}, within the {}-day cooldown.",
                    event_time(user, e),
                    quote(user, e),
                    category.as_str(),
                    policy.sensitive_cooldown_days
                );
                if category == crate::safety::Category::SelfHarm {
                    match policy.crisis_referral(&user.locale) {
                        Some(r) => s.push_str(&format!(
                            " Crisis case: a human-safety protocol must take over, not a nudge. Referral: {r}."
                        )),
                        None => s.push_str(
                            " Crisis case: a human-safety protocol must take over, not a nudge.",
                        ),
                    }
                }
                s
            }
            None => format!(
                "No flagged message in the {} days before {}.",
                policy.sensitive_cooldown_days,
                Local(at, tz)
            ),
        },
        Evidence::Wellbeing {
            messages_7d,
            nights_7d,
        } => {
            let w = policy.wellbeing.unwrap_or_default();
            format!(
                "{messages_7d} user message{} in the 7 days before {}, {} allowed; messages during {nights_7d} night{} ({}–{}), {} allowed.",
                if messages_7d == 1 { "" } else { "s" },
                Local(at, tz),
                w.max_messages_7d,
                if nights_7d == 1 { "" } else { "s" },
                HhMm(w.night_start),
                HhMm(w.night_end),
                w.min_nights_7d - 1
            )
        }
        Evidence::Window {
            anchor_secs,
            deadline_secs,
        } => {
            let anchor = match policy.window.map(|w| w.anchor) {
                Some(Anchor::ConversationStart) => "the conversation started",
                _ => "the last user message",
            };
            let days = policy.window.map_or(0, |w| w.days);
            if check.passed {
                format!(
                    "Send time {} is within {days} days of {anchor} ({}).",
                    LocalShort(at, tz),
                    LocalShort(instant(anchor_secs), tz)
                )
            } else {
                format!(
                    "Send time {} is past the {days}-day window after {anchor} ({}), which closed {}.",
                    LocalShort(at, tz),
                    LocalShort(instant(anchor_secs), tz),
                    LocalShort(instant(deadline_secs), tz)
                )
            }
        }
        Evidence::MessageCount {
            count,
            from_secs,
            to_secs,
        } => {
            let Some(m) = policy.min_messages else {
                return format!("{count} user messages.");
            };
            let noun = if count == 1 { "message" } else { "messages" };
            match m.anchor {
                Anchor::SendTime => format!(
                    "{count} user {noun} in the {} days before {}; {} needed.",
                    m.days,
                    Local(instant(to_secs), tz),
                    m.count
                ),
                Anchor::LastMessage => format!(
                    "{count} user {noun} in the {} days up to the last one ({}); {} needed.",
                    m.days,
                    Local(instant(to_secs), tz),
                    m.count
                ),
                Anchor::ConversationStart => format!(
                    "{count} user {noun} from the start of the conversation ({}) to {}; {} needed.",
                    Local(instant(from_secs), tz),
                    LocalShort(instant(to_secs), tz),
                    m.count
                ),
            }
        }
    }
}

/// The schedule step: when the silence began and how the send time was chosen.
pub fn schedule_sentence(policy: &Policy, user: &User, decision: &Decision) -> String {
    let tz = user.timezone;
    let mut s = String::with_capacity(160);
    let _ = write!(
        s,
        "Last user message {}; ",
        Local(decision.silence_start, tz)
    );
    let _ = if decision.nth > 1 {
        write!(
            s,
            "nudge {} of this silence, due {}",
            decision.nth,
            LocalShort(decision.base, tz)
        )
    } else {
        write!(
            s,
            "{} later is {}",
            crate::model::policy::hours_phrase(policy.delay_hours),
            LocalShort(decision.base, tz)
        )
    };
    let _ = match &policy.quiet_hours {
        Some(q) if decision.base != decision.at => write!(
            s,
            ", in quiet hours {}–{}: moved to {}.",
            HhMm(q.start),
            HhMm(q.end),
            LocalShort(decision.at, tz)
        ),
        Some(q) => write!(
            s,
            ", outside quiet hours {}–{}.",
            HhMm(q.start),
            HhMm(q.end)
        ),
        None => {
            s.push_str(", and this policy has no quiet hours.");
            Ok(())
        }
    };
    s
}

/// Every step of a decision's trace: the schedule, each rule in order, then the composer's steps.
pub fn decision_trace(
    decision: &Decision,
    policy: &Policy,
    user: &User,
    facts: Option<&UserFacts>,
) -> Vec<TraceStep> {
    let DecisionTrace { mut rules, compose } = decision_trace_parts(decision, policy, user, facts);
    rules.extend_from_slice(compose);
    rules
}

/// [`decision_trace`] in two parts, the composer's steps borrowed from the decision rather than
/// copied: the JSON output writes them straight from there.
pub fn decision_trace_parts<'a>(
    decision: &'a Decision,
    policy: &Policy,
    user: &User,
    facts: Option<&UserFacts>,
) -> DecisionTrace<'a> {
    let mut rules = Vec::with_capacity(1 + decision.evaluation.checks().count());
    rules.push(TraceStep::new(
        "schedule",
        true,
        schedule_sentence(policy, user, decision),
    ));
    rules.extend(decision.evaluation.checks().map(|c| {
        TraceStep::new(
            c.rule.as_str(),
            c.passed,
            check_sentence(c, policy, user, facts, decision.at),
        )
    }));
    DecisionTrace {
        rules,
        compose: &decision.compose_trace,
    }
}

/// A decision's trace as [`decision_trace_parts`] gives it; serialised as one sequence, the
/// same as [`decision_trace`]'s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionTrace<'a> {
    /// The schedule and the policy's rules, in order.
    pub rules: Vec<TraceStep>,
    /// The composer's steps.
    pub compose: &'a [TraceStep],
}

impl DecisionTrace<'_> {
    /// Every step, in order.
    pub fn iter(&self) -> impl Iterator<Item = &TraceStep> {
        self.rules.iter().chain(self.compose)
    }
}

impl Serialize for DecisionTrace<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// The steps of an explanation at an arbitrary instant.
pub fn explain_steps(
    policy: &Policy,
    user: &User,
    facts: &UserFacts,
    at: DateTime<Utc>,
    last_message: Option<DateTime<Utc>>,
    in_quiet_hours: bool,
    evaluation: Option<&Evaluation>,
) -> Vec<TraceStep> {
    let tz = user.timezone;
    let mut steps = Vec::new();
    let Some(last) = last_message else {
        steps.push(TraceStep::new(
            "silence",
            false,
            format!(
                "The user has not written before {}: there is no silence to follow up.",
                Local(at, tz)
            ),
        ));
        return steps;
    };
    let due = last + chrono::Duration::hours(policy.delay_hours);
    steps.push(TraceStep::new(
        "silence",
        at >= due,
        format!(
            "Last user message {}; a nudge is considered from {} ({} later).",
            Local(last, tz),
            LocalShort(due, tz),
            crate::model::policy::hours_phrase(policy.delay_hours)
        ),
    ));
    if let Some(q) = &policy.quiet_hours {
        steps.push(TraceStep::new(
            "quiet_hours",
            !in_quiet_hours,
            if in_quiet_hours {
                format!(
                    "{} is in quiet hours {}–{}: the nudge would wait until {}.",
                    Local(at, tz),
                    HhMm(q.start),
                    HhMm(q.end),
                    HhMm(q.end)
                )
            } else {
                format!(
                    "{} is outside quiet hours {}–{}.",
                    Local(at, tz),
                    HhMm(q.start),
                    HhMm(q.end)
                )
            },
        ));
    }
    if let Some(e) = evaluation {
        steps.extend(e.checks().map(|c| {
            TraceStep::new(
                c.rule.as_str(),
                c.passed,
                check_sentence(c, policy, user, Some(facts), at),
            )
        }));
    }
    steps
}
