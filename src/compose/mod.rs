//! The follow-up composer: what a sent nudge says, in the persona's voice, from what the user said.
//!
//! Deterministic: the choice among templates and phrasings depends only on the persona, the user,
//! the decision and nothing else, and two consecutive nudges to a user never share a template.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::{Decision, Reason, TraceStep};
use crate::model::persona::{EmojiUse, placeholders};
use crate::model::{Channel, Lang, Persona, Sender, User};
use crate::safety::{SafetyChecker, fold};

/// Something the user talked about that a nudge can echo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryItem {
    /// `topic` or `mention`.
    pub kind: MemoryKind,
    /// The persona's topic id, or the named thing as the user wrote it.
    pub key: String,
    /// The words used in the nudge ("musiques de film", "Hans Zimmer").
    pub label: String,
    /// Event index of the most recent message it came from.
    pub event: u32,
    /// When that message was sent.
    pub at: DateTime<Utc>,
    /// How many of the user's messages mention it.
    pub count: u32,
}

/// What a memory item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryKind {
    /// A topic of the persona, recognised by its keywords.
    Topic,
    /// A film, person, place or dish the user named.
    Mention,
}

/// A composed nudge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Composed {
    /// The text to send.
    pub text: String,
    /// Its language.
    pub lang: Lang,
    /// The persona template used (`fallback` for the generic line).
    pub template: String,
    /// The WhatsApp template filled, on WhatsApp.
    pub channel_template: Option<String>,
    /// What the text echoes.
    pub memory: Option<MemoryItem>,
}

/// What the composer made of a sent decision.
#[derive(Clone, Debug, PartialEq)]
pub enum ComposeOutcome {
    /// A text to send, and the composer's trace steps.
    Message(Composed, Vec<TraceStep>),
    /// No text can be sent: the nudge is held back for this reason.
    Hold(Reason, Vec<TraceStep>),
}

/// A deterministic 64-bit FNV-1a hash of the parts, for choices without randomness.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Whether folded `text` contains folded `word` as whole words.
pub fn contains_words(folded_text: &str, folded_word: &str) -> bool {
    if folded_word.is_empty() {
        return false;
    }
    let bytes = folded_text.as_bytes();
    let mut from = 0;
    while let Some(i) = folded_text[from..].find(folded_word) {
        let start = from + i;
        let end = start + folded_word.len();
        let before_ok = start == 0 || !is_word_byte(bytes[start - 1]);
        let after_ok = end == bytes.len() || !is_word_byte(bytes[end]);
        if before_ok && after_ok {
            return true;
        }
        from = start + folded_word.len().max(1);
        while from < folded_text.len() && !folded_text.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// What the persona remembers of `user`'s messages before `before`: its topics and the lexicon
/// entries named, most recent first, ties broken by how often they came up. Items found in a
/// flagged message are skipped.
pub fn memory(
    persona: &Persona,
    checker: &SafetyChecker,
    user: &User,
    before: DateTime<Utc>,
    lang: Lang,
) -> Vec<MemoryItem> {
    let mut items: Vec<MemoryItem> = Vec::new();
    let mut note = |kind, key: &str, label: &str, event: u32, at| {
        if let Some(item) = items.iter_mut().find(|i| i.kind == kind && i.key == key) {
            item.count += 1;
            if at >= item.at {
                item.at = at;
                item.event = event;
            }
        } else {
            items.push(MemoryItem {
                kind,
                key: key.to_owned(),
                label: label.to_owned(),
                event,
                at,
                count: 1,
            });
        }
    };
    for (i, e) in user.events.iter().enumerate() {
        if e.from != Sender::User || e.at >= before {
            continue;
        }
        if !checker.is_clean(&e.text) {
            continue;
        }
        let folded = fold(&e.text);
        for topic in &persona.topics {
            let hit = topic
                .keywords
                .values()
                .flatten()
                .any(|k| contains_words(&folded, &fold(k)));
            if hit {
                let label = topic
                    .name
                    .get(&lang)
                    .or_else(|| topic.name.values().next())
                    .cloned()
                    .unwrap_or_else(|| topic.id.clone());
                note(MemoryKind::Topic, &topic.id, &label, i as u32, e.at);
            }
        }
        for entry in &persona.lexicon {
            if contains_words(&folded, &fold(entry)) {
                note(MemoryKind::Mention, entry, entry, i as u32, e.at);
            }
        }
    }
    items.sort_by(|a, b| {
        b.at.cmp(&a.at)
            .then(b.count.cmp(&a.count))
            .then(a.key.cmp(&b.key))
    });
    items
}

/// Composes the text of a sent decision for `user`; `previous` are the nudges already composed
/// for this user, oldest first.
pub fn compose(
    persona: &Persona,
    checker: &SafetyChecker,
    user: &User,
    decision: &Decision,
    previous: &[Composed],
) -> ComposeOutcome {
    let lang = persona.language_for(&user.locale);
    let mut steps = Vec::new();
    let seed_at = decision.at.to_rfc3339();
    let seed = stable_hash(&[&persona.id, &user.id, &seed_at]);
    let memory = memory(persona, checker, user, decision.at, lang);
    let topic = memory.iter().find(|m| m.kind == MemoryKind::Topic);
    let mention = memory.iter().find(|m| m.kind == MemoryKind::Mention);
    let days_since = (decision.at - decision.silence_start).num_days();
    let pick = |lines: Option<&Vec<String>>, salt: u64| -> Option<String> {
        let lines = lines?;
        if lines.is_empty() {
            return None;
        }
        Some(lines[((seed ^ salt) % lines.len() as u64) as usize].clone())
    };
    let greeting = pick(persona.greetings.get(&lang), 1);
    let signoff = pick(persona.signoffs.get(&lang), 2);
    let signature = pick(persona.signature_phrases.get(&lang), 3);
    let emoji = match persona.tone.emoji {
        EmojiUse::None => Some(String::new()),
        _ => pick(Some(&persona.tone.emoji_set), 4).or(Some(String::new())),
    };
    let value = |name: &str| -> Option<String> {
        match name {
            "greeting" => greeting.clone(),
            "signoff" => signoff.clone(),
            "signature" => signature.clone(),
            "emoji" => emoji.clone(),
            "user_name" => Some(user.name.clone()).filter(|n| !n.trim().is_empty()),
            "persona_name" => Some(persona.name.clone()),
            "topic" => topic.map(|t| t.label.clone()),
            "mention" => mention.map(|m| m.label.clone()),
            "days_since" => Some(days_since.to_string()),
            _ => None,
        }
    };
    let last_template = previous.last().map(|p| p.template.as_str());
    // Candidates: on WhatsApp only approved templates, elsewhere the persona's templates.
    let (candidates, kind): (Vec<(String, String)>, &str) = if decision.channel == Channel::Whatsapp
    {
        let approved: Vec<(String, String)> = persona
            .whatsapp_templates
            .iter()
            .filter(|t| t.lang == lang)
            .map(|t| (t.name.clone(), t.body.clone()))
            .collect();
        if approved.is_empty() {
            steps.push(TraceStep::new(
                "channel_template",
                false,
                format!(
                    "WhatsApp allows only pre-approved templates outside the 24-hour window, and the persona declares none in {lang}: held back."
                ),
            ));
            return ComposeOutcome::Hold(Reason::NoApprovedTemplate, steps);
        }
        (approved, "WhatsApp template")
    } else {
        (
            persona
                .templates
                .iter()
                .filter(|t| t.lang == lang)
                .map(|t| (t.id.clone(), t.text.clone()))
                .collect(),
            "template",
        )
    };
    // Rotate deterministically, never starting with the previous nudge's template.
    let n = candidates.len();
    let start = if n == 0 {
        0
    } else {
        (seed % n as u64) as usize
    };
    let mut order: Vec<usize> = (0..n).map(|k| (start + k) % n).collect();
    if n > 1
        && let Some(pos) = order
            .iter()
            .position(|&i| Some(candidates[i].0.as_str()) == last_template)
    {
        let repeated = order.remove(pos);
        order.push(repeated);
    }
    let echo = |text: &str| -> Option<MemoryItem> {
        if mention.is_some() && text.contains("{mention}") {
            mention.cloned()
        } else if topic.is_some() && text.contains("{topic}") {
            topic.cloned()
        } else {
            None
        }
    };
    for i in order {
        let (id, text) = &candidates[i];
        if n > 1 && Some(id.as_str()) == last_template {
            steps.push(TraceStep::new(
                "template",
                false,
                format!("{kind} `{id}` skipped: the previous nudge used it."),
            ));
            continue;
        }
        let Some(filled) = fill(text, &value) else {
            steps.push(TraceStep::new(
                "template",
                false,
                format!("{kind} `{id}` skipped: a placeholder has nothing to fill it."),
            ));
            continue;
        };
        let filled = finish(persona, decision, lang, filled);
        if let Err(why) = output_check(checker, decision.channel, &filled) {
            steps.push(TraceStep::new(
                "output_check",
                false,
                format!("{kind} `{id}` rejected: {why}."),
            ));
            continue;
        }
        let memory = echo(text);
        steps.push(TraceStep::new(
            if kind == "template" {
                "template"
            } else {
                "channel_template"
            },
            true,
            match &memory {
                Some(m) => format!(
                    "{kind} `{id}` in {lang}, echoing {} \"{}\" from the message of {}.",
                    if m.kind == MemoryKind::Topic {
                        "topic"
                    } else {
                        "mention"
                    },
                    m.label,
                    crate::engine::trace::local_short(m.at, user.timezone)
                ),
                None => format!("{kind} `{id}` in {lang}."),
            },
        ));
        return ComposeOutcome::Message(
            Composed {
                text: filled,
                lang,
                template: id.clone(),
                channel_template: (decision.channel == Channel::Whatsapp).then(|| id.clone()),
                memory,
            },
            steps,
        );
    }
    if decision.channel == Channel::Whatsapp {
        steps.push(TraceStep::new(
            "channel_template",
            false,
            "No approved WhatsApp template could be filled with a safe text: held back.",
        ));
        return ComposeOutcome::Hold(Reason::NoApprovedTemplate, steps);
    }
    let generic = finish(
        persona,
        decision,
        lang,
        fallback_line(persona, lang, greeting.as_deref()),
    );
    if output_check(checker, decision.channel, &generic).is_ok() {
        steps.push(TraceStep::new(
            "template",
            true,
            format!("No template fits: the generic {lang} line of the persona."),
        ));
        return ComposeOutcome::Message(
            Composed {
                text: generic,
                lang,
                template: "fallback".to_owned(),
                channel_template: None,
                memory: None,
            },
            steps,
        );
    }
    steps.push(TraceStep::new(
        "output_check",
        false,
        "No candidate text passed the output check: held back.",
    ));
    ComposeOutcome::Hold(Reason::NoSafeText, steps)
}

/// Fills `{placeholders}`; `None` when one has no value.
pub fn fill(text: &str, value: &impl Fn(&str) -> Option<String>) -> Option<String> {
    let refs = placeholders(text).ok()?;
    let mut out = String::with_capacity(text.len() + 32);
    let mut at = 0;
    for r in refs {
        out.push_str(&text[at..r.start]);
        out.push_str(&value(r.name)?);
        at = r.start + r.name.len() + 2;
    }
    out.push_str(&text[at..]);
    Some(tidy(&out))
}

/// Collapses doubled spaces and spaces before punctuation left by empty placeholders.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.trim().to_owned()
}

fn fallback_line(persona: &Persona, lang: Lang, greeting: Option<&str>) -> String {
    let hello = greeting.unwrap_or(match lang {
        Lang::Fr => "Bonjour !",
        Lang::En => "Hello!",
    });
    match lang {
        Lang::Fr => format!(
            "{hello} C'est {}. Je pensais à notre dernière conversation : je suis là si tu veux la reprendre.",
            persona.name
        ),
        Lang::En => format!(
            "{hello} It's {}. I was thinking of our last conversation: I'm here if you'd like to pick it up again.",
            persona.name
        ),
    }
}

/// Adds the AI disclosure after a long lapse.
fn finish(persona: &Persona, decision: &Decision, lang: Lang, mut text: String) -> String {
    let d = &persona.ai_disclosure;
    if d.enabled && (decision.at - decision.silence_start).num_days() >= d.after_days {
        text.push(' ');
        text.push_str(&d.line(lang));
    }
    text
}

/// The output check: non-empty, within the channel's length, no markup on channels without it,
/// and clean of every sensitive category.
pub fn output_check(checker: &SafetyChecker, channel: Channel, text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("the text is empty".to_owned());
    }
    let chars = text.chars().count();
    if chars > channel.max_chars() {
        return Err(format!(
            "{chars} characters, over the {} that {channel} allows",
            channel.max_chars()
        ));
    }
    if text.contains("**") || text.contains("</") || text.contains("](") {
        return Err(format!("{channel} shows no markup"));
    }
    if let Some(flag) = checker.first_flag(text) {
        return Err(format!(
            "it mentions \"{}\" ({})",
            flag.matched,
            flag.category.as_str()
        ));
    }
    Ok(())
}
