//! Text folding: case, accents, apostrophes, dashes and whitespace.
//!
//! Two forms share the same per-character folding:
//! - [`fold`], the public form, keeps punctuation and collapses whitespace;
//! - [`Folded`], the matching form, keeps only letters and digits, turns every
//!   run of anything else into one space, pads both ends with a space, and
//!   remembers for each folded byte the original byte offset it came from.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Folds case, accents (`é`->`e`, `œ`->`oe`, `ß`->`ss`...), apostrophe variants
/// (`’ ‘ ʼ` and backtick -> `'`), dash variants (-> `-`), drops invisible
/// characters (zero-width spaces, soft hyphens) and collapses whitespace runs
/// into one space, trimmed at both ends.
///
/// Used by the sensitive-topic matching and by the composer's keyword matching.
///
/// ```
/// assert_eq!(relance::safety::fold("  Ça  m’a TUÉ\u{a0}! Œuvre, Straße "), "ca m'a tue ! oeuvre, strasse");
/// ```
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        fold_char(c, |f| {
            if f.is_whitespace() {
                pending_space = !out.is_empty();
            } else {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                out.push(f);
            }
        });
    }
    out
}

/// Folds one character, emitting zero or more folded characters.
#[inline]
pub(crate) fn fold_char(c: char, mut emit: impl FnMut(char)) {
    if c.is_ascii() {
        emit(if c == '`' {
            '\''
        } else {
            c.to_ascii_lowercase()
        });
        return;
    }
    // The accented letters of Latin-1 (most non-ASCII letters of French and English text),
    // folded once by the general path below.
    if let Some(folded) = LATIN1_FOLDS.get(c) {
        folded.iter().for_each(|&b| emit(char::from(b)));
        return;
    }
    fold_char_general(c, emit);
}

/// [`fold_char_general`] of the Latin-1 letters, by table.
static LATIN1_FOLDS: std::sync::LazyLock<Latin1Table> = std::sync::LazyLock::new(|| {
    Latin1Table::new(|c| {
        let mut out = String::new();
        fold_char_general(c, |f| out.push(f));
        out
    })
});

/// What a fold makes of each Latin-1 letter `À`..=`ÿ` when that is one or two ASCII
/// characters, worked out once by the fold's general path (decomposition): the accented
/// letters of French text are then folded by a lookup. Used by this module's fold and by the
/// composer's matching keys.
pub(crate) struct Latin1Table([Option<([u8; 2], usize)>; 0x40]);

impl Latin1Table {
    /// The first Latin-1 letter (`À`).
    const FROM: u32 = 0xC0;

    /// The table of `fold`, which gives the folded text of one character.
    pub(crate) fn new(fold: impl Fn(char) -> String) -> Self {
        Self(std::array::from_fn(|i| {
            let c = char::from_u32(Self::FROM + i as u32)?;
            match *fold(c).as_bytes() {
                [a] if a.is_ascii() => Some(([a, 0], 1)),
                [a, b] if a.is_ascii() && b.is_ascii() => Some(([a, b], 2)),
                _ => None,
            }
        }))
    }

    /// The fold of `c` (ASCII bytes); `None` when `c` is not a Latin-1 letter or its fold is
    /// not ASCII, and the general path must fold it.
    pub(crate) fn get(&self, c: char) -> Option<&[u8]> {
        let index = u32::from(c).checked_sub(Self::FROM)? as usize;
        let (bytes, len) = self.0.get(index)?.as_ref()?;
        Some(&bytes[..*len])
    }
}

/// [`fold_char`] of a character that is not ASCII.
fn fold_char_general(c: char, mut emit: impl FnMut(char)) {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{02BC}' | '\u{02BB}' | '\u{02B9}'
        | '\u{00B4}' | '\u{2032}' | '\u{2035}' | '\u{FF07}' | '\u{FF40}' => return emit('\''),
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => {
            return emit('-');
        }
        // Invisible characters, sometimes used to dodge filters.
        '\u{00AD}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{2060}'..='\u{2064}'
        | '\u{FEFF}' => {
            return;
        }
        _ => {}
    }
    decompose_compatible(c, |d| {
        if is_combining_mark(d) {
            return;
        }
        for l in d.to_lowercase() {
            match l {
                'ß' => {
                    emit('s');
                    emit('s');
                }
                'œ' => {
                    emit('o');
                    emit('e');
                }
                'æ' => {
                    emit('a');
                    emit('e');
                }
                'þ' => {
                    emit('t');
                    emit('h');
                }
                'ø' => emit('o'),
                'đ' | 'ð' => emit('d'),
                'ł' => emit('l'),
                'ı' => emit('i'),
                l if is_combining_mark(l) => {}
                l => emit(l),
            }
        }
    });
}

/// A text in matching form, with the map back to the original byte offsets.
///
/// The folded text is ` word word word ` : letters and digits only, single
/// spaces between words, one space at each end. `map[i]` is the byte offset in
/// the original text of the character that produced folded byte `i` (always a
/// char boundary of the original).
#[derive(Debug, Default, Clone)]
pub(crate) struct Folded {
    /// The folded text.
    pub text: String,
    /// Original byte offset for each byte of `text`.
    pub map: Vec<usize>,
}

impl Folded {
    /// Folds `original` into this buffer, reusing its allocations, without the map back to
    /// the original (most scans find nothing and never need it): call
    /// [`Folded::fill_mapped`] before [`Folded::original_range`].
    ///
    /// With `join_apostrophes`, apostrophes are dropped instead of splitting
    /// words (`j'ai` -> `jai`): used to derive the variant of a lexicon phrase
    /// that people type without apostrophes.
    pub fn fill(&mut self, original: &str, join_apostrophes: bool) {
        self.fill_with::<false>(original, join_apostrophes);
    }

    /// [`Folded::fill`] with the map back to the original byte offsets.
    pub fn fill_mapped(&mut self, original: &str, join_apostrophes: bool) {
        self.fill_with::<true>(original, join_apostrophes);
    }

    /// Empties the buffer, keeping its allocations.
    pub fn clear(&mut self) {
        self.text.clear();
        self.map.clear();
    }

    /// Whether the map is filled ([`Folded::fill_mapped`]).
    pub fn is_mapped(&self) -> bool {
        !self.map.is_empty()
    }

    fn fill_with<const MAP: bool>(&mut self, original: &str, join_apostrophes: bool) {
        self.clear();
        self.text.reserve(original.len() + 2);
        if MAP {
            self.map.reserve(original.len() + 2);
        }
        if !MAP && original.is_ascii() {
            fold_ascii(&mut self.text, original, join_apostrophes);
            return;
        }
        self.push_space::<MAP>(0);
        for (offset, c) in original.char_indices() {
            if c.is_ascii() {
                if c.is_ascii_alphanumeric() {
                    self.text.push(c.to_ascii_lowercase());
                    if MAP {
                        self.map.push(offset);
                    }
                } else if !(join_apostrophes && (c == '\'' || c == '`')) {
                    self.separator::<MAP>(offset);
                }
                continue;
            }
            let (text, map) = (&mut self.text, &mut self.map);
            fold_char(c, |f| {
                if f.is_alphanumeric() {
                    text.push(f);
                    if MAP {
                        map.extend(std::iter::repeat_n(offset, f.len_utf8()));
                    }
                } else {
                    let joined = join_apostrophes && f == '\'';
                    if !joined && !text.ends_with(' ') {
                        text.push(' ');
                        if MAP {
                            map.push(offset);
                        }
                    }
                }
            });
        }
        self.separator::<MAP>(original.len());
    }

    #[inline]
    fn push_space<const MAP: bool>(&mut self, offset: usize) {
        self.text.push(' ');
        if MAP {
            self.map.push(offset);
        }
    }

    #[inline]
    fn separator<const MAP: bool>(&mut self, offset: usize) {
        if !self.text.ends_with(' ') {
            self.push_space::<MAP>(offset);
        }
    }

    /// The original byte range of the folded byte range `start..end`
    /// (`start` and `end` at word boundaries of the folded text); the map must be filled
    /// ([`Folded::fill_mapped`]).
    pub fn original_range(&self, original: &str, start: usize, end: usize) -> (usize, usize) {
        let from = self.map.get(start).copied().unwrap_or(original.len());
        let last = end
            .checked_sub(1)
            .and_then(|i| self.map.get(i))
            .copied()
            .unwrap_or(from);
        let to = last
            + original
                .get(last..)
                .and_then(|rest| rest.chars().next())
                .map_or(0, char::len_utf8);
        (from.min(to), to)
    }
}

/// The matching form of `text` (convenience for tests and phrase compilation).
pub(crate) fn match_form(text: &str, join_apostrophes: bool) -> String {
    let mut folded = Folded::default();
    folded.fill(text, join_apostrophes);
    folded.text
}

/// [`Folded::fill`] of ASCII `text` into `out` (empty), without the map: folding ASCII only
/// lowercases letters and turns the rest into single spaces, byte by byte.
fn fold_ascii(out: &mut String, text: &str, join_apostrophes: bool) {
    out.push(' ');
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(char::from(b.to_ascii_lowercase()));
        } else if !(join_apostrophes && (b == b'\'' || b == b'`')) && !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
}

/// Whether folded `text` contains folded `word` as whole words (byte-wise, on texts folded by
/// [`fold`]; the persona linter matches its phrases with it).
pub fn contains_words(folded_text: &str, folded_word: &str) -> bool {
    if folded_word.is_empty() {
        return false;
    }
    let bytes = folded_text.as_bytes();
    let mut from = 0;
    while let Some(i) = folded_text[from..].find(folded_word) {
        let start = from + i;
        let end = start + folded_word.len();
        let before_ok = start == 0 || !is_word_byte(bytes[start - 1]);
        let after_ok = end == bytes.len() || !is_word_byte(bytes[end]);
        if before_ok && after_ok {
            return true;
        }
        from = start + folded_word.len().max(1);
        while from < folded_text.len() && !folded_text.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_case_accents_ligatures() {
        assert_eq!(fold("ÉLÉPHANT"), "elephant");
        assert_eq!(fold("Où êtes-vous, Noël ?"), "ou etes-vous, noel ?");
        assert_eq!(
            fold("Œuf, cœur, Æsop, Straße, STRASSE, ẞ"),
            "oeuf, coeur, aesop, strasse, strasse, ss"
        );
        assert_eq!(fold("ﬁn ｆｕｌｌ"), "fin full");
        assert_eq!(fold("Łódź, Ørsted, İstanbul"), "lodz, orsted, istanbul");
        assert_eq!(fold("ñandú çà"), "nandu ca");
    }

    #[test]
    fn fold_apostrophes_dashes_whitespace() {
        assert_eq!(fold("j’ai j‘ai jʼai j`ai j'ai"), "j'ai j'ai j'ai j'ai j'ai");
        assert_eq!(fold("self—harm self–harm"), "self-harm self-harm");
        assert_eq!(fold(" \t a \n\n b\u{a0}\u{202f}c  "), "a b c");
        assert_eq!(fold("su\u{200b}ici\u{ad}de"), "suicide");
        assert_eq!(fold(""), "");
        assert_eq!(fold("   "), "");
    }

    #[test]
    fn fold_keeps_emoji_and_other_scripts() {
        assert_eq!(fold("Salut 👋🏽 ПРИВЕТ 日本"), "salut 👋🏽 привет 日本");
    }

    #[test]
    fn match_form_keeps_only_words() {
        assert_eq!(
            match_form("J’ai envie d'en FINIR...", false),
            " j ai envie d en finir "
        );
        assert_eq!(
            match_form("J’ai envie d'en FINIR...", true),
            " jai envie den finir "
        );
        assert_eq!(match_form("self-harm!!", false), " self harm ");
        assert_eq!(match_form("", false), " ");
        assert_eq!(match_form("🙂", false), " ");
    }

    proptest::proptest! {
        /// The ASCII shortcut folds as the general loop does (the mapped fill takes it).
        #[test]
        fn ascii_texts_fold_as_any_text(
            text in "[ -~]{0,30}",
            join in proptest::bool::ANY,
        ) {
            let mut mapped = Folded::default();
            mapped.fill_mapped(&text, join);
            let mut folded = Folded::default();
            folded.fill(&text, join);
            proptest::prop_assert_eq!(&folded.text, &mapped.text);
            proptest::prop_assert_eq!(match_form(&text, join), mapped.text);
        }
    }

    #[test]
    fn latin1_letters_fold_as_the_general_path_folds_them() {
        for c in '\u{a0}'..='\u{17f}' {
            let (mut fast, mut general) = (String::new(), String::new());
            fold_char(c, |f| fast.push(f));
            fold_char_general(c, |f| general.push(f));
            assert_eq!(fast, general, "{c:?}");
        }
        assert_eq!(fold("ÉÀÇÔÆßØÞÿ"), "eacoaessothy");
    }

    #[test]
    fn map_points_back_to_original_chars() {
        let original = "Ça m’a TUÉ — œuvre";
        let mut folded = Folded::default();
        folded.fill(original, false);
        assert!(!folded.is_mapped());
        let unmapped = folded.text.clone();
        folded.fill_mapped(original, false);
        assert_eq!(folded.text, unmapped, "the map does not change the text");
        assert_eq!(folded.text.len(), folded.map.len());
        for &offset in &folded.map {
            assert!(original.is_char_boundary(offset));
        }
        let start = folded.text.find("tue").expect("tue");
        let (from, to) = folded.original_range(original, start, start + 3);
        assert_eq!(&original[from..to], "TUÉ");
        let start = folded.text.find("oeuvre").expect("oeuvre");
        let (from, to) = folded.original_range(original, start, start + 6);
        assert_eq!(&original[from..to], "œuvre");
    }

    #[test]
    fn whole_words_only() {
        assert!(contains_words("j'aime la bo d'interstellar", "bo"));
        assert!(!contains_words("un bon film", "bo"));
        assert!(contains_words("tu me manques tellement", "tu me manques"));
    }
}
