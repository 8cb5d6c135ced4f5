//! Moderation categories used by the sensitive-topic check.

use serde::{Deserialize, Serialize};

/// Moderation categories.
///
/// The first seven form the moderation taxonomy: a flag in one of them holds a
/// nudge back ([`Category::is_blocking`]). The last six are topics a kind
/// follow-up must never raise on its own: the composer avoids them, but they do
/// not hold a nudge back.
///
/// Serialized in `snake_case`, exactly as [`Category::as_str`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Suicide and self-harm: ideation, intent, methods.
    SelfHarm,
    /// Threats, physical or domestic violence, attacks.
    Violence,
    /// Sexual content between adults.
    Sexual,
    /// Any sexual content involving minors.
    SexualMinors,
    /// Insults, threats and bullying aimed at a person.
    Harassment,
    /// Slurs and hateful speech about a group.
    Hate,
    /// Illegal goods and activities: drugs trade, weapons, fraud, hacking.
    Illicit,
    /// Bereavement: deaths, funerals, mourning.
    Grief,
    /// Illness, diagnoses, treatments, mental health care.
    Health,
    /// Elections, parties, politicians, divisive political issues.
    Politics,
    /// Faiths, worship, religious practice.
    Religion,
    /// Debts, eviction, job loss, not being able to pay.
    FinanceDistress,
    /// Dependence on alcohol, drugs or gambling, recovery.
    Addiction,
}

impl Category {
    /// Every category, blocking ones first, in declaration order.
    pub const ALL: [Category; 13] = [
        Category::SelfHarm,
        Category::Violence,
        Category::Sexual,
        Category::SexualMinors,
        Category::Harassment,
        Category::Hate,
        Category::Illicit,
        Category::Grief,
        Category::Health,
        Category::Politics,
        Category::Religion,
        Category::FinanceDistress,
        Category::Addiction,
    ];

    /// The stable `snake_case` name, as used in lexicon file names and persona files.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::SelfHarm => "self_harm",
            Category::Violence => "violence",
            Category::Sexual => "sexual",
            Category::SexualMinors => "sexual_minors",
            Category::Harassment => "harassment",
            Category::Hate => "hate",
            Category::Illicit => "illicit",
            Category::Grief => "grief",
            Category::Health => "health",
            Category::Politics => "politics",
            Category::Religion => "religion",
            Category::FinanceDistress => "finance_distress",
            Category::Addiction => "addiction",
        }
    }

    /// Parses a name as returned by [`Category::as_str`] (case and surrounding
    /// blanks ignored; `-` accepted for `_`).
    pub fn from_name(s: &str) -> Option<Category> {
        let wanted = s.trim();
        Category::ALL.into_iter().find(|category| {
            let name = category.as_str();
            name.len() == wanted.len()
                && name
                    .bytes()
                    .zip(wanted.bytes())
                    .all(|(a, b)| a == b.to_ascii_lowercase() || (a == b'_' && b == b'-'))
        })
    }

    /// Whether a flag in this category holds a nudge back (the first seven).
    pub fn is_blocking(self) -> bool {
        matches!(
            self,
            Category::SelfHarm
                | Category::Violence
                | Category::Sexual
                | Category::SexualMinors
                | Category::Harassment
                | Category::Hate
                | Category::Illicit
        )
    }

    /// A short English label for user interfaces, e.g. `"self-harm"`.
    pub fn label(self) -> &'static str {
        match self {
            Category::SelfHarm => "self-harm",
            Category::Violence => "violence",
            Category::Sexual => "sexual content",
            Category::SexualMinors => "sexual content with minors",
            Category::Harassment => "harassment",
            Category::Hate => "hate",
            Category::Illicit => "illicit activity",
            Category::Grief => "grief",
            Category::Health => "health",
            Category::Politics => "politics",
            Category::Religion => "religion",
            Category::FinanceDistress => "financial distress",
            Category::Addiction => "addiction",
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The position a category must have in [`Category::ALL`]. The match has no wildcard, so a
    /// new variant does not compile until it is given its place here, and the test below then
    /// fails until it is listed in `ALL` too.
    fn declared_position(category: Category) -> usize {
        match category {
            Category::SelfHarm => 0,
            Category::Violence => 1,
            Category::Sexual => 2,
            Category::SexualMinors => 3,
            Category::Harassment => 4,
            Category::Hate => 5,
            Category::Illicit => 6,
            Category::Grief => 7,
            Category::Health => 8,
            Category::Politics => 9,
            Category::Religion => 10,
            Category::FinanceDistress => 11,
            Category::Addiction => 12,
        }
    }

    #[test]
    fn all_lists_every_category_once_in_declaration_order() {
        for (i, category) in Category::ALL.into_iter().enumerate() {
            assert_eq!(declared_position(category), i, "{category}");
        }
        let mut sorted = Category::ALL;
        sorted.sort();
        assert_eq!(sorted, Category::ALL, "ALL follows the derived order");
    }

    #[test]
    fn names_round_trip() {
        for category in Category::ALL {
            assert_eq!(Category::from_name(category.as_str()), Some(category));
            assert_eq!(
                Category::from_name(&category.as_str().to_uppercase()),
                Some(category)
            );
        }
        assert_eq!(Category::from_name(" self-harm "), Some(Category::SelfHarm));
        assert_eq!(Category::from_name("selfharm"), None);
        assert_eq!(Category::from_name(""), None);
        assert_eq!(Category::from_name("allow"), None);
    }

    #[test]
    fn blocking_is_the_first_seven() {
        let blocking: Vec<bool> = Category::ALL.iter().map(|c| c.is_blocking()).collect();
        assert_eq!(
            blocking,
            [[true; 7].as_slice(), [false; 6].as_slice()].concat()
        );
    }

    #[test]
    fn serde_uses_snake_case_names() {
        for category in Category::ALL {
            let json = serde_json::to_string(&category).expect("serialize");
            assert_eq!(json, format!("\"{}\"", category.as_str()));
            let back: Category = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back, category);
        }
    }

    #[test]
    fn labels_are_short_and_distinct() {
        let mut labels: Vec<&str> = Category::ALL.iter().map(|c| c.label()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), Category::ALL.len());
        assert!(labels.iter().all(|l| !l.is_empty() && l.len() <= 30));
    }
}
