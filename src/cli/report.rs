//! `relance report`: a replay's decisions as CSV, JSON or a self-contained HTML report.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::model::diagnostics::LoadError;
use crate::replay::{ReplayOptions, replay};
use crate::report::document::{ReportFormat, ReportInput, render_report};

/// Arguments of `relance report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The persona, the scenario and the policy.
    #[command(flatten)]
    pub replay: super::ReplayArgs,
    /// A population summary (`relance population --json` output) to include in the HTML report.
    #[arg(long)]
    pub population: Option<PathBuf>,
    /// `csv`, `json` or `html`; default: the extension of `--out`.
    #[arg(long)]
    pub format: Option<String>,
    /// The file to write; default: stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs `relance report`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let name = args
        .format
        .clone()
        .or_else(|| {
            args.out
                .as_ref()
                .and_then(|o| o.extension())
                .map(|e| e.to_string_lossy().into_owned())
        })
        .context("say which report to write with --format csv|json|html")?;
    let format = ReportFormat::from_name(&name)
        .with_context(|| format!("unknown report format `{name}`; use csv, json or html"))?;
    let persona = super::load_persona(&args.replay.persona)?;
    let scenario = super::load_scenario(&args.replay.scenario)?;
    let policy = super::resolve_policy(&persona, args.replay.policy.as_deref())?;
    let population = match &args.population {
        Some(path) => {
            let text = crate::model::limits::read_text_limited(
                path,
                crate::model::limits::MAX_SCENARIO_BYTES,
            )
            .map_err(|e| LoadError::io(path, e))?;
            Some(
                serde_json::from_str::<serde_json::Value>(&text)
                    .map_err(|e| LoadError::from_json(path, &e))?,
            )
        }
        None => None,
    };
    let avatar = match crate::interop::load_avatar(&persona, &args.replay.persona) {
        Ok(avatar) => avatar,
        Err(e) => {
            eprintln!("warning: the avatar is left out: {e}");
            None
        }
    };
    let result = replay(&persona, &policy, &scenario, ReplayOptions::default());
    let text = render_report(
        &ReportInput {
            persona: &persona,
            avatar_png: avatar.as_deref(),
            scenario: &scenario,
            replay: &result,
            population: population.as_ref(),
        },
        format,
    );
    super::emit(args.out.as_ref(), &text)?;
    if let Some(out) = &args.out {
        outln!("{} report written to {}", format.name(), out.display())?;
    }
    Ok(ExitCode::SUCCESS)
}
