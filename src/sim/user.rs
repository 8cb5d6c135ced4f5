//! One synthetic user: traits drawn from its own streams, sessions generated in time order, the
//! engine's decisions taken as time advances, and the user's reaction to each nudge sent.
//!
//! Generation and decisions interleave: a user message is added to the user's facts, the silence
//! it opens is scheduled, and each candidate send time the next message does not pre-empt is
//! evaluated by [`crate::engine::evaluate`] on the messages sent so far. A nudge that goes out may
//! be answered (a new session, which ends the silence) or answered with an opt-out word.

use crate::engine::{
    Candidate, Evaluation, MessageFacts, Profile, Reason, UserFacts, candidate_base_secs,
    candidate_secs, evaluate,
};
use crate::model::{Channel, Lang};
use crate::safety::Category;

use super::population::{Compiled, Population, Zone};
use super::random::{Purpose, Stream};
use super::text::MessageKind;

/// Seconds in the window in which a user who writes after a nudge counts as having come back.
pub const RETURN_WINDOW_SECS: i64 = 48 * 3600;

/// Who a synthetic user is: everything drawn once from the user's traits stream.
#[derive(Clone, Debug, PartialEq)]
pub struct UserPlan {
    /// Index of the user in the population.
    pub index: u64,
    /// Index of the archetype in the mix.
    pub archetype: usize,
    /// Index of the place in the archetype's places.
    pub place: usize,
    pub(crate) zone: usize,
    /// Language the user writes in.
    pub lang: Lang,
    /// The channel the user talks on.
    pub channel: Channel,
    /// Whether the user is a minor.
    pub minor: bool,
    /// The user's age.
    pub age: u8,
    /// The age the profile gives, if it gives one.
    pub profile_age: Option<u32>,
    /// For a minor who states the age: in which session (0-based).
    pub states_age_in_session: Option<u32>,
    /// The run day (0-based) the user first writes on.
    pub join_day: u32,
    /// The run day from which the user sends an opt-out word of their own accord.
    pub opt_out_day: Option<u32>,
    /// The run day from which the user writes a first flagged message.
    pub flagged_day: Option<u32>,
}

/// What the user did after a sent nudge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reaction {
    /// No answer.
    Ignored,
    /// An answer session starting at this instant; `lapsed` when the user had drifted away.
    Answered {
        /// When the answer comes (UTC seconds).
        at_secs: i64,
        /// Whether the user had drifted away before the nudge.
        lapsed: bool,
    },
    /// An opt-out word in answer, at this instant.
    OptedOut {
        /// When the answer comes (UTC seconds).
        at_secs: i64,
    },
}

/// A synthetic user message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimMessage {
    /// When it is sent (UTC seconds).
    pub at_secs: i64,
    /// What facts it carries.
    pub kind: MessageKind,
}

/// What a simulation of one user reports, as it happens.
pub(crate) trait Observer {
    /// A user message; `in_run` is false for the messages after the run, which only tell
    /// whether the user came back after a late nudge.
    fn message(&mut self, message: &SimMessage, in_run: bool);
    /// A decision of the engine.
    fn decision(&mut self, candidate: &Candidate, evaluation: &Evaluation);
    /// The user's reaction to a sent nudge.
    fn reaction(&mut self, nudge_at_secs: i64, reaction: Reaction);
}

/// Buffers reused from one user to the next.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    facts: UserFacts,
    /// Generated messages in time order; those from `head` on are still to come.
    upcoming: Vec<SimMessage>,
    starts: Vec<i64>,
}

/// Draws who user `index` is.
pub(crate) fn plan(pop: &Population, index: u64) -> UserPlan {
    let mut rng = Stream::new(pop.config.seed, index, Purpose::Traits);
    let archetype = rng.pick(&pop.archetype_weights);
    let c = &pop.archetypes[archetype];
    let a = &c.archetype;
    let place = rng.pick(&c.place_weights);
    let channel = c.channels[rng.pick(&c.channel_weights)];
    let lang = c.places[place].lang;
    let minor = rng.chance(a.minors.share);
    let minor_age = rng.between(13, 17) as u8;
    let adult_age = rng.between(18, 70) as u8;
    let disclosure = rng.unit();
    let states_session = rng.below(5);
    let adult_profile = rng.chance(a.adult_age_in_profile);
    let days = pop.config.days;
    let join_day = rng.below(days);
    let join_day = if a.joins_during_run { join_day } else { 0 };
    let opts_out = rng.chance(a.opt_out_share) && pop.texts.can_opt_out();
    let opt_out_day = rng.between(join_day, days - 1);
    let flagged = rng.chance(a.flagged.share) && !c.categories[lang.index()].0.is_empty();
    let flagged_day = rng.between(join_day, days - 1);
    let (age, profile_age, states_age_in_session) = if minor {
        let in_profile = disclosure < a.minors.age_in_profile;
        let states = !in_profile
            && disclosure < a.minors.age_in_profile + a.minors.states_age
            && pop.texts.can_state_age(lang);
        (
            minor_age,
            in_profile.then_some(u32::from(minor_age)),
            states.then_some(states_session),
        )
    } else {
        (
            adult_age,
            adult_profile.then_some(u32::from(adult_age)),
            None,
        )
    };
    UserPlan {
        index,
        archetype,
        place,
        zone: c.places[place].zone,
        lang,
        channel,
        minor,
        age,
        profile_age,
        states_age_in_session,
        join_day,
        opt_out_day: opts_out.then_some(opt_out_day),
        flagged_day: flagged.then_some(flagged_day),
    }
}

/// The user's sessions, generated a local day at a time, in time order.
struct Activity<'a> {
    archetype: &'a Compiled,
    plan: &'a UserPlan,
    zone: &'a Zone,
    rng: Stream,
    upcoming: &'a mut Vec<SimMessage>,
    /// Index of the next message in `upcoming`.
    head: usize,
    starts: &'a mut Vec<i64>,
    /// Next local day to generate, as an index into `zone.midnights`.
    next_day: usize,
    /// Days to generate: `zone.midnights.len() - 1`.
    day_count: usize,
    /// Organic sessions start in `[active_from, active_until)`.
    active_from: i64,
    active_until: i64,
    sessions: u32,
    opt_out_pending: bool,
    first_flag_pending: bool,
    flagged_since: bool,
    age_pending: bool,
    /// Messages after this instant are not generated.
    limit_secs: i64,
}

impl Activity<'_> {
    /// The next message, without taking it.
    #[inline]
    fn peek(&mut self) -> Option<i64> {
        self.fill();
        self.upcoming
            .get(self.head)
            .map(|m| m.at_secs)
            .filter(|&t| t <= self.limit_secs)
    }

    /// Takes the next message.
    #[inline]
    fn pop(&mut self) -> Option<SimMessage> {
        self.fill();
        let message = *self.upcoming.get(self.head)?;
        self.head += 1;
        (message.at_secs <= self.limit_secs).then_some(message)
    }

    /// Generates days until the earliest upcoming message is known to be the next one.
    #[inline]
    fn fill(&mut self) {
        while self.next_day < self.day_count {
            let next_midnight = self.zone.midnights[self.next_day];
            if self
                .upcoming
                .get(self.head)
                .is_some_and(|m| m.at_secs < next_midnight)
            {
                return;
            }
            let day = self.next_day;
            self.next_day += 1;
            self.generate_day(day);
        }
    }

    /// Drops the messages already taken when they fill most of the buffer; returns where new
    /// messages start.
    fn reserve(&mut self) -> usize {
        if self.head > 256 && self.head * 2 > self.upcoming.len() {
            self.upcoming.drain(..self.head);
            self.head = 0;
        }
        self.upcoming.len()
    }

    /// Puts the messages appended from `from` in time order, after any already there at the
    /// same instants (a stable sort, needed only when they overlap the earlier ones).
    fn settle(&mut self, from: usize) {
        if from > self.head
            && from < self.upcoming.len()
            && self.upcoming[from - 1].at_secs > self.upcoming[from].at_secs
        {
            self.upcoming[self.head..].sort_by_key(|m| m.at_secs);
        }
    }

    fn generate_day(&mut self, j: usize) {
        let midnight = self.zone.midnights[j];
        // Run day of this local day (day 0 is the first of the run); j = 0 is the day before.
        let day = j as i64 - 1;
        if day < i64::from(self.plan.join_day) || self.active_until <= midnight {
            return;
        }
        let weekday = (self.zone.first_weekday as usize + j) % 7;
        let a = &self.archetype.archetype;
        let mut n = self
            .rng
            .poisson_with(self.archetype.sessions_by_weekday[weekday]);
        if a.joins_during_run && day == i64::from(self.plan.join_day) {
            n = n.max(1);
        }
        self.starts.clear();
        for _ in 0..n {
            let hour = self.rng.pick(&self.archetype.hours) as i64;
            let start = midnight + hour * 3600 + i64::from(self.rng.below(3600));
            self.starts.push(start);
        }
        self.starts.sort_unstable();
        for k in 0..self.starts.len() {
            let start = self.starts[k];
            if start < self.active_from || start >= self.active_until {
                continue;
            }
            self.session(start, day, None);
            if self.rng.chance(a.drift_away_per_session) {
                self.active_until = start + 1;
            }
        }
    }

    /// One session from `start`; `first` forces the kind of its first message (an answer).
    fn session(&mut self, start: i64, day: i64, first: Option<MessageKind>) {
        let a = &self.archetype.archetype;
        let count = self
            .rng
            .between(a.messages_per_session.min, a.messages_per_session.max)
            .max(1) as usize;
        let mut kinds = [MessageKind::Plain; 16];
        let count_kinds = count.min(kinds.len());
        if let Some(kind) = first {
            kinds[0] = kind;
        } else {
            if self.opt_out_pending && self.plan.opt_out_day.is_some_and(|d| i64::from(d) <= day) {
                kinds[0] = MessageKind::OptOut;
                self.opt_out_pending = false;
            }
            if self.age_pending
                && self
                    .plan
                    .states_age_in_session
                    .is_some_and(|s| s <= self.sessions)
                && let Some(i) = kinds[..count_kinds]
                    .iter()
                    .position(|k| *k == MessageKind::Plain)
            {
                kinds[i] = MessageKind::StatesAge(self.plan.age);
                self.age_pending = false;
            }
            let flag_now = if self.first_flag_pending {
                self.plan.flagged_day.is_some_and(|d| i64::from(d) <= day)
            } else {
                self.flagged_since && self.rng.chance(a.flagged.repeat_per_session)
            };
            if flag_now {
                let plain: u32 = kinds[..count_kinds]
                    .iter()
                    .filter(|k| **k == MessageKind::Plain)
                    .count() as u32;
                if plain > 0 {
                    let (categories, weights) = &self.archetype.categories[self.plan.lang.index()];
                    let category = categories[self.rng.pick(weights)];
                    let nth = self.rng.below(plain) as usize;
                    if let Some(slot) = kinds[..count_kinds]
                        .iter_mut()
                        .filter(|k| **k == MessageKind::Plain)
                        .nth(nth)
                    {
                        *slot = MessageKind::Flagged(category);
                    }
                    self.first_flag_pending = false;
                    self.flagged_since = true;
                }
            }
        }
        let from = self.reserve();
        let mut at = start;
        for i in 0..count {
            let kind = kinds.get(i).copied().unwrap_or(MessageKind::Plain);
            self.upcoming.push(SimMessage { at_secs: at, kind });
            at += i64::from(
                self.rng
                    .between(a.message_gap_secs.min, a.message_gap_secs.max)
                    .max(1),
            );
        }
        self.settle(from);
        self.sessions += 1;
    }

    /// The user answers a nudge at `at`: an answer session, bringing a lapsed user back.
    fn answer(&mut self, at: i64, kind: MessageKind) {
        if self.active_until <= at {
            self.active_from = at;
            self.active_until = i64::MAX;
            // Days generated while the user was away held nothing after `at`: generate them
            // again from the day of the answer.
            let day_of_answer = self.zone.midnights.partition_point(|&m| m <= at).max(1) - 1;
            self.next_day = self.next_day.min(day_of_answer);
        }
        let day_index = self.zone.midnights.partition_point(|&m| m <= at).max(1) - 1;
        let day = day_index as i64 - 1;
        if kind == MessageKind::OptOut {
            let from = self.reserve();
            self.upcoming.push(SimMessage { at_secs: at, kind });
            self.settle(from);
            return;
        }
        self.session(at, day, Some(kind));
        if self
            .rng
            .chance(self.archetype.archetype.drift_away_per_session)
        {
            self.active_until = at + 1;
        }
    }

    fn lapsed_at(&self, at: i64) -> bool {
        self.active_until <= at
    }
}

/// Simulates the user of `plan` (drawn by [`plan`]), reporting to `observer`.
pub(crate) fn simulate<O: Observer>(
    pop: &Population,
    plan: &UserPlan,
    scratch: &mut Scratch,
    observer: &mut O,
) {
    let index = plan.index;
    let policy = &pop.config.policy;
    let c = &pop.archetypes[plan.archetype];
    let zone = &pop.zones[plan.zone];
    let tz = zone.clock.tz();
    let profile = Profile {
        age: plan.profile_age,
        timezone: tz,
        locale: &c.places[plan.place].locale,
    };
    let until = pop.end_secs;
    let Scratch {
        facts,
        upcoming,
        starts,
    } = scratch;
    facts.clear();
    upcoming.clear();
    let mut activity = Activity {
        archetype: c,
        plan,
        zone,
        rng: Stream::new(pop.config.seed, index, Purpose::Activity),
        upcoming,
        head: 0,
        starts,
        next_day: 0,
        day_count: zone.midnights.len() - 1,
        active_from: pop.start_secs,
        active_until: i64::MAX,
        sessions: 0,
        opt_out_pending: plan.opt_out_day.is_some(),
        first_flag_pending: plan.flagged_day.is_some(),
        flagged_since: false,
        age_pending: plan.states_age_in_session.is_some(),
        limit_secs: until + RETURN_WINDOW_SECS,
    };
    let mut reactions = Stream::new(pop.config.seed, index, Purpose::Reaction);
    let answer = c.archetype.answer;
    let nights = policy.wellbeing.map(|w| (w.night_start, w.night_end));
    let max_nudges = policy.max_nudges_per_silence.max(1);
    while let Some(message) = activity.pop() {
        if message.at_secs < pop.start_secs {
            continue;
        }
        let in_run = message.at_secs <= until;
        observer.message(&message, in_run);
        if !in_run {
            continue;
        }
        let (opt_out, blocking, stated_age) = match message.kind {
            MessageKind::OptOut => (true, None, None),
            MessageKind::Flagged(category) => (false, Some(category), None),
            MessageKind::StatesAge(age) => (false, None, Some(age)),
            MessageKind::Plain | MessageKind::Answer => (false, None, None),
        };
        facts.push_with_night(
            policy,
            MessageFacts {
                at_secs: message.at_secs,
                event: facts.messages.len() as u32,
                channel: plan.channel,
                opt_out,
                blocking,
                stated_age,
                night: nights
                    .and_then(|(start, end)| zone.clock.night(message.at_secs, start, end)),
            },
        );
        // The silence this message opens, as `engine::schedule` sees it.
        let silence = facts.messages.len() - 1;
        for k in 0..max_nudges {
            let base = candidate_base_secs(policy, message.at_secs, k);
            let next = activity.peek();
            if next.is_some_and(|n| n <= base) || base > until {
                break;
            }
            // Outside quiet hours the send time is the unshifted one; inside, the engine's own
            // shift computes it.
            let in_quiet = policy
                .quiet_hours
                .is_some_and(|q| zone.clock.in_range(base, q.start, q.end));
            let (base_secs, at_secs) = if in_quiet {
                candidate_secs(policy, tz, message.at_secs, k)
            } else {
                (base, base)
            };
            if next.is_some_and(|n| n <= at_secs) || at_secs > until {
                break;
            }
            let candidate = Candidate {
                silence,
                nth: k as u32 + 1,
                base_secs,
                at_secs,
            };
            let evaluation = evaluate(policy, &profile, facts, at_secs);
            observer.decision(&candidate, &evaluation);
            if evaluation.reason != Reason::Sent {
                continue;
            }
            let lapsed = activity.lapsed_at(at_secs);
            let draw = reactions.unit();
            let delay_secs =
                (reactions.log_normal(answer.delay_median_minutes, answer.delay_spread) * 60.0)
                    .clamp(60.0, 30.0 * 86_400.0) as i64;
            let answer_at = at_secs + delay_secs;
            let reaction = if draw < answer.opt_out && pop.texts.can_opt_out() {
                activity.answer(answer_at, MessageKind::OptOut);
                Reaction::OptedOut { at_secs: answer_at }
            } else if draw
                < answer.opt_out
                    + if lapsed {
                        answer.when_lapsed
                    } else {
                        answer.probability
                    }
            {
                activity.answer(answer_at, MessageKind::Answer);
                Reaction::Answered {
                    at_secs: answer_at,
                    lapsed,
                }
            } else {
                Reaction::Ignored
            };
            observer.reaction(at_secs, reaction);
        }
    }
}

/// Whether `category` is the crisis category (self-harm).
pub(crate) fn is_crisis(category: Category) -> bool {
    category == Category::SelfHarm
}
