//! Lexicon files: format, embedded copies, parsing and compilation.
//!
//! A lexicon folder holds one sub-folder per language (`fr/`, `en/`), and in
//! each one file per category named after [`Category::as_str`]
//! (`self_harm.txt`, `grief.txt`...) plus `allow.txt`. Every language is
//! checked at once: a message may mix languages.
//!
//! File format, one phrase per line:
//! - blank lines and lines starting with `#` are ignored;
//! - matching ignores case, accents, apostrophe variants and punctuation, and
//!   respects word boundaries (`kill` does not match `skill`);
//! - `{a|b|c}` expands to one phrase per alternative (`{|x}` makes `x` optional);
//! - a trailing `*` matches any word ending (`suicid*` matches `suicidaire`);
//! - a phrase with apostrophes also matches without them (`j'ai` matches `jai`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::{PhraseProblem, SafetyError};
use super::fold::match_form;
use super::phrases::PhraseSet;
use crate::model::Category;

/// The most phrases one lexicon line may expand to through `{a|b}` groups.
pub const MAX_VARIANTS: usize = 10_000;

/// The file name of allow-lists inside a language folder.
pub const ALLOW_FILE: &str = "allow.txt";

/// One embedded lexicon file: `(language, name without .txt, content)`.
macro_rules! builtin {
    ($lang:literal, $name:literal) => {
        (
            $lang,
            $name,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/assets/lexicons/",
                $lang,
                "/",
                $name,
                ".txt"
            )),
        )
    };
}

/// Lexicon files embedded at compile time: (language, file name, content).
pub(crate) const BUILTIN_FILES: &[(&str, &str, &str)] = &[
    builtin!("fr", "self_harm"),
    builtin!("fr", "violence"),
    builtin!("fr", "sexual"),
    builtin!("fr", "sexual_minors"),
    builtin!("fr", "harassment"),
    builtin!("fr", "hate"),
    builtin!("fr", "illicit"),
    builtin!("fr", "grief"),
    builtin!("fr", "health"),
    builtin!("fr", "politics"),
    builtin!("fr", "religion"),
    builtin!("fr", "finance_distress"),
    builtin!("fr", "addiction"),
    builtin!("fr", "allow"),
    builtin!("en", "self_harm"),
    builtin!("en", "violence"),
    builtin!("en", "sexual"),
    builtin!("en", "sexual_minors"),
    builtin!("en", "harassment"),
    builtin!("en", "hate"),
    builtin!("en", "illicit"),
    builtin!("en", "grief"),
    builtin!("en", "health"),
    builtin!("en", "politics"),
    builtin!("en", "religion"),
    builtin!("en", "finance_distress"),
    builtin!("en", "addiction"),
    builtin!("en", "allow"),
];

/// Which list a phrase goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// A category lexicon.
    Category(Category),
    /// The allow-list.
    Allow,
}

impl Target {
    /// The target named by a lexicon file name (`self_harm.txt`, `allow.txt`).
    pub fn from_file_name(name: &str) -> Option<Target> {
        let stem = name.strip_suffix(".txt")?;
        if stem.eq_ignore_ascii_case("allow") {
            return Some(Target::Allow);
        }
        Category::from_name(stem).map(Target::Category)
    }
}

/// One compiled lexicon phrase.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Its category.
    pub category: Category,
    /// The lexicon line as written.
    pub phrase: Arc<str>,
}

/// The compiled phrase sets and their entries.
#[derive(Debug, Clone, Default)]
pub(crate) struct Compiled {
    /// Every category phrase (the first definition of a phrase wins).
    pub lexicon: PhraseSet,
    /// Entry of each lexicon phrase, by phrase id.
    pub entries: Vec<Entry>,
    /// Every allow phrase.
    pub allow: PhraseSet,
}

/// Collects phrases into the sets they are matched from.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    compiled: Compiled,
}

impl Builder {
    /// A builder holding the embedded lexicons.
    pub fn builtin() -> Result<Builder, SafetyError> {
        let mut builder = Builder::default();
        for &(lang, name, content) in BUILTIN_FILES {
            let file_name = format!("{name}.txt");
            let Some(target) = Target::from_file_name(&file_name) else {
                continue;
            };
            builder.add_file(&format!("builtin:{lang}/{file_name}"), target, content)?;
        }
        Ok(builder)
    }

    /// A builder holding every lexicon file of a folder (see the module docs).
    pub fn from_dir(dir: &Path) -> Result<Builder, SafetyError> {
        let mut builder = Builder::default();
        let mut files = Vec::new();
        for entry in read_dir_sorted(dir)? {
            if entry.is_dir() {
                files.extend(
                    read_dir_sorted(&entry)?
                        .into_iter()
                        .filter(|p| is_lexicon_file(p)),
                );
            } else if is_lexicon_file(&entry) {
                files.push(entry);
            }
        }
        if files.is_empty() {
            return Err(SafetyError::NoLexicon {
                path: dir.to_path_buf(),
            });
        }
        for path in files {
            let target = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(Target::from_file_name)
                .ok_or_else(|| SafetyError::UnknownFile { path: path.clone() })?;
            let content = std::fs::read_to_string(&path).map_err(|source| SafetyError::Io {
                path: path.clone(),
                source,
            })?;
            builder.add_file(&path.display().to_string(), target, &content)?;
        }
        Ok(builder)
    }

    /// Adds every phrase of one file; errors name `file` and the line.
    pub fn add_file(
        &mut self,
        file: &str,
        target: Target,
        content: &str,
    ) -> Result<(), SafetyError> {
        for (index, line) in content.lines().enumerate() {
            let phrase = line.trim();
            if phrase.is_empty() || phrase.starts_with('#') {
                continue;
            }
            self.add(target, phrase)
                .map_err(|problem| SafetyError::Phrase {
                    file: file.to_owned(),
                    line: index + 1,
                    phrase: phrase.to_owned(),
                    problem,
                })?;
        }
        Ok(())
    }

    /// Adds one phrase (with its `{a|b}` variants) to `target`; on error,
    /// nothing is added.
    pub fn add(&mut self, target: Target, phrase: &str) -> Result<(), PhraseProblem> {
        let shared: Arc<str> = Arc::from(phrase.trim());
        let Compiled {
            lexicon,
            entries,
            allow,
        } = &mut self.compiled;
        for (pattern, wildcard) in patterns(&shared)? {
            match target {
                // The first definition wins (categories load in a fixed order).
                Target::Category(category) => {
                    if lexicon.insert(&pattern, wildcard).is_some() {
                        entries.push(Entry {
                            category,
                            phrase: Arc::clone(&shared),
                        });
                    }
                }
                Target::Allow => {
                    allow.insert(&pattern, wildcard);
                }
            }
        }
        Ok(())
    }

    /// The number of category patterns collected so far.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.compiled.entries.len()
    }

    /// The phrase sets, ready to match.
    pub fn build(self) -> Compiled {
        self.compiled
    }
}

/// The patterns of one lexicon line in matching form, each with whether its last word is a
/// prefix: ` word word ` for whole words, ` word wor` for a trailing `*`; every `{a|b}` variant,
/// each spelled as written and, when it has apostrophes, without them.
pub(crate) fn patterns(phrase: &str) -> Result<Vec<(String, bool)>, PhraseProblem> {
    let mut patterns = Vec::new();
    for variant in expand(phrase.trim())? {
        let (body, wildcard) = match variant.trim().strip_suffix('*') {
            Some(body) => (body, true),
            None => (variant.trim(), false),
        };
        if body.contains('*') {
            return Err(PhraseProblem::MisplacedWildcard);
        }
        let mut spellings = vec![match_form(body, false)];
        if body.chars().any(is_apostrophe) {
            spellings.push(match_form(body, true));
        }
        for spelled in spellings {
            if spelled.trim().is_empty() {
                return Err(PhraseProblem::Empty);
            }
            if wildcard {
                let last_word = spelled.trim().rsplit(' ').next().unwrap_or_default();
                if last_word.chars().count() < 3 || body.ends_with(|c: char| !c.is_alphanumeric()) {
                    return Err(PhraseProblem::ShortWildcard);
                }
                patterns.push((spelled.trim_end().to_owned(), true));
            } else {
                patterns.push((spelled, false));
            }
        }
    }
    Ok(patterns)
}

fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '`' | '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{02BC}' | '\u{00B4}' | '\u{FF07}'
    )
}

fn is_lexicon_file(path: &Path) -> bool {
    path.is_file()
        && path.extension().is_some_and(|ext| ext == "txt")
        && !path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'))
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, SafetyError> {
    let io_error = |source| SafetyError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        paths.push(entry.map_err(io_error)?.path());
    }
    paths.sort();
    Ok(paths)
}

/// Expands `{a|b|c}` groups into every combination.
fn expand(phrase: &str) -> Result<Vec<String>, PhraseProblem> {
    let mut variants = vec![String::new()];
    let mut rest = phrase;
    while !rest.is_empty() {
        let Some(open) = rest.find(['{', '}']) else {
            variants.iter_mut().for_each(|v| v.push_str(rest));
            break;
        };
        if rest[open..].starts_with('}') {
            return Err(PhraseProblem::UnbalancedBraces);
        }
        let literal = &rest[..open];
        variants.iter_mut().for_each(|v| v.push_str(literal));
        let group_and_rest = &rest[open + 1..];
        let close = group_and_rest
            .find(['{', '}'])
            .filter(|&i| group_and_rest[i..].starts_with('}'))
            .ok_or(PhraseProblem::UnbalancedBraces)?;
        let alternatives: Vec<&str> = group_and_rest[..close].split('|').collect();
        if variants.len() * alternatives.len() > MAX_VARIANTS {
            return Err(PhraseProblem::TooManyVariants);
        }
        rest = &group_and_rest[close + 1..];
        // Room for what follows too, so that no variant grows again.
        let room = rest.len();
        variants = variants
            .iter()
            .flat_map(|v| {
                alternatives.iter().map(move |alt| {
                    let mut variant = String::with_capacity(v.len() + alt.len() + room);
                    variant.push_str(v);
                    variant.push_str(alt);
                    variant
                })
            })
            .collect();
    }
    Ok(variants)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_groups() {
        assert_eq!(expand("a {b|c} d").expect("ok"), ["a b d", "a c d"]);
        assert_eq!(
            expand("{mon|ma} {|grand-}pere").expect("ok"),
            ["mon pere", "mon grand-pere", "ma pere", "ma grand-pere"]
        );
        assert_eq!(expand("plain").expect("ok"), ["plain"]);
        assert_eq!(expand("a {b").unwrap_err(), PhraseProblem::UnbalancedBraces);
        assert_eq!(expand("a b}").unwrap_err(), PhraseProblem::UnbalancedBraces);
        assert_eq!(
            expand("{a{b}}").unwrap_err(),
            PhraseProblem::UnbalancedBraces
        );
        let huge = "{a|b|c|d|e|f|g|h|i|j}".repeat(5);
        assert_eq!(expand(&huge).unwrap_err(), PhraseProblem::TooManyVariants);
    }

    #[test]
    fn phrase_problems() {
        let mut builder = Builder::default();
        let target = Target::Category(Category::Grief);
        assert_eq!(builder.add(target, "---"), Err(PhraseProblem::Empty));
        assert_eq!(builder.add(target, "{a|}"), Err(PhraseProblem::Empty));
        assert_eq!(
            builder.add(target, "sui*cide"),
            Err(PhraseProblem::MisplacedWildcard)
        );
        assert_eq!(
            builder.add(target, "ab*"),
            Err(PhraseProblem::ShortWildcard)
        );
        assert_eq!(builder.add(target, "deuil*"), Ok(()));
        assert_eq!(
            builder.add(target, "j'ai perdu {mon|ma} {père|mère}"),
            Ok(())
        );
        // 1 + 4 spellings with apostrophe + 4 without.
        assert_eq!(builder.len(), 9);
        // Duplicates after folding are kept once.
        assert_eq!(builder.add(target, "DEUIL*"), Ok(()));
        assert_eq!(builder.len(), 9);
    }

    #[test]
    fn every_builtin_file_is_known_and_valid() {
        for &(_, name, _) in BUILTIN_FILES {
            assert!(
                Target::from_file_name(&format!("{name}.txt")).is_some(),
                "{name}"
            );
        }
        // Report every invalid line at once.
        let mut problems = Vec::new();
        for &(lang, name, content) in BUILTIN_FILES {
            let target = Target::from_file_name(&format!("{name}.txt")).expect("known");
            let mut scratch = Builder::default();
            for (index, line) in content.lines().enumerate() {
                let phrase = line.trim();
                if phrase.is_empty() || phrase.starts_with('#') {
                    continue;
                }
                if let Err(problem) = scratch.add(target, phrase) {
                    problems.push(format!(
                        "{lang}/{name}.txt:{}: {problem}: {phrase}",
                        index + 1
                    ));
                }
            }
        }
        assert!(
            problems.is_empty(),
            "invalid lexicon lines:\n{}",
            problems.join("\n")
        );
        let builder = Builder::builtin().expect("builtin lexicons are valid");
        assert!(builder.len() > 1000, "only {} patterns", builder.len());
        for category in Category::ALL {
            for lang in ["fr", "en"] {
                let listed = BUILTIN_FILES
                    .iter()
                    .any(|&(l, name, _)| l == lang && name == category.as_str());
                assert!(listed, "{lang}/{category} is not embedded");
            }
        }
    }

    #[test]
    fn every_builtin_file_starts_with_a_format_comment() {
        for &(lang, name, content) in BUILTIN_FILES {
            let first = content.lines().next().unwrap_or_default();
            assert!(
                first.starts_with('#'),
                "{lang}/{name}.txt lacks its header comment"
            );
        }
    }
}
