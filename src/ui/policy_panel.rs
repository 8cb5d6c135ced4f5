//! The Policy tab: pick a preset or tune every parameter, each rule explained in one plain
//! sentence next to its controls. Editing a preset turns it into a custom policy, saved with the
//! persona.

use egui::{Align, Layout, RichText, Ui};

use super::command::Command;
use super::document::{Edit, EditKey};
use super::theme;
use super::widgets::{Form, count_ui, time_of_day_ui};
use crate::model::diagnostics::Diagnostic;
use crate::model::policy::{
    Anchor, MinMessages, PRESET_NAMES, Policy, PolicyChoice, QuietHours, Rule, Wellbeing, Window,
};
use crate::model::{Persona, policy::hours_phrase};

/// The name a preset gets when the designer edits it.
pub const CUSTOM_NAME: &str = "custom";

/// The label of the custom choice in the preset list.
const CUSTOM_CHOICE: &str = "custom";

/// Shows the Policy tab.
pub fn policy_ui(
    ui: &mut Ui,
    persona: &Persona,
    diagnostics: &[Diagnostic],
    commands: &mut Vec<Command>,
) {
    egui::ScrollArea::vertical()
        .id_salt("policy form")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let mut choice = persona.policy.clone();
            let mut form = Form::new(diagnostics);
            choice_ui(ui, &mut choice, &mut form);
            ui.separator();
            match choice.resolve() {
                Some(resolved) => {
                    let mut policy = resolved.clone();
                    parameters_ui(ui, &mut policy, &choice, &mut form);
                    if policy != resolved {
                        if matches!(choice, PolicyChoice::Preset(_)) {
                            policy.name = CUSTOM_NAME.to_owned();
                        }
                        choice = PolicyChoice::Custom(policy);
                    }
                }
                None => {
                    form.problems_ui(ui, "policy");
                    ui.label("Pick a preset above to go on.");
                }
            }
            if choice != persona.policy {
                let mut draft = persona.clone();
                draft.policy = choice;
                commands.push(Command::Edit(
                    Edit::Persona(Box::new(draft)),
                    EditKey::new(form.changed.unwrap_or_else(|| "policy".to_owned())),
                ));
            }
        });
}

fn choice_ui(ui: &mut Ui, choice: &mut PolicyChoice, form: &mut Form<'_>) {
    ui.horizontal(|ui| {
        let label = ui.label(RichText::new("policy").strong());
        let current = match choice {
            PolicyChoice::Preset(name) => name.clone(),
            PolicyChoice::Custom(_) => CUSTOM_CHOICE.to_owned(),
        };
        let mut picked = current.clone();
        egui::ComboBox::from_id_salt("policy preset")
            .selected_text(&picked)
            .show_ui(ui, |ui| {
                for name in PRESET_NAMES {
                    ui.selectable_value(&mut picked, name.to_owned(), name);
                }
                ui.selectable_value(&mut picked, CUSTOM_CHOICE.to_owned(), CUSTOM_CHOICE);
            })
            .response
            .labelled_by(label.id);
        if picked != current {
            if picked == CUSTOM_CHOICE {
                if let Some(mut p) = choice.resolve() {
                    p.name = CUSTOM_NAME.to_owned();
                    *choice = PolicyChoice::Custom(p);
                }
            } else {
                *choice = PolicyChoice::Preset(picked);
            }
            form.note("policy", true);
        }
        match choice {
            PolicyChoice::Preset(_) => {
                ui.weak("a built-in preset; editing any value below makes it a custom policy");
            }
            PolicyChoice::Custom(p) => {
                let l = ui.label("name");
                let changed = ui
                    .add(egui::TextEdit::singleline(&mut p.name).desired_width(160.0))
                    .labelled_by(l.id)
                    .changed();
                form.note("policy.name", changed);
                ui.weak("saved with the persona");
            }
        }
    });
    form.problems_ui(ui, "policy.name");
}

/// A section: controls on the left, the rule's plain sentence on the right, a separator between
/// them exactly as tall as the taller of the two (never the rest of the view).
fn rule_row(ui: &mut Ui, title: &str, sentence: &str, controls: impl FnOnce(&mut Ui)) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal_top(|ui| {
            let left = ui
                .allocate_ui_with_layout(
                    egui::vec2(430.0, 0.0),
                    Layout::top_down(Align::Min),
                    |ui| {
                        ui.set_min_width(430.0);
                        ui.strong(title);
                        controls(ui);
                    },
                )
                .response
                .rect;
            let (gap, _) = ui.allocate_exact_size(egui::vec2(8.0, 0.0), egui::Sense::hover());
            let right = ui
                .add(egui::Label::new(RichText::new(sentence).italics()).wrap())
                .rect;
            let stroke = ui.visuals().widgets.noninteractive.bg_stroke;
            ui.painter().vline(
                gap.center().x,
                left.top().min(right.top())..=left.bottom().max(right.bottom()),
                stroke,
            );
        });
    });
}

/// A section whose controls need the whole width: title, sentence, then the controls.
fn wide_rule_block(ui: &mut Ui, title: &str, sentence: &str, controls: impl FnOnce(&mut Ui)) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.strong(title);
        ui.add(egui::Label::new(RichText::new(sentence).italics()).wrap());
        controls(ui);
    });
}

fn parameters_ui(ui: &mut Ui, p: &mut Policy, choice: &PolicyChoice, form: &mut Form<'_>) {
    let prefix = match choice {
        PolicyChoice::Preset(_) => "policy",
        PolicyChoice::Custom(_) => "policy",
    };
    let f = |name: &str| format!("{prefix}.{name}");
    let sentences = p.sentences();
    let sentence = |key: &str| {
        sentences
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| "This check is not applied.".to_owned())
    };

    rule_row(ui, "timing", &sentence("timing"), |ui| {
        let r = count_ui(ui, "follow-up delay", &mut p.delay_hours, 1..=24 * 60, " h");
        form.note(&f("delay_hours"), r.changed());
        ui.weak(format!("= {}", hours_phrase(p.delay_hours)));
        form.problems_ui(ui, &f("delay_hours"));
        let r = count_ui(
            ui,
            "follow-ups per silence at most",
            &mut p.max_nudges_per_silence,
            1..=20,
            "",
        );
        form.note(&f("max_nudges_per_silence"), r.changed());
        form.problems_ui(ui, &f("max_nudges_per_silence"));
        ui.add_enabled_ui(p.max_nudges_per_silence > 1, |ui| {
            let r = count_ui(
                ui,
                "repeat every",
                &mut p.repeat_every_hours,
                1..=24 * 60,
                " h",
            );
            form.note(&f("repeat_every_hours"), r.changed());
        });
        form.problems_ui(ui, &f("repeat_every_hours"));
    });

    rule_row(ui, "quiet hours", &sentence("quiet_hours"), |ui| {
        let mut on = p.quiet_hours.is_some();
        if ui
            .checkbox(&mut on, "no follow-up at night (user's time zone)")
            .changed()
        {
            p.quiet_hours = on.then(|| {
                Policy::omni().quiet_hours.unwrap_or(QuietHours {
                    start: chrono::NaiveTime::MIN,
                    end: chrono::NaiveTime::MIN,
                })
            });
            form.note(&f("quiet_hours"), true);
        }
        if let Some(q) = &mut p.quiet_hours {
            let a = time_of_day_ui(ui, "quiet from", &mut q.start);
            let b = time_of_day_ui(ui, "quiet until", &mut q.end);
            form.note(&f("quiet_hours"), a || b);
        }
        form.problems_ui(ui, &f("quiet_hours"));
    });

    ui.add_space(4.0);
    ui.strong("checks, in the order the engine applies them (the first that fails holds the follow-up back)");
    let mut move_up = None;
    let mut remove = None;
    let order = p.order.clone();
    for (i, rule) in order.iter().enumerate() {
        ui.push_id(("rule", rule.as_str()), |ui| {
            let title = rule_title(*rule);
            rule_row(ui, title, &sentence(rule.as_str()), |ui| {
                ui.horizontal(|ui| {
                    if i > 0 && ui.small_button(format!("move {title} up")).clicked() {
                        move_up = Some(i);
                    }
                    if !Rule::MANDATORY.contains(rule)
                        && ui.small_button(format!("remove {title}")).clicked()
                    {
                        remove = Some(i);
                    }
                    if Rule::MANDATORY.contains(rule) {
                        ui.weak("mandatory");
                    }
                });
                rule_controls_ui(ui, *rule, p, form, &f);
            });
        });
    }
    if let Some(i) = move_up {
        p.order.swap(i - 1, i);
        form.note(&f("order"), true);
    }
    if let Some(i) = remove {
        p.order.remove(i);
        form.note(&f("order"), true);
    }
    form.problems_ui(ui, &f("order"));
    let missing: Vec<Rule> = Rule::ALL
        .into_iter()
        .filter(|r| !p.order.contains(r))
        .collect();
    if !missing.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label("not checked");
            for rule in missing {
                if ui.button(format!("add {}", rule_title(rule))).clicked() {
                    p.order.push(rule);
                    match rule {
                        Rule::Wellbeing if p.wellbeing.is_none() => {
                            p.wellbeing = Some(Wellbeing::default());
                        }
                        Rule::WindowExpired if p.window.is_none() => {
                            p.window = Policy::omni().window;
                        }
                        Rule::TooFewMessages if p.min_messages.is_none() => {
                            p.min_messages = Policy::omni().min_messages;
                        }
                        _ => {}
                    }
                    form.note(&f("order"), true);
                }
            }
        });
    }

    ui.add_space(4.0);
    wide_rule_block(
        ui,
        "crisis referrals",
        "When a self-harm message holds a follow-up back, the studio shows the referral for the \
         user's locale (exact locale, then language, then en).",
        |ui| referrals_ui(ui, p, form, &f),
    );
}

fn rule_title(rule: Rule) -> &'static str {
    match rule {
        Rule::Minor => "minors",
        Rule::OptedOut => "opt-out",
        Rule::Sensitive => "sensitive topics",
        Rule::Wellbeing => "wellbeing",
        Rule::WindowExpired => "follow-up window",
        Rule::TooFewMessages => "message count",
    }
}

fn anchor_ui(ui: &mut Ui, id: &str, anchor: &mut Anchor, allowed: &[Anchor]) -> bool {
    let mut changed = false;
    ui.horizontal(|ui| {
        let l = ui.label("counted from");
        egui::ComboBox::from_id_salt(id)
            .selected_text(anchor.describe())
            .show_ui(ui, |ui| {
                for a in allowed {
                    changed |= ui.selectable_value(anchor, *a, a.describe()).changed();
                }
            })
            .response
            .labelled_by(l.id);
    });
    changed
}

fn rule_controls_ui(
    ui: &mut Ui,
    rule: Rule,
    p: &mut Policy,
    form: &mut Form<'_>,
    f: &dyn Fn(&str) -> String,
) {
    match rule {
        Rule::Minor => {
            let r = count_ui(ui, "minimum age", &mut p.minor_age, 18..=120, " years");
            form.note(&f("minor_age"), r.changed());
            form.problems_ui(ui, &f("minor_age"));
        }
        Rule::OptedOut => {
            form.chips(
                ui,
                &f("opt_out_words"),
                "opt-out words",
                &mut p.opt_out_words,
            );
        }
        Rule::Sensitive => {
            let r = count_ui(
                ui,
                "cooldown after a sensitive message",
                &mut p.sensitive_cooldown_days,
                crate::model::policy::MIN_SENSITIVE_COOLDOWN_DAYS..=365,
                " days",
            );
            form.note(&f("sensitive_cooldown_days"), r.changed());
            form.problems_ui(ui, &f("sensitive_cooldown_days"));
        }
        Rule::Wellbeing => {
            let mut on = p.wellbeing.is_some();
            if ui.checkbox(&mut on, "check compulsive use").changed() {
                p.wellbeing = on.then(Wellbeing::default);
                form.note(&f("wellbeing"), true);
            }
            if let Some(w) = &mut p.wellbeing {
                let r = count_ui(
                    ui,
                    "more messages in 7 days than",
                    &mut w.max_messages_7d,
                    1..=10_000,
                    "",
                );
                form.note(&f("wellbeing.max_messages_7d"), r.changed());
                let r = count_ui(
                    ui,
                    "or nights with messages in 7 days, at least",
                    &mut w.min_nights_7d,
                    1..=7,
                    "",
                );
                form.note(&f("wellbeing.min_nights_7d"), r.changed());
                let a = time_of_day_ui(ui, "night from", &mut w.night_start);
                let b = time_of_day_ui(ui, "night until", &mut w.night_end);
                form.note(&f("wellbeing.night_start"), a || b);
            }
            form.problems_under_ui(ui, &f("wellbeing"));
        }
        Rule::WindowExpired => {
            let mut on = p.window.is_some();
            if ui.checkbox(&mut on, "limit the follow-up window").changed() {
                p.window = on.then(|| {
                    Policy::omni().window.unwrap_or(Window {
                        days: 14,
                        anchor: Anchor::LastMessage,
                    })
                });
                form.note(&f("window"), true);
            }
            if let Some(w) = &mut p.window {
                let r = count_ui(ui, "window length", &mut w.days, 1..=365, " days");
                form.note(&f("window.days"), r.changed());
                let c = anchor_ui(
                    ui,
                    "window anchor",
                    &mut w.anchor,
                    &[Anchor::LastMessage, Anchor::ConversationStart],
                );
                form.note(&f("window.anchor"), c);
            }
            form.problems_under_ui(ui, &f("window"));
        }
        Rule::TooFewMessages => {
            let mut on = p.min_messages.is_some();
            if ui
                .checkbox(&mut on, "require a minimum of messages")
                .changed()
            {
                p.min_messages = on.then(|| {
                    Policy::omni().min_messages.unwrap_or(MinMessages {
                        count: 5,
                        days: 14,
                        anchor: Anchor::SendTime,
                    })
                });
                form.note(&f("min_messages"), true);
            }
            if let Some(m) = &mut p.min_messages {
                let r = count_ui(ui, "minimum messages", &mut m.count, 1..=1000, "");
                form.note(&f("min_messages.count"), r.changed());
                let r = count_ui(ui, "within", &mut m.days, 1..=365, " days");
                form.note(&f("min_messages.days"), r.changed());
                let c = anchor_ui(ui, "count anchor", &mut m.anchor, &Anchor::ALL);
                form.note(&f("min_messages.anchor"), c);
            }
            form.problems_under_ui(ui, &f("min_messages"));
        }
    }
}

fn referrals_ui(ui: &mut Ui, p: &mut Policy, form: &mut Form<'_>, f: &dyn Fn(&str) -> String) {
    let mut remove = None;
    let mut rename: Option<(String, String)> = None;
    // Rows of their own rather than a grid: a grid sizes its columns from the previous frame
    // and squeezed these fields to a few letters.
    let referral_width = (ui.available_width() - 130.0).max(200.0);
    for (locale, text) in p.crisis_referrals.iter_mut() {
        ui.horizontal(|ui| {
            let mut key = locale.clone();
            let changed = ui
                .add(
                    egui::TextEdit::singleline(&mut key)
                        .hint_text("locale")
                        .desired_width(80.0),
                )
                .on_hover_text("locale (fr-FR, fr, en…)")
                .changed();
            if changed {
                rename = Some((locale.clone(), key));
            }
            let c = ui
                .add(
                    egui::TextEdit::singleline(text)
                        .hint_text(format!("referral for {locale}"))
                        .desired_width(referral_width),
                )
                .changed();
            form.note(&f("crisis_referrals"), c);
            if ui
                .small_button("×")
                .on_hover_text(format!("remove the referral for {locale}"))
                .clicked()
            {
                remove = Some(locale.clone());
            }
        });
    }
    if let Some((old, new)) = rename
        && !new.is_empty()
        && !p.crisis_referrals.contains_key(&new)
        && let Some(text) = p.crisis_referrals.remove(&old)
    {
        p.crisis_referrals.insert(new, text);
        form.note(&f("crisis_referrals"), true);
    }
    if let Some(locale) = remove {
        p.crisis_referrals.remove(&locale);
        form.note(&f("crisis_referrals"), true);
    }
    if ui.small_button("add a referral").clicked() {
        let mut n = 1;
        while p.crisis_referrals.contains_key(&format!("xx-{n}")) {
            n += 1;
        }
        p.crisis_referrals.insert(format!("xx-{n}"), String::new());
        form.note(&f("crisis_referrals"), true);
    }
    if p.crisis_referrals.is_empty() {
        ui.label(
            RichText::new("no referral: crisis cases show none")
                .color(theme::readable(ui.visuals(), theme::WARNING)),
        );
    }
}
