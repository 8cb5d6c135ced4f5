//! Persona files: who the bot is, how it speaks, what it follows up on, and its nudge policy.
//!
//! Stored as pretty RON in `personas/`. [`Persona::load`] reports syntax errors with file, line
//! and column, and every validation problem at once; [`Persona::to_ron`] writes the canonical form,
//! which loads back equal and re-saves byte for byte.
//!
//! The checks the model makes alone ([`Persona::validate_fields_in`]) are in the `check` child
//! module. Loading and the full validation ([`Persona::load`], [`Persona::from_ron_str`],
//! [`Persona::validate_in`]) also run the composer's checks, so they are defined above it, in
//! `crate::compose::validate`.

mod check;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::diagnostics::{LoadError, write_atomically};
use super::policy::PolicyChoice;
use super::{CardInfo, Lang, SafetyAdditions};

/// The placeholders a template may use, kept beside the persona's templates for their editors.
pub use super::placeholder::PLACEHOLDERS;

/// The persona file format version this build reads and writes.
pub const PERSONA_FORMAT_VERSION: u32 = 1;

/// Text per language, such as several greetings in French and in English.
pub type Localized<T> = BTreeMap<Lang, T>;

/// A chatbot persona, as designed in the studio and stored in a `.ron` file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Persona {
    /// File format version ([`PERSONA_FORMAT_VERSION`]).
    pub version: u32,
    /// Stable identifier, lowercase letters, digits and dashes (`cinema-maestro`).
    pub id: String,
    /// Display name ("Maestro of Movie Magic").
    pub name: String,
    /// One line under the name.
    #[serde(default)]
    pub tagline: Localized<String>,
    /// A paragraph describing the persona.
    #[serde(default)]
    pub description: Localized<String>,
    /// What a Character Card (V2/V3) holds beyond Relance's own fields, kept for export
    /// (see `crate::interop::card`).
    #[serde(default, skip_serializing_if = "CardInfo::is_empty")]
    pub card: CardInfo,
    /// The avatar image (PNG), a path relative to the persona file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Languages the persona speaks, the first one being its default.
    pub languages: Vec<Lang>,
    /// Personality traits ("warm", "cinephile"…).
    #[serde(default)]
    pub traits: Vec<String>,
    /// How the persona speaks.
    #[serde(default)]
    pub tone: Tone,
    /// Openings ("Bonjour !").
    #[serde(default)]
    pub greetings: Localized<Vec<String>>,
    /// Closings ("À bientôt !").
    #[serde(default)]
    pub signoffs: Localized<Vec<String>>,
    /// Phrases the persona is known for.
    #[serde(default)]
    pub signature_phrases: Localized<Vec<String>>,
    /// Topics of interest, recognised in user messages by their keywords.
    #[serde(default)]
    pub topics: Vec<Topic>,
    /// Named things the persona recognises in user messages: film titles, composers, dishes…
    #[serde(default)]
    pub lexicon: Vec<String>,
    /// Follow-up templates with `{placeholders}`.
    #[serde(default)]
    pub templates: Vec<Template>,
    /// WhatsApp message templates approved for business-initiated messages.
    #[serde(default)]
    pub whatsapp_templates: Vec<WhatsappTemplate>,
    /// Topics this persona must never raise, beyond the built-in sensitive categories.
    #[serde(default)]
    pub forbidden_topics: Vec<String>,
    /// Persona-specific additions to the sensitive-topic lexicons.
    #[serde(default)]
    pub safety: SafetyAdditions,
    /// The "this is an AI" line added to nudges after a long lapse.
    #[serde(default)]
    pub ai_disclosure: AiDisclosure,
    /// The nudge policy: a preset name or a full custom policy.
    #[serde(default)]
    pub policy: PolicyChoice,
    /// The scenarios of this persona's test suite (with expectations, see
    /// [`super::expect`]), paths relative to the persona file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<String>,
}

/// How the persona addresses users in French.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Formality {
    /// Informal "tu".
    #[default]
    Tu,
    /// Formal "vous".
    Vous,
}

/// How often the persona uses emoji.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmojiUse {
    /// Never.
    None,
    /// At most one per message.
    #[default]
    Light,
    /// Freely.
    Frequent,
}

/// The persona's tone of voice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tone {
    /// 0 (cool) to 1 (very warm).
    pub warmth: f32,
    /// `tu` or `vous` in French.
    pub formality: Formality,
    /// 0 (calm) to 1 (exuberant).
    pub enthusiasm: f32,
    /// Emoji use.
    pub emoji: EmojiUse,
    /// Emoji the persona picks from, when it uses any.
    #[serde(default)]
    pub emoji_set: Vec<String>,
}

impl Default for Tone {
    fn default() -> Self {
        Self {
            warmth: 0.7,
            formality: Formality::Tu,
            enthusiasm: 0.5,
            emoji: EmojiUse::Light,
            emoji_set: Vec::new(),
        }
    }
}

/// A topic of interest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// Stable identifier (`soundtracks`).
    pub id: String,
    /// Display name per language, used in follow-ups ("musiques de film").
    pub name: Localized<String>,
    /// Words that recognise the topic in a user's message, per language (case and accents are
    /// ignored when matching).
    pub keywords: Localized<Vec<String>>,
    /// Gender and number of the name per language, for templates whose words agree with it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub grammar: Localized<Grammar>,
}

/// Grammatical gender and number of a topic's name in one language ("musiques de film":
/// feminine plural).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grammar {
    /// Gender.
    pub gender: Gender,
    /// Number.
    pub number: Number,
}

/// Grammatical gender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    /// Masculine (also for languages without gender).
    Masculine,
    /// Feminine.
    Feminine,
}

/// Grammatical number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Number {
    /// Singular.
    Singular,
    /// Plural.
    Plural,
}

/// A follow-up template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Stable identifier, shown in traces; the same template in another language shares it.
    pub id: String,
    /// Language of the text.
    pub lang: Lang,
    /// Text with `{placeholders}` (see [`PLACEHOLDERS`]).
    pub text: String,
}

/// A WhatsApp template approved for business-initiated conversations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsappTemplate {
    /// The template's name as registered with WhatsApp.
    pub name: String,
    /// Language of the body.
    pub lang: Lang,
    /// Body with `{placeholders}` standing for the template's parameters.
    pub body: String,
}

/// The AI disclosure line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AiDisclosure {
    /// Whether nudges after a long lapse carry the line.
    pub enabled: bool,
    /// A lapse of at least this many days since the user's last message counts as long.
    pub after_days: i64,
    /// The line per language; a built-in one is used where empty.
    #[serde(default)]
    pub text: Localized<String>,
}

impl Default for AiDisclosure {
    fn default() -> Self {
        Self {
            enabled: true,
            after_days: 7,
            text: BTreeMap::new(),
        }
    }
}

impl AiDisclosure {
    /// The line to add in `lang`.
    pub fn line(&self, lang: Lang) -> String {
        match self.text.get(&lang) {
            Some(t) if !t.trim().is_empty() => t.clone(),
            _ => match lang {
                Lang::Fr => "(Petit rappel : je suis une IA.)".to_owned(),
                Lang::En => "(A quick reminder: I'm an AI.)".to_owned(),
            },
        }
    }
}

impl Persona {
    /// The smallest valid persona, as `File ▸ New persona` creates it.
    pub fn new_blank(id: &str, name: &str) -> Self {
        Self {
            version: PERSONA_FORMAT_VERSION,
            id: id.to_owned(),
            name: name.to_owned(),
            tagline: BTreeMap::new(),
            description: BTreeMap::new(),
            card: CardInfo::default(),
            avatar: None,
            languages: vec![Lang::En],
            traits: Vec::new(),
            tone: Tone::default(),
            greetings: BTreeMap::new(),
            signoffs: BTreeMap::new(),
            signature_phrases: BTreeMap::new(),
            topics: Vec::new(),
            lexicon: Vec::new(),
            templates: Vec::new(),
            whatsapp_templates: Vec::new(),
            forbidden_topics: Vec::new(),
            safety: SafetyAdditions::default(),
            ai_disclosure: AiDisclosure::default(),
            policy: PolicyChoice::default(),
            tests: Vec::new(),
        }
    }

    /// The persona's default language.
    pub fn first_language(&self) -> Lang {
        self.languages.first().copied().unwrap_or(Lang::En)
    }

    /// The language to write to a user of `locale`: theirs when the persona speaks it, else the
    /// persona's first.
    pub fn language_for(&self, locale: &str) -> Lang {
        match Lang::from_locale(locale) {
            Some(l) if self.languages.contains(&l) => l,
            _ => self.first_language(),
        }
    }

    /// Parses persona RON text, its syntax and types only; `path` names the file in errors.
    /// [`Persona::from_ron_str`] and [`Persona::load`] (in `crate::compose::validate`, above the
    /// composer whose checks they include) also validate it.
    pub fn parse_ron(source: &str, path: &Path) -> Result<Self, LoadError> {
        ron::from_str(source).map_err(|e| LoadError::from_ron(path, &e))
    }

    /// The canonical pretty RON text of this persona.
    pub fn to_ron(&self) -> String {
        let config = ron::ser::PrettyConfig::new()
            .indentor("    ")
            .struct_names(true)
            .escape_strings(false);
        // Serialising plain data with string keys cannot fail.
        let mut text = ron::ser::to_string_pretty(self, config)
            .unwrap_or_else(|e| format!("// serialisation failed: {e}"));
        text.push('\n');
        text
    }

    /// Saves the canonical RON text atomically.
    pub fn save(&self, path: &Path) -> Result<(), LoadError> {
        write_atomically(path, self.to_ron().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_persona_is_valid_and_round_trips() {
        let p = Persona::new_blank("blank", "Blank");
        let text = p.to_ron();
        assert!(p.validate_fields_in(&text).is_empty());
        let back = Persona::parse_ron(&text, Path::new("blank.ron")).expect("parses");
        assert_eq!(back, p);
        assert_eq!(back.to_ron(), text);
    }

    #[test]
    fn validation_reports_every_problem_with_positions() {
        let mut p = Persona::new_blank("x", "");
        p.templates.push(Template {
            id: "t1".into(),
            lang: Lang::En,
            text: "{greeting} {usr_name}".into(),
        });
        p.policy = PolicyChoice::Preset("omnii".into());
        let text = p.to_ron();
        let problems = p.validate_fields_in(&text);
        let messages: Vec<_> = problems.iter().map(|d| d.message.clone()).collect();
        assert_eq!(problems.len(), 3, "{messages:?}");
        assert!(messages[0].contains("name is empty"));
        assert!(messages[1].contains("{usr_name}"));
        assert!(messages[2].contains("omnii"));
        let (line, _) = problems[1].position.expect("placed");
        assert!(
            text.lines()
                .nth(line - 1)
                .is_some_and(|l| l.contains("{usr_name}"))
        );
    }

    #[test]
    fn language_for_prefers_the_users_locale() {
        let mut p = Persona::new_blank("x", "X");
        p.languages = vec![Lang::Fr, Lang::En];
        assert_eq!(p.language_for("en-US"), Lang::En);
        assert_eq!(p.language_for("de"), Lang::Fr);
        assert_eq!(p.language_for("fr_CA"), Lang::Fr);
    }
}
