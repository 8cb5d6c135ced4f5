//! Synthetic users and population simulation: what a policy does at scale.
//!
//! A population is a weighted mix of [archetypes](archetype::Archetype) (RON files in
//! `assets/archetypes/`). Each synthetic user draws its traits, sessions and reactions from its
//! own random streams, keyed by the run's seed and the user's index, so a run gives the same
//! report whatever the number of threads and the order users are simulated in. Users are
//! simulated in parallel chunks and folded into [`Metrics`] as they finish: a million users never
//! sit in memory at once.
//!
//! The policy engine decides for every synthetic user exactly as for a scenario user
//! ([`crate::engine::evaluate`] on the user's messages so far), and the user's reaction to each
//! nudge is simulated, so re-engagement is measured, not assumed. Counting writes no text; any
//! user can be opened as a [`Scenario`] with texts ([`Population::user_scenario`]), whose replay
//! gives the same decisions.
//!
//! ```
//! use std::sync::atomic::AtomicBool;
//! use relance::model::{Persona, Policy};
//! use relance::sim::{PopulationConfig, Progress, run};
//!
//! let mut config = PopulationConfig::new(Persona::new_blank("demo", "Demo"), Policy::omni())?;
//! config.users = 200;
//! config.days = 30;
//! let report = run(&config, &Progress::default(), &AtomicBool::new(false))?;
//! let total = report.total();
//! assert_eq!(total.users, 200);
//! assert_eq!(total.sent + total.held_back_total(), total.decisions);
//! # Ok::<(), relance::sim::SimError>(())
//! ```

pub mod archetype;
pub mod clock;
pub mod metrics;
pub mod population;
pub mod random;
pub mod report;
pub mod settings;
pub mod text;
pub mod user;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chrono::NaiveDate;
use rayon::prelude::*;

pub use archetype::{Archetype, Mix, PhraseBook};
pub use metrics::Metrics;
pub use population::{Population, PopulationConfig};
pub use text::MessageKind;
pub use user::{Reaction, SimMessage, UserPlan};

use crate::engine::{Candidate, Evaluation, Reason, instant};
use crate::model::{Event, LoadError, Scenario, Sender, User};
use crate::replay::{ReplayOptions, decide_user};
use random::{Purpose, Stream};
use user::{Observer, Scratch};

/// Users simulated per parallel task. Results do not depend on it.
const CHUNK_USERS: u64 = 2048;

/// How many users of each archetype and outcome a report keeps as samples.
pub const SAMPLES_PER_KIND: usize = 3;

/// Why a population run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// An archetype, mix or phrase book file could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The configuration cannot be simulated.
    #[error("{0}")]
    Invalid(String),
    /// The user index is past the population's size.
    #[error("user #{index} does not exist: the population has {users} users (#0 to #{})", users.saturating_sub(1))]
    NoSuchUser {
        /// The index asked for.
        index: u64,
        /// The population's size.
        users: u64,
    },
    /// The run was cancelled.
    #[error("the run was cancelled")]
    Cancelled,
}

/// Progress of a run, shared with whoever shows it (a progress bar polls it).
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicU64,
    total: AtomicU64,
}

impl Progress {
    /// Users simulated so far, over every run sharing this progress.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Users to simulate, over every run sharing this progress.
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// Share done, from 0 to 1.
    pub fn fraction(&self) -> f32 {
        let total = self.total();
        if total == 0 {
            0.0
        } else {
            (self.done() as f64 / total as f64) as f32
        }
    }
}

/// Receives partial results as chunks of users finish, in completion order (for live plots).
pub trait Sink: Sync {
    /// Users `first..first + count` are done; `per_archetype` holds their counts, in mix order.
    fn chunk(&self, first: u64, count: u64, per_archetype: &[Metrics]);
}

/// A sink that ignores partial results.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSink;

impl Sink for NoSink {
    fn chunk(&self, _first: u64, _count: u64, _per_archetype: &[Metrics]) {}
}

/// An archetype of a report.
#[derive(Clone, Debug, PartialEq)]
pub struct ArchetypeInfo {
    /// Its id.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Its weight in the mix.
    pub weight: f64,
}

/// A user worth opening: the lowest user indices of each archetype with a decision of each
/// outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UserSample {
    /// Archetype, in mix order.
    pub archetype: usize,
    /// A decision outcome the user had: `sent`, or a reason for holding back.
    pub reason: Reason,
    /// The user's index.
    pub index: u64,
}

/// The text of a nudge composed for a sampled user.
#[derive(Clone, Debug, PartialEq)]
pub struct TextSample {
    /// The user's index.
    pub index: u64,
    /// Archetype, in mix order.
    pub archetype: usize,
    /// When it is sent (UTC seconds).
    pub at_secs: i64,
    /// The text, or `None` when the composer held the nudge back.
    pub text: Option<String>,
    /// `sent` or the composer's reason for holding back.
    pub reason: Reason,
}

/// The result of a population run.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationReport {
    /// The persona's id.
    pub persona: String,
    /// The policy's name.
    pub policy: String,
    /// The mix's name.
    pub mix: String,
    /// Number of users.
    pub users: u64,
    /// Length of the run in days.
    pub days: u32,
    /// The seed.
    pub seed: u64,
    /// First day of the run.
    pub start: NaiveDate,
    /// The archetypes, in mix order.
    pub archetypes: Vec<ArchetypeInfo>,
    /// Counts per archetype, in mix order.
    pub per_archetype: Vec<Metrics>,
    /// Users worth opening, by archetype, outcome and index.
    pub samples: Vec<UserSample>,
    /// Texts composed for some sampled users (empty unless asked for).
    pub texts: Vec<TextSample>,
    /// Problems that did not stop the run.
    pub warnings: Vec<String>,
}

impl PopulationReport {
    /// Counts over every archetype.
    pub fn total(&self) -> Metrics {
        let mut total = Metrics::new(self.days);
        for m in &self.per_archetype {
            total.merge(m);
        }
        total
    }
}

/// Runs the population of `config`; `progress` counts users as they finish and `cancel`, when
/// set, stops the run with [`SimError::Cancelled`].
pub fn run(
    config: &PopulationConfig,
    progress: &Progress,
    cancel: &AtomicBool,
) -> Result<PopulationReport, SimError> {
    Population::new(config.clone())?.run(progress, cancel, &NoSink)
}

/// User `index` of the population of `config`, as a scenario with texts.
pub fn user_scenario(config: &PopulationConfig, index: u64) -> Result<Scenario, SimError> {
    Population::new(config.clone())?.user_scenario(index)
}

/// Partial result of some chunks.
struct Partial {
    per_archetype: Vec<Metrics>,
    /// Lowest user indices per archetype and reason, `[archetype * reasons + reason]`.
    samples: Vec<Vec<u64>>,
}

impl Partial {
    fn new(archetypes: usize, days: u32) -> Self {
        Self {
            per_archetype: vec![Metrics::new(days); archetypes],
            samples: vec![Vec::new(); archetypes * Reason::ALL.len()],
        }
    }

    fn merge(mut self, other: Partial) -> Partial {
        for (a, b) in self.per_archetype.iter_mut().zip(&other.per_archetype) {
            a.merge(b);
        }
        for (a, b) in self.samples.iter_mut().zip(other.samples) {
            a.extend(b);
            a.sort_unstable();
            a.truncate(SAMPLES_PER_KIND);
        }
        self
    }
}

/// One decision of a synthetic user.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SimDecision {
    /// The candidate nudge.
    pub candidate: Candidate,
    /// The rules evaluated.
    pub evaluation: Evaluation,
}

/// Everything that happened to one synthetic user.
#[derive(Clone, Debug, PartialEq)]
pub struct UserRun {
    /// Who the user is.
    pub plan: UserPlan,
    /// The user's messages during the run, in time order.
    pub messages: Vec<SimMessage>,
    /// The engine's decisions, in time order.
    pub decisions: Vec<SimDecision>,
    /// Reactions to sent nudges: the nudge's time and what the user did.
    pub reactions: Vec<(i64, Reaction)>,
}

#[derive(Default)]
struct Recorder {
    messages: Vec<SimMessage>,
    decisions: Vec<SimDecision>,
    reactions: Vec<(i64, Reaction)>,
}

impl Observer for Recorder {
    fn message(&mut self, message: &SimMessage, in_run: bool) {
        if in_run {
            self.messages.push(*message);
        }
    }

    fn decision(&mut self, candidate: &Candidate, evaluation: &Evaluation) {
        self.decisions.push(SimDecision {
            candidate: *candidate,
            evaluation: *evaluation,
        });
    }

    fn reaction(&mut self, nudge_at_secs: i64, reaction: Reaction) {
        self.reactions.push((nudge_at_secs, reaction));
    }
}

impl Population {
    fn chunk(&self, chunk: u64, scratch: &mut Scratch) -> (u64, u64, Partial) {
        let days = self.config.days;
        let first = chunk * CHUNK_USERS;
        let end = (first + CHUNK_USERS).min(self.config.users);
        let mut partial = Partial::new(self.archetypes.len(), days);
        for index in first..end {
            let plan = user::plan(self, index);
            let mut tally = metrics::Tally::new(
                &mut partial.per_archetype[plan.archetype],
                &self.zones[plan.zone],
                self.start_secs,
                &plan,
            );
            user::simulate(self, &plan, scratch, &mut tally);
            let reasons = tally.finish();
            if reasons != 0 {
                for (r, _) in Reason::ALL.iter().enumerate() {
                    let list = &mut partial.samples[plan.archetype * Reason::ALL.len() + r];
                    if reasons & (1 << r) != 0 && list.len() < SAMPLES_PER_KIND {
                        list.push(index);
                    }
                }
            }
        }
        (first, end - first, partial)
    }

    /// Runs the population, sending partial results to `sink` as chunks of users finish.
    pub fn run(
        &self,
        progress: &Progress,
        cancel: &AtomicBool,
        sink: &dyn Sink,
    ) -> Result<PopulationReport, SimError> {
        let users = self.config.users;
        progress.total.fetch_add(users, Ordering::Relaxed);
        let chunks = users.div_ceil(CHUNK_USERS);
        let archetypes = self.archetypes.len();
        let days = self.config.days;
        let partial = (0..chunks)
            .into_par_iter()
            .map_init(Scratch::default, |scratch, chunk| {
                if cancel.load(Ordering::Relaxed) {
                    return Partial::new(archetypes, days);
                }
                let (first, count, partial) = self.chunk(chunk, scratch);
                sink.chunk(first, count, &partial.per_archetype);
                progress.done.fetch_add(count, Ordering::Relaxed);
                partial
            })
            .reduce(|| Partial::new(archetypes, days), Partial::merge);
        if cancel.load(Ordering::Relaxed) {
            return Err(SimError::Cancelled);
        }
        let mut samples = Vec::new();
        for (k, list) in partial.samples.iter().enumerate() {
            for &index in list {
                samples.push(UserSample {
                    archetype: k / Reason::ALL.len(),
                    reason: Reason::ALL[k % Reason::ALL.len()],
                    index,
                });
            }
        }
        samples.sort_unstable();
        let config = &self.config;
        Ok(PopulationReport {
            persona: config.persona.id.clone(),
            policy: config.policy.name.clone(),
            mix: config.mix.name.clone(),
            users,
            days,
            seed: config.seed,
            start: config.start,
            archetypes: config
                .mix
                .archetypes
                .iter()
                .map(|(a, w)| ArchetypeInfo {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    weight: *w,
                })
                .collect(),
            per_archetype: partial.per_archetype,
            samples,
            texts: Vec::new(),
            warnings: self.warnings().to_vec(),
        })
    }

    /// Everything that happened to user `index`.
    pub fn user_run(&self, index: u64) -> Result<UserRun, SimError> {
        if index >= self.config.users {
            return Err(SimError::NoSuchUser {
                index,
                users: self.config.users,
            });
        }
        let plan = user::plan(self, index);
        let mut recorder = Recorder::default();
        user::simulate(self, &plan, &mut Scratch::default(), &mut recorder);
        Ok(UserRun {
            plan,
            messages: recorder.messages,
            decisions: recorder.decisions,
            reactions: recorder.reactions,
        })
    }

    /// User `index` as a scenario: the user's messages with texts written from the archetype's
    /// phrases and the phrase book, each followed by a short bot reply, and `until` set to the
    /// end of the run. Replaying it gives the decisions of the population run.
    pub fn user_scenario(&self, index: u64) -> Result<Scenario, SimError> {
        let run = self.user_run(index)?;
        let plan = &run.plan;
        let compiled = &self.archetypes[plan.archetype];
        let place = &compiled.places[plan.place];
        let mut rng = Stream::new(self.config.seed, index, Purpose::Text);
        let mut events = Vec::with_capacity(run.messages.len() * 2);
        for (i, m) in run.messages.iter().enumerate() {
            let text =
                self.texts
                    .user_text(&self.checker, m.kind, plan.archetype, plan.lang, &mut rng);
            events.push(Event {
                at: instant(m.at_secs),
                from: Sender::User,
                channel: plan.channel,
                text,
                media: false,
            });
            let reply_at = m.at_secs + 1;
            let next = run.messages.get(i + 1).map(|n| n.at_secs);
            if next.is_none_or(|n| n > reply_at)
                && let Some(reply) = self.texts.bot_text(plan.lang, &mut rng)
            {
                events.push(Event {
                    at: instant(reply_at),
                    from: Sender::Bot,
                    channel: plan.channel,
                    text: reply,
                    media: false,
                });
            }
        }
        let archetype = &compiled.archetype;
        let user = User {
            id: format!("user-{index}"),
            name: format!("#{index} {}", archetype.name),
            age: plan.profile_age,
            timezone: self.zones[plan.zone].clock.tz(),
            locale: place.locale.clone(),
            events,
        };
        let mut facts = vec![format!("{} ({})", archetype.name, archetype.id)];
        if plan.minor {
            facts.push(format!(
                "a minor of {}{}",
                plan.age,
                match (plan.profile_age, plan.states_age_in_session) {
                    (Some(_), _) => ", age in the profile",
                    (None, Some(_)) => ", who states it in a message",
                    (None, None) => ", who never tells",
                }
            ));
        }
        if plan.opt_out_day.is_some() {
            facts.push("opts out of their own accord".to_owned());
        }
        if plan.flagged_day.is_some() {
            facts.push("writes flagged messages".to_owned());
        }
        Ok(Scenario {
            name: format!("Population user #{index}"),
            description: format!(
                "Synthetic user #{index} of the `{}` mix, seed {}, {} days from {}: {}.",
                self.config.mix.name,
                self.config.seed,
                self.config.days,
                self.config.start,
                facts.join(", ")
            ),
            until: Some(instant(self.end_secs)),
            users: vec![user],
        })
    }

    /// Composes the nudges of up to `users` sampled users (those with a sent nudge, taken in
    /// turn from each archetype) and adds them to `report.texts`.
    pub fn sample_texts(
        &self,
        report: &mut PopulationReport,
        users: usize,
    ) -> Result<(), SimError> {
        let mut picked: Vec<UserSample> = Vec::new();
        for round in 0..SAMPLES_PER_KIND {
            for a in 0..self.archetypes.len() {
                if let Some(s) = report
                    .samples
                    .iter()
                    .filter(|s| s.archetype == a && s.reason == Reason::Sent)
                    .nth(round)
                    && picked.len() < users
                {
                    picked.push(*s);
                }
            }
        }
        for sample in picked {
            let scenario = self.user_scenario(sample.index)?;
            let Some(user) = scenario.users.first() else {
                continue;
            };
            let decisions = decide_user(
                &self.config.persona,
                &self.config.policy,
                &self.checker,
                user,
                scenario.until,
                ReplayOptions {
                    compose: true,
                    ..ReplayOptions::default()
                },
            );
            for d in decisions {
                if d.evaluation.reason != Reason::Sent {
                    continue;
                }
                report.texts.push(TextSample {
                    index: sample.index,
                    archetype: sample.archetype,
                    at_secs: d.at.timestamp(),
                    text: d.text().map(str::to_owned),
                    reason: d.reason,
                });
            }
        }
        Ok(())
    }
}
