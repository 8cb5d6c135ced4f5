//! The values of a nudge's placeholders: the persona's voice, what the user said, and their
//! names, each filled in or refused with why.

use std::cell::Cell;

use super::memory::{Memory, MemoryItem, MemoryKind};
use super::template::{Filled, Piece, Slot, Template, agree};
use super::voice::{Voice, default_greeting};
use crate::model::{Lang, Persona, User};

/// The values of a nudge's placeholders.
pub(super) struct SlotValues<'a> {
    pub(super) persona: &'a Persona,
    pub(super) user: &'a User,
    pub(super) memory: &'a Memory,
    pub(super) voice: &'a Voice,
    pub(super) lang: Lang,
    pub(super) lapse_days: i64,
    pub(super) emoji_used: Cell<usize>,
    pub(super) default_greeting: bool,
    /// The quieter voice after a painful message: no signature phrase.
    pub(super) quiet: bool,
}

impl SlotValues<'_> {
    pub(super) fn fill(&self, template: &Template<'_>) -> Result<Filled, String> {
        self.emoji_used.set(0);
        template.fill(self.lang, |slot| self.value(slot))
    }

    /// Whether [`SlotValues::fill`] would fill `template`, and if not the same reason, without
    /// building the text.
    pub(super) fn fillable(&self, template: &Template<'_>) -> Result<(), String> {
        self.emoji_used.set(0);
        template.fillable(|slot| self.value(slot))
    }

    fn item(&self, name: &str) -> Result<&MemoryItem, String> {
        let (kind, n) = match name {
            "topic" => (MemoryKind::Topic, 0),
            "topic2" => (MemoryKind::Topic, 1),
            "mention" => (MemoryKind::Mention, 0),
            _ => (MemoryKind::Mention, 1),
        };
        self.memory.nth(kind, n).ok_or_else(|| {
            match (kind, n) {
                (MemoryKind::Topic, 0) => "no topic of the persona to echo",
                (MemoryKind::Topic, _) => "no second topic to echo",
                (MemoryKind::Mention, 0) => "nothing the user named to echo",
                (MemoryKind::Mention, _) => "no second named thing to echo",
            }
            .to_owned()
        })
    }

    fn value(&self, slot: &Slot<'_>) -> Result<Piece, String> {
        let lang = self.lang;
        let line = |l: &Option<String>, what: &str| {
            l.clone()
                .map(Piece::voice)
                .ok_or_else(|| format!("the persona has no {lang} {what}"))
        };
        match slot {
            Slot::Named("greeting") if self.default_greeting => Ok(Piece::voice(
                self.voice
                    .greeting
                    .clone()
                    .unwrap_or_else(|| default_greeting(lang).to_owned()),
            )),
            Slot::Named("greeting") => line(&self.voice.greeting, "greeting"),
            Slot::Named("signoff") => line(&self.voice.signoff, "sign-off"),
            Slot::Named("signature") if self.quiet => {
                Err("no signature phrase after a painful message".to_owned())
            }
            Slot::Named("signature") => line(&self.voice.signature, "signature phrase"),
            Slot::Named("emoji") => {
                let n = self.emoji_used.get();
                self.emoji_used.set(n + 1);
                Ok(Piece::voice(self.voice.emoji(n)))
            }
            Slot::Named("user_name") => Some(self.user.name.trim())
                .filter(|n| !n.is_empty())
                .map(Piece::echo)
                .ok_or_else(|| "the user has no display name".to_owned()),
            Slot::Named("persona_name") => Ok(Piece::echo(self.persona.name.clone())),
            Slot::Named("days_since") => Ok(Piece::voice(self.lapse_days.to_string())),
            // A topic's name is the persona's own words; a named thing is the user's.
            Slot::Named(name @ ("topic" | "topic2")) => {
                self.item(name).map(|m| Piece::voice(m.label.clone()))
            }
            Slot::Named(name @ ("mention" | "mention2")) => {
                self.item(name).map(|m| Piece::echo(m.label.clone()))
            }
            Slot::Named(other) => Err(format!("`{other}` is not a placeholder")),
            Slot::Agreement { topic, forms } => {
                let item = self.item(topic)?;
                let grammar = self
                    .persona
                    .topics
                    .iter()
                    .find(|t| t.id == item.key)
                    .and_then(|t| t.grammar.get(&lang))
                    .ok_or_else(|| format!("the topic `{}` has no {lang} grammar", item.key))?;
                Ok(Piece::voice(agree(forms, *grammar)))
            }
        }
    }

    /// What a template echoes (named things first) and its rank: the number of named things,
    /// then, for templates that echo none, the number of topics.
    pub(super) fn echoes(&self, template: &Template<'_>) -> (Vec<MemoryItem>, (usize, usize)) {
        let mut names: Vec<&str> = Vec::new();
        for slot in template.slots() {
            let name = match *slot {
                Slot::Named(n @ ("mention" | "mention2" | "topic" | "topic2")) => n,
                Slot::Agreement { topic, .. } => topic,
                Slot::Named(_) => continue,
            };
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names.sort_by_key(|n| match *n {
            "mention" => 0,
            "mention2" => 1,
            "topic" => 2,
            _ => 3,
        });
        let mentions = names.iter().filter(|n| n.starts_with("mention")).count();
        let items = names
            .iter()
            .filter_map(|n| self.item(n).ok().cloned())
            .collect();
        let topics = if mentions == 0 { names.len() } else { 0 };
        (items, (mentions, topics))
    }
}

pub(super) fn slot_name(slot: &Slot<'_>) -> String {
    match slot {
        Slot::Named(n) => format!("{{{n}}}"),
        Slot::Agreement { topic, forms } => format!("{{{topic}:{}}}", forms.join("/")),
    }
}
