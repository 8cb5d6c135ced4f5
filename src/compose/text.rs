//! Text helpers of the composer: matching keys, word tokens, phrase search and stable hashing.
//!
//! Matching is accent- and case-insensitive: "Bande originale", "bande Originale" and
//! "BANDE ORIGINALE" all have the key `bande originale`, "Göransson" has `goransson`.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use foldhash::fast::FixedState;

use unicode_normalization::UnicodeNormalization as _;
use unicode_normalization::char::is_combining_mark;

use crate::safety::Latin1Table;

/// The matching key of a text: lowercase, accents removed (canonical decomposition, combining
/// marks dropped), ligatures `œ` and `æ` spelled out, typographic apostrophes made plain.
pub fn fold_key(text: &str) -> String {
    fold_key_cow(text).into_owned()
}

/// [`fold_key`], borrowing `text` when it is already its own key (plain lowercase ASCII, as
/// most words are): tokenising a message then allocates only for the other words.
pub fn fold_key_cow(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Cow::Owned(text.to_ascii_lowercase());
        }
        return Cow::Borrowed(text);
    }
    Cow::Owned(fold_key_latin1(text).unwrap_or_else(|| fold_key_general(text)))
}

/// [`fold_key`] of a text of ASCII characters and Latin-1 letters whose keys are ASCII (the
/// accented letters of French), a character at a time by table; `None` when it holds any other
/// character. Each of those letters decomposes into one letter and combining marks, which the
/// key drops, so folding them one by one gives the key of the whole text.
fn fold_key_latin1(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        out.extend(LATIN1_KEYS.get(c)?.iter().map(|&b| char::from(b)));
    }
    Some(out)
}

/// [`fold_key_general`] of the Latin-1 letters, by table.
static LATIN1_KEYS: std::sync::LazyLock<Latin1Table> =
    std::sync::LazyLock::new(|| Latin1Table::new(|c| fold_key_general(c.encode_utf8(&mut [0; 4]))));

/// [`fold_key`] of any text: canonical decomposition, combining marks dropped.
fn fold_key_general(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            '’' | '‘' | 'ʼ' => out.push('\''),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// A word of a text: a maximal run of letters and digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    /// The word as written.
    pub text: &'a str,
    /// Byte offset of its first character in the text.
    pub start: usize,
    /// Byte offset just past its last character.
    pub end: usize,
    /// Its matching key ([`fold_key`]), borrowed from the text when the word is its own key.
    pub key: Cow<'a, str>,
}

impl Token<'_> {
    /// Whether the word starts with an uppercase letter and is not all uppercase ("Zimmer", not
    /// "BO" or "zimmer"). Single letters do not count.
    pub fn is_capitalised(&self) -> bool {
        let mut chars = self.text.chars();
        let Some(first) = chars.next() else {
            return false;
        };
        first.is_uppercase() && chars.clone().next().is_some() && chars.any(char::is_lowercase)
    }

    /// Whether the word is all digits ("2049").
    pub fn is_number(&self) -> bool {
        self.text.chars().all(|c| c.is_ascii_digit())
    }
}

/// The words of `text`, in order. Apostrophes and hyphens separate words, so "d'Interstellar"
/// gives `d` and `Interstellar`, "pot-au-feu" gives three words.
pub fn tokens(text: &str) -> Vec<Token<'_>> {
    // About one word per six bytes of chat text: most texts need no regrowing.
    let mut out = Vec::with_capacity(text.len() / 6 + 1);
    // The current word's start, and what it holds so far: an uppercase ASCII letter, a
    // character that is not ASCII (deciding its key without reading it again).
    let mut start = None;
    let (mut upper, mut wide) = (false, false);
    for (i, c) in text.char_indices() {
        let word = if c.is_ascii() {
            c.is_ascii_alphanumeric()
        } else {
            c.is_alphanumeric() || is_combining_mark(c)
        };
        match (word, start) {
            (true, None) => {
                start = Some(i);
                (upper, wide) = (c.is_ascii_uppercase(), !c.is_ascii());
            }
            (true, Some(_)) => {
                upper |= c.is_ascii_uppercase();
                wide |= !c.is_ascii();
            }
            (false, Some(s)) => {
                out.push(token(text, s, i, upper, wide));
                start = None;
            }
            (false, None) => {}
        }
    }
    if let Some(s) = start {
        out.push(token(text, s, text.len(), upper, wide));
    }
    out
}

/// The token `text[start..end]`; `upper` and `wide` say whether it holds an uppercase ASCII
/// letter and a character that is not ASCII.
fn token(text: &str, start: usize, end: usize, upper: bool, wide: bool) -> Token<'_> {
    let word = &text[start..end];
    let key = match (upper, wide) {
        (false, false) => Cow::Borrowed(word),
        (true, false) => Cow::Owned(word.to_ascii_lowercase()),
        (_, true) => fold_key_cow(word),
    };
    Token {
        text: word,
        start,
        end,
        key,
    }
}

/// A fixed list of words (stop words, connectors…) looked up by hashing rather than by a scan
/// of the list: the composer asks about every word of every message it reads.
#[derive(Clone, Debug)]
pub struct WordSet(HashSet<&'static str, FixedState>);

impl WordSet {
    /// The set of `words`.
    pub fn new(words: &[&'static str]) -> Self {
        Self(words.iter().copied().collect())
    }

    /// Whether `word` is in the set.
    pub fn contains(&self, word: &str) -> bool {
        self.0.contains(word)
    }
}

/// The [`WordSet`] of a `&'static [&'static str]` word list, built on first use.
macro_rules! word_set {
    ($list:ident) => {{
        static SET: std::sync::LazyLock<$crate::compose::text::WordSet> =
            std::sync::LazyLock::new(|| $crate::compose::text::WordSet::new($list));
        &*SET
    }};
}
pub(crate) use word_set;

/// A phrase to look for in texts, as the keys of its words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phrase {
    /// The keys of its words, in order.
    pub keys: Vec<String>,
}

impl Phrase {
    /// The phrase of `text`; empty when `text` has no word.
    pub fn new(text: &str) -> Self {
        Self {
            keys: tokens(text)
                .into_iter()
                .map(|t| t.key.into_owned())
                .collect(),
        }
    }

    /// Whether the phrase has no word.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether the phrase starts at word `i` of `words`; with `plural`, the last word may also
    /// carry a trailing `s` or `x` ("compositeur" finds "compositeurs").
    pub fn matches_at(&self, words: &[Token<'_>], i: usize, plural: bool) -> bool {
        if self.keys.is_empty() || i + self.keys.len() > words.len() {
            return false;
        }
        let last = self.keys.len() - 1;
        self.keys.iter().enumerate().all(|(k, key)| {
            let word = &words[i + k].key;
            word == key
                || (plural
                    && k == last
                    && word.len() == key.len() + 1
                    && word.starts_with(key.as_str())
                    && word.ends_with(['s', 'x']))
        })
    }

    /// The word index of the first place the phrase occurs in `words`.
    pub fn find_in(&self, words: &[Token<'_>], plural: bool) -> Option<usize> {
        (0..words.len()).find(|&i| self.matches_at(words, i, plural))
    }
}

/// Phrases indexed by their first word, to find many of them in a text in one pass.
#[derive(Clone, Debug, Default)]
pub struct PhraseIndex {
    phrases: Vec<Phrase>,
    by_first: HashMap<String, Vec<usize>, FixedState>,
    plural: bool,
}

impl PhraseIndex {
    /// Indexes `phrases` (empty ones are never found); with `plural`, the last word of a phrase
    /// may take a trailing `s` or `x`.
    pub fn new(phrases: Vec<Phrase>, plural: bool) -> Self {
        let mut by_first: HashMap<String, Vec<usize>, FixedState> = HashMap::default();
        for (i, p) in phrases.iter().enumerate() {
            if let Some(first) = p.keys.first() {
                by_first.entry(first.clone()).or_default().push(i);
            }
        }
        for list in by_first.values_mut() {
            list.sort_by_key(|&i| std::cmp::Reverse(phrases[i].keys.len()));
        }
        Self {
            phrases,
            by_first,
            plural,
        }
    }

    /// The phrase of index `i`.
    pub fn phrase(&self, i: usize) -> &Phrase {
        &self.phrases[i]
    }

    /// The indexes of the phrases that start at word `i` of `words`, longest first.
    pub fn at(&self, words: &[Token<'_>], i: usize) -> Vec<usize> {
        let Some(word) = words.get(i) else {
            return Vec::new();
        };
        let key: &str = &word.key;
        let singular = (self.plural && key.len() > 1 && key.ends_with(['s', 'x']))
            .then(|| &key[..key.len() - 1]);
        let (exact, plural) = (
            self.by_first.get(key),
            singular.and_then(|k| self.by_first.get(k)),
        );
        if exact.is_none() && plural.is_none() {
            // Most words start no phrase.
            return Vec::new();
        }
        let mut out: Vec<usize> = exact
            .into_iter()
            .chain(plural)
            .flatten()
            .copied()
            .filter(|&p| self.phrases[p].matches_at(words, i, self.plural))
            .collect();
        out.sort_by_key(|&p| (std::cmp::Reverse(self.phrases[p].keys.len()), p));
        out
    }
}

/// A deterministic 64-bit FNV-1a hash of the parts, for choices without randomness.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_accents_and_ligatures() {
        assert_eq!(fold_key("Bande ORIGINALE"), "bande originale");
        assert_eq!(fold_key("Göransson, Guðnadóttir"), "goransson, guðnadottir");
        assert_eq!(fold_key("Bœuf bourguignon"), "boeuf bourguignon");
        assert_eq!(fold_key("l’Ouest"), "l'ouest");
        // Decomposed input folds like composed input.
        assert_eq!(fold_key("Cine\u{301}ma"), fold_key("Ciné\u{6d}a"));
    }

    #[test]
    fn tokens_split_on_apostrophes_and_hyphens() {
        let t: Vec<_> = tokens("la BO d'Interstellar, pot-au-feu 2049 !")
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(
            t,
            ["la", "BO", "d", "Interstellar", "pot", "au", "feu", "2049"]
        );
        let words = tokens("Hans Zimmer BO d");
        assert!(words[0].is_capitalised());
        assert!(!words[2].is_capitalised(), "all caps is an acronym");
        assert!(!words[3].is_capitalised());
    }

    proptest::proptest! {
        /// Keys decided while cutting words are the keys of the words.
        #[test]
        fn token_keys_are_the_folded_words(text in "[a-zA-Zé É'ŒœÇ0-9\u{301}.,-]{0,40}") {
            for t in tokens(&text) {
                proptest::prop_assert_eq!(t.key.as_ref(), fold_key(t.text));
                proptest::prop_assert_eq!(t.text, &text[t.start..t.end]);
            }
        }

        /// The Latin-1 table gives the key the decomposition gives, and leaves to it the
        /// texts it cannot fold (a combining mark, a letter beyond Latin-1).
        #[test]
        fn latin1_keys_are_the_decomposed_keys(text in "[a-zA-Z0-9'\u{a0}-\u{17f}\u{300}-\u{302}]{0,12}") {
            let general = fold_key_general(&text);
            proptest::prop_assert_eq!(fold_key(&text), general.clone());
            if let Some(fast) = fold_key_latin1(&text) {
                proptest::prop_assert_eq!(fast, general);
            }
        }
    }

    #[test]
    fn every_latin1_letter_folds_as_decomposed() {
        for c in (0xA0..0x250).filter_map(char::from_u32) {
            let text = format!("A{c}b");
            assert_eq!(fold_key(&text), fold_key_general(&text), "{c:?}");
        }
        // The table covers the accented letters of French; the others go the long way.
        assert_eq!(fold_key_latin1("ÉtéÇaÀÿÆß").as_deref(), Some("etecaayaess"));
        assert_eq!(fold_key_latin1("Œuvre"), None);
        assert_eq!(fold_key_latin1("Guðný"), None);
        assert_eq!(fold_key_latin1("Cine\u{301}ma"), None);
    }

    #[test]
    fn phrases_match_whole_words_with_optional_plural() {
        let words = tokens("J'adore les compositeurs de musique de film.");
        assert_eq!(
            Phrase::new("musique de film").find_in(&words, false),
            Some(5)
        );
        assert_eq!(Phrase::new("compositeur").find_in(&words, false), None);
        assert_eq!(Phrase::new("compositeur").find_in(&words, true), Some(3));
        assert_eq!(Phrase::new("film music").find_in(&words, true), None);
        assert_eq!(Phrase::new("Musique").find_in(&words, false), Some(5));
        assert!(Phrase::new(" , ").is_empty());
    }

    #[test]
    fn an_index_finds_the_longest_phrase_at_a_word() {
        let index = PhraseIndex::new(
            ["Star", "Star Wars", "compositeur", "", "wars"]
                .into_iter()
                .map(Phrase::new)
                .collect(),
            true,
        );
        let words = tokens("star wars et compositeurs");
        assert_eq!(index.at(&words, 0), [1, 0]);
        assert_eq!(index.at(&words, 1), [4]);
        assert_eq!(index.at(&words, 3), [2]);
        assert!(index.at(&words, 2).is_empty());
        assert!(index.at(&words, 9).is_empty());
        assert_eq!(index.phrase(1).keys, ["star", "wars"]);
    }

    #[test]
    fn stable_hash_separates_parts() {
        assert_ne!(stable_hash(&["ab", "c"]), stable_hash(&["a", "bc"]));
        assert_eq!(stable_hash(&["x"]), stable_hash(&["x"]));
    }
}
