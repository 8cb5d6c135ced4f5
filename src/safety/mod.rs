//! Sensitive-topic check for messages and nudges.
//!
//! A [`SafetyChecker`] finds lexicon phrases in a text and reports them as
//! [`Flag`]s, each with a [`Category`]. Blocking categories
//! ([`Category::is_blocking`]) hold a nudge back; the others are topics the
//! composer must never raise on its own.
//!
//! Lexicons are data files (`assets/lexicons/<lang>/<category>.txt`, embedded
//! at compile time), one phrase per line; see [`lexicon`] for the format.
//! Matching folds case, accents, apostrophes and punctuation ([`fold`]) and
//! respects word boundaries. Allow-list phrases (`allow.txt`: film titles,
//! idioms such as "mort de rire") cancel any match they overlap.
//!
//! ```
//! use relance::safety::{Category, SafetyChecker};
//!
//! let checker = SafetyChecker::builtin();
//! let flag = checker.first_blocking("Franchement j’ai envie d’en finir").expect("flagged");
//! assert_eq!(flag.category, Category::SelfHarm);
//! assert!(checker.is_clean("On a revu Suicide Squad hier, j'étais mort de rire"));
//! ```

mod age;
mod checker;
pub mod classifier;
mod error;
pub mod eval;
mod fold;
pub mod lexicon;
pub mod lint;
mod phrases;

#[cfg(test)]
mod tests;

pub use age::{stated_age, states_minor};
pub use checker::{
    CLASSIFIER_OFF, COSTLY_THRESHOLD_RATIO, Flag, MessageReading, SafetyChecker, ThresholdCost,
    percent_of_bp,
};
pub use classifier::{Classifier, Evidence, Explanation};
// The model's vocabulary the check speaks: its categories, and a persona's additions it compiles.
pub use crate::model::{Category, SafetyAdditions};
pub use error::{PhraseProblem, SafetyError};
pub(crate) use fold::Latin1Table;
pub use fold::fold;
pub use lexicon::MAX_VARIANTS;
pub use lint::{lint_persona, lint_persona_in};
