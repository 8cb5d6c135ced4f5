//! What the command-line test files share: the crate's folder, running the `relance` binary
//! from it, the output as text, and a scratch folder per test. Each file includes it with
//! `mod run;` and uses what it needs. (`tests/common` is the studio's, built on egui_kittest.)

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The crate's folder, where the shipped personas and scenarios are.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `relance` binary with `args` from [`root`] and waits for it.
pub fn relance(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relance"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the binary runs")
}

/// A path as a command-line argument (test paths are UTF-8).
pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 test path")
}

/// The standard output of a run, as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The standard error of a run, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh, empty folder for the test `name` of this process (emptied if an earlier run left it).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("relance-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}
