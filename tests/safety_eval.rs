//! Evaluation of the built-in safety lexicons on a labelled message set
//! (`tests/data/safety_eval.tsv`).
//!
//! Prints recall per category and language and the false-positive rate on
//! messages labelled `none` (run with `--nocapture` to see the table). Fails if
//! recall on `self_harm` is below 100% or if more than 2% of the `none`
//! messages (ordinary chat and traps) raise any flag, in either language.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use relance::safety::{Category, Flag, SafetyChecker};

/// The most `none` messages that may raise a flag, per language.
const MAX_FALSE_POSITIVE_RATE: f64 = 0.02;

const LANGS: [&str; 2] = ["fr", "en"];

/// One labelled message.
#[derive(Debug)]
struct Row {
    line: usize,
    lang: String,
    expected: Option<Category>,
    kind: String,
    text: String,
}

fn load() -> Vec<Row> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/safety_eval.tsv");
    let content = std::fs::read_to_string(path).expect("read the evaluation set");
    let mut rows = Vec::new();
    for (index, line) in content.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') || line.starts_with("lang\t") {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [lang, expected, kind, text] = fields[..] else {
            panic!(
                "line {}: expected 4 tab-separated columns: {line:?}",
                index + 1
            );
        };
        assert!(
            LANGS.contains(&lang),
            "line {}: unknown language {lang:?}",
            index + 1
        );
        assert!(
            ["crisis", "category", "trap", "ordinary"].contains(&kind),
            "line {}: unknown kind {kind:?}",
            index + 1
        );
        let expected = match expected {
            "none" => None,
            name => Some(
                Category::from_name(name)
                    .unwrap_or_else(|| panic!("line {}: unknown category {name:?}", index + 1)),
            ),
        };
        assert_eq!(
            expected.is_none(),
            matches!(kind, "trap" | "ordinary"),
            "line {}: kind {kind} does not fit the expected label",
            index + 1
        );
        rows.push(Row {
            line: index + 1,
            lang: lang.to_owned(),
            expected,
            kind: kind.to_owned(),
            text: text.to_owned(),
        });
    }
    rows
}

fn describe(flags: &[Flag]) -> String {
    flags
        .iter()
        .map(|f| format!("{}:{:?}", f.category, f.matched))
        .collect::<Vec<_>>()
        .join(", ")
}

fn rate(hits: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        hits as f64 / total as f64
    }
}

#[test]
fn safety_evaluation() {
    let rows = load();
    let checker = SafetyChecker::builtin();
    let mut report = String::new();
    let mut failures = Vec::new();
    // (lang, category) -> (found, total)
    let mut recall: BTreeMap<(String, Category), (usize, usize)> = BTreeMap::new();
    // (lang, kind) -> (flagged, total)
    let mut false_positives: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    let mut wrong = Vec::new();

    for row in &rows {
        let flags = checker.scan(&row.text);
        match row.expected {
            Some(category) => {
                let found = flags.iter().any(|f| f.category == category);
                let entry = recall.entry((row.lang.clone(), category)).or_default();
                entry.1 += 1;
                if found {
                    entry.0 += 1;
                } else {
                    misses.push(format!(
                        "  line {} [{} {}] {:?} -> [{}]",
                        row.line,
                        row.lang,
                        category,
                        row.text,
                        describe(&flags)
                    ));
                }
                if flags
                    .iter()
                    .any(|f| f.category != category && f.category.is_blocking())
                {
                    wrong.push(format!(
                        "  line {} [{} {}] {:?} -> [{}]",
                        row.line,
                        row.lang,
                        category,
                        row.text,
                        describe(&flags)
                    ));
                }
            }
            None => {
                let entry = false_positives
                    .entry((row.lang.clone(), row.kind.clone()))
                    .or_default();
                entry.1 += 1;
                if !flags.is_empty() {
                    entry.0 += 1;
                    misses.push(format!(
                        "  line {} [{} none/{}] {:?} -> [{}]",
                        row.line,
                        row.lang,
                        row.kind,
                        row.text,
                        describe(&flags)
                    ));
                }
            }
        }
    }

    let _ = writeln!(report, "\nsafety evaluation: {} messages", rows.len());
    let _ = writeln!(report, "{:<18} {:>14} {:>14}", "recall", "fr", "en");
    for category in Category::ALL {
        let cell = |lang: &str| {
            let (found, total) = recall
                .get(&(lang.to_owned(), category))
                .copied()
                .unwrap_or_default();
            format!("{found}/{total} {:>5.1}%", 100.0 * rate(found, total))
        };
        let _ = writeln!(
            report,
            "{:<18} {:>14} {:>14}",
            category.as_str(),
            cell("fr"),
            cell("en")
        );
    }
    let _ = writeln!(
        report,
        "{:<18} {:>14} {:>14}",
        "false positives", "fr", "en"
    );
    for kind in ["ordinary", "trap", "all none"] {
        let cell = |lang: &str| {
            let (flagged, total) = false_positives
                .iter()
                .filter(|((l, k), _)| l == lang && (kind == "all none" || k == kind))
                .fold((0, 0), |acc, (_, &(f, t))| (acc.0 + f, acc.1 + t));
            format!("{flagged}/{total} {:>5.1}%", 100.0 * rate(flagged, total))
        };
        let _ = writeln!(report, "{:<18} {:>14} {:>14}", kind, cell("fr"), cell("en"));
    }
    if !misses.is_empty() {
        let _ = writeln!(report, "misses and false positives:\n{}", misses.join("\n"));
    }
    if !wrong.is_empty() {
        let _ = writeln!(
            report,
            "also flagged in another blocking category:\n{}",
            wrong.join("\n")
        );
    }
    println!("{report}");

    for lang in LANGS {
        let (found, total) = recall
            .get(&(lang.to_owned(), Category::SelfHarm))
            .copied()
            .unwrap_or_default();
        if total == 0 || found < total {
            failures.push(format!(
                "{lang}: self_harm recall {found}/{total} is below 100%"
            ));
        }
        let (flagged, total) = false_positives
            .iter()
            .filter(|((l, _), _)| l == lang)
            .fold((0, 0), |acc, (_, &(f, t))| (acc.0 + f, acc.1 + t));
        if rate(flagged, total) > MAX_FALSE_POSITIVE_RATE {
            failures.push(format!(
                "{lang}: {flagged}/{total} messages labelled none raise a flag (above 2%)"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn evaluation_set_is_large_enough() {
    let rows = load();
    for lang in LANGS {
        let of_lang = || rows.iter().filter(move |r| r.lang == lang);
        assert!(of_lang().count() >= 150, "{lang}: fewer than 150 messages");
        assert!(
            of_lang().filter(|r| r.kind == "ordinary").count() >= 60,
            "{lang}: fewer than 60 ordinary messages"
        );
        for category in Category::ALL {
            assert!(
                of_lang().filter(|r| r.expected == Some(category)).count() >= 5,
                "{lang}: fewer than 5 messages for {category}"
            );
        }
        assert!(
            of_lang().filter(|r| r.kind == "trap").count() >= 10,
            "{lang}: few traps"
        );
    }
}
