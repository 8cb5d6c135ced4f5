//! A persona's additions to the sensitive-topic check, as data: extra phrases per category,
//! allow-list phrases and the crisis classifier's threshold. `crate::safety` compiles them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::category::Category;

/// Per-persona additions to the built-in lexicons, stored in persona files
/// under `safety: (...)`.
///
/// Phrases use the lexicon syntax (see `crate::safety`): `{a|b}` groups and a
/// trailing `*`. The safety checker compiles them (`SafetyChecker::with_additions`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SafetyAdditions {
    /// Extra phrases per category.
    #[serde(default)]
    pub phrases: BTreeMap<Category, Vec<String>>,
    /// Extra allow-list phrases: they cancel any match they overlap.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Turns the crisis classifier on, at this threshold (a probability in `(0, 1]`; a lower
    /// one catches more; `Classifier::threshold` in `crate::safety` is the one chosen on the
    /// development split). Without it, the check is the lexicons alone: the classifier is not
    /// yet good enough to be on by default (see `assets/safety/MODEL.md`). A value that is not a
    /// probability is reported and the classifier stays off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crisis_threshold: Option<f32>,
}

impl SafetyAdditions {
    /// Whether there is nothing to add.
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty()
            && self.phrases.values().all(Vec::is_empty)
            && self.crisis_threshold.is_none()
    }
}
