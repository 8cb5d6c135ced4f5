//! The persona library (left panel): every persona file of `personas/` and those opened from
//! elsewhere, with name and languages, a filter box, New, Duplicate and Delete.

use std::path::{Path, PathBuf};

use egui::{RichText, Ui};

use super::avatar::{AvatarCache, avatar_image_ui};
use super::command::Command;
use super::files::list_files;
use super::theme;
use super::timeline_panel::same_file;
use crate::model::{Lang, Persona};

/// One persona file of the library.
#[derive(Clone, Debug, PartialEq)]
pub struct LibraryEntry {
    /// The file.
    pub path: PathBuf,
    /// The persona's name, or the file name when it does not load.
    pub name: String,
    /// Its languages.
    pub languages: Vec<Lang>,
    /// Why it does not load, if it does not.
    pub error: Option<String>,
    /// The avatar image it names, if any.
    pub avatar: Option<PathBuf>,
}

impl LibraryEntry {
    /// Reads a persona file for the list.
    pub fn read(path: &Path) -> Self {
        match Persona::load(path) {
            Ok(p) => Self {
                path: path.to_owned(),
                avatar: crate::interop::avatar_path(&p, path),
                name: p.name,
                languages: p.languages,
                error: None,
            },
            Err(e) => Self {
                path: path.to_owned(),
                name: path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                languages: Vec::new(),
                error: Some(e.to_string()),
                avatar: None,
            },
        }
    }
}

/// The library's state.
#[derive(Debug, Default)]
pub struct Library {
    /// The personas folder.
    pub dir: PathBuf,
    /// The entries, by file name.
    pub entries: Vec<LibraryEntry>,
    /// The filter text.
    pub filter: String,
}

impl Library {
    /// A library over `dir`, read now.
    pub fn new(dir: PathBuf, extra: &[PathBuf]) -> Self {
        let mut library = Self {
            dir,
            entries: Vec::new(),
            filter: String::new(),
        };
        library.refresh(extra);
        library
    }

    /// Reads the folder and the extra files again.
    pub fn refresh(&mut self, extra: &[PathBuf]) {
        let mut paths = list_files(&self.dir)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("ron")))
            .collect::<Vec<_>>();
        for p in extra {
            if p.is_file() && !paths.iter().any(|q| same_file(q, p)) {
                paths.push(p.clone());
            }
        }
        self.entries = paths.iter().map(|p| LibraryEntry::read(p)).collect();
    }

    /// The entries whose name, languages or file name contain the filter (case-insensitive).
    pub fn filtered(&self) -> impl Iterator<Item = &LibraryEntry> {
        let needle = self.filter.trim().to_lowercase();
        self.entries.iter().filter(move |e| {
            needle.is_empty()
                || e.name.to_lowercase().contains(&needle)
                || e.path.to_string_lossy().to_lowercase().contains(&needle)
                || e.languages.iter().any(|l| l.code() == needle)
        })
    }
}

/// The side of the avatars in the list, in points.
const AVATAR_SIDE: f32 = 22.0;

/// Shows the library; `open` is the persona file open now.
pub fn library_ui(
    ui: &mut Ui,
    library: &mut Library,
    open: Option<&Path>,
    avatars: &mut AvatarCache,
    commands: &mut Vec<Command>,
) {
    ui.heading("personas");
    ui.horizontal(|ui| {
        if ui
            .button("new")
            .on_hover_text("a new, empty persona")
            .clicked()
        {
            commands.push(Command::NewPersona);
        }
        let selected = open.map(Path::to_owned);
        let can = selected
            .as_ref()
            .is_some_and(|p| library.entries.iter().any(|e| same_file(&e.path, p)));
        if ui
            .add_enabled(can, egui::Button::new("duplicate"))
            .on_hover_text("copy the open persona into a new file")
            .clicked()
            && let Some(p) = &selected
        {
            commands.push(Command::DuplicatePersona(p.clone()));
        }
        if ui
            .add_enabled(can, egui::Button::new("delete…"))
            .on_hover_text("delete the open persona's file (asks first)")
            .clicked()
            && let Some(p) = &selected
        {
            commands.push(Command::AskDeletePersona(p.clone()));
        }
    });
    ui.add(
        egui::TextEdit::singleline(&mut library.filter)
            .hint_text("filter personas")
            .desired_width(f32::INFINITY),
    );
    ui.separator();
    egui::ScrollArea::vertical()
        .id_salt("library scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for entry in library.filtered() {
                let is_open = open.is_some_and(|p| same_file(p, &entry.path));
                let langs = entry
                    .languages
                    .iter()
                    .map(|l| l.code())
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut text = RichText::new(format!("{}  ·  {langs}", entry.name));
                if entry.error.is_some() {
                    text = RichText::new(format!("{} (does not load)", entry.name))
                        .color(theme::readable(ui.visuals(), theme::ERROR));
                }
                let r = ui
                    .horizontal(|ui| {
                        let avatar = entry
                            .avatar
                            .as_ref()
                            .and_then(|a| avatars.texture(ui.ctx(), a).ok());
                        match avatar {
                            Some(texture) => {
                                avatar_image_ui(ui, &texture, AVATAR_SIDE);
                            }
                            None => {
                                ui.add_space(AVATAR_SIDE);
                            }
                        }
                        ui.selectable_label(is_open, text)
                    })
                    .inner
                    .on_hover_text(match &entry.error {
                        Some(e) => e.clone(),
                        None => entry.path.display().to_string(),
                    });
                if r.clicked() && !is_open {
                    commands.push(Command::Open(entry.path.clone()));
                }
            }
            if library.entries.is_empty() {
                ui.label(RichText::new(format!("no persona in {}", library.dir.display())).weak());
            }
        });
}

/// A file name in `dir` for a copy of `path` that does not exist yet (`x-copy.ron`,
/// `x-copy-2.ron`…), and the id to give the copy.
pub fn copy_path(dir: &Path, path: &Path) -> (PathBuf, String) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "persona".to_owned());
    let mut n = 1;
    loop {
        let id = if n == 1 {
            format!("{stem}-copy")
        } else {
            format!("{stem}-copy-{n}")
        };
        let candidate = dir.join(format!("{id}.ron"));
        if !candidate.exists() {
            let id = id
                .to_lowercase()
                .chars()
                .map(|c| {
                    if c.is_ascii_lowercase() || c.is_ascii_digit() {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            return (candidate, id);
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_library_lists_names_and_languages() {
        let lib = Library::new(super::super::files::resource("personas"), &[]);
        let maestro = lib
            .entries
            .iter()
            .find(|e| e.path.ends_with("cinema-maestro.ron"))
            .expect("listed");
        assert_eq!(maestro.name, "Maestro of Movie Magic");
        assert_eq!(maestro.languages, [Lang::Fr, Lang::En]);
        assert!(maestro.error.is_none());
    }

    #[test]
    fn the_filter_matches_names_and_languages() {
        let mut lib = Library::new(super::super::files::resource("personas"), &[]);
        lib.filter = "MAESTRO".into();
        assert_eq!(lib.filtered().count(), 1);
        lib.filter = "zzz".into();
        assert_eq!(lib.filtered().count(), 0);
    }

    #[test]
    fn copies_get_fresh_names() {
        let dir = std::env::temp_dir().join(format!("relance-lib-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (first, id) = copy_path(&dir, Path::new("/x/chef.ron"));
        assert!(first.ends_with("chef-copy.ron"));
        assert_eq!(id, "chef-copy");
        std::fs::write(&first, "x").expect("writes");
        let (second, id) = copy_path(&dir, Path::new("/x/chef.ron"));
        assert!(second.ends_with("chef-copy-2.ron"));
        assert_eq!(id, "chef-copy-2");
        std::fs::remove_dir_all(&dir).ok();
    }
}
