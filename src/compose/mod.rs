//! The follow-up composer: what a sent nudge says, in the persona's voice, from what the user
//! said.
//!
//! A [`Composer`] turns a decision the policy engine let through into a text, or holds it back:
//!
//! 1. **Memory** ([`memory`]): what the persona can echo from the user's messages before the
//!    nudge: its topics and the things the user named, best first; flagged messages, items an
//!    earlier nudge already echoed and forbidden topics are left out.
//! 2. **Templates** ([`template`]): on WhatsApp, outside the 24-hour customer service window
//!    (always the case under `omni`), only the persona's approved templates in the nudge's
//!    language (none: held back, `no_approved_template`); elsewhere its templates.
//!    Templates whose placeholders cannot all be filled are skipped, and so is the template of
//!    the previous nudge to this user. The rest are tried in order of how much they echo (two
//!    named things, one, then two topics, one, then nothing), and within the same rank in a rotation
//!    chosen by a hash of the persona, the user, the decision and the seed: deterministic, with
//!    variety, and no randomness.
//! 3. **Voice** ([`voice`]): greetings, sign-offs, signature phrases and emoji picked by the same
//!    hash, avoiding those of the previous nudge to this user where the persona has others;
//!    French `tu`/`vous` as the persona chooses, checked in every text. After a message the
//!    safety check flagged (grief, health…: the categories that do not hold a nudge back), a
//!    quieter voice: no signature phrase (templates with one give way), no emoji.
//! 4. **Output check** ([`channel`]): the channel's length and markup rules, the same safety
//!    check as user messages, the persona's forbidden topics, `tu`/`vous` consistency. A text
//!    that fails is replaced by the next candidate, and the trace says why.
//! 5. **Last resort**: a generic line of the persona (two of them, so that two consecutive ones
//!    differ), or, if even that fails, held back with `no_safe_text`.
//!
//! The AI disclosure line is added to nudges sent after a long lapse (persona setting, on by
//! default); WhatsApp templates are sent as approved, so there it is noted in the trace instead.
//!
//! ```
//! use relance::model::{Persona, Policy, Scenario};
//! use relance::replay::{ReplayOptions, replay};
//!
//! let dir = env!("CARGO_MANIFEST_DIR");
//! let persona = Persona::load(format!("{dir}/personas/cinema-maestro.ron").as_ref()).unwrap();
//! let scenario = Scenario::load(format!("{dir}/assets/scenarios/sent.ron").as_ref()).unwrap();
//! let result = replay(&persona, &Policy::omni(), &scenario, ReplayOptions::default());
//! let message = result.users[0].decisions[0].message.as_ref().unwrap();
//! // Léa talked about Interstellar and Hans Zimmer: the Maestro follows up on both, in French.
//! assert!(message.text.contains("Interstellar") && message.text.contains("Hans Zimmer"));
//! assert_eq!(message.lang.code(), "fr");
//! ```

pub mod channel;
mod composer;
pub mod memory;
mod slots;
pub mod template;
pub mod text;
pub mod validate;
pub mod voice;

pub use crate::model::decision::Composed;
use crate::model::decision::{Nudge, Reason, TraceStep};
use crate::model::{Lang, Persona, User};

pub use channel::{OutputRules, output_check};
pub use composer::{ComposeRequest, Composer};
pub use memory::{
    Memory, MemoryItem, MemoryKind, MemorySource, Recognizer, Skip, UserReading, remember,
};
pub use text::stable_hash;
pub use voice::Voice;

use memory::source_phrase;

/// What the composer made of a sent decision.
#[derive(Clone, Debug, PartialEq)]
pub enum ComposeOutcome {
    /// A text to send, and the composer's trace steps.
    Message(Box<Composed>, Vec<TraceStep>),
    /// No text can be sent: the nudge is held back for this reason (`no_approved_template` or
    /// `no_safe_text`).
    Hold(Reason, Vec<TraceStep>),
}

/// The hash behind every choice of a nudge: the same persona, user, decision and seed always give
/// the same text.
pub fn choice_hash(persona: &Persona, user: &User, nudge: &Nudge, seed: u64) -> u64 {
    stable_hash(&[
        &persona.id,
        &user.id,
        &nudge.at.to_rfc3339(),
        &nudge.silence_event.to_string(),
        &nudge.nth.to_string(),
        &seed.to_string(),
    ])
}

/// The persona's recognisers (topics, lexicon, forbidden phrases), compiled once per language on
/// first use and shared by every user of a replay: compiling them costs more than composing.
/// Valid for one persona only: make a new one when the persona changes.
#[derive(Debug, Default)]
pub struct Recognizers {
    by_lang: [std::sync::OnceLock<Recognizer>; Lang::ALL.len()],
}

impl Recognizers {
    /// The recognisers of `persona` labelling topics in `lang`.
    pub fn get(&self, persona: &Persona, lang: Lang) -> &Recognizer {
        let slot = Lang::ALL.iter().position(|&l| l == lang).unwrap_or(0);
        self.by_lang[slot].get_or_init(|| Recognizer::new(persona, lang))
    }
}

/// "echoing \"Interstellar\" and \"Hans Zimmer\" (mentions from the message of 7 Jan 09:15:
/// \"…\")": what a text echoes and where each came from.
pub fn echo_sentence(echoed: &[MemoryItem], user: &User) -> String {
    if echoed.is_empty() {
        return "echoing nothing in particular".to_owned();
    }
    let mut groups: Vec<(u32, Vec<&MemoryItem>)> = Vec::new();
    for item in echoed {
        match groups.iter_mut().find(|(e, _)| *e == item.event) {
            Some((_, items)) => items.push(item),
            None => groups.push((item.event, vec![item])),
        }
    }
    let mut out = String::with_capacity(160 * groups.len());
    out.push_str("echoing ");
    for (g, (_, items)) in groups.iter().enumerate() {
        if g > 0 {
            out.push_str(", and ");
        }
        for (i, m) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(" and ");
            }
            out.push_str(match m.kind {
                MemoryKind::Topic => "topic \"",
                MemoryKind::Mention => "mention \"",
            });
            out.push_str(&m.label);
            out.push('"');
        }
        out.push_str(" (");
        out.push_str(&source_phrase(items[0], user));
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests;
