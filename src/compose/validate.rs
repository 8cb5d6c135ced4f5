//! Persona validation for the composer: `tu`/`vous` consistency of the French texts, and topic
//! grammar wherever a template makes words agree with a topic. Here too, above the composer, the
//! persona's full validation and loading ([`Persona::load`], [`Persona::from_ron_str`],
//! [`Persona::validate_in`]): the model's own checks ([`Persona::validate_fields_in`]), then the
//! composer's, so problems come back with file, line and column.

use std::path::Path;

use crate::model::diagnostics::{Diagnostic, LoadError, Severity};
use crate::model::limits::{MAX_DOCUMENT_BYTES, read_text_limited, strip_bom};
use crate::model::locate::Locator;
use crate::model::{Lang, Persona};

use super::template::{Slot, slots};
use super::voice::{address_mismatch, formality_word};

/// Loading and the full validation of a persona: the model's checks, then the composer's.
impl Persona {
    /// Parses persona RON text; `path` names the file in errors. Validation errors come back as
    /// [`LoadError::Invalid`] with every problem; warnings are not errors.
    pub fn from_ron_str(source: &str, path: &Path) -> Result<Self, LoadError> {
        let persona = Persona::parse_ron(source, path)?;
        let diagnostics = persona.validate_in(source);
        if diagnostics.iter().any(|d| d.severity == Severity::Error) {
            return Err(LoadError::Invalid {
                path: path.to_owned(),
                diagnostics,
            });
        }
        Ok(persona)
    }

    /// Loads and validates a persona file.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        Self::load_with_source(path).map(|(persona, _)| persona)
    }

    /// Loads and validates a persona file, with the text it was read from (without its byte
    /// order mark), for placing further diagnostics in it.
    pub fn load_with_source(path: &Path) -> Result<(Self, String), LoadError> {
        let text =
            read_text_limited(path, MAX_DOCUMENT_BYTES).map_err(|e| LoadError::io(path, e))?;
        let source = strip_bom(&text).to_owned();
        let persona = Self::from_ron_str(&source, path)?;
        Ok((persona, source))
    }

    /// Every validation problem, placed in this persona's own canonical text.
    pub fn validate(&self) -> Vec<Diagnostic> {
        self.validate_in(&self.to_ron())
    }

    /// Every validation problem, placed in `source` (the text the persona was read from): the
    /// model's ([`Persona::validate_fields_in`]), then the composer's ([`persona_diagnostics`]).
    pub fn validate_in(&self, source: &str) -> Vec<Diagnostic> {
        let mut out = self.validate_fields_in(source);
        out.extend(persona_diagnostics(self, &Locator::new(source)));
        out
    }
}

/// The composer's validation errors for `persona`, placed in `source`.
pub fn persona_diagnostics(persona: &Persona, loc: &Locator<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let formality = persona.tone.formality;
    for (field, section, text) in french_texts(persona) {
        if let Some(word) = address_mismatch(text, formality) {
            out.push(
                Diagnostic::error(
                    field,
                    format!(
                        "\"{}\" addresses the user with {}, but the persona says {} (tone.formality): a nudge would mix both",
                        word.word,
                        formality_word(word.formality),
                        formality_word(formality)
                    ),
                )
                .at(place(loc, section, text, word.offset)),
            );
        }
    }
    let mut needs_grammar: Vec<Lang> = Vec::new();
    let bodies = persona
        .templates
        .iter()
        .map(|t| (t.lang, t.text.as_str()))
        .chain(
            persona
                .whatsapp_templates
                .iter()
                .map(|t| (t.lang, t.body.as_str())),
        );
    for (lang, text) in bodies {
        if slots(text)
            .iter()
            .any(|s| matches!(s, Slot::Agreement { .. }))
            && !needs_grammar.contains(&lang)
        {
            needs_grammar.push(lang);
        }
    }
    for (i, topic) in persona.topics.iter().enumerate() {
        for lang in &needs_grammar {
            if !topic.grammar.contains_key(lang) {
                out.push(
                    Diagnostic::error(
                        format!("topics[{i}].grammar"),
                        format!(
                            "a {lang} template makes words agree with the topic (`{{topic:…}}`), but the topic `{}` has no {lang} grammar; add grammar: {{{lang}: (gender: feminine, number: plural)}}",
                            topic.id
                        ),
                    )
                    .at(loc.find(&["topics:", &format!("\"{}\"", topic.id)], "name:")),
                );
            }
        }
    }
    out
}

/// Every French text a nudge may contain, with its field path and the section it is written in.
fn french_texts(persona: &Persona) -> Vec<(String, &'static str, &str)> {
    let mut out: Vec<(String, &'static str, &str)> = Vec::new();
    for (what, section, map) in [
        ("greetings", "greetings:", &persona.greetings),
        ("signoffs", "signoffs:", &persona.signoffs),
        (
            "signature_phrases",
            "signature_phrases:",
            &persona.signature_phrases,
        ),
    ] {
        if let Some(lines) = map.get(&Lang::Fr) {
            for (i, line) in lines.iter().enumerate() {
                out.push((format!("{what}.fr[{i}]"), section, line));
            }
        }
    }
    for (i, t) in persona.topics.iter().enumerate() {
        if let Some(name) = t.name.get(&Lang::Fr) {
            out.push((format!("topics[{i}].name.fr"), "topics:", name));
        }
    }
    for (i, t) in persona.templates.iter().enumerate() {
        if t.lang == Lang::Fr {
            out.push((format!("templates[{i}].text"), "templates:", &t.text));
        }
    }
    for (i, t) in persona.whatsapp_templates.iter().enumerate() {
        if t.lang == Lang::Fr {
            out.push((
                format!("whatsapp_templates[{i}].body"),
                "whatsapp_templates:",
                &t.body,
            ));
        }
    }
    if let Some(text) = persona.ai_disclosure.text.get(&Lang::Fr) {
        out.push(("ai_disclosure.text.fr".to_owned(), "ai_disclosure:", text));
    }
    out
}

/// The position of byte `offset` of `text`, written after `section` in the source. Exact when
/// the text appears verbatim before that offset (no escapes); else the text's start.
fn place(loc: &Locator<'_>, section: &str, text: &str, offset: usize) -> Option<(usize, usize)> {
    let mut end = text.len().min(24);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let start = loc.find_offset(&[section], &text[..end])?;
    let verbatim = !text[..offset].contains(['"', '\\']);
    Some(loc.position(if verbatim { start + offset } else { start }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::persona::{Formality, Template};

    #[test]
    fn a_vous_persona_saying_tu_is_an_error_at_the_word() {
        let mut p = Persona::new_blank("x", "X");
        p.languages = vec![Lang::Fr];
        p.tone.formality = Formality::Vous;
        p.templates.push(Template {
            id: "a".into(),
            lang: Lang::Fr,
            text: "{greeting} Avez-vous revu {mention} ? Tu me diras.".into(),
        });
        let source = p.to_ron();
        let problems = persona_diagnostics(&p, &Locator::new(&source));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("\"Tu\""));
        let (line, col) = problems[0].position.expect("placed");
        let text = source.lines().nth(line - 1).expect("line exists");
        assert!(
            text.chars()
                .skip(col - 1)
                .collect::<String>()
                .starts_with("Tu me"),
            "{text} at {col}"
        );
    }

    #[test]
    fn loading_runs_the_models_checks_then_the_composers() {
        let mut p = Persona::new_blank("x", "");
        p.languages = vec![Lang::Fr];
        p.tone.formality = Formality::Vous;
        p.templates.push(Template {
            id: "a".into(),
            lang: Lang::Fr,
            text: "{greeting} Tu as revu {mention} ?".into(),
        });
        let source = p.to_ron();
        let model_only: Vec<String> = p
            .validate_fields_in(&source)
            .into_iter()
            .map(|d| d.message)
            .collect();
        assert_eq!(model_only.len(), 1, "{model_only:?}");
        assert!(model_only[0].contains("name is empty"));
        let err = Persona::from_ron_str(&source, Path::new("x.ron")).expect_err("invalid");
        let all: Vec<String> = err.diagnostics().into_iter().map(|d| d.message).collect();
        assert_eq!(all.len(), 2, "{all:?}");
        assert_eq!(all[0], model_only[0], "the model's problems come first");
        assert!(all[1].contains("\"Tu\""), "{all:?}");
        assert_eq!(p.validate().len(), 2);
    }

    #[test]
    fn agreement_needs_topic_grammar() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/personas/cinema-maestro.ron");
        let mut p = Persona::load(path.as_ref()).expect("the shipped persona loads");
        assert!(persona_diagnostics(&p, &Locator::new(&p.to_ron())).is_empty());
        p.topics[0].grammar.clear();
        let source = p.to_ron();
        let problems = persona_diagnostics(&p, &Locator::new(&source));
        assert!(!problems.is_empty());
        assert!(problems.iter().all(|d| d.field == "topics[0].grammar"));
        assert!(problems.iter().all(|d| d.position.is_some()));
    }
}
