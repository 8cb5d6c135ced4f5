//! The checks a persona passes on the model's own, each problem placed in the persona's source
//! text: the format version, ids, names, languages, ranges, topics, template syntax and
//! placeholders, WhatsApp templates, empty lines, the AI disclosure and the policy. The composer
//! adds its own checks after these (`crate::compose::validate`).

use crate::model::diagnostics::Diagnostic;
use crate::model::locate::Locator;
use crate::model::placeholder::{placeholder_problem, placeholders};
use crate::model::policy::{PRESET_NAMES, Policy, PolicyChoice};
use crate::model::{Channel, Lang};

use super::{PERSONA_FORMAT_VERSION, Persona};

impl Persona {
    /// The validation problems the model finds alone, placed in `source` (the text the persona
    /// was read from): ids, names, languages, ranges, template syntax and placeholders, the
    /// policy. The full validation, [`Persona::validate_in`], adds the composer's checks
    /// (`tu`/`vous` consistency, topic grammar) after these; it lives in `crate::compose::validate`.
    pub fn validate_fields_in(&self, source: &str) -> Vec<Diagnostic> {
        let loc = Locator::new(source);
        let mut out = Vec::new();
        let mut push = |d: Diagnostic, anchors: &[&str], needle: &str| {
            let pos = loc.find(anchors, needle);
            out.push(d.at(pos));
        };
        self.check_identity(&mut push);
        self.check_topics(&mut push);
        self.check_templates(&mut push);
        self.check_whatsapp_templates(&mut push);
        self.check_lines(&mut push);
        self.check_ai_disclosure(&mut push);
        self.check_policy(&mut push);
        out
    }

    /// The format version, the id, the name, the languages and the tone's ranges.
    fn check_identity(&self, push: &mut impl FnMut(Diagnostic, &[&str], &str)) {
        if self.version != PERSONA_FORMAT_VERSION {
            push(
                Diagnostic::error(
                    "version",
                    format!(
                        "format version {} is not supported; this build reads version {PERSONA_FORMAT_VERSION}",
                        self.version
                    ),
                ),
                &[],
                "version:",
            );
        }
        if self.id.is_empty()
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            push(
                Diagnostic::error(
                    "id",
                    format!(
                        "the id `{}` must be non-empty lowercase letters, digits and dashes",
                        self.id
                    ),
                ),
                &[],
                "id:",
            );
        }
        if self.name.trim().is_empty() {
            push(Diagnostic::error("name", "the name is empty"), &[], "name:");
        }
        if self.languages.is_empty() {
            push(
                Diagnostic::error("languages", "the persona speaks no language; add fr or en"),
                &[],
                "languages:",
            );
        }
        for (i, lang) in self.languages.iter().enumerate() {
            if self.languages[..i].contains(lang) {
                push(
                    Diagnostic::error("languages", format!("`{lang}` is listed twice")),
                    &[],
                    "languages:",
                );
            }
        }
        for (field, value) in [
            ("tone.warmth", self.tone.warmth),
            ("tone.enthusiasm", self.tone.enthusiasm),
        ] {
            if !(0.0..=1.0).contains(&value) {
                let key = field.trim_start_matches("tone.");
                push(
                    Diagnostic::error(field, format!("{key} must be between 0 and 1, not {value}")),
                    &["tone:"],
                    &format!("{key}:"),
                );
            }
        }
    }

    /// Topic ids (non-empty, unique), keywords, and a name in every language of the persona.
    fn check_topics(&self, push: &mut impl FnMut(Diagnostic, &[&str], &str)) {
        let mut topic_ids: Vec<&str> = Vec::new();
        for (i, topic) in self.topics.iter().enumerate() {
            let field = format!("topics[{i}]");
            let anchor = format!("\"{}\"", topic.id);
            if topic.id.trim().is_empty() {
                push(
                    Diagnostic::error(format!("{field}.id"), "a topic has an empty id"),
                    &["topics:"],
                    "id:",
                );
            } else if topic_ids.contains(&topic.id.as_str()) {
                push(
                    Diagnostic::error(
                        format!("{field}.id"),
                        format!("the topic id `{}` is used twice", topic.id),
                    ),
                    &["topics:"],
                    &anchor,
                );
            }
            topic_ids.push(&topic.id);
            if topic
                .keywords
                .values()
                .all(|k| k.iter().all(|w| w.trim().is_empty()))
            {
                push(
                    Diagnostic::error(
                        format!("{field}.keywords"),
                        format!("the topic `{}` has no keyword to recognise it", topic.id),
                    ),
                    &["topics:", &anchor],
                    "keywords:",
                );
            }
            for lang in &self.languages {
                if topic.name.get(lang).is_none_or(|n| n.trim().is_empty()) {
                    push(
                        Diagnostic::error(
                            format!("{field}.name"),
                            format!("the topic `{}` has no {lang} name", topic.id),
                        ),
                        &["topics:", &anchor],
                        "name:",
                    );
                }
            }
        }
    }

    /// Follow-up templates: ids unique per language, a language the persona speaks, their text.
    fn check_templates(&self, push: &mut impl FnMut(Diagnostic, &[&str], &str)) {
        let mut template_ids: Vec<(&str, Lang)> = Vec::new();
        for (i, t) in self.templates.iter().enumerate() {
            let field = format!("templates[{i}]");
            let anchor = format!("\"{}\"", t.id);
            if t.id.trim().is_empty() {
                push(
                    Diagnostic::error(format!("{field}.id"), "a template has an empty id"),
                    &["templates:"],
                    "id:",
                );
            } else if template_ids.contains(&(t.id.as_str(), t.lang)) {
                push(
                    Diagnostic::error(
                        format!("{field}.id"),
                        format!("the template id `{}` is used twice in {}", t.id, t.lang),
                    ),
                    &["templates:"],
                    &anchor,
                );
            }
            template_ids.push((&t.id, t.lang));
            if !self.languages.contains(&t.lang) {
                push(
                    Diagnostic::error(
                        format!("{field}.lang"),
                        format!(
                            "the template `{}` is in `{}`, which the persona does not speak",
                            t.id, t.lang
                        ),
                    ),
                    &["templates:", &anchor],
                    "lang:",
                );
            }
            check_template_text(
                &t.text,
                &format!("{field}.text"),
                &["templates:", &anchor],
                push,
            );
        }
    }

    /// WhatsApp templates: registered names, language, length and text.
    fn check_whatsapp_templates(&self, push: &mut impl FnMut(Diagnostic, &[&str], &str)) {
        for (i, t) in self.whatsapp_templates.iter().enumerate() {
            let field = format!("whatsapp_templates[{i}]");
            let anchor = format!("\"{}\"", t.name);
            if t.name.trim().is_empty()
                || !t
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                push(
                    Diagnostic::error(
                        format!("{field}.name"),
                        format!(
                            "the WhatsApp template name `{}` must be lowercase letters, digits and underscores",
                            t.name
                        ),
                    ),
                    &["whatsapp_templates:"],
                    "name:",
                );
            }
            if !self.languages.contains(&t.lang) {
                push(
                    Diagnostic::error(
                        format!("{field}.lang"),
                        format!(
                            "the WhatsApp template `{}` is in `{}`, which the persona does not speak",
                            t.name, t.lang
                        ),
                    ),
                    &["whatsapp_templates:", &anchor],
                    "lang:",
                );
            }
            if t.body.chars().count() > Channel::Whatsapp.max_chars() {
                push(
                    Diagnostic::error(
                        format!("{field}.body"),
                        format!(
                            "the WhatsApp template `{}` is longer than {} characters",
                            t.name,
                            Channel::Whatsapp.max_chars()
                        ),
                    ),
                    &["whatsapp_templates:", &anchor],
                    "body:",
                );
            }
            check_template_text(
                &t.body,
                &format!("{field}.body"),
                &["whatsapp_templates:", &anchor],
                push,
            );
        }
    }

    /// No empty greeting, sign-off or signature phrase.
    fn check_lines(&self, push: &mut impl FnMut(Diagnostic, &[&str], &str)) {
        for (what, map) in [
            ("greetings", &self.greetings),
            ("signoffs", &self.signoffs),
            ("signature_phrases", &self.signature_phrases),
        ] {
            for (lang, lines) in map {
                if let Some(j) = lines.iter().position(|l| l.trim().is_empty()) {
                    push(
                        Diagnostic::error(
                            format!("{what}.{lang}[{j}]"),
                            format!("an empty line in the {lang} {what}"),
                        ),
                        &[&format!("{what}:")],
                        "\"\"",
                    );
                }
            }
        }
    }

    /// A positive lapse before the AI disclosure.
    fn check_ai_disclosure(&self, push: &mut impl FnMut(Diagnostic, &[&str], &str)) {
        if self.ai_disclosure.after_days <= 0 {
            push(
                Diagnostic::error(
                    "ai_disclosure.after_days",
                    format!(
                        "the lapse before the AI disclosure must be a positive number of days, not {}",
                        self.ai_disclosure.after_days
                    ),
                ),
                &["ai_disclosure:"],
                "after_days:",
            );
        }
    }

    /// The preset's name, or every rule of a custom policy.
    fn check_policy(&self, push: &mut impl FnMut(Diagnostic, &[&str], &str)) {
        match &self.policy {
            PolicyChoice::Preset(name) => {
                if Policy::preset(name).is_none() {
                    push(
                        Diagnostic::error(
                            "policy",
                            format!(
                                "no preset is named `{name}`; the presets are {}",
                                PRESET_NAMES.join(", ")
                            ),
                        ),
                        &["policy:"],
                        &format!("\"{name}\""),
                    );
                }
            }
            PolicyChoice::Custom(policy) => {
                for d in policy.validate("policy") {
                    let key = d.field.rsplit('.').next().unwrap_or("").to_owned();
                    push(d, &["policy:"], &format!("{key}:"));
                }
            }
        }
    }
}

/// Checks a template text's braces and placeholder names.
fn check_template_text(
    text: &str,
    field: &str,
    anchors: &[&str],
    push: &mut impl FnMut(Diagnostic, &[&str], &str),
) {
    if text.trim().is_empty() {
        push(
            Diagnostic::error(field, "the template text is empty"),
            anchors,
            "text:",
        );
        return;
    }
    match placeholders(text) {
        Err(message) => push(
            Diagnostic::error(field, format!("the template text is malformed: {message}")),
            anchors,
            "{",
        ),
        Ok(refs) => {
            for r in refs {
                if let Some(problem) = placeholder_problem(r.name) {
                    push(
                        Diagnostic::error(field, problem),
                        anchors,
                        &format!("{{{}}}", r.name),
                    );
                }
            }
        }
    }
}
