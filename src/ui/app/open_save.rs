//! Files under the studio: opening a persona or a scenario (from a dialog, a drop, the recent
//! list or the library), saving them, duplicating and deleting library files, and noticing
//! files changed on disk by other programs.

use std::path::{Path, PathBuf};

use super::super::command::Command;
use super::super::dialogs::{Dialog, PendingAction};
use super::super::error_report::ErrorReport;
use super::super::files::{DialogKind, FileKind, file_stem_of, list_files, own_scenario};
use super::super::library_panel::copy_path;
use super::super::prefs::absolute;
use super::super::timeline_panel::same_file;
use super::StudioApp;
use crate::model::diagnostics::LoadError;
use crate::model::{Persona, Scenario};

/// How often open files are checked for changes made by other programs, in seconds.
const WATCH_INTERVAL_SECS: f64 = 1.0;

impl StudioApp {
    pub(super) fn close_request(&mut self, ctx: &egui::Context) {
        if ctx.input(|i| i.viewport().close_requested())
            && !self.allowed_to_close
            && self.doc.dirty()
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.ask_unsaved(PendingAction::Quit);
        }
    }

    pub(super) fn dropped_files(&mut self, ctx: &egui::Context) {
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

    pub(super) fn watch(&mut self, ctx: &egui::Context) {
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

    pub(super) fn library_refresh_if_changed(&mut self) {
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

    pub(super) fn reload_persona_from_disk(&mut self) {
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

    pub(super) fn reload_scenario_from_disk(&mut self) {
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

    /// Opens a persona or a scenario; a file that does not load is reported and changes nothing.
    pub(super) fn open(&mut self, ctx: &egui::Context, path: &Path) {
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
    pub(super) fn open_own_scenario(&mut self, persona_path: &Path) {
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
    pub(super) fn save_all(&mut self) -> bool {
        let persona = self.save_persona();
        let scenario = !self.doc.scenario_dirty() || self.save_scenario();
        persona && scenario
    }

    pub(super) fn save_persona(&mut self) -> bool {
        match self.doc.persona_path().map(Path::to_owned) {
            Some(path) => self.save_persona_to(&path),
            None => self.save_persona_as(),
        }
    }

    pub(super) fn save_persona_as(&mut self) -> bool {
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

    pub(super) fn save_persona_to(&mut self, path: &Path) -> bool {
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

    pub(super) fn save_scenario(&mut self) -> bool {
        match self.doc.scenario_path().map(Path::to_owned) {
            Some(path) => self.save_scenario_to(&path),
            None => self.save_scenario_as(),
        }
    }

    pub(super) fn save_scenario_as(&mut self) -> bool {
        let name = format!("{}.json", file_stem_of(&self.doc.scenario().name));
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

    pub(super) fn save_scenario_to(&mut self, path: &Path) -> bool {
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

    pub(super) fn duplicate(&mut self, ctx: &egui::Context, path: &Path) {
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

    pub(super) fn delete(&mut self, path: &Path) {
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
