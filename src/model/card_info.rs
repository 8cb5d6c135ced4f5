//! What a character card (Character Card V2/V3) holds beyond Relance's own persona fields, as
//! data a persona keeps; `crate::interop::card` maps cards to and from personas.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a character card holds beyond Relance's own persona fields, kept so that an exported card
/// carries it again.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CardInfo {
    /// `personality`: a summary of the character's personality.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub personality: String,
    /// `scenario`: the circumstances of the conversation.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scenario: String,
    /// `mes_example`: example dialogues.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub example_messages: String,
    /// `creator_notes`: notes from the card's creator to its users.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub creator_notes: String,
    /// `system_prompt`: the card's system prompt.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub system_prompt: String,
    /// `post_history_instructions`: instructions placed after the chat history.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub post_history_instructions: String,
    /// `tags`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `creator`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub creator: String,
    /// `character_version`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub character_version: String,
    /// `extensions` of other tools, kept untouched (Relance's own key is not here).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub extensions: Map<String, Value>,
    /// Every other field of the card's `data`, kept untouched (`character_book`, V3 `assets`,
    /// `nickname`, `creation_date`…).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub other: Map<String, Value>,
}

impl CardInfo {
    /// Whether nothing is set (the persona came from no card).
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}
