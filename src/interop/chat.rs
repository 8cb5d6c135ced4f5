//! Real conversations as scenarios: the common part of the WhatsApp and SillyTavern importers.
//!
//! A parser turns a file into [`ChatMessage`]s (with their line numbers) and [`Skipped`] lines;
//! [`import_chat`] then picks the user and the bot, pseudonymises if asked, and builds a one-user
//! [`Scenario`]. Lines that cannot be read are errors listing every one with its line number,
//! unless [`ChatImportOptions::skip_malformed`] is set, in which case they are reported as skipped.
//! Nothing is dropped without being reported.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;

use super::card::{guess_language, slug};
// What the parsers read, shown with an import's result.
pub use super::parsed_chat::{ChatMessage, DateOrder, LineProblem, ParsedChat, Skipped};
use super::{sillytavern, whatsapp};
use crate::model::Channel;
use crate::model::diagnostics::LoadError;
use crate::model::scenario::{Event, Scenario, Sender, User};

/// The user's language, from everything they wrote (media left out), with a note saying how it
/// was found.
fn user_language(events: &[Event], notes: &mut Vec<String>) -> String {
    let sample = events
        .iter()
        .filter(|e| e.from == Sender::User && !e.media)
        .map(|e| e.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    match super::language::detect(&sample) {
        Some(found) => {
            notes.push(format!(
                "the user writes in {} (`{}`, from their messages; pass --locale to change){}",
                found.name,
                found.code,
                if found.lang.is_none() {
                    "; the persona's texts are in French or English, so its nudges will say which language they use instead"
                } else {
                    ""
                }
            ));
            found.code.to_owned()
        }
        None => {
            let lang = guess_language(&sample);
            notes.push(format!(
                "the user's messages are too short to tell their language; read as {} (pass --locale to change)",
                lang.native_name()
            ));
            lang.code().to_owned()
        }
    }
}

/// The chat file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChatFormat {
    /// A WhatsApp "Export chat" text file (Android or iOS, French or English).
    Whatsapp,
    /// A SillyTavern chat log (`.jsonl`).
    SillyTavern,
}

impl ChatFormat {
    /// The format of a file, from its extension, else its first line.
    pub fn detect(path: &Path, text: &str) -> ChatFormat {
        let jsonl = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("jsonl"));
        if jsonl
            || text
                .trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('{')
        {
            ChatFormat::SillyTavern
        } else {
            ChatFormat::Whatsapp
        }
    }

    /// "WhatsApp export" or "SillyTavern log".
    pub fn label(self) -> &'static str {
        match self {
            ChatFormat::Whatsapp => "WhatsApp export",
            ChatFormat::SillyTavern => "SillyTavern log",
        }
    }
}

/// The designer's choices for an import.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatImportOptions {
    /// The participant who is the user (required for WhatsApp; SillyTavern knows it).
    pub user: Option<String>,
    /// The participant who is the bot (required for WhatsApp; SillyTavern's header names it).
    pub bot: Option<String>,
    /// The time zone the file's times are written in, and the user's zone.
    pub timezone: Tz,
    /// The user's locale; found from the language of their messages when `None`.
    pub locale: Option<String>,
    /// The channel of every event; WhatsApp for WhatsApp exports, Messenger otherwise.
    pub channel: Option<Channel>,
    /// Replace real names, e-mail addresses and phone numbers.
    pub pseudonymise: bool,
    /// Report malformed lines as skipped instead of failing.
    pub skip_malformed: bool,
    /// The date order of a WhatsApp export; guessed when `None`.
    pub date_order: Option<DateOrder>,
    /// The scenario's name; made from the file's name when `None`.
    pub name: Option<String>,
}

impl ChatImportOptions {
    /// Options for `user` and `bot` in `timezone`, everything else guessed.
    pub fn new(user: Option<&str>, bot: Option<&str>, timezone: Tz) -> Self {
        Self {
            user: user.map(str::to_owned),
            bot: bot.map(str::to_owned),
            timezone,
            locale: None,
            channel: None,
            pseudonymise: false,
            skip_malformed: false,
            date_order: None,
            name: None,
        }
    }
}

/// A chat turned into a scenario, with everything left out.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatImport {
    /// The scenario: one user, their messages and the bot's.
    pub scenario: Scenario,
    /// The file's format.
    pub format: ChatFormat,
    /// Lines left out (system lines, other participants, malformed lines when skipped).
    pub skipped: Vec<Skipped>,
    /// Observations for the designer.
    pub notes: Vec<String>,
}

/// Why a chat could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The file could not be read.
    #[error(transparent)]
    Io(#[from] LoadError),
    /// Some lines could not be read; each is listed with its line number.
    #[error("{}", Malformed { path, problems })]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Every unreadable line.
        problems: Vec<LineProblem>,
    },
    /// The file cannot make a scenario (no message, unknown participant…).
    #[error("{}: {message}", path.display())]
    Unusable {
        /// The file.
        path: PathBuf,
        /// What is missing.
        message: String,
    },
}

struct Malformed<'a> {
    path: &'a Path,
    problems: &'a [LineProblem],
}

impl fmt::Display for Malformed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{}: {n} malformed line{} (pass --skip-malformed to import the rest)",
            self.path.display(),
            if n == 1 { "" } else { "s" }
        )?;
        for p in self.problems {
            write!(f, "\n  {}:{}: {}", self.path.display(), p.line, p.message)?;
        }
        Ok(())
    }
}

/// Imports a chat file (format detected) as a scenario.
pub fn import_chat(path: &Path, options: &ChatImportOptions) -> Result<ChatImport, ChatError> {
    let text = crate::model::limits::read_text_limited(path, crate::model::limits::MAX_CHAT_BYTES)
        .map_err(|e| LoadError::io(path, e))?;
    import_chat_str(crate::model::limits::strip_bom(&text), path, options)
}

/// Imports chat text as a scenario; `path` names the file in messages and decides the format.
pub fn import_chat_str(
    text: &str,
    path: &Path,
    options: &ChatImportOptions,
) -> Result<ChatImport, ChatError> {
    let format = ChatFormat::detect(path, text);
    let parsed = match format {
        ChatFormat::Whatsapp => whatsapp::parse(text, options.timezone, options.date_order),
        ChatFormat::SillyTavern => sillytavern::parse(text, options.timezone),
    };
    build(parsed, format, path, options)
}

/// Names compared loosely: case, direction marks, no-break spaces and WhatsApp's `~` ignored.
fn same_name(a: &str, b: &str) -> bool {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| !matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}'))
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .collect::<String>()
            .trim_start_matches('~')
            .trim()
            .to_lowercase()
    };
    clean(a) == clean(b)
}

fn build(
    parsed: ParsedChat,
    format: ChatFormat,
    path: &Path,
    options: &ChatImportOptions,
) -> Result<ChatImport, ChatError> {
    let mut skipped = parsed.skipped.clone();
    if !parsed.problems.is_empty() {
        if !options.skip_malformed {
            return Err(ChatError::Malformed {
                path: path.to_owned(),
                problems: parsed.problems,
            });
        }
        skipped.extend(
            parsed
                .problems
                .iter()
                .map(|p| Skipped::new(p.line, format!("malformed: {}", p.message), "")),
        );
    }
    let participants = parsed.participants();
    let list = || {
        if participants.is_empty() {
            "none".to_owned()
        } else {
            participants
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    if parsed.messages.is_empty() {
        return Err(ChatError::Unusable {
            path: path.to_owned(),
            message: "no message could be read from this file".to_owned(),
        });
    }
    let unusable = |message: String| ChatError::Unusable {
        path: path.to_owned(),
        message,
    };
    let knows_user = parsed.messages.iter().any(|m| m.is_user.is_some());
    let user_name = match (&options.user, &parsed.user_name) {
        (Some(u), _) => {
            if !knows_user && !participants.iter().any(|p| same_name(p, u)) {
                return Err(unusable(format!(
                    "no participant is named `{u}`; the participants are {}",
                    list()
                )));
            }
            u.clone()
        }
        (None, Some(u)) if knows_user => u.clone(),
        (None, _) if knows_user => "User".to_owned(),
        (None, _) => {
            return Err(unusable(format!(
                "say which participant is the user with --user NAME; the participants are {}",
                list()
            )));
        }
    };
    let bot_name = match (&options.bot, &parsed.bot_name) {
        (Some(b), _) => {
            if !participants.iter().any(|p| same_name(p, b)) {
                return Err(unusable(format!(
                    "no participant is named `{b}`; the participants are {}",
                    list()
                )));
            }
            Some(b.clone())
        }
        (None, Some(b)) => Some(b.clone()),
        (None, None) if knows_user => None,
        (None, None) => {
            return Err(unusable(format!(
                "say which participant is the bot with --bot NAME; the participants are {}",
                list()
            )));
        }
    };
    if !knows_user
        && let Some(b) = &bot_name
        && same_name(b, &user_name)
    {
        return Err(unusable(format!(
            "`{user_name}` cannot be both the user and the bot"
        )));
    }
    let channel = options.channel.unwrap_or(match format {
        ChatFormat::Whatsapp => Channel::Whatsapp,
        ChatFormat::SillyTavern => Channel::Messenger,
    });
    let mut others: Vec<String> = Vec::new();
    let mut events: Vec<(usize, Event)> = Vec::new();
    for m in &parsed.messages {
        let from = match m.is_user {
            Some(true) => Some(Sender::User),
            Some(false) => match &bot_name {
                Some(b) if !same_name(&m.sender, b) => None,
                _ => Some(Sender::Bot),
            },
            None if same_name(&m.sender, &user_name) => Some(Sender::User),
            None if bot_name.as_deref().is_some_and(|b| same_name(&m.sender, b)) => {
                Some(Sender::Bot)
            }
            None => None,
        };
        let Some(from) = from else {
            skipped.push(Skipped::new(
                m.line,
                format!("from `{}`, neither the user nor the bot", m.sender),
                &m.text,
            ));
            if !others.contains(&m.sender) {
                others.push(m.sender.clone());
            }
            continue;
        };
        events.push((
            m.line,
            Event {
                at: m.at,
                from,
                channel,
                text: m.text.clone(),
                media: m.media,
            },
        ));
    }
    let mut notes = parsed.notes.clone();
    if events.windows(2).any(|w| w[1].1.at < w[0].1.at) {
        let (line, _) = events
            .windows(2)
            .find(|w| w[1].1.at < w[0].1.at)
            .map_or((0, 0), |w| (w[1].0, 0));
        notes.push(format!(
            "messages are not in time order (first at line {line}); they were sorted"
        ));
        events.sort_by_key(|(_, e)| e.at);
    }
    let mut events: Vec<Event> = events.into_iter().map(|(_, e)| e).collect();
    if !events.iter().any(|e| e.from == Sender::User) {
        return Err(unusable(format!(
            "`{user_name}` sent no message in this chat; the participants are {}",
            list()
        )));
    }
    let locale = match options.locale.clone() {
        Some(locale) => locale,
        None => user_language(&events, &mut notes),
    };
    let (user_id, display_name) = if options.pseudonymise {
        let mut names: Vec<(String, String)> = vec![(user_name.clone(), "User A".to_owned())];
        for (i, o) in others.iter().enumerate() {
            names.push((
                o.clone(),
                format!("Person {}", (b'B' + (i % 24) as u8) as char),
            ));
        }
        for e in &mut events {
            e.text = pseudonymise(&e.text, &names);
        }
        for s in &mut skipped {
            s.text = pseudonymise(&s.text, &names);
            s.why = pseudonymise(&s.why, &names);
        }
        notes.push(format!(
            "pseudonymised: `{user_name}` is User A{}; e-mail addresses and phone numbers are masked",
            if others.is_empty() {
                String::new()
            } else {
                format!(", {} other name(s) replaced", others.len())
            }
        ));
        ("user-a".to_owned(), "User A".to_owned())
    } else {
        (slug(&user_name), user_name.clone())
    };
    let file_name = path
        .file_name()
        .map_or_else(|| "chat".to_owned(), |n| n.to_string_lossy().into_owned());
    let with = bot_name.clone().unwrap_or_else(|| "the bot".to_owned());
    let description = format!(
        "Imported from the {} {file_name}: {} messages between {display_name} and {with}, times read in {}.",
        format.label(),
        events.len(),
        options.timezone.name()
    );
    let scenario = Scenario {
        name: options
            .name
            .clone()
            .unwrap_or_else(|| format!("{display_name} and {with}")),
        description,
        until: None,
        users: vec![User {
            id: user_id,
            name: display_name,
            age: None,
            timezone: options.timezone,
            locale,
            events,
        }],
    };
    skipped.sort_by_key(|s| s.line);
    Ok(ChatImport {
        scenario,
        format,
        skipped,
        notes,
    })
}

/// Replaces each real name (whole words, case ignored; a full name and each of its words of at
/// least three letters) by its pseudonym, and masks e-mail addresses and phone numbers.
pub fn pseudonymise(text: &str, names: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, &str)> = Vec::new();
    for (real, pseudo) in names {
        let real = real.trim_start_matches('~').trim();
        pairs.push((real.to_lowercase(), pseudo));
        for part in real.split_whitespace().filter(|p| p.chars().count() >= 3) {
            pairs.push((part.to_lowercase(), pseudo));
        }
    }
    // Longest first, so a full name wins over its first name.
    pairs.sort_by_key(|(r, _)| std::cmp::Reverse(r.chars().count()));
    let words: Vec<&str> = text.split_inclusive(char::is_whitespace).collect();
    let mut out = String::with_capacity(text.len());
    for word in words {
        let core = word.trim_end_matches(char::is_whitespace);
        let trailing = &word[core.len()..];
        if core.contains('@') && core.contains('.') {
            out.push_str("[email]");
        } else if core.chars().filter(char::is_ascii_digit).count() >= 8
            && core
                .chars()
                .all(|c| c.is_ascii_digit() || "+-.()/".contains(c))
        {
            out.push_str("[phone]");
        } else {
            out.push_str(core);
        }
        out.push_str(trailing);
    }
    // Phone numbers written with spaces ("06 12 34 56 78"): runs of digit groups.
    let out = mask_spaced_numbers(&out);
    replace_names(&out, &pairs)
}

fn mask_spaced_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let starts = (chars[i].is_ascii_digit() || chars[i] == '+')
            && (i == 0 || !chars[i - 1].is_alphanumeric());
        if starts {
            let mut j = i;
            let mut digits = 0;
            let mut last_digit = i;
            while j < chars.len()
                && (chars[j].is_ascii_digit() || matches!(chars[j], ' ' | '.' | '-' | '+'))
            {
                if chars[j].is_ascii_digit() {
                    digits += 1;
                    last_digit = j;
                }
                j += 1;
            }
            if digits >= 9 {
                out.push_str("[phone]");
                i = last_digit + 1;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn replace_names(text: &str, pairs: &[(String, &str)]) -> String {
    if pairs.is_empty() {
        return text.to_owned();
    }
    let lower = text.to_lowercase();
    // Lowercasing can change byte lengths; fall back to exact-case matching then.
    let haystack = if lower.len() == text.len() {
        &lower
    } else {
        text
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    'outer: while i < text.len() {
        let at_boundary = text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        if at_boundary {
            for (real, pseudo) in pairs {
                if real.is_empty() || !haystack[i..].starts_with(real.as_str()) {
                    continue;
                }
                let end = i + real.len();
                if text[end..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric())
                {
                    out.push_str(pseudo);
                    i = end;
                    continue 'outer;
                }
            }
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        out.push(c);
        i += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonymisation_replaces_names_emails_and_phones() {
        let names = vec![
            ("Léa Martin".to_owned(), "User A".to_owned()),
            ("~ Carol".to_owned(), "Person B".to_owned()),
        ];
        let text = "Salut Léa ! Léa Martin, écris à lea@example.com ou au 06 12 34 56 78. Carol aussi, Caroline non.";
        assert_eq!(
            pseudonymise(text, &names),
            "Salut User A ! User A, écris à [email] ou au [phone]. Person B aussi, Caroline non."
        );
        assert_eq!(pseudonymise("+33612345678 ok", &names), "[phone] ok");
    }

    #[test]
    fn names_compare_loosely() {
        assert!(same_name("~\u{a0}Léa", "léa"));
        assert!(same_name("\u{200e}Maestro", "maestro"));
        assert!(!same_name("Léa", "Lea"));
    }
}
