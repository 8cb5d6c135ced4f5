//! The crisis classifier's data: no held-out message is in the files the trainer reads.
//!
//! `assets/safety/heldout/` is the final measure only (assets/safety/MODEL.md), seven sets per
//! language. Their lines were written apart from the training rounds, and a short message can
//! still come out word for word the same ("suicidal again. third time this month"); such a line
//! in `train*` or `dev*` would be trained on, or choose the threshold, and flatter the held-out
//! figures.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// `text` compared loosely: folded (lowercase, no accents) and reduced to its words.
fn key(text: &str) -> String {
    relance::safety::fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The texts of a JSON Lines file, with their 1-based line numbers.
fn texts(path: &Path) -> Vec<(usize, String)> {
    let source = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    source
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let value: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1));
            let text = value["text"].as_str().unwrap_or_else(|| {
                panic!("{}:{}: no text", path.display(), i + 1);
            });
            (i + 1, text.to_owned())
        })
        .collect()
}

fn jsonl_in(dir: &Path, prefixes: &[&str]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a folder entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".jsonl") && prefixes.iter().any(|pre| name.starts_with(pre))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn no_held_out_message_is_in_the_training_or_dev_files() {
    let safety = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/safety");
    let mut held_out: HashMap<String, String> = HashMap::new();
    let held_files = jsonl_in(&safety.join("heldout"), &["heldout"]);
    // Seven sets per language: `heldout-*` and the sealed `heldout2-*` to `heldout7-*` (MODEL.md).
    assert_eq!(held_files.len(), 14, "{held_files:?}");
    for path in &held_files {
        for (line, text) in texts(path) {
            held_out.insert(key(&text), format!("{}:{line}", path.display()));
        }
    }
    let trained = jsonl_in(&safety.join("data"), &["train", "dev"]);
    assert!(trained.len() >= 10, "{trained:?}");
    let mut found = Vec::new();
    for path in &trained {
        for (line, text) in texts(path) {
            if let Some(at) = held_out.get(&key(&text)) {
                found.push(format!("{}:{line} is {at}: {text:?}", path.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "held-out lines in the trainer's files:\n{}",
        found.join("\n")
    );
    // The comparison is not vacuous: a held-out line, respelled, is found.
    let (_, first) = texts(&held_files[0]).remove(0);
    assert!(held_out.contains_key(&key(&first.to_uppercase())));
}
