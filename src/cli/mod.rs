//! The command line: clap commands over the library. Results go to stdout, errors to stderr.
//!
//! Exit codes: 0 success, 1 invalid input (a file that does not load, a check that fails),
//! 2 usage (clap's own errors).

mod check;
mod explain;
mod population;
mod simulate;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::model::policy::PRESET_NAMES;
use crate::model::{Persona, Policy, Scenario};

/// Relance: design chatbot personas and test their proactive follow-ups ("nudges").
#[derive(Debug, Parser)]
#[command(name = "relance", version, about, long_about = None)]
pub struct Cli {
    /// The command; without one, the studio opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay a scenario and print every decision (sent or held back, and why).
    Simulate(simulate::Args),
    /// Validate persona, scenario and policy files; exit code 1 if any is invalid.
    Check(check::Args),
    /// Explain what the engine would decide for one user at one instant.
    Explain(explain::Args),
    /// Simulate a population of synthetic users: how many nudges, to whom, held back why.
    Population(population::Args),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Simulate(args)) => simulate::run(args),
        Some(Command::Check(args)) => check::run(args),
        Some(Command::Explain(args)) => explain::run(args),
        Some(Command::Population(args)) => population::run(args),
        None => {
            use clap::CommandFactory as _;
            Cli::command().print_help()?;
            println!();
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Loads a persona file (the error names the file and place).
pub fn load_persona(path: &Path) -> anyhow::Result<Persona> {
    Ok(Persona::load(path)?)
}

/// Loads a scenario file (RON or JSON).
pub fn load_scenario(path: &Path) -> anyhow::Result<Scenario> {
    let (scenario, warnings) = Scenario::load_with_warnings(path)?;
    for w in warnings {
        eprintln!("{}", w.display_in(path));
    }
    Ok(scenario)
}

/// The policy for a run: `--policy NAME|FILE` if given, else the persona's.
pub fn resolve_policy(persona: &Persona, policy: Option<&str>) -> anyhow::Result<Policy> {
    match policy {
        None => persona.policy.resolve().with_context(|| {
            format!(
                "the persona names the unknown preset `{}`; the presets are {}",
                persona.policy.name(),
                PRESET_NAMES.join(", ")
            )
        }),
        Some(name) => {
            if let Some(p) = Policy::preset(name) {
                return Ok(p);
            }
            let path = Path::new(name);
            if path.exists() {
                return Ok(Policy::load(path)?);
            }
            anyhow::bail!(
                "`{name}` is neither a preset ({}) nor a policy file",
                PRESET_NAMES.join(", ")
            )
        }
    }
}

/// Writes `text` to `--out FILE` (atomically) or to stdout.
pub fn emit(out: Option<&PathBuf>, text: &str) -> anyhow::Result<()> {
    match out {
        Some(path) => {
            crate::model::diagnostics::write_atomically(path, text.as_bytes())?;
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(())
}
