//! `relance safety-eval`: measure the crisis check on labelled messages.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::interop::language;
use crate::model::Lang;
use crate::safety::SafetyChecker;
use crate::safety::classifier::is_probability;
use crate::safety::eval::{EvalReport, Labelled, Tally, evaluate, parse_labelled};

/// Arguments of `relance safety-eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// JSON Lines files: `{"text", "label": "crisis"|"ok", "lang"?, "kind"?}` per line.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The most misses and false positives listed per language (0: counts only).
    #[arg(long, default_value_t = 50)]
    pub list: usize,
    /// Measure with the crisis classifier at this threshold (a persona's stricter
    /// `safety: (crisis_threshold: …)`, or any other to draw a curve); `off` measures the
    /// lexicons alone. Without it (or with `model`), the check as shipped: the lexicons and the
    /// classifier at each language's threshold chosen on the development split.
    ///
    /// A line is read at the threshold of its `lang`. A line without one is read in the language
    /// detected from its text (and counted in it), or at the strictest threshold when none is.
    #[arg(long, value_name = "PROBABILITY|model|off")]
    pub crisis_threshold: Option<String>,
}

/// Runs `relance safety-eval`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut rows: Vec<(String, Labelled)> = Vec::new();
    for path in &args.files {
        let name = path.display().to_string();
        let source =
            std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
        let parsed = parse_labelled(&source, &name)?;
        rows.extend(parsed.into_iter().map(|r| (name.clone(), r)));
    }
    let (detected, undetected) = detect_missing_languages(&mut rows);
    let checker = match args.crisis_threshold.as_deref() {
        None | Some("model") => SafetyChecker::builtin().clone(),
        Some("off") => SafetyChecker::builtin().clone().lexicons_only(),
        Some(text) => {
            let t: f32 = text
                .parse()
                .ok()
                .filter(|t: &f32| is_probability(*t))
                .with_context(|| {
                    format!(
                        "--crisis-threshold {text:?} is neither `model`, `off` nor a probability in (0, 1]"
                    )
                })?;
            SafetyChecker::builtin().clone().with_crisis_threshold(t)
        }
    };
    let checker = &checker;
    let labelled: Vec<Labelled> = rows.iter().map(|(_, r)| r.clone()).collect();
    let report = evaluate(checker, &labelled);
    let mut text = report_text(&report, &rows, checker, args.list);
    if detected + undetected > 0 {
        let _ = writeln!(
            text,
            "\nlines without \"lang\": {}; read in the language detected from the text: {detected}; read at the strictest threshold, under \"?\" (too short to tell, or another language): {undetected}",
            detected + undetected
        );
    }
    std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Gives each row without a language (`"?"`) the one detected from its text, when it is one
/// the classifier has a threshold for; returns how many were given one and how many were not.
fn detect_missing_languages(rows: &mut [(String, Labelled)]) -> (usize, usize) {
    let (mut detected, mut undetected) = (0, 0);
    for (_, row) in rows.iter_mut().filter(|(_, r)| r.lang == "?") {
        match language::detect(&row.text).and_then(|d| d.lang) {
            Some(lang) => {
                row.lang = lang.code().to_owned();
                detected += 1;
            }
            None => undetected += 1,
        }
    }
    (detected, undetected)
}

fn tally_line(name: &str, t: &Tally) -> String {
    let mut line = format!("{name:<20}");
    if t.crisis > 0 {
        line.push_str(&format!(
            " recall {:>5.1} % ({}/{})",
            t.recall() * 100.0,
            t.caught,
            t.crisis
        ));
    }
    if t.ok > 0 {
        line.push_str(&format!(
            " false positives {:>4.1} % ({}/{}), held back by any flag {:>4.1} %",
            t.false_positive_rate() * 100.0,
            t.false_crisis,
            t.ok,
            t.held_back_rate() * 100.0,
        ));
    }
    line.push('\n');
    line
}

/// The printed report: a line per language and per kind, then the misses and false positives.
fn report_text(
    report: &EvalReport,
    rows: &[(String, Labelled)],
    checker: &SafetyChecker,
    list: usize,
) -> String {
    let mut out = if checker.classifier_on() {
        let per_lang: Vec<String> = Lang::ALL
            .iter()
            .map(|&l| format!("{:.2} ({})", checker.crisis_threshold(Some(l)), l.code()))
            .collect();
        format!(
            "crisis check: lexicons or classifier at threshold {}; {:.2} for another language\n",
            per_lang.join(", "),
            checker.crisis_threshold(None)
        )
    } else {
        "crisis check: lexicons alone (the classifier is off: --crisis-threshold off)\n".to_owned()
    };
    for (lang, t) in &report.by_lang {
        out.push_str(&tally_line(lang, t));
        for ((l, kind), t) in report.by_kind.iter().filter(|((l, _), _)| l == lang) {
            out.push_str(&tally_line(&format!("  {l}/{kind}"), t));
        }
    }
    for (lang, t) in &report.by_lang {
        for (what, lines) in [
            ("missed", &t.misses),
            ("false positive", &t.false_positives),
        ] {
            if lines.is_empty() || list == 0 {
                continue;
            }
            let _ = writeln!(out, "\n{lang}: {what} ({})", lines.len());
            for &index in lines.iter().take(list) {
                if let Some((file, r)) = rows.get(index) {
                    let p = checker.classifier().score(&r.text);
                    let _ = writeln!(out, "  {file}:{} [{p:.2}] {}", r.line, r.text);
                }
            }
            if lines.len() > list {
                let _ = writeln!(out, "  … and {} more", lines.len() - list);
            }
        }
    }
    out
}
