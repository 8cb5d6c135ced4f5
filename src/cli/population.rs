//! `relance population`: simulate a population of synthetic users under a policy.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::NaiveDate;

use crate::model::Persona;
use crate::model::scenario::ScenarioFormat;
use crate::replay::{ReplayOptions, replay};
use crate::report::simulation::{simulation_json_text, simulation_text};
use crate::sim::report::{comparison_json, comparison_text, population_json, population_text};
use crate::sim::{Mix, NoSink, Population, PopulationConfig, PopulationReport, Progress};

/// The most worker threads `--threads` may ask for.
pub const MAX_THREADS: usize = 1024;

/// Arguments of `relance population`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Persona file (.ron); default: a blank persona under `omni`.
    #[arg(long)]
    pub persona: Option<PathBuf>,
    /// A preset name or a policy file; default: the persona's policy.
    #[arg(long)]
    pub policy: Option<String>,
    /// Number of synthetic users.
    #[arg(long, default_value_t = 10_000)]
    pub users: u64,
    /// Length of the run in days.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Seed of every random draw: the same seed gives the same report.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First day of the run (YYYY-MM-DD), in each user's time zone.
    #[arg(long, value_name = "DATE")]
    pub start: Option<NaiveDate>,
    /// Mix file (.ron); default: the built-in mix of `assets/archetypes/default-mix.ron`.
    #[arg(long)]
    pub mix: Option<PathBuf>,
    /// Run the same population (same seed) under a second policy and report the difference.
    #[arg(long, value_name = "POLICY")]
    pub compare: Option<String>,
    /// Compose the nudges of this many sampled users and show their texts.
    #[arg(long, value_name = "USERS")]
    pub texts: Option<usize>,
    /// Worker threads; default: one per core.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Show user #N of the population instead: its timeline as `simulate` prints it, or with
    /// `--scenario-out`, the scenario file.
    #[arg(long, value_name = "N")]
    pub user: Option<u64>,
    /// With `--user`: write the user's scenario to this file (.ron or .json).
    #[arg(long, value_name = "FILE", requires = "user")]
    pub scenario_out: Option<PathBuf>,
    /// Print one JSON object (the documented contract) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs `relance population`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let persona = match &args.persona {
        Some(path) => super::load_persona(path)?,
        None => Persona::new_blank("population", "Population"),
    };
    let policy = super::resolve_policy(&persona, args.policy.as_deref())?;
    let mix = match &args.mix {
        Some(path) => Mix::load(path)?,
        None => Mix::builtin()?,
    };
    let mut config = PopulationConfig::new(persona, policy)?;
    config.mix = mix;
    config.users = args.users;
    config.days = args.days;
    config.seed = args.seed;
    if let Some(start) = args.start {
        config.start = start;
    }
    let compare = match &args.compare {
        Some(name) => Some(super::resolve_policy(&config.persona, Some(name))?),
        None => None,
    };
    let pool = {
        let mut builder = rayon::ThreadPoolBuilder::new();
        if let Some(n) = args.threads {
            anyhow::ensure!(
                (1..=MAX_THREADS).contains(&n),
                "--threads takes 1 to {MAX_THREADS} worker threads, not {n}"
            );
            builder = builder.num_threads(n);
        }
        builder.build().context("cannot start the worker threads")?
    };
    if let Some(index) = args.user {
        return pool.install(|| show_user(&args, config, index));
    }
    let population = Population::new(config.clone())?;
    for w in population.warnings() {
        eprintln!("warning: {w}");
    }
    let other = match compare {
        Some(policy) => Some(Population::new(PopulationConfig { policy, ..config })?),
        None => None,
    };
    let progress = Progress::default();
    let cancel = AtomicBool::new(false);
    let started = Instant::now();
    let (base, compared) = pool.install(|| {
        with_progress_bar(&progress, started, || -> anyhow::Result<_> {
            let mut base = population.run(&progress, &cancel, &NoSink)?;
            let mut compared = match &other {
                Some(p) => Some(p.run(&progress, &cancel, &NoSink)?),
                None => None,
            };
            if let Some(n) = args.texts {
                population.sample_texts(&mut base, n)?;
                if let (Some(p), Some(r)) = (&other, compared.as_mut()) {
                    p.sample_texts(r, n)?;
                }
            }
            Ok((base, compared))
        })
    })?;
    let text = render(&args, &base, compared.as_ref())?;
    super::emit(args.out.as_ref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

fn render(
    args: &Args,
    base: &PopulationReport,
    compared: Option<&PopulationReport>,
) -> anyhow::Result<String> {
    let mut text = match (args.json, compared) {
        (true, None) => serde_json::to_string(&population_json(base))?,
        (true, Some(other)) => serde_json::to_string(&comparison_json(base, other))?,
        (false, None) => population_text(base),
        (false, Some(other)) => comparison_text(base, other),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

fn show_user(args: &Args, config: PopulationConfig, index: u64) -> anyhow::Result<ExitCode> {
    let persona = config.persona.clone();
    let policy = config.policy.clone();
    let population = Population::new(config)?;
    let scenario = population.user_scenario(index)?;
    if let Some(path) = &args.scenario_out {
        if ScenarioFormat::from_path(path).is_none() {
            anyhow::bail!(
                "{}: unknown file type; expected .ron or .json",
                path.display()
            );
        }
        scenario.save(path)?;
        eprintln!("wrote user #{index} to {}", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let result = replay(&persona, &policy, &scenario, ReplayOptions::default());
    let text = if args.json {
        simulation_json_text(&persona, &scenario, &result)?
    } else {
        format!(
            "{}\n{}",
            scenario.description,
            simulation_text(&persona, &scenario, &result)
        )
    };
    super::emit(args.out.as_ref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `work` while a progress line on stderr (when it is a terminal) shows `progress`.
fn with_progress_bar<T>(progress: &Progress, started: Instant, work: impl FnOnce() -> T) -> T {
    if !std::io::stderr().is_terminal() {
        return work();
    }
    let finished = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !finished.load(Ordering::Relaxed) {
                draw(progress, started);
                std::thread::sleep(Duration::from_millis(100));
            }
            draw(progress, started);
            eprintln!();
        });
        let result = work();
        finished.store(true, Ordering::Relaxed);
        result
    })
}

fn draw(progress: &Progress, started: Instant) {
    const WIDTH: usize = 30;
    let fraction = progress.fraction().clamp(0.0, 1.0);
    let filled = (fraction * WIDTH as f32).round() as usize;
    let mut stderr = std::io::stderr().lock();
    let _ = write!(
        stderr,
        "\r[{}{}] {:>3.0}%  {} / {} users  {:.1} s ",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled),
        100.0 * fraction,
        progress.done(),
        progress.total(),
        started.elapsed().as_secs_f64()
    );
    let _ = stderr.flush();
}
