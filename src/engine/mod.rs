//! The policy engine: from a user's message history to explainable nudge decisions.
//!
//! Every user message `L` opens a silence. The policy schedules candidate send times in it
//! ([`schedule`]), and each candidate that the user does not pre-empt by writing again becomes a
//! [`Decision`]: every rule of the policy is evaluated ([`evaluate`]) and the first failing one, in
//! the policy's order, is the reason the nudge is held back. The engine is pure: simulated time
//! only, no wall clock, no randomness.

pub mod facts;
pub mod spans;
pub mod trace;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;

use crate::model::decision::{Composed, Nudge};
use crate::model::policy::{Anchor, Policy, QuietHours, Rule};
use crate::model::{Channel, Persona, User};
use crate::safety::{Category, SafetyChecker};

pub use crate::model::decision::{Outcome, Reason, TraceStep};
pub use facts::{MessageFacts, UserFacts, instant};

/// What a check measured, for its trace sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// Age from the profile, and the first message stating an age under the minimum.
    Minor {
        /// The profile's age.
        profile_age: Option<u32>,
        /// Event index and age of the first under-age statement.
        stated: Option<(u32, u8)>,
    },
    /// Event index of the first opt-out message.
    OptedOut {
        /// The opt-out message.
        event: Option<u32>,
    },
    /// The latest flagged message in the cooldown.
    Sensitive {
        /// Event index and category.
        flagged: Option<(u32, Category)>,
    },
    /// Messages and nights in the 7 days before `t`.
    Wellbeing {
        /// User messages in `[t − 7 days, t]`.
        messages_7d: u32,
        /// Distinct nights with messages in that span.
        nights_7d: u32,
    },
    /// The window's deadline.
    Window {
        /// Anchor instant (seconds).
        anchor_secs: i64,
        /// Deadline (seconds).
        deadline_secs: i64,
    },
    /// The message count and the span it was counted over.
    MessageCount {
        /// Messages counted.
        count: u32,
        /// Span start (seconds).
        from_secs: i64,
        /// Span end (seconds).
        to_secs: i64,
    },
}

/// One rule checked for a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Check {
    /// The rule.
    pub rule: Rule,
    /// Whether it allows the nudge.
    pub passed: bool,
    /// What it measured.
    pub evidence: Evidence,
}

/// A candidate send time in a silence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Index of the user message that opened the silence.
    pub silence: usize,
    /// 1 for the first nudge of the silence, 2 for the next…
    pub nth: u32,
    /// The unshifted time: `L + delay (+ repeats)` (seconds).
    pub base_secs: i64,
    /// The send time after the quiet-hours shift (seconds).
    pub at_secs: i64,
}

/// Every rule of a policy evaluated at one instant, in the policy's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Evaluation {
    checks: [Option<Check>; 6],
    /// The first failing rule's reason, or `Sent`.
    pub reason: Reason,
    /// A self-harm flag lies in the cooldown: a human-safety protocol must take over.
    pub crisis: bool,
}

impl Evaluation {
    /// The checks made, in order.
    pub fn checks(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().flatten()
    }
}

/// The user data rules need beside the message facts.
#[derive(Clone, Copy, Debug)]
pub struct Profile<'a> {
    /// Age from the profile.
    pub age: Option<u32>,
    /// Time zone.
    pub timezone: Tz,
    /// Locale.
    pub locale: &'a str,
}

impl<'a> Profile<'a> {
    /// The profile of a scenario user.
    pub fn of(user: &'a User) -> Self {
        Self {
            age: user.age,
            timezone: user.timezone,
            locale: &user.locale,
        }
    }
}

/// Moves `at_secs` out of the quiet hours to their end, local time of `tz`.
pub fn shift_out_of_quiet(at_secs: i64, quiet: &QuietHours, tz: Tz) -> i64 {
    let Some(local) = tz.timestamp_opt(at_secs, 0).single() else {
        return at_secs;
    };
    if !quiet.contains(local.time()) {
        return at_secs;
    }
    let mut date = local.date_naive();
    if local.time() >= quiet.end {
        date = date.succ_opt().unwrap_or(date);
    }
    let naive = date.and_time(quiet.end);
    // A local time skipped by a clock change resolves to the first valid instant after it.
    let resolved = tz.from_local_datetime(&naive).earliest().or_else(|| {
        tz.from_local_datetime(&(naive + Duration::hours(1)))
            .earliest()
    });
    resolved.map_or(at_secs, |t| t.timestamp().max(at_secs))
}

/// The unshifted time of the `k`-th (0-based) candidate of a silence opened at `silence_secs`:
/// `L + delay + k × repeat`.
pub fn candidate_base_secs(policy: &Policy, silence_secs: i64, k: i64) -> i64 {
    silence_secs + policy.delay_hours * 3600 + k * policy.repeat_every_hours * 3600
}

/// The `k`-th (0-based) candidate of a silence opened at `silence_secs`: its unshifted time and
/// its send time after the quiet-hours shift, as [`schedule`] computes them.
pub fn candidate_secs(policy: &Policy, timezone: Tz, silence_secs: i64, k: i64) -> (i64, i64) {
    let base = candidate_base_secs(policy, silence_secs, k);
    let at = match &policy.quiet_hours {
        Some(q) => shift_out_of_quiet(base, q, timezone),
        None => base,
    };
    (base, at)
}

/// Calls `f` with every candidate of every silence of `facts`, in time order, that the user
/// does not pre-empt and that falls at or before `until_secs`.
pub fn schedule(
    policy: &Policy,
    timezone: Tz,
    facts: &UserFacts,
    until_secs: Option<i64>,
    mut f: impl FnMut(Candidate),
) {
    let messages = &facts.messages;
    for (i, m) in messages.iter().enumerate() {
        let next = messages.get(i + 1).map(|n| n.at_secs);
        for k in 0..policy.max_nudges_per_silence.max(1) {
            // The quiet-hours shift only moves a candidate later: a message at or before the
            // unshifted time pre-empts it without converting to local time.
            if next.is_some_and(|n| n <= candidate_base_secs(policy, m.at_secs, k)) {
                break;
            }
            let (base, at) = candidate_secs(policy, timezone, m.at_secs, k);
            if next.is_some_and(|n| n <= at) || until_secs.is_some_and(|u| at > u) {
                break;
            }
            f(Candidate {
                silence: i,
                nth: k as u32 + 1,
                base_secs: base,
                at_secs: at,
            });
        }
    }
}

/// Evaluates every rule of `policy` for a nudge at `t_secs`, given the messages sent up to then.
/// `facts` must have been indexed under the same policy.
pub fn evaluate(
    policy: &Policy,
    profile: &Profile<'_>,
    facts: &UserFacts,
    t_secs: i64,
) -> Evaluation {
    let upto = facts.count_up_to(t_secs);
    let mut checks = [None; 6];
    let mut reason = Reason::Sent;
    let mut crisis = false;
    let last = upto.checked_sub(1).map(|i| &facts.messages[i]);
    for (slot, rule) in policy.order.iter().take(6).enumerate() {
        let check = match rule {
            Rule::Minor => {
                let profile_minor = profile.age.is_some_and(|a| (a as i64) < policy.minor_age);
                let stated = facts.stated_minor.first().filter(|&&i| i < upto).map(|&i| {
                    (
                        facts.messages[i].event,
                        facts.messages[i].stated_age.unwrap_or(0),
                    )
                });
                Check {
                    rule: *rule,
                    passed: !profile_minor && stated.is_none(),
                    evidence: Evidence::Minor {
                        profile_age: profile.age,
                        stated,
                    },
                }
            }
            Rule::OptedOut => {
                let event = facts
                    .first_opt_out
                    .filter(|&i| i < upto)
                    .map(|i| facts.messages[i].event);
                Check {
                    rule: *rule,
                    passed: event.is_none(),
                    evidence: Evidence::OptedOut { event },
                }
            }
            Rule::Sensitive => {
                let from = t_secs - policy.sensitive_cooldown_days * 86_400;
                let end = facts.blocking.partition_point(|&i| i < upto);
                let in_cooldown = facts.blocking[..end]
                    .iter()
                    .rev()
                    .take_while(|&&i| facts.messages[i].at_secs >= from);
                let mut flagged = None;
                for &i in in_cooldown {
                    let m = &facts.messages[i];
                    let category = m.blocking.unwrap_or(Category::SelfHarm);
                    if flagged.is_none() {
                        flagged = Some((m.event, category));
                    }
                    if category == Category::SelfHarm {
                        crisis = true;
                        flagged = Some((m.event, category));
                        break;
                    }
                }
                Check {
                    rule: *rule,
                    passed: flagged.is_none(),
                    evidence: Evidence::Sensitive { flagged },
                }
            }
            Rule::Wellbeing => {
                let Some(w) = &policy.wellbeing else { continue };
                let lo = facts.count_before(t_secs - 7 * 86_400);
                let messages_7d = (upto - lo) as u32;
                let start = facts.night.partition_point(|&i| i < lo);
                let end = facts.night.partition_point(|&i| i < upto);
                let mut nights_7d = 0u32;
                let mut previous = None;
                for &i in &facts.night[start..end] {
                    let night = facts.messages[i].night;
                    if night != previous {
                        nights_7d += 1;
                        previous = night;
                    }
                }
                Check {
                    rule: *rule,
                    passed: (messages_7d as i64) <= w.max_messages_7d
                        && (nights_7d as i64) < w.min_nights_7d,
                    evidence: Evidence::Wellbeing {
                        messages_7d,
                        nights_7d,
                    },
                }
            }
            Rule::WindowExpired => {
                let (Some(w), Some(last)) = (&policy.window, last) else {
                    continue;
                };
                let anchor_secs = match w.anchor {
                    Anchor::ConversationStart => facts.conversation_start_secs[upto - 1],
                    Anchor::LastMessage | Anchor::SendTime => last.at_secs,
                };
                let deadline_secs = anchor_secs + w.days * 86_400;
                Check {
                    rule: *rule,
                    passed: t_secs <= deadline_secs,
                    evidence: Evidence::Window {
                        anchor_secs,
                        deadline_secs,
                    },
                }
            }
            Rule::TooFewMessages => {
                let (Some(m), Some(last)) = (&policy.min_messages, last) else {
                    continue;
                };
                let span = m.days * 86_400;
                let (from_secs, to_secs) = match m.anchor {
                    Anchor::SendTime => (t_secs - span, t_secs),
                    Anchor::LastMessage => (last.at_secs - span, last.at_secs),
                    Anchor::ConversationStart => {
                        let start = facts.conversation_start_secs[upto - 1];
                        (start, (start + span).min(t_secs))
                    }
                };
                let count = (facts.count_up_to(to_secs) - facts.count_before(from_secs)) as u32;
                Check {
                    rule: *rule,
                    passed: count as i64 >= m.count,
                    evidence: Evidence::MessageCount {
                        count,
                        from_secs,
                        to_secs,
                    },
                }
            }
        };
        if !check.passed && reason == Reason::Sent {
            reason = Reason::of_rule(check.rule);
        }
        checks[slot] = Some(check);
    }
    Evaluation {
        checks,
        reason,
        crisis,
    }
}

/// One decision of the engine: a candidate nudge, sent or held back, with everything that
/// explains it.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// The send time.
    pub at: DateTime<Utc>,
    /// The user message that opened the silence.
    pub silence_start: DateTime<Utc>,
    /// Event index of that message.
    pub silence_event: u32,
    /// 1 for the first nudge of the silence.
    pub nth: u32,
    /// `L + delay` before the quiet-hours shift.
    pub base: DateTime<Utc>,
    /// The channel of the message that opened the silence.
    pub channel: Channel,
    /// Sent or suppressed.
    pub outcome: Outcome,
    /// `sent` or the first failing reason.
    pub reason: Reason,
    /// The rules checked.
    pub evaluation: Evaluation,
    /// The crisis referral, when a self-harm flag lies in the cooldown.
    pub crisis_referral: Option<String>,
    /// The message of a sent decision, once the composer wrote it (the engine leaves it empty;
    /// `replay` fills it).
    pub message: Option<Composed>,
    /// The composer's steps (templates tried, output checks, channel template).
    pub compose_trace: Vec<TraceStep>,
}

impl Decision {
    /// What the composer needs of this decision.
    pub fn nudge(&self) -> Nudge {
        Nudge {
            at: self.at,
            silence_start: self.silence_start,
            silence_event: self.silence_event,
            nth: self.nth,
            channel: self.channel,
        }
    }

    /// The text of a sent nudge.
    pub fn text(&self) -> Option<&str> {
        self.message.as_ref().map(|m| m.text.as_str())
    }

    /// "sent" or "held back".
    pub fn outcome_word(&self) -> &'static str {
        match self.outcome {
            Outcome::Sent => "sent",
            Outcome::Suppressed => "held back",
        }
    }
}

/// Every decision for one user.
#[derive(Clone, Debug, PartialEq)]
pub struct UserDecisions {
    /// Index of the user in the scenario.
    pub user: usize,
    /// Decisions in time order.
    pub decisions: Vec<Decision>,
}

/// A replay of a scenario under a policy, collected whole (`replay::replay`).
#[derive(Clone, Debug, PartialEq)]
pub struct Replay {
    /// The policy applied.
    pub policy: Policy,
    /// Decisions per user, in scenario order.
    pub users: Vec<UserDecisions>,
}

impl Replay {
    /// Numbers of sent and suppressed decisions.
    pub fn totals(&self) -> (usize, usize) {
        let mut sent = 0;
        let mut held = 0;
        for d in self.users.iter().flat_map(|u| &u.decisions) {
            match d.outcome {
                Outcome::Sent => sent += 1,
                Outcome::Suppressed => held += 1,
            }
        }
        (sent, held)
    }

    /// The decisions of a user, by scenario index.
    pub fn of_user(&self, user: usize) -> &[Decision] {
        self.users
            .iter()
            .find(|u| u.user == user)
            .map_or(&[], |u| u.decisions.as_slice())
    }
}

/// The checker for a persona: the built-in lexicons plus the persona's additions.
///
/// Invalid additions are left out one by one (the valid ones still apply), and a crisis
/// threshold above the shipped floor is replaced by the floor: the checker is never weaker
/// than the built-in one. [`SafetyAdditions::problems`](crate::safety::SafetyAdditions::problems)
/// names what was left out; `relance check`, the studio's validation and the CLI's persona
/// loading report it.
pub fn checker_for(persona: &Persona) -> SafetyChecker {
    if persona.safety.is_empty() {
        SafetyChecker::builtin().clone()
    } else {
        SafetyChecker::with_valid_additions(&persona.safety).0
    }
}

/// The decisions for one user up to `until`, in time order, and the facts they were made from
/// (the flags that traces quote). Sent decisions carry no text yet: composing it is the
/// composer's job, joined to the engine's by `replay`.
pub fn decide(
    policy: &Policy,
    checker: &SafetyChecker,
    user: &User,
    until: Option<DateTime<Utc>>,
) -> (Vec<Decision>, UserFacts) {
    let facts = UserFacts::from_user(user, policy, checker);
    let profile = Profile::of(user);
    let mut decisions = Vec::new();
    schedule(
        policy,
        user.timezone,
        &facts,
        until.map(|u| u.timestamp()),
        |c| {
            let evaluation = evaluate(policy, &profile, &facts, c.at_secs);
            let silence = &facts.messages[c.silence];
            decisions.push(Decision {
                at: instant(c.at_secs),
                silence_start: instant(silence.at_secs),
                silence_event: silence.event,
                nth: c.nth,
                base: instant(c.base_secs),
                channel: silence.channel,
                outcome: evaluation.reason.outcome(),
                reason: evaluation.reason,
                evaluation,
                crisis_referral: evaluation
                    .crisis
                    .then(|| policy.crisis_referral(&user.locale).map(str::to_owned))
                    .flatten(),
                message: None,
                compose_trace: Vec::new(),
            });
        },
    );
    (decisions, facts)
}

/// What the engine would decide for a user at an arbitrary instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// The instant asked about.
    pub at: DateTime<Utc>,
    /// The user's last message at or before it, if any.
    pub last_message: Option<DateTime<Utc>>,
    /// Whether the instant falls in the user's quiet hours.
    pub in_quiet_hours: bool,
    /// The rules evaluated at that instant.
    pub evaluation: Option<Evaluation>,
    /// The trace sentences.
    pub trace: Vec<TraceStep>,
    /// The actual decision of the silence the instant falls in, if the engine makes one (without
    /// its text: `replay::explain_at` composes it).
    pub decision_of_silence: Option<Decision>,
}

/// Explains what the engine would decide for `user` if a nudge were considered at `at`.
pub fn explain_at(
    policy: &Policy,
    checker: &SafetyChecker,
    user: &User,
    at: DateTime<Utc>,
) -> Explanation {
    let facts = UserFacts::from_user(user, policy, checker);
    let profile = Profile::of(user);
    let t = at.timestamp();
    let upto = facts.count_up_to(t);
    let last_message = upto
        .checked_sub(1)
        .map(|i| instant(facts.messages[i].at_secs));
    let in_quiet_hours = policy
        .quiet_hours
        .as_ref()
        .is_some_and(|q| q.contains(at.with_timezone(&user.timezone).time()));
    let evaluation = last_message.map(|_| evaluate(policy, &profile, &facts, t));
    let trace = trace::explain_steps(
        policy,
        user,
        &facts,
        at,
        last_message,
        in_quiet_hours,
        evaluation.as_ref(),
    );
    let decision_of_silence = last_message.and_then(|last| {
        decide(policy, checker, user, None)
            .0
            .into_iter()
            .find(|d| d.silence_start == last)
    });
    Explanation {
        at,
        last_message,
        in_quiet_hours,
        evaluation,
        trace,
        decision_of_silence,
    }
}

#[cfg(test)]
mod tests;
