//! The persona's voice: greetings, sign-offs, signature phrases and emoji picked without
//! randomness, `tu`/`vous` detection in French, and the generic lines of last resort.

use crate::model::Lang;
use crate::model::Persona;
use crate::model::persona::{EmojiUse, Formality};

use super::text::tokens;

/// The phrasings picked for one nudge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Voice {
    /// One of the persona's greetings in the nudge's language.
    pub greeting: Option<String>,
    /// One of its sign-offs.
    pub signoff: Option<String>,
    /// One of its signature phrases.
    pub signature: Option<String>,
    /// The emoji to hand out, in order, to the template's `{emoji}` placeholders: none without
    /// emoji, one for light use, the whole set (rotated) for frequent use.
    pub emoji: Vec<String>,
}

impl Voice {
    /// Picks the phrasings of `persona` in `lang` for the choice hash `hash`.
    pub fn pick(persona: &Persona, lang: Lang, hash: u64) -> Self {
        Self::pick_after(persona, lang, hash, None)
    }

    /// [`Voice::pick`], avoiding the greeting, sign-off and signature phrase of `previous`, the
    /// text of the previous nudge to the same user, wherever the persona has another one: two
    /// nudges in a row do not open or close with the same words.
    pub fn pick_after(persona: &Persona, lang: Lang, hash: u64, previous: Option<&str>) -> Self {
        let line = |lines: Option<&Vec<String>>, salt: u64| -> Option<String> {
            let lines = lines?;
            let n = lines.len();
            let start = (mix(hash, salt) % n.max(1) as u64) as usize;
            let used =
                |l: &String| previous.is_some_and(|p| !l.is_empty() && p.contains(l.as_str()));
            (0..n)
                .map(|k| &lines[(start + k) % n])
                .find(|l| !used(l))
                .or_else(|| lines.get(start))
                .cloned()
        };
        let set = &persona.tone.emoji_set;
        let emoji = if set.is_empty() {
            Vec::new()
        } else {
            let start = (mix(hash, 4) % set.len() as u64) as usize;
            let rotated = set.iter().cycle().skip(start).take(set.len()).cloned();
            match persona.tone.emoji {
                EmojiUse::None => Vec::new(),
                EmojiUse::Light => rotated.take(1).collect(),
                EmojiUse::Frequent => rotated.collect(),
            }
        };
        Self {
            greeting: line(persona.greetings.get(&lang), 1),
            signoff: line(persona.signoffs.get(&lang), 2),
            signature: line(persona.signature_phrases.get(&lang), 3),
            emoji,
        }
    }

    /// The emoji for the `n`-th `{emoji}` of a template (0-based): empty once they run out.
    pub fn emoji(&self, n: usize) -> String {
        self.emoji.get(n).cloned().unwrap_or_default()
    }
}

/// A second, independent hash from `hash` and `salt` (SplitMix64 finaliser).
pub fn mix(hash: u64, salt: u64) -> u64 {
    let mut z = hash ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A French word that addresses the reader as `tu` or as `vous`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressWord {
    /// Which form it belongs to.
    pub formality: Formality,
    /// The word as written ("as-tu" gives "tu", "t'as" gives "t").
    pub word: String,
    /// Its byte offset in the text.
    pub offset: usize,
}

/// The French words of `text` that address the reader, in order: `tu`, `te`, `t'`, `toi`, `ton`,
/// `ta`, `tes`, `tien(ne)(s)` for `tu`; `vous`, `votre`, `vos`, `vôtre(s)` for `vous`. The
/// euphonic `t` ("a-t-il") and the noun "ton" ("le ton", "un ton") are not forms of address.
pub fn address_words(text: &str) -> Vec<AddressWord> {
    let words = tokens(text);
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let after = text[w.end..].chars().next();
        let before = text[..w.start].chars().next_back();
        let previous = i.checked_sub(1).map(|p| words[p].key.as_ref());
        let formality = match w.key.as_ref() {
            "tu" | "te" | "toi" | "ta" | "tes" | "tienne" | "tiennes" | "tien" => {
                Some(Formality::Tu)
            }
            "ton"
                if !matches!(
                    previous,
                    Some("le" | "un" | "du" | "au" | "ce" | "quel" | "meme")
                ) =>
            {
                Some(Formality::Tu)
            }
            "t" if matches!(after, Some('\'' | '’')) && before != Some('-') => {
                Some(Formality::Tu)
            }
            "vous" | "votre" | "vos" | "votres" => Some(Formality::Vous),
            _ => None,
        };
        if let Some(formality) = formality {
            out.push(AddressWord {
                formality,
                word: w.text.to_owned(),
                offset: w.start,
            });
        }
    }
    out
}

/// The first word of `text` that addresses the reader otherwise than `formality` does.
pub fn address_mismatch(text: &str, formality: Formality) -> Option<AddressWord> {
    address_words(text)
        .into_iter()
        .find(|w| w.formality != formality)
}

/// `tu` or `vous`.
pub fn formality_word(formality: Formality) -> &'static str {
    match formality {
        Formality::Tu => "tu",
        Formality::Vous => "vous",
    }
}

/// The built-in generic lines of last resort, as `(id, template)` in `lang` and the persona's
/// formality; two of them, so that two consecutive fallbacks differ. They do not introduce the
/// persona by name: its greeting often does ("Salut, c'est ton Maestro !"), and the channel
/// shows who writes.
pub fn fallback_templates(lang: Lang, formality: Formality) -> [(&'static str, &'static str); 2] {
    match (lang, formality) {
        (Lang::Fr, Formality::Tu) => [
            (
                "fallback",
                "{greeting} Je pensais à notre dernière conversation : je suis là si tu veux la reprendre.",
            ),
            (
                "fallback-alt",
                "{greeting} Un petit mot pour te dire que je suis là, si tu as envie de reprendre le fil de nos échanges.",
            ),
        ],
        (Lang::Fr, Formality::Vous) => [
            (
                "fallback",
                "{greeting} Je pensais à notre dernière conversation : je suis là si vous souhaitez la reprendre.",
            ),
            (
                "fallback-alt",
                "{greeting} Un petit mot pour vous dire que je suis là, si vous avez envie de reprendre le fil de nos échanges.",
            ),
        ],
        (Lang::En, _) => [
            (
                "fallback",
                "{greeting} I was thinking of our last conversation: I'm here if you'd like to pick it up again.",
            ),
            (
                "fallback-alt",
                "{greeting} Just a quick note to say I'm here, whenever you feel like picking up where we left off.",
            ),
        ],
    }
}

/// The greeting of the generic lines when the persona has none in `lang`.
pub fn default_greeting(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "Bonjour !",
        Lang::En => "Hello!",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forms(text: &str) -> Vec<(Formality, String)> {
        address_words(text)
            .into_iter()
            .map(|w| (w.formality, w.word))
            .collect()
    }

    #[test]
    fn tu_and_vous_forms_are_found() {
        assert_eq!(
            forms("As-tu vu ton film ? Je t'en parle."),
            [
                (Formality::Tu, "tu".into()),
                (Formality::Tu, "ton".into()),
                (Formality::Tu, "t".into())
            ]
        );
        assert_eq!(
            forms("Avez-vous aimé votre soirée ?"),
            [
                (Formality::Vous, "vous".into()),
                (Formality::Vous, "votre".into())
            ]
        );
    }

    #[test]
    fn euphonic_t_and_the_noun_ton_are_not_address() {
        assert!(forms("Y a-t-il un ton plus juste ? Le ton est donné.").is_empty());
        assert!(forms("Bonne séance, à bientôt !").is_empty());
    }

    #[test]
    fn a_mismatch_names_the_first_wrong_word() {
        let m = address_mismatch("Bonjour ! Vous avez vu ? Tu me dis.", Formality::Vous);
        assert_eq!(m.map(|w| (w.word, w.offset)), Some(("Tu".to_owned(), 25)));
        assert!(address_mismatch("Tu me dis ?", Formality::Tu).is_none());
    }

    #[test]
    fn fallbacks_keep_the_persona_formality() {
        for formality in [Formality::Tu, Formality::Vous] {
            for (_, line) in fallback_templates(Lang::Fr, formality) {
                assert!(address_mismatch(line, formality).is_none(), "{line}");
                assert!(!address_words(line).is_empty(), "{line}");
            }
        }
    }

    #[test]
    fn the_previous_nudges_phrasings_are_avoided() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/personas/cinema-maestro.ron");
        let p = Persona::load(path.as_ref()).expect("loads");
        for h in 0..64 {
            let first = Voice::pick(&p, Lang::Fr, h);
            let text = format!(
                "{} Un film ? {} {}",
                first.greeting.clone().unwrap_or_default(),
                first.signature.clone().unwrap_or_default(),
                first.signoff.clone().unwrap_or_default()
            );
            let next = Voice::pick_after(&p, Lang::Fr, h, Some(&text));
            assert_ne!(next.greeting, first.greeting);
            assert_ne!(next.signoff, first.signoff);
            assert_ne!(next.signature, first.signature);
        }
        // With a single line there is nothing else to say.
        let mut one = p.clone();
        one.signoffs.insert(Lang::Fr, vec!["Bonne séance !".into()]);
        let again = Voice::pick_after(&one, Lang::Fr, 3, Some("Salut ! Bonne séance !"));
        assert_eq!(again.signoff.as_deref(), Some("Bonne séance !"));
    }

    #[test]
    fn picks_depend_only_on_the_hash() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/personas/cinema-maestro.ron");
        let p = Persona::load(path.as_ref()).expect("loads");
        assert_eq!(Voice::pick(&p, Lang::Fr, 7), Voice::pick(&p, Lang::Fr, 7));
        let greetings: std::collections::BTreeSet<_> = (0..64)
            .filter_map(|h| Voice::pick(&p, Lang::Fr, h).greeting)
            .collect();
        assert_eq!(
            greetings.len(),
            p.greetings[&Lang::Fr].len(),
            "every greeting comes up"
        );
        assert_eq!(Voice::pick(&p, Lang::Fr, 7).emoji.len(), 1, "light use");
    }
}
