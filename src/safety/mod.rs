//! Sensitive-topic check (interim: a small built-in lexicon; replaced by the lexicon files of
//! `assets/lexicons/` on the `safety` branch, with the same API).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use serde::{Deserialize, Serialize};

/// Moderation categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Suicide and self-harm.
    SelfHarm,
    /// Violence.
    Violence,
    /// Sexual content.
    Sexual,
    /// Sexual content involving minors.
    SexualMinors,
    /// Harassment.
    Harassment,
    /// Hate.
    Hate,
    /// Illicit activities.
    Illicit,
    /// Grief.
    Grief,
    /// Health.
    Health,
    /// Politics.
    Politics,
    /// Religion.
    Religion,
    /// Money trouble.
    FinanceDistress,
    /// Addiction.
    Addiction,
}

impl Category {
    /// The snake_case name.
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

    /// Whether a flag of this category holds a nudge back.
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
}

/// One match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// Category.
    pub category: Category,
    /// Lexicon phrase.
    pub phrase: String,
    /// Matched words.
    pub matched: String,
    /// Byte start in the original text.
    pub start: usize,
    /// Byte end in the original text.
    pub end: usize,
}

/// Per-persona additions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SafetyAdditions {
    /// Extra phrases per category.
    pub phrases: BTreeMap<Category, Vec<String>>,
    /// Extra allow-list phrases.
    pub allow: Vec<String>,
}

/// Errors building a checker.
#[derive(Debug, thiserror::Error)]
pub enum SafetyError {
    /// The matcher could not be built.
    #[error("cannot build the matcher: {0}")]
    Build(String),
}

/// The compiled checker.
#[derive(Clone, Debug)]
pub struct SafetyChecker {
    matcher: AhoCorasick,
    entries: Vec<(Category, String)>,
}

const INTERIM: &[(Category, &str)] = &[
    (Category::SelfHarm, "suicide"),
    (Category::SelfHarm, "me suicider"),
    (Category::SelfHarm, "kill myself"),
    (Category::SelfHarm, "want to die"),
    (Category::SelfHarm, "veux mourir"),
    (Category::SelfHarm, "en finir"),
    (Category::SelfHarm, "end it all"),
    (Category::SelfHarm, "me tuer"),
    (Category::Grief, "funeral"),
    (Category::Grief, "enterrement"),
];

static BUILTIN: LazyLock<SafetyChecker> = LazyLock::new(|| {
    SafetyChecker::with_additions(&SafetyAdditions::default()).unwrap_or_else(|_| SafetyChecker {
        matcher: AhoCorasick::new(Vec::<String>::new()).expect("an empty matcher builds"),
        entries: Vec::new(),
    })
});

impl SafetyChecker {
    /// The built-in checker.
    pub fn builtin() -> &'static SafetyChecker {
        &BUILTIN
    }

    /// Built-in plus additions.
    pub fn with_additions(additions: &SafetyAdditions) -> Result<SafetyChecker, SafetyError> {
        let mut entries: Vec<(Category, String)> =
            INTERIM.iter().map(|(c, p)| (*c, p.to_string())).collect();
        for (c, phrases) in &additions.phrases {
            entries.extend(phrases.iter().map(|p| (*c, fold(p))));
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(entries.iter().map(|(_, p)| p))
            .map_err(|e| SafetyError::Build(e.to_string()))?;
        Ok(SafetyChecker { matcher, entries })
    }

    /// Every flag.
    pub fn scan(&self, text: &str) -> Vec<Flag> {
        let folded = fold(text);
        self.matcher
            .find_iter(&folded)
            .map(|m| {
                let (category, phrase) = &self.entries[m.pattern().as_usize()];
                Flag {
                    category: *category,
                    phrase: phrase.clone(),
                    matched: folded[m.start()..m.end()].to_owned(),
                    start: 0,
                    end: 0,
                }
            })
            .collect()
    }

    /// The first flag.
    pub fn first_flag(&self, text: &str) -> Option<Flag> {
        self.scan(text).into_iter().next()
    }

    /// The first blocking flag.
    pub fn first_blocking(&self, text: &str) -> Option<Flag> {
        self.scan(text)
            .into_iter()
            .find(|f| f.category.is_blocking())
    }

    /// No flag at all.
    pub fn is_clean(&self, text: &str) -> bool {
        self.scan(text).is_empty()
    }
}

/// Case folding (interim: lowercase only).
pub fn fold(text: &str) -> String {
    text.to_lowercase().replace(['’', '‘'], "'")
}

/// Interim: "j'ai N ans" / "i'm N".
pub fn stated_age(text: &str) -> Option<u32> {
    let f = fold(text);
    for prefix in ["j'ai ", "i'm ", "i am "] {
        if let Some(i) = f.find(prefix) {
            let rest = &f[i + prefix.len()..];
            let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            let after = rest[digits.len()..].trim_start();
            let is_age = if prefix == "j'ai " {
                after.starts_with("ans")
            } else {
                after.is_empty() || after.starts_with("years") || after.starts_with(['.', '!', ','])
            };
            if is_age && let Ok(n) = digits.parse() {
                return Some(n);
            }
        }
    }
    None
}
pub mod lint;
pub use lint::{lint_persona, lint_persona_in};
