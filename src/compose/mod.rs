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
pub mod memory;
pub mod template;
pub mod text;
pub mod validate;
pub mod voice;

use std::cell::Cell;
use std::fmt::Write as _;

pub use crate::model::decision::Composed;
use crate::model::decision::{Nudge, Reason, TraceStep, local_short};
use crate::model::{Channel, Lang, Persona, User};
use crate::safety::SafetyChecker;

pub use channel::{OutputRules, output_check};
pub use memory::{
    Memory, MemoryItem, MemoryKind, MemorySource, Recognizer, Skip, UserReading, remember,
};
pub use text::{contains_words, stable_hash};
pub use voice::Voice;

use memory::source_phrase;
use template::{Filled, Piece, Slot, Template, agree};
use voice::{default_greeting, fallback_templates, mix};

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

/// The composer of one persona: the persona, its safety checker, its recognisers (compiled on
/// first use, then shared by every user of a replay) and the seed that varies a replay's
/// choices. `Sync`: users are composed in parallel.
#[derive(Debug)]
pub struct Composer<'a> {
    persona: &'a Persona,
    checker: SafetyChecker,
    recognizers: Recognizers,
    seed: u64,
}

/// One text to compose: the parts that change from call to call.
#[derive(Debug)]
pub struct ComposeRequest<'r> {
    /// The user the nudge goes to.
    pub user: &'r User,
    /// The sent decision to write the text of.
    pub nudge: Nudge,
    /// The nudges already composed for this user, oldest first.
    pub previous: &'r [Composed],
    /// What was already read of this user's messages: one per user, kept across its nudges
    /// ([`UserReading::default`] for a single call).
    pub reading: &'r mut UserReading,
}

/// What one call works out before it writes, and the trace it writes as it goes.
struct Draft<'r> {
    user: &'r User,
    nudge: Nudge,
    lang: Lang,
    /// The choice hash ([`choice_hash`]).
    hash: u64,
    lapse_days: i64,
    /// Outside WhatsApp's customer service window: only approved templates may be sent.
    whatsapp: bool,
    /// The AI disclosure line is due (the lapse is long enough).
    disclosure_due: bool,
    /// The template of the previous nudge to this user.
    last_template: Option<&'r str>,
    steps: Vec<TraceStep>,
}

impl Draft<'_> {
    /// The kind of template tried and its trace step's rule.
    fn kind_and_rule(&self) -> (&'static str, &'static str) {
        if self.whatsapp {
            ("WhatsApp template", "channel_template")
        } else {
            ("template", "template")
        }
    }

    fn hold(self, reason: Reason) -> ComposeOutcome {
        ComposeOutcome::Hold(reason, self.steps)
    }
}

impl<'a> Composer<'a> {
    /// The composer of `persona`, checking texts with `checker` (the persona's, see
    /// `engine::checker_for`); `seed` varies the choices of templates and phrasings, and the same
    /// seed always gives the same texts.
    pub fn new(persona: &'a Persona, checker: SafetyChecker, seed: u64) -> Self {
        Self {
            persona,
            checker,
            recognizers: Recognizers::default(),
            seed,
        }
    }

    /// The persona.
    pub fn persona(&self) -> &'a Persona {
        self.persona
    }

    /// Composes the text of a sent decision, or holds it back.
    pub fn compose(&self, request: ComposeRequest<'_>) -> ComposeOutcome {
        let ComposeRequest {
            user,
            nudge,
            previous,
            reading,
        } = request;
        let mut draft = self.draft(user, nudge, previous);
        let candidates = self.candidates(draft.lang, draft.whatsapp);
        if draft.whatsapp && candidates.is_empty() {
            return self.no_approved_template(draft);
        }
        let recognizer = self.recognizers.get(self.persona, draft.lang);
        let memory =
            memory::remember_with(recognizer, &self.checker, user, nudge.at, previous, reading);
        draft
            .steps
            .push(TraceStep::new("memory", true, memory.sentence(user)));
        let voice = self.voice(&mut draft, &memory, previous);
        let rules = OutputRules {
            checker: &self.checker,
            recognizer,
            channel: nudge.channel,
            lang: draft.lang,
            formality: self.persona.tone.formality,
        };
        let slot_value = SlotValues {
            persona: self.persona,
            user,
            memory: &memory,
            voice: &voice.voice,
            lang: draft.lang,
            lapse_days: draft.lapse_days,
            emoji_used: Cell::new(0),
            default_greeting: false,
            quiet: voice.quiet,
        };
        let (fits, skipped) = fits(&draft, &candidates, &slot_value);
        let rejected = match self.first_passing(&mut draft, fits, &slot_value, &rules, &skipped) {
            Ok(composed) => return composed,
            Err(rejected) => rejected,
        };
        if draft.whatsapp {
            return whatsapp_hold(draft, rejected, &skipped);
        }
        self.generic_line(
            draft,
            SlotValues {
                default_greeting: true,
                ..slot_value
            },
            &rules,
            &skipped,
        )
    }

    /// The facts of the nudge every step reads, and the first trace steps: WhatsApp's service
    /// window, the language when it is not the user's own.
    fn draft<'r>(&self, user: &'r User, nudge: Nudge, previous: &'r [Composed]) -> Draft<'r> {
        let persona = self.persona;
        let lang = persona.language_for(&user.locale);
        let mut steps = Vec::new();
        let lapse = nudge.at - nudge.silence_start;
        let lapse_days = lapse.num_days();
        // Outside WhatsApp's customer service window only approved templates may be sent;
        // inside it (a custom policy with a short delay), free-form text may.
        let in_service_window =
            lapse < chrono::Duration::hours(channel::WHATSAPP_SERVICE_WINDOW_HOURS);
        let whatsapp = nudge.channel == Channel::Whatsapp && !in_service_window;
        if nudge.channel == Channel::Whatsapp && in_service_window {
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
        Draft {
            user,
            nudge,
            lang,
            hash: choice_hash(persona, user, &nudge, self.seed),
            lapse_days,
            whatsapp,
            disclosure_due: persona.ai_disclosure.enabled
                && lapse_days >= persona.ai_disclosure.after_days,
            last_template: previous.last().map(|p| p.template.as_str()),
            steps,
        }
    }

    /// The persona's templates in `lang`: its approved WhatsApp templates, or its own.
    fn candidates(&self, lang: Lang, whatsapp: bool) -> Vec<Candidate<'a>> {
        let persona = self.persona;
        if whatsapp {
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
        }
    }

    /// Held back on WhatsApp: the persona declares no approved template in the language.
    fn no_approved_template(&self, mut draft: Draft<'_>) -> ComposeOutcome {
        let declared: Vec<String> = self
            .persona
            .whatsapp_templates
            .iter()
            .map(|t| format!("`{}` ({})", t.name, t.lang))
            .collect();
        draft.steps.push(TraceStep::new(
            "channel_template",
            false,
            format!(
                "WhatsApp allows only pre-approved templates outside the 24-hour customer service window, and the persona declares none in {}{}: held back.",
                draft.lang,
                if declared.is_empty() {
                    String::new()
                } else {
                    format!(" (it declares {})", declared.join(", "))
                }
            ),
        ));
        draft.hold(Reason::NoApprovedTemplate)
    }

    /// The voice of the nudge: picked by the choice hash, and quieter after a painful message
    /// (grief, health, money worries… not blocking, or the policy would have held the nudge
    /// back): no catchphrase, no emoji.
    fn voice(&self, draft: &mut Draft<'_>, memory: &Memory, previous: &[Composed]) -> PickedVoice {
        let mut voice = Voice::pick_after(
            self.persona,
            draft.lang,
            draft.hash,
            previous.last().map(|p| p.text.as_str()),
        );
        let painful = memory.skipped.iter().find_map(|k| match k {
            memory::Skip::FlaggedMessage { at, category, .. } => Some((*at, *category)),
            _ => None,
        });
        if let Some((at, category)) = painful {
            voice.signature = None;
            voice.emoji.clear();
            draft.steps.push(TraceStep::new(
                "tone",
                true,
                format!(
                    "The user's message of {} was flagged {}: a quieter voice, without signature phrase or emoji.",
                    local_short(at, draft.user.timezone),
                    category.as_str()
                ),
            ));
        }
        PickedVoice {
            voice,
            quiet: painful.is_some(),
        }
    }

    /// Tries the fitting templates in order; the first that passes the output check is sent.
    /// Otherwise, how many the output check rejected.
    fn first_passing(
        &self,
        draft: &mut Draft<'_>,
        fits: Vec<Fit<'_>>,
        slot_value: &SlotValues<'_>,
        rules: &OutputRules<'_>,
        skipped: &Skipped,
    ) -> Result<ComposeOutcome, usize> {
        let (kind, rule) = draft.kind_and_rule();
        let lang = draft.lang;
        let mut rejected = 0;
        let total = fits.len();
        for fit in order(fits, draft.hash) {
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
            let disclosed = draft.disclosure_due && !draft.whatsapp;
            if disclosed {
                let line = self.persona.ai_disclosure.line(lang);
                text = format!("{text} {line}");
                voice_text = format!("{voice_text} {line}");
            }
            if let Err(why) = rules.check(&text, &voice_text) {
                rejected += 1;
                draft.steps.push(TraceStep::new(
                    "output_check",
                    false,
                    format!("{kind} `{}` rejected: {why}; trying the next one.", fit.id),
                ));
                continue;
            }
            let chosen = Chosen {
                kind,
                id: fit.id,
                echoed: &fit.echoed,
                params: &params,
            };
            let detail = chosen.sentence(draft, total, rejected, skipped);
            draft.steps.push(TraceStep::new(rule, true, detail));
            draft.steps.push(TraceStep::new(
                "output_check",
                true,
                rules.passed_sentence(&text),
            ));
            push_disclosure_step(
                &mut draft.steps,
                self.persona,
                draft.disclosure_due,
                draft.whatsapp,
                draft.lapse_days,
            );
            let channel_template = draft.whatsapp.then(|| fit.id.to_owned());
            return Ok(ComposeOutcome::Message(
                Box::new(Composed {
                    text,
                    lang,
                    template: fit.id.to_owned(),
                    channel_template,
                    memory: fit.echoed.first().cloned(),
                    echoed: fit.echoed,
                    channel_params: if draft.whatsapp { params } else { Vec::new() },
                    ai_disclosure: disclosed,
                    at: draft.nudge.at,
                }),
                std::mem::take(&mut draft.steps),
            ));
        }
        Err(rejected)
    }

    /// The generic lines of last resort (two of them, so that two consecutive ones differ), or
    /// held back with `no_safe_text` if even they fail the output check.
    fn generic_line(
        &self,
        mut draft: Draft<'_>,
        generic: SlotValues<'_>,
        rules: &OutputRules<'_>,
        skipped: &Skipped,
    ) -> ComposeOutcome {
        let persona = self.persona;
        let lang = draft.lang;
        let lines = fallback_templates(lang, persona.tone.formality);
        let start = (mix(draft.hash, 9) % lines.len() as u64) as usize;
        for k in 0..lines.len() {
            let (id, line) = lines[(start + k) % lines.len()];
            if Some(id) == draft.last_template {
                continue;
            }
            let Ok(filled) = generic.fill(&Template::parse(line)) else {
                continue;
            };
            let disclosed = draft.disclosure_due;
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
                draft.steps.push(TraceStep::new(
                    "output_check",
                    false,
                    format!("The generic line `{id}` rejected: {why}."),
                ));
                continue;
            }
            draft.steps.push(TraceStep::new(
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
            draft.steps.push(TraceStep::new(
                "output_check",
                true,
                rules.passed_sentence(&text),
            ));
            push_disclosure_step(
                &mut draft.steps,
                persona,
                draft.disclosure_due,
                false,
                draft.lapse_days,
            );
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
                    at: draft.nudge.at,
                }),
                draft.steps,
            );
        }
        draft.steps.push(TraceStep::new(
            "output_check",
            false,
            "No candidate text passed the output check, not even the generic lines: held back.",
        ));
        draft.hold(Reason::NoSafeText)
    }
}

/// The voice a nudge speaks in.
struct PickedVoice {
    voice: Voice,
    /// The quieter voice after a painful message: no signature phrase, no emoji.
    quiet: bool,
}

/// The candidates whose placeholders can all be filled, in the persona's order, and those
/// skipped with why (the previous nudge's template, a missing value, a bad WhatsApp
/// parameter).
fn fits<'t>(
    draft: &Draft<'_>,
    candidates: &[Candidate<'t>],
    slot_value: &SlotValues<'_>,
) -> (Vec<Fit<'t>>, Skipped) {
    let mut skipped = Skipped::default();
    let mut fits: Vec<Fit<'t>> = Vec::new();
    for c in candidates {
        if Some(c.id) == draft.last_template {
            skipped.add(c.id, "the previous nudge used it".to_owned());
            continue;
        }
        let template = Template::parse(c.text);
        let filled = if draft.whatsapp {
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
    (fits, skipped)
}

/// The template chosen, for its trace sentence.
struct Chosen<'a> {
    /// `template` or `WhatsApp template`.
    kind: &'a str,
    id: &'a str,
    echoed: &'a [MemoryItem],
    /// The WhatsApp parameters.
    params: &'a [String],
}

impl Chosen<'_> {
    /// Which template, with which WhatsApp parameters, what it echoes, how many fit, and what
    /// was rejected or skipped before it.
    fn sentence(
        &self,
        draft: &Draft<'_>,
        total: usize,
        rejected: usize,
        skipped: &Skipped,
    ) -> String {
        let mut detail = String::with_capacity(400);
        let _ = write!(
            detail,
            "{} `{}` in {}",
            capitalised(self.kind),
            self.id,
            draft.lang
        );
        if draft.whatsapp && !self.params.is_empty() {
            detail.push_str(", parameters ");
            for (i, p) in self.params.iter().enumerate() {
                if i > 0 {
                    detail.push_str(", ");
                }
                let _ = write!(detail, "{{{{{}}}}} = \"{p}\"", i + 1);
            }
        }
        detail.push_str(", ");
        detail.push_str(&echo_sentence(self.echoed, draft.user));
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
        detail
    }
}

/// Held back on WhatsApp: no approved template could be filled, or none filled passed the
/// output check.
fn whatsapp_hold(mut draft: Draft<'_>, rejected: usize, skipped: &Skipped) -> ComposeOutcome {
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
    draft.steps.push(TraceStep::new(
        "channel_template",
        false,
        format!(
            "WhatsApp allows only pre-approved templates, and {why} in {}{}: held back.",
            draft.lang,
            if skipped.is_empty() {
                String::new()
            } else {
                format!(" (skipped {})", skipped.sentence())
            }
        ),
    ));
    draft.hold(reason)
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
