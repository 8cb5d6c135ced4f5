//! Everything a widget can ask of the studio. Widgets never change the document or the app state
//! themselves: they push a [`Command`], and the app applies all of them once, at the end of the
//! frame (as `run_cmd` in egui's demo app). Undo/redo and "unsaved changes" prompts live there.
//!
//! The payloads of commands (a presentation step, an export or chat-import request, a test
//! result to open) live here too, so that the panels import this module and it imports none of
//! them: `tests/architecture.rs` fails on a circular import between files.

use std::path::PathBuf;

use super::cursor::CursorCommand;
use super::document::{Edit, EditKey};
use super::ghosts::ExpectedMarker;
use super::selection::Selection;
use super::theme::ThemeChoice;
use crate::interop::PersonaFormat;
use crate::interop::chat::ChatImportOptions;
use crate::model::Lang;
use crate::report::document::ReportFormat;

/// A tab of the central area. New tabs (population, presentation) are added here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Tab {
    /// Editing the persona.
    Persona,
    /// Choosing and tuning the nudge policy.
    Policy,
    /// Replaying a scenario on a timeline.
    #[default]
    Timeline,
    /// Simulating a population of synthetic users.
    Population,
    /// The persona's test suites.
    Tests,
}

impl Tab {
    /// Every tab, in display order.
    pub const ALL: [Tab; 5] = [
        Tab::Persona,
        Tab::Policy,
        Tab::Timeline,
        Tab::Population,
        Tab::Tests,
    ];

    /// The tab's label.
    pub fn label(self) -> &'static str {
        match self {
            Tab::Persona => "Persona",
            Tab::Policy => "Policy",
            Tab::Timeline => "Timeline",
            Tab::Population => "Population",
            Tab::Tests => "Tests",
        }
    }
}

/// A request from the UI, applied at the end of the frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Hide the newcomer's hint on the Timeline tab, for good.
    DismissHint,
    /// File ▸ New persona (asks about unsaved changes first).
    NewPersona,
    /// File ▸ Open…: a native dialog, then [`Command::Open`].
    OpenDialog,
    /// Open a persona or scenario file, by its kind.
    Open(PathBuf),
    /// Save the persona (and the scenario, when edited); asks for a path when there is none.
    Save,
    /// Save the persona under a new path.
    SaveAs,
    /// Save the scenario as RON or JSON, through a native dialog.
    SaveScenarioAs,
    /// Reload the persona from its file (undoable).
    Revert,
    /// File ▸ Import…: a character card or persona file, saved as a new persona and opened.
    ImportPersonaDialog,
    /// File ▸ Export…: the export form.
    ExportPersonaDialog,
    /// The export form's "Choose image…": the PNG of a card.
    PickExportAvatar,
    /// Export the persona as chosen (asks where).
    ExportPersona(ExportForm),
    /// File ▸ Export report…: the report form.
    ExportReportDialog,
    /// Write a report of the replay (asks where).
    ExportReport(ReportFormat),
    /// Scenario ▸ Import chat…: pick a chat file, then the import form.
    ImportChatDialog,
    /// Import a chat as the scenario, as chosen in the form.
    ImportChat(Box<ChatRequest>),
    /// Scenario ▸ Export timeline as PNG… (asks where, then takes a screenshot).
    ExportTimelinePng,
    /// Close the import/export form.
    CloseInteropDialog,
    /// View ▸ Presentation (F11): enter or leave presentation mode.
    TogglePresentation,
    /// Leave presentation mode (Esc).
    LeavePresentation,
    /// Drive the presentation (Space, Left, Right).
    Presentation(PresentationCommand),
    /// Quit (asks about unsaved changes first).
    Quit,
    /// Open a scenario through a native dialog.
    OpenScenarioDialog,
    /// Duplicate a persona file of the library into a new file, and open it.
    DuplicatePersona(PathBuf),
    /// Ask whether to delete a persona file.
    AskDeletePersona(PathBuf),
    /// Delete a persona file (after the user confirmed).
    DeletePersona(PathBuf),
    /// Change the document; recorded for undo.
    Edit(Edit, EditKey),
    /// Edit ▸ Undo.
    Undo,
    /// Edit ▸ Redo.
    Redo,
    /// Show a tab.
    SetTab(Tab),
    /// View ▸ light/dark.
    SetTheme(ThemeChoice),
    /// View ▸ zoom in.
    ZoomIn,
    /// View ▸ zoom out.
    ZoomOut,
    /// View ▸ actual size.
    ZoomReset,
    /// Help ▸ keyboard shortcuts.
    ShowShortcuts,
    /// Help ▸ about.
    ShowAbout,
    /// Drive the replay cursor.
    Cursor(CursorCommand),
    /// Select a timeline item (and its user).
    Select(Selection),
    /// Open the Timeline on the decision of a test expectation (Tests tab).
    OpenTestResult(Box<TestTarget>),
    /// Run the persona's test suites again.
    RerunTests,
    /// Write a suite scenario's current decisions as its expectations.
    RecordSuite(PathBuf),
    /// Select a user's lane.
    SelectUser(usize),
    /// Fit the timeline to the whole scenario.
    FitTimeline,
    /// Dismiss the error panel.
    DismissError,
    /// The answer to "save changes before…?".
    ResolveUnsaved(UnsavedChoice),
    /// Reload the files that changed on disk, dropping the edits.
    ReloadChangedFiles,
    /// Keep the edited version of files that changed on disk.
    KeepMyVersion,
    /// Close the open dialog.
    CloseDialog,
    /// Run the Population tab's settings on the persona.
    RunPopulation,
    /// Stop the population run under way.
    CancelPopulation,
    /// Open user #N of the last population run as the scenario, on the Timeline tab.
    OpenPopulationUser(u64),
}

/// The answers to "save changes before…?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnsavedChoice {
    /// Save, then go on.
    Save,
    /// Drop the changes and go on.
    Discard,
    /// Do not go on.
    Cancel,
}

// ---- payloads of commands -------------------------------------------------------------------

/// What a presentation can be told to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PresentationCommand {
    /// Play or pause the replay.
    TogglePlay,
    /// Go to the next decision.
    Next,
    /// Go to the previous decision.
    Previous,
    /// Write the captions in this language.
    SetLang(Lang),
}

/// The choices of File ▸ Export….
#[derive(Clone, Debug, PartialEq)]
pub struct ExportForm {
    /// The format.
    pub format: PersonaFormat,
    /// The image of a PNG card; `None` uses the persona's own avatar, else a placeholder.
    pub avatar: Option<PathBuf>,
}

impl Default for ExportForm {
    fn default() -> Self {
        Self {
            format: PersonaFormat::CardPng,
            avatar: None,
        }
    }
}

/// A confirmed chat import.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatRequest {
    /// The file.
    pub path: PathBuf,
    /// The choices.
    pub options: ChatImportOptions,
}

/// Where a click on an expectation leads: its scenario, the decision shown as what happened,
/// and the expected outcome to draw beside it.
#[derive(Clone, Debug, PartialEq)]
pub struct TestTarget {
    /// The suite scenario.
    pub scenario: PathBuf,
    /// The decision: (user index, index in the user's decisions).
    pub decision: Option<(usize, usize)>,
    /// The expected outcome, when the expectation names a time.
    pub expected: Option<ExpectedMarker>,
}
