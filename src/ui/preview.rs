//! The live preview of the Persona tab: the follow-up the persona would send after a sample
//! conversation, computed by the engine and the composer exactly as in a replay.

use chrono::{DateTime, Duration, Utc};

use crate::engine::{TraceStep, checker_for};
use crate::model::{Channel, Event, Lang, Persona, Policy, Sender, User};
use crate::replay::{ReplayOptions, decide_user};

/// What the preview shows for one language and channel.
#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    /// The language of the sample user.
    pub lang: Lang,
    /// The channel of the sample conversation.
    pub channel: Channel,
    /// The sample user's messages.
    pub conversation: Vec<String>,
    /// The follow-up text, when one is sent.
    pub text: Option<String>,
    /// Why no follow-up is sent, when none is.
    pub held_back: Option<String>,
    /// The composer's steps (templates tried, output check).
    pub steps: Vec<TraceStep>,
}

/// The sample conversation's first message.
fn sample_start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_636_000, 0).unwrap_or_default() // 2026-01-05T18:00:00Z
}

/// A sample user who writes six messages in two days about what the persona knows, then goes
/// quiet.
pub fn sample_user(persona: &Persona, lang: Lang, channel: Channel) -> User {
    let mention = persona.lexicon.first().cloned();
    let topic = persona.topics.first();
    let keyword = topic
        .and_then(|t| t.keywords.get(&lang).or_else(|| t.keywords.values().next()))
        .and_then(|k| k.first())
        .cloned();
    let texts: Vec<String> = match lang {
        Lang::Fr => vec![
            match &mention {
                Some(m) => format!("Salut ! J'adore {m}."),
                None => "Salut ! Je découvre ce que tu sais faire.".to_owned(),
            },
            match &keyword {
                Some(k) => format!("Tu peux m'en dire plus sur {k} ?"),
                None => "Tu peux m'en dire plus ?".to_owned(),
            },
            "Merci, c'est passionnant.".to_owned(),
            "J'en parle encore à tout le monde.".to_owned(),
            "Je vais essayer ce week-end.".to_owned(),
            "Merci, à plus tard !".to_owned(),
        ],
        Lang::En => vec![
            match &mention {
                Some(m) => format!("Hi! I love {m}."),
                None => "Hi! I'm finding out what you can do.".to_owned(),
            },
            match &keyword {
                Some(k) => format!("Can you tell me more about {k}?"),
                None => "Can you tell me more?".to_owned(),
            },
            "Thanks, that's fascinating.".to_owned(),
            "I told all my friends about it.".to_owned(),
            "I'll try it this weekend.".to_owned(),
            "Thanks, talk later!".to_owned(),
        ],
    };
    let offsets_min = [0, 10, 17 * 60 + 30, 23 * 60 + 45, 38 * 60 + 15, 43 * 60];
    let events = texts
        .into_iter()
        .zip(offsets_min)
        .map(|(text, m)| Event {
            at: sample_start() + Duration::minutes(m),
            from: Sender::User,
            channel,
            text,
            media: false,
        })
        .collect();
    let (name, timezone, locale) = match lang {
        Lang::Fr => ("Léa", chrono_tz::Europe::Paris, "fr"),
        Lang::En => ("Sam", chrono_tz::Europe::London, "en-GB"),
    };
    User {
        id: "sample".to_owned(),
        name: name.to_owned(),
        age: Some(30),
        timezone,
        locale: locale.to_owned(),
        events,
    }
}

/// The follow-up `persona` would send to the sample user of `lang` on `channel`, under the
/// `omni` preset (so that the sample conversation qualifies whatever the persona's policy).
pub fn preview(persona: &Persona, lang: Lang, channel: Channel) -> Preview {
    let user = sample_user(persona, lang, channel);
    let checker = checker_for(persona);
    let decisions = decide_user(
        persona,
        &Policy::omni(),
        &checker,
        &user,
        None,
        ReplayOptions::default(),
    );
    let conversation = user.events.iter().map(|e| e.text.clone()).collect();
    match decisions.last() {
        Some(d) => Preview {
            lang,
            channel,
            conversation,
            text: d.text().map(str::to_owned),
            held_back: (d.text().is_none()).then(|| d.reason.as_str().replace('_', " ")),
            steps: d.compose_trace.clone(),
        },
        None => Preview {
            lang,
            channel,
            conversation,
            text: None,
            held_back: Some("no follow-up is scheduled".to_owned()),
            steps: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cinema_maestro_previews_a_follow_up_that_echoes_the_sample() {
        let persona = Persona::load(&super::super::files::resource(
            super::super::files::DEFAULT_PERSONA,
        ))
        .expect("the shipped persona loads");
        let p = preview(&persona, Lang::Fr, Channel::Messenger);
        let text = p.text.expect("a follow-up is sent");
        assert!(text.contains("Hans Zimmer"), "{text}");
        let en = preview(&persona, Lang::En, Channel::Messenger);
        assert!(en.text.is_some_and(|t| t.contains("Hans Zimmer")));
    }

    #[test]
    fn the_preview_follows_edits() {
        let mut persona = Persona::new_blank("p", "P");
        let before = preview(&persona, Lang::En, Channel::Messenger);
        persona.templates.push(crate::model::persona::Template {
            id: "t".into(),
            lang: Lang::En,
            text: "Hello from {persona_name}!".into(),
        });
        persona.name = "Zed".into();
        let after = preview(&persona, Lang::En, Channel::Messenger);
        assert_ne!(before.text, after.text);
        assert_eq!(after.text.as_deref(), Some("Hello from Zed!"));
        let whatsapp = preview(&persona, Lang::En, Channel::Whatsapp);
        assert!(whatsapp.text.is_none());
        assert!(whatsapp.held_back.is_some());
    }
}
