//! Ages users state about themselves ("j'ai 15 ans", "I'm 14").

use super::fold::fold;

/// An age the user states about themselves: `"j'ai 15 ans"`, `"j’ai 15ans"`,
/// `"I'm 14"`, `"I am 14 years old"`, `"i'm 14 yo"`, `"15 ans et demi"`,
/// `"j'ai quinze ans"`, `"I just turned 13"`...
///
/// `None` when there is no self-statement: `"my son is 14"`,
/// `"I'm 14 minutes late"`, `"15 ans de carrière"`,
/// `"j'ai 15 ans d'expérience"` do not count. The first statement wins.
///
/// ```
/// use relance::safety::stated_age;
/// assert_eq!(stated_age("Salut, j’ai 15ans et toi ?"), Some(15));
/// assert_eq!(stated_age("I'm 14 minutes late"), None);
/// ```
pub fn stated_age(text: &str) -> Option<u32> {
    stated_age_folded(text, &super::fold::match_form(text, false))
}

/// [`stated_age`] of `text` whose matching form (see [`crate::safety::fold`]: words of
/// letters and digits between single spaces) is `folded`, as a scan for flags leaves it: a
/// text without a digit or a number word there is not folded again.
pub(crate) fn stated_age_folded(text: &str, folded: &str) -> Option<u32> {
    // One pass over the bytes: a digit, or a word (cut at the single spaces) that can start
    // a number.
    let mut start = 0;
    let holds_number = folded.bytes().enumerate().any(|(i, b)| {
        if b == b' ' {
            let word = folded.get(start..i).unwrap_or_default();
            start = i + 1;
            is_number_start_folded(word)
        } else {
            b.is_ascii_digit()
        }
    }) || is_number_start_folded(folded.get(start..).unwrap_or_default());
    if !holds_number {
        return None;
    }
    read_age(&fold(text))
}

/// [`stated_age`] of folded text, reading every token.
fn read_age(folded: &str) -> Option<u32> {
    let tokens = tokenize(folded);
    let t = Tokens(&tokens);
    if let Some(age) = t.leading_age() {
        return Some(age);
    }
    (0..tokens.len()).find_map(|i| t.english_at(i).or_else(|| t.french_at(i)))
}

/// Whether the author states they are a minor: an age under 18
/// ([`stated_age`]) or a school year that implies one ("je suis en 4e",
/// "je suis au collège", "I'm in 8th grade", "I'm in middle school").
///
/// ```
/// use relance::safety::states_minor;
/// assert!(states_minor("je suis en 4e"));
/// assert!(states_minor("I'm 15"));
/// assert!(!states_minor("I'm 25 and in grad school"));
/// ```
pub fn states_minor(text: &str) -> bool {
    if stated_age(text).is_some_and(|age| age < 18) {
        return true;
    }
    let folded = fold(text);
    let tokens = tokenize(&folded);
    let t = Tokens(&tokens);
    (0..tokens.len()).any(|i| t.school_at(i))
}

/// Words that can start a number ([`Tokens::number`]): tens, and units from five (`dix`
/// included, which also starts `dix-sept`).
static NUMBER_STARTS: std::sync::LazyLock<
    std::collections::HashSet<&'static str, foldhash::fast::FixedState>,
> = std::sync::LazyLock::new(|| {
    let units = FR_UNITS.iter().chain(EN_UNITS).filter(|&&(_, v)| v >= 5);
    units
        .chain(FR_TENS)
        .chain(EN_TENS)
        .map(|&(w, _)| w)
        .collect()
});

/// For each length of a number word (up to 9 letters): the masks of the first letters and of
/// the last letters the number words of that length have, which rule most words out before
/// [`NUMBER_STARTS`] is looked up.
static NUMBER_SHAPES: std::sync::LazyLock<[(u32, u32); 10]> = std::sync::LazyLock::new(|| {
    let mut shapes = [(0, 0); 10];
    for word in NUMBER_STARTS.iter().map(|w| w.as_bytes()) {
        if let (Some(shape), Some(&first), Some(&last)) =
            (shapes.get_mut(word.len()), word.first(), word.last())
        {
            shape.0 |= letter_bit(first);
            shape.1 |= letter_bit(last);
        }
    }
    shapes
});

/// The bit of a lowercase ASCII letter (none for anything else).
fn letter_bit(b: u8) -> u32 {
    if b.is_ascii_lowercase() {
        1 << (b - b'a')
    } else {
        0
    }
}

/// Whether the lowercase word (in matching form) is one that can start a number.
fn is_number_start_folded(word: &str) -> bool {
    let bytes = word.as_bytes();
    let Some(&(first, last)) = NUMBER_SHAPES.get(bytes.len()) else {
        return false;
    };
    match (bytes.first(), bytes.last()) {
        (Some(&f), Some(&l)) => {
            first & letter_bit(f) != 0 && last & letter_bit(l) != 0 && NUMBER_STARTS.contains(word)
        }
        _ => false,
    }
}

/// Whether folded text has a digit or a word that can start a number: without one there is
/// no age to read. (Tests check the shortcuts against it.)
#[cfg(test)]
fn may_hold_number(folded: &str) -> bool {
    folded.bytes().any(|b| b.is_ascii_digit())
        || folded
            .split(|c: char| !c.is_alphanumeric() || c.is_ascii_digit())
            .any(|word| NUMBER_STARTS.contains(word))
}

/// The oldest plausible stated age.
const MAX_AGE: u32 = 120;

/// Words that may sit between "I'm" and the number.
const EN_FILLERS: &[&str] = &[
    "only",
    "just",
    "almost",
    "nearly",
    "barely",
    "like",
    "about",
    "literally",
    "actually",
    "currently",
    "now",
    "aged",
    "still",
    "gonna",
    "be",
    "turning",
];
/// Words that may follow "I'm 14" in a statement of age.
const EN_FOLLOWERS: &[&str] = &[
    "and",
    "but",
    "so",
    "too",
    "now",
    "lol",
    "lmao",
    "haha",
    "btw",
    "tho",
    "though",
    "yet",
    "already",
    "today",
    "i",
    "im",
    "turning",
    "if",
    "soon",
    "myself",
    "as",
    "ok",
    "okay",
    "dude",
    "bro",
    "man",
    "guys",
    "here",
    "yesterday",
];
/// Words that may sit between "j'ai" and the number.
const FR_FILLERS: &[&str] = &[
    "que",
    "seulement",
    "bientot",
    "presque",
    "deja",
    "juste",
    "eu",
    "genre",
    "environ",
    "tout",
    "a",
    "peine",
    "meme",
    "pile",
    "officiellement",
];
/// Words that may follow "j'ai 15 ans" in a statement of age.
const FR_FOLLOWERS: &[&str] = &[
    "et",
    "mais",
    "donc",
    "alors",
    "depuis",
    "aujourd",
    "hier",
    "moi",
    "mdr",
    "lol",
    "ptdr",
    "je",
    "j",
    "jsuis",
    "tu",
    "car",
    "pourtant",
    "bientot",
    "deja",
    "bon",
    "hein",
    "perso",
    "maintenant",
    "cette",
    "ce",
    "bref",
    "sinon",
    "au",
    "enfin",
    "voila",
    "ok",
    "quoi",
];
const FR_UNITS: &[(&str, u32)] = &[
    ("un", 1),
    ("une", 1),
    ("deux", 2),
    ("trois", 3),
    ("quatre", 4),
    ("cinq", 5),
    ("six", 6),
    ("sept", 7),
    ("huit", 8),
    ("neuf", 9),
    ("dix", 10),
    ("onze", 11),
    ("douze", 12),
    ("treize", 13),
    ("quatorze", 14),
    ("quinze", 15),
    ("seize", 16),
];
const FR_TENS: &[(&str, u32)] = &[
    ("vingt", 20),
    ("trente", 30),
    ("quarante", 40),
    ("cinquante", 50),
    ("soixante", 60),
];
const EN_UNITS: &[(&str, u32)] = &[
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("seventeen", 17),
    ("eighteen", 18),
    ("nineteen", 19),
];
const EN_TENS: &[(&str, u32)] = &[
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
];

/// A token of folded text: a word, a number, or one punctuation character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Word(&'a str),
    Number(&'a str),
    Punct(char),
}

/// Splits folded text into words, digit runs (`15ans` -> `15`, `ans`) and
/// punctuation; whitespace, apostrophes and hyphens only separate.
fn tokenize(folded: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut run_start: Option<(usize, bool)> = None;
    for (i, c) in folded.char_indices() {
        let kind = if c.is_ascii_digit() {
            Some(true)
        } else if c.is_alphanumeric() {
            Some(false)
        } else {
            None
        };
        if let Some((start, digits)) = run_start
            && kind != Some(digits)
        {
            tokens.push(run(&folded[start..i], digits));
            run_start = None;
        }
        match kind {
            Some(digits) => {
                if run_start.is_none() {
                    run_start = Some((i, digits));
                }
            }
            None if c.is_whitespace() || c == '\'' || c == '-' => {}
            None => tokens.push(Token::Punct(c)),
        }
    }
    if let Some((start, digits)) = run_start {
        tokens.push(run(&folded[start..], digits));
    }
    tokens
}

fn run(text: &str, digits: bool) -> Token<'_> {
    if digits {
        Token::Number(text)
    } else {
        Token::Word(text)
    }
}

struct Tokens<'t, 'a>(&'t [Token<'a>]);

impl Tokens<'_, '_> {
    fn word(&self, i: usize) -> Option<&str> {
        match self.0.get(i) {
            Some(Token::Word(w)) => Some(w),
            _ => None,
        }
    }

    /// Index after `words` if they appear at `i`.
    fn seq(&self, i: usize, words: &[&str]) -> Option<usize> {
        words
            .iter()
            .enumerate()
            .all(|(k, w)| self.word(i + k) == Some(w))
            .then_some(i + words.len())
    }

    /// Index after the first of `options` found at `i`.
    fn any_seq(&self, i: usize, options: &[&[&str]]) -> Option<usize> {
        options.iter().find_map(|words| self.seq(i, words))
    }

    fn skip(&self, mut i: usize, fillers: &[&str], max: usize) -> usize {
        for _ in 0..max {
            match self.word(i) {
                Some(w) if fillers.contains(&w) => i += 1,
                _ => break,
            }
        }
        i
    }

    /// End of text, or punctuation that may end a statement.
    fn ends_at(&self, i: usize) -> bool {
        match self.0.get(i) {
            None => true,
            Some(Token::Punct(c)) => {
                matches!(
                    c,
                    '.' | ',' | '!' | '?' | ';' | ':' | ')' | '(' | '…' | '"' | '*'
                ) || (!c.is_ascii() && !matches!(c, '€' | '£' | '°' | '%' | '‰'))
            }
            Some(_) => false,
        }
    }

    /// A number at `i` (digits or words), with the index after it.
    fn number(&self, i: usize) -> Option<(u32, usize)> {
        let (value, next) = match self.0.get(i)? {
            Token::Number(digits) if digits.len() <= 3 => (digits.parse::<u32>().ok()?, i + 1),
            Token::Word(w) => self.number_words(i, w)?,
            _ => return None,
        };
        (1..=MAX_AGE).contains(&value).then_some((value, next))
    }

    /// A number written in words starting at `i`. Only the words of [`NUMBER_STARTS`] start
    /// one: tens, and units from five (or `dix` before a unit).
    fn number_words(&self, i: usize, first: &str) -> Option<(u32, usize)> {
        let lookup = |table: &[(&str, u32)], w: Option<&str>| {
            w.and_then(|w| table.iter().find(|(name, _)| *name == w).map(|&(_, v)| v))
        };
        if first == "dix"
            && let Some(unit @ 7..=9) = lookup(FR_UNITS, self.word(i + 1))
        {
            return Some((10 + unit, i + 2));
        }
        if let Some(tens) = lookup(FR_TENS, Some(first)) {
            if self.seq(i + 1, &["et", "un"]).is_some() || self.seq(i + 1, &["et", "une"]).is_some()
            {
                return Some((tens + 1, i + 3));
            }
            return match lookup(FR_UNITS, self.word(i + 1)) {
                Some(unit @ 2..=9) => Some((tens + unit, i + 2)),
                _ => Some((tens, i + 1)),
            };
        }
        if let Some(tens) = lookup(EN_TENS, Some(first)) {
            return match lookup(EN_UNITS, self.word(i + 1)) {
                Some(unit @ 1..=9) => Some((tens + unit, i + 2)),
                _ => Some((tens, i + 1)),
            };
        }
        // Single number words: only plausible ages (avoids "I'm one of them").
        lookup(FR_UNITS, Some(first))
            .or_else(|| lookup(EN_UNITS, Some(first)))
            .filter(|&v| v >= 5)
            .map(|v| (v, i + 1))
    }

    /// "14 ans et demi", "14 years old", "14 yo" opening the message.
    fn leading_age(&self) -> Option<u32> {
        let start = self.skip(
            0,
            &["moi", "bah", "ben", "euh", "well", "um", "uh", "me"],
            2,
        );
        let (age, next) = self.number(start)?;
        if let Some(after) = self.any_seq(next, &[&["ans"], &["an"]]) {
            let after = self
                .seq(after, &["et", "demi"])
                .or_else(|| self.seq(after, &["et", "demie"]))
                .unwrap_or(after);
            let closes = self.ends_at(after)
                || self.seq(after, &["et", "toi"]).is_some()
                || self.seq(after, &["et", "vous"]).is_some()
                || matches!(self.word(after), Some("mdr" | "lol" | "moi"));
            return closes.then_some(age);
        }
        self.english_unit(next).then_some(age)
    }

    /// "years old", "yo", "y/o", "yrs old" at `i`.
    fn english_unit(&self, i: usize) -> bool {
        match self.word(i) {
            Some("years" | "year" | "yrs" | "yr") => self.seq(i + 1, &["old"]).is_some(),
            Some("yo" | "yso") => true,
            Some("y") => {
                self.seq(i + 1, &["o"]).is_some()
                    || (self.0.get(i + 1) == Some(&Token::Punct('/'))
                        && self.seq(i + 2, &["o"]).is_some())
            }
            _ => false,
        }
    }

    fn english_at(&self, i: usize) -> Option<u32> {
        let after_subject = self.any_seq(
            i,
            &[
                &["i", "am"],
                &["i", "m"],
                &["im"],
                &["i", "turned"],
                &["i", "just", "turned"],
                &["my", "age", "is"],
            ],
        )?;
        let mut j = self.skip(after_subject, EN_FILLERS, 3);
        let article = self.word(j) == Some("a");
        if article {
            j += 1;
        }
        let (age, next) = self.number(j)?;
        if self.english_unit(next) {
            return Some(age);
        }
        if article {
            // "I'm a 14 year old": only with a unit.
            return matches!(self.word(next), Some("year" | "yr")).then_some(age);
        }
        let follows = match self.word(next) {
            Some("years" | "year" | "yrs") => {
                self.ends_at(next + 1) || matches!(self.word(next + 1), Some("and" | "but"))
            }
            Some(w) => EN_FOLLOWERS.contains(&w),
            None => self.ends_at(next),
        };
        follows.then_some(age)
    }

    /// A school year that implies a minor, stated at `i`.
    fn school_at(&self, i: usize) -> bool {
        if let Some(j) = self.any_seq(
            i,
            &[
                &["je", "suis", "en"],
                &["j", "suis", "en"],
                &["jsuis", "en"],
            ],
        ) {
            let numbered = match (self.0.get(j), self.word(j + 1)) {
                (Some(Token::Number(n)), Some("e" | "eme" | "em" | "ieme")) => {
                    matches!(*n, "3" | "4" | "5" | "6")
                }
                _ => false,
            };
            let named = matches!(
                self.word(j),
                Some("sixieme" | "cinquieme" | "quatrieme" | "troisieme" | "seconde" | "cm" | "ce")
            );
            let premiere = matches!(self.word(j), Some("premiere" | "terminale"))
                && !matches!(
                    self.word(j + 1),
                    Some("classe" | "ligne" | "position" | "place")
                );
            return numbered || named || premiere;
        }
        if let Some(j) = self.any_seq(
            i,
            &[
                &["je", "suis", "au"],
                &["j", "suis", "au"],
                &["jsuis", "au"],
                &["je", "vais", "au"],
            ],
        ) {
            return matches!(self.word(j), Some("college" | "lycee"));
        }
        let Some(j) = self.any_seq(i, &[&["i", "m", "in"], &["im", "in"], &["i", "am", "in"]])
        else {
            return false;
        };
        let grade = matches!(self.0.get(j), Some(Token::Number(n)) if n.parse::<u32>().is_ok_and(|g| (5..=12).contains(&g)))
            && matches!(self.word(j + 1), Some("th" | "st" | "nd" | "rd"))
            && self.word(j + 2) == Some("grade");
        let school = self
            .any_seq(
                j,
                &[
                    &["middle", "school"],
                    &["junior", "high"],
                    &["high", "school"],
                    &["grade", "school"],
                ],
            )
            .is_some();
        let year = self.word(j) == Some("year")
            && matches!(self.0.get(j + 1), Some(Token::Number(n)) if n.parse::<u32>().is_ok_and(|y| (6..=13).contains(&y)));
        grade || school || year
    }

    fn french_at(&self, i: usize) -> Option<u32> {
        let after_subject = self.any_seq(
            i,
            &[
                &["j", "ai"],
                &["jai"],
                &["je", "suis", "age", "de"],
                &["je", "suis", "agee", "de"],
                &["je", "viens", "d", "avoir"],
                &["je", "viens", "de", "fete", "mes"],
                &["je", "vais", "avoir"],
                &["je", "fete", "mes"],
            ],
        )?;
        let j = self.skip(after_subject, FR_FILLERS, 3);
        let (age, next) = self.number(j)?;
        let after = self.any_seq(next, &[&["ans"], &["an"]])?;
        let follows = self.ends_at(after)
            || match self.word(after) {
                Some(w) => FR_FOLLOWERS.contains(&w),
                None => false,
            };
        follows.then_some(age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The shortcut for texts without a number never hides an age a full reading finds.
        #[test]
        fn texts_skipped_for_want_of_a_number_state_no_age(
            words in prop::collection::vec(prop::sample::select(vec![
                "j'ai", "J’AI", "jai", "I'm", "im", "i", "am", "just", "turned", "a", "year",
                "years", "old", "yo", "y/o", "ans", "an", "et", "demi", "Quinze", "SEIZE",
                "dix", "sept", "vingt", "un", "une", "deux", "quatre", "trois", "five", "four",
                "twenty", "one", "fourteen", "15", "15ans", "cent", "moi", "lol", ",", ".", "!",
                "quinzaine", "seizième", "ving", "j'ai bientôt", "Ⅻ", "１５", "⁴", "se\u{ad}ize",
                "ＱＵＩＮＺＥ", "vingt-deux", "Sixty", "twelve-year-old", "élève", "—",
            ]), 0..8),
        ) {
            let text = words.join(" ");
            let folded = fold(&text);
            let full = read_age(&folded);
            prop_assert_eq!(stated_age(&text), full);
            let match_form = crate::safety::fold::match_form(&text, false);
            prop_assert_eq!(may_hold_number(&match_form), may_hold_number(&folded));
            prop_assert_eq!(stated_age_folded(&text, &match_form), full);
            if full.is_some() {
                prop_assert!(may_hold_number(&folded));
            }
        }
    }

    #[test]
    fn number_words_have_from_three_to_nine_letters() {
        assert!(NUMBER_STARTS.iter().all(|w| (3..=9).contains(&w.len())));
        assert!(NUMBER_STARTS.contains("six") && NUMBER_STARTS.contains("cinquante"));
        assert!(NUMBER_STARTS.iter().all(|w| is_number_start_folded(w)));
        for word in [
            "un",
            "deux",
            "quatre",
            "one",
            "cent",
            "siege",
            "neige",
            "quinzaine",
            "",
        ] {
            assert!(!is_number_start_folded(word), "{word}");
        }
    }

    #[test]
    fn french_statements() {
        for (text, age) in [
            ("j'ai 15 ans", 15),
            ("j’ai 15ans", 15),
            ("J'AI 15 ANS !", 15),
            ("jai 14 ans et toi", 14),
            ("Salut, moi j'ai 13 ans et je m'ennuie", 13),
            ("j'ai que 12 ans mdr", 12),
            ("j'ai bientôt 16 ans", 16),
            ("j'ai 15 ans et demi", 15),
            ("15 ans et demi", 15),
            ("14 ans, et toi ?", 14),
            ("j'ai quinze ans", 15),
            ("j'ai dix-sept ans", 17),
            ("j'ai vingt et un ans", 21),
            ("j'ai trente-deux ans", 32),
            ("je suis âgée de 16 ans", 16),
            ("je viens d'avoir 18 ans", 18),
            ("j'ai eu 13 ans hier", 13),
            ("j'ai 40 ans.", 40),
        ] {
            assert_eq!(stated_age(text), Some(age), "{text}");
        }
    }

    #[test]
    fn english_statements() {
        for (text, age) in [
            ("I'm 14", 14),
            ("im 14 lol", 14),
            ("I am 14 years old", 14),
            ("i'm 14 yo", 14),
            ("i’m 14yo btw", 14),
            ("I'm only 13.", 13),
            ("I am a 15 year old girl", 15),
            ("I'm fourteen", 14),
            ("i'm twenty one and bored", 21),
            ("I just turned 16!", 16),
            ("my age is 12", 12),
            ("16 y/o here", 16),
            ("14 years old, from Ohio", 14),
            ("hi, I'm 17 and I love horror films", 17),
        ] {
            assert_eq!(stated_age(text), Some(age), "{text}");
        }
    }

    #[test]
    fn minors_by_age_or_school_year() {
        for text in [
            "je suis en 4e",
            "je suis en 3ème au collège",
            "jsuis en seconde",
            "je suis au collège",
            "I'm in 8th grade",
            "im in middle school",
            "I am in year 9",
            "I'm 15",
            "j'ai 12 ans",
        ] {
            assert!(states_minor(text), "{text}");
        }
        for text in [
            "je suis en première classe",
            "je suis en retard",
            "I'm in grad school",
            "I'm in year 2 of my PhD",
            "my son is in 8th grade",
            "I'm 25",
            "",
        ] {
            assert!(!states_minor(text), "{text}");
        }
    }

    #[test]
    fn not_self_statements() {
        for text in [
            "my son is 14",
            "mon fils a 14 ans",
            "I'm 14 minutes late",
            "I'm 5 minutes away",
            "15 ans de carrière",
            "j'ai 15 ans d'expérience",
            "j'ai 15 ans de retard sur mes séries",
            "j'ai un fils de 15 ans",
            "I'm 100% sure",
            "I'm 6'2",
            "I'm 2nd in line",
            "I'm one of them",
            "ça fait 2 ans et demi que je cuisine",
            "il y a 15 ans j'habitais à Lyon",
            "I have 14 cats",
            "j'ai 1 an de plus que toi",
            "j'ai 3 chats",
            "I'm in room 14",
            "I am 30 years into this job",
            "",
            "🙂🙂",
            "j'ai",
            "I'm",
        ] {
            assert_eq!(stated_age(text), None, "{text}");
        }
    }
}
