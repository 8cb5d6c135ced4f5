//! `relance simulate`: replay a scenario.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::engine::{ReplayOptions, replay};
use crate::report::simulation::{simulation_text, write_replay_json};

/// Arguments of `relance simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Persona file (.ron).
    #[arg(long)]
    pub persona: PathBuf,
    /// Scenario file (.ron or .json).
    #[arg(long)]
    pub scenario: PathBuf,
    /// A preset name or a policy file; default: the persona's policy.
    #[arg(long)]
    pub policy: Option<String>,
    /// Print one JSON object (the documented contract) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs `relance simulate`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let persona = super::load_persona(&args.persona)?;
    let scenario = super::load_scenario(&args.scenario)?;
    let policy = super::resolve_policy(&persona, args.policy.as_deref())?;
    if args.json {
        // Replayed and written user by user: the JSON of a large scenario is never held whole.
        super::emit_with(args.out.as_ref(), |out| {
            write_replay_json(&persona, &policy, &scenario, ReplayOptions::default(), out)
        })?;
    } else {
        let result = replay(&persona, &policy, &scenario, ReplayOptions::default());
        super::emit(
            args.out.as_ref(),
            &simulation_text(&persona, &scenario, &result),
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
