//! The studio: an eframe/egui desktop app over the library, where a persona designer edits a
//! persona and its policy, replays a scenario on a timeline, and sees when and what the bot would
//! send and why it stays silent elsewhere. It adds no engine logic: every decision, trace and
//! text comes from [`crate::engine`] and [`crate::compose`].
//!
//! One module per concern: the shell ([`app`]) applies the [`command::Command`]s the panels
//! push, once per frame; the document and its undo history ([`document`]); the preferences
//! ([`prefs`], the only state saved by eframe); the background simulation ([`simulation`]) and
//! the plot data derived from it ([`timeline_data`]); the replay cursor state machine
//! ([`cursor`]); one module per panel; colours and shapes in [`theme`].

pub mod app;
pub mod avatar;
pub mod command;
pub mod conversation;
pub mod cursor;
pub mod dialogs;
pub mod document;
pub mod error_report;
pub mod files;
pub mod ghosts;
pub mod inspector;
pub mod interop_dialogs;
pub mod library_panel;
pub mod persona_panel;
pub mod policy_panel;
pub mod population_panel;
pub mod population_run;
pub mod prefs;
pub mod presentation;
pub mod preview;
pub mod selection;
pub mod simulation;
pub mod tests_panel;
pub mod theme;
pub mod time_axis;
pub mod timeline_data;
pub mod timeline_panel;
pub mod widgets;

use std::path::PathBuf;

pub use app::{StudioApp, StudioOptions};

/// The name eframe stores the preferences under.
pub const APP_NAME: &str = "relance";

/// Opens the studio window and runs it until it closes; `persona` and `scenario` are the files
/// to open (else those of the last session, else the cinema maestro and its demo scenario).
pub fn run(persona: Option<PathBuf>, scenario: Option<PathBuf>) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Relance")
            .with_app_id(APP_NAME)
            .with_inner_size([1500.0, 950.0])
            .with_min_inner_size([900.0, 600.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        APP_NAME,
        options,
        Box::new(move |cc| {
            let prefs: prefs::Prefs = cc
                .storage
                .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
                .unwrap_or_default();
            Ok(Box::new(StudioApp::new(StudioOptions::native(
                prefs, persona, scenario,
            ))))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the studio window: {e}"))
}
