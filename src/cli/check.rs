//! `relance check`: validate persona, scenario, policy, archetype and mix files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::model::diagnostics::{Diagnostic, LoadError, Severity};
use crate::model::{Persona, Policy, Scenario};

/// Arguments of `relance check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files to check: personas (.ron), scenarios (.ron, .json), policies, archetypes and mixes
    /// (.ron).
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
    /// A synthetic-user archetype (`population --mix`).
    Archetype,
    /// A population mix of archetypes.
    Mix,
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
    if trimmed.starts_with("Archetype") || code.contains("sessions_per_day:") {
        FileKind::Archetype
    } else if trimmed.starts_with("Mix") || code.contains("archetypes:") {
        FileKind::Mix
    } else if trimmed.starts_with("Persona") || code.contains("languages:") {
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
    let source = crate::model::limits::read_text_limited(
        path,
        crate::model::limits::MAX_DOCUMENT_BYTES.max(crate::model::limits::MAX_SCENARIO_BYTES),
    )
    .map_err(|e| LoadError::io(path, e))?;
    let source = crate::model::limits::strip_bom(&source).to_owned();
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
            // With the expectations a test scenario carries: an impossible one is an error.
            Scenario::from_str_with_expectations(&source, format, path)?.2
        }
        FileKind::Policy => {
            Policy::load(path)?;
            Vec::new()
        }
        FileKind::Archetype => {
            crate::sim::Archetype::from_ron_str(&source, path)?;
            Vec::new()
        }
        FileKind::Mix => {
            let dir = path.parent().unwrap_or(Path::new("."));
            crate::sim::Mix::from_ron_str(&source, path, Some(dir))?;
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
                    outln!(
                        "{}: invalid ({errors} error{})",
                        path.display(),
                        if errors == 1 { "" } else { "s" }
                    )?;
                } else if args.strict && warnings > 0 {
                    failed = true;
                    outln!(
                        "{}: invalid ({warnings} warning{} under --strict)",
                        path.display(),
                        if warnings == 1 { "" } else { "s" }
                    )?;
                } else if warnings > 0 {
                    outln!(
                        "{}: valid {kind:?}, {warnings} warning{}",
                        path.display(),
                        if warnings == 1 { "" } else { "s" }
                    )?;
                } else {
                    outln!("{}: valid {kind:?}", path.display())?;
                }
            }
            Err(e) => {
                failed = true;
                for d in e.diagnostics() {
                    eprintln!("{}", d.display_in(path));
                }
                outln!("{}: invalid", path.display())?;
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
