//! `relance import`: a persona from another tool (character card JSON or PNG) or a Relance file,
//! saved as canonical RON.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::interop::{import_persona, imported_avatar_path, save_imported};

/// Arguments of `relance import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file: a Character Card V1/V2/V3 (.json or .png) or a Relance persona (.ron, .json).
    pub file: PathBuf,
    /// Where to save the persona (.ron); a PNG card's image is saved beside it as its avatar.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace `--out`, and the avatar written beside it, if they exist.
    #[arg(long)]
    pub force: bool,
}

/// Runs `relance import`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.out.exists() && !args.force {
        anyhow::bail!("{} exists; pass --force to replace it", args.out.display());
    }
    let imported = import_persona(&args.file)?;
    let avatar_file = imported_avatar_path(&imported, &args.out);
    if imported.avatar_png.is_some() && avatar_file.exists() && !args.force {
        anyhow::bail!(
            "{} exists (the card's image would be saved there as the avatar); pass --force to replace it",
            avatar_file.display()
        );
    }
    for note in &imported.notes {
        eprintln!("{}: note: {note}", args.file.display());
    }
    let persona = save_imported(&imported, &args.out)?;
    for d in crate::safety::lint_persona(&persona) {
        eprintln!("{}", d.display_in(&args.out));
    }
    let greetings: usize = persona.greetings.values().map(Vec::len).sum();
    outln!(
        "{}: {} imported as persona `{}` ({}, {greetings} greeting{}{}) into {}",
        args.file.display(),
        imported.source,
        persona.id,
        persona
            .languages
            .iter()
            .map(|l| l.code())
            .collect::<Vec<_>>()
            .join(", "),
        if greetings == 1 { "" } else { "s" },
        persona
            .avatar
            .as_ref()
            .map(|a| format!(", avatar {a}"))
            .unwrap_or_default(),
        args.out.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
