//! The replay: the policy engine and the composer joined, and the decisions handed to whoever
//! consumes them.
//!
//! The engine decides ([`engine::decide`]: when a nudge would go out, sent or held back, and
//! why); the composer writes the text of each sent decision ([`Composer`]), or holds it back
//! when no text can be sent. Neither knows the other: this layer runs one then the other for
//! each user, and emits the result to a [`DecisionSink`], user by user in scenario order. The
//! command line's text and JSON, the reports, the studio and the tests are all consumers: none
//! of them runs the engine itself.
//!
//! ```
//! use relance::model::{Persona, Policy, Scenario};
//! use relance::replay::{ReplayOptions, replay};
//!
//! let dir = env!("CARGO_MANIFEST_DIR");
//! let persona = Persona::load(format!("{dir}/personas/cinema-maestro.ron").as_ref()).unwrap();
//! let scenario = Scenario::load(format!("{dir}/assets/scenarios/sent.ron").as_ref()).unwrap();
//! let result = replay(&persona, &Policy::omni(), &scenario, ReplayOptions::default());
//! assert!(result.users[0].decisions[0].text().is_some());
//! ```

use std::collections::HashSet;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::compose::{ComposeOutcome, ComposeRequest, Composed, Composer, UserReading};
use crate::engine::{self, Decision, Explanation, Outcome, Replay, UserDecisions, UserFacts};
use crate::model::scenario::StreamedScenario;
use crate::model::{Category, Diagnostic, LoadError, Persona, Policy, Scenario, User};
use crate::safety::SafetyChecker;

/// Options of a replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Compose the texts of sent nudges (the population simulation skips it).
    pub compose: bool,
    /// Varies the composer's choices of templates and phrasings; the same seed always gives
    /// the same texts.
    pub seed: u64,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        Self {
            compose: true,
            seed: 0,
        }
    }
}

/// One user replayed: what a [`DecisionSink`] receives.
#[derive(Debug)]
pub struct UserReplay<'a> {
    /// Index of the user in the scenario.
    pub index: usize,
    /// The user.
    pub user: &'a User,
    /// The policy applied.
    pub policy: &'a Policy,
    /// The decisions, in time order, with the texts of sent ones.
    pub decisions: Vec<Decision>,
    /// The facts the engine read in the user's messages (the flags traces quote).
    pub facts: UserFacts,
}

/// A consumer of a replay's decisions (the JSON writer, the text report, a collected
/// [`Replay`]…).
///
/// Users are replayed in parallel: each user's decisions become a [`DecisionSink::Part`] on
/// the thread that replayed them ([`DecisionSink::part`], a function of that user's replay
/// alone, users in any order), and the parts reach [`DecisionSink::take`] in scenario order,
/// on the thread that runs the replay, while the next users are replayed. A sink that does
/// real work per user (serialising, writing sentences) does it in `part`, so that it keeps
/// every core busy.
pub trait DecisionSink {
    /// What one user's replay becomes.
    type Part: Send;
    /// Why the sink stops the replay.
    type Error: Send;

    /// Turns one user's replay into its part; called on the replay's threads, users in any
    /// order.
    ///
    /// # Errors
    ///
    /// The sink's, which stop the replay.
    fn part(replayed: UserReplay<'_>) -> Result<Self::Part, Self::Error>;

    /// Takes the next part, in scenario order.
    ///
    /// # Errors
    ///
    /// The sink's, which stop the replay.
    fn take(&mut self, part: Self::Part) -> Result<(), Self::Error>;
}

/// Users replayed together: enough to keep every core busy, few enough that a batch's
/// decisions and parts stay small.
pub(crate) const BATCH_USERS: usize = 512;

/// What a replay shares across its users: the persona's safety checker and composer, and the
/// scenario's horizon. `Sync`: users are replayed in parallel.
#[derive(Debug)]
pub struct Replayer<'a> {
    policy: &'a Policy,
    checker: SafetyChecker,
    composer: Option<Composer<'a>>,
    until: Option<DateTime<Utc>>,
}

impl<'a> Replayer<'a> {
    /// A replay of `scenario`'s users under `policy`, up to the scenario's horizon.
    pub fn new(
        persona: &'a Persona,
        policy: &'a Policy,
        scenario: &Scenario,
        options: ReplayOptions,
    ) -> Self {
        Self::until(persona, policy, scenario.horizon(), options)
    }

    /// A replay under `policy` that makes no decision after `until` (`None`: no horizon).
    pub fn until(
        persona: &'a Persona,
        policy: &'a Policy,
        until: Option<DateTime<Utc>>,
        options: ReplayOptions,
    ) -> Self {
        let checker = engine::checker_for(persona);
        let composer = options
            .compose
            .then(|| Composer::new(persona, checker.clone(), options.seed));
        Self {
            policy,
            checker,
            composer,
            until,
        }
    }

    /// The policy applied.
    pub fn policy(&self) -> &'a Policy {
        self.policy
    }

    /// The safety checker of the persona.
    pub fn checker(&self) -> &SafetyChecker {
        &self.checker
    }

    /// The decisions for `user`, the sent ones composed, and the facts they were made from.
    pub fn decide(&self, user: &User) -> (Vec<Decision>, UserFacts) {
        let (mut decisions, facts) = engine::decide(self.policy, &self.checker, user, self.until);
        if let Some(composer) = &self.composer {
            compose_sent(composer, user, &facts, &mut decisions);
        }
        (decisions, facts)
    }

    /// Replays `users` and hands each one's decisions to `sink`, in order.
    ///
    /// # Errors
    ///
    /// The first error of the sink.
    pub fn run<S: DecisionSink>(&self, users: &[User], sink: &mut S) -> Result<(), S::Error> {
        self.run_with(users.len(), sink, |i| self.replayed::<S>(i, &users[i]))
    }

    /// [`Replayer::run`] on a scenario read user by user: each user is parsed in the batch that
    /// replays it. Returns the scenario's warnings (events sorted), in user order.
    ///
    /// # Errors
    ///
    /// The first error of the sink, and the scenario's problems
    /// ([`StreamedScenario::error`]) when a user is invalid or two share an id: what the sink
    /// took before is then incomplete.
    pub fn run_streamed<S: DecisionSink>(
        &self,
        scenario: &StreamedScenario<'_>,
        sink: &mut S,
    ) -> Result<Vec<Diagnostic>, StreamedError<S::Error>> {
        let ids = Mutex::new(HashSet::with_capacity(scenario.len()));
        let warnings = Mutex::new(Vec::new());
        let ran = self.run_with(scenario.len(), sink, |i| {
            let (user, user_warnings) = scenario.user(i).ok_or(Failure::Invalid)?;
            // A poisoned lock means another replay thread panicked: its panic is the news.
            let fresh = ids
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(user.id.clone());
            if !fresh {
                return Err(Failure::Invalid);
            }
            if !user_warnings.is_empty() {
                warnings
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((i, user_warnings));
            }
            Ok(self.replayed::<S>(i, &user)?)
        });
        match ran {
            Ok(()) => {}
            Err(Failure::Sink(error)) => return Err(StreamedError::Sink(error)),
            // Said once, whatever the number of invalid users met (loading the file whole to
            // say it is not cheap).
            Err(Failure::Invalid) => return Err(StreamedError::Scenario(scenario.error())),
        }
        let mut warnings = warnings
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        warnings.sort_by_key(|&(i, _)| i);
        Ok(warnings.into_iter().flat_map(|(_, w)| w).collect())
    }

    /// User `index` replayed and turned into the sink's part.
    fn replayed<S: DecisionSink>(&self, index: usize, user: &User) -> Result<S::Part, S::Error> {
        let (decisions, facts) = self.decide(user);
        S::part(UserReplay {
            index,
            user,
            policy: self.policy,
            decisions,
            facts,
        })
    }

    /// Makes the parts of users `0..count` with `part`, in parallel a batch at a time, and
    /// hands them to `sink` in order: on this thread while the next batch is made on another,
    /// or in turn when this thread is one of rayon's (a replay inside a parallel job, which
    /// must not block the pool waiting for it).
    fn run_with<S: DecisionSink, E>(
        &self,
        count: usize,
        sink: &mut S,
        part: impl Fn(usize) -> Result<S::Part, E> + Sync,
    ) -> Result<(), E>
    where
        E: From<S::Error> + Send,
    {
        let batch = |start: usize| {
            (start..count.min(start + BATCH_USERS))
                .into_par_iter()
                .map(&part)
                .collect::<Result<Vec<S::Part>, E>>()
        };
        if rayon::current_thread_index().is_some() {
            for start in (0..count).step_by(BATCH_USERS) {
                for p in batch(start)? {
                    sink.take(p)?;
                }
            }
            return Ok(());
        }
        std::thread::scope(|scope| {
            let (parts_tx, parts_rx) = std::sync::mpsc::sync_channel(1);
            let batch = &batch;
            scope.spawn(move || {
                for start in (0..count).step_by(BATCH_USERS) {
                    // The sink stopped (an error): no more batches.
                    if parts_tx.send(batch(start)).is_err() {
                        break;
                    }
                }
            });
            for parts in parts_rx {
                for p in parts? {
                    sink.take(p)?;
                }
            }
            Ok(())
        })
    }
}

/// Why [`Replayer::run_streamed`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum StreamedError<E> {
    /// The sink failed.
    #[error(transparent)]
    Sink(E),
    /// The scenario is invalid (found once the replay reached the first invalid user).
    #[error(transparent)]
    Scenario(LoadError),
}

/// Why one user of a streamed replay was not handed to the sink.
enum Failure<E> {
    Sink(E),
    /// The user is invalid, or has the id of another.
    Invalid,
}

impl<E> From<E> for Failure<E> {
    fn from(error: E) -> Self {
        Self::Sink(error)
    }
}

/// Composes the sent decisions of `user` in time order, each knowing the nudges before it; a
/// decision the composer holds back becomes suppressed with its reason.
fn compose_sent(
    composer: &Composer<'_>,
    user: &User,
    facts: &UserFacts,
    decisions: &mut [Decision],
) {
    let mut previous: Vec<Composed> = Vec::new();
    // The memory leaves out what the check flags: the lexicons' first flag, or a crisis the
    // classifier caught (alone or through its sitting), which the lexicons did not flag.
    let mut reading = UserReading::with_flags(
        user,
        facts
            .messages
            .iter()
            .zip(&facts.first_flags)
            .map(|(m, &flag)| match m.blocking {
                Some(Category::SelfHarm) => (m.event as usize, Some(Category::SelfHarm)),
                _ => (m.event as usize, flag),
            }),
    );
    for d in decisions.iter_mut().filter(|d| d.outcome == Outcome::Sent) {
        let request = ComposeRequest {
            user,
            nudge: d.nudge(),
            previous: &previous,
            reading: &mut reading,
        };
        match composer.compose(request) {
            ComposeOutcome::Message(composed, steps) => {
                d.compose_trace = steps;
                previous.push((*composed).clone());
                d.message = Some(*composed);
            }
            ComposeOutcome::Hold(reason, steps) => {
                d.compose_trace = steps;
                d.reason = reason;
                d.outcome = Outcome::Suppressed;
            }
        }
    }
}

/// A replay collected whole, users in scenario order.
struct Collect {
    users: Vec<UserDecisions>,
}

impl DecisionSink for Collect {
    type Part = UserDecisions;
    type Error = std::convert::Infallible;

    fn part(replayed: UserReplay<'_>) -> Result<UserDecisions, Self::Error> {
        Ok(UserDecisions {
            user: replayed.index,
            decisions: replayed.decisions,
        })
    }

    fn take(&mut self, part: UserDecisions) -> Result<(), Self::Error> {
        self.users.push(part);
        Ok(())
    }
}

/// Replays every user of `scenario` under `policy` (users in parallel, results in scenario
/// order) and collects the decisions.
pub fn replay(
    persona: &Persona,
    policy: &Policy,
    scenario: &Scenario,
    options: ReplayOptions,
) -> Replay {
    let replayer = Replayer::new(persona, policy, scenario, options);
    let mut sink = Collect {
        users: Vec::with_capacity(scenario.users.len()),
    };
    match replayer.run(&scenario.users, &mut sink) {
        Ok(()) => {}
        Err(never) => match never {},
    }
    Replay {
        policy: policy.clone(),
        users: sink.users,
    }
}

/// The decisions for one user up to `until`, the sent ones composed when `options` says so.
pub fn decide_user(
    persona: &Persona,
    policy: &Policy,
    checker: &SafetyChecker,
    user: &User,
    until: Option<DateTime<Utc>>,
    options: ReplayOptions,
) -> Vec<Decision> {
    let (mut decisions, facts) = engine::decide(policy, checker, user, until);
    if options.compose {
        let composer = Composer::new(persona, checker.clone(), options.seed);
        compose_sent(&composer, user, &facts, &mut decisions);
    }
    decisions
}

/// What the engine would decide for `user` if a nudge were considered at `at`
/// ([`engine::explain_at`]), with the text of the silence's actual decision.
pub fn explain_at(
    persona: &Persona,
    policy: &Policy,
    user: &User,
    at: DateTime<Utc>,
) -> Explanation {
    let checker = engine::checker_for(persona);
    let mut explanation = engine::explain_at(policy, &checker, user, at);
    if let Some(last) = explanation.last_message {
        explanation.decision_of_silence = decide_user(
            persona,
            policy,
            &checker,
            user,
            None,
            ReplayOptions::default(),
        )
        .into_iter()
        .find(|d| d.silence_start == last);
    }
    explanation
}

#[cfg(test)]
mod tests;
