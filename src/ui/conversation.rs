//! The conversation panel: the selected user's messages up to the replay cursor as chat
//! bubbles, the bot's follow-ups highlighted and the held-back ones noted.

use egui::{Align, Layout, RichText, Ui};

use super::command::Command;
use super::selection::Selection;
use super::simulation::SimOutput;
use super::theme;
use crate::engine::Outcome;
use crate::model::Sender;

/// At most this many items are shown (the latest before the cursor).
pub const MAX_BUBBLES: usize = 200;

/// One line of the conversation.
enum Line {
    Event(usize),
    Decision(usize),
}

/// Shows the conversation of `user` up to `cursor_secs`.
pub fn conversation_ui(
    ui: &mut Ui,
    user: usize,
    cursor_secs: f64,
    output: &SimOutput,
    selection: Selection,
    commands: &mut Vec<Command>,
) {
    let Some(u) = output.scenario.users.get(user) else {
        return;
    };
    ui.label(RichText::new(format!("conversation with {} up to the cursor", u.name)).strong());
    let cursor = cursor_secs.floor() as i64;
    let events_end = u.events.partition_point(|e| e.at.timestamp() <= cursor);
    let decisions = output.replay.of_user(user);
    let decisions_end = decisions.partition_point(|d| d.at.timestamp() <= cursor);
    // Merge both time-ordered lists, keeping the latest MAX_BUBBLES.
    let mut lines = Vec::with_capacity(MAX_BUBBLES);
    let (mut i, mut j) = (events_end, decisions_end);
    while lines.len() < MAX_BUBBLES && (i > 0 || j > 0) {
        let take_event = match (i.checked_sub(1), j.checked_sub(1)) {
            (Some(a), Some(b)) => u.events[a].at > decisions[b].at,
            (Some(_), None) => true,
            _ => false,
        };
        if take_event {
            i -= 1;
            lines.push(Line::Event(i));
        } else {
            j -= 1;
            lines.push(Line::Decision(j));
        }
    }
    lines.reverse();
    let hidden = events_end + decisions_end - lines.len();
    egui::ScrollArea::vertical()
        .id_salt("conversation scroll")
        .stick_to_bottom(true)
        .auto_shrink([false, false])
        .show(ui, |ui| {
            if hidden > 0 {
                ui.label(RichText::new(format!("… {hidden} earlier items")).weak());
            }
            if lines.is_empty() {
                ui.label(RichText::new("nothing yet at this point of the replay").weak());
            }
            let width = ui.available_width();
            for line in lines {
                match line {
                    Line::Event(k) => {
                        let e = &u.events[k];
                        let from_user = e.from == Sender::User;
                        let selected = selection == Selection::Event { user, event: k };
                        let layout = if from_user {
                            Layout::right_to_left(Align::Min)
                        } else {
                            Layout::left_to_right(Align::Min)
                        };
                        ui.with_layout(layout, |ui| {
                            let fill = if from_user {
                                theme::MarkerKind::UserMessage.color().gamma_multiply(0.25)
                            } else {
                                ui.visuals().faint_bg_color
                            };
                            let r = egui::Frame::new()
                                .fill(fill)
                                .stroke(if selected {
                                    egui::Stroke::new(2.0, theme::CURSOR)
                                } else {
                                    egui::Stroke::NONE
                                })
                                .corner_radius(10.0)
                                .inner_margin(6.0)
                                .show(ui, |ui| {
                                    ui.set_max_width(width * 0.8);
                                    ui.with_layout(Layout::top_down(Align::Min), |ui| {
                                        ui.label(
                                            RichText::new(
                                                e.at.format("%-d %b %H:%M UTC").to_string(),
                                            )
                                            .size(theme::SMALL_TEXT_PX)
                                            .weak(),
                                        );
                                        ui.add(egui::Label::new(&e.text).wrap());
                                    });
                                })
                                .response
                                .interact(egui::Sense::click());
                            if r.clicked() {
                                commands.push(Command::Select(Selection::Event { user, event: k }));
                            }
                        });
                    }
                    Line::Decision(k) => {
                        let d = &decisions[k];
                        let selected = selection == Selection::Decision { user, index: k };
                        match d.outcome {
                            Outcome::Sent => {
                                ui.with_layout(Layout::left_to_right(Align::Min), |ui| {
                                    let r = egui::Frame::new()
                                        .fill(theme::SENT.gamma_multiply(0.2))
                                        .stroke(egui::Stroke::new(
                                            if selected { 3.0 } else { 2.0 },
                                            if selected { theme::CURSOR } else { theme::SENT },
                                        ))
                                        .corner_radius(10.0)
                                        .inner_margin(6.0)
                                        .show(ui, |ui| {
                                            ui.set_max_width(width * 0.8);
                                            ui.label(
                                                RichText::new(format!(
                                                    "nudge · {}",
                                                    d.at.format("%-d %b %H:%M UTC")
                                                ))
                                                .size(theme::SMALL_TEXT_PX)
                                                .color(theme::readable(ui.visuals(), theme::SENT))
                                                .strong(),
                                            );
                                            ui.add(egui::Label::new(d.text().unwrap_or("")).wrap());
                                        })
                                        .response
                                        .interact(egui::Sense::click());
                                    if r.clicked() {
                                        commands.push(Command::Select(Selection::Decision {
                                            user,
                                            index: k,
                                        }));
                                    }
                                });
                            }
                            Outcome::Suppressed => {
                                // A card in the text colour, edged with the reason's colour:
                                // coloured text on a coloured fill was unreadable.
                                ui.vertical_centered(|ui| {
                                    let color = theme::reason_color(d.reason);
                                    let r = egui::Frame::new()
                                        .fill(theme::tint(color))
                                        .stroke(egui::Stroke::new(
                                            if selected { 2.5 } else { 1.0 },
                                            if selected { theme::CURSOR } else { color },
                                        ))
                                        .corner_radius(4.0)
                                        .inner_margin(egui::Margin::symmetric(8, 3))
                                        .show(ui, |ui| {
                                            ui.label(RichText::new(format!(
                                                "follow-up held back ({}) · {}",
                                                theme::reason_words(d.reason),
                                                d.at.format("%-d %b %H:%M UTC")
                                            )));
                                        })
                                        .response
                                        .interact(egui::Sense::click());
                                    if r.clicked() {
                                        commands.push(Command::Select(Selection::Decision {
                                            user,
                                            index: k,
                                        }));
                                    }
                                });
                            }
                        }
                    }
                }
                ui.add_space(2.0);
            }
        });
}
