//! The UI preferences saved between runs: look, layout, recent files, last persona and scenario.
//!
//! Only preferences go to eframe's storage; persona and scenario content lives in its own files
//! and is never stored here. `#[serde(default)]` lets older preference files load.

use std::path::{Path, PathBuf};

use super::command::Tab;
use super::cursor::Speed;
use super::theme::ThemeChoice;
use crate::sim::settings::PopulationSettings;

/// How many recent files the File menu keeps.
pub const MAX_RECENT: usize = 10;

/// The preferences saved between runs.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// Light, dark or the system's.
    pub theme: ThemeChoice,
    /// UI zoom factor (1 = actual size).
    pub zoom: f32,
    /// Width of the persona library panel, in points.
    pub library_width: f32,
    /// Width of the timeline's side panel (inspector and conversation), in points.
    pub inspector_width: f32,
    /// Recently opened files, most recent first.
    pub recent_files: Vec<PathBuf>,
    /// Persona files opened from outside the personas folder, listed in the library.
    pub extra_personas: Vec<PathBuf>,
    /// The persona open when the studio last closed.
    pub last_persona: Option<PathBuf>,
    /// The scenario open when the studio last closed.
    pub last_scenario: Option<PathBuf>,
    /// The tab shown last.
    pub tab: Tab,
    /// The replay speed.
    pub speed: Speed,
    /// The Population tab's inputs.
    pub population: PopulationSettings,
    /// Whether the newcomer's hint on the Timeline tab was dismissed.
    pub hint_dismissed: bool,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            theme: ThemeChoice::System,
            zoom: 1.0,
            library_width: 220.0,
            inspector_width: 380.0,
            recent_files: Vec::new(),
            extra_personas: Vec::new(),
            last_persona: None,
            last_scenario: None,
            tab: Tab::Timeline,
            speed: Speed::DayPerSec,
            population: PopulationSettings::default(),
            hint_dismissed: false,
        }
    }
}

impl Prefs {
    /// Puts `path` first in the recent files.
    pub fn remember(&mut self, path: &Path) {
        let path = absolute(path);
        self.recent_files.retain(|p| *p != path);
        self.recent_files.insert(0, path);
        self.recent_files.truncate(MAX_RECENT);
    }

    /// The zoom factor clamped to a usable range.
    pub fn clamped_zoom(&self) -> f32 {
        if self.zoom.is_finite() {
            self.zoom.clamp(0.5, 3.0)
        } else {
            1.0
        }
    }
}

/// `path` made absolute against the current directory (unchanged when that fails).
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_files_are_unique_most_recent_first_and_bounded() {
        let mut p = Prefs::default();
        for i in 0..15 {
            p.remember(Path::new(&format!("/tmp/p{i}.ron")));
        }
        p.remember(Path::new("/tmp/p3.ron"));
        assert_eq!(p.recent_files.len(), MAX_RECENT);
        assert_eq!(p.recent_files[0], PathBuf::from("/tmp/p3.ron"));
        assert_eq!(
            p.recent_files
                .iter()
                .filter(|f| f.ends_with("p3.ron"))
                .count(),
            1
        );
    }

    #[test]
    fn older_preference_files_load_with_defaults() {
        let p: Prefs = ron::from_str("(zoom: 1.5)").expect("loads");
        assert_eq!(p.zoom, 1.5);
        assert_eq!(p.theme, ThemeChoice::System);
        assert!(p.recent_files.is_empty());
    }
}
