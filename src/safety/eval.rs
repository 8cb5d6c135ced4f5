//! Measuring the crisis check on labelled messages (`relance safety-eval`, the training
//! example's threshold choice).
//!
//! A labelled file is JSON Lines: one `{"text": …, "label": "crisis"|"ok", "lang"?: …,
//! "kind"?: …}` object per line; blank lines are skipped.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::checker::SafetyChecker;
use crate::model::{Category, Lang};

/// One labelled message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Labelled {
    /// 1-based line in its file.
    pub line: usize,
    /// The message.
    pub text: String,
    /// Whether it is a crisis message.
    pub crisis: bool,
    /// Its language (`"?"` when not given).
    pub lang: String,
    /// What sort of message it is (`chat`, `film`…), if given.
    pub kind: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    text: String,
    label: String,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    kind: Option<String>,
}

/// A line of a labelled file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct LabelledLineError {
    /// The file, as given.
    pub file: String,
    /// The 1-based line.
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

/// Reads the labelled messages of `source` (the text of `file`).
///
/// # Errors
///
/// The first bad line, with file and line: not a JSON object, a missing `text` or `label`,
/// a label other than `crisis` or `ok`, an unknown field.
pub fn parse_labelled(source: &str, file: &str) -> Result<Vec<Labelled>, LabelledLineError> {
    let mut rows = Vec::new();
    for (i, line) in source.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let error = |problem: String| LabelledLineError {
            file: file.to_owned(),
            line: i + 1,
            problem,
        };
        let raw: RawLine = serde_json::from_str(line).map_err(|e| error(e.to_string()))?;
        let crisis = match raw.label.as_str() {
            "crisis" => true,
            "ok" => false,
            other => {
                return Err(error(format!(
                    "label {other:?}: expected \"crisis\" or \"ok\""
                )));
            }
        };
        rows.push(Labelled {
            line: i + 1,
            text: raw.text,
            crisis,
            lang: raw.lang.unwrap_or_else(|| "?".to_owned()),
            kind: raw.kind,
        });
    }
    Ok(rows)
}

/// What the check makes of one message alone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Verdict {
    /// A lexicon phrase of the `self_harm` list matched.
    pub lexicon_crisis: bool,
    /// Some lexicon phrase of a blocking category matched.
    pub lexicon_blocking: bool,
    /// The classifier's probability.
    pub probability: f32,
    /// Flagged `self_harm` (crisis, with the referral): the lexicon or the classifier.
    pub crisis: bool,
}

impl Verdict {
    /// Whether a nudge would be held back (any blocking flag).
    pub fn held_back(&self) -> bool {
        self.crisis || self.lexicon_blocking
    }
}

/// The check of one message in `lang` with `checker`: `self_harm` when the lexicon matches or
/// the classifier's probability reaches the checker's threshold for that language (the
/// strictest when the language is not known, see [`SafetyChecker::crisis_threshold`]).
pub fn verdict(checker: &SafetyChecker, text: &str, lang: Option<Lang>) -> Verdict {
    let reading = checker.read_message(text);
    let lexicon_crisis = checker
        .scan(text)
        .iter()
        .any(|f| f.category == Category::SelfHarm);
    let probability = checker.classifier().probability(reading.crisis);
    Verdict {
        lexicon_crisis,
        lexicon_blocking: reading.blocking.is_some(),
        probability,
        crisis: lexicon_crisis || checker.is_crisis(reading.crisis, lang),
    }
}

/// Counts of one group of labelled messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Crisis messages.
    pub crisis: usize,
    /// Crisis messages flagged `self_harm`.
    pub caught: usize,
    /// Ordinary messages.
    pub ok: usize,
    /// Ordinary messages flagged `self_harm`.
    pub false_crisis: usize,
    /// Ordinary messages held back by any blocking flag (`self_harm` or another category).
    pub held_back: usize,
    /// The crisis messages missed (indexes in the evaluated rows).
    pub misses: Vec<usize>,
    /// The ordinary messages flagged `self_harm` (indexes in the evaluated rows).
    pub false_positives: Vec<usize>,
}

impl Tally {
    /// Share of crisis messages caught (1 when there are none).
    pub fn recall(&self) -> f64 {
        ratio(self.caught, self.crisis, 1.0)
    }

    /// Share of ordinary messages flagged `self_harm` (0 when there are none).
    pub fn false_positive_rate(&self) -> f64 {
        ratio(self.false_crisis, self.ok, 0.0)
    }

    /// Share of ordinary messages held back by any blocking flag.
    pub fn held_back_rate(&self) -> f64 {
        ratio(self.held_back, self.ok, 0.0)
    }

    fn add(&mut self, index: usize, row: &Labelled, v: &Verdict) {
        if row.crisis {
            self.crisis += 1;
            if v.crisis {
                self.caught += 1;
            } else {
                self.misses.push(index);
            }
        } else {
            self.ok += 1;
            if v.crisis {
                self.false_crisis += 1;
                self.false_positives.push(index);
            }
            if v.held_back() {
                self.held_back += 1;
            }
        }
    }
}

fn ratio(n: usize, d: usize, empty: f64) -> f64 {
    if d == 0 { empty } else { n as f64 / d as f64 }
}

/// Tallies per language and per (language, kind), sorted by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvalReport {
    /// Per language.
    pub by_lang: BTreeMap<String, Tally>,
    /// Per language and kind, for rows that give a kind.
    pub by_kind: BTreeMap<(String, String), Tally>,
}

/// Checks every row with `checker` and tallies the results.
pub fn evaluate(checker: &SafetyChecker, rows: &[Labelled]) -> EvalReport {
    let mut report = EvalReport::default();
    for (index, row) in rows.iter().enumerate() {
        let v = verdict(checker, &row.text, Lang::from_locale(&row.lang));
        report
            .by_lang
            .entry(row.lang.clone())
            .or_default()
            .add(index, row, &v);
        if let Some(kind) = &row.kind {
            report
                .by_kind
                .entry((row.lang.clone(), kind.clone()))
                .or_default()
                .add(index, row, &v);
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_name_file_and_line() {
        let src = "{\"text\":\"hi\",\"label\":\"ok\"}\n\n{\"text\":\"x\",\"label\":\"maybe\"}\n";
        let err = parse_labelled(src, "a.jsonl").expect_err("bad label");
        assert_eq!(err.line, 3);
        assert!(
            err.to_string().starts_with("a.jsonl:3: label \"maybe\""),
            "{err}"
        );
        let err = parse_labelled("{\"label\":\"ok\"}", "b.jsonl").expect_err("no text");
        assert!(err.to_string().starts_with("b.jsonl:1:"), "{err}");
        let err = parse_labelled("not json", "c.jsonl").expect_err("not json");
        assert_eq!(err.line, 1);
    }

    #[test]
    fn tallies_count_recall_and_false_positives() {
        let src = concat!(
            "{\"text\":\"je veux mourir\",\"label\":\"crisis\",\"lang\":\"fr\",\"kind\":\"chat\"}\n",
            "{\"text\":\"on a vu un film hier\",\"label\":\"ok\",\"lang\":\"fr\",\"kind\":\"chat\"}\n",
        );
        let rows = parse_labelled(src, "t.jsonl").expect("valid");
        let report = evaluate(SafetyChecker::builtin(), &rows);
        let fr = &report.by_lang["fr"];
        assert_eq!((fr.crisis, fr.caught, fr.ok, fr.false_crisis), (1, 1, 1, 0));
        assert_eq!(fr.recall(), 1.0);
        assert_eq!(
            report.by_kind[&("fr".to_owned(), "chat".to_owned())].crisis,
            1
        );
    }
}
