//! Character Card V1, V2 (`chara_card_v2`) and V3 (`chara_card_v3`): the JSON shapes and their
//! mapping to and from a [`Persona`].
//!
//! | card field | persona |
//! |---|---|
//! | `name` | `name` |
//! | `description` | `description` in the persona's first language |
//! | `personality` | `card.personality` (exported as `traits` joined when empty) |
//! | `scenario`, `mes_example`, `creator_notes`, `system_prompt`, `post_history_instructions`, `tags`, `creator`, `character_version` | `card.*` |
//! | `first_mes` + `alternate_greetings` | `greetings`, first language first |
//! | `extensions.relance` | everything else of the persona (topics, templates, policy, safety…) |
//! | other `extensions` keys | `card.extensions`, untouched |
//! | any other field (`character_book`, V3 `assets`, `nickname`, dates…) | `card.other`, untouched |
//!
//! Macros such as `{{user}}` and `{{char}}` are kept verbatim.

use serde_json::{Map, Value};

use crate::model::persona::{Formality, Localized};
use crate::model::{CardInfo, Lang, Persona};

/// The namespaced key under `extensions` where Relance keeps its own data.
pub const RELANCE_EXTENSION: &str = "relance";

/// The note a V3-aware exporter adds to the `creator_notes` of the V2 copy in a PNG's `chara`
/// chunk (Character Card V3, "PNG/APNG"); removed again on import.
pub const BACKFILL_NOTE: &str = "This character card is Character Card V3, but it is loaded as a Character Card V2. Please use a Character Card V3 compatible application to use this character card properly.";

/// The Character Card versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CardSpec {
    /// V1: the six fields at the root, no `spec`.
    V1,
    /// `chara_card_v2`.
    V2,
    /// `chara_card_v3`.
    V3,
}

impl CardSpec {
    /// The `spec` value, or `chara_card_v1` for V1 (which has none).
    pub fn as_str(self) -> &'static str {
        match self {
            CardSpec::V1 => "chara_card_v1",
            CardSpec::V2 => "chara_card_v2",
            CardSpec::V3 => "chara_card_v3",
        }
    }
}

/// A problem with a card's content, at a field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}{}", if field.is_empty() { String::new() } else { format!(" (in {field})") })]
pub struct CardProblem {
    /// The JSON path of the field (`data.name`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// A card read from JSON and normalised: every variation turned into the V2/V3 `data` shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    /// The version it was written in.
    pub spec: CardSpec,
    /// `name`.
    pub name: String,
    /// `description`.
    pub description: String,
    /// `first_mes`.
    pub first_message: String,
    /// `alternate_greetings`.
    pub alternate_greetings: Vec<String>,
    /// The other fields, including `extensions` (with Relance's own key, if any).
    pub info: CardInfo,
    /// What was repaired or left out while reading, one sentence each.
    pub notes: Vec<String>,
}

/// Root fields of V1 cards (and of V2 cards, which mirror them), with the older TavernAI names.
const V1_FIELDS: [(&str, &str); 11] = [
    ("name", "name"),
    ("description", "description"),
    ("personality", "personality"),
    ("scenario", "scenario"),
    ("first_mes", "first_mes"),
    ("mes_example", "mes_example"),
    ("char_name", "name"),
    ("char_persona", "description"),
    ("world_scenario", "scenario"),
    ("char_greeting", "first_mes"),
    ("example_dialogue", "mes_example"),
];

fn text_field(
    data: &mut Map<String, Value>,
    key: &str,
    notes: &mut Vec<String>,
) -> Result<String, CardProblem> {
    match data.remove(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s),
        Some(Value::Number(n)) => {
            notes.push(format!("`{key}` was the number {n}; it is kept as text"));
            Ok(n.to_string())
        }
        Some(Value::Bool(b)) => {
            notes.push(format!("`{key}` was the boolean {b}; it is kept as text"));
            Ok(b.to_string())
        }
        Some(other) => Err(CardProblem {
            field: format!("data.{key}"),
            message: format!("expected text, found {}", kind_of(&other)),
        }),
    }
}

fn list_field(
    data: &mut Map<String, Value>,
    key: &str,
    split_commas: bool,
    notes: &mut Vec<String>,
) -> Result<Vec<String>, CardProblem> {
    match data.remove(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => {
            notes.push(format!("`{key}` was a single text, read as a list"));
            if s.trim().is_empty() {
                Ok(Vec::new())
            } else if split_commas {
                Ok(s.split(',')
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .collect())
            } else {
                Ok(vec![s])
            }
        }
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s),
                Value::Number(n) => Ok(n.to_string()),
                other => Err(CardProblem {
                    field: format!("data.{key}[{i}]"),
                    message: format!("expected text, found {}", kind_of(&other)),
                }),
            })
            .collect(),
        Some(other) => Err(CardProblem {
            field: format!("data.{key}"),
            message: format!("expected a list of texts, found {}", kind_of(&other)),
        }),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Dates above this are taken as milliseconds (1e11 seconds is in the year 5138).
const MILLISECONDS_ABOVE: f64 = 1e11;

fn normalise_date(data: &mut Map<String, Value>, key: &str, notes: &mut Vec<String>) {
    let Some(value) = data.get(key) else { return };
    let number = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        Value::Null => {
            data.remove(key);
            return;
        }
        _ => None,
    };
    let Some(number) = number else {
        notes.push(format!("`{key}` is not a Unix time; it is kept as it is"));
        return;
    };
    let seconds = if number > MILLISECONDS_ABOVE {
        notes.push(format!(
            "`{key}` was in milliseconds; it is kept in seconds"
        ));
        (number / 1000.0).floor()
    } else {
        number.floor()
    };
    if matches!(value, Value::String(_)) || seconds != number {
        data.insert(key.to_owned(), Value::from(seconds as i64));
    }
}

impl Card {
    /// Reads a card from its JSON value, accepting V1 cards (fields at the root, older TavernAI
    /// names), `character_book: null`, `alternate_greetings` or `tags` given as one text, numbers
    /// where text is expected and dates in seconds or milliseconds.
    pub fn from_value(root: Value) -> Result<Card, CardProblem> {
        let Value::Object(mut root) = root else {
            return Err(CardProblem {
                field: String::new(),
                message: format!(
                    "a character card is a JSON object with at least a `name`, not {}",
                    kind_of(&root)
                ),
            });
        };
        let mut notes = Vec::new();
        let spec = match root.get("spec").and_then(Value::as_str) {
            Some("chara_card_v3") => CardSpec::V3,
            Some("chara_card_v2") => CardSpec::V2,
            Some(other) => {
                notes.push(format!("unknown spec `{other}`, read as chara_card_v2"));
                CardSpec::V2
            }
            None if root.get("data").is_some_and(Value::is_object) => {
                notes.push("no `spec` but a `data` object, read as chara_card_v2".to_owned());
                CardSpec::V2
            }
            None => CardSpec::V1,
        };
        let mut data = match (spec, root.remove("data")) {
            (CardSpec::V2 | CardSpec::V3, Some(Value::Object(data))) => data,
            (CardSpec::V2 | CardSpec::V3, _) => {
                notes.push("no `data` object; the root fields were read instead".to_owned());
                v1_data(&mut root)
            }
            (CardSpec::V1, _) => v1_data(&mut root),
        };
        let mut ignored: Vec<&String> = root
            .keys()
            .filter(|k| {
                !matches!(k.as_str(), "spec" | "spec_version")
                    && !V1_FIELDS.iter().any(|(f, _)| f == k)
            })
            .collect();
        ignored.sort();
        if !ignored.is_empty() {
            notes.push(format!(
                "root fields outside `data` were left out: {}",
                ignored
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let name = text_field(&mut data, "name", &mut notes)?;
        if name.trim().is_empty() {
            return Err(CardProblem {
                field: "data.name".to_owned(),
                message: "the card has no name".to_owned(),
            });
        }
        let description = text_field(&mut data, "description", &mut notes)?;
        let first_message = text_field(&mut data, "first_mes", &mut notes)?;
        let alternate_greetings = list_field(&mut data, "alternate_greetings", false, &mut notes)?;
        let mut info = CardInfo {
            personality: text_field(&mut data, "personality", &mut notes)?,
            scenario: text_field(&mut data, "scenario", &mut notes)?,
            example_messages: text_field(&mut data, "mes_example", &mut notes)?,
            creator_notes: text_field(&mut data, "creator_notes", &mut notes)?,
            system_prompt: text_field(&mut data, "system_prompt", &mut notes)?,
            post_history_instructions: text_field(
                &mut data,
                "post_history_instructions",
                &mut notes,
            )?,
            tags: list_field(&mut data, "tags", true, &mut notes)?,
            creator: text_field(&mut data, "creator", &mut notes)?,
            character_version: text_field(&mut data, "character_version", &mut notes)?,
            extensions: match data.remove("extensions") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(m)) => m,
                Some(other) => {
                    return Err(CardProblem {
                        field: "data.extensions".to_owned(),
                        message: format!("expected an object, found {}", kind_of(&other)),
                    });
                }
            },
            other: Map::new(),
        };
        if data.get("character_book").is_some_and(Value::is_null) {
            data.remove("character_book");
        }
        // V3 requires the field; an empty one is written again on V3 export.
        if data
            .get("group_only_greetings")
            .is_some_and(|g| g.is_null() || g.as_array().is_some_and(Vec::is_empty))
        {
            data.remove("group_only_greetings");
        }
        normalise_date(&mut data, "creation_date", &mut notes);
        normalise_date(&mut data, "modification_date", &mut notes);
        info.other = data;
        Ok(Card {
            spec,
            name,
            description,
            first_message,
            alternate_greetings,
            info,
            notes,
        })
    }

    /// Removes the V3 backfill note from `creator_notes` (a V2 copy written by a V3 exporter).
    pub fn trim_backfill_note(&mut self) {
        let notes = &mut self.info.creator_notes;
        if let Some(at) = notes.find(BACKFILL_NOTE) {
            notes.replace_range(at..at + BACKFILL_NOTE.len(), "");
            *notes = notes.trim_end().to_owned();
        }
    }

    /// The card as JSON in `spec` (V1 is written as V2).
    pub fn to_value(&self, spec: CardSpec) -> Value {
        let info = &self.info;
        let mut data = info.other.clone();
        let mut put = |key: &str, value: Value| {
            data.insert(key.to_owned(), value);
        };
        put("name", self.name.clone().into());
        put("description", self.description.clone().into());
        put("personality", info.personality.clone().into());
        put("scenario", info.scenario.clone().into());
        put("first_mes", self.first_message.clone().into());
        put("mes_example", info.example_messages.clone().into());
        put("creator_notes", info.creator_notes.clone().into());
        put("system_prompt", info.system_prompt.clone().into());
        put(
            "post_history_instructions",
            info.post_history_instructions.clone().into(),
        );
        put(
            "alternate_greetings",
            self.alternate_greetings.clone().into(),
        );
        put("tags", info.tags.clone().into());
        put("creator", info.creator.clone().into());
        put("character_version", info.character_version.clone().into());
        put("extensions", Value::Object(info.extensions.clone()));
        let (spec_name, version) = match spec {
            CardSpec::V3 => {
                data.entry("group_only_greetings")
                    .or_insert_with(|| Value::Array(Vec::new()));
                ("chara_card_v3", "3.0")
            }
            CardSpec::V1 | CardSpec::V2 => ("chara_card_v2", "2.0"),
        };
        let mut root = Map::new();
        root.insert("spec".to_owned(), spec_name.into());
        root.insert("spec_version".to_owned(), version.into());
        root.insert("data".to_owned(), Value::Object(data));
        Value::Object(root)
    }
}

fn v1_data(root: &mut Map<String, Value>) -> Map<String, Value> {
    let mut data = Map::new();
    for (from, to) in V1_FIELDS {
        if let Some(v) = root.remove(from) {
            data.entry(to.to_owned()).or_insert(v);
        }
    }
    data
}

/// Whether a JSON file is a SillyTavern World Info (lorebook) file: `entries` holding objects
/// with a `content` and trigger keys, and no character.
pub fn looks_like_world_info(root: &Value) -> bool {
    let Some(obj) = root.as_object() else {
        return false;
    };
    if looks_like_card(root) {
        return false;
    }
    let entry_like = |e: &Value| {
        e.as_object().is_some_and(|e| {
            e.contains_key("content") && (e.contains_key("key") || e.contains_key("keys"))
        })
    };
    match obj.get("entries") {
        Some(Value::Object(entries)) => entries.values().next().is_none_or(entry_like),
        Some(Value::Array(entries)) => entries.first().is_none_or(entry_like),
        _ => false,
    }
}

/// Whether a JSON value looks like a character card (a `spec` naming one, a `data` object, or the
/// V1 fields at the root) rather than a Relance persona.
pub fn looks_like_card(root: &Value) -> bool {
    let Some(obj) = root.as_object() else {
        return false;
    };
    if obj.contains_key("languages") && obj.contains_key("version") && !obj.contains_key("spec") {
        return false;
    }
    obj.get("spec")
        .and_then(Value::as_str)
        .is_some_and(|s| s.starts_with("chara_card"))
        || obj.get("data").is_some_and(Value::is_object)
        || ["first_mes", "char_greeting", "char_name", "mes_example"]
            .iter()
            .any(|k| obj.contains_key(*k))
}

/// The text of `map` in the first of `languages` that has one, else in any language.
fn primary<'a, T>(map: &'a Localized<T>, languages: &[Lang]) -> Option<&'a T> {
    languages
        .iter()
        .find_map(|l| map.get(l))
        .or_else(|| map.values().next())
}

/// The persona's greetings in one list: its languages in order, then any other.
fn flat_greetings(persona: &Persona) -> Vec<String> {
    let mut langs: Vec<Lang> = persona.languages.clone();
    langs.extend(
        persona
            .greetings
            .keys()
            .filter(|l| !persona.languages.contains(l)),
    );
    langs
        .iter()
        .filter_map(|l| persona.greetings.get(l))
        .flatten()
        .cloned()
        .collect()
}

/// The `personality` a persona exports: the card's, or its traits joined when it has none.
fn exported_personality(persona: &Persona) -> String {
    if persona.card.personality.is_empty() {
        persona.traits.join(", ")
    } else {
        persona.card.personality.clone()
    }
}

/// The card of a persona; Relance's own data goes to `extensions.relance`.
pub fn card_of(persona: &Persona) -> Card {
    let mut greetings = flat_greetings(persona).into_iter();
    let first_message = greetings.next().unwrap_or_default();
    let mut info = persona.card.clone();
    info.personality = exported_personality(persona);
    info.extensions
        .insert(RELANCE_EXTENSION.to_owned(), relance_extension(persona));
    Card {
        spec: CardSpec::V3,
        name: persona.name.clone(),
        description: primary(&persona.description, &persona.languages)
            .cloned()
            .unwrap_or_default(),
        first_message,
        alternate_greetings: greetings.collect(),
        info,
        notes: Vec::new(),
    }
}

/// Set in `extensions.relance` when the card's `personality` was made from the traits, so that
/// import leaves `card.personality` empty again.
const PERSONALITY_FROM_TRAITS: &str = "personality_from_traits";

/// Relance's own data: the persona's JSON without the fields the card itself carries.
fn relance_extension(persona: &Persona) -> Value {
    match serde_json::to_value(persona) {
        Ok(Value::Object(mut map)) => {
            map.remove("name");
            map.remove("card");
            if persona.card.personality.is_empty() && !persona.traits.is_empty() {
                map.insert(PERSONALITY_FROM_TRAITS.to_owned(), Value::Bool(true));
            }
            Value::Object(map)
        }
        // Plain data with string keys always serialises to an object.
        _ => Value::Null,
    }
}

/// Words that tell French from English, for cards that do not say their language.
const FRENCH_WORDS: [&str; 24] = [
    "le", "la", "les", "des", "une", "est", "et", "tu", "vous", "je", "il", "elle", "avec", "pour",
    "dans", "sur", "pas", "qui", "que", "ton", "mon", "au", "du", "c'est",
];
const ENGLISH_WORDS: [&str; 24] = [
    "the", "a", "an", "is", "and", "you", "your", "i", "he", "she", "with", "for", "in", "on",
    "not", "who", "that", "my", "of", "to", "it", "are", "his", "her",
];

/// The language a text is most likely in: French or English (the default).
pub fn guess_language(text: &str) -> Lang {
    let lower = text.to_lowercase();
    let (mut fr, mut en) = (0usize, 0usize);
    for word in lower.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’')) {
        let word = word.replace('’', "'");
        fr += usize::from(FRENCH_WORDS.contains(&word.as_str()));
        en += usize::from(ENGLISH_WORDS.contains(&word.as_str()));
    }
    if fr > en { Lang::Fr } else { Lang::En }
}

/// A persona id from a name: ASCII lowercase letters and digits joined by dashes. Letters with
/// no ASCII form (`東方`, `Анна`) leave a short stable hash of the whole name at the end, so that
/// two different names never share an id (`persona-3f9a1c`, `cafe-8d02b7`).
pub fn slug(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    let mut out = String::new();
    let mut dropped = false;
    for c in name.nfd() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !unicode_normalization::char::is_combining_mark(c) {
            dropped |= c.is_alphanumeric();
            if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
    }
    let mut out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        out.push_str("persona");
    }
    if dropped {
        out.push_str(&format!("-{:06x}", name_hash(name) & 0xff_ffff));
    }
    out
}

/// FNV-1a of a name's bytes: stable across runs and platforms.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A card turned into a persona, with what was repaired on the way.
#[derive(Clone, Debug, PartialEq)]
pub struct CardPersona {
    /// The persona.
    pub persona: Persona,
    /// Notes for the designer (repairs, dropped fields, greetings to review).
    pub notes: Vec<String>,
}

/// The persona of a card. A card exported by Relance comes back identical (its
/// `extensions.relance` holds the rest); fields another tool edited since win over that copy.
pub fn persona_of(mut card: Card) -> CardPersona {
    let mut notes = std::mem::take(&mut card.notes);
    let relance = card.info.extensions.remove(RELANCE_EXTENSION);
    let mut greetings: Vec<String> = std::iter::once(card.first_message.clone())
        .chain(card.alternate_greetings.iter().cloned())
        .collect();
    if greetings.first().is_some_and(|g| g.trim().is_empty()) && greetings.len() > 1 {
        notes.push(
            "the card has no first message; its first alternate greeting comes first".to_owned(),
        );
    }
    greetings.retain(|g| !g.trim().is_empty());
    let restored = relance.and_then(|ext| match restore(ext, &card) {
        Ok(p) => Some(p),
        Err(e) => {
            notes.push(format!(
                "`extensions.relance` could not be read ({e}); the card was imported as a card from another tool"
            ));
            None
        }
    });
    let persona = match restored {
        Some(mut persona) => {
            let lang = persona.first_language();
            if primary(&persona.description, &persona.languages).map_or("", String::as_str)
                != card.description
            {
                notes.push(
                    "the description was edited in another tool; it replaces the first language's"
                        .to_owned(),
                );
                set_or_remove(&mut persona.description, lang, card.description.clone());
            }
            if flat_greetings(&persona) != greetings {
                notes.push(
                    "the greetings were edited in another tool; they replace the persona's"
                        .to_owned(),
                );
                persona.greetings = Localized::new();
                if !greetings.is_empty() {
                    persona.greetings.insert(lang, greetings);
                }
            }
            persona
        }
        None => {
            let sample = format!(
                "{} {} {} {}",
                card.description, card.info.personality, card.first_message, card.info.scenario
            );
            let lang = match super::language::detect(&sample) {
                Some(found) => match found.lang {
                    Some(lang) => lang,
                    None => {
                        let lang = guess_language(&sample);
                        notes.push(format!(
                            "the card is written in {} (`{}`), a language Relance has no texts for; its texts are stored as {} ({}): translate them, or change the language in the studio",
                            found.name,
                            found.code,
                            lang.native_name(),
                            lang.code()
                        ));
                        lang
                    }
                },
                None => guess_language(&sample),
            };
            let mut persona = Persona::new_blank(&slug(&card.name), &card.name);
            persona.languages = vec![lang];
            set_or_remove(&mut persona.description, lang, card.description.clone());
            for (i, g) in greetings.iter().enumerate() {
                if g.chars().count() > 300 {
                    notes.push(format!(
                        "greeting {} is {} characters long; {{greeting}} puts it in nudges, so shorten it",
                        i + 1,
                        g.chars().count()
                    ));
                }
                if g.contains("{{") {
                    notes.push(format!(
                        "greeting {} contains a macro such as {{{{user}}}}, kept verbatim; nudges would show it as written",
                        i + 1
                    ));
                }
            }
            if lang == Lang::Fr {
                persona.tone.formality = formality_of(&greetings);
            }
            if !greetings.is_empty() {
                persona.greetings.insert(lang, greetings);
            }
            persona.card = card.info;
            persona
        }
    };
    CardPersona { persona, notes }
}

/// `vous` when French greetings address the user with `vous` more often than with `tu`.
fn formality_of(greetings: &[String]) -> Formality {
    let words: Vec<_> = greetings
        .iter()
        .flat_map(|g| crate::compose::voice::address_words(g))
        .collect();
    let vous = words
        .iter()
        .filter(|w| w.formality == Formality::Vous)
        .count();
    if vous * 2 > words.len() {
        Formality::Vous
    } else {
        Formality::Tu
    }
}

fn set_or_remove(map: &mut Localized<String>, lang: Lang, text: String) {
    if text.is_empty() {
        map.remove(&lang);
    } else {
        map.insert(lang, text);
    }
}

fn restore(ext: Value, card: &Card) -> Result<Persona, serde_json::Error> {
    let Value::Object(mut map) = ext else {
        return Err(serde::de::Error::custom("it is not an object"));
    };
    map.insert("name".to_owned(), card.name.clone().into());
    map.remove("card");
    let derived = map.remove(PERSONALITY_FROM_TRAITS) == Some(Value::Bool(true));
    let mut persona: Persona = serde_json::from_value(Value::Object(map))?;
    let mut info = card.info.clone();
    info.extensions.remove(RELANCE_EXTENSION);
    if derived && info.personality == persona.traits.join(", ") {
        info.personality.clear();
    }
    persona.card = info;
    Ok(persona)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn slugs_and_languages() {
        assert_eq!(slug("Maestro of Movie Magic"), "maestro-of-movie-magic");
        assert_eq!(slug("  Élodie, la Chef ! "), "elodie-la-chef");
        let east = slug("東方");
        assert!(
            east.starts_with("persona-") && east.len() == "persona-".len() + 6,
            "{east}"
        );
        assert_ne!(east, slug("小明"));
        assert_eq!(east, slug("東方"));
        assert!(slug("Анна").starts_with("persona-"));
        assert_ne!(slug("Café 咖啡"), slug("Café 茶"));
        assert_eq!(
            guess_language("Tu es une cheffe qui aime la cuisine et les marchés."),
            Lang::Fr
        );
        assert_eq!(
            guess_language("You are a chef who loves the markets."),
            Lang::En
        );
        assert_eq!(guess_language(""), Lang::En);
    }

    #[test]
    fn variations_are_repaired() {
        let card = Card::from_value(json!({
            "spec": "chara_card_v2", "spec_version": "2.0", "chat": "x",
            "data": {"name": "Ada", "first_mes": "Hi {{user}}!", "alternate_greetings": "Hello!",
                     "tags": "a, b", "character_book": null, "character_version": 2,
                     "creation_date": 1700000000123u64, "extensions": {"x": 1}}
        }))
        .expect("reads");
        assert_eq!(card.alternate_greetings, ["Hello!"]);
        assert_eq!(card.info.tags, ["a", "b"]);
        assert_eq!(card.info.character_version, "2");
        assert!(!card.info.other.contains_key("character_book"));
        assert_eq!(card.info.other["creation_date"], json!(1700000000));
        assert!(
            card.notes.iter().any(|n| n.contains("`chat`")),
            "{:?}",
            card.notes
        );
        let err = Card::from_value(json!({"spec": "chara_card_v2", "data": {"name": ""}}))
            .expect_err("no name");
        assert_eq!(err.field, "data.name");
        let err = Card::from_value(json!({"name": "x", "first_mes": ["a"]})).expect_err("list");
        assert_eq!(err.field, "data.first_mes");
    }

    #[test]
    fn v1_cards_and_old_names_are_read() {
        let card = Card::from_value(json!({"char_name": "Bob", "char_persona": "A baker.",
            "char_greeting": "Bonjour !", "world_scenario": "A bakery."}))
        .expect("reads");
        assert_eq!(card.spec, CardSpec::V1);
        assert_eq!(
            (card.name.as_str(), card.first_message.as_str()),
            ("Bob", "Bonjour !")
        );
        assert_eq!(card.info.scenario, "A bakery.");
    }
}
