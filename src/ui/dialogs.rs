//! The studio's own dialogs: unsaved changes, delete confirmation, files changed on disk,
//! keyboard shortcuts and about. Their buttons push commands like every other widget.

use std::path::PathBuf;

use egui::{RichText, Ui};

use super::command::{Command, UnsavedChoice};
use crate::model::{Persona, Scenario};

/// What waits for the answer to "save changes before…?".
#[derive(Clone, Debug, PartialEq)]
pub enum PendingAction {
    /// Start a new persona.
    NewPersona,
    /// Open this persona, read from this file.
    ReplacePersona(Box<Persona>, PathBuf),
    /// Open this scenario, read from this file.
    ReplaceScenario(Box<Scenario>, PathBuf),
    /// Quit the studio.
    Quit,
}

impl PendingAction {
    /// "opening cinema.ron".
    pub fn describe(&self) -> String {
        match self {
            PendingAction::NewPersona => "starting a new persona".to_owned(),
            PendingAction::ReplacePersona(_, path) | PendingAction::ReplaceScenario(_, path) => {
                format!(
                    "opening {}",
                    path.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                )
            }
            PendingAction::Quit => "quitting".to_owned(),
        }
    }

    /// Whether it replaces the persona (so persona edits would be lost).
    pub fn drops_persona(&self) -> bool {
        matches!(
            self,
            PendingAction::NewPersona | PendingAction::ReplacePersona(..) | PendingAction::Quit
        )
    }

    /// Whether it replaces the scenario.
    pub fn drops_scenario(&self) -> bool {
        matches!(
            self,
            PendingAction::ReplaceScenario(..) | PendingAction::Quit
        )
    }
}

/// The dialog shown over the studio.
#[derive(Clone, Debug, PartialEq)]
pub enum Dialog {
    /// Save / Discard / Cancel before an action; the string lists what is unsaved.
    Unsaved(PendingAction, String),
    /// Delete a persona file?
    ConfirmDelete(PathBuf),
    /// An open file changed on disk while it has unsaved edits.
    DiskChanged(Vec<PathBuf>),
    /// The keyboard shortcuts.
    Shortcuts,
    /// About the studio.
    About,
}

/// The keyboard shortcuts, as listed in Help.
pub const SHORTCUTS: [(&str, &str); 14] = [
    ("Ctrl+N", "new persona"),
    ("Ctrl+O", "open a persona or a scenario"),
    ("Ctrl+S", "save"),
    ("Ctrl+Shift+S", "save the persona as"),
    ("Ctrl+Z", "undo"),
    ("Ctrl+Shift+Z or Ctrl+Y", "redo"),
    (
        "Space",
        "play or pause the replay (Timeline tab, presentation)",
    ),
    ("F11", "enter or leave presentation mode"),
    ("Left / Right", "previous / next decision (presentation)"),
    ("Esc", "leave presentation mode"),
    (
        "Ctrl+Plus / Ctrl+Minus / Ctrl+0",
        "zoom in, out, actual size",
    ),
    ("drag a .ron or .json file", "open it"),
    ("click a marker", "inspect a message or a decision"),
    (
        "click an empty spot of a lane",
        "explain the silence at that instant",
    ),
];

/// Shows `dialog` as a modal.
pub fn dialog_ui(ctx: &egui::Context, dialog: &Dialog, commands: &mut Vec<Command>) {
    let modal = egui::Modal::new(egui::Id::unique("studio dialog")).show(ctx, |ui| {
        ui.set_max_width(520.0);
        match dialog {
            Dialog::Unsaved(action, what) => {
                ui.heading("unsaved changes");
                ui.label(format!(
                    "{what} {} unsaved changes. Save them before {}?",
                    if what.contains(" and ") {
                        "have"
                    } else {
                        "has"
                    },
                    action.describe()
                ));
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui.button("Save").clicked() {
                        commands.push(Command::ResolveUnsaved(UnsavedChoice::Save));
                    }
                    if ui.button("Discard").clicked() {
                        commands.push(Command::ResolveUnsaved(UnsavedChoice::Discard));
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::ResolveUnsaved(UnsavedChoice::Cancel));
                    }
                });
            }
            Dialog::ConfirmDelete(path) => {
                ui.heading("delete persona");
                ui.label(format!(
                    "Delete the file {}? This cannot be undone.",
                    path.display()
                ));
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui
                        .button(RichText::new("Delete").color(super::theme::FAIL))
                        .clicked()
                    {
                        commands.push(Command::DeletePersona(path.clone()));
                        commands.push(Command::CloseDialog);
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CloseDialog);
                    }
                });
            }
            Dialog::DiskChanged(paths) => {
                ui.heading("changed on disk");
                for p in paths {
                    ui.monospace(p.display().to_string());
                }
                ui.label(
                    "Another program changed this file, and you have unsaved edits. Reload it \
                     (your edits are lost) or keep your version (saving will overwrite the file)?",
                );
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui.button("Reload from disk").clicked() {
                        commands.push(Command::ReloadChangedFiles);
                    }
                    if ui.button("Keep my version").clicked() {
                        commands.push(Command::KeepMyVersion);
                    }
                });
            }
            Dialog::Shortcuts => {
                ui.heading("keyboard shortcuts");
                egui::Grid::new("shortcuts")
                    .num_columns(2)
                    .striped(true)
                    .show(ui, |ui| {
                        for (keys, what) in SHORTCUTS {
                            ui.monospace(keys);
                            ui.label(what);
                            ui.end_row();
                        }
                    });
                close_button(ui, commands);
            }
            Dialog::About => {
                ui.heading("Relance");
                ui.label(format!("version {}", env!("CARGO_PKG_VERSION")));
                ui.label(
                    "A studio for designing chatbot personas and testing the proactive follow-up \
                     messages (\"nudges\", in French \"relances\") they send to users who went \
                     quiet: when the bot would write, what it would say, and why it stays silent.",
                );
                ui.label(
                    RichText::new(
                        "Every decision comes from the same engine as `relance simulate`; the \
                         studio adds no rule of its own.",
                    )
                    .weak(),
                );
                close_button(ui, commands);
            }
        }
    });
    if modal.should_close() {
        let closing = match dialog {
            Dialog::Unsaved(..) => Command::ResolveUnsaved(UnsavedChoice::Cancel),
            Dialog::DiskChanged(_) => Command::KeepMyVersion,
            _ => Command::CloseDialog,
        };
        commands.push(closing);
    }
}

fn close_button(ui: &mut Ui, commands: &mut Vec<Command>) {
    ui.add_space(8.0);
    if ui.button("Close").clicked() {
        commands.push(Command::CloseDialog);
    }
}
