//! The Persona tab: every field of the persona file with a fitting widget, the validation
//! message beside the field it concerns, and a live preview of the follow-up it would send.
//!
//! The widgets edit a draft copy; a changed draft becomes one [`Command::Edit`].

use egui::{RichText, Ui};

use super::command::Command;
use super::document::{Edit, EditKey};
use super::preview::Preview;
use super::theme;
use super::widgets::{Form, diagnostic_ui};
use crate::model::diagnostics::{Diagnostic, Severity};
use crate::model::persona::{EmojiUse, Formality, PLACEHOLDERS, Template, Topic, WhatsappTemplate};
use crate::model::{Lang, Persona};
use crate::safety::{Category, Classifier, SafetyChecker, percent_of_bp};

/// The share of the tab's width the live preview takes at first.
const PREVIEW_SHARE: f32 = 0.36;

/// The live preview's narrowest width, in points.
const PREVIEW_MIN_WIDTH: f32 = 280.0;

/// The live preview's widest width at first, in points (wider reads as long lines).
const PREVIEW_MAX_WIDTH: f32 = 560.0;

/// Shows the Persona tab: the form, and the preview beside it.
pub fn persona_ui(
    ui: &mut Ui,
    persona: &Persona,
    avatar: Option<Result<egui::TextureHandle, String>>,
    diagnostics: &[Diagnostic],
    previews: &[Preview],
    commands: &mut Vec<Command>,
) {
    // The form and the preview share the width: about a third for the preview, never so much
    // that the form's fields and cards get narrower than the preview.
    let width = ui.available_width();
    egui::Panel::right("persona preview")
        .resizable(true)
        .default_size((width * PREVIEW_SHARE).clamp(PREVIEW_MIN_WIDTH, PREVIEW_MAX_WIDTH))
        .size_range(PREVIEW_MIN_WIDTH..=(width * 0.5).max(PREVIEW_MIN_WIDTH))
        .show(ui, |ui| preview_ui(ui, previews));
    egui::CentralPanel::default().show(ui, |ui| {
        // Vertical only: the form follows the panel's width, so long labels wrap and rows of
        // choices flow onto a second line instead of pushing the fields out of sight.
        egui::ScrollArea::vertical()
            .id_salt("persona form")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                let mut draft = persona.clone();
                let mut form = Form::new(diagnostics);
                avatar_ui(ui, persona, avatar.as_ref());
                summary_ui(ui, diagnostics);
                form_ui(ui, &mut draft, &mut form);
                if draft != *persona {
                    commands.push(Command::Edit(
                        Edit::Persona(Box::new(draft)),
                        EditKey::new(form.changed.unwrap_or_default()),
                    ));
                }
            });
    });
}

/// The persona's avatar, large, beside its name; why it cannot be shown when it cannot.
fn avatar_ui(ui: &mut Ui, persona: &Persona, avatar: Option<&Result<egui::TextureHandle, String>>) {
    match avatar {
        None => {}
        Some(Ok(texture)) => {
            ui.horizontal(|ui| {
                super::avatar::avatar_image_ui(ui, texture, 112.0)
                    .on_hover_text(persona.avatar.clone().unwrap_or_default());
                ui.vertical(|ui| {
                    ui.heading(&persona.name);
                    if let Some(file) = &persona.avatar {
                        ui.label(RichText::new(format!("avatar {file}")).weak());
                    }
                });
            });
            ui.add_space(6.0);
        }
        Some(Err(e)) => {
            ui.colored_label(
                theme::readable(ui.visuals(), theme::WARNING),
                format!("the avatar cannot be shown: {e}"),
            );
        }
    }
}

fn summary_ui(ui: &mut Ui, diagnostics: &[Diagnostic]) {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    if diagnostics.is_empty() {
        ui.label(
            RichText::new("valid: the same checks as `relance check` pass")
                .color(theme::readable(ui.visuals(), theme::PASS)),
        );
    } else {
        ui.collapsing(
            RichText::new(format!(
                "{errors} error{}, {warnings} warning{} (the same checks as `relance check`)",
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" }
            ))
            .color(theme::readable(
                ui.visuals(),
                if errors > 0 {
                    theme::ERROR
                } else {
                    theme::WARNING
                },
            )),
            |ui| {
                for d in diagnostics {
                    ui.horizontal_wrapped(|ui| {
                        ui.monospace(&d.field);
                        diagnostic_ui(ui, d);
                    });
                }
            },
        );
    }
    ui.separator();
}

fn form_ui(ui: &mut Ui, p: &mut Persona, form: &mut Form<'_>) {
    section(ui, "identity", |ui| identity_ui(ui, p, form));
    section(ui, "tone", |ui| tone_ui(ui, p, form));
    section(ui, "greetings, sign-offs and signature phrases", |ui| {
        phrases_ui(ui, p, form)
    });
    section(ui, "topics", |ui| topics_ui(ui, p, form));
    section(ui, "lexicon", |ui| {
        ui.label("Films, people, places the persona recognises in user messages and may echo.");
        form.chips(ui, "lexicon", "lexicon", &mut p.lexicon);
    });
    section(ui, "follow-up templates", |ui| templates_ui(ui, p, form));
    section(ui, "WhatsApp approved templates", |ui| {
        whatsapp_ui(ui, p, form)
    });
    section(ui, "safety", |ui| safety_ui(ui, p, form));
    section(ui, "AI disclosure", |ui| disclosure_ui(ui, p, form));
}

fn section(ui: &mut Ui, title: &str, add: impl FnOnce(&mut Ui)) {
    egui::CollapsingHeader::new(RichText::new(title).strong())
        .default_open(true)
        .show(ui, add);
}

fn identity_ui(ui: &mut Ui, p: &mut Persona, form: &mut Form<'_>) {
    form.text(ui, "name", "name", &mut p.name);
    form.text(ui, "id", "id", &mut p.id);
    ui.label(RichText::new(format!("file format version {}", p.version)).weak());
    form.problems_ui(ui, "version");
    ui.horizontal_wrapped(|ui| {
        ui.label("languages");
        for lang in Lang::ALL {
            let mut on = p.languages.contains(&lang);
            let label = format!("speaks {}", lang.native_name());
            if ui.checkbox(&mut on, label).changed() {
                if on {
                    p.languages.push(lang);
                } else {
                    p.languages.retain(|l| *l != lang);
                }
                form.note("languages", true);
            }
        }
        if p.languages.len() > 1 {
            ui.separator();
            ui.label("default");
            let first = p.first_language();
            for lang in p.languages.clone() {
                if ui
                    .selectable_label(first == lang, format!("default {}", lang.code()))
                    .clicked()
                    && first != lang
                {
                    p.languages.retain(|l| *l != lang);
                    p.languages.insert(0, lang);
                    form.note("languages", true);
                }
            }
        }
    });
    form.problems_under_ui(ui, "languages");
    for lang in p.languages.clone() {
        localized_text(ui, form, &mut p.tagline, lang, "tagline", 1);
    }
    for lang in p.languages.clone() {
        localized_text(ui, form, &mut p.description, lang, "description", 3);
    }
    form.chips(ui, "traits", "traits", &mut p.traits);
    ui.weak("Forbidden topics are never raised, beyond the built-in sensitive categories.");
    form.chips(
        ui,
        "forbidden_topics",
        "forbidden topics",
        &mut p.forbidden_topics,
    );
}

/// A text of a `Localized<String>` map for one language; empty text removes the entry.
fn localized_text(
    ui: &mut Ui,
    form: &mut Form<'_>,
    map: &mut crate::model::persona::Localized<String>,
    lang: Lang,
    what: &str,
    rows: usize,
) {
    let mut text = map.get(&lang).cloned().unwrap_or_default();
    let field = format!("{what}.{lang}");
    let label = format!("{what} ({lang})");
    let changed = if rows > 1 {
        form.multiline(ui, &field, &label, &mut text, rows)
    } else {
        form.text(ui, &field, &label, &mut text)
    };
    if changed {
        if text.is_empty() {
            map.remove(&lang);
        } else {
            map.insert(lang, text);
        }
    }
}

fn tone_ui(ui: &mut Ui, p: &mut Persona, form: &mut Form<'_>) {
    let warmth = ui
        .add(egui::Slider::new(&mut p.tone.warmth, 0.0..=1.0).text("warmth (cool to very warm)"))
        .changed();
    form.note("tone.warmth", warmth);
    form.problems_ui(ui, "tone.warmth");
    let enthusiasm = ui
        .add(
            egui::Slider::new(&mut p.tone.enthusiasm, 0.0..=1.0)
                .text("enthusiasm (calm to exuberant)"),
        )
        .changed();
    form.note("tone.enthusiasm", enthusiasm);
    form.problems_ui(ui, "tone.enthusiasm");
    ui.horizontal_wrapped(|ui| {
        ui.label("addresses French users with");
        let a = ui
            .radio_value(&mut p.tone.formality, Formality::Tu, "tu")
            .changed();
        let b = ui
            .radio_value(&mut p.tone.formality, Formality::Vous, "vous")
            .changed();
        form.note("tone.formality", a || b);
    });
    ui.horizontal_wrapped(|ui| {
        ui.label("emoji");
        let mut changed = false;
        for (value, label) in [
            (EmojiUse::None, "no emoji"),
            (EmojiUse::Light, "light emoji"),
            (EmojiUse::Frequent, "frequent emoji"),
        ] {
            changed |= ui.radio_value(&mut p.tone.emoji, value, label).changed();
        }
        form.note("tone.emoji", changed);
    });
    form.chips(ui, "tone.emoji_set", "emoji set", &mut p.tone.emoji_set);
}

fn phrases_ui(ui: &mut Ui, p: &mut Persona, form: &mut Form<'_>) {
    for (what, label) in [
        ("greetings", "greetings"),
        ("signoffs", "sign-offs"),
        ("signature_phrases", "signature phrases"),
    ] {
        for lang in p.languages.clone() {
            let map = match what {
                "greetings" => &mut p.greetings,
                "signoffs" => &mut p.signoffs,
                _ => &mut p.signature_phrases,
            };
            let mut lines = map.get(&lang).cloned().unwrap_or_default();
            let field = format!("{what}.{lang}");
            if form.lines(ui, &field, &format!("{label} ({lang})"), &mut lines) {
                if lines.is_empty() {
                    map.remove(&lang);
                } else {
                    map.insert(lang, lines);
                }
            }
        }
    }
}

fn topics_ui(ui: &mut Ui, p: &mut Persona, form: &mut Form<'_>) {
    ui.label(
        "Topics are recognised in user messages by their keywords (case and accents ignored).",
    );
    let langs = p.languages.clone();
    let mut remove = None;
    for (i, topic) in p.topics.iter_mut().enumerate() {
        ui.push_id(("topic", i), |ui| {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.strong(format!("topic {}", i + 1));
                    if ui.small_button(format!("remove topic {}", i + 1)).clicked() {
                        remove = Some(i);
                    }
                });
                let base = format!("topics[{i}]");
                form.text(ui, &format!("{base}.id"), "topic id", &mut topic.id);
                for lang in &langs {
                    let mut name = topic.name.get(lang).cloned().unwrap_or_default();
                    if form.text(
                        ui,
                        &format!("{base}.name.{lang}"),
                        &format!("topic name ({lang})"),
                        &mut name,
                    ) {
                        topic.name.insert(*lang, name);
                    }
                }
                form.problems_ui(ui, &format!("{base}.name"));
                for lang in &langs {
                    let mut words = topic.keywords.get(lang).cloned().unwrap_or_default();
                    if form.chips(
                        ui,
                        &format!("{base}.keywords.{lang}"),
                        &format!("keywords ({lang})"),
                        &mut words,
                    ) {
                        topic.keywords.insert(*lang, words);
                    }
                }
                form.problems_ui(ui, &format!("{base}.keywords"));
            });
        });
    }
    if let Some(i) = remove {
        p.topics.remove(i);
        form.note("topics", true);
    }
    if ui.button("add topic").clicked() {
        let n = p.topics.len() + 1;
        p.topics.push(Topic {
            id: format!("topic-{n}"),
            name: langs.iter().map(|l| (*l, format!("topic {n}"))).collect(),
            keywords: Default::default(),
            grammar: Default::default(),
        });
        form.note("topics", true);
    }
}

fn placeholders_ui(ui: &mut Ui) {
    ui.collapsing("available placeholders", |ui| {
        egui::Grid::new("placeholders")
            .num_columns(2)
            .show(ui, |ui| {
                for (name, what) in PLACEHOLDERS {
                    ui.monospace(format!("{{{name}}}"));
                    ui.label(what);
                    ui.end_row();
                }
            });
    });
}

fn lang_choice(ui: &mut Ui, id: impl egui::AsIdSalt, langs: &[Lang], lang: &mut Lang) -> bool {
    let mut changed = false;
    egui::ComboBox::from_id_salt(id)
        .selected_text(lang.code())
        .width(50.0)
        .show_ui(ui, |ui| {
            for l in Lang::ALL {
                let label = if langs.contains(&l) {
                    l.code().to_owned()
                } else {
                    format!("{} (not spoken)", l.code())
                };
                changed |= ui.selectable_value(lang, l, label).changed();
            }
        });
    changed
}

fn templates_ui(ui: &mut Ui, p: &mut Persona, form: &mut Form<'_>) {
    ui.label(
        "Follow-up texts; the composer picks one the conversation can fill, and never the same \
         twice in a row.",
    );
    placeholders_ui(ui);
    let langs = p.languages.clone();
    let mut remove = None;
    for (i, t) in p.templates.iter_mut().enumerate() {
        ui.push_id(("template", i), |ui| {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                let base = format!("templates[{i}]");
                ui.horizontal_wrapped(|ui| {
                    ui.strong(format!("template {}", i + 1));
                    ui.label("language");
                    if lang_choice(ui, ("template lang", i), &langs, &mut t.lang) {
                        form.note(&format!("{base}.lang"), true);
                    }
                    if ui
                        .small_button(format!("remove template {}", i + 1))
                        .clicked()
                    {
                        remove = Some(i);
                    }
                });
                form.problems_ui(ui, &format!("{base}.lang"));
                form.text(ui, &format!("{base}.id"), "template id", &mut t.id);
                form.multiline(
                    ui,
                    &format!("{base}.text"),
                    &format!("template text {}", i + 1),
                    &mut t.text,
                    2,
                );
            });
        });
    }
    if let Some(i) = remove {
        p.templates.remove(i);
        form.note("templates", true);
    }
    if ui.button("add template").clicked() {
        let lang = p.first_language();
        p.templates.push(Template {
            id: format!("template-{}", p.templates.len() + 1),
            lang,
            text: match lang {
                Lang::Fr => "{greeting} Je repensais à notre conversation sur {topic}. {signoff}",
                Lang::En => "{greeting} I was thinking about our chat on {topic}. {signoff}",
            }
            .to_owned(),
        });
        form.note("templates", true);
    }
}

fn whatsapp_ui(ui: &mut Ui, p: &mut Persona, form: &mut Form<'_>) {
    ui.label(
        "On WhatsApp, only pre-approved templates may open a conversation after 24 hours; without \
         one in the user's language the follow-up is held back.",
    );
    let langs = p.languages.clone();
    let mut remove = None;
    for (i, t) in p.whatsapp_templates.iter_mut().enumerate() {
        ui.push_id(("whatsapp", i), |ui| {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                let base = format!("whatsapp_templates[{i}]");
                ui.horizontal_wrapped(|ui| {
                    ui.strong(format!("WhatsApp template {}", i + 1));
                    ui.label("language");
                    if lang_choice(ui, ("whatsapp lang", i), &langs, &mut t.lang) {
                        form.note(&format!("{base}.lang"), true);
                    }
                    if ui
                        .small_button(format!("remove WhatsApp template {}", i + 1))
                        .clicked()
                    {
                        remove = Some(i);
                    }
                });
                form.problems_ui(ui, &format!("{base}.lang"));
                form.text(ui, &format!("{base}.name"), "registered name", &mut t.name);
                form.multiline(
                    ui,
                    &format!("{base}.body"),
                    &format!("WhatsApp body {}", i + 1),
                    &mut t.body,
                    2,
                );
            });
        });
    }
    if let Some(i) = remove {
        p.whatsapp_templates.remove(i);
        form.note("whatsapp_templates", true);
    }
    if ui.button("add WhatsApp template").clicked() {
        let lang = p.first_language();
        p.whatsapp_templates.push(WhatsappTemplate {
            name: format!("{}_checkin_{}", p.id.replace('-', "_"), lang.code()),
            lang,
            body: "{greeting} {signoff}".to_owned(),
        });
        form.note("whatsapp_templates", true);
    }
}

fn safety_ui(ui: &mut Ui, p: &mut Persona, form: &mut Form<'_>) {
    ui.label(
        "Phrases added to the built-in sensitive-topic lexicons for this persona, and phrases \
         never to flag. A trained crisis classifier reads every message too; it is always on, \
         and may only be made stricter.",
    );
    for category in Category::ALL {
        let mut phrases = p.safety.phrases.get(&category).cloned().unwrap_or_default();
        let label = format!(
            "{}{}",
            category.as_str().replace('_', " "),
            if category.is_blocking() {
                " (holds follow-ups back)"
            } else {
                ""
            }
        );
        if form.chips(
            ui,
            &format!("safety.phrases.{}", category.as_str()),
            &label,
            &mut phrases,
        ) {
            if phrases.is_empty() {
                p.safety.phrases.remove(&category);
            } else {
                p.safety.phrases.insert(category, phrases);
            }
        }
    }
    form.chips(ui, "safety.allow", "never flag", &mut p.safety.allow);
    crisis_threshold_ui(ui, p, form);
}

/// The crisis classifier is always on; a persona may only lower its threshold (stricter).
fn crisis_threshold_ui(ui: &mut Ui, p: &mut Persona, form: &mut Form<'_>) {
    let classifier = Classifier::builtin();
    let floor = SafetyChecker::crisis_floor();
    // Above the prior, where a message the model finds nothing in would be a crisis.
    let lowest = ((classifier.prior() * 100.0).floor() + 1.0) / 100.0;
    let mut stricter = p.safety.crisis_threshold.is_some();
    let shipped: Vec<String> = Lang::ALL
        .iter()
        .map(|&l| format!("{:.2} {}", classifier.threshold(Some(l)), l.native_name()))
        .collect();
    let toggled = ui
        .checkbox(
            &mut stricter,
            format!(
                "stricter crisis classifier (shipped thresholds: {})",
                shipped.join(", ")
            ),
        )
        .on_hover_text(
            "The crisis classifier is always on, and reads each user's messages at the \
             threshold of the user's language. A persona's threshold applies in every language \
             whose own is higher: a lower threshold holds more follow-ups back as crisis cases; \
             one above every language's is not allowed.",
        )
        .changed();
    if toggled {
        // Ticked, a threshold a little under the highest, so that the file asks for a stricter
        // check than the one it would get anyway, at a cost the designer can accept (lower,
        // the linter warns about it).
        p.safety.crisis_threshold = stricter.then_some(((floor - 0.05) * 100.0).round() / 100.0);
    }
    let mut moved = false;
    // A threshold the file set out of range stays as written (its diagnostic says so) until
    // the designer moves the slider. The label comes first, in a wrapping row, so that a
    // narrow form puts the slider under it rather than cutting the label off.
    if let Some(t) = &mut p.safety.crisis_threshold {
        moved = ui
            .horizontal_wrapped(|ui| {
                let l = ui.label("crisis threshold (lower holds more back)");
                // The slider with its value box.
                let spacing = ui.spacing();
                let slider_width =
                    spacing.slider_width + spacing.item_spacing.x + spacing.interact_size.x;
                super::widgets::end_row_unless_fits(ui, slider_width);
                ui.add(
                    egui::Slider::new(t, lowest..=floor)
                        .clamping(egui::SliderClamping::Edits)
                        .fixed_decimals(2),
                )
                .labelled_by(l.id)
                .changed()
            })
            .inner;
    }
    // What the threshold costs ordinary users, measured when the model was trained; when it is
    // costly, the linter's warning below says it.
    if let Some(cost) = p.safety.crisis_threshold_cost()
        && !cost.is_costly()
    {
        ui.weak(format!(
            "ordinary dev chat read as a crisis: {} % ({} % at the shipped thresholds)",
            percent_of_bp(cost.flagged_bp),
            percent_of_bp(cost.flagged_at_floor_bp),
        ))
        .on_hover_text(
            "The share of the team's development chat (ordinary messages to persona bots) that \
             this threshold reads as a crisis, measured when the model was trained. Each such \
             user gets no follow-up; on new users' messages the share is somewhat higher.",
        );
    }
    form.note("safety.crisis_threshold", toggled || moved);
    form.problems_ui(ui, "safety.crisis_threshold");
}

fn disclosure_ui(ui: &mut Ui, p: &mut Persona, form: &mut Form<'_>) {
    let d = &mut p.ai_disclosure;
    let enabled = ui
        .checkbox(&mut d.enabled, "AI reminder after a long lapse")
        .changed();
    form.note("ai_disclosure.enabled", enabled);
    let after = super::widgets::count_ui(
        ui,
        "a long lapse is at least",
        &mut d.after_days,
        1..=365,
        " days",
    );
    form.note("ai_disclosure.after_days", after.changed());
    form.problems_ui(ui, "ai_disclosure.after_days");
    for lang in p.languages.clone() {
        let d = &mut p.ai_disclosure;
        let mut text = d.text.get(&lang).cloned().unwrap_or_default();
        let field = format!("ai_disclosure.text.{lang}");
        let changed = ui
            .horizontal(|ui| {
                let l = ui.label(format!("reminder ({lang})"));
                ui.add(
                    egui::TextEdit::singleline(&mut text)
                        .hint_text(d.line(lang))
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(l.id)
                .changed()
            })
            .inner;
        if form.note(&field, changed) {
            if text.is_empty() {
                d.text.remove(&lang);
            } else {
                d.text.insert(lang, text);
            }
        }
    }
}

fn preview_ui(ui: &mut Ui, previews: &[Preview]) {
    ui.heading("live preview");
    ui.label(
        RichText::new(
            "What this persona would send after a sample conversation (six messages in two days, \
             then silence), under the omni preset. Updated as you type.",
        )
        .weak(),
    );
    egui::ScrollArea::vertical()
        .id_salt("preview scroll")
        .show(ui, |ui| {
            for p in previews {
                ui.separator();
                ui.strong(format!("{} · {}", p.lang.native_name(), p.channel));
                egui::CollapsingHeader::new(format!("sample conversation ({})", p.lang))
                    .id_salt(("sample", p.lang, p.channel))
                    .show(ui, |ui| {
                        for line in &p.conversation {
                            ui.label(format!("› {line}"));
                        }
                    });
                match (&p.text, &p.held_back) {
                    (Some(text), _) => {
                        egui::Frame::new()
                            .fill(ui.visuals().faint_bg_color)
                            .stroke(egui::Stroke::new(1.5, theme::SENT))
                            .corner_radius(8.0)
                            .inner_margin(8.0)
                            .show(ui, |ui| {
                                ui.label(RichText::new(text).size(14.0));
                            });
                    }
                    (None, Some(reason)) => {
                        ui.label(
                            RichText::new(format!("held back: {reason}"))
                                .color(theme::readable(ui.visuals(), theme::FAIL)),
                        );
                    }
                    (None, None) => {}
                }
                for step in &p.steps {
                    ui.label(
                        RichText::new(format!(
                            "{} {}",
                            if step.passed { "pass" } else { "FAIL" },
                            step.detail
                        ))
                        .size(theme::SMALL_TEXT_PX)
                        .color(theme::readable(
                            ui.visuals(),
                            if step.passed {
                                theme::PASS
                            } else {
                                theme::FAIL
                            },
                        )),
                    );
                }
            }
        });
}
