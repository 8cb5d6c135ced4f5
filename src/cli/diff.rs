//! `relance diff`: what changed, decision by decision, between two versions of a persona or
//! policy on one scenario.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use crate::model::Persona;
use crate::replay::{ReplayOptions, replay};
use crate::suite::diff::diff_replays;

/// Arguments of `relance diff`. The old side is `--against`, `--against-rev` or
/// `--against-policy`; the new side is `--persona` (with `--policy`).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario file (.ron or .json).
    #[arg(long)]
    pub scenario: PathBuf,
    /// The persona file, as it is now (the new side).
    #[arg(long)]
    pub persona: PathBuf,
    /// The persona file to compare with (the old side).
    #[arg(long, conflicts_with = "against_rev")]
    pub against: Option<PathBuf>,
    /// Compare with the persona file as it was at this git revision (`HEAD`, a tag, a hash).
    #[arg(long)]
    pub against_rev: Option<String>,
    /// A preset name or a policy file for the new side; default: the persona's policy.
    #[arg(long)]
    pub policy: Option<String>,
    /// A preset name or a policy file for the old side; default: the old persona's policy.
    #[arg(long)]
    pub against_policy: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `relance diff`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.against.is_none() && args.against_rev.is_none() && args.against_policy.is_none() {
        eprintln!(
            "error: nothing to compare with; give --against FILE, --against-rev REV or --against-policy POLICY"
        );
        return Ok(ExitCode::from(2));
    }
    let scenario = super::load_scenario(&args.scenario)?;
    let new_persona = super::load_persona(&args.persona)?;
    let old_persona = match (&args.against, &args.against_rev) {
        (Some(path), _) => super::load_persona(path)?,
        (None, Some(rev)) => persona_at_rev(&args.persona, rev)?,
        (None, None) => new_persona.clone(),
    };
    let new_policy = super::resolve_policy(&new_persona, args.policy.as_deref())?;
    let old_policy = match &args.against_policy {
        Some(p) => super::resolve_policy(&old_persona, Some(p))?,
        None if args.against.is_none() && args.against_rev.is_none() => new_policy.clone(),
        None => super::resolve_policy(&old_persona, None)?,
    };
    let (before, after) = rayon::join(
        || {
            replay(
                &old_persona,
                &old_policy,
                &scenario,
                ReplayOptions::default(),
            )
        },
        || {
            replay(
                &new_persona,
                &new_policy,
                &scenario,
                ReplayOptions::default(),
            )
        },
    );
    let diff = diff_replays(&scenario, &before, &after);
    if args.json {
        let mut text = serde_json::to_string_pretty(&DiffJson {
            summary: diff.summary(),
            diff: &diff,
        })?;
        text.push('\n');
        super::emit(None, &text)?;
    } else {
        super::emit(None, &diff.to_text())?;
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(serde::Serialize)]
struct DiffJson<'a> {
    summary: String,
    #[serde(flatten)]
    diff: &'a crate::suite::diff::ReplayDiff,
}

/// The persona file `path` as it was at git revision `rev` (`git show REV:./NAME` run in the
/// file's folder).
pub fn persona_at_rev(path: &Path, rev: &str) -> anyhow::Result<Persona> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{} names no file", path.display()))?;
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .arg("show")
        .arg(format!("{rev}:./{}", name.to_string_lossy()))
        .output()
        .context("cannot run git (is it installed?)")?;
    if !output.status.success() {
        anyhow::bail!(
            "cannot read {} at revision `{rev}`: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let text = String::from_utf8(output.stdout)
        .with_context(|| format!("{} at `{rev}` is not UTF-8", path.display()))?;
    let shown = PathBuf::from(format!("{}@{rev}", path.display()));
    Ok(Persona::from_ron_str(&text, &shown)?)
}
