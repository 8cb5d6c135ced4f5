//! The studio's layout, frame by frame: the usual one (menus, library, tabs, status line) or
//! presentation mode's (the caption and the timeline), the error panel above the tabs, and the
//! overlay shown while a file is dragged over the window.

use egui::{RichText, Ui};

use super::super::command::{Command, Tab};
use super::super::dialogs::dialog_ui;
use super::super::library_panel::library_ui;
use super::super::persona_panel::persona_ui;
use super::super::policy_panel::policy_ui;
use super::super::population_panel::population_ui;
use super::super::presentation::presentation_ui;
use super::super::selection::Selection;
use super::super::tests_panel::tests_ui;
use super::super::theme;
use super::super::timeline_panel::{TimelineInputs, timeline_ui};
use super::StudioApp;
use crate::model::diagnostics::Severity;

impl StudioApp {
    /// Presentation mode: the caption and the timeline, nothing else.
    pub(super) fn presentation_frame_ui(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
        let output = self.simulator.latest().cloned();
        let Some(presentation) = &mut self.presentation else {
            return;
        };
        if let Some(out) = output.as_deref() {
            presentation.follow(out);
        }
        if !presentation.is_playing() {
            presentation.sync(self.timeline.cursor.time_secs());
        }
        // The narrated decision is the selected one: its marker ringed, its user's lane and
        // spans shaded.
        if let Some(stop) = presentation.current_stop() {
            self.timeline.user = stop.user;
            self.timeline.selection = Selection::Decision {
                user: stop.user,
                index: stop.index,
            };
        }
        egui::CentralPanel::default().show(ui, |ui| {
            presentation_ui(
                ui,
                presentation,
                &mut self.timeline,
                output.as_deref(),
                commands,
            );
        });
    }

    /// The studio's usual layout: menus, library, tabs, status line.
    pub(super) fn studio_frame_ui(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
        let ctx = ui.ctx().clone();
        egui::Panel::top("menu bar").show(ui, |ui| self.menu_ui(ui, commands));
        egui::Panel::bottom("status line").show(ui, |ui| self.status_ui(ui));
        let library = egui::Panel::left("library")
            .resizable(true)
            .default_size(self.prefs.library_width)
            .size_range(160.0..=480.0)
            .show(ui, |ui| {
                library_ui(
                    ui,
                    &mut self.library,
                    self.doc.persona_path(),
                    &mut self.avatars,
                    commands,
                )
            });
        self.prefs.library_width = library.response.rect.width();
        egui::CentralPanel::default().show(ui, |ui| self.central_ui(ui, commands));
        if let Some(dialog) = &self.dialog {
            dialog_ui(&ctx, dialog, commands);
        }
    }

    pub(super) fn central_ui(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
        if let Some(report) = &self.error {
            egui::Frame::new()
                .fill(theme::ERROR.gamma_multiply(0.15))
                .stroke(egui::Stroke::new(1.0, theme::ERROR))
                .inner_margin(8.0)
                .corner_radius(4.0)
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.label(
                            RichText::new(&report.title)
                                .strong()
                                .color(theme::readable(ui.visuals(), theme::ERROR)),
                        );
                        if ui.button("dismiss").clicked() {
                            commands.push(Command::DismissError);
                        }
                    });
                    for line in &report.lines {
                        ui.monospace(line);
                    }
                    ui.label(RichText::new("Your current work is untouched.").weak());
                });
        }
        ui.horizontal(|ui| {
            for tab in Tab::ALL {
                if ui
                    .selectable_label(self.tab == tab, RichText::new(tab.label()).heading())
                    .clicked()
                {
                    commands.push(Command::SetTab(tab));
                }
            }
        });
        ui.separator();
        match self.tab {
            Tab::Persona => persona_ui(
                ui,
                self.doc.persona(),
                self.avatars
                    .of_persona(ui.ctx(), self.doc.persona(), self.doc.persona_path()),
                &self.diagnostics,
                &self.previews,
                commands,
            ),
            Tab::Policy => policy_ui(ui, self.doc.persona(), &self.diagnostics, commands),
            Tab::Timeline => {
                let output = self.simulator.latest().cloned();
                self.timeline
                    .ghosts
                    .refresh(output.as_deref(), self.doc.persona_path());
                let inputs = TimelineInputs {
                    output: output.as_deref(),
                    busy: self.simulator.is_busy(),
                    failure: self.simulator.failure().or(self.sim_blocked.as_deref()),
                    scenario: self.doc.scenario(),
                    scenario_path: self.doc.scenario_path(),
                    scenario_dirty: self.doc.scenario_dirty(),
                    shipped: &self.shipped_scenarios,
                    session_scenario: self.session_scenario.as_deref(),
                    side_width: self.prefs.inspector_width,
                    show_hint: !self.prefs.hint_dismissed,
                };
                self.prefs.inspector_width = timeline_ui(ui, &mut self.timeline, &inputs, commands);
            }
            Tab::Population => {
                population_ui(ui, &mut self.population, self.doc.persona(), commands);
            }
            Tab::Tests => tests_ui(
                ui,
                &mut self.tests,
                self.doc.persona(),
                self.doc.persona_path(),
                self.doc.revision(),
                commands,
            ),
        }
    }

    pub(super) fn status_ui(&self, ui: &mut Ui) {
        ui.horizontal_wrapped(|ui| {
            let file = self.doc.persona_path().map_or_else(
                || "new persona, not saved yet".to_owned(),
                |p| p.display().to_string(),
            );
            ui.label(format!(
                "{file}{}",
                if self.doc.persona_dirty() {
                    " (unsaved)"
                } else {
                    ""
                }
            ));
            ui.separator();
            let errors = self
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            let warnings = self.diagnostics.len() - errors;
            match (errors, warnings) {
                (0, 0) => {
                    ui.colored_label(theme::readable(ui.visuals(), theme::PASS), "valid");
                }
                (0, w) => {
                    ui.colored_label(
                        theme::readable(ui.visuals(), theme::WARNING),
                        format!("valid, {w} warning{}", plural(w)),
                    );
                }
                (e, w) => {
                    ui.colored_label(
                        theme::readable(ui.visuals(), theme::ERROR),
                        format!("{e} error{}, {w} warning{}", plural(e), plural(w)),
                    );
                }
            }
            ui.separator();
            if let Some(blocked) = &self.sim_blocked {
                ui.colored_label(theme::readable(ui.visuals(), theme::ERROR), blocked);
            } else if let Some(out) = self.simulator.latest() {
                let (sent, held) = out.timeline.totals;
                ui.label(format!(
                    "{sent} sent, {held} held back · {} in {} ms",
                    out.replay.policy.name,
                    out.elapsed.as_millis()
                ));
            }
            if self.simulator.is_busy() {
                ui.spinner();
            }
            if let Some(f) = self.simulator.failure() {
                ui.colored_label(theme::readable(ui.visuals(), theme::ERROR), f);
            }
            if let Some(s) = &self.status {
                ui.separator();
                ui.label(s);
            }
            if self.error.is_some() {
                ui.separator();
                ui.colored_label(
                    theme::readable(ui.visuals(), theme::ERROR),
                    "error: see the report above the tabs",
                );
            }
        });
    }

    pub(super) fn file_hover_ui(&self, ctx: &egui::Context) {
        let hovering = ctx.input(|i| !i.raw.hovered_files.is_empty());
        if !hovering {
            return;
        }
        let screen = ctx.content_rect();
        let painter = ctx.layer_painter(egui::LayerId::new(
            egui::Order::Foreground,
            egui::Id::unique("file drop"),
        ));
        painter.rect_filled(screen, 0.0, egui::Color32::from_black_alpha(160));
        painter.text(
            screen.center(),
            egui::Align2::CENTER_CENTER,
            "drop a persona (.ron) or a scenario (.ron, .json) to open it",
            egui::FontId::proportional(20.0),
            egui::Color32::WHITE,
        );
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
