//! WhatsApp "Export chat" text files as the Android and iOS apps write them, in four languages:
//!
//! ```text
//! 12/31/25, 9:05 PM - Léa: Hello            Android, English (United States)
//! 31/12/2025, 21:05 - Léa: Hello            Android, English (United Kingdom)
//! 31/12/2025 21:05 - Léa: Bonjour           Android, French
//! [12/31/25, 9:05:12 PM] Léa: Hello         iOS, English (United States)
//! [31/12/2025 21:05:12] Léa: Bonjour        iOS, French
//! ```
//!
//! Times may also be written with a dot (`15.03.2024, 14.31 - Ben: Hi`, as Nordic phones do).
//! Direction and byte-order marks (U+200E, U+200F, U+FEFF…), which the apps scatter through
//! headers, names and texts, are removed everywhere. Media placeholders (`<Media omitted>`,
//! `image omitted`, `Bild weggelassen`, `<attached: …>`, `… (file attached)`, `live location
//! shared`…, in English, French, German and Spanish) become media messages with no text.
//!
//! A line that does not start with a date continues the message above it; a line that starts
//! like a message (a date, then a time) but cannot be read is reported, never glued to the
//! message above. Lines without a sender
//! (Android) and notices such as "Messages and calls are end-to-end encrypted" (iOS puts a sender
//! on them) are system lines: skipped and reported. The day/month order is guessed from the whole
//! file (a field above 12, then fewer dates going backwards, then the clock: 12-hour means
//! month/day) unless given.

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;

use super::parsed_chat::{ChatMessage, DateOrder, LineProblem, ParsedChat, Skipped, local_to_utc};

/// The date and time at the start of a message line, as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    fields: [u32; 3],
    first_width: usize,
    hour: u32,
    minute: u32,
    second: u32,
    /// `Some(true)` for PM, `Some(false)` for AM, `None` on a 24-hour clock.
    pm: Option<bool>,
}

fn digits(s: &str, max: usize) -> Option<(u32, usize, &str)> {
    let n = s.chars().take_while(char::is_ascii_digit).count().min(max);
    if n == 0 {
        return None;
    }
    Some((s[..n].parse().ok()?, n, &s[n..]))
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{202f}' | '\u{a0}')
}

/// Byte-order and direction marks: invisible, and never part of what anyone wrote.
fn is_mark(c: char) -> bool {
    matches!(
        c,
        '\u{feff}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

fn strip_marks(s: &str) -> &str {
    s.trim_start_matches(is_mark)
}

/// `s` without any mark, wherever it stands.
fn remove_marks(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains(is_mark) {
        std::borrow::Cow::Owned(s.chars().filter(|c| !is_mark(*c)).collect())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Whether a line starts like a message header, a date then a time (`15.03.2024, 14h31`,
/// `[1/29/18 23:59`), whether or not the rest can be read.
fn looks_like_header(line: &str) -> bool {
    let s = strip_marks(line);
    let s = s.strip_prefix('[').unwrap_or(s);
    let Some((_, _, s)) = digits(s, 4) else {
        return false;
    };
    let Some(sep) = s.chars().next().filter(|c| matches!(c, '/' | '.' | '-')) else {
        return false;
    };
    let Some((_, _, s)) = digits(&s[1..], 2) else {
        return false;
    };
    let Some(s) = s.strip_prefix(sep) else {
        return false;
    };
    let Some((_, _, s)) = digits(s, 4) else {
        return false;
    };
    let s = s.strip_prefix('.').unwrap_or(s);
    let s = s.strip_prefix(',').unwrap_or(s);
    let s = s.trim_start_matches(is_space);
    digits(s, 2).is_some_and(|(_, _, rest)| rest.starts_with([':', '.', 'h', 'H']))
}

/// Parses `[date, time] ` (iOS) or `date, time - ` (Android) at the start of a line; returns the
/// stamp and the rest of the line.
fn parse_header(line: &str) -> Option<(Stamp, &str)> {
    let s = strip_marks(line);
    let (bracket, s) = match s.strip_prefix('[') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (a, first_width, s) = digits(s, 4)?;
    let sep = s.chars().next().filter(|c| matches!(c, '/' | '.' | '-'))?;
    let (b, _, s) = digits(&s[1..], 2)?;
    let s = s.strip_prefix(sep)?;
    let (c, _, s) = digits(s, 4)?;
    let s = s.strip_prefix('.').unwrap_or(s);
    let s = s.strip_prefix(',').unwrap_or(s);
    let s = s.trim_start_matches(is_space);
    let (hour, _, s) = digits(s, 2)?;
    let time_sep = s.chars().next().filter(|c| matches!(c, ':' | '.'))?;
    let (minute, mw, s) = digits(&s[1..], 2)?;
    if mw != 2 {
        return None;
    }
    let (second, s) = match s.strip_prefix(time_sep) {
        Some(rest) => {
            let (sec, _, rest) = digits(rest, 2)?;
            (sec, rest)
        }
        None => (0, s),
    };
    let trimmed = s.trim_start_matches(is_space);
    let mut pm = None;
    let mut s = s;
    for (marker, is_pm) in [
        ("a. m.", false),
        ("p. m.", true),
        ("a.m.", false),
        ("p.m.", true),
        ("am", false),
        ("pm", true),
    ] {
        if let Some(rest) = strip_clock_marker(trimmed, marker) {
            pm = Some(is_pm);
            s = rest;
            break;
        }
    }
    let rest = if bracket {
        s.strip_prefix(']')?
            .strip_prefix(is_space)
            .unwrap_or_else(|| &s[1..])
    } else {
        let s = s.trim_start_matches(is_space);
        let s = s.strip_prefix('-').or_else(|| s.strip_prefix('–'))?;
        s.strip_prefix(is_space).unwrap_or(s)
    };
    Some((
        Stamp {
            fields: [a, b, c],
            first_width,
            hour,
            minute,
            second,
            pm,
        },
        rest,
    ))
}

/// `s` after an AM/PM `marker` (lowercase), matched without regard to case and with any kind of
/// space (`p.\u{a0}m.`) where the marker has one.
fn strip_clock_marker<'a>(s: &'a str, marker: &str) -> Option<&'a str> {
    let mut rest = s;
    for m in marker.chars() {
        let c = rest.chars().next()?;
        let same = if m == ' ' {
            is_space(c)
        } else {
            c.to_ascii_lowercase() == m
        };
        if !same {
            return None;
        }
        rest = &rest[c.len_utf8()..];
    }
    Some(rest)
}

fn date_of(stamp: &Stamp, order: DateOrder) -> Option<NaiveDate> {
    let [a, b, c] = stamp.fields;
    let (y, m, d) = match order {
        DateOrder::DayMonthYear => (c, b, a),
        DateOrder::MonthDayYear => (c, a, b),
        DateOrder::YearMonthDay => (a, b, c),
    };
    let year = if y < 100 { 2000 + y } else { y };
    NaiveDate::from_ymd_opt(year as i32, m, d)
}

fn time_of(stamp: &Stamp) -> Option<NaiveTime> {
    let hour = match stamp.pm {
        None => stamp.hour,
        Some(_) if !(1..=12).contains(&stamp.hour) => return None,
        Some(false) => stamp.hour % 12,
        Some(true) => stamp.hour % 12 + 12,
    };
    NaiveTime::from_hms_opt(hour, stamp.minute, stamp.second)
}

/// Picks the date order: the given one, else the only one under which every date exists, else the
/// one whose dates go backwards least, else by the clock (12-hour: month/day).
fn choose_order(stamps: &[Stamp], given: Option<DateOrder>, notes: &mut Vec<String>) -> DateOrder {
    if let Some(order) = given {
        return order;
    }
    if stamps.iter().all(|s| s.first_width == 4) && !stamps.is_empty() {
        return DateOrder::YearMonthDay;
    }
    let candidates = [DateOrder::DayMonthYear, DateOrder::MonthDayYear];
    let valid: Vec<DateOrder> = candidates
        .into_iter()
        .filter(|o| stamps.iter().all(|s| date_of(s, *o).is_some()))
        .collect();
    let twelve_hour = stamps.iter().any(|s| s.pm.is_some());
    let by_clock = if twelve_hour {
        DateOrder::MonthDayYear
    } else {
        DateOrder::DayMonthYear
    };
    let order = match valid.as_slice() {
        [only] => *only,
        [] => by_clock,
        _ => {
            let backwards = |o: DateOrder| {
                stamps
                    .windows(2)
                    .filter(|w| date_of(&w[1], o) < date_of(&w[0], o))
                    .count()
            };
            let (dmy, mdy) = (
                backwards(DateOrder::DayMonthYear),
                backwards(DateOrder::MonthDayYear),
            );
            if dmy < mdy {
                DateOrder::DayMonthYear
            } else if mdy < dmy {
                DateOrder::MonthDayYear
            } else {
                notes.push(format!(
                    "the dates fit both day/month and month/day; read as {} because of the {} clock (pass --date-order to change)",
                    by_clock.describe(),
                    if twelve_hour { "12-hour" } else { "24-hour" }
                ));
                by_clock
            }
        }
    };
    notes.push(format!("dates read as {}", order.describe()));
    order
}

/// Notices WhatsApp writes with a sender on iOS (lowercase, compared to the start of the text).
const SYSTEM_NOTICES: [&str; 26] = [
    "messages and calls are end-to-end encrypted",
    "nachrichten und anrufe sind ende-zu-ende-verschlüsselt",
    "los mensajes y las llamadas están cifrados de extremo a extremo",
    "messages to this group are now secured with end-to-end encryption",
    "les messages et les appels sont chiffrés de bout en bout",
    "your security code with",
    "votre code de sécurité avec",
    "this chat is with a business account",
    "this business uses a secure service",
    "cette discussion est avec un compte professionnel",
    "disappearing messages",
    "les messages éphémères",
    "messages éphémères",
    "you blocked this contact",
    "you unblocked this contact",
    "vous avez bloqué ce contact",
    "vous avez débloqué ce contact",
    "missed voice call",
    "missed video call",
    "appel vocal manqué",
    "appel vidéo manqué",
    "created group",
    "you created group",
    "a créé le groupe",
    "vous avez créé le groupe",
    "changed their phone number",
];

fn is_system_notice(text: &str) -> bool {
    let lower = strip_marks(text).trim_start().to_lowercase();
    SYSTEM_NOTICES.iter().any(|n| lower.starts_with(n))
}

/// Splits `Name: text`; `None` for a line without a sender.
fn split_sender(rest: &str) -> Option<(&str, &str)> {
    let first_line = rest.split('\n').next().unwrap_or("");
    let (colon, skip) = match first_line.find(": ") {
        Some(i) => (i, 2),
        None => match first_line.strip_suffix(':') {
            Some(name) => (name.len(), 1),
            // A message right after the colon (`John Doe:.`), unless the colon is part of a
            // time or a link in a system line.
            None => {
                let i = first_line.find(':')?;
                let next = first_line[i + 1..].chars().next()?;
                if next.is_ascii_digit() || next == '/' {
                    return None;
                }
                (i, 1)
            }
        },
    };
    let name = rest[..colon].trim();
    if name.is_empty() || name.chars().count() > 80 {
        return None;
    }
    let text = rest.get(colon + skip..).unwrap_or("");
    Some((name, text))
}

/// Whole-message placeholders the apps write for media, lowercase (Android and iOS; English,
/// French, German, Spanish).
const MEDIA_PLACEHOLDERS: [&str; 44] = [
    "<media omitted>",
    "<médias omis>",
    "<medien ausgeschlossen>",
    "<multimedia omitido>",
    "image omitted",
    "video omitted",
    "audio omitted",
    "sticker omitted",
    "gif omitted",
    "document omitted",
    "contact card omitted",
    "image absente",
    "vidéo absente",
    "audio omis",
    "autocollant omis",
    "sticker omis",
    "gif retiré",
    "document omis",
    "carte de contact omise",
    "bild weggelassen",
    "video weggelassen",
    "audio weggelassen",
    "sticker weggelassen",
    "gif weggelassen",
    "dokument weggelassen",
    "kontaktkarte ausgelassen",
    "imagen omitida",
    "video omitido",
    "audio omitido",
    "sticker omitido",
    "gif omitido",
    "documento omitido",
    "tarjeta de contacto omitida",
    "live location shared",
    "position en direct partagée",
    "live-standort wird geteilt",
    "ubicación en tiempo real compartida",
    "this message was deleted",
    "you deleted this message",
    "ce message a été supprimé",
    "vous avez supprimé ce message",
    "diese nachricht wurde gelöscht",
    "se eliminó este mensaje",
    "eliminaste este mensaje",
];

/// Starts of an attachment written inline (iOS), lowercase: `<attached: 0001-PHOTO….jpg>`.
const ATTACHED_PREFIXES: [&str; 5] = [
    "<attached:",
    "<anhang:",
    "<pièce jointe :",
    "<pièce jointe:",
    "<adjunto:",
];

/// Ends of a first line naming an attached file (Android), lowercase:
/// `PTT-20240315-WA0003.opus (file attached)`.
const ATTACHED_SUFFIXES: [&str; 4] = [
    "(file attached)",
    "(datei angehängt)",
    "(fichier joint)",
    "(archivo adjunto)",
];

/// Starts of a shared location (Android), lowercase: `location: https://maps…`.
const LOCATION_PREFIXES: [&str; 5] = [
    "location: http",
    "standort: http",
    "position : http",
    "position: http",
    "ubicación: http",
];

/// When `text` is a media placeholder, the caption written under it (often empty); `None` for
/// a text message.
fn media_caption(text: &str) -> Option<&str> {
    let (first, caption) = match text.split_once('\n') {
        Some((first, rest)) => (first.trim(), rest.trim()),
        None => (text.trim(), ""),
    };
    let lower = first.to_lowercase();
    let placeholder = MEDIA_PLACEHOLDERS.contains(&lower.as_str())
        // iOS names a document before the placeholder: `report.pdf • 3 pages document omitted`.
        || (lower.ends_with(" document omitted") || lower.ends_with(" dokument weggelassen"))
        || (ATTACHED_PREFIXES.iter().any(|p| lower.starts_with(p)) && lower.ends_with('>'))
        || ATTACHED_SUFFIXES.iter().any(|p| lower.ends_with(p))
        || LOCATION_PREFIXES.iter().any(|p| lower.starts_with(p));
    placeholder.then_some(caption)
}

struct Entry<'a> {
    line: usize,
    stamp: Stamp,
    /// The date and time as written (`1/29/18, 23:59 PM`), quoted in errors.
    written: String,
    rest: String,
    more: Vec<std::borrow::Cow<'a, str>>,
}

/// A line quoted in a message, cut to 80 characters.
fn quote(line: &str) -> String {
    let mut short: String = line.chars().take(80).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

/// Parses a WhatsApp export; times are local to `tz`.
pub fn parse(text: &str, tz: Tz, order: Option<DateOrder>) -> ParsedChat {
    let mut out = ParsedChat::default();
    let mut entries: Vec<Entry<'_>> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let clean = remove_marks(raw);
        match parse_header(&clean) {
            Some((stamp, rest)) => {
                let head = &clean[..clean.len() - rest.len()];
                let written = head
                    .trim_end_matches(|c: char| is_space(c) || matches!(c, '-' | '–'))
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_owned();
                entries.push(Entry {
                    line,
                    stamp,
                    written,
                    rest: rest.to_owned(),
                    more: Vec::new(),
                });
            }
            None if looks_like_header(&clean) => out.problems.push(LineProblem {
                line,
                message: format!(
                    "this line starts like a message but its date and time cannot be read: `{}`",
                    quote(raw.trim_start_matches(is_mark))
                ),
            }),
            None => match entries.last_mut() {
                Some(entry) => entry.more.push(clean),
                None if clean.trim().is_empty() => {}
                None => out.problems.push(LineProblem {
                    line,
                    message: format!(
                        "this line comes before the first dated message and is not one: `{}`",
                        quote(raw)
                    ),
                }),
            },
        }
    }
    let stamps: Vec<Stamp> = entries.iter().map(|e| e.stamp).collect();
    let order = choose_order(&stamps, order, &mut out.notes);
    for entry in entries {
        let mut body = entry.rest;
        for more in &entry.more {
            body.push('\n');
            body.push_str(more);
        }
        let body = body.trim_end().to_owned();
        let (Some(date), Some(time)) = (date_of(&entry.stamp, order), time_of(&entry.stamp)) else {
            out.problems.push(LineProblem {
                line: entry.line,
                message: format!(
                    "`{}` is not a valid date and time (read as {})",
                    entry.written,
                    order.describe()
                ),
            });
            continue;
        };
        let at = local_to_utc(date.and_time(time), tz, entry.line, &mut out.notes);
        match split_sender(&body) {
            Some((sender, text)) if !is_system_notice(text) => {
                let (text, media) = match media_caption(text) {
                    Some(caption) => (caption, true),
                    None => (text, false),
                };
                out.messages.push(ChatMessage {
                    line: entry.line,
                    at,
                    sender: sender.to_owned(),
                    is_user: None,
                    text: text.to_owned(),
                    media,
                });
            }
            _ => out
                .skipped
                .push(Skipped::new(entry.line, "system line", &body)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_of_every_variant_parse() {
        let cases = [
            (
                "12/31/25, 9:05 PM - Léa: Hi",
                [12, 31, 25],
                9,
                Some(true),
                "Léa: Hi",
            ),
            (
                "12/31/25, 9:05\u{202f}PM - Léa: Hi",
                [12, 31, 25],
                9,
                Some(true),
                "Léa: Hi",
            ),
            (
                "31/12/2025, 21:05 - Léa: Hi",
                [31, 12, 2025],
                21,
                None,
                "Léa: Hi",
            ),
            (
                "31/12/2025 21:05 - Léa: Salut",
                [31, 12, 2025],
                21,
                None,
                "Léa: Salut",
            ),
            (
                "[12/31/25, 9:05:12 AM] Léa: Hi",
                [12, 31, 25],
                9,
                Some(false),
                "Léa: Hi",
            ),
            (
                "\u{200e}[31/12/2025 21:05:12] Léa: Salut",
                [31, 12, 2025],
                21,
                None,
                "Léa: Salut",
            ),
            (
                "31.12.25, 21:05 - Léa: Hi",
                [31, 12, 25],
                21,
                None,
                "Léa: Hi",
            ),
        ];
        for (line, fields, hour, pm, rest) in cases {
            let (stamp, r) = parse_header(line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(
                (stamp.fields, stamp.hour, stamp.pm, r),
                (fields, hour, pm, rest),
                "{line}"
            );
        }
        for line in [
            "Hello there",
            "12:30 we meet",
            "2025 was great",
            "[note] hi",
        ] {
            assert!(parse_header(line).is_none(), "{line}");
        }
    }

    #[test]
    fn twelve_hour_clock_converts() {
        let stamp = |hour, pm| Stamp {
            fields: [1, 1, 2025],
            first_width: 1,
            hour,
            minute: 0,
            second: 0,
            pm,
        };
        assert_eq!(
            time_of(&stamp(12, Some(false))),
            NaiveTime::from_hms_opt(0, 0, 0)
        );
        assert_eq!(
            time_of(&stamp(12, Some(true))),
            NaiveTime::from_hms_opt(12, 0, 0)
        );
        assert_eq!(
            time_of(&stamp(9, Some(true))),
            NaiveTime::from_hms_opt(21, 0, 0)
        );
        assert_eq!(time_of(&stamp(13, Some(true))), None);
    }

    #[test]
    fn ambiguous_dates_follow_the_clock_and_the_calendar() {
        let mut notes = Vec::new();
        let (a, _) = parse_header("03/04/2025 10:00 - A: x").expect("stamp");
        let (b, _) = parse_header("03/05/2025 10:00 - A: x").expect("stamp");
        assert_eq!(
            choose_order(&[a, b], None, &mut notes),
            DateOrder::DayMonthYear
        );
        // Under day/month these go back in time (1 May, then 2 April): month/day is chosen.
        let (c, _) = parse_header("01/05/2025 10:00 - A: x").expect("stamp");
        let (d, _) = parse_header("02/04/2025 10:00 - A: x").expect("stamp");
        assert_eq!(
            choose_order(&[c, d], None, &mut notes),
            DateOrder::MonthDayYear
        );
        let (f, _) = parse_header("13/01/2025 10:00 - A: x").expect("stamp");
        assert_eq!(
            choose_order(&[a, f], None, &mut notes),
            DateOrder::DayMonthYear
        );
        let (g, _) = parse_header("01/13/25, 10:00 AM - A: x").expect("stamp");
        assert_eq!(
            choose_order(&[g], None, &mut notes),
            DateOrder::MonthDayYear
        );
    }
}
