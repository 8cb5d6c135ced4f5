//! The composer at work: one call turns a sent decision into a text or holds it back, in
//! steps (the draft, the candidate templates, memory and voice, the templates that fit, the
//! first that passes the output check, the generic lines of last resort).

use std::cell::Cell;
use std::fmt::Write as _;

use super::channel::{self, OutputRules};
use super::memory::{self, Memory, MemoryItem, UserReading};
use super::slots::{SlotValues, slot_name};
use super::template::{Filled, Template};
use super::voice::{Voice, fallback_templates, mix};
use super::{ComposeOutcome, Recognizers, choice_hash, echo_sentence};
use crate::model::decision::{Composed, Nudge, Reason, TraceStep, local_short};
use crate::model::{Channel, Lang, Persona, User};
use crate::safety::SafetyChecker;

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
                text,
                voice_text,
                params,
            } = filled;
            let disclosed = draft.disclosure_due && !draft.whatsapp;
            let (text, voice_text) = self.with_disclosure(lang, text, voice_text, disclosed);
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
            self.push_passed(draft, rules, &text, draft.whatsapp);
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

    /// `text` and `voice_text`, followed by the AI disclosure line when `disclosed`.
    fn with_disclosure(
        &self,
        lang: Lang,
        text: String,
        voice_text: String,
        disclosed: bool,
    ) -> (String, String) {
        if !disclosed {
            return (text, voice_text);
        }
        let line = self.persona.ai_disclosure.line(lang);
        (format!("{text} {line}"), format!("{voice_text} {line}"))
    }

    /// The steps that close a text about to be sent: its output check passed, then the AI
    /// disclosure when it is due (on an approved WhatsApp template, noted but not added).
    fn push_passed(
        &self,
        draft: &mut Draft<'_>,
        rules: &OutputRules<'_>,
        text: &str,
        whatsapp: bool,
    ) {
        draft.steps.push(TraceStep::new(
            "output_check",
            true,
            rules.passed_sentence(text),
        ));
        push_disclosure_step(
            &mut draft.steps,
            self.persona,
            draft.disclosure_due,
            whatsapp,
            draft.lapse_days,
        );
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
            let (text, voice_text) =
                self.with_disclosure(lang, filled.text, filled.voice_text, disclosed);
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
            self.push_passed(&mut draft, rules, &text, false);
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

/// A template the composer may use.
struct Candidate<'a> {
    id: &'a str,
    text: &'a str,
}

/// A candidate whose placeholders all have values. WhatsApp templates are filled up front (a
/// bad parameter skips them); others only when their turn comes, since the first that passes
/// the output check is sent and the rest are never read.
pub(super) struct Fit<'a> {
    pub(super) id: &'a str,
    pub(super) template: Template<'a>,
    pub(super) filled: Option<Filled>,
    pub(super) echoed: Vec<MemoryItem>,
    pub(super) rank: (usize, usize),
}

/// Templates skipped, grouped by why.
#[derive(Default)]
pub(super) struct Skipped {
    groups: Vec<(String, Vec<String>)>,
}

impl Skipped {
    pub(super) fn add(&mut self, id: &str, why: String) {
        let id = format!("`{id}`");
        match self.groups.iter_mut().find(|(w, _)| *w == why) {
            Some((_, ids)) => ids.push(id),
            None => self.groups.push((why, vec![id])),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    pub(super) fn sentence(&self) -> String {
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
pub(super) fn order(mut fits: Vec<Fit<'_>>, hash: u64) -> Vec<Fit<'_>> {
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
