//! What a population run counts, per archetype, folded user by user.
//!
//! Every field is an integer count, so merging partial results in any order gives the same
//! totals: the report does not depend on the number of threads or on which user finished first.
//! Rates and medians are computed from the counts when the report is written.

use crate::engine::{Candidate, Evaluation, Reason};
use crate::model::policy::Rule;

use super::population::Zone;
use super::text::MessageKind;
use super::user::{Observer, RETURN_WINDOW_SECS, Reaction, SimMessage, UserPlan};

/// Buckets of the nudges-per-user distribution: 0 to 19 nudges, then 20 or more.
pub const NUDGES_PER_USER_BUCKETS: usize = 21;

/// Width of an answer-delay bucket, in seconds (5 minutes).
pub const DELAY_BUCKET_SECS: i64 = 300;

/// Answer-delay buckets: 5-minute buckets over 48 hours, then one for anything later.
pub const DELAY_BUCKETS: usize = (RETURN_WINDOW_SECS / DELAY_BUCKET_SECS) as usize + 1;

/// Position of `reason` in [`Reason::ALL`], the index of [`Metrics::held_back`].
pub fn reason_index(reason: Reason) -> usize {
    Reason::ALL
        .iter()
        .position(|r| *r == reason)
        .unwrap_or_default()
}

/// Counts of one population run, or of one archetype's users in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metrics {
    /// Users simulated.
    pub users: u64,
    /// Messages users sent during the run.
    pub user_messages: u64,
    /// Decisions of the engine (candidate nudges).
    pub decisions: u64,
    /// Nudges sent.
    pub sent: u64,
    /// Nudges held back, by reason, indexed like [`Reason::ALL`] (the `sent` slot stays 0).
    pub held_back: [u64; Reason::ALL.len()],
    /// Held-back decisions with a self-harm flag in the cooldown (a crisis case).
    pub crisis_holds: u64,
    /// Users by number of nudges received: 0 to 19, then 20 or more.
    pub nudges_per_user: [u64; NUDGES_PER_USER_BUCKETS],
    /// Nudges sent on each day of the run (UTC days from the start).
    pub per_day: Vec<u64>,
    /// Nudges held back on each day of the run.
    pub held_per_day: Vec<u64>,
    /// Nudges sent by the user's local hour of day.
    pub by_local_hour: [u64; 24],
    /// Users who received at least one nudge.
    pub nudged_users: u64,
    /// Nudges the user answered.
    pub answered: u64,
    /// Nudges answered with an opt-out word.
    pub opted_out_after_nudge: u64,
    /// Sum of answer delays, in seconds.
    pub answer_delay_secs: u64,
    /// Answers by delay: [`DELAY_BUCKETS`] buckets of [`DELAY_BUCKET_SECS`], the last for 48 h
    /// or more.
    pub answer_delays: Vec<u64>,
    /// Users who wrote within 48 hours after at least one nudge.
    pub returned_within_48h: u64,
    /// Nudges followed by a user message within 48 hours.
    pub nudges_followed_within_48h: u64,
    /// Users who had drifted away and came back by answering a nudge.
    pub revived_users: u64,
    /// Minors.
    pub minors: u64,
    /// Minors with at least one nudge held back by the minor rule (whichever rule failed first).
    pub minors_protected: u64,
    /// Minors who received at least one nudge (their age was unknown to the engine then).
    pub minors_nudged: u64,
    /// Users who wrote a self-harm message.
    pub distressed: u64,
    /// Of them, users with at least one nudge held back as a crisis case.
    pub distress_protected: u64,
    /// Users who wrote a message flagged in a blocking category.
    pub flagged_users: u64,
    /// Of them, users with at least one nudge held back by the sensitive-topic rule.
    pub flagged_protected: u64,
    /// Users who sent an opt-out word.
    pub opted_out_users: u64,
    /// Of them, users with at least one nudge held back by the opt-out rule.
    pub opted_out_protected: u64,
    /// Users with at least one nudge held back by the wellbeing rule (whichever rule failed
    /// first).
    pub wellbeing_users: u64,
}

impl Metrics {
    /// Empty counts for a run of `days` days.
    pub fn new(days: u32) -> Self {
        Self {
            users: 0,
            user_messages: 0,
            decisions: 0,
            sent: 0,
            held_back: [0; Reason::ALL.len()],
            crisis_holds: 0,
            nudges_per_user: [0; NUDGES_PER_USER_BUCKETS],
            per_day: vec![0; days as usize],
            held_per_day: vec![0; days as usize],
            by_local_hour: [0; 24],
            nudged_users: 0,
            answered: 0,
            opted_out_after_nudge: 0,
            answer_delay_secs: 0,
            answer_delays: vec![0; DELAY_BUCKETS],
            returned_within_48h: 0,
            nudges_followed_within_48h: 0,
            revived_users: 0,
            minors: 0,
            minors_protected: 0,
            minors_nudged: 0,
            distressed: 0,
            distress_protected: 0,
            flagged_users: 0,
            flagged_protected: 0,
            opted_out_users: 0,
            opted_out_protected: 0,
            wellbeing_users: 0,
        }
    }

    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &Metrics) {
        fn add(a: &mut [u64], b: &[u64]) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        self.users += other.users;
        self.user_messages += other.user_messages;
        self.decisions += other.decisions;
        self.sent += other.sent;
        add(&mut self.held_back, &other.held_back);
        self.crisis_holds += other.crisis_holds;
        add(&mut self.nudges_per_user, &other.nudges_per_user);
        add(&mut self.per_day, &other.per_day);
        add(&mut self.held_per_day, &other.held_per_day);
        add(&mut self.by_local_hour, &other.by_local_hour);
        self.nudged_users += other.nudged_users;
        self.answered += other.answered;
        self.opted_out_after_nudge += other.opted_out_after_nudge;
        self.answer_delay_secs += other.answer_delay_secs;
        add(&mut self.answer_delays, &other.answer_delays);
        self.returned_within_48h += other.returned_within_48h;
        self.nudges_followed_within_48h += other.nudges_followed_within_48h;
        self.revived_users += other.revived_users;
        self.minors += other.minors;
        self.minors_protected += other.minors_protected;
        self.minors_nudged += other.minors_nudged;
        self.distressed += other.distressed;
        self.distress_protected += other.distress_protected;
        self.flagged_users += other.flagged_users;
        self.flagged_protected += other.flagged_protected;
        self.opted_out_users += other.opted_out_users;
        self.opted_out_protected += other.opted_out_protected;
        self.wellbeing_users += other.wellbeing_users;
    }

    /// Nudges held back, all reasons together.
    pub fn held_back_total(&self) -> u64 {
        self.held_back.iter().sum()
    }

    /// Nudges held back for `reason`.
    pub fn held(&self, reason: Reason) -> u64 {
        self.held_back[reason_index(reason)]
    }

    /// Share of sent nudges the user answered (0 without nudges).
    pub fn answer_rate(&self) -> f64 {
        ratio(self.answered, self.sent)
    }

    /// Share of nudged users who wrote within 48 hours of a nudge.
    pub fn returned_rate(&self) -> f64 {
        ratio(self.returned_within_48h, self.nudged_users)
    }

    /// Mean answer delay in minutes (0 without answers).
    pub fn answer_delay_mean_minutes(&self) -> f64 {
        ratio(self.answer_delay_secs, self.answered) / 60.0
    }

    /// Median answer delay in minutes, to the 5 minutes (the upper end of its bucket); `None`
    /// without answers.
    pub fn answer_delay_median_minutes(&self) -> Option<u64> {
        self.answer_delay_quantile_minutes(0.5)
    }

    /// The `q` quantile of the answer delay, in minutes, to the 5 minutes; `None` without
    /// answers.
    pub fn answer_delay_quantile_minutes(&self, q: f64) -> Option<u64> {
        let total: u64 = self.answer_delays.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, n) in self.answer_delays.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some((i as u64 + 1) * DELAY_BUCKET_SECS as u64 / 60);
            }
        }
        None
    }

    /// Answers within `minutes` of the nudge.
    pub fn answered_within_minutes(&self, minutes: u64) -> u64 {
        let buckets = (minutes * 60 / DELAY_BUCKET_SECS as u64) as usize;
        self.answer_delays[..buckets.min(DELAY_BUCKETS - 1)]
            .iter()
            .sum()
    }
}

/// `a / b`, 0 when `b` is 0.
pub fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Counts one user, then adds them to the archetype's metrics.
pub(crate) struct Tally<'a> {
    metrics: &'a mut Metrics,
    zone: &'a Zone,
    start_secs: i64,
    minor: bool,
    sent: u32,
    /// Sent nudges not yet followed by a user message.
    pending: Vec<i64>,
    returned: bool,
    revived: bool,
    wrote_self_harm: bool,
    wrote_flagged: bool,
    opted_out: bool,
    held_minor: bool,
    held_opted_out: bool,
    held_sensitive: bool,
    crisis: bool,
    held_wellbeing: bool,
    /// The reasons of this user's decisions, as a bit set over [`Reason::ALL`].
    pub reasons: u32,
}

impl<'a> Tally<'a> {
    pub(crate) fn new(
        metrics: &'a mut Metrics,
        zone: &'a Zone,
        start_secs: i64,
        plan: &UserPlan,
    ) -> Self {
        Self {
            metrics,
            zone,
            start_secs,
            minor: plan.minor,
            sent: 0,
            pending: Vec::new(),
            returned: false,
            revived: false,
            wrote_self_harm: false,
            wrote_flagged: false,
            opted_out: false,
            held_minor: false,
            held_opted_out: false,
            held_sensitive: false,
            crisis: false,
            held_wellbeing: false,
            reasons: 0,
        }
    }

    /// Adds the user to the metrics.
    pub(crate) fn finish(self) -> u32 {
        let m = self.metrics;
        m.users += 1;
        m.nudges_per_user[(self.sent as usize).min(NUDGES_PER_USER_BUCKETS - 1)] += 1;
        let flags = [
            (true, &mut m.nudged_users, self.sent > 0),
            (true, &mut m.returned_within_48h, self.returned),
            (true, &mut m.revived_users, self.revived),
            (true, &mut m.minors, self.minor),
            (self.minor, &mut m.minors_protected, self.held_minor),
            (self.minor, &mut m.minors_nudged, self.sent > 0),
            (true, &mut m.distressed, self.wrote_self_harm),
            (self.wrote_self_harm, &mut m.distress_protected, self.crisis),
            (true, &mut m.flagged_users, self.wrote_flagged),
            (
                self.wrote_flagged,
                &mut m.flagged_protected,
                self.held_sensitive,
            ),
            (true, &mut m.opted_out_users, self.opted_out),
            (
                self.opted_out,
                &mut m.opted_out_protected,
                self.held_opted_out,
            ),
            (true, &mut m.wellbeing_users, self.held_wellbeing),
        ];
        for (applies, counter, value) in flags {
            if applies && value {
                *counter += 1;
            }
        }
        self.reasons
    }
}

impl Observer for Tally<'_> {
    fn message(&mut self, message: &SimMessage, in_run: bool) {
        for &nudge in &self.pending {
            if message.at_secs > nudge && message.at_secs - nudge <= RETURN_WINDOW_SECS {
                self.metrics.nudges_followed_within_48h += 1;
                self.returned = true;
            }
        }
        self.pending.clear();
        if !in_run {
            return;
        }
        self.metrics.user_messages += 1;
        match message.kind {
            MessageKind::OptOut => self.opted_out = true,
            MessageKind::Flagged(category) => {
                self.wrote_flagged = true;
                if super::user::is_crisis(category) {
                    self.wrote_self_harm = true;
                }
            }
            MessageKind::Plain | MessageKind::Answer | MessageKind::StatesAge(_) => {}
        }
    }

    fn decision(&mut self, candidate: &Candidate, evaluation: &Evaluation) {
        let m = &mut *self.metrics;
        m.decisions += 1;
        let day = ((candidate.at_secs - self.start_secs).div_euclid(86_400))
            .clamp(0, m.per_day.len() as i64 - 1) as usize;
        self.reasons |= 1 << reason_index(evaluation.reason);
        match evaluation.reason {
            Reason::Sent => {
                m.sent += 1;
                m.per_day[day] += 1;
                m.by_local_hour[self.zone.clock.hour(candidate.at_secs) as usize] += 1;
                self.sent += 1;
                self.pending.push(candidate.at_secs);
            }
            reason => {
                m.held_back[reason_index(reason)] += 1;
                m.held_per_day[day] += 1;
                // A user is protected by a rule that failed, whichever failed first.
                for check in evaluation.checks().filter(|c| !c.passed) {
                    match check.rule {
                        Rule::Minor => self.held_minor = true,
                        Rule::OptedOut => self.held_opted_out = true,
                        Rule::Sensitive => self.held_sensitive = true,
                        Rule::Wellbeing => self.held_wellbeing = true,
                        Rule::WindowExpired | Rule::TooFewMessages => {}
                    }
                }
            }
        }
        if evaluation.crisis && evaluation.reason != Reason::Sent {
            m.crisis_holds += 1;
            self.crisis = true;
        }
    }

    fn reaction(&mut self, nudge_at_secs: i64, reaction: Reaction) {
        let m = &mut *self.metrics;
        match reaction {
            Reaction::Ignored => {}
            Reaction::Answered { at_secs, lapsed } => {
                let delay = (at_secs - nudge_at_secs).max(0);
                m.answered += 1;
                m.answer_delay_secs += delay as u64;
                m.answer_delays[((delay / DELAY_BUCKET_SECS) as usize).min(DELAY_BUCKETS - 1)] += 1;
                if lapsed {
                    self.revived = true;
                }
            }
            Reaction::OptedOut { .. } => m.opted_out_after_nudge += 1,
        }
    }
}
