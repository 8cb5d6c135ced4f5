//! What the engine needs to know about each user message, computed once per user and policy.
//!
//! Scenario replays build [`UserFacts`] from message texts (safety check, stated age, opt-out);
//! the population simulation builds them directly from synthetic users, without any text.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use chrono_tz::Tz;

use crate::model::policy::{Policy, Wellbeing, night_of};
use crate::model::{Channel, Lang, Sender, User};
use crate::safety::{Category, Evidence, Flag, SafetyChecker};

/// The most time between two user messages of one sitting: the crisis classifier also scores
/// each message joined with the earlier messages of its sitting.
pub const SITTING_GAP_SECS: i64 = 3600;

/// How many messages of a sitting are read together at most: a message and the ones just
/// before it. A longer span would let a word repeated all evening ("encore") add up to a
/// crisis, since the evidence of a sitting is the sum of its messages'.
pub const SITTING_MESSAGES: usize = 3;

/// A message the crisis classifier flagged (and the lexicons did not flag `self_harm`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CrisisCatch {
    /// The probability that passed the threshold (of the message alone, or of its sitting).
    pub probability: f32,
    /// The threshold it passed.
    pub threshold: f32,
    /// Event index of the first message scored with it: the message itself when it passed
    /// alone, the first message of its sitting when only the sitting passed.
    pub from_event: u32,
}

/// One user message, reduced to what the rules look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageFacts {
    /// Unix time in seconds.
    pub at_secs: i64,
    /// Index of the message among the user's events (the message index for synthetic users).
    pub event: u32,
    /// Channel the message came on.
    pub channel: Channel,
    /// The message is an opt-out word.
    pub opt_out: bool,
    /// Category of the first blocking flag, if any.
    pub blocking: Option<Category>,
    /// An age the user states in this message.
    pub stated_age: Option<u8>,
    /// The local night the message was sent in, as a day number, if sent at night.
    pub night: Option<i32>,
}

/// Every user message of one user with indexes the rules query, in time order.
#[derive(Clone, Debug, Default)]
pub struct UserFacts {
    /// The user's messages, in time order.
    pub messages: Vec<MessageFacts>,
    /// Flags of blocking messages, by event index, for traces.
    pub flags: Vec<(u32, Flag)>,
    /// Messages the crisis classifier flagged `self_harm` where the lexicons did not, by
    /// event index, for traces.
    pub crisis: Vec<(u32, CrisisCatch)>,
    /// For each of `messages`, the category of its first flag of any category, blocking or
    /// not (what the composer's memory leaves out); empty when the facts were not read from
    /// texts (synthetic users).
    pub first_flags: Vec<Option<Category>>,
    /// Start of the conversation each message belongs to (unix seconds).
    pub conversation_start_secs: Vec<i64>,
    /// Index of the first opt-out message.
    pub first_opt_out: Option<usize>,
    /// Indexes of messages with a blocking flag.
    pub blocking: Vec<usize>,
    /// Indexes of messages stating an age under the policy's minimum.
    pub stated_minor: Vec<usize>,
    /// Indexes of messages sent at night.
    pub night: Vec<usize>,
}

/// Whether `text`, trimmed, case-folded and without trailing punctuation, is one of `words`
/// (already folded with [`fold_opt_out`]).
pub fn is_opt_out(text: &str, folded_words: &[String]) -> bool {
    is_opt_out_within(text, folded_words, longest_chars(folded_words))
}

/// The length in characters of the longest of `words`.
fn longest_chars(words: &[String]) -> usize {
    words.iter().map(|w| w.chars().count()).max().unwrap_or(0)
}

/// [`is_opt_out`] given the length of the longest opt-out word (`longest_chars`), counted once
/// for all the messages of a user.
fn is_opt_out_within(text: &str, folded_words: &[String], longest: usize) -> bool {
    // Lowercasing never makes a text shorter in characters, so a message longer than every
    // opt-out word is none of them: most messages are, and are not lowercased at all.
    if trim_opt_out(text).chars().nth(longest).is_some() {
        return false;
    }
    let t = fold_opt_out(text);
    !t.is_empty() && folded_words.contains(&t)
}

/// The form opt-out words are compared in: trimmed, lowercase, trailing `.!` removed.
pub fn fold_opt_out(text: &str) -> String {
    trim_opt_out(text).to_lowercase()
}

fn trim_opt_out(text: &str) -> &str {
    text.trim()
        .trim_end_matches(['.', '!', ' ', '\u{a0}'])
        .trim()
}

/// The wellbeing night the message sent at `at_secs` belongs to, from its local time in `tz`.
fn local_night(tz: Tz, at_secs: i64, w: &Wellbeing) -> Option<i32> {
    let local = tz.timestamp_opt(at_secs, 0).single()?;
    night_of(
        local.date_naive().num_days_from_ce(),
        local.time(),
        w.night_start,
        w.night_end,
    )
}

impl UserFacts {
    /// Builds the facts of a scenario user under `policy`, scanning texts with `checker`.
    pub fn from_user(user: &User, policy: &Policy, checker: &SafetyChecker) -> Self {
        let words: Vec<String> = policy
            .opt_out_words
            .iter()
            .map(|w| fold_opt_out(w))
            .collect();
        let longest = longest_chars(&words);
        let mut facts = UserFacts::default();
        // The earlier messages of the current sitting that are read with each message (at most
        // `SITTING_MESSAGES - 1`, newest last): their evidence, event index, and whether they
        // were flagged `self_harm`. While a flagged one is among them, the messages after it
        // ("ok") are part of that crisis, with no sitting catch of their own, so the trace
        // names the message that said it; once it has left them, a crisis said anew over
        // short messages is caught again.
        let mut earlier: Vec<(Evidence, u32, bool)> = Vec::with_capacity(SITTING_MESSAGES);
        // The classifier reads the user's messages at the threshold of the user's language.
        let lang = Lang::from_locale(&user.locale);
        let mut last_at = i64::MIN;
        for (i, event) in user.events.iter().enumerate() {
            if event.from != Sender::User {
                continue;
            }
            let reading = checker.read_message(&event.text);
            facts.first_flags.push(reading.first_flag);
            let mut blocking = reading.blocking.as_ref().map(|f| f.category);
            if let Some(flag) = reading.blocking {
                facts.flags.push((i as u32, flag));
            }
            let at_secs = event.at.timestamp();
            if last_at == i64::MIN || at_secs - last_at > SITTING_GAP_SECS {
                earlier.clear();
            }
            last_at = at_secs;
            let sitting = earlier
                .iter()
                .fold(reading.crisis, |sum, (e, _, _)| sum.plus(*e));
            let sitting_from = earlier.first().map_or(i as u32, |&(_, from, _)| from);
            let sitting_flagged = earlier.iter().any(|&(_, _, flagged)| flagged);
            // The classifier adds catches, never removes one; a crisis outranks any other
            // blocking category (it brings the referral).
            if blocking != Some(Category::SelfHarm) {
                let alone = checker.is_crisis(reading.crisis, lang);
                if alone
                    || (!earlier.is_empty() && !sitting_flagged && checker.is_crisis(sitting, lang))
                {
                    let (evidence, from_event) = if alone {
                        (reading.crisis, i as u32)
                    } else {
                        (sitting, sitting_from)
                    };
                    blocking = Some(Category::SelfHarm);
                    facts.crisis.push((
                        i as u32,
                        CrisisCatch {
                            probability: checker.classifier().probability(evidence),
                            threshold: checker.crisis_threshold(lang),
                            from_event,
                        },
                    ));
                }
            }
            let stated_age = reading.stated_age.map(|a| a.min(u8::MAX as u32) as u8);
            if earlier.len() + 1 == SITTING_MESSAGES {
                earlier.remove(0);
            }
            if SITTING_MESSAGES > 1 {
                earlier.push((
                    reading.crisis,
                    i as u32,
                    blocking == Some(Category::SelfHarm),
                ));
            }
            facts.messages.push(MessageFacts {
                at_secs,
                event: i as u32,
                channel: event.channel,
                opt_out: is_opt_out_within(&event.text, &words, longest),
                blocking,
                stated_age,
                night: None,
            });
        }
        facts.index(policy, user.timezone);
        facts
    }

    /// Computes the indexes (conversation starts, nights, opt-out…) of `messages` under `policy`.
    /// Call after filling `messages` (the simulation fills them directly).
    pub fn index(&mut self, policy: &Policy, tz: Tz) {
        let gap_secs = policy.window.map_or(14, |w| w.days) * 86_400;
        self.conversation_start_secs.clear();
        self.blocking.clear();
        self.stated_minor.clear();
        self.night.clear();
        self.first_opt_out = None;
        let mut start = i64::MIN;
        let mut prev = i64::MIN;
        for (i, m) in self.messages.iter_mut().enumerate() {
            if prev == i64::MIN || m.at_secs - prev > gap_secs {
                start = m.at_secs;
            }
            prev = m.at_secs;
            self.conversation_start_secs.push(start);
            if m.opt_out && self.first_opt_out.is_none() {
                self.first_opt_out = Some(i);
            }
            if m.blocking.is_some() {
                self.blocking.push(i);
            }
            if m.stated_age.is_some_and(|a| (a as i64) < policy.minor_age) {
                self.stated_minor.push(i);
            }
            m.night = policy
                .wellbeing
                .and_then(|w| local_night(tz, m.at_secs, &w));
            if m.night.is_some() {
                self.night.push(i);
            }
        }
    }

    /// Empties the facts, keeping their allocations (the population simulation reuses them).
    pub fn clear(&mut self) {
        self.messages.clear();
        self.flags.clear();
        self.crisis.clear();
        self.conversation_start_secs.clear();
        self.first_opt_out = None;
        self.blocking.clear();
        self.stated_minor.clear();
        self.night.clear();
    }

    /// Appends one message, sent at or after the last one, and updates the indexes exactly as
    /// [`UserFacts::index`] would over the whole list. `m.night` is computed here.
    ///
    /// [`crate::engine::evaluate`] at `t` only reads messages sent at or before `t`, so a
    /// simulation can push messages as time advances and evaluate in between.
    pub fn push(&mut self, policy: &Policy, tz: Tz, mut m: MessageFacts) {
        m.night = policy
            .wellbeing
            .and_then(|w| local_night(tz, m.at_secs, &w));
        self.push_with_night(policy, m);
    }

    /// Like [`UserFacts::push`], with `m.night` already computed by the caller (as
    /// [`night_of`] numbers it under the policy's wellbeing nights, `None` without them).
    pub fn push_with_night(&mut self, policy: &Policy, m: MessageFacts) {
        let gap_secs = policy.window.map_or(14, |w| w.days) * 86_400;
        let i = self.messages.len();
        let start = match (self.messages.last(), self.conversation_start_secs.last()) {
            (Some(prev), Some(&start)) if m.at_secs - prev.at_secs <= gap_secs => start,
            _ => m.at_secs,
        };
        self.conversation_start_secs.push(start);
        if m.opt_out && self.first_opt_out.is_none() {
            self.first_opt_out = Some(i);
        }
        if m.blocking.is_some() {
            self.blocking.push(i);
        }
        if m.stated_age.is_some_and(|a| (a as i64) < policy.minor_age) {
            self.stated_minor.push(i);
        }
        if m.night.is_some() {
            self.night.push(i);
        }
        self.messages.push(m);
    }

    /// How many messages were sent at or before `t_secs`.
    pub fn count_up_to(&self, t_secs: i64) -> usize {
        // Decisions are mostly taken after the last message: no search then.
        if self.messages.last().is_none_or(|m| m.at_secs <= t_secs) {
            return self.messages.len();
        }
        self.messages.partition_point(|m| m.at_secs <= t_secs)
    }

    /// How many messages were sent strictly before `t_secs`.
    pub fn count_before(&self, t_secs: i64) -> usize {
        self.messages.partition_point(|m| m.at_secs < t_secs)
    }

    /// The crisis classifier's catch of the message at event index `event`.
    pub fn crisis_of(&self, event: u32) -> Option<&CrisisCatch> {
        self.crisis
            .iter()
            .find(|(e, _)| *e == event)
            .map(|(_, c)| c)
    }

    /// The flag of the message at event index `event`.
    pub fn flag_of(&self, event: u32) -> Option<&Flag> {
        self.flags.iter().find(|(e, _)| *e == event).map(|(_, f)| f)
    }
}

/// Seconds to a UTC instant (saturating at the representable range).
pub fn instant(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}
