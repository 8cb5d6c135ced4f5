//! Trains the crisis classifier and writes `assets/safety/model.bin`.
//!
//! ```text
//! cargo run --release --example train_safety
//! ```
//!
//! Reads `assets/safety/data/train*.jsonl` for training and `dev*.jsonl` for the threshold
//! (never the held-out files). Deterministic: the same data gives the same file (fixed seed,
//! files read in name order). Each language gets its own threshold, chosen on its own dev
//! lines by one rule: the highest threshold at which the whole check (lexicon or classifier)
//! keeps a recall of at least 97 %, then lowered while the dev false positives stay at most
//! 1.5 % of all the language's dev negatives, for recall on messages the dev split does not
//! cover. But ordinary chat (kind `chat`) comes first: when that recall needs a threshold
//! flagging more than 1 % of the language's ordinary dev chat, the threshold is the lowest that
//! does not. (One threshold for both would be set by the language whose ordinary chat scores
//! higher, and lose recall in the other.) The model file also carries the share of ordinary dev
//! chat flagged at each threshold a persona may ask for: the studio shows it to a designer who
//! lowers the threshold, and `relance check` warns when it is costly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use relance::model::Lang;
use relance::safety::SafetyChecker;
use relance::safety::classifier::{Classifier, Example, TrainParams, train};
use relance::safety::eval::{Labelled, parse_labelled, verdict};

/// Dev recall the threshold must keep, per language.
const DEV_RECALL: f64 = 0.97;
/// Dev false positives (negatives of every kind flagged `self_harm`) allowed when lowering it.
const DEV_FALSE_POSITIVES: f64 = 0.015;
/// Dev false positives allowed on ordinary chat (kind `chat`), per language: the bound comes
/// first (a crisis flag on "thanks, see you" would hold back an ordinary user's nudge). A margin
/// under the 2 % the held-out split must stay under: on the folds a new writer's chat is
/// flagged at about the dev rate on average, and more for some. 1 % until 2026-12-08, when the
/// folds showed that bound holding French recall down (`assets/safety/MODEL.md`, "Thresholds").
const DEV_CHAT_FALSE_POSITIVES: f64 = 0.015;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn read(dir: &Path, prefix: &str) -> anyhow::Result<Vec<Labelled>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".jsonl"))
        })
        .collect();
    files.sort();
    let mut rows = Vec::new();
    for f in files {
        let source =
            std::fs::read_to_string(&f).with_context(|| format!("cannot read {}", f.display()))?;
        rows.extend(parse_labelled(&source, &f.display().to_string())?);
    }
    Ok(rows)
}

fn run() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Optional overrides, for experiments: `-- epochs=20 lr=0.3 l2=1e-6 positive=2 seed=1`;
    // `out=FILE` writes the model elsewhere; `eval=FILE` (repeatable) prints the curve of the
    // check on labelled lines the training and threshold never see (another writer's), and
    // `dump=FILE` writes each of those lines with its scores (JSON lines); `chat_bound=0.015` sets
    // the share of ordinary dev chat the threshold may flag (the rule's bound); `data=DIR` reads the
    // training and dev files from another folder (`data/folds.sh` holds one round out that way).
    let mut params = TrainParams::default();
    let mut out = root.join("assets/safety/model.bin");
    let mut data = root.join("assets/safety/data");
    let mut eval_rows = Vec::new();
    let mut dump = None;
    let mut chat_bound = DEV_CHAT_FALSE_POSITIVES;
    for arg in std::env::args().skip(1) {
        let (key, value) = arg.split_once('=').context("arguments are key=value")?;
        match key {
            "out" => out = PathBuf::from(value),
            "data" => data = PathBuf::from(value),
            "dump" => dump = Some(PathBuf::from(value)),
            "eval" => {
                let source = std::fs::read_to_string(value)
                    .with_context(|| format!("cannot read {value}"))?;
                eval_rows.extend(parse_labelled(&source, value)?);
            }
            "epochs" => params.epochs = value.parse()?,
            "lr" => params.learning_rate = value.parse()?,
            "l2" => params.l2 = value.parse()?,
            "positive" => params.positive_weight = value.parse()?,
            "seed" => params.seed = value.parse()?,
            "chat_bound" => {
                chat_bound = value.parse()?;
                anyhow::ensure!(
                    (0.0..=1.0).contains(&chat_bound),
                    "chat_bound is a share of ordinary dev chat, in [0, 1]: {value}"
                );
            }
            other => anyhow::bail!("unknown setting {other:?}"),
        }
    }
    let train_rows = read(&data, "train")?;
    let dev_rows = read(&data, "dev")?;
    anyhow::ensure!(
        !train_rows.is_empty() && !dev_rows.is_empty(),
        "no training or dev data in {}",
        data.display()
    );
    let examples: Vec<Example> = train_rows
        .iter()
        .map(|r| Example {
            text: r.text.clone(),
            crisis: r.crisis,
        })
        .collect();
    let model = train(&examples, &params);
    let classifier = Classifier::quantize(&model, 0.5);
    let train_errors = train_rows
        .iter()
        .filter(|r| (classifier.score(&r.text) >= 0.5) != r.crisis)
        .count();
    println!("{params:?}: {train_errors} training lines misclassified at 0.5");

    let scored = score(&classifier, &dev_rows);
    let langs = languages(&dev_rows);
    // Recall and false positives per language at `t`, the false positives over the negatives
    // of `kind` only when given (a language without crisis lines keeps its recall).
    let rates_of = |t: f32, kind: Option<&str>| -> BTreeMap<&str, (f64, f64)> {
        langs
            .iter()
            .map(|&lang| {
                let recall = share(&scored, t, lang, &|r| r.crisis).unwrap_or(1.0);
                let negative =
                    |r: &Labelled| !r.crisis && (kind.is_none() || r.kind.as_deref() == kind);
                let fpr = share(&scored, t, lang, &negative).unwrap_or(0.0);
                (lang, (recall, fpr))
            })
            .collect()
    };
    let rates = |t: f32| rates_of(t, None);
    // The share of `lang`'s ordinary dev chat flagged at `t` (0 without any).
    let chat_rate = |t: f32, lang: &str| {
        let is_chat = |r: &Labelled| !r.crisis && r.kind.as_deref() == Some("chat");
        share(&scored, t, lang, &is_chat).unwrap_or(0.0)
    };
    // Candidate thresholds on a 0.01 grid, highest first.
    let grid: Vec<f32> = (1..100).rev().map(|i| i as f32 / 100.0).collect();
    // The rule in one language: its threshold, and the highest keeping the dev recall.
    let choose = |lang: &str| -> anyhow::Result<(f32, f32)> {
        let rate = |t: f32| rates(t)[lang];
        let chat_ok = |t: f32| chat_rate(t, lang) <= chat_bound;
        let highest = grid
            .iter()
            .copied()
            .find(|&t| rate(t).0 >= DEV_RECALL)
            .with_context(|| format!("no threshold reaches the {lang} dev recall"))?;
        if !chat_ok(highest) {
            // Ordinary chat first: the lowest threshold that keeps it under its bound.
            let threshold = grid
                .iter()
                .copied()
                .rfind(|&t| chat_ok(t))
                .with_context(|| {
                    format!("no threshold keeps {lang} ordinary chat under its bound")
                })?;
            println!(
                "{lang}: the {:.0} % dev recall needs {highest:.2}, which flags more than {:.1} % of ordinary chat: threshold raised",
                DEV_RECALL * 100.0,
                chat_bound * 100.0
            );
            return Ok((threshold, highest));
        }
        let lowered = grid
            .iter()
            .copied()
            .filter(|&t| t < highest)
            .take_while(|&t| rate(t).1 <= DEV_FALSE_POSITIVES && chat_ok(t))
            .last();
        Ok((lowered.unwrap_or(highest), highest))
    };
    let mut chosen: BTreeMap<&str, f32> = BTreeMap::new();
    let mut classifier = classifier;
    for &lang in &langs {
        let known = Lang::from_locale(lang)
            .with_context(|| format!("dev lines in {lang:?}, a language Relance does not know"))?;
        let (threshold, highest) = choose(lang)?;
        println!(
            "{lang}: threshold {threshold:.2} (highest at {:.0} % dev recall: {highest:.2})",
            DEV_RECALL * 100.0
        );
        chosen.insert(lang, threshold);
        classifier = classifier.with_threshold(known, threshold);
    }
    let at_chosen = |lang: &str| chosen[lang];
    for t in [0.1f32, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] {
        let chat = rates_of(t, Some("chat"));
        let line: Vec<String> = rates(t)
            .iter()
            .map(|(l, (r, f))| {
                let c = chat.get(l).map_or(0.0, |c| c.1);
                format!(
                    "{l} recall {:.1} % fp {:.1} % (chat {:.1} %)",
                    r * 100.0,
                    f * 100.0,
                    c * 100.0
                )
            })
            .collect();
        println!("  at {t:.1}: {}", line.join(", "));
    }
    // What each threshold a persona may ask for costs ordinary users (each language reading at
    // it or at its own, whichever is lower), for the designer who lowers it.
    let classifier = classifier.with_chat_curve(|t| {
        langs.iter().fold(0.0, |worst: f64, &lang| {
            worst.max(chat_rate(t.min(at_chosen(lang)), lang))
        })
    });
    let eval_scored = score(&classifier, &eval_rows);
    if !eval_rows.is_empty() {
        print_curve(&eval_scored, &chosen);
    }
    if let Some(path) = dump {
        let lines: Vec<String> = eval_scored
            .iter()
            .map(|(r, lex, p)| {
                serde_json::json!({"text": r.text, "crisis": r.crisis, "lang": r.lang,
                    "kind": r.kind, "lexicon": lex, "p": p})
                .to_string()
            })
            .collect();
        std::fs::write(&path, lines.join("\n") + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let bytes = classifier.to_bytes();
    std::fs::write(&out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "trained on {} lines ({} crisis), dev {} lines",
        train_rows.len(),
        train_rows.iter().filter(|r| r.crisis).count(),
        dev_rows.len(),
    );
    for (&lang, &t) in &chosen {
        let (recall, fpr) = rates(t)[lang];
        let chat = chat_rate(t, lang);
        println!(
            "dev {lang} at {t:.2}: recall {:.1} %, false positives {:.1} % (ordinary chat {:.1} %)",
            recall * 100.0,
            fpr * 100.0,
            chat * 100.0
        );
    }
    println!("wrote {} ({} bytes)", out.display(), bytes.len());
    Ok(())
}

/// Each row with the lexicon's verdict (it does not depend on the model) and the classifier's
/// probability.
fn score<'a>(classifier: &Classifier, rows: &'a [Labelled]) -> Vec<(&'a Labelled, bool, f32)> {
    let lexicon = SafetyChecker::builtin();
    rows.iter()
        .map(|r| {
            let lexicon_crisis = verdict(lexicon, &r.text, None).lexicon_crisis;
            (r, lexicon_crisis, classifier.score(&r.text))
        })
        .collect()
}

/// The share of `lang`'s scored rows kept by `keep` that the check (lexicon or classifier)
/// flags at threshold `t`; `None` when `keep` leaves no row.
fn share(
    scored: &[(&Labelled, bool, f32)],
    t: f32,
    lang: &str,
    keep: &dyn Fn(&Labelled) -> bool,
) -> Option<f64> {
    let rows = scored.iter().filter(|s| s.0.lang == lang && keep(s.0));
    let (n, flagged) = rows.fold((0usize, 0usize), |(n, f), &(_, lex, p)| {
        (n + 1, f + usize::from(lex || p >= t))
    });
    (n > 0).then(|| flagged as f64 / n as f64)
}

/// The languages of `rows`, sorted.
fn languages<'a>(rows: impl IntoIterator<Item = &'a Labelled>) -> Vec<&'a str> {
    let mut langs: Vec<&str> = rows.into_iter().map(|r| r.lang.as_str()).collect();
    langs.sort_unstable();
    langs.dedup();
    langs
}

/// Recall, false positives and false positives on ordinary chat of the whole check (lexicon or
/// classifier) on the `scored` rows, per language, at a few thresholds, at each language's
/// chosen one, and at each language's lowest keeping its ordinary chat at most 2 % (the issue's
/// bound) when the rows have ordinary chat in every language.
fn print_curve(scored: &[(&Labelled, bool, f32)], chosen: &BTreeMap<&str, f32>) {
    let langs = languages(scored.iter().map(|s| s.0));
    let share = |t: f32, lang: &str, keep: &dyn Fn(&Labelled) -> bool| {
        share(scored, t, lang, keep).unwrap_or(0.0)
    };
    let is_chat = |r: &Labelled| !r.crisis && r.kind.as_deref() == Some("chat");
    let is_film = |r: &Labelled| !r.crisis && r.kind.as_deref() == Some("film");
    // Only when the file has ordinary chat in every language (a round of hard negatives alone
    // has no such bound).
    let has_chat = langs
        .iter()
        .all(|&l| scored.iter().any(|s| s.0.lang == l && is_chat(s.0)));
    let at_chat_bound = |lang: &str| {
        (1..100)
            .map(|i| i as f32 / 100.0)
            .find(|&t| share(t, lang, &is_chat) <= 0.02)
            .unwrap_or(1.0)
    };
    println!("eval ({} lines):", scored.len());
    // Each line: its name and the threshold of each language, in `langs` order.
    let mut settings: Vec<(String, Vec<f32>)> = [0.3f32, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
        .into_iter()
        .map(|t| (format!("{t:.2}"), vec![t; langs.len()]))
        .collect();
    let named = |name: &str, at: &dyn Fn(&str) -> f32| {
        let each: Vec<f32> = langs.iter().map(|&l| at(l)).collect();
        let shown: Vec<String> = langs
            .iter()
            .zip(&each)
            .map(|(l, t)| format!("{l} {t:.2}"))
            .collect();
        (format!("{} ({name})", shown.join(", ")), each)
    };
    settings.push(named("chosen", &|lang| {
        chosen.get(lang).copied().unwrap_or(1.0)
    }));
    if has_chat {
        settings.push(named("2 % of chat", &at_chat_bound));
    }
    for (name, at) in settings {
        let line: Vec<String> = langs
            .iter()
            .zip(at)
            .map(|(&lang, t)| {
                format!(
                    "{lang} recall {:.1} % fp {:.1} % chat {:.1} % film {:.1} %",
                    100.0 * share(t, lang, &|r| r.crisis),
                    100.0 * share(t, lang, &|r| !r.crisis),
                    100.0 * share(t, lang, &is_chat),
                    100.0 * share(t, lang, &is_film),
                )
            })
            .collect();
        println!("  at {name}: {}", line.join(" | "));
    }
}
