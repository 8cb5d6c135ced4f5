//! Formats other tools use: character cards in and out, real chats as scenarios.
//!
//! - Personas: [`import_persona`] reads a Relance persona (RON or JSON) or a Character Card V1, V2
//!   or V3 (JSON, or PNG with the card in a `chara`/`ccv3` text chunk); [`export_persona`] writes
//!   RON, JSON, CCv2 or CCv3 JSON, or a PNG card with both chunks.
//! - Chats: [`chat::import_chat`] turns a WhatsApp export (`.txt`) or a SillyTavern log (`.jsonl`)
//!   into a [`crate::model::Scenario`].
//!
//! Everything here is plain data in, bytes out: the command line and the studio call the same
//! functions, and every file is written with [`crate::model::diagnostics::write_atomically`].

pub mod card;
pub mod chat;
pub mod language;
pub mod parsed_chat;
pub mod png;
pub mod sillytavern;
pub mod whatsapp;

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value;

use crate::model::Persona;
use crate::model::diagnostics::{LoadError, Severity, write_atomically};
use card::{BACKFILL_NOTE, Card, CardSpec};

/// The PNG chunk keywords of character cards.
pub const CARD_CHUNKS: [&str; 2] = ["chara", "ccv3"];

/// Why a file could not be imported or exported.
#[derive(Debug, thiserror::Error)]
pub enum InteropError {
    /// The file could not be read or written, is not valid RON/JSON, or is an invalid persona.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The file is readable but not in the expected format.
    #[error("{}", FormatDisplay { path, place: place.as_deref(), message })]
    Format {
        /// The file.
        path: PathBuf,
        /// Where in the file (`byte 1234`, `chunk ccv3, line 3 column 7`, `data.name`), if known.
        place: Option<String>,
        /// What is wrong.
        message: String,
    },
}

struct FormatDisplay<'a> {
    path: &'a Path,
    place: Option<&'a str>,
    message: &'a str,
}

impl fmt::Display for FormatDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(place) = self.place {
            write!(f, ": {place}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl InteropError {
    fn format(path: &Path, place: Option<String>, message: impl Into<String>) -> Self {
        InteropError::Format {
            path: path.to_owned(),
            place,
            message: message.into(),
        }
    }
}

/// The formats a persona can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PersonaFormat {
    /// Relance's canonical RON.
    Ron,
    /// Relance's persona as JSON.
    Json,
    /// Character Card V2, JSON.
    CardV2,
    /// Character Card V3, JSON.
    CardV3,
    /// PNG image with the card in a `chara` chunk (V2) and a `ccv3` chunk (V3).
    CardPng,
}

impl PersonaFormat {
    /// Every format, in menu order.
    pub const ALL: [PersonaFormat; 5] = [
        PersonaFormat::Ron,
        PersonaFormat::Json,
        PersonaFormat::CardV2,
        PersonaFormat::CardV3,
        PersonaFormat::CardPng,
    ];

    /// The name on the command line (`ron`, `json`, `ccv2`, `ccv3`, `ccv3-png`).
    pub fn name(self) -> &'static str {
        match self {
            PersonaFormat::Ron => "ron",
            PersonaFormat::Json => "json",
            PersonaFormat::CardV2 => "ccv2",
            PersonaFormat::CardV3 => "ccv3",
            PersonaFormat::CardPng => "ccv3-png",
        }
    }

    /// The format of a command-line name (`png` is accepted for `ccv3-png`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "png" | "ccv2-png" => Some(PersonaFormat::CardPng),
            other => Self::ALL.into_iter().find(|f| f.name() == other),
        }
    }

    /// A menu label ("Character Card V3 (PNG)").
    pub fn label(self) -> &'static str {
        match self {
            PersonaFormat::Ron => "Relance persona (RON)",
            PersonaFormat::Json => "Relance persona (JSON)",
            PersonaFormat::CardV2 => "Character Card V2 (JSON)",
            PersonaFormat::CardV3 => "Character Card V3 (JSON)",
            PersonaFormat::CardPng => "Character Card V2 + V3 (PNG)",
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            PersonaFormat::Ron => "ron",
            PersonaFormat::CardPng => "png",
            _ => "json",
        }
    }
}

/// Where an imported persona came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PersonaSource {
    /// A Relance persona file (RON or JSON).
    Relance,
    /// A character card in JSON.
    CardJson(CardSpec),
    /// A character card in a PNG chunk (`chara` or `ccv3`).
    CardPng {
        /// The card's version.
        spec: CardSpec,
        /// The chunk keyword it was read from.
        chunk: String,
    },
}

impl fmt::Display for PersonaSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PersonaSource::Relance => f.write_str("Relance persona"),
            PersonaSource::CardJson(spec) => write!(f, "{} (JSON)", spec.as_str()),
            PersonaSource::CardPng { spec, chunk } => {
                write!(f, "{} (PNG, `{chunk}` chunk)", spec.as_str())
            }
        }
    }
}

/// A persona read from a file of another tool, checked valid.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedPersona {
    /// The persona.
    pub persona: Persona,
    /// The PNG the card came in, without its card chunks: the persona's avatar.
    pub avatar_png: Option<Vec<u8>>,
    /// What the file was.
    pub source: PersonaSource,
    /// Notes for the designer: repairs made, fields left out, things to review.
    pub notes: Vec<String>,
}

/// Imports a persona from a file: RON, Relance JSON, or a character card (JSON or PNG).
pub fn import_persona(path: &Path) -> Result<ImportedPersona, InteropError> {
    let bytes = crate::model::limits::read_limited(path, crate::model::limits::MAX_IMAGE_BYTES)
        .map_err(|e| LoadError::io(path, e))?;
    import_persona_bytes(&bytes, path)
}

/// Imports a persona from the bytes of a file; `path` names it in errors and decides RON by its
/// extension.
pub fn import_persona_bytes(bytes: &[u8], path: &Path) -> Result<ImportedPersona, InteropError> {
    if png::is_png(bytes) {
        return import_png(bytes, path);
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"))
    {
        return Err(InteropError::format(
            path,
            Some("byte 0".to_owned()),
            "not a PNG image (the PNG signature is missing)",
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        InteropError::format(
            path,
            Some(format!("byte {}", e.valid_up_to())),
            "the file is neither a PNG image nor UTF-8 text",
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let is_ron = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("ron"))
        || text.trim_start().starts_with("Persona(");
    if is_ron {
        let persona = Persona::from_ron_str(text, path)?;
        return Ok(ImportedPersona {
            persona,
            avatar_png: None,
            source: PersonaSource::Relance,
            notes: Vec::new(),
        });
    }
    let value: Value = serde_json::from_str(text).map_err(|e| LoadError::from_json(path, &e))?;
    if card::looks_like_world_info(&value) {
        return Err(InteropError::format(
            path,
            None,
            "this is a World Info (lorebook) file, not a character card: its entries are background a card can embed (`character_book`); import the card itself",
        ));
    }
    if value.is_null() {
        return Err(InteropError::format(
            path,
            None,
            "the file holds `null`: a character card (a JSON object with at least a `name`) or a Relance persona was expected",
        ));
    }
    if card::looks_like_card(&value) {
        let card = Card::from_value(value)
            .map_err(|p| InteropError::format(path, Some(p.field), p.message))?;
        let spec = card.spec;
        return finish_card(card, path, PersonaSource::CardJson(spec), None);
    }
    let persona: Persona =
        serde_json::from_str(text).map_err(|e| LoadError::from_json(path, &e))?;
    let persona = checked(persona, path)?;
    Ok(ImportedPersona {
        persona,
        avatar_png: None,
        source: PersonaSource::Relance,
        notes: Vec::new(),
    })
}

fn checked(persona: Persona, path: &Path) -> Result<Persona, InteropError> {
    let diagnostics: Vec<_> = persona.validate().into_iter().map(|d| d.at(None)).collect();
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return Err(LoadError::Invalid {
            path: path.to_owned(),
            diagnostics,
        }
        .into());
    }
    Ok(persona)
}

fn finish_card(
    card: Card,
    path: &Path,
    source: PersonaSource,
    avatar_png: Option<Vec<u8>>,
) -> Result<ImportedPersona, InteropError> {
    let out = card::persona_of(card);
    let persona = checked(out.persona, path)?;
    Ok(ImportedPersona {
        persona,
        avatar_png,
        source,
        notes: out.notes,
    })
}

/// Decodes the text of a card chunk: base64 of UTF-8 JSON (padding and line breaks optional), or
/// plain JSON as some tools write it.
fn decode_chunk_text(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        return Ok(trimmed.to_owned());
    }
    let compact: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let url_engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = engine
        .decode(&compact)
        .or_else(|_| url_engine.decode(&compact))
        .map_err(|e| format!("the chunk is not base64: {e}"))?;
    String::from_utf8(bytes).map_err(|_| "the decoded chunk is not UTF-8 text".to_owned())
}

fn import_png(bytes: &[u8], path: &Path) -> Result<ImportedPersona, InteropError> {
    let png_error = |e: png::PngError| {
        InteropError::format(path, Some(format!("byte {}", e.offset)), e.message)
    };
    let texts = png::text_chunks(bytes, &["ccv3", "chara"]).map_err(png_error)?;
    let find = |keyword: &str| {
        texts
            .iter()
            .find(|t| t.keyword.eq_ignore_ascii_case(keyword))
    };
    let candidates: Vec<&png::TextChunk> =
        ["ccv3", "chara"].iter().filter_map(|k| find(k)).collect();
    if candidates.is_empty() {
        let found: Vec<String> = png::text_keywords(bytes)
            .map_err(png_error)?
            .iter()
            .map(|k| format!("`{k}`"))
            .collect();
        return Err(InteropError::format(
            path,
            None,
            format!(
                "this PNG holds no character card: no `chara` or `ccv3` text chunk{}",
                if found.is_empty() {
                    String::new()
                } else {
                    format!(" (its text chunks: {})", found.join(", "))
                }
            ),
        ));
    }
    let mut notes = Vec::new();
    let mut last_error = None;
    for chunk in candidates {
        let place = format!(
            "byte {}, {} chunk `{}`",
            chunk.offset,
            chunk.kind.chunk_type(),
            chunk.keyword
        );
        if !chunk.crc_ok {
            notes.push(format!(
                "{place}: its CRC does not match; it was read anyway"
            ));
        }
        let parsed = decode_chunk_text(&chunk.text)
            .and_then(|json| {
                serde_json::from_str::<Value>(&json).map_err(|e| {
                    format!(
                        "the decoded JSON is invalid at line {} column {}: {e}",
                        e.line(),
                        e.column()
                    )
                })
            })
            .and_then(|value| Card::from_value(value).map_err(|p| p.to_string()));
        match parsed {
            Ok(mut card) => {
                if chunk.keyword.eq_ignore_ascii_case("chara") {
                    card.trim_backfill_note();
                }
                if let Some(e) = last_error.take() {
                    notes.push(format!(
                        "{e}; the `{}` chunk was read instead",
                        chunk.keyword
                    ));
                }
                card.notes.splice(0..0, notes);
                let avatar =
                    png::replace_text_chunks(bytes, &CARD_CHUNKS, &[]).map_err(png_error)?;
                let source = PersonaSource::CardPng {
                    spec: card.spec,
                    chunk: chunk.keyword.clone(),
                };
                return finish_card(card, path, source, Some(avatar));
            }
            Err(message) => last_error = Some(format!("{place}: {message}")),
        }
    }
    let message = last_error.unwrap_or_default();
    Err(InteropError::format(path, None, message))
}

/// The colour of a persona's placeholder avatar, from its id.
fn placeholder_colour(id: &str) -> [u8; 3] {
    const PALETTE: [[u8; 3]; 6] = [
        [52, 101, 164],
        [117, 80, 123],
        [78, 154, 6],
        [196, 160, 0],
        [206, 92, 0],
        [32, 138, 140],
    ];
    let hash = crate::compose::stable_hash(&[id]);
    PALETTE[(hash % PALETTE.len() as u64) as usize]
}

/// The bytes of `persona` in `format`. For a PNG card, `avatar_png` is the image (any PNG; its
/// card chunks are replaced); without one a plain placeholder is drawn.
pub fn export_persona(
    persona: &Persona,
    format: PersonaFormat,
    avatar_png: Option<&[u8]>,
) -> Result<Vec<u8>, InteropError> {
    let pretty = |value: &Value| {
        let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
        text.push('\n');
        text.into_bytes()
    };
    Ok(match format {
        PersonaFormat::Ron => persona.to_ron().into_bytes(),
        PersonaFormat::Json => {
            let value = serde_json::to_value(persona).unwrap_or(Value::Null);
            pretty(&value)
        }
        PersonaFormat::CardV2 => pretty(&card::card_of(persona).to_value(CardSpec::V2)),
        PersonaFormat::CardV3 => pretty(&card::card_of(persona).to_value(CardSpec::V3)),
        PersonaFormat::CardPng => {
            let placeholder;
            let image = match avatar_png {
                Some(bytes) => bytes,
                None => {
                    placeholder = png::placeholder_png(256, 256, placeholder_colour(&persona.id));
                    &placeholder
                }
            };
            let card = card::card_of(persona);
            let v3 = card.to_value(CardSpec::V3).to_string();
            let mut v2_card = card;
            v2_card.info.creator_notes = if v2_card.info.creator_notes.is_empty() {
                BACKFILL_NOTE.to_owned()
            } else {
                format!("{}\n\n{BACKFILL_NOTE}", v2_card.info.creator_notes)
            };
            let v2 = v2_card.to_value(CardSpec::V2).to_string();
            let b64 = base64::engine::general_purpose::STANDARD;
            png::replace_text_chunks(
                image,
                &CARD_CHUNKS,
                &[("chara", &b64.encode(v2)), ("ccv3", &b64.encode(v3))],
            )
            .map_err(|e| {
                InteropError::format(
                    Path::new("avatar image"),
                    Some(format!("byte {}", e.offset)),
                    e.message,
                )
            })?
        }
    })
}

/// The avatar file of a persona saved at `persona_file`, if it names one.
pub fn avatar_path(persona: &Persona, persona_file: &Path) -> Option<PathBuf> {
    let avatar = persona.avatar.as_deref()?;
    let dir = persona_file.parent().unwrap_or(Path::new(""));
    Some(dir.join(avatar))
}

/// Reads the avatar of a persona saved at `persona_file` (`None` when it names none).
pub fn load_avatar(
    persona: &Persona,
    persona_file: &Path,
) -> Result<Option<Vec<u8>>, InteropError> {
    let Some(path) = avatar_path(persona, persona_file) else {
        return Ok(None);
    };
    let bytes = crate::model::limits::read_limited(&path, crate::model::limits::MAX_IMAGE_BYTES)
        .map_err(|e| LoadError::io(&path, e))?;
    if !png::is_png(&bytes) {
        return Err(InteropError::format(
            &path,
            None,
            "the avatar is not a PNG image",
        ));
    }
    Ok(Some(bytes))
}

/// Where [`save_imported`] writes the avatar of `imported` saved at `out`: `<out's stem>.png`
/// beside it (whether or not the import has an avatar).
pub fn imported_avatar_path(imported: &ImportedPersona, out: &Path) -> PathBuf {
    let stem = out.file_stem().map_or_else(
        || imported.persona.id.clone(),
        |s| s.to_string_lossy().into_owned(),
    );
    out.parent()
        .unwrap_or(Path::new(""))
        .join(format!("{stem}.png"))
}

/// Saves an imported persona as canonical RON at `out`; its avatar, if any, goes beside it as
/// `<out's stem>.png` and the persona names it. Returns the persona as saved.
pub fn save_imported(imported: &ImportedPersona, out: &Path) -> Result<Persona, InteropError> {
    let mut persona = imported.persona.clone();
    if let Some(avatar) = &imported.avatar_png {
        let avatar_file = imported_avatar_path(imported, out);
        write_atomically(&avatar_file, avatar)?;
        persona.avatar = avatar_file
            .file_name()
            .map(|name| name.to_string_lossy().into_owned());
    }
    persona.save(out)?;
    Ok(persona)
}

/// Writes `persona` in `format` to `out`. For a PNG card the avatar is `avatar` if given, else the
/// persona's own avatar (relative to `persona_file`), else a placeholder.
pub fn export_persona_to(
    persona: &Persona,
    persona_file: Option<&Path>,
    format: PersonaFormat,
    avatar: Option<&Path>,
    out: &Path,
) -> Result<(), InteropError> {
    let avatar_png = match (format, avatar) {
        (PersonaFormat::CardPng, Some(path)) => {
            let bytes =
                crate::model::limits::read_limited(path, crate::model::limits::MAX_IMAGE_BYTES)
                    .map_err(|e| LoadError::io(path, e))?;
            if !png::is_png(&bytes) {
                return Err(InteropError::format(
                    path,
                    None,
                    "the avatar must be a PNG image (convert it first)",
                ));
            }
            Some(bytes)
        }
        (PersonaFormat::CardPng, None) => match persona_file {
            Some(file) => load_avatar(persona, file)?,
            None => None,
        },
        _ => None,
    };
    let bytes = export_persona(persona, format, avatar_png.as_deref())?;
    write_atomically(out, &bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_have_names() {
        for f in PersonaFormat::ALL {
            assert_eq!(PersonaFormat::from_name(f.name()), Some(f));
        }
        assert_eq!(
            PersonaFormat::from_name("PNG"),
            Some(PersonaFormat::CardPng)
        );
        assert_eq!(PersonaFormat::from_name("yaml"), None);
    }

    #[test]
    fn chunk_text_accepts_base64_variants_and_raw_json() {
        assert_eq!(
            decode_chunk_text("eyJhIjoxfQ==").as_deref(),
            Ok("{\"a\":1}")
        );
        assert_eq!(
            decode_chunk_text("eyJhIjox\nfQ").as_deref(),
            Ok("{\"a\":1}")
        );
        assert_eq!(decode_chunk_text(" {\"a\":1} ").as_deref(), Ok("{\"a\":1}"));
        assert!(decode_chunk_text("@@@").is_err());
    }
}
