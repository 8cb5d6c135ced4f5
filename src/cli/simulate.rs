//! `relance simulate`: replay a scenario.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::model::Persona;
use crate::model::diagnostics::writes_in_place;
use crate::model::scenario::{ReplaySource, ScenarioText, StreamedScenario};
use crate::replay::{ReplayOptions, Replayer, StreamedError};
use crate::report::simulation::{JsonWriter, TextReport};

/// Arguments of `relance simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The persona, the scenario and the policy.
    #[command(flatten)]
    pub replay: super::ReplayArgs,
    /// Print one JSON object (the documented contract) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs `relance simulate`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let persona = super::load_persona(&args.replay.persona)?;
    let text = ScenarioText::read(&args.replay.scenario)?;
    // JSON to a file written atomically: a large scenario can be read along with the replay,
    // since an invalid user found on the way leaves the file untouched.
    let streamable = args.json && args.out.as_ref().is_some_and(|out| !writes_in_place(out));
    let (scenario, warnings) = if streamable {
        match text.open_for_replay()? {
            ReplaySource::Streamed(scenario) => return streamed_json(&persona, &args, &scenario),
            ReplaySource::Whole(scenario, warnings) => (scenario, warnings),
        }
    } else {
        text.load()?
    };
    super::print_warnings(&args.replay.scenario, &warnings);
    let policy = super::resolve_policy(&persona, args.replay.policy.as_deref())?;
    let replayer = Replayer::new(&persona, &policy, &scenario, ReplayOptions::default());
    if args.json {
        // Replayed and written user by user: the JSON of a large scenario is never held whole.
        super::emit_with(args.out.as_ref(), |out| {
            let mut json = JsonWriter::start(&policy.name, out)?;
            replayer.run(&scenario.users, &mut json)?;
            json.finish()
        })?;
    } else {
        let mut text = TextReport::default();
        match replayer.run(&scenario.users, &mut text) {
            Ok(()) => {}
            Err(never) => match never {},
        }
        super::emit(
            args.out.as_ref(),
            &text.finish(&persona, &scenario, &policy),
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `--json --out FILE` of a scenario read user by user ([`ScenarioText::open_for_replay`]);
/// its warnings come after the run.
fn streamed_json(
    persona: &Persona,
    args: &Args,
    scenario: &StreamedScenario<'_>,
) -> anyhow::Result<ExitCode> {
    let policy = super::resolve_policy(persona, args.replay.policy.as_deref())?;
    let mut invalid = None;
    let mut warnings = Vec::new();
    let replayer = Replayer::new(persona, &policy, scenario.head(), ReplayOptions::default());
    let written = super::emit_with(args.out.as_ref(), |out| {
        let mut json = JsonWriter::start(&policy.name, out)?;
        match replayer.run_streamed(scenario, &mut json) {
            Ok(found) => warnings = found,
            Err(StreamedError::Sink(error)) => return Err(error),
            Err(StreamedError::Scenario(error)) => {
                invalid = Some(error);
                return Err(std::io::Error::other("the scenario is invalid"));
            }
        }
        json.finish()
    });
    if let Some(error) = invalid {
        return Err(error.into());
    }
    written?;
    super::print_warnings(&args.replay.scenario, &warnings);
    Ok(ExitCode::SUCCESS)
}
