//! `relance test`: run every persona's test suites (or record their current decisions).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use crate::suite::{PersonaRun, run_persona};

/// Arguments of `relance test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Persona files (.ron) or folders of them; default: `personas/`.
    pub paths: Vec<PathBuf>,
    /// Also write the results as JUnit XML to this file.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Write each suite scenario's current decisions as its expectations instead of checking
    /// them (review the files before committing them).
    #[arg(long)]
    pub record: bool,
}

/// The persona files named by `paths`: files as given, folders by their `.ron` files (not
/// their subfolders, which hold suite scenarios), in name order.
pub fn persona_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let defaults = [PathBuf::from("personas")];
    let paths = if paths.is_empty() {
        &defaults[..]
    } else {
        paths
    };
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| anyhow::anyhow!("{}: cannot list: {e}", path.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "ron"))
                .collect();
            found.sort();
            out.extend(found);
        } else if path.exists() {
            out.push(path.clone());
        } else {
            anyhow::bail!("{}: no such persona file or folder", path.display());
        }
    }
    Ok(out)
}

/// Runs `relance test`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let files = match persona_files(&args.paths) {
        Ok(files) if !files.is_empty() => files,
        Ok(_) => {
            eprintln!("error: no persona file found");
            return Ok(ExitCode::from(2));
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    if args.record {
        return record(&files);
    }
    let started = Instant::now();
    let runs: Vec<PersonaRun> = files.iter().map(|p| run_persona(p)).collect();
    let elapsed = started.elapsed();
    for run in &runs {
        super::print_warnings(&run.path, &run.warnings);
    }
    std::io::Write::write_all(&mut std::io::stdout().lock(), runs_text(&runs).as_bytes())?;
    let (passed, failed) = runs
        .iter()
        .map(PersonaRun::counts)
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let suites: usize = runs
        .iter()
        .map(|r| r.suites.as_ref().map_or(0, Vec::len))
        .sum();
    outln!(
        "{} persona{}, {suites} suite{}, {} expectations: {passed} passed, {failed} failed ({:.2} s)",
        runs.len(),
        plural(runs.len()),
        plural(suites),
        passed + failed,
        elapsed.as_secs_f64()
    )?;
    if let Some(path) = &args.junit {
        crate::model::diagnostics::write_atomically(
            path,
            crate::suite::junit::to_junit(&runs).as_bytes(),
        )?;
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The results in words: one line per suite, and for each failing expectation what was
/// expected, what happened and why.
pub fn runs_text(runs: &[PersonaRun]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for run in runs {
        let _ = writeln!(out, "{} ({})", run.id, run.path.display());
        let suites = match &run.suites {
            Ok(s) => s,
            Err(e) => {
                let _ = writeln!(out, "  FAIL the persona does not load: {e}");
                continue;
            }
        };
        if suites.is_empty() {
            let _ = writeln!(
                out,
                "  no test scenario (add `tests: [\"…\"]` to the persona)"
            );
        }
        for suite in suites {
            let (p, f) = suite.counts();
            let status = if f == 0 { "ok  " } else { "FAIL" };
            let _ = writeln!(
                out,
                "  {status} {}: {p}/{} expectations",
                suite.path.display(),
                p + f
            );
            match &suite.results {
                Err(e) => {
                    let _ = writeln!(out, "       the scenario does not load: {e}");
                }
                Ok(results) => {
                    for r in results.iter().filter(|r| !r.passed) {
                        let _ = writeln!(out, "       ✗ {}", r.name);
                        let _ = writeln!(out, "         expected  {}", r.expected);
                        let _ = writeln!(out, "         actual    {}", r.actual);
                        if !r.trace.is_empty() {
                            let _ = writeln!(out, "         why       {}", r.trace);
                        }
                    }
                }
            }
        }
    }
    out
}

/// `--record`: each suite scenario of each persona gets its current decisions as expectations.
fn record(files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    for file in files {
        let persona = super::load_persona(file)?;
        let policy = super::resolve_policy(&persona, None)?;
        for scenario in crate::suite::suite_paths(file, &persona) {
            let n = crate::suite::record_file(&persona, &policy, &scenario)?;
            outln!(
                "recorded {n} expectations in {} (review them before committing)",
                display(&scenario)
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn display(path: &Path) -> String {
    path.display().to_string()
}
