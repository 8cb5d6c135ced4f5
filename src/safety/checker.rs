//! The compiled sensitive-topic checker.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use aho_corasick::Input;
use serde::{Deserialize, Serialize};

use super::age::states_minor;
use super::category::Category;
use super::error::SafetyError;
use super::fold::Folded;
use super::lexicon::{Builder, Compiled, Entry, Target};

/// One match of the check in a text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Flag {
    /// The category of the matching phrase.
    pub category: Category,
    /// The lexicon phrase, as written in the lexicon (or in the persona additions).
    pub phrase: String,
    /// The text's own words that matched (`text[start..end]`).
    pub matched: String,
    /// Byte offset of the match in the original text (a char boundary).
    pub start: usize,
    /// Byte offset just past the match in the original text (a char boundary).
    pub end: usize,
}

/// Per-persona additions to the built-in lexicons, stored in persona files
/// under `safety: (...)`.
///
/// Phrases use the lexicon syntax (see [`crate::safety`]): `{a|b}` groups and a
/// trailing `*`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SafetyAdditions {
    /// Extra phrases per category.
    #[serde(default)]
    pub phrases: BTreeMap<Category, Vec<String>>,
    /// Extra allow-list phrases: they cancel any match they overlap.
    #[serde(default)]
    pub allow: Vec<String>,
}

impl SafetyAdditions {
    /// Whether there is nothing to add.
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.phrases.values().all(Vec::is_empty)
    }

    fn add_to(&self, builder: &mut Builder) -> Result<(), SafetyError> {
        for (&category, phrases) in &self.phrases {
            for phrase in phrases {
                builder
                    .add(Target::Category(category), phrase)
                    .map_err(|problem| SafetyError::Addition {
                        list: category.as_str().to_owned(),
                        phrase: phrase.clone(),
                        problem,
                    })?;
            }
        }
        for phrase in &self.allow {
            builder
                .add(Target::Allow, phrase)
                .map_err(|problem| SafetyError::Addition {
                    list: "allow".to_owned(),
                    phrase: phrase.clone(),
                    problem,
                })?;
        }
        Ok(())
    }
}

/// The compiled checker: one automaton over every lexicon phrase of every
/// language and category, and one over the allow-list.
///
/// Cheap to clone (shared), `Send` and `Sync`. Scanning a clean text allocates
/// nothing: folding reuses a per-thread buffer.
#[derive(Clone)]
pub struct SafetyChecker {
    compiled: Arc<Compiled>,
}

impl std::fmt::Debug for SafetyChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafetyChecker")
            .field("patterns", &self.compiled.entries.len())
            .field("allow_patterns", &self.compiled.allow_wildcard.len())
            .finish()
    }
}

static BUILTIN: LazyLock<SafetyChecker> = LazyLock::new(|| {
    match Builder::builtin().and_then(SafetyChecker::from_builder) {
        Ok(checker) => checker,
        // The embedded lexicons are checked by unit tests; failing loudly here
        // beats a safety check that silently lets everything through.
        Err(err) => panic!("the embedded safety lexicons are invalid: {err}"),
    }
});

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Per-thread buffers reused across scans.
#[derive(Debug, Default)]
struct Scratch {
    folded: Folded,
    allowed: Vec<(usize, usize)>,
}

impl Scratch {
    /// Folded bytes kept between scans; a longer text's buffers are released.
    const KEEP_BYTES: usize = 64 * 1024;

    fn trim(&mut self) {
        if self.folded.text.capacity() > Self::KEEP_BYTES {
            self.folded = Folded::default();
        }
    }
}

/// A match before it is turned into a [`Flag`].
#[derive(Debug, Clone, Copy)]
struct RawFlag {
    entry: usize,
    category: Category,
    start: usize,
    end: usize,
}

impl SafetyChecker {
    /// The checker over the lexicons embedded from `assets/lexicons`, built once.
    ///
    /// # Panics
    ///
    /// Only if the embedded lexicons were invalid, which the unit tests rule out.
    pub fn builtin() -> &'static SafetyChecker {
        &BUILTIN
    }

    /// The built-in lexicons plus per-persona additions.
    ///
    /// # Errors
    ///
    /// [`SafetyError::Addition`] for an invalid phrase (empty, misplaced `*`...).
    pub fn with_additions(additions: &SafetyAdditions) -> Result<SafetyChecker, SafetyError> {
        if additions.is_empty() {
            return Ok(SafetyChecker::builtin().clone());
        }
        let mut builder = Builder::builtin()?;
        additions.add_to(&mut builder)?;
        SafetyChecker::from_builder(builder)
    }

    /// A designer-extended lexicon folder (laid out like `assets/lexicons`:
    /// `<lang>/<category>.txt` and `<lang>/allow.txt`) plus per-persona additions.
    ///
    /// The folder replaces the built-in lexicons: start from a copy of
    /// `assets/lexicons`. Files not ending in `.txt` are ignored.
    ///
    /// # Errors
    ///
    /// I/O errors, unknown `.txt` file names, invalid lines (naming the file and
    /// line), an empty folder, invalid additions.
    pub fn from_dir(dir: &Path, additions: &SafetyAdditions) -> Result<SafetyChecker, SafetyError> {
        let mut builder = Builder::from_dir(dir)?;
        additions.add_to(&mut builder)?;
        SafetyChecker::from_builder(builder)
    }

    fn from_builder(builder: Builder) -> Result<SafetyChecker, SafetyError> {
        Ok(SafetyChecker {
            compiled: Arc::new(builder.build()?),
        })
    }

    /// The number of compiled lexicon patterns (after `{a|b}` expansion).
    pub fn pattern_count(&self) -> usize {
        self.compiled.entries.len()
    }

    /// Every flag in `text`, in text order.
    ///
    /// Allow-list phrases cancel the matches they overlap. A [`Category::Sexual`]
    /// match in a text whose author states being a minor (an age under 18 or a
    /// school year, see [`states_minor`](crate::safety::states_minor)) is reported
    /// as [`Category::SexualMinors`].
    pub fn scan(&self, text: &str) -> Vec<Flag> {
        let mut flags = Vec::new();
        self.for_each(text, |raw| {
            flags.push(self.flag(text, raw));
            ControlFlow::Continue(())
        });
        flags
    }

    /// The first flag in `text`, if any.
    pub fn first_flag(&self, text: &str) -> Option<Flag> {
        let mut first = None;
        self.for_each(text, |raw| {
            first = Some(raw);
            ControlFlow::Break(())
        });
        first.map(|raw| self.flag(text, raw))
    }

    /// The first flag in `text` whose category holds a nudge back
    /// ([`Category::is_blocking`]).
    pub fn first_blocking(&self, text: &str) -> Option<Flag> {
        let mut first = None;
        self.for_each(text, |raw| {
            if raw.category.is_blocking() {
                first = Some(raw);
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        first.map(|raw| self.flag(text, raw))
    }

    /// Whether `text` raises no flag at all.
    pub fn is_clean(&self, text: &str) -> bool {
        self.first_flag(text).is_none()
    }

    fn flag(&self, text: &str, raw: RawFlag) -> Flag {
        let entry = &self.compiled.entries[raw.entry];
        Flag {
            category: raw.category,
            phrase: entry.phrase.to_string(),
            matched: text.get(raw.start..raw.end).unwrap_or_default().to_owned(),
            start: raw.start,
            end: raw.end,
        }
    }

    /// Calls `visit` on each match not cancelled by the allow-list, in text order.
    fn for_each(&self, text: &str, visit: impl FnMut(RawFlag) -> ControlFlow<()>) {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => {
                self.scan_with(text, &mut scratch, visit);
                scratch.trim();
            }
            Err(_) => self.scan_with(text, &mut Scratch::default(), visit),
        });
    }

    fn scan_with(
        &self,
        text: &str,
        scratch: &mut Scratch,
        mut visit: impl FnMut(RawFlag) -> ControlFlow<()>,
    ) {
        let Scratch { folded, allowed } = scratch;
        folded.fill(text, false);
        let haystack = folded.text.as_str();
        let compiled = &*self.compiled;
        let mut allow_ready = false;
        let mut minor: Option<bool> = None;
        let mut pos = 0;
        while pos < haystack.len() {
            let Some(found) = compiled.lexicon.find(Input::new(haystack).range(pos..)) else {
                break;
            };
            let entry = found.pattern().as_usize();
            let Some(Entry {
                category, wildcard, ..
            }) = compiled.entries.get(entry)
            else {
                break;
            };
            let (mut category, wildcard) = (*category, *wildcard);
            let (start, end) = word_span(haystack, found.start(), found.end(), wildcard);
            // `end` is the space after the match: the next phrase may start there.
            pos = end.max(pos + 1);
            if !allow_ready {
                allow_ready = true;
                self.allowed_spans(haystack, allowed);
            }
            if allowed.iter().any(|&(a, b)| a < end && start < b) {
                continue;
            }
            if category == Category::Sexual && *minor.get_or_insert_with(|| states_minor(text)) {
                category = Category::SexualMinors;
            }
            let (start, end) = folded.original_range(text, start, end);
            if visit(RawFlag {
                entry,
                category,
                start,
                end,
            })
            .is_break()
            {
                break;
            }
        }
    }

    /// Collects the folded spans of allow-list matches.
    fn allowed_spans(&self, haystack: &str, spans: &mut Vec<(usize, usize)>) {
        spans.clear();
        let compiled = &*self.compiled;
        let mut pos = 0;
        while pos < haystack.len() {
            let Some(found) = compiled.allow.find(Input::new(haystack).range(pos..)) else {
                break;
            };
            let wildcard = compiled
                .allow_wildcard
                .get(found.pattern().as_usize())
                .copied()
                .unwrap_or(false);
            let span = word_span(haystack, found.start(), found.end(), wildcard);
            pos = span.1.max(pos + 1);
            spans.push(span);
        }
    }
}

/// The words of a match: patterns are ` words ` (or ` words wor` for a trailing
/// wildcard, extended here to the end of the word). Returns `start..end` with
/// `end` on the following space.
fn word_span(haystack: &str, start: usize, end: usize, wildcard: bool) -> (usize, usize) {
    let start = start + 1;
    let end = if wildcard {
        haystack
            .get(end..)
            .and_then(|rest| rest.find(' '))
            .map_or(haystack.len(), |i| end + i)
    } else {
        end.saturating_sub(1)
    };
    (start, end.max(start))
}
