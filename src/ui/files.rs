//! Where the shipped files are, what kind of file a path holds, and the file dialogs.
//!
//! Dialogs go through the [`FileDialogs`] trait: the studio uses native dialogs ([`NativeDialogs`],
//! rfd), tests use [`ScriptedDialogs`] so that no test ever opens a window.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The persona opened the first time.
pub const DEFAULT_PERSONA: &str = "personas/cinema-maestro.ron";

/// The scenario opened the first time.
pub const DEFAULT_SCENARIO: &str = "assets/scenarios/demo-cinema.json";

/// The folder of shipped personas.
pub const PERSONAS_DIR: &str = "personas";

/// The folder of shipped scenarios.
pub const SCENARIOS_DIR: &str = "assets/scenarios";

/// A shipped file or folder: relative to the current directory when it exists there, else to
/// the crate's own folder (so `cargo run` and tests find it from anywhere).
pub fn resource(relative: &str) -> PathBuf {
    let here = PathBuf::from(relative);
    if here.exists() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The scenario shipped for a persona, when there is one: `demo-<stem>.json` in `scenarios_dir`
/// for the persona file `<stem>.ron`, else `demo-<first word of stem>.json` (so that
/// `cinema-maestro.ron` finds `demo-cinema.json`).
pub fn own_scenario(persona_path: &Path, scenarios_dir: &Path) -> Option<PathBuf> {
    let stem = persona_path.file_stem()?.to_str()?;
    let first_word = stem.split(['-', '_']).next().unwrap_or(stem);
    [stem, first_word]
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(|s| scenarios_dir.join(format!("demo-{s}.json")))
        .find(|p| p.is_file())
}

/// A file name stem from a display name: letters and digits lowercased, anything else a dash,
/// no dash at either end ("Cinema demo: one user" → `cinema-demo--one-user`).
pub fn file_stem_of(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    stem.trim_matches('-').to_owned()
}

/// The `.ron` and `.json` files of a folder, sorted by name; empty when it cannot be read.
pub fn list_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && FileKind::extension_ok(p))
        .collect();
    files.sort();
    files
}

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A persona (`.ron`).
    Persona,
    /// A scenario (`.ron` or `.json`).
    Scenario,
}

impl FileKind {
    /// Whether the extension is one the studio opens.
    pub fn extension_ok(path: &Path) -> bool {
        matches!(extension(path).as_deref(), Some("ron" | "json"))
    }

    /// Guesses the kind from the extension and the text: JSON files and RON files with a
    /// `users:` field are scenarios, other RON files personas.
    pub fn guess(path: &Path, source: &str) -> Option<Self> {
        match extension(path).as_deref() {
            Some("json") => Some(FileKind::Scenario),
            Some("ron") => {
                let code = source
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .collect::<Vec<_>>()
                    .join("\n");
                if code.trim_start().starts_with("Persona") || code.contains("languages:") {
                    Some(FileKind::Persona)
                } else if code.contains("users:") {
                    Some(FileKind::Scenario)
                } else {
                    Some(FileKind::Persona)
                }
            }
            _ => None,
        }
    }
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// What a file looked like on disk, to notice changes made by other programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
}

impl FileStamp {
    /// The stamp of `path` now, `None` when it cannot be read.
    pub fn of(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Self {
            modified: meta.modified().ok(),
            len: meta.len(),
        })
    }
}

/// A file a dialog picks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialogKind {
    /// A persona or a scenario.
    AnyFile,
    /// A persona.
    Persona,
    /// A scenario.
    Scenario,
    /// A persona to import: a character card (JSON or PNG) or a Relance file.
    Import,
    /// A chat to import: a WhatsApp export (`.txt`) or a SillyTavern log (`.jsonl`).
    Chat,
    /// A PNG image.
    Png,
    /// A file to export, of the named kind and extension (without the dot).
    Export {
        /// What the filter is called ("HTML report").
        label: &'static str,
        /// The extension.
        extension: &'static str,
    },
}

/// Open and save dialogs.
pub trait FileDialogs {
    /// Why the last dialog could not open, once: the studio reports it instead of doing nothing
    /// as if the designer had cancelled.
    fn take_failure(&mut self) -> Option<String> {
        None
    }

    /// Asks for a file to open.
    fn pick_open(&mut self, kind: DialogKind, dir: Option<&Path>) -> Option<PathBuf>;
    /// Asks where to save, suggesting `file_name`.
    fn pick_save(
        &mut self,
        kind: DialogKind,
        dir: Option<&Path>,
        file_name: &str,
    ) -> Option<PathBuf>;
}

/// The platform's dialogs (rfd). They block the UI thread while open, as native dialogs do.
///
/// On Linux rfd asks the desktop's file portal, then falls back to zenity; with neither it
/// returns at once as if cancelled. A dialog that "cancels" faster than a person could, on a
/// machine without zenity, is reported as a failure with what to install.
#[derive(Debug, Default)]
pub struct NativeDialogs {
    /// The last dialog could not open, not yet reported.
    failed: bool,
}

/// Faster than anyone can see a dialog and cancel it.
const NO_DIALOG_MS: u128 = 250;

impl NativeDialogs {
    fn watch(&mut self, started: std::time::Instant, picked: &Option<PathBuf>) {
        if picked.is_none()
            && started.elapsed().as_millis() < NO_DIALOG_MS
            && cfg!(target_os = "linux")
            && !on_path("zenity")
        {
            self.failed = true;
        }
    }
}

/// What the studio says when no file dialog could open.
pub const NO_DIALOG: &str = "No file dialog could open: Relance uses the desktop's file portal \
     (xdg-desktop-portal) or zenity, and neither answered. Install one (`apt-get install \
     zenity`), or drop the file on the window, or pass it on the command line \
     (`relance PERSONA.ron --scenario FILE`).";

/// Whether an executable called `name` is in one of the `PATH` folders.
fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
}

fn native(kind: DialogKind, dir: Option<&Path>) -> rfd::FileDialog {
    let mut dialog = rfd::FileDialog::new();
    dialog = match kind {
        DialogKind::AnyFile => dialog
            .add_filter("persona or scenario", &["ron", "json"])
            .add_filter("persona", &["ron"])
            .add_filter("scenario", &["ron", "json"]),
        DialogKind::Persona => dialog.add_filter("persona", &["ron"]),
        DialogKind::Scenario => dialog
            .add_filter("scenario", &["ron", "json"])
            .add_filter("scenario (JSON)", &["json"])
            .add_filter("scenario (RON)", &["ron"]),
        DialogKind::Import => dialog
            .add_filter("character card or persona", &["png", "json", "ron"])
            .add_filter("character card (PNG)", &["png"])
            .add_filter("character card or persona (JSON)", &["json"])
            .add_filter("persona (RON)", &["ron"]),
        DialogKind::Chat => dialog
            .add_filter("chat", &["txt", "jsonl"])
            .add_filter("WhatsApp export", &["txt"])
            .add_filter("SillyTavern log", &["jsonl"]),
        DialogKind::Png => dialog.add_filter("PNG image", &["png"]),
        DialogKind::Export { label, extension } => dialog.add_filter(label, &[extension]),
    };
    if let Some(dir) = dir {
        dialog = dialog.set_directory(dir);
    }
    dialog
}

impl FileDialogs for NativeDialogs {
    fn take_failure(&mut self) -> Option<String> {
        std::mem::take(&mut self.failed).then(|| NO_DIALOG.to_owned())
    }

    fn pick_open(&mut self, kind: DialogKind, dir: Option<&Path>) -> Option<PathBuf> {
        let started = std::time::Instant::now();
        let picked = native(kind, dir).pick_file();
        self.watch(started, &picked);
        picked
    }

    fn pick_save(
        &mut self,
        kind: DialogKind,
        dir: Option<&Path>,
        file_name: &str,
    ) -> Option<PathBuf> {
        let started = std::time::Instant::now();
        let picked = native(kind, dir).set_file_name(file_name).save_file();
        self.watch(started, &picked);
        picked
    }
}

/// Dialogs that answer from a queue, for tests: each call takes the next answer (`None`, as a
/// cancelled dialog, when the queue is empty).
#[derive(Debug, Default)]
pub struct ScriptedDialogs {
    answers: VecDeque<PathBuf>,
    asked: usize,
    unavailable: bool,
    /// The last dialog could not open, not yet reported.
    failed: bool,
}

impl ScriptedDialogs {
    /// Dialogs that will answer `answers`, in order.
    pub fn new(answers: impl IntoIterator<Item = PathBuf>) -> Self {
        Self {
            answers: answers.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Dialogs that never open, as on a desktop without a file portal or zenity.
    pub fn unavailable() -> Self {
        Self {
            unavailable: true,
            ..Self::default()
        }
    }

    fn answer(&mut self) -> Option<PathBuf> {
        self.asked += 1;
        if self.unavailable {
            self.failed = true;
            return None;
        }
        self.answers.pop_front()
    }

    /// How many dialogs were asked for.
    pub fn asked(&self) -> usize {
        self.asked
    }
}

impl FileDialogs for ScriptedDialogs {
    fn take_failure(&mut self) -> Option<String> {
        std::mem::take(&mut self.failed).then(|| NO_DIALOG.to_owned())
    }

    fn pick_open(&mut self, _kind: DialogKind, _dir: Option<&Path>) -> Option<PathBuf> {
        self.answer()
    }

    fn pick_save(
        &mut self,
        _kind: DialogKind,
        _dir: Option<&Path>,
        _file_name: &str,
    ) -> Option<PathBuf> {
        self.answer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_keep_letters_and_digits() {
        assert_eq!(file_stem_of("Cinema demo: 7 users"), "cinema-demo--7-users");
        assert_eq!(file_stem_of("  Été 2026 !"), "Été-2026");
        assert_eq!(file_stem_of("???"), "");
    }

    #[test]
    fn kinds_are_guessed_from_extension_and_content() {
        let p = Path::new("x.ron");
        assert_eq!(
            FileKind::guess(p, "Persona(\n version: 1,"),
            Some(FileKind::Persona)
        );
        assert_eq!(
            FileKind::guess(p, "// a scenario\n(\n name: \"x\",\n users: [],\n)"),
            Some(FileKind::Scenario)
        );
        assert_eq!(
            FileKind::guess(Path::new("x.JSON"), "{}"),
            Some(FileKind::Scenario)
        );
        assert_eq!(FileKind::guess(Path::new("x.txt"), ""), None);
    }

    #[test]
    fn shipped_files_are_found() {
        assert!(resource(DEFAULT_PERSONA).is_file());
        assert!(resource(DEFAULT_SCENARIO).is_file());
        let personas = list_files(&resource(PERSONAS_DIR));
        assert!(personas.iter().any(|p| p.ends_with("cinema-maestro.ron")));
    }
}
