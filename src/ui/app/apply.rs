//! Applying the frame's commands, once, after every panel drew: one line per command in
//! [`StudioApp::apply`], and a small method per command below it, grouped as the menus are
//! (document, view, timeline and tests, dialogs, other tools, presentation, population).

use std::path::Path;

use super::super::command::{
    ChatRequest, Command, ExportForm, PresentationCommand, Tab, TestTarget, UnsavedChoice,
};
use super::super::cursor::CursorCommand;
use super::super::dialogs::{Dialog, PendingAction};
use super::super::document::{Edit, EditKey};
use super::super::error_report::{ErrorReport, error_report};
use super::super::files::DialogKind;
use super::super::interop_dialogs::{self as interop, ChatForm, InteropDialog, ScreenshotJob};
use super::super::prefs::absolute;
use super::super::presentation::{self, Presentation, Restore};
use super::super::selection::Selection;
use super::super::theme::ThemeChoice;
use super::super::timeline_panel::same_file;
use super::StudioApp;
use crate::model::Persona;
use crate::report::document::ReportFormat;

impl StudioApp {
    /// Applies one command.
    pub(super) fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            // The document and its files.
            Command::NewPersona => self.new_persona(ctx),
            Command::OpenDialog => self.open_dialog(ctx, DialogKind::AnyFile),
            Command::OpenScenarioDialog => self.open_dialog(ctx, DialogKind::Scenario),
            Command::Open(path) => self.open(ctx, &path),
            Command::Save => _ = self.save_all(),
            Command::SaveAs => _ = self.save_persona_as(),
            Command::SaveScenarioAs => _ = self.save_scenario_as(),
            Command::Revert => self.revert(),
            Command::Quit => self.quit(ctx),
            Command::DuplicatePersona(path) => self.duplicate(ctx, &path),
            Command::AskDeletePersona(path) => self.dialog = Some(Dialog::ConfirmDelete(path)),
            Command::DeletePersona(path) => self.delete(&path),
            Command::Edit(edit, key) => self.edit(edit, key),
            Command::Undo => self.undo(),
            Command::Redo => self.redo(),
            // The view.
            Command::SetTab(tab) => self.set_tab(tab),
            Command::SetTheme(choice) => self.set_theme(ctx, choice),
            Command::ZoomIn => self.set_zoom(ctx, self.prefs.zoom + 0.1),
            Command::ZoomOut => self.set_zoom(ctx, self.prefs.zoom - 0.1),
            Command::ZoomReset => self.set_zoom(ctx, 1.0),
            Command::DismissError => self.error = None,
            Command::DismissHint => self.prefs.hint_dismissed = true,
            // The timeline and the tests.
            Command::Cursor(c) => self.drive_cursor(c),
            Command::Select(selection) => self.select(selection),
            Command::SelectUser(user) => self.select_user(user),
            Command::FitTimeline => self.timeline.fit = true,
            Command::OpenTestResult(target) => self.open_test_result(ctx, *target),
            Command::RerunTests => self.tests.invalidate(),
            Command::RecordSuite(path) => self.record_suite(&path),
            // The studio's dialogs.
            Command::ShowShortcuts => self.dialog = Some(Dialog::Shortcuts),
            Command::ShowAbout => self.dialog = Some(Dialog::About),
            Command::ResolveUnsaved(choice) => self.resolve_unsaved(ctx, choice),
            Command::ReloadChangedFiles => self.reload_changed_files(),
            Command::KeepMyVersion => self.keep_my_version(),
            Command::CloseDialog => self.dialog = None,
            // Other tools.
            Command::ImportPersonaDialog => self.import_persona(ctx),
            Command::ExportPersonaDialog => {
                self.interop = Some(InteropDialog::ExportPersona(ExportForm::default()));
            }
            Command::PickExportAvatar => self.pick_export_avatar(),
            Command::ExportPersona(form) => self.export_persona(&form),
            Command::ExportReportDialog => {
                self.interop = Some(InteropDialog::ExportReport(ReportFormat::Html));
            }
            Command::ExportReport(format) => self.export_report(format),
            Command::ImportChatDialog => self.import_chat_dialog(),
            Command::ImportChat(request) => self.import_chat(&request),
            Command::ExportTimelinePng => self.export_timeline_png(ctx),
            Command::CloseInteropDialog => self.interop = None,
            // Presentation mode.
            Command::TogglePresentation => self.toggle_presentation(ctx),
            Command::LeavePresentation => self.leave_presentation(ctx),
            Command::Presentation(c) => self.drive_presentation(c),
            // The Population tab.
            Command::RunPopulation => self.population.start(self.doc.persona()),
            Command::CancelPopulation => self.population.cancel(),
            Command::OpenPopulationUser(index) => self.open_population_user(index),
        }
    }

    // ---- the document ----------------------------------------------------------------------

    fn new_persona(&mut self, ctx: &egui::Context) {
        if self.doc.persona_dirty() {
            self.ask_unsaved(PendingAction::NewPersona);
        } else {
            self.perform(ctx, PendingAction::NewPersona);
        }
    }

    /// A native dialog, then the file picked is opened: File ▸ Open… starts in the personas
    /// folder, the scenario picker's "Open…" in the scenarios folder.
    fn open_dialog(&mut self, ctx: &egui::Context, kind: DialogKind) {
        let dir = if kind == DialogKind::Scenario {
            self.scenarios_dir.clone()
        } else {
            self.library.dir.clone()
        };
        if let Some(path) = self.dialogs.pick_open(kind, Some(&dir)) {
            self.open(ctx, &path);
        }
    }

    fn revert(&mut self) {
        if let Err(e) = self.doc.revert_persona(self.now_secs) {
            self.error = Some(ErrorReport::load("cannot revert to", &e));
        } else {
            self.status =
                Some("reverted to the saved file (undo brings your edits back)".to_owned());
        }
    }

    fn quit(&mut self, ctx: &egui::Context) {
        if self.doc.dirty() {
            self.ask_unsaved(PendingAction::Quit);
        } else {
            self.perform(ctx, PendingAction::Quit);
        }
    }

    /// Changes the document (recorded for undo); a message added or moved becomes the
    /// selection, a deleted one stops being it.
    fn edit(&mut self, edit: Edit, key: EditKey) {
        let (user, selects) = match &edit {
            Edit::AddMessage { user, .. } | Edit::MoveEvent { user, .. } => (*user, true),
            Edit::DeleteEvent { user, .. } => {
                self.timeline.selection = Selection::None;
                (*user, false)
            }
            _ => (0, false),
        };
        let placed = self.doc.apply(edit, key, self.now_secs);
        if selects && let Some(event) = placed {
            self.timeline.selection = Selection::Event { user, event };
        }
    }

    fn undo(&mut self) {
        if self.doc.undo() {
            self.status = Some("undone".to_owned());
        }
    }

    fn redo(&mut self) {
        if self.doc.redo() {
            self.status = Some("redone".to_owned());
        }
    }

    // ---- the view ----------------------------------------------------------------------------

    fn set_tab(&mut self, tab: Tab) {
        self.tab = tab;
        self.prefs.tab = tab;
    }

    fn set_theme(&mut self, ctx: &egui::Context, choice: ThemeChoice) {
        self.prefs.theme = choice;
        ctx.set_theme(choice.preference());
    }

    fn drive_cursor(&mut self, command: CursorCommand) {
        let instants = self
            .simulator
            .latest()
            .map(|o| o.timeline.instants_secs.clone())
            .unwrap_or_default();
        self.timeline.cursor.apply(command, &instants);
        self.prefs.speed = self.timeline.cursor.speed();
    }

    fn select(&mut self, selection: Selection) {
        if let Some(user) = selection.user() {
            self.timeline.user = user;
        }
        self.timeline.selection = selection;
        self.timeline.move_to.clear();
        // A marker after the cursor: the replay jumps to it, so that the conversation
        // shows what the inspector explains.
        if let Some(at_secs) = self.selection_secs(selection)
            && at_secs > self.timeline.cursor.time_secs()
        {
            self.timeline
                .cursor
                .apply(CursorCommand::Scrub(at_secs), &[]);
        }
    }

    /// When a selected marker happened (unix seconds); `None` for other selections.
    fn select_user(&mut self, user: usize) {
        self.timeline.user = user;
        self.timeline.selection = Selection::None;
    }

    /// When a selected marker happened (unix seconds); `None` for other selections.
    fn selection_secs(&self, selection: Selection) -> Option<f64> {
        let at = match selection {
            Selection::Event { user, event } => {
                self.doc.scenario().users.get(user)?.events.get(event)?.at
            }
            Selection::Decision { user, index } => {
                self.simulator.latest()?.replay.of_user(user).get(index)?.at
            }
            Selection::None | Selection::Instant { .. } => return None,
        };
        Some(at.timestamp() as f64)
    }

    fn set_zoom(&mut self, ctx: &egui::Context, zoom: f32) {
        self.prefs.zoom = zoom;
        self.prefs.zoom = self.prefs.clamped_zoom();
        ctx.set_zoom_factor(self.prefs.zoom);
    }

    // ---- the tests ---------------------------------------------------------------------------

    /// Opens the Timeline on a test expectation's decision, its scenario opened first, with the
    /// expected outcome drawn beside it.
    fn open_test_result(&mut self, ctx: &egui::Context, target: TestTarget) {
        let opened =
            |app: &Self| (app.doc.scenario_path()).is_some_and(|p| same_file(p, &target.scenario));
        if !opened(self) {
            self.open(ctx, &target.scenario);
        }
        if !opened(self) {
            return;
        }
        self.tab = Tab::Timeline;
        if let Some(user) = target
            .decision
            .map(|d| d.0)
            .or(target.expected.as_ref().map(|e| e.user))
        {
            self.timeline.user = user;
        }
        if let Some((user, index)) = target.decision {
            self.timeline.selection = Selection::Decision { user, index };
        }
        self.timeline.ghosts.expected = target.expected;
    }

    /// Writes a suite scenario's current decisions (under the edited persona) as its
    /// expectations, then runs the suites again.
    fn record_suite(&mut self, path: &Path) {
        let persona = self.doc.persona();
        let Some(policy) = persona.policy.resolve() else {
            return;
        };
        match crate::suite::record_file(persona, &policy, path) {
            Ok(n) => {
                self.status = Some(format!(
                    "recorded {n} expectations in {}: review them before committing",
                    path.display()
                ));
            }
            Err(e) => {
                self.error = Some(ErrorReport {
                    title: format!("cannot record {}", path.display()),
                    lines: vec![format!("{e:#}")],
                });
            }
        }
        self.tests.invalidate();
    }

    // ---- the studio's dialogs ----------------------------------------------------------------

    fn resolve_unsaved(&mut self, ctx: &egui::Context, choice: UnsavedChoice) {
        let Some(Dialog::Unsaved(action, _)) = self.dialog.take() else {
            return;
        };
        match choice {
            UnsavedChoice::Cancel => {}
            UnsavedChoice::Discard => self.perform(ctx, action),
            UnsavedChoice::Save => {
                let saved_persona =
                    !action.drops_persona() || !self.doc.persona_dirty() || self.save_persona();
                let saved_scenario =
                    !action.drops_scenario() || !self.doc.scenario_dirty() || self.save_scenario();
                if saved_persona && saved_scenario {
                    self.perform(ctx, action);
                }
            }
        }
    }

    fn keep_my_version(&mut self) {
        self.dialog = None;
        self.doc.acknowledge_disk_changes();
    }

    fn reload_changed_files(&mut self) {
        self.dialog = None;
        if self.doc.persona_changed_on_disk() {
            self.reload_persona_from_disk();
        }
        if self.doc.scenario_changed_on_disk() {
            self.reload_scenario_from_disk();
        }
    }

    pub(super) fn ask_unsaved(&mut self, action: PendingAction) {
        let mut what = Vec::new();
        if action.drops_persona() && self.doc.persona_dirty() {
            what.push(format!("The persona “{}”", self.doc.persona().name));
        }
        if action.drops_scenario() && self.doc.scenario_dirty() {
            what.push(format!("the scenario “{}”", self.doc.scenario().name));
        }
        self.dialog = Some(Dialog::Unsaved(action, what.join(" and ")));
    }

    pub(super) fn perform(&mut self, ctx: &egui::Context, action: PendingAction) {
        match action {
            PendingAction::NewPersona => {
                let mut p = Persona::new_blank("new-persona", "New persona");
                p.languages = vec![crate::model::Lang::Fr, crate::model::Lang::En];
                self.doc.set_persona(p, None);
                self.tab = Tab::Persona;
                self.status = Some("new persona: save it to give it a file".to_owned());
            }
            PendingAction::ReplacePersona(persona, path) => {
                self.doc.set_persona(*persona, Some(path.clone()));
                self.prefs.last_persona = Some(absolute(&path));
                self.status = Some(format!("opened {}", path.display()));
                self.open_own_scenario(&path);
            }
            PendingAction::ReplaceScenario(scenario, path) => {
                self.doc.set_scenario(*scenario, Some(path.clone()));
                self.prefs.last_scenario = Some(absolute(&path));
                self.timeline.reset_for_new_scenario();
                self.status = Some(format!("opened {}", path.display()));
            }
            PendingAction::Quit => {
                self.allowed_to_close = true;
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }

    // ---- other tools -------------------------------------------------------------------------

    fn import_persona(&mut self, ctx: &egui::Context) {
        let dir = self.library.dir.clone();
        match interop::import_persona_flow(self.dialogs.as_mut(), &dir) {
            Ok(None) => {}
            Ok(Some((path, status))) => {
                self.library.refresh(&self.prefs.extra_personas);
                self.open(ctx, &path);
                if self.error.is_none() {
                    self.status = Some(status);
                }
            }
            Err(report) => self.error = Some(report),
        }
    }

    fn pick_export_avatar(&mut self) {
        let dir = self.library.dir.clone();
        if let Some(path) = self.dialogs.pick_open(DialogKind::Png, Some(&dir))
            && let Some(InteropDialog::ExportPersona(form)) = &mut self.interop
        {
            form.avatar = Some(path);
        }
    }

    fn export_persona(&mut self, form: &ExportForm) {
        self.interop = None;
        let dir = self.library.dir.clone();
        match interop::export_persona_flow(
            self.dialogs.as_mut(),
            self.doc.persona(),
            self.doc.persona_path(),
            &dir,
            form,
        ) {
            Ok(status) => self.status = status.or(self.status.take()),
            Err(report) => self.error = Some(report),
        }
    }

    fn export_report(&mut self, format: ReportFormat) {
        self.interop = None;
        let dir = self.scenarios_dir.clone();
        // The report of the replay the studio shows, not a new one.
        let shown = self.simulator.latest().cloned();
        match interop::export_report_flow(
            self.dialogs.as_mut(),
            shown.as_deref(),
            self.doc.persona_path(),
            &dir,
            format,
        ) {
            Ok(status) => self.status = status.or(self.status.take()),
            Err(report) => self.error = Some(report),
        }
    }

    fn import_chat_dialog(&mut self) {
        let dir = self.scenarios_dir.clone();
        let Some(path) = self.dialogs.pick_open(DialogKind::Chat, Some(&dir)) else {
            return;
        };
        let zone = self
            .doc
            .scenario()
            .users
            .first()
            .map_or("Europe/Paris", |u| u.timezone.name())
            .to_owned();
        match ChatForm::read(&path, &zone, &self.doc.persona().name) {
            Ok(mut form) => {
                form.replaces_unsaved = self
                    .doc
                    .scenario_dirty()
                    .then(|| self.doc.scenario().name.clone());
                self.interop = Some(InteropDialog::ImportChat(Box::new(form)));
            }
            Err(report) => self.error = Some(report),
        }
    }

    fn import_chat(&mut self, request: &ChatRequest) {
        match interop::import_chat_request(request) {
            Ok(imported) => {
                self.status = Some(interop::chat_status(request, &imported));
                self.interop = None;
                self.error = None;
                self.doc.set_unsaved_scenario(imported.scenario);
                self.timeline.reset_for_new_scenario();
                self.tab = Tab::Timeline;
            }
            Err(e) => {
                if let Some(InteropDialog::ImportChat(form)) = &mut self.interop {
                    form.error = Some(e);
                } else {
                    self.error = Some(error_report(
                        format!("cannot import {}", request.path.display()),
                        &e,
                    ));
                }
            }
        }
    }

    fn export_timeline_png(&mut self, ctx: &egui::Context) {
        let dir = self.scenarios_dir.clone();
        if let Some(path) =
            interop::pick_timeline_png(self.dialogs.as_mut(), &dir, self.doc.scenario())
        {
            if self.presentation.is_none() {
                self.tab = Tab::Timeline;
            }
            self.screenshot = Some(ScreenshotJob::request(ctx, path));
            self.status = Some("taking the timeline's picture…".to_owned());
        }
    }

    pub(super) fn poll_screenshot(&mut self, ctx: &egui::Context) {
        let Some(job) = &self.screenshot else {
            return;
        };
        match job.poll(self.timeline.plot_rect, ctx.pixels_per_point()) {
            None => {}
            Some(Ok(status)) => {
                self.status = Some(status);
                self.screenshot = None;
            }
            Some(Err(report)) => {
                self.error = Some(report);
                self.screenshot = None;
            }
        }
    }

    // ---- presentation mode and the Population tab ------------------------------------------

    fn toggle_presentation(&mut self, ctx: &egui::Context) {
        if self.presentation.is_some() {
            self.leave_presentation(ctx);
        } else {
            self.enter_presentation(ctx);
        }
    }

    fn drive_presentation(&mut self, command: PresentationCommand) {
        if let Some(p) = &mut self.presentation {
            p.apply(command, &mut self.timeline.cursor);
        }
    }

    fn enter_presentation(&mut self, ctx: &egui::Context) {
        let restore = Restore {
            fullscreen: ctx.input(|i| i.viewport().fullscreen).unwrap_or(false),
            zoom: ctx.zoom_factor(),
        };
        self.presentation = Some(Presentation::new(restore));
        self.timeline.cursor.apply(CursorCommand::ToStart, &[]);
        self.timeline.fit = true;
        ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(true));
        ctx.set_zoom_factor(restore.zoom * presentation::ZOOM_FACTOR);
    }

    fn leave_presentation(&mut self, ctx: &egui::Context) {
        let Some(p) = self.presentation.take() else {
            return;
        };
        self.timeline.cursor.apply(CursorCommand::Pause, &[]);
        self.timeline.fit = true;
        ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(p.restore.fullscreen));
        ctx.set_zoom_factor(p.restore.zoom);
    }

    /// Replaces the scenario with user `index` of the last population run and shows it on the
    /// Timeline tab. Unsaved scenario edits are never dropped: the user is asked to save first.
    fn open_population_user(&mut self, index: u64) {
        if self.doc.scenario_dirty() {
            self.population.set_open_error(Some(format!(
                "the scenario “{}” has unsaved changes: save it (File menu, Save scenario as…) or \
                 undo them, then open user #{index}",
                self.doc.scenario().name
            )));
            return;
        }
        match self.population.user_scenario(self.doc.persona(), index) {
            Err(e) => self.population.set_open_error(Some(e)),
            Ok((scenario, policy)) => {
                self.population.set_open_error(None);
                self.doc.set_scenario(scenario, None);
                self.timeline.reset_for_new_scenario();
                self.tab = Tab::Timeline;
                self.prefs.tab = Tab::Timeline;
                let persona_policy = self.doc.persona().policy.name().to_owned();
                self.status = Some(if policy == persona_policy {
                    format!("opened population user #{index}")
                } else {
                    format!(
                        "opened population user #{index}, simulated under {policy}; the \
                         timeline replays the persona's policy ({persona_policy})"
                    )
                });
            }
        }
    }
}
