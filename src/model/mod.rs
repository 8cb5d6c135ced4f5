//! The domain model: personas, nudge policies and scenarios, with their file formats and validation.
//!
//! Files are parsed once into checked domain types ("parse, don't validate"): code downstream of
//! [`persona::Persona::load`], [`scenario::Scenario::load`] and [`policy::Policy::validate`]
//! never re-checks them.

pub mod card_info;
pub mod category;
pub mod decision;
pub mod diagnostics;
pub mod expect;
pub mod limits;
pub mod locate;
pub mod persona;
pub mod placeholder;
pub mod policy;
pub mod safety_additions;
pub mod scenario;

use serde::{Deserialize, Serialize};

pub use card_info::CardInfo;
pub use category::Category;
pub use diagnostics::{Diagnostic, LoadError, Severity};
pub use persona::Persona;
pub use policy::{Policy, PolicyChoice};
pub use safety_additions::SafetyAdditions;
pub use scenario::{Event, Scenario, Sender, User};

/// A language a persona speaks and a user reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// French.
    Fr,
    /// English.
    En,
}

impl Lang {
    /// Every language Relance knows, in display order.
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    /// Its index in [`Lang::ALL`], for tables kept per language.
    pub fn index(self) -> usize {
        Lang::ALL.iter().position(|l| *l == self).unwrap_or(0)
    }

    /// The ISO 639-1 code, as written in files.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The language of a locale such as `fr`, `fr-FR`, `en_US`; `None` for others.
    pub fn from_locale(locale: &str) -> Option<Lang> {
        // Without allocating: the engine and the composer ask it for every user.
        let primary = locale.split(['-', '_']).next().unwrap_or("");
        Lang::ALL
            .into_iter()
            .find(|l| primary.eq_ignore_ascii_case(l.code()))
    }

    /// The language's own name ("français", "English").
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Fr => "français",
            Lang::En => "English",
        }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A messaging channel a conversation happens on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// WhatsApp: only pre-approved templates may open a conversation after 24 hours.
    Whatsapp,
    /// Facebook Messenger.
    Messenger,
    /// Instagram direct messages.
    Instagram,
}

impl Channel {
    /// Every channel, in display order.
    pub const ALL: [Channel; 3] = [Channel::Whatsapp, Channel::Messenger, Channel::Instagram];

    /// The name used in files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Whatsapp => "whatsapp",
            Channel::Messenger => "messenger",
            Channel::Instagram => "instagram",
        }
    }

    /// The longest text the channel accepts in one message, in characters.
    pub fn max_chars(self) -> usize {
        match self {
            // WhatsApp template bodies are limited to 1024 characters.
            Channel::Whatsapp => 1024,
            // Messenger's send API truncates text at 2000 characters.
            Channel::Messenger => 2000,
            // Instagram direct messages are limited to 1000 characters.
            Channel::Instagram => 1000,
        }
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
