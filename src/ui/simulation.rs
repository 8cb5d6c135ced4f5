//! Replays off the UI thread. When the persona, the policy or the scenario changes, the app asks
//! for a new run; each request gets a generation number, at most one run is under way, and only
//! the newest request waits behind it, so fast typing never piles up work. Results come back on
//! a channel and the UI shows the newest one (and a spinner meanwhile).

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::timeline_data::TimelineData;
use crate::engine::Replay;
use crate::model::{Persona, Policy, Scenario};
use crate::replay::{ReplayOptions, replay};

/// What a run needs.
#[derive(Clone, Debug)]
pub struct SimInput {
    /// The persona (its texts and safety additions).
    pub persona: Persona,
    /// The policy applied.
    pub policy: Policy,
    /// The scenario replayed.
    pub scenario: Arc<Scenario>,
}

/// A finished run.
#[derive(Debug)]
pub struct SimOutput {
    /// The request it answers.
    pub generation: u64,
    /// The persona it used.
    pub persona: Persona,
    /// The scenario it replayed.
    pub scenario: Arc<Scenario>,
    /// The engine's decisions.
    pub replay: Replay,
    /// What the timeline draws.
    pub timeline: TimelineData,
    /// How long the run took (replay and markers).
    pub elapsed: Duration,
}

/// Runs simulations on a worker thread, newest request wins.
pub struct Simulator {
    requested: u64,
    running: Option<(u64, JoinHandle<()>)>,
    queued: Option<(u64, SimInput)>,
    tx: Sender<SimOutput>,
    rx: Receiver<SimOutput>,
    latest: Option<Arc<SimOutput>>,
    failure: Option<String>,
    wake: Option<egui::Context>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("requested", &self.requested)
            .field("busy", &self.is_busy())
            .finish()
    }
}

impl Simulator {
    /// A simulator that repaints `wake` when a result arrives.
    pub fn new(wake: Option<egui::Context>) -> Self {
        let (tx, rx) = channel();
        Self {
            requested: 0,
            running: None,
            queued: None,
            tx,
            rx,
            latest: None,
            failure: None,
            wake,
        }
    }

    /// Repaints `ctx` when a result arrives.
    pub fn set_wake(&mut self, ctx: egui::Context) {
        self.wake = Some(ctx);
    }

    /// Asks for a run on `input`; returns its generation.
    pub fn request(&mut self, input: SimInput) -> u64 {
        self.requested += 1;
        self.failure = None;
        self.queued = Some((self.requested, input));
        self.start_queued();
        self.requested
    }

    fn start_queued(&mut self) {
        if self.running.is_some() {
            return;
        }
        let Some((generation, input)) = self.queued.take() else {
            return;
        };
        let tx = self.tx.clone();
        let wake = self.wake.clone();
        let spawned = std::thread::Builder::new()
            .name("relance-replay".to_owned())
            .spawn(move || {
                let started = Instant::now();
                let replay = replay(
                    &input.persona,
                    &input.policy,
                    &input.scenario,
                    ReplayOptions::default(),
                );
                let timeline = TimelineData::build(&input.scenario, &replay);
                // The receiver is gone only when the app closed: nothing to report then.
                let _ = tx.send(SimOutput {
                    generation,
                    persona: input.persona,
                    scenario: input.scenario,
                    replay,
                    timeline,
                    elapsed: started.elapsed(),
                });
                if let Some(ctx) = wake {
                    ctx.request_repaint();
                }
            });
        match spawned {
            Ok(handle) => self.running = Some((generation, handle)),
            Err(e) => self.failure = Some(format!("cannot start the simulation: {e}")),
        }
    }

    /// Takes finished runs; returns whether a newer result is available.
    pub fn poll(&mut self) -> bool {
        let mut updated = false;
        // Checked before draining: a run that finished has sent its result by then.
        let finished = self
            .running
            .as_ref()
            .is_some_and(|(_, handle)| handle.is_finished());
        while let Ok(output) = self.rx.try_recv() {
            if self
                .running
                .as_ref()
                .is_some_and(|(g, _)| *g == output.generation)
            {
                self.running = None;
            }
            if self
                .latest
                .as_ref()
                .is_none_or(|l| l.generation < output.generation)
            {
                self.latest = Some(Arc::new(output));
                updated = true;
            }
        }
        if let Some((generation, _)) = &self.running
            && finished
        {
            // Finished without sending: the engine panicked on this input.
            self.failure = Some(format!(
                "the simulation of request {generation} failed; change the input to try again"
            ));
            self.running = None;
        }
        self.start_queued();
        updated
    }

    /// The newest result.
    pub fn latest(&self) -> Option<&Arc<SimOutput>> {
        self.latest.as_ref()
    }

    /// Whether the newest request has not been answered yet.
    pub fn is_busy(&self) -> bool {
        self.running.is_some() || self.queued.is_some()
    }

    /// Why the last run failed, if it did.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Waits until the newest request is answered (for tests, benchmarks and headless use).
    pub fn wait(&mut self) {
        while self.is_busy() {
            if let Some((_, handle)) = &self.running
                && !handle.is_finished()
            {
                std::thread::sleep(Duration::from_millis(1));
            }
            self.poll();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scenario::ScenarioFormat;

    fn input(name: &str) -> SimInput {
        let json = r#"{"name": "s", "users": [{"id": "a", "timezone": "UTC", "locale": "en",
          "events": [{"at": "2026-01-01T10:00:00Z", "from": "user", "channel": "messenger", "text": "hi"}]}]}"#;
        let (s, _) =
            Scenario::from_str(json, ScenarioFormat::Json, "s.json".as_ref()).expect("loads");
        let mut persona = Persona::new_blank("p", "P");
        persona.name = name.to_owned();
        SimInput {
            persona,
            policy: Policy::omni(),
            scenario: Arc::new(s),
        }
    }

    #[test]
    fn the_newest_request_wins() {
        let mut sim = Simulator::new(None);
        assert!(sim.latest().is_none());
        sim.request(input("a"));
        sim.request(input("b"));
        let last = sim.request(input("c"));
        assert!(sim.is_busy());
        sim.wait();
        assert!(!sim.is_busy());
        let out = sim.latest().expect("a result");
        assert_eq!(out.generation, last);
        assert_eq!(out.timeline.totals, (0, 1));
        assert!(sim.failure().is_none());
    }
}
