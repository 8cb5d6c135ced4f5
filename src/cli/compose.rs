//! `relance compose`: the follow-up one user would get at the next decision, with the composer's
//! reasoning; for iterating on a persona's templates from the terminal.

use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::compose::{ComposeOutcome, ComposeRequest, Composed, Composer, MemoryItem, UserReading};
use crate::engine::trace::check_sentence;
use crate::engine::{Decision, Outcome, TraceStep, checker_for};
use crate::model::decision::local;
use crate::model::{Channel, Sender, User};
use crate::replay::{ReplayOptions, decide_user};

use super::explain::parse_instant;

/// Arguments of `relance compose`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The persona, the scenario and the policy.
    #[command(flatten)]
    pub replay: super::ReplayArgs,
    /// The user's id in the scenario.
    #[arg(long)]
    pub user: String,
    /// The first decision at or after this instant (RFC 3339, or `YYYY-MM-DD HH:MM` in UTC);
    /// default: the decision after the user's last message.
    #[arg(long)]
    pub at: Option<String>,
    /// Varies the choice of templates and phrasings; the same seed gives the same text.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The JSON object `relance compose --json` prints.
#[derive(Debug, Serialize)]
pub struct ComposeJson<'a> {
    /// The user's id.
    pub user: &'a str,
    /// The decision's send time (RFC 3339 UTC).
    pub at: String,
    /// The channel.
    pub channel: Channel,
    /// `sent` or `suppressed`, as the engine decided.
    pub outcome: Outcome,
    /// `sent` or the reason it is held back.
    pub reason: &'static str,
    /// The text: the one sent, or, when a policy rule holds the nudge back, the one it would
    /// have sent (`preview` is then true).
    pub text: Option<&'a str>,
    /// Whether `text` is only a preview of a held-back nudge.
    pub preview: bool,
    /// The template used.
    pub template: Option<&'a str>,
    /// The WhatsApp template filled, on WhatsApp.
    pub channel_template: Option<&'a str>,
    /// Its parameters, in order.
    pub channel_params: &'a [String],
    /// Everything the text echoes, with its source message.
    pub echoed: &'a [MemoryItem],
    /// The composer's steps (memory, template, output check…), and the failing policy rule.
    pub trace: &'a [TraceStep],
}

/// Runs `relance compose`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let persona = super::load_persona(&args.replay.persona)?;
    let scenario = super::load_scenario(&args.replay.scenario)?;
    let policy = super::resolve_policy(&persona, args.replay.policy.as_deref())?;
    let at = args.at.as_deref().map(parse_instant).transpose()?;
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
    let checker = checker_for(&persona);
    let options = ReplayOptions {
        compose: true,
        seed: args.seed,
    };
    let decisions = decide_user(&persona, &policy, &checker, user, None, options);
    let Some(index) = next_decision(&decisions, user, at) else {
        anyhow::bail!(
            "{}: the engine makes no decision for `{}`{}: the user never went quiet",
            args.replay.scenario.display(),
            user.id,
            at.map(|t| format!(" at or after {}", t.format("%Y-%m-%d %H:%M UTC")))
                .unwrap_or_default()
        );
    };
    let decision = &decisions[index];
    // A nudge held back by a policy rule gets a preview of what it would have said.
    let previous: Vec<Composed> = decisions[..index]
        .iter()
        .filter_map(|d| d.message.clone())
        .collect();
    let mut trace: Vec<TraceStep> = decision
        .evaluation
        .checks()
        .filter(|c| !c.passed)
        .take(1)
        .map(|c| {
            TraceStep::new(
                c.rule.as_str(),
                false,
                check_sentence(c, &policy, user, None, decision.at),
            )
        })
        .collect();
    let preview = match (&decision.message, decision.compose_trace.is_empty()) {
        (None, true) => {
            match Composer::new(&persona, checker.clone(), args.seed).compose(ComposeRequest {
                user,
                nudge: decision.nudge(),
                previous: &previous,
                reading: &mut UserReading::default(),
            }) {
                ComposeOutcome::Message(m, steps) => {
                    trace.extend(steps);
                    Some(*m)
                }
                ComposeOutcome::Hold(_, steps) => {
                    trace.extend(steps);
                    None
                }
            }
        }
        _ => {
            trace.extend(decision.compose_trace.iter().cloned());
            None
        }
    };
    let message = decision.message.as_ref().or(preview.as_ref());
    let out = if args.json {
        let json = ComposeJson {
            user: &user.id,
            at: decision
                .at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            channel: decision.channel,
            outcome: decision.outcome,
            reason: decision.reason.as_str(),
            text: message.map(|m| m.text.as_str()),
            preview: preview.is_some(),
            template: message.map(|m| m.template.as_str()),
            channel_template: message.and_then(|m| m.channel_template.as_deref()),
            channel_params: message.map_or(&[], |m| m.channel_params.as_slice()),
            echoed: message.map_or(&[], |m| m.echoed.as_slice()),
            trace: &trace,
        };
        let mut s = serde_json::to_string_pretty(&json)?;
        s.push('\n');
        s
    } else {
        let header = format!(
            "{} to {} ({}, {}), policy {}, seed {}",
            persona.name, user.name, user.id, user.locale, policy.name, args.seed
        );
        text_report(&header, user, decision, message, preview.is_some(), &trace)
    };
    super::emit(None, &out)?;
    Ok(ExitCode::SUCCESS)
}

/// The decision to show: the first at or after `at`, else the first after the user's last
/// message, else the last one.
fn next_decision(decisions: &[Decision], user: &User, at: Option<DateTime<Utc>>) -> Option<usize> {
    if let Some(at) = at {
        return decisions.iter().position(|d| d.at >= at);
    }
    let last = user
        .events
        .iter()
        .rev()
        .find(|e| e.from == Sender::User)
        .map(|e| e.at)?;
    decisions
        .iter()
        .position(|d| d.silence_start >= last)
        .or_else(|| decisions.len().checked_sub(1))
}

fn text_report(
    header: &str,
    user: &User,
    decision: &Decision,
    message: Option<&Composed>,
    preview: bool,
    trace: &[TraceStep],
) -> String {
    let mut out = format!("{header}\n");
    out.push_str(&format!(
        "Next decision {} on {}: {}\n\n",
        local(decision.at, user.timezone),
        decision.channel,
        if decision.outcome == Outcome::Sent {
            "sent".to_owned()
        } else {
            format!("held back ({})", decision.reason.as_str())
        }
    ));
    match message {
        Some(m) if preview => out.push_str(&format!(
            "It would have said, had no rule held it back:\n  “{}”\n",
            m.text
        )),
        Some(m) => out.push_str(&format!("  “{}”\n", m.text)),
        None => out.push_str("  (no text)\n"),
    }
    if let Some(m) = message {
        out.push_str(&format!("  template {}", m.template));
        if let Some(t) = &m.channel_template {
            out.push_str(&format!(", WhatsApp template {t}"));
        }
        out.push_str(&format!(", {}\n", m.lang));
    }
    out.push_str("\nWhy these words\n");
    for step in trace {
        out.push_str(&format!(
            "  {} {}: {}\n",
            if step.passed { "✓" } else { "✗" },
            step.rule,
            step.detail
        ));
    }
    out
}
