//! The studio's menu bar and keyboard shortcuts: each menu item and each key pushes a
//! [`Command`], applied with the others at the end of the frame.

use egui::{Key, KeyboardShortcut, Modifiers, RichText, Ui};

use super::super::command::{Command, PresentationCommand, Tab};
use super::super::cursor::CursorCommand;
use super::super::theme;
use super::StudioApp;

const NEW: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::N);
const OPEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
const SAVE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);
const SAVE_AS: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::S);
const UNDO: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);
const REDO: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::Z);
const REDO_Y: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Y);
const PRESENT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::NONE, Key::F11);

/// A menu item with its shortcut shown beside it; whether it was clicked.
fn item_ui(ui: &mut Ui, label: &str, shortcut: Option<&KeyboardShortcut>) -> bool {
    let mut button = egui::Button::new(label);
    if let Some(s) = shortcut {
        button = button.shortcut_text(ui.ctx().format_shortcut(s));
    }
    ui.add(button).clicked()
}

impl StudioApp {
    /// The menu bar, and beside it the undo, redo and save buttons.
    pub(super) fn menu_ui(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| self.file_menu_ui(ui, commands));
            ui.menu_button("Edit", |ui| self.edit_menu_ui(ui, commands));
            ui.menu_button("View", |ui| self.view_menu_ui(ui, commands));
            // Not "Timeline": the tab has that name, and one label must name one widget.
            ui.menu_button("Scenario", |ui| {
                if item_ui(ui, "Import chat…", None) {
                    commands.push(Command::ImportChatDialog);
                }
                if item_ui(ui, "Export timeline as PNG…", None) {
                    commands.push(Command::ExportTimelinePng);
                }
            });
            ui.menu_button("Help", |ui| {
                if ui.button("Keyboard shortcuts").clicked() {
                    commands.push(Command::ShowShortcuts);
                }
                if ui.button("About Relance").clicked() {
                    commands.push(Command::ShowAbout);
                }
            });
            ui.separator();
            self.quick_buttons_ui(ui, commands);
        });
    }

    fn file_menu_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        if item_ui(ui, "New persona", Some(&NEW)) {
            commands.push(Command::NewPersona);
        }
        if item_ui(ui, "Open…", Some(&OPEN)) {
            commands.push(Command::OpenDialog);
        }
        ui.menu_button("Open recent", |ui| {
            if self.prefs.recent_files.is_empty() {
                ui.label(RichText::new("no recent file").weak());
            }
            for path in &self.prefs.recent_files {
                if ui.button(path.display().to_string()).clicked() {
                    commands.push(Command::Open(path.clone()));
                }
            }
        });
        ui.separator();
        if item_ui(ui, "Save", Some(&SAVE)) {
            commands.push(Command::Save);
        }
        if item_ui(ui, "Save as…", Some(&SAVE_AS)) {
            commands.push(Command::SaveAs);
        }
        if item_ui(ui, "Save scenario as…", None) {
            commands.push(Command::SaveScenarioAs);
        }
        let revertible = self.doc.persona_path().is_some() && self.doc.persona_dirty();
        if ui
            .add_enabled(revertible, egui::Button::new("Revert"))
            .clicked()
        {
            commands.push(Command::Revert);
        }
        ui.separator();
        if item_ui(ui, "Import…", None) {
            commands.push(Command::ImportPersonaDialog);
        }
        if item_ui(ui, "Export…", None) {
            commands.push(Command::ExportPersonaDialog);
        }
        if item_ui(ui, "Export report…", None) {
            commands.push(Command::ExportReportDialog);
        }
        ui.separator();
        if item_ui(ui, "Quit", None) {
            commands.push(Command::Quit);
        }
    }

    fn edit_menu_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        let undo = egui::Button::new("Undo").shortcut_text(ui.ctx().format_shortcut(&UNDO));
        if ui.add_enabled(self.doc.can_undo(), undo).clicked() {
            commands.push(Command::Undo);
        }
        let redo = egui::Button::new("Redo").shortcut_text(ui.ctx().format_shortcut(&REDO));
        if ui.add_enabled(self.doc.can_redo(), redo).clicked() {
            commands.push(Command::Redo);
        }
    }

    fn view_menu_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        for choice in theme::ThemeChoice::ALL {
            if ui
                .radio(self.prefs.theme == choice, choice.label())
                .clicked()
            {
                commands.push(Command::SetTheme(choice));
            }
        }
        ui.separator();
        if ui.button("Zoom in").clicked() {
            commands.push(Command::ZoomIn);
        }
        if ui.button("Zoom out").clicked() {
            commands.push(Command::ZoomOut);
        }
        if ui.button("Actual size").clicked() {
            commands.push(Command::ZoomReset);
        }
        ui.separator();
        if ui.button("Fit timeline").clicked() {
            commands.push(Command::FitTimeline);
        }
        if item_ui(ui, "Presentation", Some(&PRESENT)) {
            commands.push(Command::TogglePresentation);
        }
    }

    /// Quick access to undo, redo and save, also for screen readers and tests.
    fn quick_buttons_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        if ui
            .add_enabled(self.doc.can_undo(), egui::Button::new("undo"))
            .on_hover_text("undo the last edit (Ctrl+Z)")
            .clicked()
        {
            commands.push(Command::Undo);
        }
        if ui
            .add_enabled(self.doc.can_redo(), egui::Button::new("redo"))
            .on_hover_text("redo (Ctrl+Shift+Z)")
            .clicked()
        {
            commands.push(Command::Redo);
        }
        if ui
            .button("save")
            .on_hover_text("save the persona, and the scenario if edited (Ctrl+S)")
            .clicked()
        {
            commands.push(Command::Save);
        }
    }

    /// The keyboard shortcuts of this frame, as commands.
    pub(super) fn shortcuts(&mut self, ctx: &egui::Context) {
        let mut out = Vec::new();
        ctx.input_mut(|i| {
            // Shift variants first: a plain Ctrl+S would also match Ctrl+Shift+S.
            if i.consume_shortcut(&SAVE_AS) {
                out.push(Command::SaveAs);
            }
            if i.consume_shortcut(&SAVE) {
                out.push(Command::Save);
            }
            if i.consume_shortcut(&NEW) {
                out.push(Command::NewPersona);
            }
            if i.consume_shortcut(&OPEN) {
                out.push(Command::OpenDialog);
            }
            if i.consume_shortcut(&REDO) || i.consume_shortcut(&REDO_Y) {
                out.push(Command::Redo);
            }
            if i.consume_shortcut(&UNDO) {
                out.push(Command::Undo);
            }
        });
        let free = self.dialog.is_none() && self.interop.is_none();
        if free && ctx.input_mut(|i| i.consume_shortcut(&PRESENT)) {
            out.push(Command::TogglePresentation);
        }
        if self.presentation.is_some() {
            if free && !ctx.egui_wants_keyboard_input() {
                ctx.input_mut(|i| {
                    if i.consume_key(Modifiers::NONE, Key::Escape) {
                        out.push(Command::LeavePresentation);
                    }
                    if i.consume_key(Modifiers::NONE, Key::Space) {
                        out.push(Command::Presentation(PresentationCommand::TogglePlay));
                    }
                    if i.consume_key(Modifiers::NONE, Key::ArrowRight) {
                        out.push(Command::Presentation(PresentationCommand::Next));
                    }
                    if i.consume_key(Modifiers::NONE, Key::ArrowLeft) {
                        out.push(Command::Presentation(PresentationCommand::Previous));
                    }
                });
            }
        } else if self.tab == Tab::Timeline
            && self.dialog.is_none()
            && !ctx.egui_wants_keyboard_input()
            && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Space))
        {
            out.push(Command::Cursor(CursorCommand::TogglePlay));
        }
        self.commands.extend(out);
    }
}
