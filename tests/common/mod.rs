//! What the studio's kittest files share: a temporary folder per test, building a harness on the
//! studio, letting the background replay answer, and switching tabs. Each test file includes it with `mod common;`
//! and uses what it needs.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use relance::ui::command::Tab;
use relance::ui::files::resource;
use relance::ui::{StudioApp, StudioOptions};

/// A temporary folder for one test, removed when dropped: a [`tempfile::TempDir`] with the few
/// helpers the studio tests use.
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    /// A new, empty folder whose name starts with `relance-{name}-`.
    pub fn new(name: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(&format!("relance-{name}-"))
            .tempdir()
            .expect("a temporary folder");
        Self(dir)
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        self.0.path()
    }

    /// The path of `file` in the folder.
    pub fn path(&self, file: &str) -> PathBuf {
        self.0.path().join(file)
    }

    /// A copy of a shipped file (`personas/chef.ron`) in the folder, under its own name.
    pub fn copy(&self, shipped: &str) -> PathBuf {
        let from = resource(shipped);
        let to = self.0.path().join(from.file_name().expect("a file name"));
        std::fs::copy(&from, &to).expect("copy a shipped file");
        to
    }
}

/// The studio in a 1600×1000 harness, settled (its first replay done).
pub fn studio_harness(options: StudioOptions) -> Harness<'static, StudioApp> {
    let app = StudioApp::new(options);
    let mut harness = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(|ui, app: &mut StudioApp| app.studio_ui(ui), app);
    settle(&mut harness);
    harness
}

/// Runs frames until the background simulation has answered and the UI is up to date.
pub fn settle(harness: &mut Harness<'static, StudioApp>) {
    for _ in 0..2000 {
        harness.step();
        if !harness.state().is_busy() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(!harness.state().is_busy(), "the simulation never finished");
    harness.step();
    harness.step();
}

/// Clicks a tab and checks the studio shows it.
pub fn show_tab(harness: &mut Harness<'static, StudioApp>, tab: Tab) {
    harness.get_by_label(tab.label()).click();
    harness.step();
    harness.step();
    assert_eq!(harness.state().tab(), tab);
}
