//! `relance import-chat`: a WhatsApp export or SillyTavern log as a scenario.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono_tz::Tz;

use crate::interop::chat::{ChatImportOptions, DateOrder, import_chat};
use crate::model::Channel;

/// Arguments of `relance import-chat`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The chat: a WhatsApp export (.txt) or a SillyTavern log (.jsonl).
    pub file: PathBuf,
    /// The participant who is the user (required for WhatsApp).
    #[arg(long)]
    pub user: Option<String>,
    /// The participant who is the bot (required for WhatsApp).
    #[arg(long)]
    pub bot: Option<String>,
    /// The IANA time zone the chat's times are in, and the user's (Europe/Paris).
    #[arg(long)]
    pub timezone: String,
    /// The user's locale (fr, en-US…); guessed from their messages by default.
    #[arg(long)]
    pub locale: Option<String>,
    /// The channel of the events: whatsapp, messenger or instagram.
    #[arg(long)]
    pub channel: Option<String>,
    /// The date order of a WhatsApp export: dmy, mdy or ymd; guessed by default.
    #[arg(long)]
    pub date_order: Option<String>,
    /// Replace real names, e-mail addresses and phone numbers.
    #[arg(long)]
    pub pseudonymise: bool,
    /// Skip malformed lines (each is reported) instead of failing.
    #[arg(long)]
    pub skip_malformed: bool,
    /// The scenario's name.
    #[arg(long)]
    pub name: Option<String>,
    /// The scenario file to write (.ron or .json).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace `--out` if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Runs `relance import-chat`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.out.exists() && !args.force {
        anyhow::bail!("{} exists; pass --force to replace it", args.out.display());
    }
    let timezone: Tz = args.timezone.parse().map_err(|_| {
        anyhow::anyhow!(
            "unknown time zone `{}`; use an IANA name such as Europe/Paris or America/New_York",
            args.timezone
        )
    })?;
    let mut options = ChatImportOptions::new(args.user.as_deref(), args.bot.as_deref(), timezone);
    options.locale = args.locale;
    options.pseudonymise = args.pseudonymise;
    options.skip_malformed = args.skip_malformed;
    options.name = args.name;
    options.channel = args
        .channel
        .as_deref()
        .map(|c| {
            Channel::ALL
                .into_iter()
                .find(|ch| ch.as_str().eq_ignore_ascii_case(c))
                .with_context(|| {
                    format!("unknown channel `{c}`; use whatsapp, messenger or instagram")
                })
        })
        .transpose()?;
    options.date_order = args
        .date_order
        .as_deref()
        .map(|o| {
            DateOrder::from_name(o)
                .with_context(|| format!("unknown date order `{o}`; use dmy, mdy or ymd"))
        })
        .transpose()?;
    let imported = import_chat(&args.file, &options)?;
    for note in &imported.notes {
        eprintln!("{}: note: {note}", args.file.display());
    }
    for s in &imported.skipped {
        eprintln!(
            "{}:{}: skipped ({}){}",
            args.file.display(),
            s.line,
            s.why,
            if s.text.is_empty() {
                String::new()
            } else {
                format!(": {}", s.text)
            }
        );
    }
    imported.scenario.save(&args.out)?;
    let user = &imported.scenario.users[0];
    let from_user = user
        .events
        .iter()
        .filter(|e| e.from == crate::model::Sender::User)
        .count();
    outln!(
        "{}: {} imported into {}: user `{}` ({}, {}), {} messages ({from_user} from the user), {} line(s) skipped",
        args.file.display(),
        imported.format.label(),
        args.out.display(),
        user.id,
        user.timezone.name(),
        user.locale,
        user.events.len(),
        imported.skipped.len()
    )?;
    Ok(ExitCode::SUCCESS)
}
