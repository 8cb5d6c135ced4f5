//! Population runs off the UI thread. A run is a worker thread that simulates the population (and
//! the same population under a second policy, when comparing) on rayon's pool, counting users in
//! shared [`Progress`] counters that the panel polls for its progress bar. Cancelling sets a
//! shared flag that the simulation checks between chunks of users, so it returns promptly. Each
//! run gets a generation number; a result or an error comes back on a channel, and only the
//! newest run's answer is kept, as in [`super::simulation`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::model::Policy;
use crate::sim::{NoSink, Population, PopulationConfig, PopulationReport, Progress, SimError};

/// What to run: a population, and optionally a second policy for the same users.
#[derive(Clone, Debug)]
pub struct PopulationRequest {
    /// The population and its policy.
    pub config: PopulationConfig,
    /// A second policy run on the same population (same seed), to compare.
    pub compare: Option<Policy>,
}

/// A finished run.
#[derive(Clone, Debug)]
pub struct PopulationOutput {
    /// The run it answers.
    pub generation: u64,
    /// What was run (to open its users later, even after the settings changed).
    pub request: PopulationRequest,
    /// The report under the first policy.
    pub base: PopulationReport,
    /// The report under the second policy, when comparing.
    pub compared: Option<PopulationReport>,
    /// How long the run took.
    pub elapsed: Duration,
}

/// How the last run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// It finished; its result is [`PopulationRunner::latest`].
    Finished,
    /// The user cancelled it.
    Cancelled,
    /// It could not run (the message says why).
    Failed(String),
}

/// What the progress bar shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunProgress {
    /// Users simulated, over both policies when comparing.
    pub done: u64,
    /// Users to simulate, over both policies when comparing.
    pub total: u64,
    /// Time since the run started.
    pub elapsed: Duration,
}

impl RunProgress {
    /// Share done, from 0 to 1.
    pub fn fraction(&self) -> f32 {
        if self.total == 0 {
            0.0
        } else {
            (self.done as f64 / self.total as f64).clamp(0.0, 1.0) as f32
        }
    }
}

type Answer = (u64, Result<PopulationOutput, SimError>);

struct Running {
    /// One progress per policy run: the second run's total is only known when it starts.
    progress: [Arc<Progress>; 2],
    runs: u64,
    users: u64,
    cancel: Arc<AtomicBool>,
    started: Instant,
    handle: JoinHandle<()>,
}

/// Runs populations on a worker thread, one at a time.
pub struct PopulationRunner {
    generation: u64,
    running: Option<Running>,
    tx: Sender<Answer>,
    rx: Receiver<Answer>,
    latest: Option<Arc<PopulationOutput>>,
    end: Option<RunEnd>,
    wake: Option<egui::Context>,
}

impl std::fmt::Debug for PopulationRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PopulationRunner")
            .field("generation", &self.generation)
            .field("running", &self.is_running())
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

impl Default for PopulationRunner {
    fn default() -> Self {
        Self::new(None)
    }
}

impl PopulationRunner {
    /// A runner that repaints `wake` when a run ends.
    pub fn new(wake: Option<egui::Context>) -> Self {
        let (tx, rx) = channel();
        Self {
            generation: 0,
            running: None,
            tx,
            rx,
            latest: None,
            end: None,
            wake,
        }
    }

    /// Repaints `ctx` when a run ends.
    pub fn set_wake(&mut self, ctx: egui::Context) {
        self.wake = Some(ctx);
    }

    /// Starts a run, cancelling the one under way (whose answer is then ignored). Returns its
    /// generation.
    pub fn start(&mut self, request: PopulationRequest) -> u64 {
        self.cancel();
        self.generation += 1;
        let generation = self.generation;
        let progress = [Arc::new(Progress::default()), Arc::new(Progress::default())];
        let cancel = Arc::new(AtomicBool::new(false));
        let runs = if request.compare.is_some() { 2 } else { 1 };
        let users = request.config.users;
        let tx = self.tx.clone();
        let wake = self.wake.clone();
        let (thread_progress, thread_cancel) = (progress.clone(), cancel.clone());
        let spawned = std::thread::Builder::new()
            .name("relance-population".to_owned())
            .spawn(move || {
                let answer = run(generation, request, &thread_progress, &thread_cancel);
                // The receiver is gone only when the app closed: nothing to report then.
                let _ = tx.send((generation, answer));
                if let Some(ctx) = wake {
                    ctx.request_repaint();
                }
            });
        self.end = None;
        match spawned {
            Ok(handle) => {
                self.running = Some(Running {
                    progress,
                    runs,
                    users,
                    cancel,
                    started: Instant::now(),
                    handle,
                });
            }
            Err(e) => {
                self.end = Some(RunEnd::Failed(format!(
                    "cannot start the population run: {e}"
                )));
            }
        }
        generation
    }

    /// Asks the run under way to stop; [`Self::poll`] reports it cancelled once it has.
    pub fn cancel(&mut self) {
        if let Some(r) = &self.running {
            r.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Takes the answer of the run under way, if it came; returns whether the state changed.
    pub fn poll(&mut self) -> bool {
        let mut changed = false;
        // Checked before draining: a run that finished has sent its answer by then.
        let finished = self
            .running
            .as_ref()
            .is_some_and(|r| r.handle.is_finished());
        while let Ok((generation, answer)) = self.rx.try_recv() {
            if generation != self.generation {
                continue;
            }
            self.running = None;
            changed = true;
            self.end = Some(match answer {
                Ok(output) => {
                    self.latest = Some(Arc::new(output));
                    RunEnd::Finished
                }
                Err(SimError::Cancelled) => RunEnd::Cancelled,
                Err(e) => RunEnd::Failed(e.to_string()),
            });
        }
        if finished && self.running.is_some() {
            // Finished without answering: the simulation panicked on this input.
            self.running = None;
            self.end = Some(RunEnd::Failed(
                "the population run failed unexpectedly; change the settings to try again"
                    .to_owned(),
            ));
            changed = true;
        }
        changed
    }

    /// Whether a run is under way.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Whether the run under way was asked to stop.
    pub fn is_cancelling(&self) -> bool {
        self.running
            .as_ref()
            .is_some_and(|r| r.cancel.load(Ordering::Relaxed))
    }

    /// The progress of the run under way.
    pub fn progress(&self) -> Option<RunProgress> {
        let r = self.running.as_ref()?;
        Some(RunProgress {
            done: r.progress.iter().map(|p| p.done()).sum(),
            total: r.users * r.runs,
            elapsed: r.started.elapsed(),
        })
    }

    /// The newest finished run.
    pub fn latest(&self) -> Option<&Arc<PopulationOutput>> {
        self.latest.as_ref()
    }

    /// How the last run ended, once it has.
    pub fn end(&self) -> Option<&RunEnd> {
        self.end.as_ref()
    }

    /// Shows `message` as the last run's failure (a run that could not even be requested).
    pub fn fail(&mut self, message: String) {
        self.end = Some(RunEnd::Failed(message));
    }

    /// Waits until the run under way has answered (for tests and headless use).
    pub fn wait(&mut self) {
        while self.is_running() {
            std::thread::sleep(Duration::from_millis(1));
            self.poll();
        }
    }
}

fn run(
    generation: u64,
    request: PopulationRequest,
    progress: &[Arc<Progress>; 2],
    cancel: &AtomicBool,
) -> Result<PopulationOutput, SimError> {
    let started = Instant::now();
    let base = Population::new(request.config.clone())?.run(&progress[0], cancel, &NoSink)?;
    let compared = match &request.compare {
        Some(policy) => {
            let config = PopulationConfig {
                policy: policy.clone(),
                ..request.config.clone()
            };
            Some(Population::new(config)?.run(&progress[1], cancel, &NoSink)?)
        }
        None => None,
    };
    Ok(PopulationOutput {
        generation,
        request,
        base,
        compared,
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Persona;

    fn request(users: u64, compare: Option<Policy>) -> PopulationRequest {
        let mut config =
            PopulationConfig::new(Persona::new_blank("p", "P"), Policy::omni()).expect("config");
        config.users = users;
        config.days = 30;
        PopulationRequest { config, compare }
    }

    #[test]
    fn a_run_answers_with_the_same_report_as_the_library() {
        let mut runner = PopulationRunner::default();
        let req = request(300, Policy::preset("pushy"));
        runner.start(req.clone());
        runner.wait();
        assert_eq!(runner.end(), Some(&RunEnd::Finished));
        let out = runner.latest().expect("a result");
        let direct = crate::sim::run(&req.config, &Progress::default(), &AtomicBool::new(false))
            .expect("runs");
        assert_eq!(out.base, direct);
        let compared = out.compared.as_ref().expect("compared");
        assert_eq!(compared.policy, "pushy");
        assert_eq!(compared.users, 300);
        assert!(runner.progress().is_none());
    }

    #[test]
    fn cancelling_stops_the_run_and_keeps_the_previous_result() {
        let mut runner = PopulationRunner::default();
        runner.start(request(50, None));
        runner.wait();
        assert!(runner.latest().is_some());
        runner.start(request(1_000_000, None));
        runner.cancel();
        assert!(runner.is_cancelling());
        runner.wait();
        assert_eq!(runner.end(), Some(&RunEnd::Cancelled));
        assert_eq!(runner.latest().map(|o| o.base.users), Some(50));
    }

    #[test]
    fn an_invalid_configuration_is_reported() {
        let mut runner = PopulationRunner::default();
        runner.start(request(0, None));
        runner.wait();
        let Some(RunEnd::Failed(message)) = runner.end() else {
            panic!("expected a failure, got {:?}", runner.end());
        };
        assert!(message.contains("at least one user"), "{message}");
    }
}
