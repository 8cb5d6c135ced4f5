//! The command line: clap commands over the library. Results go to stdout, errors to stderr.
//!
//! Exit codes: 0 success, 1 invalid input (a file that does not load, a check that fails),
//! 2 usage (clap's own errors).

/// `println!` that returns the write's error instead of panicking, so that a command whose
/// reader has gone (`relance check … | head -1`) ends quietly through [`is_broken_pipe`].
macro_rules! outln {
    ($($arg:tt)*) => {
        std::io::Write::write_fmt(
            &mut std::io::stdout().lock(),
            format_args!("{}\n", format_args!($($arg)*)),
        )
    };
}

mod check;
mod compose;
mod diff;
mod explain;
mod export;
mod import;
mod import_chat;
mod population;
mod report;
mod safety_eval;
mod simulate;
mod test;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::model::{Persona, Policy, Scenario};

/// Relance: design chatbot personas and test their proactive follow-ups ("nudges").
#[derive(Debug, Parser)]
#[command(name = "relance", version, about, long_about = None)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// The command; without one, the studio opens.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// A persona file to open in the studio (default: the last one, or the cinema maestro).
    pub persona: Option<PathBuf>,
    /// A scenario file to open in the studio (default: the last one, or the cinema demo).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
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
    /// Print the follow-up a user would get at the next decision, and why those words.
    Compose(compose::Args),
    /// Import a persona: a Character Card (JSON or PNG) or a Relance file, saved as RON.
    Import(import::Args),
    /// Export a persona as RON, JSON, Character Card V2/V3 JSON, or a PNG card.
    Export(export::Args),
    /// Import a WhatsApp export or a SillyTavern log as a scenario.
    ImportChat(import_chat::Args),
    /// Replay a scenario and write a report for stakeholders: CSV, JSON or HTML.
    Report(report::Args),
    /// Simulate a population of synthetic users: how many nudges, to whom, held back why.
    Population(population::Args),
    /// Run the personas' test suites: every expectation of their test scenarios.
    Test(test::Args),
    /// What changed, decision by decision, between two versions of a persona or policy.
    Diff(diff::Args),
    /// Measure the crisis check on labelled messages (JSON Lines): recall and false positives.
    SafetyEval(safety_eval::Args),
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
        // The reader stopped reading (`relance simulate … | head`): nothing more to say.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Whether `error` comes from writing to a pipe whose reader has gone.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if !matches!(
        cli.command,
        Some(Command::Check(_) | Command::Import(_) | Command::Export(_) | Command::ImportChat(_))
    ) {
        warm_up_safety_checker();
    }
    match cli.command {
        Some(Command::Simulate(args)) => simulate::run(args),
        Some(Command::Check(args)) => check::run(args),
        Some(Command::Explain(args)) => explain::run(args),
        Some(Command::Compose(args)) => compose::run(args),
        Some(Command::Import(args)) => import::run(args),
        Some(Command::Export(args)) => export::run(args),
        Some(Command::ImportChat(args)) => import_chat::run(args),
        Some(Command::Report(args)) => report::run(args),
        Some(Command::Population(args)) => population::run(args),
        Some(Command::Test(args)) => test::run(args),
        Some(Command::Diff(args)) => diff::run(args),
        Some(Command::SafetyEval(args)) => safety_eval::run(args),
        None => open_studio(cli.persona, cli.scenario),
    }
}

/// Opens the studio on a persona and a scenario (each defaulting to the last one used).
#[cfg(feature = "gui")]
fn open_studio(persona: Option<PathBuf>, scenario: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    crate::ui::run(persona, scenario)?;
    Ok(ExitCode::SUCCESS)
}

/// A build without the `gui` feature has no studio: say so, and how to get it.
#[cfg(not(feature = "gui"))]
fn open_studio(_persona: Option<PathBuf>, _scenario: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    eprintln!(
        "error: this relance was built without the studio (cargo feature `gui`); \
         run a command (see `relance --help`) or build with the default features"
    );
    Ok(ExitCode::from(2))
}

/// Compiles the built-in sensitive-topic checker on another thread while the command reads its
/// files: the lexicons make tens of thousands of patterns, and the replay needs them only once
/// the scenario is parsed. The first use waits for this build instead of starting its own.
fn warm_up_safety_checker() {
    std::thread::spawn(|| {
        let _ = crate::safety::SafetyChecker::builtin();
    });
}

/// The arguments every command that replays a scenario takes: `--persona`, `--scenario` and
/// `--policy` (flattened into `simulate`, `explain`, `compose` and `report`).
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Persona file (.ron).
    #[arg(long)]
    pub persona: PathBuf,
    /// Scenario file (.ron or .json).
    #[arg(long)]
    pub scenario: PathBuf,
    /// A preset name or a policy file; default: the persona's policy.
    #[arg(long)]
    pub policy: Option<String>,
}

/// Loads a persona file (the error names the file and place), and warns about the problems of
/// its safety additions, placed in the file: the replay runs without them.
pub fn load_persona(path: &Path) -> anyhow::Result<Persona> {
    let (persona, warnings) = crate::suite::load_persona(path)?;
    print_warnings(path, &warnings);
    Ok(persona)
}

/// Loads a scenario file (RON or JSON).
pub fn load_scenario(path: &Path) -> anyhow::Result<Scenario> {
    let (scenario, warnings) = crate::model::scenario::ScenarioText::read(path)?.load()?;
    print_warnings(path, &warnings);
    Ok(scenario)
}

/// Prints a file's warnings to stderr.
pub fn print_warnings(path: &Path, warnings: &[crate::model::Diagnostic]) {
    for w in warnings {
        eprintln!("{}", w.display_in(path));
    }
}

/// The policy for a run: `--policy NAME|FILE` if given, else the persona's.
pub fn resolve_policy(persona: &Persona, policy: Option<&str>) -> anyhow::Result<Policy> {
    Ok(crate::model::policy::resolve_policy(
        &persona.policy,
        policy,
    )?)
}

/// Writes what `write` writes to `--out FILE` (atomically) or to stdout, through a buffer.
pub fn emit_with(
    out: Option<&PathBuf>,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    match out {
        Some(path) => crate::model::diagnostics::write_atomically_with(path, write)?,
        None => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            write(&mut stdout)?;
            stdout.flush()?;
        }
    }
    Ok(())
}

/// Writes `text` to `--out FILE` (atomically) or to stdout.
pub fn emit(out: Option<&PathBuf>, text: &str) -> anyhow::Result<()> {
    emit_with(out, |w| w.write_all(text.as_bytes()))
}
