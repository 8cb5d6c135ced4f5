//! The language a text is written in, from the text itself (the `whatlang` trigram models).
//!
//! Imports use it for the user's language in a chat (over all of the user's messages together)
//! and for a character card's language. Short or mixed texts give no reliable answer; callers
//! then fall back to the French/English word count of [`super::card::guess_language`].

use crate::model::Lang;

/// A language found in a text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detected {
    /// ISO 639-1 code when the language has one (`de`), else ISO 639-3 (`yue`).
    pub code: &'static str,
    /// The language's English name ("German").
    pub name: &'static str,
    /// Whether Relance has texts in it.
    pub lang: Option<Lang>,
    /// The detector's confidence, 0 to 1.
    pub confidence: f64,
}

/// Below this many letters a text is too short to tell its language.
const MIN_LETTERS: usize = 12;

/// The language of `text`, when the detector is confident enough.
pub fn detect(text: &str) -> Option<Detected> {
    if text.chars().filter(|c| c.is_alphabetic()).count() < MIN_LETTERS {
        return None;
    }
    let info = whatlang::detect(text)?;
    if !info.is_reliable() && info.confidence() < 0.5 {
        return None;
    }
    let code = iso_639_1(info.lang());
    Some(Detected {
        code,
        name: info.lang().eng_name(),
        lang: Lang::from_locale(code),
        confidence: info.confidence(),
    })
}

/// The two-letter code of a language, or its three-letter code when it has none.
fn iso_639_1(lang: whatlang::Lang) -> &'static str {
    use whatlang::Lang as L;
    match lang {
        L::Eng => "en",
        L::Fra => "fr",
        L::Deu => "de",
        L::Spa => "es",
        L::Ita => "it",
        L::Por => "pt",
        L::Nld => "nl",
        L::Swe => "sv",
        L::Dan => "da",
        L::Nob => "nb",
        L::Fin => "fi",
        L::Pol => "pl",
        L::Ces => "cs",
        L::Slk => "sk",
        L::Hun => "hu",
        L::Ron => "ro",
        L::Tur => "tr",
        L::Rus => "ru",
        L::Ukr => "uk",
        L::Ell => "el",
        L::Heb => "he",
        L::Ara => "ar",
        L::Pes => "fa",
        L::Hin => "hi",
        L::Cmn => "zh",
        L::Jpn => "ja",
        L::Kor => "ko",
        L::Vie => "vi",
        L::Tha => "th",
        L::Ind => "id",
        L::Cat => "ca",
        L::Hrv => "hr",
        L::Srp => "sr",
        L::Bul => "bg",
        L::Lit => "lt",
        L::Lav => "lv",
        L::Est => "et",
        L::Slv => "sl",
        L::Epo => "eo",
        other => other.code(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_chats_are_told_apart() {
        let cases = [
            (
                "Hallo Anna, wie geht es dir? Ich habe heute keine Zeit, aber morgen gehen wir ins Kino.",
                "de",
                None,
            ),
            (
                "Salut Ben, tu viens ce soir ? On regarde un film chez moi, j'ai acheté du pop-corn.",
                "fr",
                Some(Lang::Fr),
            ),
            (
                "Hey Anna, are you coming tonight? We are watching a movie at my place, I bought popcorn.",
                "en",
                Some(Lang::En),
            ),
            (
                "Hola Ben, ¿vienes esta noche? Vamos a ver una película en mi casa, compré palomitas.",
                "es",
                None,
            ),
        ];
        for (text, code, lang) in cases {
            let found = detect(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!((found.code, found.lang), (code, lang), "{text}");
        }
    }

    #[test]
    fn short_texts_tell_nothing() {
        assert_eq!(detect("ok"), None);
        assert_eq!(detect("👍 !!"), None);
    }
}
