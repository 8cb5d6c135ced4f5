//! Conversation memory: what a persona can follow up on from a user's past messages.
//!
//! Two kinds of things are remembered:
//! - the persona's **topics**, recognised by their keywords in any of the persona's languages
//!   (case- and accent-insensitive; the last word of a keyword may take a plural `s` or `x`);
//! - the **mentions**: the specific things the user named. Entries of the persona's lexicon
//!   (film titles, composers, dishes…) are found case- and accent-insensitively and echoed in the
//!   persona's spelling; other names are taken from quoted phrases ("…", «…», “…”) and from runs
//!   of capitalised words ("Blade Runner", "The Hours"), leaving out sentence-initial words on
//!   their own, acronyms, greetings and fillers, days and months, and the persona's and user's
//!   names.
//!
//! Items are ranked by recency (the most recent message naming them), then by how many messages
//! named them, then lexicon and quoted names before guessed capitalised ones, then by position in
//! that message. Messages the safety check flags are left out whole (a user who mentioned a
//! funeral is not asked about anything in that message), and so are the other messages of the
//! same sitting (messages no more than [`SITTING_GAP_MINUTES`] apart: the film played at the
//! funeral is not brought up either). So are names the check flags, names of the persona's
//! forbidden topics, people from the user's own life ("my friend Agnès", "avec Paul"), and items
//! an earlier nudge to this user already echoed unless the user brought them up again after it.

mod words;

use std::collections::HashSet;
use std::fmt::Write as _;

use foldhash::fast::FixedState;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::Composed;
use super::text::{Phrase, PhraseIndex, Token, tokens, word_set};
use crate::model::decision::local_short;
pub use crate::model::decision::{MemoryItem, MemoryKind, MemorySource};
use crate::model::{Lang, Persona, Sender, User};
use crate::safety::{Category, SafetyChecker};
use words::{ARTICLES, COMPANION, CONNECTORS, OPENERS, RELATIONS, STOP_WORDS};

/// Messages older than this many days before a nudge are not remembered.
pub const MEMORY_HORIZON_DAYS: i64 = 30;

/// User messages no more than this many minutes apart belong to the same sitting; a flagged
/// message keeps its whole sitting out of memory.
pub const SITTING_GAP_MINUTES: i64 = 60;

/// The longest quoted phrase taken as a name, in words.
const MAX_QUOTED_WORDS: usize = 6;

/// The longest quoted phrase taken as a name, in characters.
const MAX_QUOTED_CHARS: usize = 60;

impl MemorySource {
    /// Lower ranks first among equally recent and frequent mentions.
    fn rank(self) -> u8 {
        match self {
            MemorySource::Keyword | MemorySource::Lexicon => 0,
            MemorySource::Quoted => 1,
            MemorySource::Capitalised => 2,
        }
    }

    /// A few words for traces.
    pub fn describe(self) -> &'static str {
        match self {
            MemorySource::Keyword => "keyword",
            MemorySource::Lexicon => "lexicon entry",
            MemorySource::Quoted => "quoted",
            MemorySource::Capitalised => "capitalised name",
        }
    }
}

/// Why something the user said is not remembered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "why")]
pub enum Skip {
    /// The whole message was flagged by the safety check.
    FlaggedMessage {
        /// Event index of the message.
        event: u32,
        /// When it was sent.
        at: DateTime<Utc>,
        /// The category of its first flag.
        category: Category,
    },
    /// The name itself was flagged by the safety check.
    FlaggedName {
        /// The name.
        label: String,
        /// The category of its first flag.
        category: Category,
    },
    /// The name falls under one of the persona's forbidden topics.
    Forbidden {
        /// The name.
        label: String,
        /// The forbidden topic.
        topic: String,
    },
    /// The message was written in the same sitting as a flagged one (no more than
    /// [`SITTING_GAP_MINUTES`] between messages): what the user said around a funeral is not
    /// followed up on either.
    FlaggedSitting {
        /// Event index of the message.
        event: u32,
        /// When it was sent.
        at: DateTime<Utc>,
        /// When the flagged message of that sitting was sent.
        flagged_at: DateTime<Utc>,
    },
    /// The name is someone from the user's own life ("my friend Agnès"): not the persona's to
    /// bring up.
    Acquaintance {
        /// The name.
        label: String,
    },
    /// An earlier nudge already echoed it, and the user has not brought it up since.
    FollowedUp {
        /// The item.
        label: String,
        /// When the nudge that echoed it was sent.
        at: DateTime<Utc>,
    },
}

/// What the persona remembers of a user before a nudge: items ranked best first, and what it
/// deliberately left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Memory {
    /// Remembered items, best first.
    pub items: Vec<MemoryItem>,
    /// What was left out, and why.
    pub skipped: Vec<Skip>,
}

impl Memory {
    /// The `n`-th best item of `kind` (0 for the best).
    pub fn nth(&self, kind: MemoryKind, n: usize) -> Option<&MemoryItem> {
        self.items.iter().filter(|i| i.kind == kind).nth(n)
    }

    /// One sentence for the decision trace: the top items with their source messages, and what
    /// was left out.
    pub fn sentence(&self, user: &User) -> String {
        let tz = user.timezone;
        let mut s = if self.items.is_empty() {
            "Nothing to echo: no topic of the persona or named thing in the user's messages."
                .to_owned()
        } else {
            let mut s = String::with_capacity(160 * self.items.len().min(4));
            s.push_str("Remembers, best first: ");
            for (i, item) in self.items.iter().take(4).enumerate() {
                if i > 0 {
                    s.push_str("; ");
                }
                push_item_phrase(&mut s, item, user, tz);
            }
            let more = self.items.len().saturating_sub(4);
            if more > 0 {
                let _ = write!(s, "; and {more} more");
            }
            s.push('.');
            s
        };
        if !self.skipped.is_empty() {
            let left: Vec<String> = self
                .skipped
                .iter()
                .map(|k| match k {
                    Skip::FlaggedMessage { at, category, .. } => format!(
                        "the message of {} (flagged {})",
                        local_short(*at, tz),
                        category.as_str()
                    ),
                    Skip::FlaggedName { label, category } => {
                        format!("\"{label}\" (flagged {})", category.as_str())
                    }
                    Skip::Forbidden { label, topic } => {
                        format!("\"{label}\" (forbidden topic \"{topic}\")")
                    }
                    Skip::FlaggedSitting { at, flagged_at, .. } => format!(
                        "the message of {} (same sitting as the flagged message of {})",
                        local_short(*at, tz),
                        local_short(*flagged_at, tz)
                    ),
                    Skip::Acquaintance { label } => {
                        format!("\"{label}\" (someone from the user's own life)")
                    }
                    Skip::FollowedUp { label, at } => format!(
                        "\"{label}\" (already followed up on {})",
                        local_short(*at, tz)
                    ),
                })
                .collect();
            s.push_str(&format!(" Left out: {}.", left.join(", ")));
        }
        s
    }
}

/// "mention \"Interstellar\" (lexicon entry, 2 messages, last on 7 Jan 09:15: \"…\")".
pub fn item_phrase(item: &MemoryItem, user: &User, tz: Tz) -> String {
    let mut out = String::with_capacity(160);
    push_item_phrase(&mut out, item, user, tz);
    out
}

/// [`item_phrase`], appended to `out`: a memory sentence is written into one buffer.
fn push_item_phrase(out: &mut String, item: &MemoryItem, user: &User, tz: Tz) {
    out.push_str(match item.kind {
        MemoryKind::Topic => "topic \"",
        MemoryKind::Mention => "mention \"",
    });
    out.push_str(&item.label);
    out.push_str("\" (");
    if item.source == MemorySource::Keyword {
        out.push_str("keyword \"");
        out.push_str(&item.matched);
        out.push('"');
    } else {
        out.push_str(item.source.describe());
    }
    if item.count > 1 {
        let _ = write!(out, ", {} messages", item.count);
    }
    out.push_str(", last on ");
    out.push_str(&local_short(item.at, tz));
    out.push_str(": ");
    push_quote_around(out, user, item);
    out.push(')');
}

/// "the message of 7 Jan 09:15: \"…revu Interstellar hier soir…\"": where an item comes from.
pub fn source_phrase(item: &MemoryItem, user: &User) -> String {
    let mut out = String::with_capacity(120);
    out.push_str("from the message of ");
    out.push_str(&local_short(item.at, user.timezone));
    out.push_str(": ");
    push_quote_around(&mut out, user, item);
    out
}

/// The source message of `item`, quoted and cut around the words it matched, appended to
/// `out`.
fn push_quote_around(out: &mut String, user: &User, item: &MemoryItem) {
    const WIDTH: usize = 60;
    let Some(text) = user
        .events
        .get(item.event as usize)
        .map(|e| e.text.as_str())
    else {
        out.push_str("\"\"");
        return;
    };
    let total = text.chars().count();
    let start = if total <= WIDTH {
        0
    } else {
        let at = text.find(&item.matched).unwrap_or(0);
        text[..at]
            .chars()
            .count()
            .saturating_sub(WIDTH / 3)
            .min(total - WIDTH)
    };
    // The byte range of characters `start..start + WIDTH`.
    let byte_at = |chars: usize| {
        text.char_indices()
            .nth(chars)
            .map_or(text.len(), |(i, _)| i)
    };
    let shown = &text[byte_at(start)..byte_at(start + WIDTH)];
    out.push('"');
    if start > 0 {
        out.push('…');
    }
    out.push_str(shown.trim());
    if start + WIDTH < total {
        out.push('…');
    }
    out.push('"');
}

/// One thing found in one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// Topic or mention.
    pub kind: MemoryKind,
    /// Topic id or matching key.
    pub key: String,
    /// The words a nudge would use.
    pub label: String,
    /// How it was recognised.
    pub source: MemorySource,
    /// The words as written in the message.
    pub matched: String,
    /// Byte offset in the message.
    pub pos: usize,
    /// Whether it names someone from the user's own life ("my friend Agnès", "avec Paul"):
    /// remembered as left out, never echoed.
    pub personal: bool,
}

/// A persona's recognisers, compiled once: topic keywords, lexicon entries, names to ignore.
#[derive(Clone, Debug)]
pub struct Recognizer {
    /// Topic id and label of each keyword of `keywords`.
    topics: Vec<(String, String)>,
    keywords: PhraseIndex,
    /// The persona's spelling of each entry of `lexicon`.
    entries: Vec<String>,
    lexicon: PhraseIndex,
    keyword_keys: HashSet<String, FixedState>,
    persona_words: HashSet<String, FixedState>,
    forbidden: Vec<(String, Phrase)>,
}

/// Whether the capitalised run `first..=last` of `text` names someone from the user's own life:
/// right after a relation ("my friend Agnès", "ma sœur Julie"), or a single word right after
/// "with", "avec" or "chez" in the same sentence.
fn names_an_acquaintance(text: &str, words: &[Token<'_>], first: usize, last: usize) -> bool {
    let Some(before) = first.checked_sub(1) else {
        return false;
    };
    let gap = &text[words[before].end..words[first].start];
    if gap.contains(|c: char| !c.is_whitespace() && !matches!(c, '\'' | '’')) {
        return false;
    }
    let key = words[before].key.as_ref();
    word_set!(RELATIONS).contains(key) || (first == last && word_set!(COMPANION).contains(key))
}

impl Recognizer {
    /// Compiles the recognisers of `persona`, labelling topics in `lang`.
    pub fn new(persona: &Persona, lang: Lang) -> Self {
        let mut topics = Vec::new();
        let mut keywords = Vec::new();
        let mut keyword_keys = HashSet::default();
        for topic in &persona.topics {
            let label = topic
                .name
                .get(&lang)
                .or_else(|| topic.name.values().next())
                .cloned()
                .unwrap_or_else(|| topic.id.clone());
            for keyword in topic.keywords.values().flatten() {
                let phrase = Phrase::new(keyword);
                if phrase.is_empty() {
                    continue;
                }
                keyword_keys.insert(phrase.keys.join(" "));
                topics.push((topic.id.clone(), label.clone()));
                keywords.push(phrase);
            }
        }
        let entries = persona.lexicon.clone();
        let lexicon = PhraseIndex::new(entries.iter().map(|e| Phrase::new(e)).collect(), false);
        let persona_words = tokens(&persona.name)
            .into_iter()
            .map(|t| t.key.into_owned())
            .filter(|k| k.chars().count() > 2)
            .collect();
        let forbidden = persona
            .forbidden_topics
            .iter()
            .map(|f| (f.clone(), Phrase::new(f)))
            .filter(|(_, p)| !p.is_empty())
            .collect();
        Self {
            topics,
            keywords: PhraseIndex::new(keywords, true),
            entries,
            lexicon,
            keyword_keys,
            persona_words,
            forbidden,
        }
    }

    /// The forbidden topic `text` raises, if any.
    pub fn forbidden_in(&self, text: &str) -> Option<&str> {
        if self.forbidden.is_empty() {
            return None;
        }
        self.forbidden_in_words(&tokens(text))
    }

    /// [`Recognizer::forbidden_in`] of a text already cut into `words`.
    pub fn forbidden_in_words(&self, words: &[Token<'_>]) -> Option<&str> {
        self.forbidden
            .iter()
            .find(|(_, p)| p.find_in(words, true).is_some())
            .map(|(f, _)| f.as_str())
    }

    /// Everything recognised in one message of a user named `user_name`, in text order, each
    /// item once.
    pub fn scan(&self, text: &str, user_name: &str) -> Vec<Found> {
        self.scan_for(text, &user_words(user_name))
    }

    /// [`Recognizer::scan`] with the keys of the user's name already computed.
    fn scan_for(&self, text: &str, user_words: &HashSet<String, FixedState>) -> Vec<Found> {
        let words = tokens(text);
        let mut found: Vec<Found> = Vec::new();
        let mut push = |f: Found| {
            if !found.iter().any(|o| o.kind == f.kind && o.key == f.key) {
                found.push(f);
            }
        };
        // Topics, at their first keyword.
        for i in 0..words.len() {
            for k in self.keywords.at(&words, i) {
                let (id, label) = &self.topics[k];
                let last = &words[i + self.keywords.phrase(k).keys.len() - 1];
                push(Found {
                    kind: MemoryKind::Topic,
                    key: id.clone(),
                    label: label.clone(),
                    source: MemorySource::Keyword,
                    matched: text[words[i].start..last.end].to_owned(),
                    pos: words[i].start,
                    personal: false,
                });
            }
        }
        // Lexicon entries, leftmost longest, so that a title is not cut by a shorter entry.
        let mut covered = vec![false; words.len()];
        let mut i = 0;
        while i < words.len() {
            let Some(&e) = self.lexicon.at(&words, i).first() else {
                i += 1;
                continue;
            };
            let phrase = self.lexicon.phrase(e);
            let n = phrase.keys.len();
            covered[i..i + n].iter_mut().for_each(|c| *c = true);
            push(Found {
                kind: MemoryKind::Mention,
                key: phrase.keys.join(" "),
                label: self.entries[e].clone(),
                source: MemorySource::Lexicon,
                matched: text[words[i].start..words[i + n - 1].end].to_owned(),
                pos: words[i].start,
                personal: false,
            });
            i += n;
        }
        // Quoted phrases.
        for (start, end) in quoted_spans(text) {
            let inner: Vec<usize> = (0..words.len())
                .filter(|&i| words[i].start >= start && words[i].end <= end)
                .collect();
            let already = inner.iter().any(|&i| covered[i]);
            inner.iter().for_each(|&i| covered[i] = true);
            if already || inner.is_empty() || inner.len() > MAX_QUOTED_WORDS {
                continue;
            }
            let label = clean_label(&text[start..end]);
            if label.chars().count() > MAX_QUOTED_CHARS || !label.chars().any(char::is_alphabetic) {
                continue;
            }
            let key = Phrase::new(&label).keys.join(" ");
            if self.is_ignored(&key, user_words) {
                continue;
            }
            push(Found {
                kind: MemoryKind::Mention,
                key,
                label: label.clone(),
                source: MemorySource::Quoted,
                matched: label,
                pos: start,
                personal: false,
            });
        }
        // Capitalised runs; a run right after a lexicon entry continues its title ("Dune Part
        // Two", "Amélie Poulain") and is not a name of its own.
        for (first, last) in capitalised_runs(text, &words, &covered) {
            let continues_entry = first > 0
                && covered[first - 1]
                && text[words[first - 1].end..words[first].start]
                    .chars()
                    .all(char::is_whitespace);
            if continues_entry {
                continue;
            }
            let Some((first, last)) = self.trim_run(text, &words, first, last, user_words) else {
                continue;
            };
            let label = clean_label(&text[words[first].start..words[last].end]);
            let key = words[first..=last]
                .iter()
                .map(|w| w.key.as_ref())
                .collect::<Vec<_>>()
                .join(" ");
            if self.is_ignored(&key, user_words) {
                continue;
            }
            push(Found {
                kind: MemoryKind::Mention,
                key,
                label: label.clone(),
                source: MemorySource::Capitalised,
                matched: label,
                pos: words[first].start,
                personal: names_an_acquaintance(text, &words, first, last),
            });
        }
        found.sort_by_key(|f| f.pos);
        found
    }

    /// Whether a name's key is a keyword, the persona's or the user's name, or a stop word.
    fn is_ignored(&self, key: &str, user_words: &HashSet<String, FixedState>) -> bool {
        let parts: Vec<&str> = key.split(' ').collect();
        self.keyword_keys.contains(key)
            || parts
                .iter()
                .all(|p| self.persona_words.contains(*p) || user_words.contains(*p))
            || (parts.len() == 1 && word_set!(STOP_WORDS).contains(parts[0]))
    }

    /// Trims fillers and names off the ends of a capitalised run; `None` when nothing that
    /// names something is left. A run that starts a sentence must keep two capitalised words,
    /// since a sentence's first word is capitalised anyway.
    fn trim_run(
        &self,
        text: &str,
        words: &[Token<'_>],
        mut first: usize,
        mut last: usize,
        user_words: &HashSet<String, FixedState>,
    ) -> Option<(usize, usize)> {
        let starts_sentence = starts_sentence(text, words, first);
        // "Franchement Christopher Nolan…", "Went to London…": a sentence's first word is
        // capitalised anyway, and these open sentences rather than names.
        if starts_sentence && first < last && word_set!(OPENERS).contains(&words[first].key) {
            first += 1;
        }
        let drop = |w: &Token<'_>| {
            word_set!(STOP_WORDS).contains(&w.key)
                || self.persona_words.contains(w.key.as_ref())
                || user_words.contains(w.key.as_ref())
                || word_set!(CONNECTORS).contains(&w.key)
        };
        // A capitalised article inside a sentence belongs to a title ("j'écoute The Hours").
        while first <= last
            && drop(&words[first])
            && (starts_sentence || !word_set!(ARTICLES).contains(&words[first].key))
        {
            first += 1;
        }
        while last >= first && drop(&words[last]) {
            if last == 0 {
                return None;
            }
            last -= 1;
        }
        if first > last {
            return None;
        }
        let capitals = words[first..=last]
            .iter()
            .filter(|w| w.is_capitalised())
            .count();
        let needed = if starts_sentence { 2 } else { 1 };
        (capitals >= needed).then_some((first, last))
    }
}

/// Whether word `i` opens a sentence of `text`.
fn starts_sentence(text: &str, words: &[Token<'_>], i: usize) -> bool {
    let before = if i == 0 {
        &text[..words[i].start]
    } else {
        &text[words[i - 1].end..words[i].start]
    };
    i == 0 || before.contains(['.', '!', '?', '…', '\n', ':', '"', '«', '“', '('])
}

/// Runs of capitalised words (joined by spaces, hyphens or apostrophes, with at most two
/// connectors in a row and numbers after a name), as first and last word indexes.
fn capitalised_runs(text: &str, words: &[Token<'_>], covered: &[bool]) -> Vec<(usize, usize)> {
    let capital = |i: usize| words[i].is_capitalised() && !covered[i];
    let mut runs = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if !capital(i) {
            i += 1;
            continue;
        }
        let mut last = i;
        let mut k = i + 1;
        let mut connectors = 0;
        while k < words.len() && !covered[k] {
            let gap = &text[words[k - 1].end..words[k].start];
            let joined = !gap.is_empty()
                && gap.chars().count() <= 2
                && gap
                    .chars()
                    .all(|c| matches!(c, ' ' | '-' | '\'' | '’' | '\u{a0}'));
            if !joined {
                break;
            }
            if capital(k) || (words[k].is_number() && connectors == 0) {
                last = k;
                connectors = 0;
            } else if word_set!(CONNECTORS).contains(&words[k].key) && connectors < 2 {
                connectors += 1;
            } else {
                break;
            }
            k += 1;
        }
        runs.push((i, last));
        i = last + 1;
    }
    runs
}

/// Byte ranges of the insides of quoted phrases: "…", «…», “…”.
fn quoted_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    for (open, close) in [('"', '"'), ('«', '»'), ('“', '”')] {
        let mut rest = 0;
        while let Some(i) = text[rest..].find(open) {
            let start = rest + i + open.len_utf8();
            let Some(j) = text[start..].find(close) else {
                break;
            };
            spans.push((start, start + j));
            rest = start + j + close.len_utf8();
        }
    }
    spans
}

/// A name as a nudge can show it: one line, no markup or braces, no edge punctuation.
pub fn clean_label(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            let markup = matches!(
                c,
                '{' | '}' | '<' | '>' | '*' | '_' | '`' | '~' | '[' | ']' | '#'
            );
            if c.is_whitespace() || markup { ' ' } else { c }
        })
        .collect();
    cleaned
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c: char| !c.is_alphanumeric() && !matches!(c, ')' | '!' | '?' | '\''))
        .trim_end_matches(['!', '?'])
        .to_owned()
}

/// One user message of the memory's span, with what the safety check made of its sitting.
struct Said {
    /// Its event index.
    event: usize,
    /// The category of its first flag, if the message is flagged.
    flag: Option<Category>,
    /// When the nearest flagged message of its sitting was sent, if it is not flagged itself.
    flagged_nearby: Option<DateTime<Utc>>,
}

/// The user's messages in `from..before`, in order, each with its flag and its sitting's.
fn sittings(
    user: &User,
    from: DateTime<Utc>,
    before: DateTime<Utc>,
    checker: &SafetyChecker,
    reading: &mut UserReading,
) -> Vec<Said> {
    let gap = Duration::minutes(SITTING_GAP_MINUTES);
    let mut out: Vec<Said> = Vec::new();
    // Sittings as ranges of `out`.
    let mut start = 0;
    let mut last_at: Option<DateTime<Utc>> = None;
    let close = |sitting: &mut [Said]| {
        let flagged: Vec<DateTime<Utc>> = sitting
            .iter()
            .filter(|s| s.flag.is_some())
            .map(|s| user.events[s.event].at)
            .collect();
        for said in sitting.iter_mut().filter(|s| s.flag.is_none()) {
            let me = user.events[said.event].at;
            said.flagged_nearby = flagged
                .iter()
                .min_by_key(|t| (**t - me).num_seconds().abs())
                .copied();
        }
    };
    for (i, e) in user.events.iter().enumerate() {
        if e.from != Sender::User || e.at >= before || e.at < from {
            continue;
        }
        if last_at.is_some_and(|t| e.at - t > gap) {
            close(&mut out[start..]);
            start = out.len();
        }
        last_at = Some(e.at);
        out.push(Said {
            event: i,
            flag: reading.flag(checker, user, i),
            flagged_nearby: None,
        });
    }
    close(&mut out[start..]);
    out
}

/// What the persona remembers of `user`'s messages before `before`, labelled in `lang`, given
/// the nudges already composed for this user (`previous`, oldest first).
pub fn remember(
    persona: &Persona,
    checker: &SafetyChecker,
    user: &User,
    before: DateTime<Utc>,
    lang: Lang,
    previous: &[Composed],
) -> Memory {
    remember_with(
        &Recognizer::new(persona, lang),
        checker,
        user,
        before,
        previous,
        &mut UserReading::default(),
    )
}

/// The keys of the words of a user's name, which are never taken for a named thing.
fn user_words(user_name: &str) -> HashSet<String, FixedState> {
    tokens(user_name)
        .into_iter()
        .map(|t| t.key.into_owned())
        .collect()
}

/// What the composer has read in one user's messages, kept across that user's nudges: each
/// message is checked for flags and scanned for things to follow up on once per replay, not
/// once per nudge. One value serves one user and one recogniser.
#[derive(Debug, Default)]
pub struct UserReading {
    /// The category of each event's first flag, by event index, once checked.
    flags: Vec<Option<Option<Category>>>,
    /// What each event names, by event index, once scanned.
    found: Vec<Option<Vec<Found>>>,
    /// The keys of the user's name.
    user_words: Option<HashSet<String, FixedState>>,
}

impl UserReading {
    /// A reading of `user` that already knows the first flag of each of its messages:
    /// `flags` pairs event indexes with the category of their first flag (see
    /// [`UserFacts::first_flags`](crate::engine::UserFacts::first_flags)), so that a replay
    /// scans each message once for the engine and the composer.
    pub fn with_flags(
        user: &User,
        flags: impl IntoIterator<Item = (usize, Option<Category>)>,
    ) -> Self {
        let mut reading = Self {
            flags: vec![None; user.events.len()],
            ..Self::default()
        };
        for (event, flag) in flags {
            if let Some(slot) = reading.flags.get_mut(event) {
                *slot = Some(flag);
            }
        }
        reading
    }

    /// The category of the first flag of event `i` of `user`: a lexicon's, or `self_harm` when
    /// the crisis classifier reads the message alone as a crisis. (Read without the engine's
    /// facts, a crisis caught only through its sitting is not known here; the sitting of a
    /// flagged message is left out with it.)
    fn flag(&mut self, checker: &SafetyChecker, user: &User, i: usize) -> Option<Category> {
        if self.flags.len() < user.events.len() {
            self.flags.resize(user.events.len(), None);
        }
        *self.flags[i].get_or_insert_with(|| {
            let reading = checker.read_message(&user.events[i].text);
            match reading.blocking {
                Some(flag) if flag.category == Category::SelfHarm => Some(Category::SelfHarm),
                _ if checker.is_crisis(reading.crisis, Lang::from_locale(&user.locale)) => {
                    Some(Category::SelfHarm)
                }
                _ => reading.first_flag,
            }
        })
    }

    /// What event `i` of `user` names, in text order.
    fn found(&mut self, recognizer: &Recognizer, user: &User, i: usize) -> &[Found] {
        if self.found.len() < user.events.len() {
            self.found.resize(user.events.len(), None);
        }
        let user_words = self
            .user_words
            .get_or_insert_with(|| user_words(&user.name));
        self.found[i].get_or_insert_with(|| recognizer.scan_for(&user.events[i].text, user_words))
    }
}

/// [`remember`] with the persona's recognisers already compiled, and what was already read
/// of this user's messages (`reading`, for this user and recogniser only).
pub fn remember_with(
    recognizer: &Recognizer,
    checker: &SafetyChecker,
    user: &User,
    before: DateTime<Utc>,
    previous: &[Composed],
    reading: &mut UserReading,
) -> Memory {
    let from = before - Duration::days(MEMORY_HORIZON_DAYS);
    let mut items: Vec<(MemoryItem, usize, u8)> = Vec::new();
    let mut skipped = Vec::new();
    let sittings = sittings(user, from, before, checker, reading);
    for said in sittings {
        let i = said.event;
        let e = &user.events[i];
        if let Some(category) = said.flag {
            skipped.push(Skip::FlaggedMessage {
                event: i as u32,
                at: e.at,
                category,
            });
            continue;
        }
        if let Some(flagged_at) = said.flagged_nearby {
            skipped.push(Skip::FlaggedSitting {
                event: i as u32,
                at: e.at,
                flagged_at,
            });
            continue;
        }
        for f in reading.found(recognizer, user, i).to_vec() {
            if f.personal {
                if !skipped
                    .iter()
                    .any(|k| matches!(k, Skip::Acquaintance { label } if *label == f.label))
                {
                    skipped.push(Skip::Acquaintance { label: f.label });
                }
                continue;
            }
            if let Some((item, pos, rank)) = items
                .iter_mut()
                .find(|(it, _, _)| it.kind == f.kind && it.key == f.key)
            {
                item.count += 1;
                item.at = e.at;
                item.event = i as u32;
                item.matched = f.matched;
                item.source = f.source;
                *pos = f.pos;
                *rank = f.source.rank();
            } else {
                let rank = f.source.rank();
                items.push((
                    MemoryItem {
                        kind: f.kind,
                        key: f.key,
                        label: f.label,
                        event: i as u32,
                        at: e.at,
                        count: 1,
                        source: f.source,
                        matched: f.matched,
                    },
                    f.pos,
                    rank,
                ));
            }
        }
    }
    items.sort_by(|(a, apos, arank), (b, bpos, brank)| {
        b.at.cmp(&a.at)
            .then(b.count.cmp(&a.count))
            .then(arank.cmp(brank))
            .then(apos.cmp(bpos))
            .then(a.key.cmp(&b.key))
    });
    let mut kept = Vec::with_capacity(items.len());
    for (item, _, _) in items {
        if item.kind == MemoryKind::Mention {
            if let Some(flag) = checker.first_flag(&item.label) {
                skipped.push(Skip::FlaggedName {
                    label: item.label,
                    category: flag.category,
                });
                continue;
            }
            if let Some(topic) = recognizer.forbidden_in(&item.label) {
                skipped.push(Skip::Forbidden {
                    label: item.label,
                    topic: topic.to_owned(),
                });
                continue;
            }
        }
        let echoed_at = previous
            .iter()
            .filter(|p| {
                p.echoed
                    .iter()
                    .any(|m| m.kind == item.kind && m.key == item.key)
            })
            .map(|p| p.at)
            .max();
        if let Some(at) = echoed_at
            && item.at < at
        {
            skipped.push(Skip::FollowedUp {
                label: item.label,
                at,
            });
            continue;
        }
        kept.push(item);
    }
    Memory {
        items: kept,
        skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maestro() -> Persona {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/personas/cinema-maestro.ron");
        Persona::load(path.as_ref()).expect("the shipped persona loads")
    }

    fn labels(found: &[Found]) -> Vec<(MemoryKind, &str)> {
        found.iter().map(|f| (f.kind, f.label.as_str())).collect()
    }

    #[test]
    fn lexicon_entries_are_found_in_any_case_and_spelled_as_the_persona_does() {
        let r = Recognizer::new(&maestro(), Lang::Fr);
        let found = r.scan("j'ai revu interstellar, avec hans zimmer à fond", "Léa");
        assert_eq!(
            labels(&found),
            [
                (MemoryKind::Mention, "Interstellar"),
                (MemoryKind::Mention, "Hans Zimmer")
            ]
        );
        assert_eq!(found[1].matched, "hans zimmer");
    }

    #[test]
    fn topics_are_found_by_keyword_without_accents_or_case() {
        let r = Recognizer::new(&maestro(), Lang::Fr);
        let found = r.scan("Tu connais la BO ? Et les THEMES de compositrices", "");
        let kinds: Vec<_> = found
            .iter()
            .filter(|f| f.kind == MemoryKind::Topic)
            .map(|f| (f.key.as_ref(), f.matched.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [("soundtracks", "BO"), ("composers", "compositrices")]
        );
        // The label is the topic's name in the nudge's language.
        let en = Recognizer::new(&maestro(), Lang::En);
        assert_eq!(en.scan("la BO", "")[0].label, "soundtracks");
    }

    #[test]
    fn capitalised_and_quoted_names_are_taken_and_fillers_left() {
        let r = Recognizer::new(&maestro(), Lang::En);
        let found = r.scan(
            "Merci Maestro ! Super, j'écoute The Hours. On Saturday I saw Toy Story 3 \
             with Agnès, and «La Grande Vadrouille» too. Noté.",
            "Léa",
        );
        assert_eq!(
            labels(&found),
            [
                (MemoryKind::Mention, "The Hours"),
                (MemoryKind::Mention, "Toy Story 3"),
                (MemoryKind::Mention, "Agnès"),
                (MemoryKind::Mention, "La Grande Vadrouille"),
            ]
        );
        assert_eq!(found[3].source, MemorySource::Quoted);
        // "with Agnès": someone from the user's life, found but never echoed.
        assert!(found[2].personal && !found[0].personal && !found[1].personal);
        let personal = |text: &str| -> Vec<(String, bool)> {
            r.scan(text, "")
                .into_iter()
                .map(|f| (f.label, f.personal))
                .collect()
        };
        assert_eq!(
            personal("Ma sœur Julie adore Vertigo, et mon ami Paul Martin aussi."),
            [
                ("Julie".to_owned(), true),
                ("Vertigo".to_owned(), false),
                ("Paul Martin".to_owned(), true)
            ]
        );
        // Sentence openers and the rest of a lexicon title are not names.
        let names = |text: &str| -> Vec<String> {
            r.scan(text, "")
                .into_iter()
                .filter(|f| f.kind == MemoryKind::Mention)
                .map(|f| f.label)
                .collect()
        };
        assert_eq!(
            names("Franchement Christopher Nolan est un génie."),
            ["Christopher Nolan"]
        );
        assert_eq!(
            names("Went to London to see Dune Part Two. J'adore Amélie Poulain."),
            ["Dune", "Amélie"]
        );
        assert_eq!(
            names("Pirates of the Caribbean, I loved it. Ennio Morricone forever."),
            ["Pirates of the Caribbean", "Ennio Morricone"]
        );
        assert_eq!(
            personal("I went to Paris with Mark Kermode."),
            [
                ("Paris".to_owned(), false),
                ("Mark Kermode".to_owned(), false)
            ]
        );
        // A sentence-initial word alone is not a name; nor is an acronym or the user's name.
        assert!(r.scan("Pas encore ! STOP. Léa est là.", "Léa").is_empty());
        // Two capitalised words opening a sentence are.
        assert_eq!(
            labels(&r.scan("Ennio Morricone forever", "")),
            [(MemoryKind::Mention, "Ennio Morricone")]
        );
    }

    #[test]
    fn labels_lose_markup_and_edge_punctuation() {
        assert_eq!(clean_label("  *Dune*, "), "Dune");
        assert_eq!(clean_label("Star\nWars {x}"), "Star Wars x");
        assert_eq!(clean_label("Amélie."), "Amélie");
    }
}
