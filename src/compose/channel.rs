//! Channel rules and the output check every composed text passes before it is sent.
//!
//! - Length: at most [`Channel::max_chars`] characters.
//! - Markup: Messenger and Instagram show no formatting, so any Markdown or HTML mark would
//!   reach the user as raw characters; WhatsApp renders its own marks (`*bold*`, `_italic_`,
//!   `~strike~`, ```` ``` ````) but no Markdown links, double asterisks or HTML.
//! - WhatsApp: outside the 24-hour customer service window only approved templates may be
//!   sent, and their parameters may not be empty, hold line breaks or tabs, or more than four
//!   spaces in a row (Meta's rules for template parameters).
//! - Safety: no flag of any category from the same checker as user messages, and none of the
//!   persona's forbidden topics.
//! - Voice: in French, only the persona's form of address (`tu` or `vous`), never both.
//! - No repetition: the same two words in a row said twice ("…favorite movie night picks…
//!   your next movie night?"), as when a topic's name echoes words the template already says.

use crate::model::persona::Formality;
use crate::model::{Channel, Lang};
use crate::safety::SafetyChecker;

use super::memory::Recognizer;
use super::text::{Token, tokens, word_set};
use super::voice::{address_mismatch, formality_word};

/// How long after a user's message WhatsApp lets a business reply with free-form text; after
/// that, only approved templates may start a conversation.
pub const WHATSAPP_SERVICE_WINDOW_HOURS: i64 = 24;

/// Whether `channel` renders formatting marks of its own.
pub fn has_markup(channel: Channel) -> bool {
    channel == Channel::Whatsapp
}

/// The markup of `text` that `channel` would show as raw characters, described.
pub fn stray_markup(text: &str, channel: Channel) -> Option<&'static str> {
    if text.contains("**") || text.contains("__") {
        return Some("Markdown emphasis (** or __)");
    }
    if text.contains("](") {
        return Some("a Markdown link");
    }
    if has_html_tag(text) {
        return Some("an HTML tag");
    }
    if text.lines().any(|l| l.trim_start().starts_with('#')) {
        return Some("a Markdown heading");
    }
    if !has_markup(channel) {
        if text.contains('`') {
            return Some("code marks (`)");
        }
        if text.matches('*').count() >= 2 || text.matches('_').count() >= 2 {
            return Some("emphasis marks (* or _)");
        }
    }
    None
}

fn has_html_tag(text: &str) -> bool {
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        let after = &rest[i + 1..];
        let tag_like = after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/');
        if tag_like && after.find('>').is_some_and(|j| j < 40) {
            return true;
        }
        rest = after;
    }
    false
}

/// What is wrong with a value as a WhatsApp template parameter; `None` when it is fine.
pub fn param_problem(value: &str) -> Option<&'static str> {
    if value.trim().is_empty() {
        Some("it would be empty, and WhatsApp rejects empty parameters")
    } else if value.contains(['\n', '\t']) {
        Some("it holds a line break or a tab, which WhatsApp parameters may not")
    } else if value.contains("     ") {
        Some("it holds more than four spaces in a row, which WhatsApp parameters may not")
    } else {
        None
    }
}

/// The basic output check: non-empty, within the channel's length, no stray markup, no
/// placeholder left, and clean of every sensitive category.
pub fn output_check(checker: &SafetyChecker, channel: Channel, text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("the text is empty".to_owned());
    }
    let chars = text.chars().count();
    if chars > channel.max_chars() {
        return Err(format!(
            "{chars} characters, over the {} that {channel} allows",
            channel.max_chars()
        ));
    }
    if let Some(markup) = stray_markup(text, channel) {
        return Err(format!(
            "{markup} is markup {channel} does not render: it would reach the user as raw characters"
        ));
    }
    if text.contains(['{', '}']) {
        return Err("a brace is left, as from an unfilled placeholder".to_owned());
    }
    if let Some(flag) = checker.first_flag(text) {
        return Err(format!(
            "it mentions \"{}\" ({})",
            flag.matched,
            flag.category.as_str()
        ));
    }
    Ok(())
}

/// Short words a repeated phrase must not be made of: articles, prepositions, pronouns,
/// auxiliaries (matching keys). Words of one or two letters never count.
const FUNCTION_WORDS: &[&str] = &[
    // French
    "les", "des", "une", "aux", "par", "pour", "dans", "avec", "sur", "sous", "que", "qui", "quoi",
    "est", "sont", "tes", "ton", "vos", "votre", "mon", "mes", "nos", "notre", "ces", "cette",
    "cet", "son", "ses", "leur", "leurs", "pas", "plus", "tout", "tous", "toute", "toutes", "moi",
    "toi", "vous", "nous", "elle", "lui", "eux", "mais", "donc", "car", "peu", "tres", "bien",
    "suis", "etes", "avez", "ont", "avoir", "etre", "fait", // English
    "the", "and", "for", "with", "from", "about", "your", "you", "our", "any", "some", "this",
    "that", "these", "those", "are", "was", "were", "have", "has", "had", "been", "will", "would",
    "can", "could", "shall", "should", "not", "but", "its", "their", "them", "they", "into",
    "than", "then", "there", "here", "what", "when", "how", "who", "like",
];

/// The first pair of words said twice in a row in `text` ("movie night"), as written the first
/// time; pairs joined by anything but spaces, or made of short function words, do not count.
pub fn repeated_phrase(text: &str) -> Option<String> {
    repeated_phrase_in(text, &tokens(text))
}

/// [`repeated_phrase`] of a text already cut into `words`.
fn repeated_phrase_in(text: &str, words: &[Token<'_>]) -> Option<String> {
    // Whether each word carries content, decided once.
    let content: Vec<bool> = words
        .iter()
        .map(|w| {
            let key = w.key.as_ref();
            key.chars().nth(2).is_some() && !word_set!(FUNCTION_WORDS).contains(key)
        })
        .collect();
    // Second words of the pairs seen so far.
    let mut seen: Vec<usize> = Vec::new();
    for i in 1..words.len() {
        if !content[i - 1] || !content[i] {
            continue;
        }
        let gap = &text[words[i - 1].end..words[i].start];
        if gap.is_empty() || !gap.chars().all(char::is_whitespace) {
            continue;
        }
        let same =
            |&&j: &&usize| words[j - 1].key == words[i - 1].key && words[j].key == words[i].key;
        if let Some(&first) = seen.iter().find(same) {
            return Some(text[words[first - 1].start..words[first].end].to_owned());
        }
        seen.push(i);
    }
    None
}

/// Everything the full output check needs beside the text.
#[derive(Clone, Copy, Debug)]
pub struct OutputRules<'a> {
    /// The sensitive-topic checker (the same as for user messages).
    pub checker: &'a SafetyChecker,
    /// The persona's recognisers, for its forbidden topics.
    pub recognizer: &'a Recognizer,
    /// The channel.
    pub channel: Channel,
    /// The text's language.
    pub lang: Lang,
    /// The persona's form of address.
    pub formality: Formality,
}

impl OutputRules<'_> {
    /// The full output check of `text`, whose persona's own words are `voice_text` (echoed words
    /// replaced): [`output_check`], the forbidden topics, and `tu`/`vous` consistency.
    pub fn check(&self, text: &str, voice_text: &str) -> Result<(), String> {
        output_check(self.checker, self.channel, text)?;
        let words = tokens(text);
        if let Some(phrase) = repeated_phrase_in(text, &words) {
            return Err(format!("it says \"{phrase}\" twice"));
        }
        if let Some(topic) = self.recognizer.forbidden_in_words(&words) {
            return Err(format!(
                "it raises \"{topic}\", a forbidden topic of the persona"
            ));
        }
        if self.lang == Lang::Fr
            && let Some(word) = address_mismatch(voice_text, self.formality)
        {
            return Err(format!(
                "it says \"{}\" ({}) but the persona says {}",
                word.word,
                formality_word(word.formality),
                formality_word(self.formality)
            ));
        }
        Ok(())
    }

    /// A sentence for a text that passed.
    pub fn passed_sentence(&self, text: &str) -> String {
        format!(
            "{} of {} characters on {}, no stray markup, nothing flagged, nothing said twice{}.",
            text.chars().count(),
            self.channel.max_chars(),
            self.channel,
            if self.lang == Lang::Fr {
                format!(", \"{}\" throughout", formality_word(self.formality))
            } else {
                String::new()
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_depends_on_the_channel() {
        assert_eq!(stray_markup("Un *grand* film", Channel::Whatsapp), None);
        assert!(stray_markup("Un *grand* film", Channel::Messenger).is_some());
        assert!(stray_markup("Un **grand** film", Channel::Whatsapp).is_some());
        assert!(stray_markup("Voir [ici](https://x.y)", Channel::Whatsapp).is_some());
        assert!(stray_markup("<b>Dune</b>", Channel::Instagram).is_some());
        assert_eq!(stray_markup("3 < 4 et 5 > 2", Channel::Instagram), None);
        assert_eq!(stray_markup("L'étoile * du soir", Channel::Messenger), None);
    }

    #[test]
    fn a_pair_of_words_said_twice_is_found() {
        assert_eq!(
            repeated_phrase(
                "Any new favorite movie night picks? Or ideas for your next Movie Night?"
            )
            .as_deref(),
            Some("movie night")
        );
        assert_eq!(
            repeated_phrase("Des films pour une soirée ciné ? Pour ta prochaine soirée ciné !")
                .as_deref(),
            Some("soirée ciné")
        );
        // Function words, single words, and pairs across punctuation do not count.
        assert_eq!(
            repeated_phrase("Des produits de saison, une recette de saison, pour la semaine."),
            None
        );
        assert_eq!(
            repeated_phrase("Have you seen it? Have you heard it? Film. Film music."),
            None
        );
        assert_eq!(repeated_phrase("Dune, dune dune."), None);
    }

    #[test]
    fn whatsapp_parameters_follow_meta_rules() {
        assert!(param_problem("").is_some());
        assert!(param_problem("a\nb").is_some());
        assert!(param_problem("a      b").is_some());
        assert_eq!(param_problem("musiques de film"), None);
    }

    #[test]
    fn the_basic_check_rejects_empty_long_unsafe_and_unfilled_texts() {
        let c = SafetyChecker::builtin();
        assert!(output_check(c, Channel::Messenger, "  ").is_err());
        let long = "a".repeat(Channel::Instagram.max_chars() + 1);
        assert!(output_check(c, Channel::Instagram, &long).is_err());
        assert!(output_check(c, Channel::Messenger, "After the funeral, a film?").is_err());
        assert!(output_check(c, Channel::Messenger, "Hello {user_name}").is_err());
        assert!(output_check(c, Channel::Messenger, "Hello! Any new soundtracks?").is_ok());
    }
}
