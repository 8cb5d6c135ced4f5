//! Filling templates: named placeholders, agreement with topics, French elision and contraction.
//!
//! A template is text with `{placeholders}` ([`crate::model::placeholder::PLACEHOLDERS`], whose
//! syntax the model parses). Besides those, an **agreement**
//! `{topic:nouveaux/nouvelles}` picks the form that agrees with the topic the nudge echoes
//! (`topic` or `topic2`), from the topic's grammar in the template's language: two forms are
//! masculine/feminine, four forms are masculine singular / feminine singular / masculine plural /
//! feminine plural; forms may be empty (`préféré{topic:/e/s/es}`).
//!
//! In French, inserted words are joined as French requires: "de" + "Ennio Morricone" gives
//! "d'Ennio Morricone", "à" + "Le Seigneur des anneaux" gives "au Seigneur des anneaux", and
//! before a vowel "du" + "orchestre" gives "de l'orchestre", "ce" + "opéra" gives "cet opéra",
//! "nouveau" + "album" gives "nouvel album", "ta" + "émission" gives "ton émission". In English,
//! "a" + "Oppenheimer" gives "an Oppenheimer". A count of days takes the singular unit where it
//! should ("1 jour", "1 day"). A value
//! that opens a sentence is capitalised. Spaces left by empty values are tidied.

use crate::model::Lang;
use crate::model::persona::{Gender, Grammar, Number};
/// The slot grammar is the persona file's (the model's); the composer fills its slots.
pub use crate::model::placeholder::Slot;
use crate::model::placeholder::{parse_slot, placeholders};

/// The slots of a template text, in order (malformed or unknown ones left out).
pub fn slots(text: &str) -> Vec<Slot<'_>> {
    Template::parse(text).slots().cloned().collect()
}

/// A template text with its placeholders found and parsed once: the composer checks, ranks
/// and fills each template of a nudge without reading it again.
#[derive(Clone, Debug)]
pub struct Template<'a> {
    text: &'a str,
    /// Its placeholders in order, or why its braces do not pair.
    refs: Result<Vec<SlotRef<'a>>, String>,
}

/// A placeholder of a [`Template`].
#[derive(Clone, Debug)]
struct SlotRef<'a> {
    /// The text between the braces.
    name: &'a str,
    /// The byte offset of the `{`.
    start: usize,
    /// Its slot, or why it is not one.
    slot: Result<Slot<'a>, String>,
}

impl<'a> Template<'a> {
    /// The template of `text`.
    pub fn parse(text: &'a str) -> Self {
        let refs = placeholders(text).map(|refs| {
            refs.into_iter()
                .map(|r| SlotRef {
                    name: r.name,
                    start: r.start,
                    slot: parse_slot(r.name),
                })
                .collect()
        });
        Self { text, refs }
    }

    /// Its slots in order, malformed or unknown ones left out ([`slots`]).
    pub fn slots(&self) -> impl Iterator<Item = &Slot<'a>> {
        self.refs
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter_map(|r| r.slot.as_ref().ok())
    }

    /// Whether [`Template::fill`] would fill the template, and if not the same reason, without
    /// building the text.
    pub fn fillable(
        &self,
        value: impl Fn(&Slot<'_>) -> Result<Piece, String>,
    ) -> Result<(), String> {
        self.refs
            .as_ref()
            .map_err(Clone::clone)?
            .iter()
            .try_for_each(|r| r.value(&value).map(drop))
    }

    /// Fills the template in `lang`; `value` gives each slot's value or why it has none. The
    /// error names the placeholder that could not be filled and why.
    pub fn fill(
        &self,
        lang: Lang,
        value: impl Fn(&Slot<'_>) -> Result<Piece, String>,
    ) -> Result<Filled, String> {
        let text = self.text;
        let refs = self.refs.as_ref().map_err(Clone::clone)?;
        let mut out = String::with_capacity(text.len() + 64);
        let mut voice = String::with_capacity(text.len() + 64);
        let mut params = Vec::with_capacity(refs.len());
        let mut at = 0;
        for r in refs {
            out.push_str(&text[at..r.start]);
            voice.push_str(&text[at..r.start]);
            let piece = r.value(&value)?;
            join(&mut out, &piece.text, lang);
            let inserted = join(&mut voice, &piece.text, lang);
            if piece.origin == Origin::Echo && !inserted.is_empty() {
                let cut = voice.len() - inserted.len();
                voice.truncate(cut);
                voice.push('…');
            }
            at = r.start + r.name.len() + 2;
            if r.slot == Ok(Slot::Named("days_since"))
                && let Some((singular, len)) = singular_unit(&text[at..], &piece.text, lang)
            {
                out.push_str(singular);
                voice.push_str(singular);
                at += len;
            }
            params.push(piece.text);
        }
        out.push_str(&text[at..]);
        voice.push_str(&text[at..]);
        Ok(Filled {
            text: tidy(&out, lang),
            voice_text: tidy(&voice, lang),
            params,
        })
    }
}

impl SlotRef<'_> {
    /// The placeholder's value; the error names the placeholder.
    fn value(&self, value: impl Fn(&Slot<'_>) -> Result<Piece, String>) -> Result<Piece, String> {
        let slot = self.slot.as_ref().map_err(Clone::clone)?;
        value(slot).map_err(|why| format!("{{{}}}: {why}", self.name))
    }
}

/// The form of an agreement for a topic of `grammar`.
pub fn agree<'a>(forms: &[&'a str], grammar: Grammar) -> &'a str {
    let gender = usize::from(grammar.gender == Gender::Feminine);
    let index = if forms.len() == 4 {
        gender + 2 * usize::from(grammar.number == Number::Plural)
    } else {
        gender
    };
    forms.get(index).copied().unwrap_or("")
}

/// Where a filled value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The persona's own words (greetings, sign-offs, agreement forms).
    Voice,
    /// Words from the conversation or the user's profile (names, topics).
    Echo,
}

/// The value of one placeholder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    /// The text to insert.
    pub text: String,
    /// Where it comes from.
    pub origin: Origin,
}

impl Piece {
    /// The persona's own words.
    pub fn voice(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            origin: Origin::Voice,
        }
    }

    /// Words from the conversation.
    pub fn echo(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            origin: Origin::Echo,
        }
    }
}

/// A filled template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filled {
    /// The text.
    pub text: String,
    /// The same text with echoed words replaced by `…`: what the persona itself says, for the
    /// `tu`/`vous` check (a film called "Rendez-vous" is not the persona saying "vous").
    pub voice_text: String,
    /// The values in placeholder order, as a WhatsApp template's parameters.
    pub params: Vec<String>,
}

/// Whether [`fill`] would fill `text`, and if not the same reason, without building the text.
pub fn fillable(
    text: &str,
    value: impl Fn(&Slot<'_>) -> Result<Piece, String>,
) -> Result<(), String> {
    Template::parse(text).fillable(value)
}

/// Fills `text` in `lang` ([`Template::fill`]).
pub fn fill(
    text: &str,
    lang: Lang,
    value: impl Fn(&Slot<'_>) -> Result<Piece, String>,
) -> Result<Filled, String> {
    Template::parse(text).fill(lang, value)
}

/// The plural units a count of days may be followed by in a template, with their singular.
const DAY_UNITS: [(&str, &str); 2] = [(" jours", " jour"), (" days", " day")];

/// When `count` takes the singular in `lang` (1 in English; 0 and 1 in French) and `rest`, the
/// template text after it, opens with a plural unit ("{days_since} jours"), the singular unit
/// and the length of the plural one: "1 jour", "1 day", not "1 jours".
fn singular_unit(rest: &str, count: &str, lang: Lang) -> Option<(&'static str, usize)> {
    let n: i64 = count.trim().parse().ok()?;
    let singular = match lang {
        Lang::Fr => n == 0 || n == 1,
        Lang::En => n == 1,
    };
    if !singular {
        return None;
    }
    DAY_UNITS.iter().find_map(|(plural, one)| {
        let head = rest.get(..plural.len())?;
        let whole_word = rest[plural.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        (head.eq_ignore_ascii_case(plural) && whole_word).then_some((*one, plural.len()))
    })
}

/// Appends `piece` to `out`, capitalising it at a sentence start and, in French, eliding or
/// contracting the word before it. Returns the text appended.
pub fn join(out: &mut String, piece: &str, lang: Lang) -> String {
    let mut piece = piece.to_owned();
    match lang {
        Lang::Fr => piece = french_junction(out, &piece),
        Lang::En => english_junction(out, &piece),
    }
    let before = out.trim_end();
    if before.is_empty() || before.ends_with(['.', '!', '?', '…']) {
        piece = capitalise(&piece);
    }
    out.push_str(&piece);
    piece
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if first.is_lowercase() => first.to_uppercase().chain(chars).collect(),
        _ => text.to_owned(),
    }
}

/// Whether `out` ends with the word `word` and one space (any case for the first letter).
fn ends_with_word(out: &str, word: &str) -> bool {
    let Some(rest) = out.strip_suffix(' ') else {
        return false;
    };
    if rest.len() < word.len() || !rest.is_char_boundary(rest.len() - word.len()) {
        return false;
    }
    let (head, tail) = rest.split_at(rest.len() - word.len());
    lowercase_is(tail, word)
        && head
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric() && c != '-')
}

/// Whether `text` lowercased is `lower`, without making the lowercase text: junctions compare
/// the end of the text so far with a few dozen words at every placeholder.
fn lowercase_is(text: &str, lower: &str) -> bool {
    text.chars().flat_map(char::to_lowercase).eq(lower.chars())
}

fn starts_with_vowel(text: &str) -> bool {
    text.chars().next().is_some_and(|c| {
        matches!(
            c.to_lowercase().next().unwrap_or(c),
            'a' | 'e'
                | 'i'
                | 'o'
                | 'u'
                | 'à'
                | 'â'
                | 'é'
                | 'è'
                | 'ê'
                | 'ë'
                | 'î'
                | 'ï'
                | 'ô'
                | 'ù'
                | 'û'
                | 'œ'
        )
    })
}

/// English "a" before a vowel: "a Interstellar" → "an Interstellar". Only a, e, i and o count:
/// a word starting with `u` is as often "a Unicorn" as "an Umbrella".
fn english_junction(out: &mut String, piece: &str) {
    let vowel = piece
        .chars()
        .next()
        .is_some_and(|c| matches!(c.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o'));
    if vowel && ends_with_word(out, "a") {
        // Insert "n" after the "a".
        let at = out.len() - 1;
        out.insert(at, 'n');
    }
}

/// French contraction ("à le" → "au") and elision ("de Ennio" → "d'Ennio") at the junction of
/// `out` and `piece`; edits `out` and returns the piece to append.
fn french_junction(out: &mut String, piece: &str) -> String {
    const CONTRACTIONS: [(&str, &str, &str); 4] = [
        ("à", "le ", "au "),
        ("à", "les ", "aux "),
        ("de", "le ", "du "),
        ("de", "les ", "des "),
    ];
    for (prep, article, contracted) in CONTRACTIONS {
        let starts = piece
            .get(..article.len())
            .is_some_and(|p| lowercase_is(p, article));
        if starts && ends_with_word(out, prep) {
            let cut = out.len() - prep.len() - 1;
            let capital = out[cut..].starts_with(|c: char| c.is_uppercase());
            out.truncate(cut);
            out.push_str(&if capital {
                capitalise(contracted)
            } else {
                contracted.to_owned()
            });
            return piece[article.len()..].to_owned();
        }
    }
    // Before a vowel: "du orchestre" → "de l'orchestre", "ce opéra" → "cet opéra",
    // "nouveau album" → "nouvel album", "ta émission" → "ton émission".
    const BEFORE_VOWEL: [(&str, &str); 8] = [
        ("du", "de l'"),
        ("au", "à l'"),
        ("ce", "cet "),
        ("nouveau", "nouvel "),
        ("beau", "bel "),
        ("ma", "mon "),
        ("ta", "ton "),
        ("sa", "son "),
    ];
    if starts_with_vowel(piece)
        && let Some((word, replacement)) = BEFORE_VOWEL.iter().find(|(w, _)| ends_with_word(out, w))
    {
        let cut = out.len() - word.len() - 1;
        let capital = out[cut..].starts_with(|c: char| c.is_uppercase());
        out.truncate(cut);
        out.push_str(&if capital {
            capitalise(replacement)
        } else {
            (*replacement).to_owned()
        });
        return piece.to_owned();
    }
    const ELIDED: [&str; 12] = [
        "de", "que", "le", "la", "je", "me", "te", "se", "ne", "jusque", "lorsque", "puisque",
    ];
    if starts_with_vowel(piece) && ELIDED.iter().any(|w| ends_with_word(out, w)) {
        // Drop the space and the final vowel: "de " → "d'".
        let cut = out.len() - 2;
        out.truncate(cut);
        out.push('\'');
    }
    piece.to_owned()
}

/// Collapses runs of spaces, trims lines, and removes spaces left before `,` and `.` (and, in
/// English, before `!?:;`) by empty values.
pub fn tidy(text: &str, lang: Lang) -> String {
    let mut out = String::with_capacity(text.len());
    let space = |b: &u8| *b == b' ' || *b == b'\t';
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line_start = out.len();
        // Words cut at the spaces and tabs by hand, a byte at a time: both are ASCII, so every
        // cut is a character boundary (`split` with two patterns costs more than the rest).
        let bytes = line.as_bytes();
        let mut at = 0;
        while let Some(skip) = bytes[at..].iter().position(|b| !space(b)) {
            let start = at + skip;
            let end = bytes[start..]
                .iter()
                .position(space)
                .map_or(bytes.len(), |n| start + n);
            let glue = matches!(bytes[start], b',' | b'.')
                || (lang == Lang::En && matches!(bytes[start], b'!' | b'?' | b':' | b';'));
            if out.len() > line_start && !glue {
                out.push(' ');
            }
            out.push_str(&line[start..end]);
            at = end;
        }
    }
    let trimmed = out.trim();
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// `tidy` in one pass gives what tidying line by line, word by word, gives.
        #[test]
        fn tidy_collapses_spaces_line_by_line(
            text in "[ a\t\n,.!?:;\u{a0}é]{0,30}",
            english in proptest::bool::ANY,
        ) {
            let lang = if english { Lang::En } else { Lang::Fr };
            let lines: Vec<String> = text
                .split('\n')
                .map(|line| {
                    let mut out = String::new();
                    for word in line.split([' ', '\t']).filter(|w| !w.is_empty()) {
                        let glue = word.starts_with([',', '.'])
                            || (lang == Lang::En && word.starts_with(['!', '?', ':', ';']));
                        if !out.is_empty() && !glue {
                            out.push(' ');
                        }
                        out.push_str(word);
                    }
                    out
                })
                .collect();
            let expected = lines.join("\n");
            proptest::prop_assert_eq!(tidy(&text, lang), expected.trim());
        }
    }

    proptest::proptest! {
        /// The junctions' comparison agrees with lowercasing the text.
        #[test]
        fn lowercase_is_comparing_lowercased(text in "[aAlLéÉeE àÀ'İ]{0,6}", other in "[ale éà']{0,6}") {
            proptest::prop_assert!(lowercase_is(&text, &text.to_lowercase()));
            proptest::prop_assert_eq!(lowercase_is(&text, &other), text.to_lowercase() == other);
        }
    }

    fn grammar(gender: Gender, number: Number) -> Grammar {
        Grammar { gender, number }
    }

    fn simple(text: &str, lang: Lang, values: &[(&str, &str)]) -> Result<String, String> {
        fill(text, lang, |slot| match slot {
            Slot::Named(n) => values
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| Piece::echo(*v))
                .ok_or_else(|| "nothing to fill it".to_owned()),
            Slot::Agreement { forms, .. } => Ok(Piece::voice(agree(
                forms,
                grammar(Gender::Feminine, Number::Plural),
            ))),
        })
        .map(|f| f.text)
    }

    #[test]
    fn agreement_picks_gender_and_number() {
        let forms = ["nouveau", "nouvelle", "nouveaux", "nouvelles"];
        assert_eq!(
            agree(&forms, grammar(Gender::Masculine, Number::Plural)),
            "nouveaux"
        );
        assert_eq!(
            agree(&forms, grammar(Gender::Feminine, Number::Singular)),
            "nouvelle"
        );
        assert_eq!(
            agree(&["bon", "bonne"], grammar(Gender::Feminine, Number::Plural)),
            "bonne"
        );
        assert_eq!(
            simple(
                "As-tu découvert de {topic:nouveaux/nouvelles} {topic} ?",
                Lang::Fr,
                &[("topic", "musiques de film")]
            )
            .as_deref(),
            Ok("As-tu découvert de nouvelles musiques de film ?")
        );
    }

    #[test]
    fn french_elides_and_contracts_at_junctions() {
        let fr = |t: &str, v: &str| simple(t, Lang::Fr, &[("mention", v)]);
        assert_eq!(
            fr("La musique de {mention} !", "Ennio Morricone").as_deref(),
            Ok("La musique d'Ennio Morricone !")
        );
        assert_eq!(
            fr("Je repensais à {mention}.", "Le Seigneur des anneaux").as_deref(),
            Ok("Je repensais au Seigneur des anneaux.")
        );
        assert_eq!(
            fr("La BO de {mention}.", "Les Parapluies de Cherbourg").as_deref(),
            Ok("La BO des Parapluies de Cherbourg.")
        );
        assert_eq!(
            fr("Je repensais à {mention}.", "La La Land").as_deref(),
            Ok("Je repensais à La La Land.")
        );
        assert_eq!(
            fr("Le thème de {mention}.", "Hans Zimmer").as_deref(),
            Ok("Le thème de Hans Zimmer.")
        );
        // Agreement forms before a vowel, wherever the topic's name starts with one.
        let topic = |t: &str, v: &str| {
            fill(t, Lang::Fr, |slot| {
                Ok(match slot {
                    Slot::Agreement { forms, .. } => {
                        Piece::voice(agree(forms, grammar(Gender::Masculine, Number::Singular)))
                    }
                    Slot::Named(_) => Piece::voice(v),
                })
            })
            .map(|f| f.text)
        };
        assert_eq!(
            topic(
                "Quoi de neuf du côté {topic:du/de la/des/des} {topic} ?",
                "orchestre"
            )
            .as_deref(),
            Ok("Quoi de neuf du côté de l'orchestre ?")
        );
        assert_eq!(
            topic("Du {topic} ? Au {topic} !", "opéra").as_deref(),
            Ok("De l'opéra ? À l'opéra !")
        );
        assert_eq!(
            topic(
                "Un {topic:nouveau/nouvelle} {topic} et ce {topic}.",
                "album"
            )
            .as_deref(),
            Ok("Un nouvel album et cet album.")
        );
        assert_eq!(
            topic("Ta {topic} préférée.", "émission").as_deref(),
            Ok("Ton émission préférée.")
        );
        assert_eq!(
            topic("Du {topic} et ce {topic}.", "cinéma").as_deref(),
            Ok("Du cinéma et ce cinéma.")
        );
        // Not inside a word: "vide" does not elide.
        assert_eq!(
            fr("Un vide {mention}.", "Interstellar").as_deref(),
            Ok("Un vide Interstellar.")
        );
        // English: "a" becomes "an" before a vowel.
        assert_eq!(
            simple(
                "A {mention} fan? Such a {mention} moment, a {topic} night.",
                Lang::En,
                &[("mention", "Oppenheimer"), ("topic", "classic")]
            )
            .as_deref(),
            Ok("An Oppenheimer fan? Such an Oppenheimer moment, a classic night.")
        );
        // Otherwise English is left alone.
        assert_eq!(
            simple(
                "The score of {mention}.",
                Lang::En,
                &[("mention", "Oppenheimer")]
            )
            .as_deref(),
            Ok("The score of Oppenheimer.")
        );
    }

    #[test]
    fn values_opening_a_sentence_are_capitalised_and_spaces_tidied() {
        assert_eq!(
            simple(
                "{topic} : quoi de neuf ? {emoji} {signoff}",
                Lang::Fr,
                &[
                    ("topic", "musiques de film"),
                    ("emoji", ""),
                    ("signoff", "Ciao !")
                ]
            )
            .as_deref(),
            Ok("Musiques de film : quoi de neuf ? Ciao !")
        );
        assert_eq!(
            simple("Hi {emoji}, there {emoji}.", Lang::En, &[("emoji", "")]).as_deref(),
            Ok("Hi, there.")
        );
    }

    #[test]
    fn one_day_is_singular() {
        let days = |t: &str, lang: Lang, n: &str| simple(t, lang, &[("days_since", n)]);
        assert_eq!(
            days("Ça fait {days_since} jours !", Lang::Fr, "1").as_deref(),
            Ok("Ça fait 1 jour !")
        );
        assert_eq!(
            days("Ça fait {days_since} jours.", Lang::Fr, "3").as_deref(),
            Ok("Ça fait 3 jours.")
        );
        assert_eq!(
            days(
                "It's been {days_since} days, {days_since} days!",
                Lang::En,
                "1"
            )
            .as_deref(),
            Ok("It's been 1 day, 1 day!")
        );
        assert_eq!(
            days("{days_since} days ago, {days_since} daysx", Lang::En, "0").as_deref(),
            Ok("0 days ago, 0 daysx")
        );
        assert_eq!(
            days("Depuis {days_since} jours", Lang::Fr, "0").as_deref(),
            Ok("Depuis 0 jour")
        );
    }

    #[test]
    fn a_missing_value_names_the_placeholder() {
        let err = simple("{greeting} {topic2}", Lang::En, &[("greeting", "Hi")]);
        assert_eq!(err, Err("{topic2}: nothing to fill it".to_owned()));
    }

    #[test]
    fn the_voice_text_hides_echoed_words() {
        let f = fill("Tu as revu {mention} ?", Lang::Fr, |_| {
            Ok(Piece::echo("Rendez-vous"))
        })
        .expect("fills");
        assert_eq!(f.text, "Tu as revu Rendez-vous ?");
        assert_eq!(f.voice_text, "Tu as revu … ?");
        assert_eq!(f.params, ["Rendez-vous"]);
    }

    #[test]
    fn a_parsed_template_says_what_is_wrong_in_placeholder_order() {
        let value = |slot: &Slot<'_>| match slot {
            Slot::Named("greeting") => Ok(Piece::voice("Salut")),
            _ => Err("nothing to echo".to_owned()),
        };
        // The first placeholder that cannot be filled is the one named, whether it has no
        // value or is not a placeholder at all.
        let unknown_first = Template::parse("{greeting} {nope} {mention}");
        let why = unknown_first.fillable(value).unwrap_err();
        assert!(why.starts_with("unknown placeholder `{nope}`"), "{why}");
        assert_eq!(unknown_first.fill(Lang::Fr, value).unwrap_err(), why);
        let empty_first = Template::parse("{greeting} {mention} {nope}");
        assert_eq!(
            empty_first.fillable(value).unwrap_err(),
            "{mention}: nothing to echo"
        );
        assert_eq!(
            empty_first.slots().collect::<Vec<_>>(),
            [&Slot::Named("greeting"), &Slot::Named("mention")]
        );
        let unpaired = Template::parse("{greeting} {mention");
        assert_eq!(
            unpaired.fillable(value).unwrap_err(),
            "a `{` is never closed"
        );
        assert_eq!(unpaired.slots().count(), 0);
        // Filled as often as asked, from the one parse.
        let greeting = Template::parse("{greeting}, ça va ?");
        for _ in 0..2 {
            assert_eq!(
                greeting.fill(Lang::Fr, value).unwrap().text,
                "Salut, ça va ?"
            );
        }
    }
}
