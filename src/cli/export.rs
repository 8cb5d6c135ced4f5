//! `relance export`: a persona as canonical RON, JSON, Character Card V2/V3 JSON, or a PNG card.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::interop::{PersonaFormat, PersonaSource, export_persona_to, import_persona};

/// Arguments of `relance export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The persona: a Relance file (.ron, .json) or any card `relance import` reads.
    pub file: PathBuf,
    /// `ron`, `json`, `ccv2` (JSON), `ccv3` (JSON) or `ccv3-png` (PNG with both `chara` and
    /// `ccv3` chunks).
    #[arg(long)]
    pub format: String,
    /// The image of a PNG card (a PNG); default: the persona's avatar, else a plain placeholder.
    #[arg(long)]
    pub avatar: Option<PathBuf>,
    /// The file to write.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `relance export`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let format = PersonaFormat::from_name(&args.format).with_context(|| {
        format!(
            "unknown format `{}`; the formats are {}",
            args.format,
            PersonaFormat::ALL
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let imported = import_persona(&args.file)?;
    let persona_file = (imported.source == PersonaSource::Relance).then_some(args.file.as_path());
    export_persona_to(
        &imported.persona,
        persona_file,
        format,
        args.avatar.as_deref(),
        &args.out,
    )?;
    outln!(
        "{}: persona `{}` written as {} to {}",
        args.file.display(),
        imported.persona.id,
        format.label(),
        args.out.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
