//! `relance check`: validate persona, scenario and policy files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::model::diagnostics::{Diagnostic, LoadError, Severity};
use crate::model::{Persona, Policy, Scenario};

/// Arguments of `relance check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files to check: personas (.ron), scenarios (.ron, .json), policies (.ron).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
}

/// What kind of file a path holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A persona.
    Persona,
    /// A scenario.
    Scenario,
    /// A policy.
    Policy,
}

/// Guesses what a file holds from its extension and its first words.
pub fn file_kind(path: &Path, source: &str) -> FileKind {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        return FileKind::Scenario;
    }
    let code: String = source
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let trimmed = code.trim_start();
    if trimmed.starts_with("Persona") || code.contains("languages:") {
        FileKind::Persona
    } else if code.contains("users:") {
        FileKind::Scenario
    } else if trimmed.starts_with("Policy") || code.contains("delay_hours:") {
        FileKind::Policy
    } else {
        FileKind::Persona
    }
}

/// The diagnostics of one file (errors and warnings), or the load error.
pub fn check_file(path: &Path) -> Result<(FileKind, Vec<Diagnostic>), LoadError> {
    let source = std::fs::read_to_string(path).map_err(|e| LoadError::io(path, e))?;
    let kind = file_kind(path, &source);
    let diagnostics = match kind {
        FileKind::Persona => {
            let persona = Persona::from_ron_str(&source, path)?;
            crate::safety::lint_persona_in(&persona, &source)
        }
        FileKind::Scenario => {
            let format =
                crate::model::scenario::ScenarioFormat::from_path(path).ok_or_else(|| {
                    LoadError::UnknownFormat {
                        path: path.to_owned(),
                        expected: ".ron or .json",
                    }
                })?;
            Scenario::from_str(&source, format, path)?.1
        }
        FileKind::Policy => {
            Policy::load(path)?;
            Vec::new()
        }
    };
    Ok((kind, diagnostics))
}

/// Runs `relance check`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    for path in &args.files {
        match check_file(path) {
            Ok((kind, diagnostics)) => {
                for d in &diagnostics {
                    eprintln!("{}", d.display_in(path));
                }
                let warnings = diagnostics
                    .iter()
                    .filter(|d| d.severity == Severity::Warning)
                    .count();
                // Errors in a file that loads: invalid persona safety additions.
                let errors = diagnostics.len() - warnings;
                if errors > 0 {
                    failed = true;
                    println!(
                        "{}: invalid ({errors} error{})",
                        path.display(),
                        if errors == 1 { "" } else { "s" }
                    );
                } else if args.strict && warnings > 0 {
                    failed = true;
                    println!(
                        "{}: invalid ({warnings} warning{} under --strict)",
                        path.display(),
                        if warnings == 1 { "" } else { "s" }
                    );
                } else if warnings > 0 {
                    println!(
                        "{}: valid {kind:?}, {warnings} warning{}",
                        path.display(),
                        if warnings == 1 { "" } else { "s" }
                    );
                } else {
                    println!("{}: valid {kind:?}", path.display());
                }
            }
            Err(e) => {
                failed = true;
                for d in e.diagnostics() {
                    eprintln!("{}", d.display_in(path));
                }
                println!("{}: invalid", path.display());
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
