//! Errors of the safety module.

use std::path::PathBuf;

/// What is wrong with one lexicon phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhraseProblem {
    /// The phrase (or one of its `{a|b}` variants) folds to nothing.
    #[error("empty phrase")]
    Empty,
    /// A `*` appears somewhere else than at the very end of the phrase.
    #[error("`*` is only allowed at the end of a phrase")]
    MisplacedWildcard,
    /// A trailing `*` follows a word shorter than three letters.
    #[error("a trailing `*` needs a word of at least 3 letters before it")]
    ShortWildcard,
    /// A `{` without its `}`, a `}` without its `{`, or nested braces.
    #[error("unbalanced or nested `{{` `}}`")]
    UnbalancedBraces,
    /// The `{a|b}` groups expand to more than [`MAX_VARIANTS`](crate::safety::MAX_VARIANTS) phrases.
    #[error("too many `{{a|b}}` variants")]
    TooManyVariants,
}

/// Errors raised while loading lexicons or building a [`SafetyChecker`](crate::safety::SafetyChecker).
#[derive(Debug, thiserror::Error)]
pub enum SafetyError {
    /// A lexicon file or folder could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A `.txt` file whose name is neither a category (`self_harm.txt`) nor `allow.txt`.
    #[error("{}: unknown lexicon file name (expected `<category>.txt` or `allow.txt`)", path.display())]
    UnknownFile {
        /// The offending file.
        path: PathBuf,
    },
    /// The folder holds no lexicon file at all (probably a wrong path).
    #[error("no lexicon file (`<lang>/<category>.txt`) in {}", path.display())]
    NoLexicon {
        /// The folder given to [`SafetyChecker::from_dir`](crate::safety::SafetyChecker::from_dir).
        path: PathBuf,
    },
    /// A line of a lexicon file is not a valid phrase.
    #[error("{file}, line {line}: {problem}: {phrase:?}")]
    Phrase {
        /// The file (a path, or `builtin:<lang>/<name>.txt` for embedded lexicons).
        file: String,
        /// The 1-based line number.
        line: usize,
        /// The line as written.
        phrase: String,
        /// What is wrong with it.
        problem: PhraseProblem,
    },
    /// A per-persona addition is not a valid phrase.
    #[error("safety addition for `{list}`: {problem}: {phrase:?}")]
    Addition {
        /// The category name, or `allow` for the allow-list.
        list: String,
        /// The phrase as written.
        phrase: String,
        /// What is wrong with it.
        problem: PhraseProblem,
    },
    /// A persona's crisis threshold that is not a probability in `(0, 1]`.
    #[error(
        "safety crisis_threshold {asked} is not a probability between 0 (excluded) and 1: the shipped thresholds are used"
    )]
    Threshold {
        /// The threshold the persona asked for.
        asked: f32,
        /// The highest shipped threshold.
        floor: f32,
    },
    /// A persona's crisis threshold at or below the classifier's prior
    /// ([`Classifier::prior`](crate::safety::Classifier::prior)): every message in which the
    /// model finds no evidence either way ("thanks", "see you") would be read as a crisis.
    #[error(
        "safety crisis_threshold {asked} is at or below {prior:.3}, the probability of a message the classifier finds nothing in: every ordinary message would be held back as a crisis; choose a threshold above {prior:.3} and at most {floor:.2}; the shipped thresholds are used"
    )]
    AtPrior {
        /// The threshold the persona asked for.
        asked: f32,
        /// The classifier's prior.
        prior: f32,
        /// The highest shipped threshold.
        floor: f32,
    },
    /// A persona's crisis threshold above every language's shipped one: it would make the check
    /// weaker.
    #[error(
        "safety crisis_threshold {asked} is above {floor:.2}, the highest shipped threshold (each language has its own): a persona may make the crisis check stricter (a lower threshold), never weaker; the shipped thresholds are used"
    )]
    AboveFloor {
        /// The threshold the persona asked for.
        asked: f32,
        /// The highest shipped threshold.
        floor: f32,
    },
}
