//! The inspector: everything about the selected decision (its full rule trace, the text and the
//! channel), the selected message (with its editing controls), or why the engine stays silent at
//! an inspected instant. Below, the selected user's decisions, each one click away.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use egui::{RichText, Ui};

use super::command::Command;
use super::document::{Edit, EditKey};
use super::selection::Selection;
use super::simulation::SimOutput;
use super::theme;
use crate::engine::trace::decision_trace;
use crate::engine::{Decision, Explanation, Outcome, TraceStep, UserFacts, instant};
use crate::model::{Scenario, Sender, User};

/// Shows the inspector for `selection`.
#[allow(clippy::too_many_arguments)]
pub fn inspector_ui(
    ui: &mut Ui,
    selection: Selection,
    selected_user: usize,
    output: &SimOutput,
    scenario: &Scenario,
    facts: Option<&UserFacts>,
    explanation: Option<&Explanation>,
    cursor_secs: f64,
    move_to: &mut String,
    commands: &mut Vec<Command>,
) {
    match selection {
        Selection::None => {
            ui.heading("inspector");
            ui.label(
                "Click a marker to see its details, or an empty spot of a lane to see why the \
                 bot stays silent there.",
            );
        }
        Selection::Decision { user, index } => {
            match (
                output.scenario.users.get(user),
                output.replay.of_user(user).get(index),
            ) {
                (Some(u), Some(d)) => decision_ui(ui, output, u, d, facts),
                _ => {
                    ui.label("This decision no longer exists: the simulation changed.");
                }
            }
        }
        Selection::Event { user, event } => match scenario.users.get(user) {
            Some(u) if event < u.events.len() => {
                event_ui(ui, user, u, event, cursor_secs, move_to, commands);
            }
            _ => {
                ui.label("This message no longer exists.");
            }
        },
        Selection::Instant { user, at_secs } => {
            if let (Some(u), Some(e)) = (output.scenario.users.get(user), explanation) {
                instant_ui(ui, output, user, u, at_secs, e);
            }
        }
    }
    ui.add_space(8.0);
    decision_list_ui(ui, output, selected_user, selection, commands);
}

/// The rule trace, failing rules first; passed rules are folded away when one failed.
fn steps_ui(ui: &mut Ui, steps: &[TraceStep]) {
    let (failed, passed): (Vec<&TraceStep>, Vec<&TraceStep>) =
        steps.iter().partition(|s| !s.passed);
    if !failed.is_empty() {
        steps_grid_ui(ui, "failed steps", &failed);
    }
    if passed.is_empty() {
        return;
    }
    egui::CollapsingHeader::new(format!(
        "{} rule{} passed",
        passed.len(),
        if passed.len() == 1 { "" } else { "s" }
    ))
    .id_salt(ui.scope_id().with("passed steps"))
    .default_open(failed.is_empty())
    .show(ui, |ui| steps_grid_ui(ui, "passed steps", &passed));
}

fn steps_grid_ui(ui: &mut Ui, salt: &str, steps: &[&TraceStep]) {
    egui::Grid::new(ui.scope_id().with(salt))
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for step in steps {
                let (mark, color) = if step.passed {
                    ("pass", theme::PASS)
                } else {
                    ("FAIL", theme::FAIL)
                };
                let color = theme::readable(ui.visuals(), color);
                // The rule's name never wraps, so a failing row keeps its label.
                ui.add(
                    egui::Label::new(
                        RichText::new(format!("{mark} {}", step.rule))
                            .color(color)
                            .monospace(),
                    )
                    .extend(),
                );
                ui.add(egui::Label::new(&step.detail).wrap());
                ui.end_row();
            }
        });
}

/// The box the inspector opens with: what decided, in one sentence, before any detail.
pub fn deciding_reason_ui(ui: &mut Ui, title: &str, sentence: &str, color: egui::Color32) {
    egui::Frame::new()
        .fill(theme::tint(color))
        .stroke(egui::Stroke::new(1.5, color))
        .corner_radius(6.0)
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(
                RichText::new("deciding reason")
                    .size(theme::SMALL_TEXT_PX)
                    .strong(),
            );
            ui.label(
                RichText::new(title)
                    .heading()
                    .strong()
                    .color(theme::readable(ui.visuals(), color)),
            );
            if !sentence.is_empty() {
                ui.add(egui::Label::new(RichText::new(sentence).size(14.0)).wrap());
            }
        });
    ui.add_space(4.0);
}

fn bubble_ui(ui: &mut Ui, text: &str, stroke: egui::Color32) {
    egui::Frame::new()
        .fill(ui.visuals().faint_bg_color)
        .stroke(egui::Stroke::new(1.5, stroke))
        .corner_radius(8.0)
        .inner_margin(8.0)
        .show(ui, |ui| {
            ui.add(egui::Label::new(RichText::new(text).size(14.0)).wrap());
        });
}

fn decision_ui(
    ui: &mut Ui,
    output: &SimOutput,
    user: &User,
    d: &Decision,
    facts: Option<&UserFacts>,
) {
    let trace = decision_trace(d, &output.replay.policy, user, facts);
    let (title, sentence, color) = match d.outcome {
        Outcome::Sent => (
            "sent".to_owned(),
            "Every rule allowed this follow-up.".to_owned(),
            theme::SENT,
        ),
        Outcome::Suppressed => (
            format!("held back: {}", theme::reason_words(d.reason)),
            trace
                .iter()
                .find(|s| !s.passed)
                .map(|s| s.detail.clone())
                .unwrap_or_default(),
            theme::reason_color(d.reason),
        ),
    };
    deciding_reason_ui(ui, &title, &sentence, color);
    ui.label(format!("to {} ({})", user.name, user.id));
    ui.label(both_times(d.at, user.timezone));
    ui.label(format!("channel: {}", d.channel));
    if d.nth > 1 {
        ui.label(format!("follow-up {} of this silence", d.nth));
    }
    if let Some(referral) = &d.crisis_referral {
        ui.label(
            RichText::new(format!(
                "Crisis case: a human-safety protocol must take over. Referral: {referral}"
            ))
            .color(theme::readable(ui.visuals(), theme::FAIL))
            .strong(),
        );
    }
    if let Some(m) = &d.message {
        ui.add_space(4.0);
        ui.label(RichText::new("generated text").strong());
        bubble_ui(ui, &m.text, theme::SENT);
        let mut about = format!("template `{}` in {}", m.template, m.lang);
        if let Some(t) = &m.channel_template {
            about.push_str(&format!(", WhatsApp template `{t}`"));
        }
        if let Some(mem) = &m.memory {
            about.push_str(&format!(", echoing “{}”", mem.label));
        }
        ui.label(RichText::new(about).weak());
    }
    ui.add_space(4.0);
    ui.label(RichText::new("rule trace").strong());
    steps_ui(ui, &trace);
}

fn event_ui(
    ui: &mut Ui,
    user_index: usize,
    user: &User,
    event: usize,
    cursor_secs: f64,
    move_to: &mut String,
    commands: &mut Vec<Command>,
) {
    let e = &user.events[event];
    let who = match e.from {
        Sender::User => format!("message from {}", user.name),
        Sender::Bot => format!("bot reply to {}", user.name),
    };
    ui.label(RichText::new(who).heading());
    ui.label(both_times(e.at, user.timezone));
    ui.label(format!("channel: {}", e.channel));
    ui.add_space(4.0);
    let l = ui.label("message text");
    let mut text = e.text.clone();
    if ui
        .add(
            egui::TextEdit::multiline(&mut text)
                .desired_rows(3)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id)
        .changed()
    {
        commands.push(Command::Edit(
            Edit::SetEventText {
                user: user_index,
                event,
                text,
            },
            EditKey::new(format!("users[{user_index}].events[{event}].text")),
        ));
    }
    let move_by = |commands: &mut Vec<Command>, delta: Duration| {
        commands.push(Command::Edit(
            Edit::MoveEvent {
                user: user_index,
                event,
                at: e.at + delta,
            },
            EditKey::discrete(),
        ));
    };
    ui.horizontal_wrapped(|ui| {
        ui.label("move");
        for (label, delta) in [
            ("-1 day", Duration::days(-1)),
            ("-1 hour", Duration::hours(-1)),
            ("-10 min", Duration::minutes(-10)),
            ("+10 min", Duration::minutes(10)),
            ("+1 hour", Duration::hours(1)),
            ("+1 day", Duration::days(1)),
        ] {
            if ui.small_button(label).clicked() {
                move_by(commands, delta);
            }
        }
        if ui.small_button("to the cursor").clicked() {
            commands.push(Command::Edit(
                Edit::MoveEvent {
                    user: user_index,
                    event,
                    at: instant(cursor_secs.round() as i64),
                },
                EditKey::discrete(),
            ));
        }
    });
    ui.horizontal(|ui| {
        let l = ui.label("at (UTC)");
        let r = ui
            .add(
                egui::TextEdit::singleline(move_to)
                    .hint_text(e.at.format("%Y-%m-%d %H:%M").to_string())
                    .desired_width(140.0),
            )
            .labelled_by(l.id);
        let parsed = NaiveDateTime::parse_from_str(move_to.trim(), "%Y-%m-%d %H:%M")
            .ok()
            .map(|t| t.and_utc());
        let go = ui
            .add_enabled(parsed.is_some(), egui::Button::new("set time"))
            .clicked()
            || (r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)));
        if go && let Some(at) = parsed {
            commands.push(Command::Edit(
                Edit::MoveEvent {
                    user: user_index,
                    event,
                    at,
                },
                EditKey::discrete(),
            ));
            move_to.clear();
        }
        if !move_to.trim().is_empty() && parsed.is_none() {
            ui.colored_label(
                theme::readable(ui.visuals(), theme::WARNING),
                "write YYYY-MM-DD HH:MM",
            );
        }
    });
    if ui
        .button(
            RichText::new("delete this message").color(theme::readable(ui.visuals(), theme::FAIL)),
        )
        .clicked()
    {
        commands.push(Command::Edit(
            Edit::DeleteEvent {
                user: user_index,
                event,
            },
            EditKey::discrete(),
        ));
    }
}

/// The decisions of `user` in the silence that started at `silence_start` and that were sent
/// at or before `at_secs`.
fn sent_before(
    output: &SimOutput,
    user: usize,
    silence_start: chrono::DateTime<chrono::Utc>,
    at_secs: i64,
) -> Vec<&Decision> {
    output
        .replay
        .of_user(user)
        .iter()
        .filter(|d| {
            d.silence_start == silence_start
                && d.outcome == Outcome::Sent
                && d.at.timestamp() <= at_secs
        })
        .collect()
}

/// What decides at an inspected instant: (title, sentence, colour).
fn instant_verdict(
    output: &SimOutput,
    user_index: usize,
    user: &User,
    at_secs: i64,
    e: &Explanation,
) -> (String, String, egui::Color32) {
    let Some(last) = e.last_message else {
        return (
            "nothing to follow up".to_owned(),
            format!("{} has not written yet at this instant.", user.name),
            theme::NEUTRAL,
        );
    };
    let sent = sent_before(output, user_index, last, at_secs);
    let max = output.replay.policy.max_nudges_per_silence.max(1) as usize;
    if sent.len() >= max {
        let when = sent
            .last()
            .map(|d| both_times(d.at, user.timezone))
            .unwrap_or_default();
        let sentence = if max == 1 {
            format!("This silence's one follow-up was already sent ({when}).")
        } else {
            format!("This silence's {max} follow-ups were already sent, the last {when}.")
        };
        return (
            "already followed up in this silence".to_owned(),
            sentence,
            theme::NEUTRAL,
        );
    }
    if e.in_quiet_hours {
        return (
            "quiet hours".to_owned(),
            "It would wait for the end of the quiet hours.".to_owned(),
            theme::NEUTRAL,
        );
    }
    match &e.evaluation {
        Some(ev) if ev.reason == crate::engine::Reason::Sent => (
            "allowed".to_owned(),
            "Every rule would allow a follow-up here.".to_owned(),
            theme::SENT,
        ),
        Some(ev) => (
            format!("held back: {}", theme::reason_words(ev.reason)),
            e.trace
                .iter()
                .find(|s| !s.passed)
                .map(|s| s.detail.clone())
                .unwrap_or_default(),
            theme::reason_color(ev.reason),
        ),
        None => ("no decision".to_owned(), String::new(), theme::NEUTRAL),
    }
}

fn instant_ui(
    ui: &mut Ui,
    output: &SimOutput,
    user_index: usize,
    user: &User,
    at_secs: i64,
    e: &Explanation,
) {
    let (title, sentence, color) = instant_verdict(output, user_index, user, at_secs, e);
    deciding_reason_ui(ui, &title, &sentence, color);
    ui.label(RichText::new(format!("{} at this instant", user.name)).strong());
    ui.label(both_times(instant(at_secs), user.timezone));
    ui.add_space(4.0);
    ui.label(RichText::new("if a follow-up were considered here").strong());
    steps_ui(ui, &e.trace);
    ui.add_space(4.0);
    match &e.decision_of_silence {
        Some(d) => {
            ui.label(RichText::new("the engine's actual decision for this silence").strong());
            ui.label(format!(
                "{} on {}",
                d.outcome_word(),
                both_times(d.at, user.timezone)
            ));
            if let Some(text) = d.text() {
                bubble_ui(ui, text, theme::SENT);
            }
        }
        None if e.last_message.is_some() => {
            ui.label(
                "The engine makes no decision for this silence: the user wrote again first, or it \
                 falls after the scenario's end.",
            );
        }
        None => {}
    }
}

fn decision_list_ui(
    ui: &mut Ui,
    output: &SimOutput,
    user: usize,
    selection: Selection,
    commands: &mut Vec<Command>,
) {
    let Some(u) = output.scenario.users.get(user) else {
        return;
    };
    let decisions = output.replay.of_user(user);
    ui.separator();
    ui.label(RichText::new(format!("decisions for {} ({})", u.name, decisions.len())).strong());
    if decisions.is_empty() {
        ui.label(RichText::new("none: the user never went quiet long enough").weak());
    }
    for (i, d) in decisions.iter().enumerate() {
        let label = decision_label(d);
        let selected = selection == Selection::Decision { user, index: i };
        let color = theme::readable(ui.visuals(), theme::reason_color(d.reason));
        if ui
            .selectable_label(selected, RichText::new(label).color(color))
            .clicked()
        {
            commands.push(Command::Select(Selection::Decision { user, index: i }));
        }
    }
}

/// "sent · Thu 8 Jan 13:00 UTC" or "held back (too few messages) · …".
pub fn decision_label(d: &Decision) -> String {
    let when = d.at.format("%a %-d %b %H:%M UTC");
    match d.outcome {
        Outcome::Sent => format!("sent · {when}"),
        Outcome::Suppressed => format!("held back ({}) · {when}", theme::reason_words(d.reason)),
    }
}

/// "Thu 8 Jan 13:00 UTC · 14:00 in Europe/Paris".
pub fn both_times(at: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    format!(
        "{} · {} in {}",
        at.format("%a %-d %b %Y %H:%M UTC"),
        at.with_timezone(&tz).format("%a %-d %b %H:%M"),
        tz.name()
    )
}
