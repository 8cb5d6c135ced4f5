//! The studio's safety of work with files, through its real UI (egui_kittest): a file dropped on
//! the window opens, an open file changed on disk reloads (or asks, when there are edits), and
//! quitting with unsaved changes asks Save / Discard / Cancel.
//!
//! Every file lives in a temporary folder; no native dialog opens.

#![cfg(feature = "gui")]

mod common;

use std::path::{Path, PathBuf};

use common::{TempDir, settle};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use relance::ui::command::Tab;
use relance::ui::files::{ScriptedDialogs, resource};
use relance::ui::{StudioApp, StudioOptions};

fn studio_on(persona: &Path, watch_files: bool) -> Harness<'static, StudioApp> {
    let mut options = StudioOptions::headless(Box::new(ScriptedDialogs::new(Vec::new())));
    options.persona = Some(persona.to_owned());
    options.watch_files = watch_files;
    common::studio_harness(options)
}

/// Runs frames for `secs` seconds of the app's clock (a frame is a quarter of a second).
fn run_for(harness: &mut Harness<'static, StudioApp>, secs: f32) {
    for _ in 0..(secs * 4.0).ceil() as usize {
        harness.step();
    }
}

fn rename_in_ui(harness: &mut Harness<'static, StudioApp>, name: &str) {
    harness.get_by_label(Tab::Persona.label()).click();
    harness.step();
    harness.step();
    assert_eq!(harness.state().tab(), Tab::Persona);
    harness.get_by_label("name").set_text_value_accesskit(name);
    harness.step();
    harness.step();
}

/// Rewrites the persona file with another display name, as another editor would.
fn rename_on_disk(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{from} is in the file");
    std::fs::write(path, text.replacen(from, to, 1)).expect("write");
}

/// A file dropped from the desktop, as the windowing integration hands it to egui.
#[derive(Debug)]
struct DroppedPath(PathBuf);

impl egui::DroppedFile for DroppedPath {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_persona_file_dropped_on_the_window_opens() {
    let dir = TempDir::new("drop");
    let maestro = dir.copy("personas/cinema-maestro.ron");
    let chef = dir.copy("personas/chef.ron");
    let mut harness = studio_on(&maestro, false);
    assert_eq!(harness.state().document().persona().id, "cinema-maestro");

    harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(DroppedPath(chef.clone())));
    harness.step();
    settle(&mut harness);

    let app = harness.state();
    assert_eq!(app.document().persona().id, "chef");
    assert_eq!(app.document().persona_path(), Some(chef.as_path()));
}

#[test]
fn an_open_file_changed_on_disk_reloads_when_there_are_no_edits() {
    let dir = TempDir::new("reload");
    let maestro = dir.copy("personas/cinema-maestro.ron");
    let mut harness = studio_on(&maestro, true);
    assert_eq!(
        harness.state().document().persona().name,
        "Maestro of Movie Magic"
    );

    rename_on_disk(
        &maestro,
        "Maestro of Movie Magic",
        "Maestro of the Silver Screen",
    );
    run_for(&mut harness, 2.5);
    settle(&mut harness);

    let app = harness.state();
    assert_eq!(
        app.document().persona().name,
        "Maestro of the Silver Screen"
    );
    assert!(!app.document().persona_dirty());
    assert!(
        app.dialog().is_none(),
        "a clean file reloads without asking"
    );
}

#[test]
fn an_open_file_changed_on_disk_asks_when_there_are_edits_and_keeps_them_on_request() {
    let dir = TempDir::new("ask");
    let maestro = dir.copy("personas/cinema-maestro.ron");
    let mut harness = studio_on(&maestro, true);
    rename_in_ui(&mut harness, "Maestro, my edit");

    rename_on_disk(&maestro, "Maestro of Movie Magic", "Maestro, their edit");
    run_for(&mut harness, 2.5);

    assert!(harness.state().dialog().is_some(), "the studio asks");
    harness.get_by_label_contains("changed on disk");
    harness.get_by_label("Keep my version").click();
    harness.step();
    harness.step();
    let app = harness.state();
    assert!(app.dialog().is_none());
    assert_eq!(app.document().persona().name, "Maestro, my edit");
    assert!(app.document().persona_dirty());
    // The same change is not asked about again.
    run_for(&mut harness, 2.5);
    assert!(harness.state().dialog().is_none());
}

#[test]
fn an_open_file_changed_on_disk_with_edits_can_be_reloaded_from_disk() {
    let dir = TempDir::new("ask-reload");
    let maestro = dir.copy("personas/cinema-maestro.ron");
    let mut harness = studio_on(&maestro, true);
    rename_in_ui(&mut harness, "Maestro, my edit");

    rename_on_disk(&maestro, "Maestro of Movie Magic", "Maestro, their edit");
    run_for(&mut harness, 2.5);
    harness.get_by_label("Reload from disk").click();
    harness.step();
    settle(&mut harness);

    let app = harness.state();
    assert_eq!(app.document().persona().name, "Maestro, their edit");
    assert!(!app.document().persona_dirty());
}

/// File ▸ Quit (the menu bar's "File" is the first node of that name).
fn quit_from_the_menu(harness: &mut Harness<'static, StudioApp>) {
    harness
        .get_all_by_label("File")
        .next()
        .expect("the File menu")
        .click();
    harness.run_steps(3);
    harness.get_by_label_contains("Quit").click();
    harness.run_steps(3);
}

#[test]
fn quitting_with_unsaved_changes_asks_save_discard_or_cancel() {
    let dir = TempDir::new("quit");
    let maestro = dir.copy("personas/cinema-maestro.ron");
    let mut harness = studio_on(&maestro, false);
    rename_in_ui(&mut harness, "Maestro, unsaved");

    quit_from_the_menu(&mut harness);
    assert!(
        harness.state().dialog().is_some(),
        "Save / Discard / Cancel"
    );
    harness.get_by_label("Save");
    harness.get_by_label("Discard");
    harness.get_by_label("Cancel").click();
    harness.step();
    harness.step();
    let app = harness.state();
    assert!(app.dialog().is_none());
    assert_eq!(app.document().persona().name, "Maestro, unsaved");

    // Save, then quit: the file on disk has the edit.
    quit_from_the_menu(&mut harness);
    harness.get_by_label("Save").click();
    harness.step();
    harness.step();
    let saved = relance::model::Persona::load(&maestro).expect("the saved persona loads");
    assert_eq!(saved.name, "Maestro, unsaved");
}

#[test]
fn a_file_dialog_that_cannot_open_says_what_to_install() {
    let mut options = StudioOptions::headless(Box::new(ScriptedDialogs::unavailable()));
    options.persona = Some(resource("personas/cinema-maestro.ron"));
    options.scenario = Some(resource("assets/scenarios/demo-cinema.json"));
    options.watch_files = false;
    let mut harness = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(
            |ui, app: &mut StudioApp| app.studio_ui(ui),
            StudioApp::new(options),
        );
    settle(&mut harness);
    assert!(harness.state().error().is_none());
    harness.get_by_label(Tab::Timeline.label()).click();
    harness.step();
    harness.step();
    harness.get_by_label("open scenario…").click();
    harness.step();
    harness.step();
    let error = harness.state().error().expect("the failure is reported");
    assert_eq!(error.title, "no file dialog");
    assert!(error.lines[0].contains("zenity"), "{:?}", error.lines);
    // The studio still holds its persona and scenario.
    assert_eq!(harness.state().tab(), Tab::Timeline);
    harness.get_by_label_contains("Cinema demo");
}
