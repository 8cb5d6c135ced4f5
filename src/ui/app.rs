//! The studio's shell: menus, the persona library, the tabs, the status line and the dialogs,
//! and the one place where commands are applied (once per frame, after every panel drew).

use std::path::{Path, PathBuf};

use egui::{Key, KeyboardShortcut, Modifiers, RichText, Ui};

use super::avatar::AvatarCache;
use super::command::{Command, Tab, UnsavedChoice};
use super::dialogs::{Dialog, PendingAction, dialog_ui};
use super::document::{Document, Edit};
use super::files::{
    DEFAULT_PERSONA, DEFAULT_SCENARIO, DialogKind, FileDialogs, FileKind, NativeDialogs,
    PERSONAS_DIR, SCENARIOS_DIR, list_files, own_scenario, resource,
};
use super::interop_dialogs::{self as interop, ChatForm, InteropDialog, ScreenshotJob};
use super::library_panel::{Library, copy_path, library_ui};
use super::persona_panel::persona_ui;
use super::policy_panel::policy_ui;
use super::population_panel::{PopulationState, population_ui};
use super::prefs::{Prefs, absolute};
use super::presentation::{Presentation, PresentationCommand, Restore, presentation_ui};
use super::preview::{Preview, preview};
use super::simulation::{SimInput, Simulator};
use super::theme;
use super::timeline_panel::{Selection, TimelineInputs, TimelineView, same_file, timeline_ui};
use crate::model::diagnostics::{Diagnostic, LoadError, Severity};
use crate::model::{Channel, Persona, Scenario};

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

/// How often open files are checked for changes made by other programs, in seconds.
const WATCH_INTERVAL_SECS: f64 = 1.0;

/// How the studio starts.
pub struct StudioOptions {
    /// The saved preferences.
    pub prefs: Prefs,
    /// The persona to open (else the last one, else the cinema maestro).
    pub persona: Option<PathBuf>,
    /// The scenario to open (else the last one, else the cinema demo).
    pub scenario: Option<PathBuf>,
    /// The file dialogs.
    pub dialogs: Box<dyn FileDialogs>,
    /// The personas folder the library lists.
    pub personas_dir: PathBuf,
    /// The folder of shipped scenarios.
    pub scenarios_dir: PathBuf,
    /// Whether to reload open files changed on disk (off in tests).
    pub watch_files: bool,
}

impl std::fmt::Debug for StudioOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StudioOptions")
            .field("persona", &self.persona)
            .field("scenario", &self.scenario)
            .field("personas_dir", &self.personas_dir)
            .finish_non_exhaustive()
    }
}

impl StudioOptions {
    /// The desktop studio: native dialogs, shipped folders, file watching.
    pub fn native(prefs: Prefs, persona: Option<PathBuf>, scenario: Option<PathBuf>) -> Self {
        Self {
            prefs,
            persona,
            scenario,
            dialogs: Box::new(NativeDialogs::default()),
            personas_dir: resource(PERSONAS_DIR),
            scenarios_dir: resource(SCENARIOS_DIR),
            watch_files: true,
        }
    }

    /// For tests and benchmarks: default preferences, the given dialogs, no file watching.
    pub fn headless(dialogs: Box<dyn FileDialogs>) -> Self {
        Self {
            prefs: Prefs::default(),
            persona: None,
            scenario: None,
            dialogs,
            personas_dir: resource(PERSONAS_DIR),
            scenarios_dir: resource(SCENARIOS_DIR),
            watch_files: false,
        }
    }
}

/// A file that could not be opened or saved, shown until dismissed.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorReport {
    /// What failed ("cannot open broken.ron").
    pub title: String,
    /// One line per problem, `file:line:col: error: message`.
    pub lines: Vec<String>,
}

impl ErrorReport {
    fn load(what: &str, error: &LoadError) -> Self {
        let path = error.path();
        Self {
            title: format!("{what} {}", path.display()),
            lines: error
                .diagnostics()
                .iter()
                .map(|d| d.display_in(path).to_string())
                .collect(),
        }
    }
}

/// The Relance studio.
pub struct StudioApp {
    prefs: Prefs,
    doc: Document,
    dialogs: Box<dyn FileDialogs>,
    library: Library,
    scenarios_dir: PathBuf,
    shipped_scenarios: Vec<PathBuf>,
    session_scenario: Option<PathBuf>,
    simulator: Simulator,
    population: PopulationState,
    simulated_revision: Option<u64>,
    sim_blocked: Option<String>,
    timeline: TimelineView,
    tab: Tab,
    diagnostics: Vec<Diagnostic>,
    previews: Vec<Preview>,
    derived_revision: Option<u64>,
    commands: Vec<Command>,
    error: Option<ErrorReport>,
    status: Option<String>,
    dialog: Option<Dialog>,
    allowed_to_close: bool,
    title: String,
    sent_title: String,
    watch_files: bool,
    last_watch_secs: f64,
    started: bool,
    now_secs: f64,
    interop: Option<InteropDialog>,
    avatars: AvatarCache,
    presentation: Option<Presentation>,
    screenshot: Option<ScreenshotJob>,
    tests: super::tests_panel::TestsView,
}

impl std::fmt::Debug for StudioApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StudioApp")
            .field("title", &self.title)
            .field("tab", &self.tab)
            .finish_non_exhaustive()
    }
}

impl StudioApp {
    /// Opens the studio: the requested files, else those of the last session, else the cinema
    /// maestro and the demo scenario. A file that cannot be opened is reported in the studio.
    pub fn new(options: StudioOptions) -> Self {
        let StudioOptions {
            mut prefs,
            persona,
            scenario,
            dialogs,
            personas_dir,
            scenarios_dir,
            watch_files,
        } = options;
        let session_scenario = prefs.last_scenario.clone();
        let mut error = None;
        let mut doc = Document::new(Persona::new_blank("new-persona", "New persona"));

        // A persona named on the command line opens on its own scenario when it ships one.
        let own = persona
            .as_deref()
            .filter(|_| scenario.is_none())
            .and_then(|p| own_scenario(p, &scenarios_dir));
        let scenario = scenario.or(own);
        let persona_path = persona
            .or_else(|| prefs.last_persona.clone().filter(|p| p.is_file()))
            .unwrap_or_else(|| resource(DEFAULT_PERSONA));
        match Persona::load(&persona_path) {
            Ok(p) => doc.set_persona(p, Some(persona_path.clone())),
            Err(e) => {
                error = Some(ErrorReport::load("cannot open", &e));
                let fallback = resource(DEFAULT_PERSONA);
                if let Ok(p) = Persona::load(&fallback) {
                    doc.set_persona(p, Some(fallback));
                }
            }
        }
        let scenario_path = scenario
            .or_else(|| prefs.last_scenario.clone().filter(|p| p.is_file()))
            .unwrap_or_else(|| resource(DEFAULT_SCENARIO));
        match Scenario::load(&scenario_path) {
            Ok(s) => doc.set_scenario(s, Some(scenario_path.clone())),
            Err(e) => {
                if error.is_none() {
                    error = Some(ErrorReport::load("cannot open", &e));
                }
                let fallback = resource(DEFAULT_SCENARIO);
                if let Ok(s) = Scenario::load(&fallback) {
                    doc.set_scenario(s, Some(fallback));
                }
            }
        }
        prefs.last_persona = doc.persona_path().map(absolute);
        prefs.last_scenario = doc.scenario_path().map(absolute);
        let library = Library::new(personas_dir, &prefs.extra_personas);
        let shipped_scenarios = list_files(&scenarios_dir);
        let mut timeline = TimelineView::default();
        timeline
            .cursor
            .apply(super::cursor::CursorCommand::SetSpeed(prefs.speed), &[]);
        let tab = prefs.tab;
        let population = PopulationState::new(prefs.population.clone());
        let mut app = Self {
            prefs,
            doc,
            dialogs,
            library,
            scenarios_dir,
            shipped_scenarios,
            session_scenario,
            simulator: Simulator::new(None),
            population,
            simulated_revision: None,
            sim_blocked: None,
            timeline,
            tab,
            diagnostics: Vec::new(),
            previews: Vec::new(),
            derived_revision: None,
            commands: Vec::new(),
            error,
            status: None,
            dialog: None,
            allowed_to_close: false,
            title: String::new(),
            sent_title: String::new(),
            watch_files,
            last_watch_secs: 0.0,
            started: false,
            now_secs: 0.0,
            interop: None,
            avatars: AvatarCache::default(),
            presentation: None,
            screenshot: None,
            tests: super::tests_panel::TestsView::default(),
        };
        app.refresh_derived();
        app
    }

    // ---- read access, for tests and benchmarks -------------------------------------------

    /// The document being edited.
    pub fn document(&self) -> &Document {
        &self.doc
    }

    /// The window title ("Maestro of Movie Magic ● — Relance" while unsaved).
    pub fn window_title(&self) -> &str {
        &self.title
    }

    /// The tab shown.
    pub fn tab(&self) -> Tab {
        self.tab
    }

    /// The error report shown, if any.
    pub fn error(&self) -> Option<&ErrorReport> {
        self.error.as_ref()
    }

    /// The dialog shown, if any.
    pub fn dialog(&self) -> Option<&Dialog> {
        self.dialog.as_ref()
    }

    /// Sent and held-back decisions of the newest simulation.
    pub fn totals(&self) -> Option<(usize, usize)> {
        self.simulator.latest().map(|o| o.timeline.totals)
    }

    /// Whether a simulation is under way.
    pub fn is_busy(&self) -> bool {
        self.simulator.is_busy()
    }

    /// Waits for the simulation under way and takes its result.
    pub fn wait_for_simulation(&mut self) {
        self.simulator.wait();
        self.take_simulation();
    }

    /// The Timeline tab's state.
    pub fn timeline(&self) -> &TimelineView {
        &self.timeline
    }

    /// The Tests tab's state (its last run).
    pub fn tests(&self) -> &super::tests_panel::TestsView {
        &self.tests
    }

    /// The Population tab's state.
    pub fn population(&self) -> &PopulationState {
        &self.population
    }

    /// Waits for the population run under way and takes its result.
    pub fn wait_for_population(&mut self) {
        self.population.wait();
    }

    /// The preferences (saved on exit).
    pub fn prefs(&self) -> &Prefs {
        &self.prefs
    }

    /// The persona's diagnostics (validation and lint).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The live previews of the Persona tab.
    pub fn previews(&self) -> &[Preview] {
        &self.previews
    }

    /// The import/export form shown, if any.
    pub fn interop_dialog(&self) -> Option<&InteropDialog> {
        self.interop.as_ref()
    }

    /// The presentation under way, if any.
    pub fn presentation(&self) -> Option<&Presentation> {
        self.presentation.as_ref()
    }

    /// The status line's message, if any.
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// Queues a command, as a widget would.
    pub fn push(&mut self, command: Command) {
        self.commands.push(command);
    }

    // ---- the frame -----------------------------------------------------------------------

    /// Shows the whole studio in `ui` (the window's root) and applies this frame's commands.
    pub fn studio_ui(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        self.now_secs = ctx.input(|i| i.time);
        if !self.started {
            self.started = true;
            self.simulator.set_wake(ctx.clone());
            self.population.set_wake(ctx.clone());
            ctx.set_theme(self.prefs.theme.preference());
            ctx.set_zoom_factor(self.prefs.clamped_zoom());
        }
        if self.presentation.is_none() {
            self.prefs.zoom = ctx.zoom_factor();
        }
        self.take_simulation();
        self.population.poll();
        self.close_request(&ctx);
        self.dropped_files(&ctx);
        self.watch(&ctx);
        self.shortcuts(&ctx);

        let mut commands = std::mem::take(&mut self.commands);
        if self.presentation.is_some() {
            self.presentation_frame_ui(ui, &mut commands);
        } else {
            self.studio_frame_ui(ui, &mut commands);
        }
        if let Some(dialog) = &mut self.interop {
            interop::interop_dialog_ui(&ctx, dialog, &mut commands);
        }
        self.file_hover_ui(&ctx);

        self.commands.extend(commands);
        let commands = std::mem::take(&mut self.commands);
        for command in commands {
            self.apply(&ctx, command);
        }
        if let Some(why) = self.dialogs.take_failure() {
            self.error = Some(ErrorReport {
                title: "no file dialog".to_owned(),
                lines: vec![why],
            });
        }
        self.refresh_derived();
        self.update_title(&ctx);
        self.poll_screenshot(&ctx);
        let dt = f64::from(ctx.input(|i| i.stable_dt)).min(0.1);
        let moving = match &mut self.presentation {
            Some(p) => p.tick(dt, &mut self.timeline.cursor),
            None => self.timeline.cursor.tick(dt) || self.timeline.cursor.is_playing(),
        };
        if moving {
            ctx.request_repaint();
        }
        if self.simulator.is_busy() {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
        if self.population.is_running() {
            // The progress bar moves while the run is under way.
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        if self.prefs.population != self.population.settings {
            self.prefs.population.clone_from(&self.population.settings);
        }
    }

    /// Presentation mode: the caption and the timeline, nothing else.
    fn presentation_frame_ui(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
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
    fn studio_frame_ui(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
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

    fn central_ui(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
        if let Some(report) = &self.error {
            egui::Frame::new()
                .fill(theme::ERROR.gamma_multiply(0.15))
                .stroke(egui::Stroke::new(1.0, theme::ERROR))
                .inner_margin(8.0)
                .corner_radius(4.0)
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(&report.title).strong().color(theme::ERROR));
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
            Tab::Tests => super::tests_panel::tests_ui(
                ui,
                &mut self.tests,
                self.doc.persona(),
                self.doc.persona_path(),
                self.doc.revision(),
                commands,
            ),
        }
    }

    fn menu_ui(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
        egui::MenuBar::new().ui(ui, |ui| {
            let ctx = ui.ctx().clone();
            let item = |ui: &mut Ui, label: &str, shortcut: Option<&KeyboardShortcut>| {
                let mut b = egui::Button::new(label);
                if let Some(s) = shortcut {
                    b = b.shortcut_text(ctx.format_shortcut(s));
                }
                ui.add(b).clicked()
            };
            ui.menu_button("File", |ui| {
                if item(ui, "New persona", Some(&NEW)) {
                    commands.push(Command::NewPersona);
                }
                if item(ui, "Open…", Some(&OPEN)) {
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
                if item(ui, "Save", Some(&SAVE)) {
                    commands.push(Command::Save);
                }
                if item(ui, "Save as…", Some(&SAVE_AS)) {
                    commands.push(Command::SaveAs);
                }
                if item(ui, "Save scenario as…", None) {
                    commands.push(Command::SaveScenarioAs);
                }
                if ui
                    .add_enabled(
                        self.doc.persona_path().is_some() && self.doc.persona_dirty(),
                        egui::Button::new("Revert"),
                    )
                    .clicked()
                {
                    commands.push(Command::Revert);
                }
                ui.separator();
                if item(ui, "Import…", None) {
                    commands.push(Command::ImportPersonaDialog);
                }
                if item(ui, "Export…", None) {
                    commands.push(Command::ExportPersonaDialog);
                }
                if item(ui, "Export report…", None) {
                    commands.push(Command::ExportReportDialog);
                }
                ui.separator();
                if item(ui, "Quit", None) {
                    commands.push(Command::Quit);
                }
            });
            ui.menu_button("Edit", |ui| {
                if ui
                    .add_enabled(
                        self.doc.can_undo(),
                        egui::Button::new("Undo").shortcut_text(ctx.format_shortcut(&UNDO)),
                    )
                    .clicked()
                {
                    commands.push(Command::Undo);
                }
                if ui
                    .add_enabled(
                        self.doc.can_redo(),
                        egui::Button::new("Redo").shortcut_text(ctx.format_shortcut(&REDO)),
                    )
                    .clicked()
                {
                    commands.push(Command::Redo);
                }
            });
            ui.menu_button("View", |ui| {
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
                if item(ui, "Presentation", Some(&PRESENT)) {
                    commands.push(Command::TogglePresentation);
                }
            });
            // Not "Timeline": the tab has that name, and one label must name one widget.
            ui.menu_button("Scenario", |ui| {
                if item(ui, "Import chat…", None) {
                    commands.push(Command::ImportChatDialog);
                }
                if item(ui, "Export timeline as PNG…", None) {
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
            // Quick access to undo and redo, also for screen readers and tests.
            ui.separator();
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
        });
    }

    fn status_ui(&self, ui: &mut Ui) {
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
                    ui.colored_label(theme::PASS, "valid");
                }
                (0, w) => {
                    ui.colored_label(theme::WARNING, format!("valid, {w} warning{}", plural(w)));
                }
                (e, w) => {
                    ui.colored_label(
                        theme::ERROR,
                        format!("{e} error{}, {w} warning{}", plural(e), plural(w)),
                    );
                }
            }
            ui.separator();
            if let Some(blocked) = &self.sim_blocked {
                ui.colored_label(theme::ERROR, blocked);
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
                ui.colored_label(theme::ERROR, f);
            }
            if let Some(s) = &self.status {
                ui.separator();
                ui.label(s);
            }
            if self.error.is_some() {
                ui.separator();
                ui.colored_label(theme::ERROR, "error: see the report above the tabs");
            }
        });
    }

    fn file_hover_ui(&self, ctx: &egui::Context) {
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

    // ---- inputs outside widgets ------------------------------------------------------------

    fn shortcuts(&mut self, ctx: &egui::Context) {
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
            out.push(Command::Cursor(super::cursor::CursorCommand::TogglePlay));
        }
        self.commands.extend(out);
    }

    fn close_request(&mut self, ctx: &egui::Context) {
        if ctx.input(|i| i.viewport().close_requested())
            && !self.allowed_to_close
            && self.doc.dirty()
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.ask_unsaved(PendingAction::Quit);
        }
    }

    fn dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_owned())
                .collect()
        });
        for path in dropped {
            self.commands.push(Command::Open(path));
        }
    }

    fn watch(&mut self, ctx: &egui::Context) {
        if !self.watch_files {
            return;
        }
        ctx.request_repaint_after(std::time::Duration::from_secs_f64(WATCH_INTERVAL_SECS));
        if self.now_secs - self.last_watch_secs < WATCH_INTERVAL_SECS {
            return;
        }
        self.last_watch_secs = self.now_secs;
        self.library_refresh_if_changed();
        if self.dialog.is_some() {
            return;
        }
        let mut asked = Vec::new();
        if self.doc.persona_changed_on_disk() {
            if self.doc.persona_dirty() {
                asked.extend(self.doc.persona_path().map(Path::to_owned));
            } else {
                self.reload_persona_from_disk();
            }
        }
        if self.doc.scenario_changed_on_disk() {
            if self.doc.scenario_dirty() {
                asked.extend(self.doc.scenario_path().map(Path::to_owned));
            } else {
                self.reload_scenario_from_disk();
            }
        }
        if !asked.is_empty() {
            self.dialog = Some(Dialog::DiskChanged(asked));
        }
    }

    fn library_refresh_if_changed(&mut self) {
        let before: Vec<PathBuf> = self
            .library
            .entries
            .iter()
            .map(|e| e.path.clone())
            .collect();
        let now: Vec<PathBuf> = list_files(&self.library.dir)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("ron")))
            .collect();
        if now.iter().any(|p| !before.contains(p)) || before.len() < now.len() {
            self.library.refresh(&self.prefs.extra_personas);
        }
    }

    fn reload_persona_from_disk(&mut self) {
        let Some(path) = self.doc.persona_path().map(Path::to_owned) else {
            return;
        };
        match Persona::load(&path) {
            Ok(p) => {
                self.doc.set_persona(p, Some(path.clone()));
                self.status = Some(format!("reloaded {}: it changed on disk", path.display()));
            }
            Err(e) => {
                self.error = Some(ErrorReport::load("changed on disk, cannot reload", &e));
                self.doc.acknowledge_disk_changes();
            }
        }
        self.library.refresh(&self.prefs.extra_personas);
    }

    fn reload_scenario_from_disk(&mut self) {
        let Some(path) = self.doc.scenario_path().map(Path::to_owned) else {
            return;
        };
        match Scenario::load(&path) {
            Ok(s) => {
                self.doc.set_scenario(s, Some(path.clone()));
                self.status = Some(format!("reloaded {}: it changed on disk", path.display()));
            }
            Err(e) => {
                self.error = Some(ErrorReport::load("changed on disk, cannot reload", &e));
                self.doc.acknowledge_disk_changes();
            }
        }
    }

    // ---- derived data ----------------------------------------------------------------------

    fn take_simulation(&mut self) {
        if self.simulator.poll()
            && let Some(out) = self.simulator.latest()
        {
            self.timeline.follow(&out.timeline);
        }
    }

    /// Validation, previews and the simulation follow the document's revision.
    fn refresh_derived(&mut self) {
        let revision = self.doc.revision();
        if self.derived_revision == Some(revision) {
            return;
        }
        self.derived_revision = Some(revision);
        let persona = self.doc.persona();
        let mut diagnostics = persona.validate();
        diagnostics.extend(crate::safety::lint_persona(persona));
        self.diagnostics = diagnostics;
        self.previews = persona
            .languages
            .iter()
            .map(|lang| preview(persona, *lang, Channel::Messenger))
            .chain(std::iter::once(preview(
                persona,
                persona.first_language(),
                Channel::Whatsapp,
            )))
            .collect();
        if self.simulated_revision != Some(revision) {
            self.simulated_revision = Some(revision);
            match persona.policy.resolve() {
                None => {
                    self.sim_blocked = Some(format!(
                        "no simulation: no preset is named `{}`",
                        persona.policy.name()
                    ));
                }
                Some(policy) => {
                    let problems = policy.validate("");
                    if let Some(first) = problems.first() {
                        self.sim_blocked = Some(format!(
                            "no simulation: the policy is invalid: {}",
                            first.message
                        ));
                    } else {
                        self.sim_blocked = None;
                        self.simulator.request(SimInput {
                            persona: persona.clone(),
                            policy,
                            scenario: self.doc.scenario().clone(),
                        });
                    }
                }
            }
        }
    }

    fn update_title(&mut self, ctx: &egui::Context) {
        let marker = if self.doc.dirty() { " ●" } else { "" };
        self.title = format!("{}{marker} — Relance", self.doc.persona().name);
        if self.title != self.sent_title {
            self.sent_title = self.title.clone();
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(self.title.clone()));
        }
    }

    // ---- commands ----------------------------------------------------------------------------

    fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::NewPersona => {
                if self.doc.persona_dirty() {
                    self.ask_unsaved(PendingAction::NewPersona);
                } else {
                    self.perform(ctx, PendingAction::NewPersona);
                }
            }
            Command::OpenDialog => {
                let dir = self.library.dir.clone();
                if let Some(path) = self.dialogs.pick_open(DialogKind::AnyFile, Some(&dir)) {
                    self.open(ctx, &path);
                }
            }
            Command::Open(path) => self.open(ctx, &path),
            Command::OpenScenarioDialog => {
                let dir = self.scenarios_dir.clone();
                if let Some(path) = self.dialogs.pick_open(DialogKind::Scenario, Some(&dir)) {
                    self.open(ctx, &path);
                }
            }
            Command::Save => {
                self.save_all();
            }
            Command::SaveAs => {
                self.save_persona_as();
            }
            Command::SaveScenarioAs => {
                self.save_scenario_as();
            }
            Command::Revert => {
                if let Err(e) = self.doc.revert_persona(self.now_secs) {
                    self.error = Some(ErrorReport::load("cannot revert to", &e));
                } else {
                    self.status =
                        Some("reverted to the saved file (undo brings your edits back)".to_owned());
                }
            }
            Command::Quit => {
                if self.doc.dirty() {
                    self.ask_unsaved(PendingAction::Quit);
                } else {
                    self.perform(ctx, PendingAction::Quit);
                }
            }
            Command::DuplicatePersona(path) => self.duplicate(ctx, &path),
            Command::AskDeletePersona(path) => self.dialog = Some(Dialog::ConfirmDelete(path)),
            Command::DeletePersona(path) => self.delete(&path),
            Command::Edit(edit, key) => {
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
            Command::Undo => {
                if self.doc.undo() {
                    self.status = Some("undone".to_owned());
                }
            }
            Command::Redo => {
                if self.doc.redo() {
                    self.status = Some("redone".to_owned());
                }
            }
            Command::SetTab(tab) => {
                self.tab = tab;
                self.prefs.tab = tab;
            }
            Command::SetTheme(choice) => {
                self.prefs.theme = choice;
                ctx.set_theme(choice.preference());
            }
            Command::ZoomIn => self.set_zoom(ctx, self.prefs.zoom + 0.1),
            Command::ZoomOut => self.set_zoom(ctx, self.prefs.zoom - 0.1),
            Command::ZoomReset => self.set_zoom(ctx, 1.0),
            Command::ShowShortcuts => self.dialog = Some(Dialog::Shortcuts),
            Command::ShowAbout => self.dialog = Some(Dialog::About),
            Command::Cursor(c) => {
                let instants = self
                    .simulator
                    .latest()
                    .map(|o| o.timeline.instants_secs.clone())
                    .unwrap_or_default();
                self.timeline.cursor.apply(c, &instants);
                self.prefs.speed = self.timeline.cursor.speed();
            }
            Command::Select(selection) => {
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
                        .apply(super::cursor::CursorCommand::Scrub(at_secs), &[]);
                }
            }
            Command::SelectUser(user) => {
                self.timeline.user = user;
                self.timeline.selection = Selection::None;
            }
            Command::FitTimeline => self.timeline.fit = true,
            Command::OpenTestResult(target) => self.open_test_result(ctx, *target),
            Command::RerunTests => self.tests.invalidate(),
            Command::RecordSuite(path) => self.record_suite(&path),
            Command::DismissError => self.error = None,
            Command::DismissHint => self.prefs.hint_dismissed = true,
            Command::ResolveUnsaved(choice) => {
                let Some(Dialog::Unsaved(action, _)) = self.dialog.take() else {
                    return;
                };
                match choice {
                    UnsavedChoice::Cancel => {}
                    UnsavedChoice::Discard => self.perform(ctx, action),
                    UnsavedChoice::Save => {
                        let saved_persona = !action.drops_persona()
                            || !self.doc.persona_dirty()
                            || self.save_persona();
                        let saved_scenario = !action.drops_scenario()
                            || !self.doc.scenario_dirty()
                            || self.save_scenario();
                        if saved_persona && saved_scenario {
                            self.perform(ctx, action);
                        }
                    }
                }
            }
            Command::ReloadChangedFiles => {
                self.dialog = None;
                if self.doc.persona_changed_on_disk() {
                    self.reload_persona_from_disk();
                }
                if self.doc.scenario_changed_on_disk() {
                    self.reload_scenario_from_disk();
                }
            }
            Command::KeepMyVersion => {
                self.dialog = None;
                self.doc.acknowledge_disk_changes();
            }
            Command::CloseDialog => self.dialog = None,
            Command::ImportPersonaDialog => {
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
            Command::ExportPersonaDialog => {
                self.interop = Some(InteropDialog::ExportPersona(Default::default()));
            }
            Command::PickExportAvatar => {
                let dir = self.library.dir.clone();
                if let Some(path) = self.dialogs.pick_open(DialogKind::Png, Some(&dir))
                    && let Some(InteropDialog::ExportPersona(form)) = &mut self.interop
                {
                    form.avatar = Some(path);
                }
            }
            Command::ExportPersona(form) => {
                self.interop = None;
                let dir = self.library.dir.clone();
                match interop::export_persona_flow(
                    self.dialogs.as_mut(),
                    self.doc.persona(),
                    self.doc.persona_path(),
                    &dir,
                    &form,
                ) {
                    Ok(status) => self.status = status.or(self.status.take()),
                    Err(report) => self.error = Some(report),
                }
            }
            Command::ExportReportDialog => {
                self.interop = Some(InteropDialog::ExportReport(
                    crate::report::document::ReportFormat::Html,
                ));
            }
            Command::ExportReport(format) => {
                self.interop = None;
                let dir = self.scenarios_dir.clone();
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
            Command::ImportChatDialog => {
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
            Command::ImportChat(request) => match interop::import_chat_request(&request) {
                Ok(imported) => {
                    self.status = Some(interop::chat_status(&request, &imported));
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
                        self.error = Some(interop::error_report(
                            format!("cannot import {}", request.path.display()),
                            &e,
                        ));
                    }
                }
            },
            Command::ExportTimelinePng => {
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
            Command::CloseInteropDialog => self.interop = None,
            Command::TogglePresentation => {
                if self.presentation.is_some() {
                    self.leave_presentation(ctx);
                } else {
                    self.enter_presentation(ctx);
                }
            }
            Command::LeavePresentation => self.leave_presentation(ctx),
            Command::Presentation(c) => {
                if let Some(p) = &mut self.presentation {
                    p.apply(c, &mut self.timeline.cursor);
                }
            }
            Command::RunPopulation => self.population.start(self.doc.persona()),
            Command::CancelPopulation => self.population.cancel(),
            Command::OpenPopulationUser(index) => self.open_population_user(index),
        }
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

    fn enter_presentation(&mut self, ctx: &egui::Context) {
        let restore = Restore {
            fullscreen: ctx.input(|i| i.viewport().fullscreen).unwrap_or(false),
            zoom: ctx.zoom_factor(),
        };
        self.presentation = Some(Presentation::new(restore));
        self.timeline
            .cursor
            .apply(super::cursor::CursorCommand::ToStart, &[]);
        self.timeline.fit = true;
        ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(true));
        ctx.set_zoom_factor(restore.zoom * super::presentation::ZOOM_FACTOR);
    }

    fn leave_presentation(&mut self, ctx: &egui::Context) {
        let Some(p) = self.presentation.take() else {
            return;
        };
        self.timeline
            .cursor
            .apply(super::cursor::CursorCommand::Pause, &[]);
        self.timeline.fit = true;
        ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(p.restore.fullscreen));
        ctx.set_zoom_factor(p.restore.zoom);
    }

    fn poll_screenshot(&mut self, ctx: &egui::Context) {
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

    fn set_zoom(&mut self, ctx: &egui::Context, zoom: f32) {
        self.prefs.zoom = zoom;
        self.prefs.zoom = self.prefs.clamped_zoom();
        ctx.set_zoom_factor(self.prefs.zoom);
    }

    fn ask_unsaved(&mut self, action: PendingAction) {
        let mut what = Vec::new();
        if action.drops_persona() && self.doc.persona_dirty() {
            what.push(format!("The persona “{}”", self.doc.persona().name));
        }
        if action.drops_scenario() && self.doc.scenario_dirty() {
            what.push(format!("the scenario “{}”", self.doc.scenario().name));
        }
        self.dialog = Some(Dialog::Unsaved(action, what.join(" and ")));
    }

    fn perform(&mut self, ctx: &egui::Context, action: PendingAction) {
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

    /// Opens the Timeline on a test expectation's decision, its scenario opened first, with the
    /// expected outcome drawn beside it.
    fn open_test_result(&mut self, ctx: &egui::Context, target: super::tests_panel::TestTarget) {
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

    /// Opens a persona or a scenario; a file that does not load is reported and changes nothing.
    fn open(&mut self, ctx: &egui::Context, path: &Path) {
        let source = match std::fs::read_to_string(path) {
            Ok(s) => s,
            Err(e) => {
                self.error = Some(ErrorReport::load("cannot open", &LoadError::io(path, e)));
                return;
            }
        };
        let Some(kind) = FileKind::guess(path, &source) else {
            self.error = Some(ErrorReport::load(
                "cannot open",
                &LoadError::UnknownFormat {
                    path: path.to_owned(),
                    expected: ".ron (persona or scenario) or .json (scenario)",
                },
            ));
            return;
        };
        match kind {
            FileKind::Persona => match Persona::from_ron_str(&source, path) {
                Err(e) => self.error = Some(ErrorReport::load("cannot open", &e)),
                Ok(persona) => {
                    self.error = None;
                    self.prefs.remember(path);
                    let in_library = self
                        .library
                        .entries
                        .iter()
                        .any(|e| same_file(&e.path, path));
                    if !in_library {
                        let abs = absolute(path);
                        if !self.prefs.extra_personas.contains(&abs) {
                            self.prefs.extra_personas.push(abs);
                        }
                        self.library.refresh(&self.prefs.extra_personas);
                    }
                    let action = PendingAction::ReplacePersona(Box::new(persona), path.to_owned());
                    if self.doc.persona_dirty() {
                        self.ask_unsaved(action);
                    } else {
                        self.perform(ctx, action);
                    }
                }
            },
            FileKind::Scenario => {
                let Some(format) = crate::model::scenario::ScenarioFormat::from_path(path) else {
                    return;
                };
                match Scenario::from_str(&source, format, path) {
                    Err(e) => self.error = Some(ErrorReport::load("cannot open", &e)),
                    Ok((scenario, warnings)) => {
                        self.error = None;
                        self.prefs.remember(path);
                        let action =
                            PendingAction::ReplaceScenario(Box::new(scenario), path.to_owned());
                        if self.doc.scenario_dirty() {
                            self.ask_unsaved(action);
                        } else {
                            self.perform(ctx, action);
                        }
                        if let Some(w) = warnings.first() {
                            self.status = Some(w.display_in(path).to_string());
                        }
                    }
                }
            }
        }
    }

    /// Opens the scenario shipped for the persona at `persona_path`, when it has one, it is not
    /// already open, and the open scenario has no unsaved edits.
    fn open_own_scenario(&mut self, persona_path: &Path) {
        let Some(own) = own_scenario(persona_path, &self.scenarios_dir) else {
            return;
        };
        if self.doc.scenario_dirty() || self.doc.scenario_path().is_some_and(|p| same_file(p, &own))
        {
            return;
        }
        match Scenario::load(&own) {
            Ok(s) => {
                self.doc.set_scenario(s, Some(own.clone()));
                self.prefs.last_scenario = Some(absolute(&own));
                self.timeline.reset_for_new_scenario();
                self.status = Some(format!(
                    "opened {} with its scenario {}",
                    persona_path.display(),
                    own.display()
                ));
            }
            Err(e) => self.error = Some(ErrorReport::load("cannot open", &e)),
        }
    }

    /// Saves the persona, and the scenario when it was edited.
    fn save_all(&mut self) -> bool {
        let persona = self.save_persona();
        let scenario = !self.doc.scenario_dirty() || self.save_scenario();
        persona && scenario
    }

    fn save_persona(&mut self) -> bool {
        match self.doc.persona_path().map(Path::to_owned) {
            Some(path) => self.save_persona_to(&path),
            None => self.save_persona_as(),
        }
    }

    fn save_persona_as(&mut self) -> bool {
        let name = format!("{}.ron", self.doc.persona().id);
        let dir = self.library.dir.clone();
        let Some(mut path) = self
            .dialogs
            .pick_save(DialogKind::Persona, Some(&dir), &name)
        else {
            return false;
        };
        if path.extension().is_none() {
            path.set_extension("ron");
        }
        self.save_persona_to(&path)
    }

    fn save_persona_to(&mut self, path: &Path) -> bool {
        match self.doc.save_persona(path) {
            Ok(()) => {
                self.prefs.remember(path);
                self.prefs.last_persona = Some(absolute(path));
                if !self
                    .library
                    .entries
                    .iter()
                    .any(|e| same_file(&e.path, path))
                    && !path
                        .parent()
                        .is_some_and(|d| same_file(d, &self.library.dir))
                {
                    self.prefs.extra_personas.push(absolute(path));
                }
                self.library.refresh(&self.prefs.extra_personas);
                self.status = Some(format!("saved {}", path.display()));
                true
            }
            Err(e) => {
                self.error = Some(ErrorReport::load("cannot save", &e));
                false
            }
        }
    }

    fn save_scenario(&mut self) -> bool {
        match self.doc.scenario_path().map(Path::to_owned) {
            Some(path) => self.save_scenario_to(&path),
            None => self.save_scenario_as(),
        }
    }

    fn save_scenario_as(&mut self) -> bool {
        let stem: String = self
            .doc
            .scenario()
            .name
            .chars()
            .map(|c| {
                if c.is_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let name = format!("{}.json", stem.trim_matches('-'));
        let dir = self.scenarios_dir.clone();
        let Some(mut path) = self
            .dialogs
            .pick_save(DialogKind::Scenario, Some(&dir), &name)
        else {
            return false;
        };
        if path.extension().is_none() {
            path.set_extension("json");
        }
        self.save_scenario_to(&path)
    }

    fn save_scenario_to(&mut self, path: &Path) -> bool {
        match self.doc.save_scenario(path) {
            Ok(()) => {
                self.prefs.remember(path);
                self.prefs.last_scenario = Some(absolute(path));
                self.status = Some(format!("saved {}", path.display()));
                true
            }
            Err(e) => {
                self.error = Some(ErrorReport::load("cannot save", &e));
                false
            }
        }
    }

    fn duplicate(&mut self, ctx: &egui::Context, path: &Path) {
        let source = if self.doc.persona_path().is_some_and(|p| same_file(p, path)) {
            Ok(self.doc.persona().clone())
        } else {
            Persona::load(path)
        };
        let mut persona = match source {
            Ok(p) => p,
            Err(e) => {
                self.error = Some(ErrorReport::load("cannot duplicate", &e));
                return;
            }
        };
        let dir = path
            .parent()
            .map_or_else(|| self.library.dir.clone(), Path::to_owned);
        let (copy, id) = copy_path(&dir, path);
        persona.id = id;
        persona.name = format!("{} (copy)", persona.name);
        if let Err(e) = persona.save(&copy) {
            self.error = Some(ErrorReport::load("cannot duplicate into", &e));
            return;
        }
        self.library.refresh(&self.prefs.extra_personas);
        self.open(ctx, &copy);
        self.status = Some(format!("duplicated into {}", copy.display()));
    }

    fn delete(&mut self, path: &Path) {
        if let Err(e) = std::fs::remove_file(path) {
            self.error = Some(ErrorReport::load("cannot delete", &LoadError::io(path, e)));
            return;
        }
        if self.doc.persona_path().is_some_and(|p| same_file(p, path)) {
            self.doc.detach_persona_file();
        }
        self.prefs.extra_personas.retain(|p| !same_file(p, path));
        self.prefs.recent_files.retain(|p| !same_file(p, path));
        self.library.refresh(&self.prefs.extra_personas);
        self.status = Some(format!(
            "deleted {}; the persona stays open until you close it",
            path.display()
        ));
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl eframe::App for StudioApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.studio_ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.prefs);
    }

    /// egui's own memory could hold text being edited: persona content stays out of the
    /// preferences, so it is not saved.
    fn persist_egui_memory(&self) -> bool {
        false
    }
}
