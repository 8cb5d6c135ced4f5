//! `relance explain`: the full trace for one user at one instant.

use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDateTime, Utc};

use crate::engine::trace::decision_trace;
use crate::model::decision::local;
use crate::replay::explain_at;

/// Arguments of `relance explain`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The persona, the scenario and the policy.
    #[command(flatten)]
    pub replay: super::ReplayArgs,
    /// The user's id in the scenario.
    #[arg(long)]
    pub user: String,
    /// The instant: RFC 3339 (`2026-01-12T09:00:00Z`, `2026-01-12T10:00:00+01:00`) or
    /// `YYYY-MM-DD HH:MM` in UTC.
    #[arg(long)]
    pub at: String,
}

/// Parses an instant given on the command line.
pub fn parse_instant(s: &str) -> anyhow::Result<DateTime<Utc>> {
    use chrono::Datelike as _;
    let years = crate::model::scenario::TIMESTAMP_YEARS;
    let at = DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"]
                .iter()
                .find_map(|format| NaiveDateTime::parse_from_str(s, format).ok())
                .map(|t| t.and_utc())
        });
    match at {
        Some(at) if years.contains(&at.year()) => Ok(at),
        Some(_) => anyhow::bail!(
            "the instant `{s}` is outside the years {} to {}",
            years.start(),
            years.end()
        ),
        None => anyhow::bail!(
            "`{s}` is not an instant; write 2026-01-12T09:00:00Z or \"2026-01-12 09:00\" (UTC)"
        ),
    }
}

/// Runs `relance explain`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let persona = super::load_persona(&args.replay.persona)?;
    let scenario = super::load_scenario(&args.replay.scenario)?;
    let policy = super::resolve_policy(&persona, args.replay.policy.as_deref())?;
    let at = parse_instant(&args.at)?;
    let user = scenario.user(&args.user).with_context(|| {
        format!(
            "{}: no user `{}`; the users are {}",
            args.replay.scenario.display(),
            args.user,
            scenario
                .users
                .iter()
                .map(|u| u.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let e = explain_at(&persona, &policy, user, at);
    let mut out = format!(
        "{} ({}) at {} UTC, {} — policy {}\n",
        user.name,
        user.id,
        at.format("%Y-%m-%d %H:%M"),
        local(at, user.timezone),
        policy.name
    );
    for step in &e.trace {
        out.push_str(&format!(
            "  {} {}: {}\n",
            if step.passed { "✓" } else { "✗" },
            step.rule,
            step.detail
        ));
    }
    if let Some(ev) = &e.evaluation {
        let blocked = e.in_quiet_hours;
        out.push_str(&format!(
            "A nudge at this instant would be {}.\n",
            if blocked {
                "delayed to the end of the quiet hours".to_owned()
            } else if ev.reason == crate::engine::Reason::Sent {
                "allowed by every rule".to_owned()
            } else {
                format!("held back: {}", ev.reason.as_str())
            }
        ));
    }
    match &e.decision_of_silence {
        Some(d) => {
            out.push_str(&format!(
                "\nThe engine's actual decision for this silence: {} at {} UTC ({}), {}.\n",
                d.outcome_word(),
                d.at.format("%Y-%m-%d %H:%M"),
                local(d.at, user.timezone),
                d.reason.as_str()
            ));
            if let Some(text) = d.text() {
                out.push_str(&format!("  “{text}”\n"));
            }
            for step in decision_trace(d, &policy, user, None) {
                out.push_str(&format!(
                    "  {} {}: {}\n",
                    if step.passed { "✓" } else { "✗" },
                    step.rule,
                    step.detail
                ));
            }
        }
        None if e.last_message.is_some() => out.push_str(
            "\nThe engine makes no decision for this silence: the user wrote again first, or it falls after the scenario's end.\n",
        ),
        None => {}
    }
    super::emit(None, &out)?;
    Ok(ExitCode::SUCCESS)
}
