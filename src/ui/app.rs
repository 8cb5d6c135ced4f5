//! The studio's shell: the app's state, how it starts, and the frame loop (inputs, the layout,
//! then the frame's commands applied once, after every panel drew).
//!
//! One file per concern below it: the menus and shortcuts (`menu`), the layout of a frame
//! (`layout`), applying commands (`apply`) and opening and saving files (`open_save`).

use std::path::{Path, PathBuf};

use egui::Ui;

use super::avatar::AvatarCache;
use super::command::{Command, Tab};
use super::cursor::CursorCommand;
use super::dialogs::Dialog;
use super::document::Document;
use super::error_report::ErrorReport;
use super::files::{
    DEFAULT_PERSONA, DEFAULT_SCENARIO, FileDialogs, NativeDialogs, PERSONAS_DIR, SCENARIOS_DIR,
    list_files, own_scenario, resource,
};
use super::interop_dialogs::{self as interop, InteropDialog, ScreenshotJob};
use super::library_panel::Library;
use super::population_panel::PopulationState;
use super::prefs::{Prefs, absolute};
use super::presentation::Presentation;
use super::preview::{Preview, preview};
use super::simulation::{SimInput, Simulator};
use super::tests_panel::TestsView;
use super::timeline_panel::TimelineView;
use crate::model::diagnostics::Diagnostic;
use crate::model::{Channel, Persona, Scenario};

mod apply;
mod layout;
mod menu;
mod open_save;

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

/// The Relance studio. Only [`Prefs`] is saved between runs (by eframe); everything else is
/// runtime state, rebuilt from the files when the studio starts.
pub struct StudioApp {
    // Persisted: the preferences.
    prefs: Prefs,
    // The document, its files and the folders around it.
    doc: Document,
    dialogs: Box<dyn FileDialogs>,
    library: Library,
    scenarios_dir: PathBuf,
    shipped_scenarios: Vec<PathBuf>,
    session_scenario: Option<PathBuf>,
    watch_files: bool,
    last_watch_secs: f64,
    // Derived from the document's revision.
    simulator: Simulator,
    simulated_revision: Option<u64>,
    sim_blocked: Option<String>,
    diagnostics: Vec<Diagnostic>,
    previews: Vec<Preview>,
    derived_revision: Option<u64>,
    // The panels' own state.
    tab: Tab,
    timeline: TimelineView,
    population: PopulationState,
    tests: TestsView,
    avatars: AvatarCache,
    interop: Option<InteropDialog>,
    presentation: Option<Presentation>,
    screenshot: Option<ScreenshotJob>,
    // The shell: this frame's commands, messages, dialogs and window title.
    commands: Vec<Command>,
    error: Option<ErrorReport>,
    status: Option<String>,
    dialog: Option<Dialog>,
    allowed_to_close: bool,
    title: String,
    sent_title: String,
    started: bool,
    now_secs: f64,
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
        let mut doc = Document::new(Persona::new_blank("new-persona", "New persona"));
        let error = open_first_files(&mut doc, &prefs, persona, scenario, &scenarios_dir);
        prefs.last_persona = doc.persona_path().map(absolute);
        prefs.last_scenario = doc.scenario_path().map(absolute);
        let library = Library::new(personas_dir, &prefs.extra_personas);
        let shipped_scenarios = list_files(&scenarios_dir);
        let mut timeline = TimelineView::default();
        timeline
            .cursor
            .apply(CursorCommand::SetSpeed(prefs.speed), &[]);
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
            tests: TestsView::default(),
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
    pub fn tests(&self) -> &TestsView {
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
            super::theme::install(&ctx);
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
}

/// Opens the persona and scenario the studio starts on, into `doc`: those asked for (a
/// persona alone brings its own scenario when one ships), else the last session's, else the
/// cinema maestro and its demo. A file that does not load falls back to the shipped one and
/// is reported.
fn open_first_files(
    doc: &mut Document,
    prefs: &Prefs,
    persona: Option<PathBuf>,
    scenario: Option<PathBuf>,
    scenarios_dir: &Path,
) -> Option<ErrorReport> {
    let mut error = None;
    // A persona named on the command line opens on its own scenario when it ships one.
    let own = persona
        .as_deref()
        .filter(|_| scenario.is_none())
        .and_then(|p| own_scenario(p, scenarios_dir));
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
    error
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
