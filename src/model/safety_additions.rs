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
    /// A stricter threshold for the crisis classifier, which is always on: a probability in
    /// `(0, 1]` at or below the highest shipped one (each language has its own,
    /// `Classifier::threshold` in `crate::safety`, chosen on its development split; see
    /// `assets/safety/MODEL.md`). It applies in every language whose shipped threshold is
    /// higher; a lower one catches more. Without it, the shipped thresholds are used. A value
    /// that is not a probability, or one above every shipped threshold (a weaker check), is
    /// reported and the shipped thresholds are used. Written as a number
    /// (`crisis_threshold: 0.62`) or, as RON writes options, `Some(0.62)`; `None` or no field
    /// means none. Anything else where the number goes (a word, a typo such as `O.6`, `()` or a
    /// JSON `null`) is an error, not a threshold left out.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "number_or_option"
    )]
    pub crisis_threshold: Option<f32>,
}

/// An optional number written either bare (`0.8`) or as an option (`Some(0.8)`, `None`): a
/// designer writes the threshold as a number, and RON alone would ask for `Some`.
fn number_or_option<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<f32>, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = Option<f32>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a number such as 0.8")
        }

        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v as f32))
        }

        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f32))
        }

        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f32))
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            f32::deserialize(d).map(Some)
        }
    }
    deserializer.deserialize_any(Visitor)
}

impl SafetyAdditions {
    /// Whether there is nothing to add.
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty()
            && self.phrases.values().all(Vec::is_empty)
            && self.crisis_threshold.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_reads_as_a_bare_number_or_an_option() {
        for (text, expected) in [
            ("(crisis_threshold: 0.8)", Some(0.8)),
            ("(crisis_threshold: 1)", Some(1.0)),
            ("(crisis_threshold: Some(0.75))", Some(0.75)),
            ("(crisis_threshold: None)", None),
            ("()", None),
        ] {
            let a: SafetyAdditions = ron::from_str(text).expect(text);
            assert_eq!(a.crisis_threshold, expected, "{text}");
        }
        let json: SafetyAdditions = serde_json::from_str(r#"{"crisis_threshold": 0.5}"#).unwrap();
        assert_eq!(json.crisis_threshold, Some(0.5));
        let e = ron::from_str::<SafetyAdditions>("(crisis_threshold: \"high\")").unwrap_err();
        assert!(e.to_string().contains("a number such as 0.8"), "{e}");
        // A word where the number goes (a typo, "O.6") is an error, not a threshold left out.
        for text in [
            "(crisis_threshold: abc)",
            "(crisis_threshold: O.6)",
            "(crisis_threshold: ())",
        ] {
            let e = ron::from_str::<SafetyAdditions>(text).expect_err(text);
            assert!(
                e.to_string().contains("a number such as 0.8"),
                "{text}: {e}"
            );
        }
        // Written back as RON writes options, and read again.
        let a = SafetyAdditions {
            crisis_threshold: Some(0.5),
            ..SafetyAdditions::default()
        };
        let back: SafetyAdditions = ron::from_str(&ron::to_string(&a).unwrap()).unwrap();
        assert_eq!(back, a);
    }
}
