//! The document the studio edits: one persona and one scenario, their files, what was last
//! saved, and the undo history that covers every persona, policy and scenario edit.
//!
//! Changes go through [`Document::apply`] with an [`Edit`]; nothing else mutates the document,
//! so undo/redo and the "unsaved" state are always right. The scenario sits behind an [`Arc`]:
//! persona edits snapshot it for free, and the background simulation shares it without a copy.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::files::FileStamp;
use crate::model::diagnostics::LoadError;
use crate::model::scenario::ScenarioFormat;
use crate::model::{Channel, Event, Persona, Scenario, Sender};

/// How many steps undo remembers.
pub const MAX_UNDO: usize = 200;

/// Edits of the same field closer together than this merge into one undo step (typing a word
/// is undone at once).
pub const MERGE_WINDOW_SECS: f64 = 1.0;

/// What an edit touched, so that consecutive edits of one field merge into one undo step.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EditKey(pub String);

impl EditKey {
    /// A key for `what` (a field path such as `name` or `templates[2].text`).
    pub fn new(what: impl Into<String>) -> Self {
        Self(what.into())
    }

    /// A key that never merges with another edit (a click on a button).
    pub fn discrete() -> Self {
        Self(String::new())
    }
}

/// A change to the document.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// Replace the persona (every persona and policy widget edits a copy and sends it here).
    Persona(Box<Persona>),
    /// Add a message to a user's conversation.
    AddMessage {
        /// The user's index in the scenario.
        user: usize,
        /// When.
        at: DateTime<Utc>,
        /// Who wrote it.
        from: Sender,
        /// Where.
        channel: Channel,
        /// What.
        text: String,
    },
    /// Change the text of a message.
    SetEventText {
        /// The user's index.
        user: usize,
        /// The event's index in the user's events.
        event: usize,
        /// The new text.
        text: String,
    },
    /// Move a message in time (events stay in time order).
    MoveEvent {
        /// The user's index.
        user: usize,
        /// The event's index.
        event: usize,
        /// The new instant.
        at: DateTime<Utc>,
    },
    /// Delete a message.
    DeleteEvent {
        /// The user's index.
        user: usize,
        /// The event's index.
        event: usize,
    },
}

/// The document state undo restores.
#[derive(Clone, Debug, PartialEq)]
struct Snapshot {
    persona: Persona,
    scenario: Arc<Scenario>,
}

/// Undo and redo stacks of whole-document snapshots.
#[derive(Clone, Debug, Default)]
struct History {
    undo: Vec<Snapshot>,
    redo: Vec<Snapshot>,
    last: Option<(EditKey, f64)>,
}

impl History {
    fn record(&mut self, before: Snapshot, key: EditKey, now_secs: f64) {
        let merges = !key.0.is_empty()
            && self
                .last
                .as_ref()
                .is_some_and(|(k, t)| *k == key && now_secs - t < MERGE_WINDOW_SECS);
        if !merges {
            self.undo.push(before);
            if self.undo.len() > MAX_UNDO {
                self.undo.remove(0);
            }
        }
        self.last = Some((key, now_secs));
        self.redo.clear();
    }

    fn clear(&mut self) {
        *self = Self::default();
    }
}

/// The persona and scenario being edited, with their files.
#[derive(Clone, Debug)]
pub struct Document {
    persona: Persona,
    persona_path: Option<PathBuf>,
    saved_persona: Option<Persona>,
    persona_stamp: Option<FileStamp>,
    scenario: Arc<Scenario>,
    scenario_path: Option<PathBuf>,
    saved_scenario: Option<Arc<Scenario>>,
    scenario_stamp: Option<FileStamp>,
    history: History,
    revision: u64,
    scenario_revision: u64,
}

impl Document {
    /// A document with an unsaved persona and an empty scenario.
    pub fn new(persona: Persona) -> Self {
        let scenario = Arc::new(Scenario {
            name: "empty".to_owned(),
            description: String::new(),
            until: None,
            users: Vec::new(),
        });
        Self {
            saved_persona: Some(persona.clone()),
            persona,
            persona_path: None,
            persona_stamp: None,
            scenario: scenario.clone(),
            scenario_path: None,
            saved_scenario: Some(scenario),
            scenario_stamp: None,
            history: History::default(),
            revision: 0,
            scenario_revision: 0,
        }
    }

    /// The persona.
    pub fn persona(&self) -> &Persona {
        &self.persona
    }

    /// The scenario.
    pub fn scenario(&self) -> &Arc<Scenario> {
        &self.scenario
    }

    /// The persona's file, if it has one.
    pub fn persona_path(&self) -> Option<&Path> {
        self.persona_path.as_deref()
    }

    /// The scenario's file, if it has one.
    pub fn scenario_path(&self) -> Option<&Path> {
        self.scenario_path.as_deref()
    }

    /// Grows on every change of the document (edits, undo, loads).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Grows on every change of the scenario.
    pub fn scenario_revision(&self) -> u64 {
        self.scenario_revision
    }

    /// Whether the persona differs from what was last opened or saved.
    pub fn persona_dirty(&self) -> bool {
        self.saved_persona.as_ref() != Some(&self.persona)
    }

    /// Whether the scenario differs from its file.
    pub fn scenario_dirty(&self) -> bool {
        match &self.saved_scenario {
            Some(saved) => !Arc::ptr_eq(saved, &self.scenario) && **saved != *self.scenario,
            None => true,
        }
    }

    /// Whether anything is unsaved.
    pub fn dirty(&self) -> bool {
        self.persona_dirty() || self.scenario_dirty()
    }

    /// Whether there is something to undo.
    pub fn can_undo(&self) -> bool {
        !self.history.undo.is_empty()
    }

    /// Whether there is something to redo.
    pub fn can_redo(&self) -> bool {
        !self.history.redo.is_empty()
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            persona: self.persona.clone(),
            scenario: self.scenario.clone(),
        }
    }

    fn restore(&mut self, s: Snapshot) {
        if !Arc::ptr_eq(&s.scenario, &self.scenario) {
            self.scenario_revision += 1;
        }
        self.persona = s.persona;
        self.scenario = s.scenario;
        self.revision += 1;
    }

    /// Applies an edit, recorded for undo (merged with the previous one when it touched the
    /// same field less than [`MERGE_WINDOW_SECS`] before `now_secs`). Returns the index of the
    /// event the edit added or moved, for selection. Edits naming a missing user or event do
    /// nothing.
    pub fn apply(&mut self, edit: Edit, key: EditKey, now_secs: f64) -> Option<usize> {
        let before = self.snapshot();
        let mut placed = None;
        match edit {
            Edit::Persona(persona) => {
                if *persona == self.persona {
                    return None;
                }
                self.persona = *persona;
            }
            Edit::AddMessage {
                user,
                at,
                from,
                channel,
                text,
            } => {
                let scenario = Arc::make_mut(&mut self.scenario);
                let u = scenario.users.get_mut(user)?;
                let i = u.events.partition_point(|e| e.at <= at);
                u.events.insert(
                    i,
                    Event {
                        at,
                        from,
                        channel,
                        text,
                        media: false,
                    },
                );
                placed = Some(i);
            }
            Edit::SetEventText { user, event, text } => {
                let current = self.scenario.users.get(user)?.events.get(event)?;
                if current.text == text {
                    return None;
                }
                let scenario = Arc::make_mut(&mut self.scenario);
                scenario.users[user].events[event].text = text;
                placed = Some(event);
            }
            Edit::MoveEvent { user, event, at } => {
                self.scenario.users.get(user)?.events.get(event)?;
                let scenario = Arc::make_mut(&mut self.scenario);
                let events = &mut scenario.users[user].events;
                let mut moved = events.remove(event);
                moved.at = at;
                let i = events.partition_point(|e| e.at <= at);
                events.insert(i, moved);
                placed = Some(i);
            }
            Edit::DeleteEvent { user, event } => {
                self.scenario.users.get(user)?.events.get(event)?;
                let scenario = Arc::make_mut(&mut self.scenario);
                scenario.users[user].events.remove(event);
            }
        }
        if !Arc::ptr_eq(&before.scenario, &self.scenario) {
            self.scenario_revision += 1;
        }
        self.history.record(before, key, now_secs);
        self.revision += 1;
        placed
    }

    /// Undoes the last edit; `false` when there is none.
    pub fn undo(&mut self) -> bool {
        let Some(previous) = self.history.undo.pop() else {
            return false;
        };
        let current = self.snapshot();
        self.history.redo.push(current);
        self.history.last = None;
        self.restore(previous);
        true
    }

    /// Redoes the last undone edit; `false` when there is none.
    pub fn redo(&mut self) -> bool {
        let Some(next) = self.history.redo.pop() else {
            return false;
        };
        let current = self.snapshot();
        self.history.undo.push(current);
        self.history.last = None;
        self.restore(next);
        true
    }

    /// Replaces the persona with one read from `path` (or a new one without a file when `path`
    /// is `None`). Opening is not an edit: the undo history starts afresh.
    pub fn set_persona(&mut self, persona: Persona, path: Option<PathBuf>) {
        self.persona_stamp = path.as_deref().and_then(FileStamp::of);
        self.saved_persona = Some(persona.clone());
        self.persona = persona;
        self.persona_path = path;
        self.history.clear();
        self.revision += 1;
    }

    /// Replaces the scenario with one read from `path`.
    pub fn set_scenario(&mut self, scenario: Scenario, path: Option<PathBuf>) {
        let scenario = Arc::new(scenario);
        self.scenario_stamp = path.as_deref().and_then(FileStamp::of);
        self.saved_scenario = Some(scenario.clone());
        self.scenario = scenario;
        self.scenario_path = path;
        self.history.clear();
        self.revision += 1;
        self.scenario_revision += 1;
    }

    /// Replaces the scenario with one that has no file yet (an imported chat): it is unsaved
    /// until "Save scenario as…" gives it a file.
    pub fn set_unsaved_scenario(&mut self, scenario: Scenario) {
        self.set_scenario(scenario, None);
        self.saved_scenario = None;
    }

    /// Reloads the persona from its file as an undoable edit (File ▸ Revert).
    pub fn revert_persona(&mut self, now_secs: f64) -> Result<(), LoadError> {
        let Some(path) = self.persona_path.clone() else {
            return Ok(());
        };
        let persona = Persona::load(&path)?;
        self.apply(
            Edit::Persona(Box::new(persona.clone())),
            EditKey::discrete(),
            now_secs,
        );
        self.saved_persona = Some(persona);
        self.persona_stamp = FileStamp::of(&path);
        Ok(())
    }

    /// Saves the persona atomically to `path`, which becomes its file.
    pub fn save_persona(&mut self, path: &Path) -> Result<(), LoadError> {
        self.persona.save(path)?;
        self.saved_persona = Some(self.persona.clone());
        self.persona_path = Some(path.to_owned());
        self.persona_stamp = FileStamp::of(path);
        self.revision += 1;
        Ok(())
    }

    /// Saves the scenario atomically to `path` (RON or JSON by extension), which becomes its
    /// file.
    pub fn save_scenario(&mut self, path: &Path) -> Result<(), LoadError> {
        if ScenarioFormat::from_path(path).is_none() {
            return Err(LoadError::UnknownFormat {
                path: path.to_owned(),
                expected: ".ron or .json",
            });
        }
        let from = self
            .scenario_path
            .clone()
            .unwrap_or_else(|| path.to_owned());
        self.scenario.save_keeping_expectations(path, Some(&from))?;
        self.saved_scenario = Some(self.scenario.clone());
        self.scenario_path = Some(path.to_owned());
        self.scenario_stamp = FileStamp::of(path);
        self.revision += 1;
        Ok(())
    }

    /// Whether the persona's file changed on disk since it was loaded or saved.
    pub fn persona_changed_on_disk(&self) -> bool {
        changed(self.persona_path.as_deref(), self.persona_stamp)
    }

    /// Whether the scenario's file changed on disk since it was loaded or saved.
    pub fn scenario_changed_on_disk(&self) -> bool {
        changed(self.scenario_path.as_deref(), self.scenario_stamp)
    }

    /// Forgets a change on disk (the user chose to keep their version): it is not reported again
    /// until the file changes once more.
    pub fn acknowledge_disk_changes(&mut self) {
        if let Some(p) = &self.persona_path {
            self.persona_stamp = FileStamp::of(p);
        }
        if let Some(p) = &self.scenario_path {
            self.scenario_stamp = FileStamp::of(p);
        }
    }

    /// The persona no longer has a file (it was deleted): it stays open, unsaved.
    pub fn detach_persona_file(&mut self) {
        self.persona_path = None;
        self.saved_persona = None;
        self.persona_stamp = None;
        self.revision += 1;
    }
}

fn changed(path: Option<&Path>, stamp: Option<FileStamp>) -> bool {
    match (path, stamp) {
        (Some(path), Some(stamp)) => FileStamp::of(path).is_some_and(|now| now != stamp),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::User;

    fn doc() -> Document {
        let mut d = Document::new(Persona::new_blank("p", "P"));
        let user = User {
            id: "u".into(),
            name: "U".into(),
            age: None,
            timezone: chrono_tz::UTC,
            locale: "en".into(),
            events: Vec::new(),
        };
        d.set_scenario(
            Scenario {
                name: "s".into(),
                description: String::new(),
                until: None,
                users: vec![user],
            },
            None,
        );
        d
    }

    fn at(h: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + i64::from(h) * 3600, 0).expect("in range")
    }

    fn renamed(d: &Document, name: &str) -> Edit {
        let mut p = d.persona().clone();
        p.name = name.to_owned();
        Edit::Persona(Box::new(p))
    }

    #[test]
    fn typing_in_one_field_is_one_undo_step() {
        let mut d = doc();
        for (i, name) in ["A", "Ab", "Abc"].iter().enumerate() {
            let e = renamed(&d, name);
            d.apply(e, EditKey::new("name"), i as f64 * 0.25);
        }
        assert_eq!(d.persona().name, "Abc");
        assert!(d.undo());
        assert_eq!(d.persona().name, "P");
        assert!(!d.can_undo());
        assert!(d.redo());
        assert_eq!(d.persona().name, "Abc");
    }

    #[test]
    fn pauses_and_other_fields_make_separate_steps() {
        let mut d = doc();
        let e = renamed(&d, "A");
        d.apply(e, EditKey::new("name"), 0.0);
        let e = renamed(&d, "AB");
        d.apply(e, EditKey::new("name"), 5.0);
        let mut p = d.persona().clone();
        p.id = "q".into();
        d.apply(Edit::Persona(Box::new(p)), EditKey::new("id"), 5.1);
        assert!(d.undo());
        assert_eq!(d.persona().id, "p");
        assert!(d.undo());
        assert_eq!(d.persona().name, "A");
        assert!(d.undo());
        assert_eq!(d.persona().name, "P");
    }

    #[test]
    fn a_new_edit_clears_redo() {
        let mut d = doc();
        let e = renamed(&d, "A");
        d.apply(e, EditKey::discrete(), 0.0);
        d.undo();
        assert!(d.can_redo());
        let e = renamed(&d, "B");
        d.apply(e, EditKey::discrete(), 1.0);
        assert!(!d.can_redo());
    }

    #[test]
    fn scenario_edits_keep_events_in_order_and_undo() {
        let mut d = doc();
        let add = |d: &mut Document, h: u32, text: &str| {
            d.apply(
                Edit::AddMessage {
                    user: 0,
                    at: at(h),
                    from: Sender::User,
                    channel: Channel::Messenger,
                    text: text.to_owned(),
                },
                EditKey::discrete(),
                f64::from(h),
            )
        };
        assert_eq!(add(&mut d, 5, "five"), Some(0));
        assert_eq!(add(&mut d, 1, "one"), Some(0));
        assert_eq!(add(&mut d, 9, "nine"), Some(2));
        let moved = d.apply(
            Edit::MoveEvent {
                user: 0,
                event: 0,
                at: at(7),
            },
            EditKey::discrete(),
            20.0,
        );
        assert_eq!(moved, Some(1));
        let texts: Vec<&str> = d.scenario().users[0]
            .events
            .iter()
            .map(|e| e.text.as_str())
            .collect();
        assert_eq!(texts, ["five", "one", "nine"]);
        d.apply(
            Edit::DeleteEvent { user: 0, event: 2 },
            EditKey::discrete(),
            21.0,
        );
        assert_eq!(d.scenario().users[0].events.len(), 2);
        assert!(d.scenario_dirty());
        for _ in 0..5 {
            d.undo();
        }
        assert!(d.scenario().users[0].events.is_empty());
        // Edits on a missing user or event change nothing and record nothing.
        assert_eq!(
            d.apply(
                Edit::DeleteEvent { user: 3, event: 0 },
                EditKey::discrete(),
                30.0
            ),
            None
        );
        assert!(!d.can_undo());
    }

    #[test]
    fn saving_clears_dirty_and_undo_back_is_dirty_again() {
        let dir = std::env::temp_dir().join(format!("relance-doc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("p.ron");
        let mut d = doc();
        assert!(!d.persona_dirty(), "a fresh persona has nothing to save");
        let e = renamed(&d, "First");
        d.apply(e, EditKey::discrete(), 0.0);
        assert!(d.persona_dirty());
        assert!(d.persona_path().is_none());
        d.save_persona(&path).expect("saves");
        assert!(!d.persona_dirty());
        let e = renamed(&d, "Renamed");
        d.apply(e, EditKey::discrete(), 0.0);
        assert!(d.persona_dirty());
        d.save_persona(&path).expect("saves");
        assert!(!d.persona_dirty());
        d.undo();
        assert!(d.persona_dirty());
        let loaded = Persona::load(&path).expect("loads back");
        assert_eq!(loaded.name, "Renamed");
        std::fs::remove_dir_all(&dir).ok();
    }
}
