//! Phrase sets: the leftmost-longest phrase of a set in a text in matching form, found word by
//! word in a trie of words.
//!
//! Texts and phrases are in matching form (see [`super::fold`]): words of letters and digits
//! between single spaces, with a space at each end. A phrase is ` w1 … wn ` (whole words) or,
//! for a trailing `*`, ` w1 … wn-1 pre` (the last word a prefix). [`PhraseSet::find`] reports
//! what a byte-level Aho-Corasick automaton over those phrases would, with leftmost-longest
//! matching: among the phrases at the leftmost place, the longest.
//!
//! Why words: `{a|b}` groups expand the lexicons into about 80,000 phrases over about 4,200
//! distinct words. A byte automaton over them had millions of states and took a fifth of a
//! second and over a hundred megabytes to build at every start; the trie of words has about
//! 120,000 nodes and builds in a fraction of that, while a scan costs one or two hash lookups
//! per word.

use std::collections::HashMap;

use foldhash::fast::FixedState;

/// A node without a phrase ending on it.
const NONE: u32 = u32::MAX;

/// The root of the trie: no word read yet.
const ROOT: u32 = 0;

/// The longest prefix key: prefixes are indexed by their first bytes, up to this many.
const KEY_BYTES: usize = 3;

/// A set of phrases in matching form, each with the id [`PhraseSet::insert`] gave it.
#[derive(Debug, Clone)]
pub(crate) struct PhraseSet {
    /// Every word of a whole-word step.
    words: Vocabulary,
    /// The trie's edges below the root: `(node, word id)` to the child node.
    edges: HashMap<u64, u32, FixedState>,
    /// The trie's nodes, the root first.
    nodes: Vec<Node>,
    /// Last-word prefixes, by node and their first bytes (see [`prefix_key`]).
    prefixes: HashMap<u64, Vec<Prefix>, FixedState>,
    /// A bit for each key of `prefixes` (see [`filter_bit`]), so that most words of a text
    /// need no lookup there.
    prefix_filter: Vec<u64>,
    /// The number of phrases.
    len: usize,
    /// The words of the last phrase inserted and the nodes they led to.
    last_walk: Walk,
}

/// The path of a phrase through the trie.
#[derive(Debug, Clone, Default)]
struct Walk {
    /// The phrase's whole words.
    text: String,
    /// For each word, the byte offset of the space after it in `text` and the node it leads to.
    path: Vec<(usize, u32)>,
}

/// The words of the phrases. Words of up to 16 bytes (nearly all) are keyed by their bytes
/// packed in a `u128`: hashed and compared without reading memory elsewhere.
#[derive(Debug, Clone, Default)]
struct Vocabulary {
    short: HashMap<u128, Word, FixedState>,
    long: HashMap<Box<str>, Word, FixedState>,
}

impl Vocabulary {
    /// `word`, if it is known.
    fn get(&self, word: &str) -> Option<Word> {
        match packed(word) {
            Some(key) => self.short.get(&key).copied(),
            None => self.long.get(word).copied(),
        }
    }

    /// `word`, added with the next id if it is new; `None` once ids run out.
    fn get_or_insert(&mut self, word: &str) -> Option<&mut Word> {
        let new = Word {
            id: u32::try_from(self.short.len() + self.long.len()).ok()?,
            root_child: NONE,
        };
        Some(match packed(word) {
            Some(key) => self.short.entry(key).or_insert(new),
            // Rare enough that allocating the key for the lookup does not matter.
            None => self.long.entry(word.into()).or_insert(new),
        })
    }
}

/// The bytes of `word` packed in a `u128` (padded with zeros, which no word holds), if it has
/// at most 16.
fn packed(word: &str) -> Option<u128> {
    let bytes = word.as_bytes();
    let mut key = [0u8; 16];
    key.get_mut(..bytes.len())?.copy_from_slice(bytes);
    Some(u128::from_le_bytes(key))
}

/// A word of a text, read: where it ends, and what the vocabulary knows of it.
#[derive(Debug, Clone, Copy)]
struct Read {
    /// The offset of the space after it (or the end of the text).
    end: usize,
    word: Option<Word>,
}

/// What [`PhraseSet::longest_at`] found, and the words it read.
struct Found {
    found: Option<PhraseMatch>,
    /// The first word.
    first: Read,
    /// The second word, if the walk went that far.
    second: Option<Read>,
}

/// A word of the phrases.
#[derive(Debug, Clone, Copy)]
struct Word {
    /// Its id in the keys of the edges.
    id: u32,
    /// The child of the root along it: the first step of most walks, so spared a lookup.
    root_child: u32,
}

/// One node of the trie: the words read from the root to reach it.
#[derive(Debug, Clone, Copy)]
struct Node {
    /// The phrase made of exactly these words, or [`NONE`].
    phrase: u32,
    /// Bit `k` is set when a prefix of `k` key bytes hangs from this node.
    prefix_keys: u8,
}

/// A phrase ending with a word prefix.
#[derive(Debug, Clone)]
struct Prefix {
    bytes: Box<[u8]>,
    phrase: u32,
}

/// A phrase found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PhraseMatch {
    /// Its id.
    pub phrase: usize,
    /// The byte offset of its first word in the text.
    pub start: usize,
    /// The byte offset just past its last word (on the space that follows): a prefix extends
    /// to the end of the word it starts.
    pub end: usize,
    /// Whether its last word is a prefix.
    pub prefix: bool,
}

impl Default for PhraseSet {
    fn default() -> Self {
        Self {
            words: Vocabulary::default(),
            edges: HashMap::default(),
            nodes: vec![Node {
                phrase: NONE,
                prefix_keys: 0,
            }],
            prefixes: HashMap::default(),
            prefix_filter: vec![0; FILTER_BITS / 64],
            len: 0,
            last_walk: Walk::default(),
        }
    }
}

/// The key of the edge from `node` along word `word`.
fn edge_key(node: u32, word: u32) -> u64 {
    (u64::from(node) << 32) | u64::from(word)
}

/// The key of the prefixes hanging from `node` that start with `key` (1 to [`KEY_BYTES`]
/// bytes).
fn prefix_key(node: u32, key: &[u8]) -> u64 {
    let bytes = key.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    (u64::from(node) << 32) | ((key.len() as u64) << 24) | bytes
}

/// The offset of the first space at or after `start` in `bytes`, or the length of `bytes`: the
/// end of the word at `start` (a plain loop: words are a few bytes long, too short for a
/// vectorised search to pay).
fn word_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|&b| b == b' ')
        .map_or(bytes.len(), |i| start + i)
}

/// The number of bits of the prefix filter.
const FILTER_BITS: usize = 1 << 16;

/// The bit of the prefix filter for a key of the prefixes: its word and the mask in it.
fn filter_bit(key: u64) -> (usize, u64) {
    let bit = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48) as usize % FILTER_BITS;
    (bit / 64, 1 << (bit % 64))
}

impl PhraseSet {
    /// Adds `phrase` (in matching form; with `prefix`, its last word is a prefix) and returns
    /// its id, numbered from 0 in the order of first insertion, or `None` when the same phrase
    /// is already in the set. A phrase without words is never found and gets no id.
    pub fn insert(&mut self, phrase: &str, prefix: bool) -> Option<usize> {
        // The whole words, each followed by a space, and the prefix.
        let (whole, last) = if prefix {
            let phrase = phrase.trim_end();
            match phrase.rfind(' ') {
                Some(space) => (&phrase[..=space], &phrase[space + 1..]),
                None => ("", phrase),
            }
        } else {
            (phrase, "")
        };
        let node = self.walk_or_grow(whole)?;
        if node == ROOT && last.is_empty() {
            return None;
        }
        let id = u32::try_from(self.len).ok().filter(|&id| id != NONE)?;
        if prefix {
            let key = &last.as_bytes()[..last.len().min(KEY_BYTES)];
            let key = prefix_key(node, key);
            let (word, mask) = filter_bit(key);
            self.prefix_filter[word] |= mask;
            let list = self.prefixes.entry(key).or_default();
            if list.iter().any(|p| *p.bytes == *last.as_bytes()) {
                return None;
            }
            list.push(Prefix {
                bytes: last.as_bytes().into(),
                phrase: id,
            });
            self.nodes[node as usize].prefix_keys |= 1 << last.len().min(KEY_BYTES);
        } else {
            let slot = &mut self.nodes[node as usize].phrase;
            if *slot != NONE {
                return None;
            }
            *slot = id;
        }
        self.len += 1;
        Some(id as usize)
    }

    /// The node reached from the root along the words of `whole` (each followed by a space),
    /// adding the missing ones. The words shared with the previous call are not looked up
    /// again: the expansions of a lexicon line come in runs that differ in their last words.
    fn walk_or_grow(&mut self, whole: &str) -> Option<u32> {
        let last = &mut self.last_walk;
        let common = whole
            .bytes()
            .zip(last.text.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(whole.len().min(last.text.len()));
        // A word is shared when the space after it is.
        let shared = last.path.partition_point(|&(end, _)| end < common);
        last.path.truncate(shared);
        let (mut from, mut node) = last.path.last().copied().unwrap_or((0, ROOT));
        while from < whole.len() {
            // The word at `from` ends on the space at `end`.
            let end = word_end(whole.as_bytes(), from);
            let word = &whole[from..end];
            from = end + 1;
            if word.is_empty() {
                continue;
            }
            let next_node = u32::try_from(self.nodes.len()).ok()?;
            let word = self.words.get_or_insert(word)?;
            let child = if node == ROOT {
                if word.root_child == NONE {
                    word.root_child = next_node;
                }
                word.root_child
            } else {
                *self
                    .edges
                    .entry(edge_key(node, word.id))
                    .or_insert(next_node)
            };
            if child == next_node {
                self.nodes.push(Node {
                    phrase: NONE,
                    prefix_keys: 0,
                });
            }
            node = child;
            self.last_walk.path.push((end, node));
        }
        self.last_walk.text.clear();
        self.last_walk.text.push_str(whole);
        Some(node)
    }

    /// The number of phrases.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The leftmost phrase in `text` (in matching form) that starts at or after byte `from`,
    /// the longest of those at that place.
    pub fn find(&self, text: &str, from: usize) -> Option<PhraseMatch> {
        let bytes = text.as_bytes();
        // A phrase starts on the space before its first word.
        let mut space = from + memchr::memchr(b' ', bytes.get(from..)?)?;
        let mut known = None;
        while space + 1 < bytes.len() {
            let walk = self.longest_at(text, space, known);
            if walk.found.is_some() {
                return walk.found;
            }
            // The next phrase would start on the space after this word, whose own word the
            // walk may have read already.
            space = walk.first.end;
            known = walk.second;
        }
        None
    }

    /// The word of `text` at byte `start`, read.
    fn read(&self, text: &str, start: usize) -> Read {
        let end = word_end(text.as_bytes(), start);
        Read {
            end,
            word: self.words.get(&text[start..end]),
        }
    }

    /// The longest phrase whose leading space is at byte `space` of `text`; `first`, when
    /// known, is the word after that space read.
    fn longest_at(&self, text: &str, space: usize, first: Option<Read>) -> Found {
        let bytes = text.as_bytes();
        // The best so far, with the end a byte automaton would report: past the trailing
        // space of whole words, past the prefix itself for a prefix.
        let mut best: Option<(usize, PhraseMatch)> = None;
        let mut consider = |automaton_end: usize, found: PhraseMatch| {
            if best.is_none_or(|(end, _)| automaton_end > end) {
                best = Some((automaton_end, found));
            }
        };
        let mut node = ROOT;
        let mut start = space + 1;
        let first = first.unwrap_or_else(|| self.read(text, start));
        let mut second = None;
        let mut read = first;
        loop {
            let end = read.end;
            let word = &text[start..end];
            if word.is_empty() {
                break;
            }
            let Node { prefix_keys, .. } = self.nodes[node as usize];
            if prefix_keys != 0 {
                for key_len in 1..=KEY_BYTES.min(word.len()) {
                    if prefix_keys & (1 << key_len) == 0 {
                        continue;
                    }
                    let key = prefix_key(node, &word.as_bytes()[..key_len]);
                    let (filter_word, mask) = filter_bit(key);
                    if self.prefix_filter[filter_word] & mask == 0 {
                        continue;
                    }
                    for p in self.prefixes.get(&key).into_iter().flatten() {
                        if word.as_bytes().starts_with(&p.bytes) {
                            consider(
                                start + p.bytes.len(),
                                PhraseMatch {
                                    phrase: p.phrase as usize,
                                    start: space + 1,
                                    end,
                                    prefix: true,
                                },
                            );
                        }
                    }
                }
            }
            // A whole word needs the space after it.
            if end >= bytes.len() {
                break;
            }
            let Some(child) = read.word.and_then(|w| {
                if node == ROOT {
                    Some(w.root_child).filter(|&child| child != NONE)
                } else {
                    self.edges.get(&edge_key(node, w.id)).copied()
                }
            }) else {
                break;
            };
            node = child;
            let phrase = self.nodes[node as usize].phrase;
            if phrase != NONE {
                consider(
                    end + 1,
                    PhraseMatch {
                        phrase: phrase as usize,
                        start: space + 1,
                        end,
                        prefix: false,
                    },
                );
            }
            start = end + 1;
            if start >= bytes.len() {
                break;
            }
            read = self.read(text, start);
            second.get_or_insert(read);
        }
        Found {
            found: best.map(|(_, found)| found),
            first,
            second,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::safety::fold::match_form;

    fn set(phrases: &[(&str, bool)]) -> PhraseSet {
        let mut set = PhraseSet::default();
        for (phrase, prefix) in phrases {
            set.insert(phrase, *prefix);
        }
        set
    }

    /// Every phrase found in `text` from its start on, as `id=words`.
    fn found(set: &PhraseSet, text: &str) -> Vec<String> {
        let text = match_form(text, false);
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(m) = set.find(&text, from) {
            out.push(format!("{}={}", m.phrase, &text[m.start..m.end]));
            from = m.end;
        }
        out
    }

    #[test]
    fn ids_follow_first_insertion_and_duplicates_get_none() {
        let mut set = PhraseSet::default();
        assert_eq!(set.insert(" a b ", false), Some(0));
        assert_eq!(set.insert(" a ", false), Some(1));
        assert_eq!(set.insert(" a b ", false), None);
        assert_eq!(set.insert(" a bc", true), Some(2));
        assert_eq!(set.insert(" a bc", true), None);
        // The same words, whole or as a prefix, are two phrases.
        assert_eq!(set.insert(" a bc ", false), Some(3));
        assert_eq!(set.insert(" ", false), None);
        assert_eq!(set.insert(" ", true), None);
        assert_eq!(set.len(), 4);
    }

    #[test]
    fn the_leftmost_then_the_longest() {
        let set = set(&[
            (" mort ", false),
            (" mort de rire ", false),
            (" de ", false),
            (" suicid", true),
            (" envie d en finir ", false),
            (" en ", false),
        ]);
        assert_eq!(
            found(&set, "Mort de rire, pas mort de faim"),
            ["1=mort de rire", "0=mort", "2=de"]
        );
        assert_eq!(
            found(&set, "Suicidaire ? suicide."),
            ["3=suicidaire", "3=suicide"]
        );
        assert_eq!(found(&set, "envie d'en finir"), ["4=envie d en finir"]);
        assert_eq!(found(&set, "envie d'en"), ["5=en"]);
        assert!(found(&set, "mortel, sui").is_empty());
    }

    #[test]
    fn a_prefix_is_longer_than_fewer_whole_words_and_shorter_than_the_word_itself() {
        let set = set(&[
            (" self ", false),
            (" self harm", true),
            (" self harm ", false),
        ]);
        let text = match_form("self harming", false);
        let m = set.find(&text, 0).expect("found");
        assert_eq!(
            (m.phrase, &text[m.start..m.end], m.prefix),
            (1, "self harming", true)
        );
        let text = match_form("self harm", false);
        let m = set.find(&text, 0).expect("found");
        assert_eq!((m.phrase, m.prefix), (2, false));
    }

    #[test]
    fn short_prefixes_and_texts_without_room() {
        let set = set(&[(" x", true), (" ab", true), (" abc", true), (" abcd", true)]);
        assert_eq!(
            found(&set, "xylophone abcde ab"),
            ["0=xylophone", "3=abcde", "1=ab"]
        );
        assert_eq!(set.find(" ", 0), None);
        assert_eq!(set.find("", 0), None);
        assert_eq!(set.find(" ab ", 9), None);
        assert_eq!(set.find(" ab ", 2), None);
    }

    /// The matching the phrase sets replace: one byte automaton over the same patterns,
    /// leftmost-longest, with matches widened to whole words.
    struct Reference {
        automaton: aho_corasick::AhoCorasick,
        prefix: Vec<bool>,
    }

    impl Reference {
        fn new(patterns: &[(String, bool)]) -> Self {
            let automaton = aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(patterns.iter().map(|(p, _)| p))
                .expect("builds");
            Self {
                automaton,
                prefix: patterns.iter().map(|&(_, prefix)| prefix).collect(),
            }
        }

        fn find(&self, text: &str, from: usize) -> Option<PhraseMatch> {
            if from >= text.len() {
                return None;
            }
            let found = self
                .automaton
                .find(aho_corasick::Input::new(text).range(from..))?;
            let prefix = self.prefix[found.pattern().as_usize()];
            let end = if prefix {
                text[found.end()..]
                    .find(' ')
                    .map_or(text.len(), |i| found.end() + i)
            } else {
                found.end() - 1
            };
            Some(PhraseMatch {
                phrase: found.pattern().as_usize(),
                start: found.start() + 1,
                end,
                prefix,
            })
        }
    }

    /// Compares `set` with `reference` on `text` (any text: it is folded first) from every
    /// byte offset.
    fn assert_same(set: &PhraseSet, reference: &Reference, text: &str) {
        let text = match_form(text, false);
        for from in 0..=text.len() + 1 {
            assert_eq!(
                set.find(&text, from),
                reference.find(&text, from),
                "{text:?} from {from}"
            );
        }
    }

    /// The patterns of every lexicon line, category ones and allow ones, each kept at its
    /// first definition as the builder keeps them.
    fn builtin_patterns() -> [Vec<(String, bool)>; 2] {
        use crate::safety::lexicon::{BUILTIN_FILES, Target, patterns};
        let mut lists: [Vec<(String, bool)>; 2] = Default::default();
        let mut seen: [std::collections::HashSet<(String, bool)>; 2] = Default::default();
        for &(_, name, content) in BUILTIN_FILES {
            let target = Target::from_file_name(&format!("{name}.txt")).expect("known");
            let list = usize::from(target == Target::Allow);
            for line in content.lines().map(str::trim) {
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                for pattern in patterns(line).expect("valid") {
                    if seen[list].insert(pattern.clone()) {
                        lists[list].push(pattern);
                    }
                }
            }
        }
        lists
    }

    struct Builtin {
        compiled: crate::safety::lexicon::Compiled,
        patterns: [Vec<(String, bool)>; 2],
        references: [Reference; 2],
    }

    static BUILTIN: std::sync::LazyLock<Builtin> = std::sync::LazyLock::new(|| {
        let patterns = builtin_patterns();
        let references = [Reference::new(&patterns[0]), Reference::new(&patterns[1])];
        Builtin {
            compiled: crate::safety::lexicon::Builder::builtin()
                .expect("valid")
                .build(),
            patterns,
            references,
        }
    });

    #[test]
    fn the_lexicons_match_as_one_byte_automaton_over_their_expansions_did() {
        let builtin = &*BUILTIN;
        assert_eq!(builtin.compiled.lexicon.len(), builtin.patterns[0].len());
        assert_eq!(builtin.compiled.allow.len(), builtin.patterns[1].len());
        // Every message of the shipped scenarios, and every lexicon line read as a text.
        let mut texts = Vec::new();
        for entry in std::fs::read_dir("assets/scenarios").expect("scenarios") {
            let path = entry.expect("entry").path();
            let scenario = crate::model::Scenario::load(&path).expect("loads");
            texts.extend(
                scenario
                    .users
                    .into_iter()
                    .flat_map(|u| u.events)
                    .map(|e| e.text),
            );
        }
        for &(_, _, content) in crate::safety::lexicon::BUILTIN_FILES {
            texts.extend(content.lines().map(str::to_owned));
        }
        for text in &texts {
            for (set, reference) in [
                (&builtin.compiled.lexicon, &builtin.references[0]),
                (&builtin.compiled.allow, &builtin.references[1]),
            ] {
                assert_same(set, reference, text);
            }
        }
    }

    /// Words of the small sets below: prefixes of one another, so that whole words, prefixes
    /// and longer phrases compete at the same place.
    const WORDS: [&str; 7] = ["a", "ab", "abc", "abcd", "b", "ba", "zz"];

    fn phrase_strategy() -> impl proptest::strategy::Strategy<Value = (String, bool)> {
        use proptest::prelude::*;
        (
            proptest::collection::vec(0..WORDS.len(), 1..4),
            any::<bool>(),
        )
            .prop_map(|(words, prefix)| {
                let words: Vec<&str> = words.into_iter().map(|i| WORDS[i]).collect();
                let phrase = format!(" {}", words.join(" "));
                if prefix {
                    (phrase, true)
                } else {
                    (phrase + " ", false)
                }
            })
    }

    proptest::proptest! {
        #[test]
        fn a_phrase_set_finds_what_a_byte_automaton_finds(
            phrases in proptest::collection::vec(phrase_strategy(), 1..12),
            text in proptest::collection::vec(0..WORDS.len(), 0..10),
        ) {
            let mut set = PhraseSet::default();
            let mut kept = Vec::new();
            for (phrase, prefix) in phrases {
                if set.insert(&phrase, prefix).is_some() {
                    kept.push((phrase, prefix));
                }
            }
            let reference = Reference::new(&kept);
            let text: Vec<&str> = text.into_iter().map(|i| WORDS[i]).collect();
            assert_same(&set, &reference, &text.join(" "));
        }

        #[test]
        fn the_lexicons_find_what_a_byte_automaton_finds_in_texts_made_of_their_phrases(
            picks in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), 0..4usize), 1..6),
        ) {
            let builtin = &*BUILTIN;
            let patterns = &builtin.patterns[0];
            // Phrases end to end, some cut short, some with a longer last word.
            let mut text = String::new();
            for (index, shape) in picks {
                let (phrase, _) = &patterns[index.index(patterns.len())];
                let phrase = phrase.trim();
                match shape {
                    0 => text.push_str(phrase),
                    1 => text.push_str(phrase.rsplit_once(' ').map_or(phrase, |(head, _)| head)),
                    2 => {
                        text.push_str(phrase);
                        text.push_str("aire");
                    }
                    _ => text.push_str(phrase.split_once(' ').map_or(phrase, |(_, tail)| tail)),
                }
                text.push(' ');
            }
            assert_same(&builtin.compiled.lexicon, &builtin.references[0], &text);
        }
    }
}
