//! The persona linter: text a responsible platform would reject.
//!
//! Warnings, not errors: they never block saving; `relance check --strict` turns them into
//! errors. Each warning names its rule, the text and the field, placed in the file. Invalid
//! safety additions (a phrase the lexicon syntax rejects, a crisis threshold above the shipped
//! floor) are errors, each naming the phrase. A valid but much stricter threshold is warned
//! about with what it costs: the share of ordinary chat it reads as a crisis.

use crate::model::Persona;
use crate::model::diagnostics::Diagnostic;
use crate::model::locate::Locator;

use super::{COSTLY_THRESHOLD_RATIO, fold, percent_of_bp};

/// A lint rule and the phrases (French and English, folded) that trigger it.
struct LintRule {
    name: &'static str,
    what: &'static str,
    phrases: &'static [&'static str],
}

const RULES: &[LintRule] = &[
    LintRule {
        name: "clingy",
        what: "guilt-tripping or clingy phrasing",
        phrases: &[
            "tu me manques tellement",
            "vous me manquez tellement",
            "tu me manques trop",
            "ne me laisse pas",
            "ne me quitte pas",
            "ne m'abandonne pas",
            "je t'attends depuis",
            "je vous attends depuis",
            "pourquoi tu ne me reponds",
            "pourquoi tu m'ignores",
            "tu m'as oublie",
            "je suis triste sans toi",
            "sans toi je",
            "don't leave me",
            "do not leave me",
            "i've been waiting for you",
            "i have been waiting for you",
            "i miss you so much",
            "why are you ignoring me",
            "why haven't you answered",
            "you forgot about me",
            "i'm so lonely without you",
            "i feel sad when you're gone",
            "you abandoned me",
        ],
    },
    LintRule {
        name: "false_urgency",
        what: "false urgency",
        phrases: &[
            "derniere chance",
            "plus que quelques heures",
            "avant qu'il ne soit trop tard",
            "tout de suite",
            "immediatement",
            "c'est urgent",
            "urgent",
            "last chance",
            "act now",
            "right now",
            "before it's too late",
            "only a few hours left",
            "expires today",
            "don't miss out",
            "hurry",
        ],
    },
    LintRule {
        name: "claims_human",
        what: "a claim to be human",
        phrases: &[
            "je suis humain",
            "je suis humaine",
            "je suis une vraie personne",
            "je ne suis pas un robot",
            "je ne suis pas une ia",
            "je ne suis pas une intelligence artificielle",
            "i'm human",
            "i am human",
            "i'm a real person",
            "i am a real person",
            "i'm not a bot",
            "i am not a bot",
            "i'm not an ai",
            "i am not an ai",
            "i'm not a robot",
        ],
    },
    LintRule {
        name: "romantic",
        what: "romantic or sexual framing",
        phrases: &[
            "mon amour",
            "mon coeur",
            "mon cheri",
            "ma cherie",
            "je t'aime",
            "bisous",
            "je pense a toi toute la nuit",
            "sexy",
            "calin",
            "my love",
            "sweetheart",
            "darling",
            "babe",
            "i love you",
            "kisses",
            "thinking of you all night",
            "can't stop thinking about you",
        ],
    },
    LintRule {
        name: "keep_talking",
        what: "pressure to keep talking",
        phrases: &[
            "reponds-moi vite",
            "reponds vite",
            "ne pars pas",
            "reste avec moi",
            "reste encore un peu",
            "on ne s'arrete pas",
            "encore un message",
            "tu ne peux pas partir",
            "reply now",
            "answer me",
            "don't go",
            "stay with me",
            "stay a little longer",
            "just one more message",
            "keep talking to me",
            "you can't leave",
            "don't stop talking",
        ],
    },
];

fn contains_phrase(folded: &str, phrase: &str) -> bool {
    super::fold::contains_words(folded, phrase)
}

/// Every text field of a persona a user may read, with its field path.
fn texts(persona: &Persona) -> Vec<(String, &str)> {
    let mut out: Vec<(String, &str)> = Vec::new();
    for (lang, t) in &persona.tagline {
        out.push((format!("tagline.{lang}"), t));
    }
    for (what, map) in [
        ("greetings", &persona.greetings),
        ("signoffs", &persona.signoffs),
        ("signature_phrases", &persona.signature_phrases),
    ] {
        for (lang, lines) in map {
            for (i, l) in lines.iter().enumerate() {
                out.push((format!("{what}.{lang}[{i}]"), l));
            }
        }
    }
    for (i, t) in persona.templates.iter().enumerate() {
        out.push((format!("templates[{i}].text"), &t.text));
    }
    for (i, t) in persona.whatsapp_templates.iter().enumerate() {
        out.push((format!("whatsapp_templates[{i}].body"), &t.body));
    }
    for (lang, t) in &persona.ai_disclosure.text {
        out.push((format!("ai_disclosure.text.{lang}"), t));
    }
    out
}

/// Lint warnings for `persona`, placed in `source` (the text it was read from).
pub fn lint_persona_in(persona: &Persona, source: &str) -> Vec<Diagnostic> {
    let loc = Locator::new(source);
    let mut out = Vec::new();
    for (field, text) in texts(persona) {
        let folded = fold(text);
        for rule in RULES {
            if let Some(phrase) = rule.phrases.iter().find(|p| contains_phrase(&folded, p)) {
                let excerpt: String = text.chars().take(80).collect();
                out.push(
                    Diagnostic::warning(
                        rule.name,
                        field.clone(),
                        format!("{} (\"{phrase}\") in \"{excerpt}\"", rule.what),
                    )
                    .at(loc.find(&[], text.get(..text.len().min(40)).unwrap_or(text))),
                );
            }
        }
    }
    for problem in persona.safety.problems() {
        let (field, needle, message) = match &problem {
            super::SafetyError::Addition { list, phrase, .. } => (
                if list == "allow" {
                    "safety.allow".to_owned()
                } else {
                    format!("safety.phrases.{list}")
                },
                phrase.clone(),
                format!("{problem}; the replay leaves it out and uses the rest"),
            ),
            // The message says which threshold the replay uses instead.
            _ => (
                "safety.crisis_threshold".to_owned(),
                "crisis_threshold".to_owned(),
                problem.to_string(),
            ),
        };
        out.push(Diagnostic::error(field, message).at(loc.find(&["safety:"], &needle)));
    }
    if let Some(warning) = strict_threshold_warning(persona) {
        out.push(warning.at(loc.find(&["safety:"], "crisis_threshold")));
    }
    if !persona.ai_disclosure.enabled {
        out.push(
            Diagnostic::warning(
                "no_ai_disclosure",
                "ai_disclosure.enabled",
                "the AI disclosure is off: some jurisdictions require it after a long lapse",
            )
            .at(loc.find(&["ai_disclosure:"], "enabled:")),
        );
    }
    if let Some(policy) = persona.policy.resolve()
        && policy.name == "pushy"
    {
        out.push(
            Diagnostic::warning(
                "pushy_policy",
                "policy",
                "the `pushy` preset has no quiet hours, window, message count or wellbeing checks: for demos only",
            )
            .at(loc.find(&[], "policy:")),
        );
    }
    out
}

/// A warning when the persona's stricter crisis threshold (a valid one) reads more than
/// [`COSTLY_THRESHOLD_RATIO`] times the shipped thresholds' share of ordinary chat as a crisis:
/// each such user gets no follow-up.
fn strict_threshold_warning(persona: &Persona) -> Option<Diagnostic> {
    let cost = persona.safety.crisis_threshold_cost()?;
    cost.is_costly().then(|| {
        Diagnostic::warning(
            "strict_crisis_threshold",
            "safety.crisis_threshold",
            format!(
                "crisis_threshold {} reads about {} % of ordinary chat as a crisis, more than {COSTLY_THRESHOLD_RATIO} times the shipped thresholds' ({} %; both on the team's development split, where real users' share is higher): that many more ordinary users get no follow-up",
                cost.threshold,
                percent_of_bp(cost.flagged_bp),
                percent_of_bp(cost.flagged_at_floor_bp)
            ),
        )
    })
}

/// Lint warnings for `persona`, placed in its canonical text.
pub fn lint_persona(persona: &Persona) -> Vec<Diagnostic> {
    lint_persona_in(persona, &persona.to_ron())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Lang;
    use crate::model::persona::Template;
    use crate::safety::{Classifier, SafetyChecker};

    #[test]
    fn clingy_and_human_claims_are_warned() {
        let mut p = Persona::new_blank("x", "X");
        p.languages = vec![Lang::Fr, Lang::En];
        p.templates.push(Template {
            id: "a".into(),
            lang: Lang::Fr,
            text: "Tu me manques tellement, {user_name} !".into(),
        });
        p.templates.push(Template {
            id: "b".into(),
            lang: Lang::En,
            text: "Don't worry, I'm a real person. Stay with me!".into(),
        });
        let rules: Vec<_> = lint_persona(&p).into_iter().map(|d| d.rule).collect();
        assert_eq!(rules, ["clingy", "claims_human", "keep_talking"]);
    }

    #[test]
    fn a_costly_stricter_threshold_is_warned_with_its_cost() {
        let rules = |t: Option<f32>| {
            let mut p = Persona::new_blank("x", "X");
            p.safety.crisis_threshold = t;
            lint_persona(&p)
                .into_iter()
                .map(|d| (d.rule, d.message))
                .collect::<Vec<_>>()
        };
        let warned = rules(Some(0.3));
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert_eq!(warned[0].0, "strict_crisis_threshold");
        let bp = Classifier::builtin()
            .ordinary_chat_flagged_bp(0.3)
            .expect("curve");
        assert!(
            warned[0]
                .1
                .contains(&format!("about {} % of ordinary chat", percent_of_bp(bp))),
            "{warned:?}"
        );
        // Just under the floor costs little; none, or above the floor, is not this warning.
        let floor = SafetyChecker::crisis_floor();
        assert!(rules(Some(floor - 0.01)).is_empty());
        assert!(rules(None).is_empty());
        let above = rules(Some(floor + 0.05));
        assert!(
            above.iter().all(|(r, _)| r != "strict_crisis_threshold"),
            "{above:?}"
        );
    }

    #[test]
    fn a_kind_template_lints_clean() {
        let mut p = Persona::new_blank("x", "X");
        p.templates.push(Template {
            id: "a".into(),
            lang: Lang::En,
            text: "{greeting} Found any new soundtracks lately? {signoff}".into(),
        });
        assert!(lint_persona(&p).is_empty());
    }
}
