//! The compiled sensitive-topic checker.

use std::cell::RefCell;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};

use super::age::{stated_age_folded, states_minor};
use super::classifier::{Classifier, Evidence, is_probability, threshold_for};
use super::error::SafetyError;
use super::fold::Folded;
use super::lexicon::{Builder, Compiled, Target};
use crate::model::{Category, Lang, SafetyAdditions};

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

/// What [`SafetyChecker::read_message`] reads in a user message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageReading {
    /// The category of the message's first flag, blocking or not.
    pub first_flag: Option<Category>,
    /// Its first flag whose category holds a nudge back.
    pub blocking: Option<Flag>,
    /// The age its author states.
    pub stated_age: Option<u32>,
    /// What the crisis classifier reads in it (see [`Classifier::probability`]).
    pub crisis: Evidence,
}

/// The threshold of a checker whose crisis classifier is off ([`SafetyChecker::lexicons_only`]):
/// no probability reaches it.
pub const CLASSIFIER_OFF: f32 = f32::INFINITY;

/// Each language's shipped crisis threshold, lowered to `threshold` where that is lower.
fn at_most(threshold: f32) -> [f32; Lang::ALL.len()] {
    let classifier = Classifier::builtin();
    Lang::ALL.map(|l| classifier.threshold(Some(l)).min(threshold))
}

/// Compiling a persona's additions (plain data of the model) into a checker.
impl SafetyAdditions {
    fn add_to(&self, builder: &mut Builder) -> Result<(), SafetyError> {
        match self.add_valid_to(builder).into_iter().next() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// Adds every valid phrase to `builder` and returns the problems of the others.
    fn add_valid_to(&self, builder: &mut Builder) -> Vec<SafetyError> {
        let mut problems = Vec::new();
        for (&category, phrases) in &self.phrases {
            for phrase in phrases {
                if let Err(problem) = builder.add(Target::Category(category), phrase) {
                    problems.push(SafetyError::Addition {
                        list: category.as_str().to_owned(),
                        phrase: phrase.clone(),
                        problem,
                    });
                }
            }
        }
        for phrase in &self.allow {
            if let Err(problem) = builder.add(Target::Allow, phrase) {
                problems.push(SafetyError::Addition {
                    list: "allow".to_owned(),
                    phrase: phrase.clone(),
                    problem,
                });
            }
        }
        problems
    }

    /// The crisis threshold these additions ask for (the highest shipped threshold,
    /// [`SafetyChecker::crisis_floor`], when none: each language then reads at its own), and the
    /// problem if it is not a probability or is above that floor: the floor is used then, since
    /// a persona may make the check stricter but never weaker.
    fn crisis_threshold(&self) -> (f32, Option<SafetyError>) {
        let floor = SafetyChecker::crisis_floor();
        let prior = Classifier::builtin().prior();
        match self.crisis_threshold {
            None => (floor, None),
            Some(t) if !is_probability(t) => {
                (floor, Some(SafetyError::Threshold { asked: t, floor }))
            }
            Some(t) if t <= prior => (
                floor,
                Some(SafetyError::AtPrior {
                    asked: t,
                    prior,
                    floor,
                }),
            ),
            Some(t) if t > floor => (floor, Some(SafetyError::AboveFloor { asked: t, floor })),
            Some(t) => (t, None),
        }
    }

    /// What the stricter crisis threshold these additions ask for costs ordinary users; `None`
    /// when they ask for none, ask for one the check does not use (see
    /// [`SafetyAdditions::problems`]), or the model carries no ordinary-chat curve.
    pub fn crisis_threshold_cost(&self) -> Option<ThresholdCost> {
        self.crisis_threshold?;
        let (threshold, problem) = self.crisis_threshold();
        if problem.is_some() {
            return None;
        }
        let classifier = Classifier::builtin();
        let floor = SafetyChecker::crisis_floor();
        Some(ThresholdCost {
            threshold,
            flagged_bp: classifier.ordinary_chat_flagged_bp(threshold)?,
            floor,
            flagged_at_floor_bp: classifier.ordinary_chat_flagged_bp(floor)?,
        })
    }

    /// Every problem of these additions: invalid phrases (each named) and a crisis threshold
    /// that is not a probability or is above the shipped floor. Empty when
    /// [`SafetyChecker::with_additions`] accepts them.
    pub fn problems(&self) -> Vec<SafetyError> {
        let mut builder = Builder::default();
        let mut problems = self.add_valid_to(&mut builder);
        problems.extend(self.crisis_threshold().1);
        problems
    }
}

/// A stricter crisis threshold reading more than this many times the shipped thresholds' share
/// of ordinary chat as a crisis is warned about (`strict_crisis_threshold`).
pub const COSTLY_THRESHOLD_RATIO: u32 = 2;

/// What a persona's stricter crisis threshold costs ordinary users: the share of ordinary chat
/// messages the whole check reads as a crisis at it and at the shipped thresholds, both measured on
/// the development split when the model was trained (see
/// [`Classifier::ordinary_chat_flagged_bp`]). The dev split is closer to training than real
/// users are, so the shares are lower than on new messages; the ratio is what compares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdCost {
    /// The persona's threshold.
    pub threshold: f32,
    /// Ordinary dev chat flagged at it, in basis points.
    pub flagged_bp: u16,
    /// The highest shipped threshold (see [`SafetyChecker::crisis_floor`]).
    pub floor: f32,
    /// Ordinary dev chat flagged at the shipped thresholds, in basis points.
    pub flagged_at_floor_bp: u16,
}

impl ThresholdCost {
    /// Whether it reads more than [`COSTLY_THRESHOLD_RATIO`] times the shipped thresholds'
    /// share of ordinary chat as a crisis, compared as shown (to a tenth of a percent), so that
    /// the figures of the warning agree with it.
    pub fn is_costly(&self) -> bool {
        tenths_of_percent(self.flagged_bp)
            > COSTLY_THRESHOLD_RATIO * tenths_of_percent(self.flagged_at_floor_bp)
    }
}

/// `bp` basis points in tenths of a percent, rounded half up.
fn tenths_of_percent(bp: u16) -> u32 {
    (u32::from(bp) + 5) / 10
}

/// `bp` basis points as a percentage with one decimal, rounded half up (95 → "1.0").
pub fn percent_of_bp(bp: u16) -> String {
    let tenths = tenths_of_percent(bp);
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// The compiled checker: one phrase set (a trie of words, see `safety::phrases`) over every
/// lexicon phrase of every language and category, and one over the allow-list.
///
/// Per-persona additions are compiled into a second, small layer on top of the
/// shared built-in one, so [`SafetyChecker::with_additions`] is cheap; matches
/// of both layers are merged leftmost-longest, and every allow-list cancels
/// the matches of every layer.
///
/// Cheap to clone (shared), `Send` and `Sync`. Scanning a clean text allocates
/// nothing: folding reuses a per-thread buffer.
#[derive(Clone)]
pub struct SafetyChecker {
    base: Arc<Compiled>,
    extra: Option<Arc<Compiled>>,
    /// The crisis classifier's threshold per language, in [`Lang::ALL`] order: the shipped
    /// ones, lowered to a persona's stricter one, or [`CLASSIFIER_OFF`] for the lexicons alone.
    crisis_thresholds: [f32; Lang::ALL.len()],
}

impl std::fmt::Debug for SafetyChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafetyChecker")
            .field("patterns", &self.pattern_count())
            .field(
                "allow_patterns",
                &self
                    .layers()
                    .into_iter()
                    .flatten()
                    .map(|c| c.allow.len())
                    .sum::<usize>(),
            )
            .finish()
    }
}

/// The number of layers of a checker: the lexicons, then the additions.
const LAYERS: usize = 2;

static BUILTIN: LazyLock<SafetyChecker> = LazyLock::new(|| {
    match Builder::builtin().map(SafetyChecker::from_builder) {
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
    /// The text being scanned, folded.
    folded: Folded,
    /// The same with its map to the original, made only once a match is reported.
    mapped: Folded,
    allowed: Vec<(usize, usize)>,
}

impl Scratch {
    /// Folded bytes kept between scans; a longer text's buffers are released.
    const KEEP_BYTES: usize = 64 * 1024;

    fn trim(&mut self) {
        if self.folded.text.capacity() > Self::KEEP_BYTES {
            self.folded = Folded::default();
        }
        if self.mapped.text.capacity() > Self::KEEP_BYTES {
            self.mapped = Folded::default();
        }
    }
}

/// A match in the folded text, before the allow-list and category checks.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    layer: usize,
    entry: usize,
    /// Folded byte range of the matched words.
    start: usize,
    /// The space right after the matched words.
    end: usize,
}

/// A match before it is turned into a [`Flag`].
#[derive(Debug, Clone, Copy)]
struct RawFlag {
    layer: usize,
    entry: usize,
    category: Category,
    start: usize,
    end: usize,
}

impl SafetyChecker {
    /// The shipped check, built once: the lexicons embedded from `assets/lexicons` and the
    /// crisis classifier at its threshold ([`Classifier::threshold`]).
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
    /// [`SafetyError::Addition`] for an invalid phrase (empty, misplaced `*`...);
    /// [`SafetyError::Threshold`], [`SafetyError::AtPrior`] or [`SafetyError::AboveFloor`] for
    /// a crisis threshold that is not a probability, too low to mean anything, or above the
    /// shipped floor. [`SafetyChecker::with_valid_additions`] keeps the rest instead.
    pub fn with_additions(additions: &SafetyAdditions) -> Result<SafetyChecker, SafetyError> {
        let builtin = SafetyChecker::builtin();
        if additions.is_empty() {
            return Ok(builtin.clone());
        }
        let (checker, problems) = SafetyChecker::with_valid_additions(additions);
        match problems.into_iter().next() {
            Some(err) => Err(err),
            None => Ok(checker),
        }
    }

    /// The built-in lexicons plus the valid part of per-persona additions, and the problems
    /// of the rest (each invalid phrase named; a crisis threshold above the shipped floor,
    /// replaced by the floor). Never weaker than the built-in checker.
    pub fn with_valid_additions(additions: &SafetyAdditions) -> (SafetyChecker, Vec<SafetyError>) {
        let builtin = SafetyChecker::builtin();
        if additions.is_empty() {
            return (builtin.clone(), Vec::new());
        }
        let mut builder = Builder::default();
        let mut problems = additions.add_valid_to(&mut builder);
        let (crisis_threshold, threshold_problem) = additions.crisis_threshold();
        problems.extend(threshold_problem);
        let checker = SafetyChecker {
            base: Arc::clone(&builtin.base),
            extra: Some(Arc::new(builder.build())),
            crisis_thresholds: at_most(crisis_threshold),
        };
        (checker, problems)
    }

    /// The crisis classifier's threshold this checker uses for a message in `lang` (the
    /// language of its user's locale); for another language or none, the lowest of them (the
    /// strictest).
    pub fn crisis_threshold(&self, lang: Option<Lang>) -> f32 {
        threshold_for(&self.crisis_thresholds, lang)
    }

    /// The crisis classifier this checker uses (the embedded one).
    pub fn classifier(&self) -> &'static Classifier {
        Classifier::builtin()
    }

    /// Whether this checker runs the crisis classifier (every checker but
    /// [`SafetyChecker::lexicons_only`] does).
    pub fn classifier_on(&self) -> bool {
        self.crisis_thresholds.iter().any(|&t| t <= 1.0)
    }

    /// Whether a message of this evidence can never make a crisis, alone or in a sitting of
    /// `messages` messages that all pass this test, from a user writing in `lang` (see
    /// [`SafetyChecker::crisis_threshold`]): what the simulator asks of the phrases it writes as
    /// ordinary messages, since it draws their facts without reading them. Always true when the
    /// classifier is off.
    pub fn is_ordinary_in_any_sitting(
        &self,
        evidence: Evidence,
        messages: usize,
        lang: Option<Lang>,
    ) -> bool {
        if !self.classifier_on() {
            return true;
        }
        self.classifier()
            .max_ordinary_sum(self.crisis_threshold(lang), messages, evidence.features)
            .is_some_and(|max| evidence.sum <= max)
    }

    /// Whether the classifier's `evidence` (of a message or a sitting, from a user writing in
    /// `lang`) passes this checker's threshold for that language (never when the classifier is
    /// off).
    pub fn is_crisis(&self, evidence: Evidence, lang: Option<Lang>) -> bool {
        let threshold = self.crisis_threshold(lang);
        threshold <= 1.0
            && evidence.features > 0
            && Classifier::builtin().probability(evidence) >= threshold
    }

    /// This checker with the crisis classifier at `threshold` (clamped to a probability) in
    /// every language, as `relance safety-eval --crisis-threshold` measures it. Any threshold is
    /// accepted, above the shipped ones too: this is for measuring, a persona cannot ask for it.
    pub fn with_crisis_threshold(mut self, threshold: f32) -> SafetyChecker {
        let threshold = if threshold.is_finite() {
            threshold.clamp(f32::MIN_POSITIVE, 1.0)
        } else {
            CLASSIFIER_OFF
        };
        self.crisis_thresholds = [threshold; Lang::ALL.len()];
        self
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
    /// line), an empty folder, invalid additions (phrases or crisis threshold, as for
    /// [`SafetyChecker::with_additions`]).
    pub fn from_dir(dir: &Path, additions: &SafetyAdditions) -> Result<SafetyChecker, SafetyError> {
        let mut builder = Builder::from_dir(dir)?;
        additions.add_to(&mut builder)?;
        let (crisis_threshold, problem) = additions.crisis_threshold();
        if let Some(err) = problem {
            return Err(err);
        }
        let mut checker = SafetyChecker::from_builder(builder);
        checker.crisis_thresholds = at_most(crisis_threshold);
        Ok(checker)
    }

    /// This checker without the crisis classifier: the lexicons alone, as `relance safety-eval
    /// --crisis-threshold off` measures them. No persona can ask for it.
    pub fn lexicons_only(mut self) -> SafetyChecker {
        self.crisis_thresholds = [CLASSIFIER_OFF; Lang::ALL.len()];
        self
    }

    /// The highest shipped crisis threshold, the floor of a persona's: every persona's check
    /// reads each language at that language's shipped threshold or, if the persona asks for a
    /// lower one (stricter), at the lower of the two. A persona's threshold above this one
    /// would be weaker in every language.
    pub fn crisis_floor() -> f32 {
        Classifier::builtin().highest_threshold()
    }

    fn from_builder(builder: Builder) -> SafetyChecker {
        SafetyChecker {
            base: Arc::new(builder.build()),
            extra: None,
            crisis_thresholds: at_most(SafetyChecker::crisis_floor()),
        }
    }

    fn layers(&self) -> [Option<&Compiled>; LAYERS] {
        [Some(&*self.base), self.extra.as_deref()]
    }

    /// The number of compiled lexicon patterns (after `{a|b}` expansion).
    pub fn pattern_count(&self) -> usize {
        self.layers()
            .iter()
            .flatten()
            .map(|c| c.entries.len())
            .sum()
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

    /// What the engine reads in a user message, folding it once: the category of its first
    /// flag ([`SafetyChecker::first_flag`]), its first blocking flag
    /// ([`SafetyChecker::first_blocking`]) and the age its author states
    /// ([`stated_age`](crate::safety::stated_age)).
    pub fn read_message(&self, text: &str) -> MessageReading {
        let mut first = None;
        let mut blocking = None;
        let (stated_age, crisis) = self.for_each_then(
            text,
            |raw| {
                first.get_or_insert(raw.category);
                if raw.category.is_blocking() {
                    blocking = Some(raw);
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
            |folded| {
                (
                    stated_age_folded(text, folded),
                    Classifier::builtin().evidence_folded(folded),
                )
            },
        );
        MessageReading {
            first_flag: first,
            blocking: blocking.map(|raw| self.flag(text, raw)),
            stated_age,
            crisis,
        }
    }

    /// Whether `text` raises no flag at all.
    pub fn is_clean(&self, text: &str) -> bool {
        self.first_flag(text).is_none()
    }

    fn flag(&self, text: &str, raw: RawFlag) -> Flag {
        let phrase = self.layers()[raw.layer]
            .and_then(|c| c.entries.get(raw.entry))
            .map(|e| e.phrase.to_string());
        Flag {
            category: raw.category,
            phrase: phrase.unwrap_or_default(),
            matched: text.get(raw.start..raw.end).unwrap_or_default().to_owned(),
            start: raw.start,
            end: raw.end,
        }
    }

    /// Calls `visit` on each match not cancelled by the allow-list, in text order.
    fn for_each(&self, text: &str, visit: impl FnMut(RawFlag) -> ControlFlow<()>) {
        self.for_each_then(text, visit, |_| ());
    }

    /// [`SafetyChecker::for_each`], then `then` on the text in matching form (see
    /// [`crate::safety::fold`]: words of letters and digits between single spaces).
    fn for_each_then<R>(
        &self,
        text: &str,
        visit: impl FnMut(RawFlag) -> ControlFlow<()>,
        then: impl FnOnce(&str) -> R,
    ) -> R {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => {
                self.scan_with(text, &mut scratch, visit);
                let r = then(&scratch.folded.text);
                scratch.trim();
                r
            }
            Err(_) => {
                let mut scratch = Scratch::default();
                self.scan_with(text, &mut scratch, visit);
                then(&scratch.folded.text)
            }
        })
    }

    fn scan_with(
        &self,
        text: &str,
        scratch: &mut Scratch,
        mut visit: impl FnMut(RawFlag) -> ControlFlow<()>,
    ) {
        let Scratch {
            folded,
            mapped,
            allowed,
        } = scratch;
        folded.fill(text, false);
        mapped.clear();
        let haystack = folded.text.as_str();
        let layers = self.layers();
        let mut next: [Option<Candidate>; LAYERS] = [None; LAYERS];
        for (layer, compiled) in layers.iter().enumerate() {
            next[layer] = compiled.and_then(|c| next_match(c, layer, haystack, 0));
        }
        let mut allow_ready = false;
        let mut minor: Option<bool> = None;
        // Leftmost first, then longest, then the lower layer.
        while let Some(best) = next
            .iter()
            .flatten()
            .copied()
            .min_by_key(|c| (c.start, std::cmp::Reverse(c.end), c.layer))
        {
            // The next phrase may start on the space that ends this one.
            let pos = best.end;
            for (layer, slot) in next.iter_mut().enumerate() {
                if slot.is_some_and(|c| c.start < pos) {
                    *slot = layers[layer].and_then(|c| next_match(c, layer, haystack, pos));
                }
            }
            if !allow_ready {
                allow_ready = true;
                allowed.clear();
                for compiled in layers.iter().flatten() {
                    allowed_spans(compiled, haystack, allowed);
                }
            }
            if allowed.iter().any(|&(a, b)| a < best.end && best.start < b) {
                continue;
            }
            let Some(entry) = layers[best.layer].and_then(|c| c.entries.get(best.entry)) else {
                continue;
            };
            let mut category = entry.category;
            if category == Category::Sexual && *minor.get_or_insert_with(|| states_minor(text)) {
                category = Category::SexualMinors;
            }
            if !mapped.is_mapped() {
                mapped.fill_mapped(text, false);
            }
            let (start, end) = mapped.original_range(text, best.start, best.end);
            let raw = RawFlag {
                layer: best.layer,
                entry: best.entry,
                category,
                start,
                end,
            };
            if visit(raw).is_break() {
                break;
            }
        }
    }
}

/// The first lexicon match of `compiled` at or after folded offset `pos`.
fn next_match(compiled: &Compiled, layer: usize, haystack: &str, pos: usize) -> Option<Candidate> {
    let found = compiled.lexicon.find(haystack, pos)?;
    Some(Candidate {
        layer,
        entry: found.phrase,
        start: found.start,
        end: found.end,
    })
}

/// Appends the folded spans of the allow-list matches of `compiled`.
fn allowed_spans(compiled: &Compiled, haystack: &str, spans: &mut Vec<(usize, usize)>) {
    let mut pos = 0;
    while let Some(found) = compiled.allow.find(haystack, pos) {
        pos = found.end.max(pos + 1);
        spans.push((found.start, found.end));
    }
}
