//! Texts for synthetic users, so that a user opened as a scenario reads like a conversation and
//! the engine, reading those texts, finds exactly the facts the simulation drew.
//!
//! Counting never writes a text: a synthetic message carries its facts (flagged, opt-out, stated
//! age) directly. The phrase book is verified once against the persona's safety check, and a
//! phrase that would not give the engine the intended facts is left out with a warning.

use std::collections::BTreeMap;

use super::SimError;
use super::archetype::Mix;
use super::random::Stream;
use crate::engine::facts::{SITTING_MESSAGES, fold_opt_out, is_opt_out};
use crate::model::{Lang, Persona, Policy};
use crate::safety::{Category, SafetyChecker, stated_age};

/// The language a simulated user writes when their locale's is not one Relance has texts in.
pub(crate) const FALLBACK_LANG: Lang = Lang::En;

/// Which facts a synthetic user message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    /// An ordinary message.
    Plain,
    /// The first message of an answer to a nudge.
    Answer,
    /// An opt-out word.
    OptOut,
    /// A message stating the user's age.
    StatesAge(u8),
    /// A message the safety check flags with this blocking category.
    Flagged(Category),
}

/// The phrases of a run, verified against the persona's safety check and the policy.
#[derive(Clone, Debug, Default)]
pub(crate) struct TextBook {
    flagged: BTreeMap<(Category, Lang), Vec<String>>,
    age: [Vec<String>; 2],
    answers: [Vec<String>; 2],
    plain: [Vec<String>; 2],
    bot: [Vec<String>; 2],
    opt_out: Option<String>,
    /// Archetype phrases per archetype (mix order), per language: each can be written, but a
    /// filling of its placeholders may be unusable, so each text is verified again.
    phrases: Vec<[Vec<String>; 2]>,
    mentions: Vec<String>,
    topics: [Vec<String>; 2],
    opt_out_words: Vec<String>,
}

impl TextBook {
    pub(crate) fn new(
        persona: &Persona,
        policy: &Policy,
        mix: &Mix,
        checker: &SafetyChecker,
        warnings: &mut Vec<String>,
    ) -> Result<Self, SimError> {
        let book = &mix.phrasebook;
        let opt_out_words: Vec<String> = policy
            .opt_out_words
            .iter()
            .map(|w| fold_opt_out(w))
            .collect();
        let mut out = TextBook {
            opt_out_words,
            ..TextBook::default()
        };
        for (category, by_lang) in &book.flagged {
            for (lang, phrases) in by_lang {
                let (flagged, dropped): (Vec<&String>, Vec<&String>) =
                    phrases.iter().partition(|p| {
                        checker.first_blocking(p).map(|f| f.category) == Some(*category)
                            && stated_age(p).is_none()
                            && !is_opt_out(p, &out.opt_out_words)
                    });
                // Any other category must stay one: not read as a crisis.
                let (kept, crisis): (Vec<&String>, Vec<&String>) =
                    flagged.into_iter().partition(|p| {
                        *category == Category::SelfHarm || is_no_crisis(checker, p, Some(*lang))
                    });
                if !crisis.is_empty() {
                    warnings.push(format!(
                        "phrase book: {} could be read as a crisis by the classifier, not as {}; left out",
                        quote_all(&crisis),
                        category.as_str()
                    ));
                }
                let used = mix.archetypes.iter().any(|(a, _)| {
                    a.flagged.share > 0.0 && a.flagged.categories.contains_key(category)
                });
                if kept.is_empty() && used {
                    // When some were flagged but left out as a crisis, the warning above named them.
                    let other = if crisis.is_empty() { "" } else { "other " };
                    warnings.push(format!(
                        "no {other}{lang} phrase of the phrase book is flagged as {} by the safety check, so {lang}-speaking users write no such message",
                        category.as_str()
                    ));
                } else if !dropped.is_empty() {
                    warnings.push(format!(
                        "phrase book: {} not flagged as {} by the safety check; left out",
                        quote_all(&dropped),
                        category.as_str()
                    ));
                }
                if !kept.is_empty() {
                    out.flagged
                        .insert((*category, *lang), kept.into_iter().cloned().collect());
                }
            }
        }
        for lang in Lang::ALL {
            let l = lang.index();
            let list = |m: &BTreeMap<Lang, Vec<String>>| m.get(&lang).cloned().unwrap_or_default();
            let (age, dropped): (Vec<String>, Vec<String>) =
                list(&book.age).into_iter().partition(|p| {
                    (13..=17u32).all(|age| {
                        let text = p.replace("{age}", &age.to_string());
                        stated_age(&text) == Some(age) && out.is_plain_but_age(checker, &text, lang)
                    })
                });
            for p in dropped {
                warnings.push(format!(
                    "phrase book: \"{p}\" does not state the age to the engine alone (it is flagged, opts out, or could be read as a crisis by the classifier); left out"
                ));
            }
            if age.is_empty()
                && mix
                    .archetypes
                    .iter()
                    .any(|(a, _)| a.minors.states_age > 0.0)
            {
                warnings.push(format!(
                    "phrase book: no {lang} phrase states an age; {lang}-speaking minors do not state theirs"
                ));
            }
            out.age[l] = age;
            for (field, target, source) in [
                ("plain", &mut out.plain[l], &book.plain),
                ("answers", &mut out.answers[l], &book.answers),
            ] {
                let (kept, dropped): (Vec<String>, Vec<String>) = list(source)
                    .into_iter()
                    .partition(|p| is_plain(checker, &out.opt_out_words, p, lang));
                for p in dropped {
                    warnings.push(format!(
                        "phrase book: the {field} phrase \"{p}\" {UNUSABLE}; left out"
                    ));
                }
                *target = kept;
            }
            if out.plain[l].is_empty() {
                return Err(SimError::Invalid(format!(
                    "the phrase book has no usable plain {lang} phrase (plain.{lang}); add one the safety check does not flag"
                )));
            }
            if out.answers[l].is_empty() {
                out.answers[l] = out.plain[l].clone();
            }
            out.bot[l] = list(&book.bot_replies);
            out.topics[l] = persona
                .topics
                .iter()
                .filter_map(|t| t.keywords.get(&lang))
                .flatten()
                .cloned()
                .collect();
        }
        // The first of the policy's words the check reads as nothing else (a very short text
        // may not pass the classifier's bound for three in a sitting), in any language.
        out.opt_out = policy
            .opt_out_words
            .iter()
            .map(|w| w.to_uppercase())
            .find(|w| {
                is_opt_out(w, &out.opt_out_words)
                    && checker.first_blocking(w).is_none()
                    && stated_age(w).is_none()
                    && is_no_crisis(checker, w, None)
            });
        if out.opt_out.is_none()
            && mix
                .archetypes
                .iter()
                .any(|(a, _)| a.opt_out_share > 0.0 || a.answer.opt_out > 0.0)
        {
            warnings.push(
                "the policy recognises no opt-out word: synthetic users do not opt out".to_owned(),
            );
        }
        out.mentions = persona.lexicon.clone();
        out.phrases = out.archetype_phrases(checker, mix, warnings);
        Ok(out)
    }

    /// The phrases of each archetype of `mix` (mix order), per language, that users can write.
    /// Each is verified here, filled with each film or dish and topic it can name until one
    /// makes a usable text; a phrase that never does is left out and named, so that a designer
    /// learns which of their phrases users never write.
    fn archetype_phrases(
        &self,
        checker: &SafetyChecker,
        mix: &Mix,
        warnings: &mut Vec<String>,
    ) -> Vec<[Vec<String>; 2]> {
        let mut phrases = Vec::with_capacity(mix.archetypes.len());
        // Phrases whose placeholder the persona cannot fill, by cause: how many, and in which
        // archetypes. One warning per cause, since a persona without a lexicon (or topics)
        // leaves out such phrases in nearly every archetype.
        let mut unfilled: BTreeMap<Unfilled, (usize, Vec<&str>)> = BTreeMap::new();
        for (a, _) in &mix.archetypes {
            let mut kept = <[Vec<String>; 2]>::default();
            for lang in Lang::ALL {
                for phrase in a.phrases.get(&lang).into_iter().flatten() {
                    match self.verify(checker, phrase, lang.index()) {
                        Ok(()) => kept[lang.index()].push(phrase.clone()),
                        Err(Unfilled::Unusable) => warnings.push(format!(
                            "archetype {}: the phrase \"{phrase}\" {UNUSABLE}{}; left out",
                            a.id,
                            if phrase.contains('{') {
                                ", whatever it names"
                            } else {
                                ""
                            }
                        )),
                        Err(why) => {
                            let (count, archetypes) = unfilled.entry(why).or_default();
                            *count += 1;
                            if archetypes.last() != Some(&a.id.as_str()) {
                                archetypes.push(&a.id);
                            }
                        }
                    }
                }
            }
            phrases.push(kept);
        }
        for (why, (count, archetypes)) in unfilled {
            let (placeholder, why) = match why {
                Unfilled::NoMention => (
                    "{mention} (a film or dish of the persona)",
                    "the persona's lexicon is empty",
                ),
                _ => (
                    "{topic} (a topic of the persona)",
                    "the persona has no topic keyword",
                ),
            };
            let (phrases, name, are) = if count == 1 {
                ("phrase", "names", "is")
            } else {
                ("phrases", "name", "are")
            };
            warnings.push(format!(
                "{why}: {count} archetype {phrases} that {name} {placeholder} {are} left out (archetypes {})",
                archetypes.join(", ")
            ));
        }
        phrases
    }

    /// Whether an archetype phrase of language `l` can be written: some filling of its
    /// placeholders (each is tried, until one does) makes a plain text.
    fn verify(&self, checker: &SafetyChecker, phrase: &str, l: usize) -> Result<(), Unfilled> {
        let mentions: &[String] = if phrase.contains("{mention}") {
            if self.mentions.is_empty() {
                return Err(Unfilled::NoMention);
            }
            &self.mentions
        } else {
            &[]
        };
        let topics: &[String] = if phrase.contains("{topic}") {
            let topics = self.topics_of(l);
            if topics.is_empty() {
                return Err(Unfilled::NoTopic);
            }
            topics
        } else {
            &[]
        };
        // An empty list stands for a placeholder the phrase does not use: one pass, no change.
        let or_one = |list: &[String]| list.len().max(1);
        let usable = (0..or_one(mentions)).any(|m| {
            (0..or_one(topics)).any(|t| {
                let text = filled(phrase, mentions.get(m), topics.get(t));
                is_plain(checker, &self.opt_out_words, &text, Lang::ALL[l])
            })
        });
        if usable {
            Ok(())
        } else {
            Err(Unfilled::Unusable)
        }
    }

    /// The topic keywords a phrase of language `l` names: its language's, else the other's.
    fn topics_of(&self, l: usize) -> &[String] {
        if self.topics[l].is_empty() {
            &self.topics[1 - l]
        } else {
            &self.topics[l]
        }
    }

    fn is_plain_but_age(&self, checker: &SafetyChecker, text: &str, lang: Lang) -> bool {
        checker.first_blocking(text).is_none()
            && !is_opt_out(text, &self.opt_out_words)
            && is_no_crisis(checker, text, Some(lang))
    }

    /// Whether some verified phrase of `lang` is flagged as `category`.
    pub(crate) fn can_flag(&self, category: Category, lang: Lang) -> bool {
        self.flagged.contains_key(&(category, lang))
    }

    /// Whether some verified phrase of `lang` states an age.
    pub(crate) fn can_state_age(&self, lang: Lang) -> bool {
        !self.age[lang.index()].is_empty()
    }

    /// Whether users can opt out at all.
    pub(crate) fn can_opt_out(&self) -> bool {
        self.opt_out.is_some()
    }

    /// The text of a user message of `kind`, by a user of archetype `archetype` writing in
    /// `lang`.
    pub(crate) fn user_text(
        &self,
        checker: &SafetyChecker,
        kind: MessageKind,
        archetype: usize,
        lang: Lang,
        rng: &mut Stream,
    ) -> String {
        let l = lang.index();
        let one = |list: &[String], rng: &mut Stream| -> Option<String> {
            (!list.is_empty()).then(|| list[rng.below(list.len() as u32) as usize].clone())
        };
        let fallback = |rng: &mut Stream| one(&self.plain[l], rng).unwrap_or_default();
        match kind {
            MessageKind::OptOut => self.opt_out.clone().unwrap_or_else(|| fallback(rng)),
            MessageKind::StatesAge(age) => one(&self.age[l], rng)
                .map(|p| p.replace("{age}", &age.to_string()))
                .unwrap_or_else(|| fallback(rng)),
            MessageKind::Flagged(category) => self
                .flagged
                .get(&(category, lang))
                .and_then(|list| one(list, rng))
                .unwrap_or_else(|| fallback(rng)),
            MessageKind::Answer => one(&self.answers[l], rng).unwrap_or_else(|| fallback(rng)),
            MessageKind::Plain => {
                let phrases = self.phrases.get(archetype).map_or(&[][..], |p| &p[l][..]);
                for _ in 0..8 {
                    let Some(phrase) = one(phrases, rng) else {
                        break;
                    };
                    let Some(text) = self.fill(&phrase, l, rng) else {
                        continue;
                    };
                    if is_plain(checker, &self.opt_out_words, &text, Lang::ALL[l]) {
                        return text;
                    }
                }
                fallback(rng)
            }
        }
    }

    /// `phrase` with a film or dish and a topic drawn for its placeholders; `None` when the
    /// persona has none to name.
    fn fill(&self, phrase: &str, l: usize, rng: &mut Stream) -> Option<String> {
        let mut mention = None;
        if phrase.contains("{mention}") {
            if self.mentions.is_empty() {
                return None;
            }
            mention = Some(&self.mentions[rng.below(self.mentions.len() as u32) as usize]);
        }
        let mut topic = None;
        if phrase.contains("{topic}") {
            let topics = self.topics_of(l);
            if topics.is_empty() {
                return None;
            }
            topic = Some(&topics[rng.below(topics.len() as u32) as usize]);
        }
        Some(filled(phrase, mention, topic))
    }

    /// The bot's reply to a user message.
    pub(crate) fn bot_text(&self, lang: Lang, rng: &mut Stream) -> Option<String> {
        let list = &self.bot[lang.index()];
        (!list.is_empty()).then(|| list[rng.below(list.len() as u32) as usize].clone())
    }
}

/// What makes a phrase unusable, in the warnings that leave such phrases out.
const UNUSABLE: &str =
    "is flagged, states an age, opts out or could be read as a crisis by the classifier";

/// Why an archetype phrase can never be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Unfilled {
    /// It names a film or dish (`{mention}`) and the persona's lexicon is empty.
    NoMention,
    /// It names a topic (`{topic}`) and the persona has no topic keyword in any language.
    NoTopic,
    /// Every text it makes is unusable ([`UNUSABLE`]).
    Unusable,
}

/// `phrase` with `{mention}` and `{topic}` replaced by `mention` and `topic`, each when given:
/// how a text is written, and how a phrase is verified before any is.
fn filled(phrase: &str, mention: Option<&String>, topic: Option<&String>) -> String {
    let mut text = phrase.to_owned();
    if let Some(mention) = mention {
        text = text.replace("{mention}", mention);
    }
    if let Some(topic) = topic {
        text = text.replace("{topic}", topic);
    }
    text
}

/// The phrases, each in quotes, joined for a warning.
fn quote_all(phrases: &[&String]) -> String {
    let quoted: Vec<String> = phrases.iter().map(|p| format!("\"{p}\"")).collect();
    quoted.join(", ")
}

/// A text in `lang` the engine reads as an ordinary message: no blocking flag, no stated age, no
/// opt-out, and no crisis for the classifier.
fn is_plain(checker: &SafetyChecker, opt_out_words: &[String], text: &str, lang: Lang) -> bool {
    checker.first_blocking(text).is_none()
        && stated_age(text).is_none()
        && !is_opt_out(text, opt_out_words)
        && is_no_crisis(checker, text, Some(lang))
}

/// Whether the crisis classifier can never read `text` as a crisis, alone or in a sitting of
/// such texts (see [`SafetyChecker::is_ordinary_in_any_sitting`]): the simulation draws a
/// message's facts without reading its text, so a text it writes must give the engine no catch
/// it did not draw. (A sitting that still reads a message flagged `self_harm` gives no catch
/// of its own.)
///
/// A text in `lang` is written by users whose locale is in that language, and, for the
/// language users of other locales write ([`FALLBACK_LANG`]), by those users too, whom the
/// engine reads at the strictest threshold; `None` asks for every reader.
fn is_no_crisis(checker: &SafetyChecker, text: &str, lang: Option<Lang>) -> bool {
    let reader = lang.filter(|&l| l != FALLBACK_LANG);
    checker.is_ordinary_in_any_sitting(checker.read_message(text).crisis, SITTING_MESSAGES, reader)
}
