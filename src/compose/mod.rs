//! The follow-up composer: what a sent nudge says, in the persona's voice, from what the user
//! said.
//!
//! [`compose`] turns a decision the policy engine let through into a text, or holds it back:
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
//! use relance::engine::{ReplayOptions, replay};
//! use relance::model::{Persona, Policy, Scenario};
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
pub mod memory;
pub mod template;
pub mod text;
pub mod validate;
pub mod voice;

use std::cell::Cell;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::{Decision, Reason, TraceStep};
use crate::model::{Channel, Lang, Persona, User};
use crate::safety::SafetyChecker;

pub use channel::{OutputRules, output_check};
pub use memory::{
    Memory, MemoryItem, MemoryKind, MemorySource, Recognizer, Skip, UserReading, remember,
};
pub use text::stable_hash;
pub use voice::Voice;

use memory::source_phrase;
use template::{Filled, Piece, Slot, Template, agree};
use voice::{default_greeting, fallback_templates, mix};

/// A composed nudge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Composed {
    /// The text to send.
    pub text: String,
    /// Its language.
    pub lang: Lang,
    /// The persona template used (`fallback` or `fallback-alt` for the generic lines); on
    /// WhatsApp, the approved template's name.
    pub template: String,
    /// The WhatsApp template filled, on WhatsApp.
    pub channel_template: Option<String>,
    /// The main thing the text echoes (the first of `echoed`).
    pub memory: Option<MemoryItem>,
    /// Everything the text echoes, named things first.
    pub echoed: Vec<MemoryItem>,
    /// The placeholder values in order: the parameters of a WhatsApp template.
    pub channel_params: Vec<String>,
    /// Whether the AI disclosure line was added.
    pub ai_disclosure: bool,
    /// When the nudge is sent.
    pub at: DateTime<Utc>,
}

/// What the composer made of a sent decision.
#[derive(Clone, Debug, PartialEq)]
pub enum ComposeOutcome {
    /// A text to send, and the composer's trace steps.
    Message(Box<Composed>, Vec<TraceStep>),
    /// No text can be sent: the nudge is held back for this reason (`no_approved_template` or
    /// `no_safe_text`).
    Hold(Reason, Vec<TraceStep>),
}

/// The trace step saying which language a nudge is written in and why, when it is not the
/// user's own: the persona has no texts in it (a German speaker gets French, and is told so in
/// the trace, never silently).
fn language_step(persona: &Persona, locale: &str, lang: Lang) -> Option<TraceStep> {
    if Lang::from_locale(locale) == Some(lang) {
        return None;
    }
    let speaks = persona
        .languages
        .iter()
        .map(|l| l.code())
        .collect::<Vec<_>>()
        .join(", ");
    Some(TraceStep::new(
        "language",
        true,
        format!(
            "The user's locale is `{locale}`, a language the persona has no texts for (it speaks {speaks}): written in {} ({lang}), its first language.",
            lang.native_name()
        ),
    ))
}

/// The hash behind every choice of a nudge: the same persona, user, decision and seed always give
/// the same text.
pub fn choice_hash(persona: &Persona, user: &User, decision: &Decision, seed: u64) -> u64 {
    stable_hash(&[
        &persona.id,
        &user.id,
        &decision.at.to_rfc3339(),
        &decision.silence_event.to_string(),
        &decision.nth.to_string(),
        &seed.to_string(),
    ])
}

/// A template the composer may use.
struct Candidate<'a> {
    id: &'a str,
    text: &'a str,
}

/// A candidate whose placeholders all have values. WhatsApp templates are filled up front (a
/// bad parameter skips them); others only when their turn comes, since the first that passes
/// the output check is sent and the rest are never read.
struct Fit<'a> {
    id: &'a str,
    template: Template<'a>,
    filled: Option<Filled>,
    echoed: Vec<MemoryItem>,
    rank: (usize, usize),
}

/// Composes the text of a sent decision for `user`; `previous` are the nudges already composed
/// for this user, oldest first; `seed` varies the choices of a whole replay.
pub fn compose(
    persona: &Persona,
    checker: &SafetyChecker,
    user: &User,
    decision: &Decision,
    previous: &[Composed],
    seed: u64,
) -> ComposeOutcome {
    compose_with(
        &Recognizers::default(),
        &mut UserReading::default(),
        persona,
        checker,
        user,
        decision,
        previous,
        seed,
    )
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

/// [`compose`] with recognisers shared across calls (`recognizers` must belong to `persona`)
/// and what was already read of this user's messages (`reading`: one per user of a replay).
#[allow(clippy::too_many_arguments)]
pub fn compose_with(
    recognizers: &Recognizers,
    reading: &mut UserReading,
    persona: &Persona,
    checker: &SafetyChecker,
    user: &User,
    decision: &Decision,
    previous: &[Composed],
    seed: u64,
) -> ComposeOutcome {
    let lang = persona.language_for(&user.locale);
    let hash = choice_hash(persona, user, decision, seed);
    let mut steps = Vec::new();
    let lapse = decision.at - decision.silence_start;
    let lapse_days = lapse.num_days();
    // Outside WhatsApp's customer service window only approved templates may be sent; inside
    // it (a custom policy with a short delay), free-form text may.
    let in_service_window = lapse < chrono::Duration::hours(channel::WHATSAPP_SERVICE_WINDOW_HOURS);
    let whatsapp = decision.channel == Channel::Whatsapp && !in_service_window;
    if decision.channel == Channel::Whatsapp && in_service_window {
        steps.push(TraceStep::new(
            "channel_template",
            true,
            format!(
                "The user wrote {} minutes before: within WhatsApp's {}-hour customer service window, free-form text is allowed.",
                lapse.num_minutes(),
                channel::WHATSAPP_SERVICE_WINDOW_HOURS
            ),
        ));
    }
    if let Some(step) = language_step(persona, &user.locale, lang) {
        steps.push(step);
    }
    let disclosure_due =
        persona.ai_disclosure.enabled && lapse_days >= persona.ai_disclosure.after_days;
    let last_template = previous.last().map(|p| p.template.as_str());
    let (kind, rule) = if whatsapp {
        ("WhatsApp template", "channel_template")
    } else {
        ("template", "template")
    };

    let candidates: Vec<Candidate<'_>> = if whatsapp {
        persona
            .whatsapp_templates
            .iter()
            .filter(|t| t.lang == lang)
            .map(|t| Candidate {
                id: &t.name,
                text: &t.body,
            })
            .collect()
    } else {
        persona
            .templates
            .iter()
            .filter(|t| t.lang == lang)
            .map(|t| Candidate {
                id: &t.id,
                text: &t.text,
            })
            .collect()
    };
    if whatsapp && candidates.is_empty() {
        let declared: Vec<String> = persona
            .whatsapp_templates
            .iter()
            .map(|t| format!("`{}` ({})", t.name, t.lang))
            .collect();
        steps.push(TraceStep::new(
            "channel_template",
            false,
            format!(
                "WhatsApp allows only pre-approved templates outside the 24-hour customer service window, and the persona declares none in {lang}{}: held back.",
                if declared.is_empty() {
                    String::new()
                } else {
                    format!(" (it declares {})", declared.join(", "))
                }
            ),
        ));
        return ComposeOutcome::Hold(Reason::NoApprovedTemplate, steps);
    }

    let recognizer = recognizers.get(persona, lang);
    let memory = memory::remember_with(recognizer, checker, user, decision.at, previous, reading);
    steps.push(TraceStep::new("memory", true, memory.sentence(user)));
    let mut voice = Voice::pick_after(
        persona,
        lang,
        hash,
        previous.last().map(|p| p.text.as_str()),
    );
    // After a painful message (grief, health, money worries… not blocking, or the policy would
    // have held the nudge back), a quieter voice: no catchphrase, no emoji.
    let painful = memory.skipped.iter().find_map(|k| match k {
        memory::Skip::FlaggedMessage { at, category, .. } => Some((*at, *category)),
        _ => None,
    });
    if let Some((at, category)) = painful {
        voice.signature = None;
        voice.emoji.clear();
        steps.push(TraceStep::new(
            "tone",
            true,
            format!(
                "The user's message of {} was flagged {}: a quieter voice, without signature phrase or emoji.",
                crate::engine::trace::local_short(at, user.timezone),
                category.as_str()
            ),
        ));
    }
    let rules = OutputRules {
        checker,
        recognizer,
        channel: decision.channel,
        lang,
        formality: persona.tone.formality,
    };
    let slot_value = SlotValues {
        persona,
        user,
        memory: &memory,
        voice: &voice,
        lang,
        lapse_days,
        emoji_used: Cell::new(0),
        default_greeting: false,
        quiet: painful.is_some(),
    };
    let mut skipped = Skipped::default();
    let mut fits: Vec<Fit<'_>> = Vec::new();
    for c in &candidates {
        if Some(c.id) == last_template {
            skipped.add(c.id, "the previous nudge used it".to_owned());
            continue;
        }
        let template = Template::parse(c.text);
        let filled = if whatsapp {
            slot_value.fill(&template).map(Some)
        } else {
            slot_value.fillable(&template).map(|()| None)
        };
        match filled {
            Err(why) => skipped.add(c.id, why),
            Ok(filled) => {
                let bad_param = filled.as_ref().and_then(|filled| {
                    filled
                        .params
                        .iter()
                        .zip(template.slots())
                        .find_map(|(v, s)| channel::param_problem(v).map(|why| (s, why)))
                });
                if let Some((slot, why)) = bad_param {
                    skipped.add(c.id, format!("parameter {}: {why}", slot_name(slot)));
                    continue;
                }
                let (echoed, rank) = slot_value.echoes(&template);
                fits.push(Fit {
                    id: c.id,
                    template,
                    filled,
                    echoed,
                    rank,
                });
            }
        }
    }

    let mut rejected = 0;
    let total = fits.len();
    for fit in order(fits, hash) {
        let filled = match fit.filled {
            Some(filled) => filled,
            // `fillable` said yes, so this fills; a template that does not is skipped.
            None => match slot_value.fill(&fit.template) {
                Ok(filled) => filled,
                Err(_) => continue,
            },
        };
        let Filled {
            mut text,
            mut voice_text,
            params,
        } = filled;
        let disclosed = disclosure_due && !whatsapp;
        if disclosed {
            let line = persona.ai_disclosure.line(lang);
            text = format!("{text} {line}");
            voice_text = format!("{voice_text} {line}");
        }
        if let Err(why) = rules.check(&text, &voice_text) {
            rejected += 1;
            steps.push(TraceStep::new(
                "output_check",
                false,
                format!("{kind} `{}` rejected: {why}; trying the next one.", fit.id),
            ));
            continue;
        }
        let mut detail = String::with_capacity(400);
        let _ = write!(detail, "{} `{}` in {lang}", capitalised(kind), fit.id);
        if whatsapp && !params.is_empty() {
            detail.push_str(", parameters ");
            for (i, p) in params.iter().enumerate() {
                if i > 0 {
                    detail.push_str(", ");
                }
                let _ = write!(detail, "{{{{{}}}}} = \"{p}\"", i + 1);
            }
        }
        detail.push_str(", ");
        detail.push_str(&echo_sentence(&fit.echoed, user));
        let _ = write!(
            detail,
            ". {total} template{} fit{} (more named things echoed first, then a rotation for this user and decision)",
            if total == 1 { "" } else { "s" },
            if total == 1 { "s" } else { "" },
        );
        if rejected > 0 {
            let _ = write!(
                detail,
                ", {rejected} rejected by the output check before this one"
            );
        }
        if skipped.is_empty() {
            detail.push('.');
        } else {
            detail.push_str("; skipped ");
            detail.push_str(&skipped.sentence());
            detail.push('.');
        }
        steps.push(TraceStep::new(rule, true, detail));
        steps.push(TraceStep::new(
            "output_check",
            true,
            rules.passed_sentence(&text),
        ));
        push_disclosure_step(&mut steps, persona, disclosure_due, whatsapp, lapse_days);
        let channel_template = whatsapp.then(|| fit.id.to_owned());
        return ComposeOutcome::Message(
            Box::new(Composed {
                text,
                lang,
                template: fit.id.to_owned(),
                channel_template,
                memory: fit.echoed.first().cloned(),
                echoed: fit.echoed,
                channel_params: if whatsapp { params } else { Vec::new() },
                ai_disclosure: disclosed,
                at: decision.at,
            }),
            steps,
        );
    }

    if whatsapp {
        let (reason, why) = if rejected > 0 {
            (
                Reason::NoSafeText,
                "no filled approved template passed the output check",
            )
        } else {
            (
                Reason::NoApprovedTemplate,
                "no approved template could be filled",
            )
        };
        steps.push(TraceStep::new(
            "channel_template",
            false,
            format!(
                "WhatsApp allows only pre-approved templates, and {why} in {lang}{}: held back.",
                if skipped.is_empty() {
                    String::new()
                } else {
                    format!(" (skipped {})", skipped.sentence())
                }
            ),
        ));
        return ComposeOutcome::Hold(reason, steps);
    }

    // The generic lines of last resort.
    let generic = SlotValues {
        default_greeting: true,
        ..slot_value
    };
    let lines = fallback_templates(lang, persona.tone.formality);
    let start = (mix(hash, 9) % lines.len() as u64) as usize;
    for k in 0..lines.len() {
        let (id, line) = lines[(start + k) % lines.len()];
        if Some(id) == last_template {
            continue;
        }
        let Ok(filled) = generic.fill(&Template::parse(line)) else {
            continue;
        };
        let disclosed = disclosure_due;
        let (text, voice_text) = if disclosed {
            let d = persona.ai_disclosure.line(lang);
            (
                format!("{} {d}", filled.text),
                format!("{} {d}", filled.voice_text),
            )
        } else {
            (filled.text, filled.voice_text)
        };
        if let Err(why) = rules.check(&text, &voice_text) {
            steps.push(TraceStep::new(
                "output_check",
                false,
                format!("The generic line `{id}` rejected: {why}."),
            ));
            continue;
        }
        steps.push(TraceStep::new(
            "template",
            true,
            format!(
                "No template of the persona fits{}: its generic {lang} line `{id}`, echoing nothing.",
                if skipped.is_empty() {
                    String::new()
                } else {
                    format!(" (skipped {})", skipped.sentence())
                }
            ),
        ));
        steps.push(TraceStep::new(
            "output_check",
            true,
            rules.passed_sentence(&text),
        ));
        push_disclosure_step(&mut steps, persona, disclosure_due, false, lapse_days);
        return ComposeOutcome::Message(
            Box::new(Composed {
                text,
                lang,
                template: id.to_owned(),
                channel_template: None,
                memory: None,
                echoed: Vec::new(),
                channel_params: Vec::new(),
                ai_disclosure: disclosed,
                at: decision.at,
            }),
            steps,
        );
    }
    steps.push(TraceStep::new(
        "output_check",
        false,
        "No candidate text passed the output check, not even the generic lines: held back.",
    ));
    ComposeOutcome::Hold(Reason::NoSafeText, steps)
}

/// Templates skipped, grouped by why.
#[derive(Default)]
struct Skipped {
    groups: Vec<(String, Vec<String>)>,
}

impl Skipped {
    fn add(&mut self, id: &str, why: String) {
        let id = format!("`{id}`");
        match self.groups.iter_mut().find(|(w, _)| *w == why) {
            Some((_, ids)) => ids.push(id),
            None => self.groups.push((why, vec![id])),
        }
    }

    fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    fn sentence(&self) -> String {
        self.groups
            .iter()
            .map(|(why, ids)| format!("{} ({why})", ids.join(", ")))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
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

fn push_disclosure_step(
    steps: &mut Vec<TraceStep>,
    persona: &Persona,
    due: bool,
    whatsapp: bool,
    lapse_days: i64,
) {
    if !due {
        return;
    }
    let after = persona.ai_disclosure.after_days;
    steps.push(if whatsapp {
        TraceStep::new(
            "ai_disclosure",
            false,
            format!(
                "The AI disclosure is due ({lapse_days} days since the user's last message, {after} or more), but an approved WhatsApp template is sent exactly as approved: write the disclosure into its body."
            ),
        )
    } else {
        TraceStep::new(
            "ai_disclosure",
            true,
            format!(
                "Added the AI disclosure: {lapse_days} days since the user's last message, {after} or more."
            ),
        )
    });
}

/// Fitting templates in the order they are tried: those echoing more named things first, then
/// (among those echoing none) more topics; within a rank, rotated by the choice hash.
fn order(mut fits: Vec<Fit<'_>>, hash: u64) -> Vec<Fit<'_>> {
    let mut ranks: Vec<(usize, usize)> = fits.iter().map(|f| f.rank).collect();
    ranks.sort_unstable_by(|a, b| b.cmp(a));
    ranks.dedup();
    let mut out = Vec::with_capacity(fits.len());
    for (r, rank) in ranks.into_iter().enumerate() {
        let (mut same, rest): (Vec<_>, Vec<_>) = fits.into_iter().partition(|f| f.rank == rank);
        fits = rest;
        let start = (mix(hash, 16 + r as u64) % same.len() as u64) as usize;
        same.rotate_left(start);
        out.extend(same);
    }
    out
}

fn slot_name(slot: &Slot<'_>) -> String {
    match slot {
        Slot::Named(n) => format!("{{{n}}}"),
        Slot::Agreement { topic, forms } => format!("{{{topic}:{}}}", forms.join("/")),
    }
}

/// The values of a nudge's placeholders.
struct SlotValues<'a> {
    persona: &'a Persona,
    user: &'a User,
    memory: &'a Memory,
    voice: &'a Voice,
    lang: Lang,
    lapse_days: i64,
    emoji_used: Cell<usize>,
    default_greeting: bool,
    /// The quieter voice after a painful message: no signature phrase.
    quiet: bool,
}

impl SlotValues<'_> {
    fn fill(&self, template: &Template<'_>) -> Result<Filled, String> {
        self.emoji_used.set(0);
        template.fill(self.lang, |slot| self.value(slot))
    }

    /// Whether [`SlotValues::fill`] would fill `template`, and if not the same reason, without
    /// building the text.
    fn fillable(&self, template: &Template<'_>) -> Result<(), String> {
        self.emoji_used.set(0);
        template.fillable(|slot| self.value(slot))
    }

    fn item(&self, name: &str) -> Result<&MemoryItem, String> {
        let (kind, n) = match name {
            "topic" => (MemoryKind::Topic, 0),
            "topic2" => (MemoryKind::Topic, 1),
            "mention" => (MemoryKind::Mention, 0),
            _ => (MemoryKind::Mention, 1),
        };
        self.memory.nth(kind, n).ok_or_else(|| {
            match (kind, n) {
                (MemoryKind::Topic, 0) => "no topic of the persona to echo",
                (MemoryKind::Topic, _) => "no second topic to echo",
                (MemoryKind::Mention, 0) => "nothing the user named to echo",
                (MemoryKind::Mention, _) => "no second named thing to echo",
            }
            .to_owned()
        })
    }

    fn value(&self, slot: &Slot<'_>) -> Result<Piece, String> {
        let lang = self.lang;
        let line = |l: &Option<String>, what: &str| {
            l.clone()
                .map(Piece::voice)
                .ok_or_else(|| format!("the persona has no {lang} {what}"))
        };
        match slot {
            Slot::Named("greeting") if self.default_greeting => Ok(Piece::voice(
                self.voice
                    .greeting
                    .clone()
                    .unwrap_or_else(|| default_greeting(lang).to_owned()),
            )),
            Slot::Named("greeting") => line(&self.voice.greeting, "greeting"),
            Slot::Named("signoff") => line(&self.voice.signoff, "sign-off"),
            Slot::Named("signature") if self.quiet => {
                Err("no signature phrase after a painful message".to_owned())
            }
            Slot::Named("signature") => line(&self.voice.signature, "signature phrase"),
            Slot::Named("emoji") => {
                let n = self.emoji_used.get();
                self.emoji_used.set(n + 1);
                Ok(Piece::voice(self.voice.emoji(n)))
            }
            Slot::Named("user_name") => Some(self.user.name.trim())
                .filter(|n| !n.is_empty())
                .map(Piece::echo)
                .ok_or_else(|| "the user has no display name".to_owned()),
            Slot::Named("persona_name") => Ok(Piece::echo(self.persona.name.clone())),
            Slot::Named("days_since") => Ok(Piece::voice(self.lapse_days.to_string())),
            // A topic's name is the persona's own words; a named thing is the user's.
            Slot::Named(name @ ("topic" | "topic2")) => {
                self.item(name).map(|m| Piece::voice(m.label.clone()))
            }
            Slot::Named(name @ ("mention" | "mention2")) => {
                self.item(name).map(|m| Piece::echo(m.label.clone()))
            }
            Slot::Named(other) => Err(format!("`{other}` is not a placeholder")),
            Slot::Agreement { topic, forms } => {
                let item = self.item(topic)?;
                let grammar = self
                    .persona
                    .topics
                    .iter()
                    .find(|t| t.id == item.key)
                    .and_then(|t| t.grammar.get(&lang))
                    .ok_or_else(|| format!("the topic `{}` has no {lang} grammar", item.key))?;
                Ok(Piece::voice(agree(forms, *grammar)))
            }
        }
    }

    /// What a template echoes (named things first) and its rank: the number of named things,
    /// then, for templates that echo none, the number of topics.
    fn echoes(&self, template: &Template<'_>) -> (Vec<MemoryItem>, (usize, usize)) {
        let mut names: Vec<&str> = Vec::new();
        for slot in template.slots() {
            let name = match *slot {
                Slot::Named(n @ ("mention" | "mention2" | "topic" | "topic2")) => n,
                Slot::Agreement { topic, .. } => topic,
                Slot::Named(_) => continue,
            };
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names.sort_by_key(|n| match *n {
            "mention" => 0,
            "mention2" => 1,
            "topic" => 2,
            _ => 3,
        });
        let mentions = names.iter().filter(|n| n.starts_with("mention")).count();
        let items = names
            .iter()
            .filter_map(|n| self.item(n).ok().cloned())
            .collect();
        let topics = if mentions == 0 { names.len() } else { 0 };
        (items, (mentions, topics))
    }
}

#[cfg(test)]
mod tests;
