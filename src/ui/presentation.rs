//! Presentation mode (View ▸ Presentation, F11): full screen, larger type, no editor, the
//! timeline replaying on its own and a caption narrating each decision in plain language, beside
//! the nudge itself (or the held-back card and its reason). Captions are in one language, the
//! persona's first, switchable. Space plays or pauses, Left and Right step between decisions,
//! Esc (or F11) leaves and restores the window mode and zoom.
//!
//! The captions ([`caption`]) and the stepping state machine ([`Presentation`]) know nothing of
//! egui and are tested without UI; [`presentation_ui`] lays them out over the timeline plot of
//! [`super::timeline_panel`], with the same replay cursor.

use chrono::{DateTime, Utc};
use egui::{RichText, Ui};

use super::command::{Command, PresentationCommand};
use super::cursor::{CursorCommand, ReplayCursor};
use super::simulation::SimOutput;
use super::theme;
use super::timeline_panel::{TimelineView, presentation_plot_ui};
use crate::engine::{Decision, Evidence, Reason};
use crate::model::{Lang, Persona, Scenario, User};

/// How long, in real seconds, a playing presentation stays on each decision so that its caption
/// can be read.
pub const HOLD_SECS: f64 = 4.0;

/// How much larger the type is while presenting.
pub const ZOOM_FACTOR: f32 = 1.4;

/// The window as it was before presenting, restored when leaving.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Restore {
    /// Whether the window was full screen.
    pub fullscreen: bool,
    /// The zoom factor.
    pub zoom: f32,
}

/// One decision of the replay, in presentation order (time, then user).
#[derive(Clone, Debug, PartialEq)]
pub struct Stop {
    /// When (unix seconds).
    pub at_secs: i64,
    /// The user's index in the scenario.
    pub user: usize,
    /// The decision's index among the user's decisions.
    pub index: usize,
    /// The caption.
    pub caption: String,
}

/// The presentation's state: the decisions to narrate, the one shown, playing or not.
#[derive(Clone, Debug, PartialEq)]
pub struct Presentation {
    /// The window to restore.
    pub restore: Restore,
    stops: Vec<Stop>,
    generation: Option<u64>,
    current: Option<usize>,
    playing: bool,
    hold_secs: f64,
    lang: Option<Lang>,
    built_lang: Option<Lang>,
}

impl Presentation {
    /// A presentation, playing from the start once its decisions are known.
    pub fn new(restore: Restore) -> Self {
        Self {
            restore,
            stops: Vec::new(),
            generation: None,
            current: None,
            playing: true,
            hold_secs: 0.0,
            lang: None,
            built_lang: None,
        }
    }

    /// The language of the captions: the one chosen, else the persona's first.
    pub fn lang(&self, persona: &Persona) -> Lang {
        self.lang.unwrap_or_else(|| persona.first_language())
    }

    /// Follows a simulation result: the captions of every decision, rebuilt when it is new.
    /// Returns whether they were rebuilt.
    pub fn follow(&mut self, output: &SimOutput) -> bool {
        let lang = self.lang(&output.persona);
        if self.generation == Some(output.generation) && self.built_lang == Some(lang) {
            return false;
        }
        let same_result = self.generation == Some(output.generation);
        self.generation = Some(output.generation);
        self.built_lang = Some(lang);
        if same_result {
            // Only the language changed: the captions are rewritten, the place is kept.
            for stop in &mut self.stops {
                if let Some(d) = output.replay.of_user(stop.user).get(stop.index) {
                    stop.caption = caption(&output.scenario, stop.user, d, &output.persona, lang);
                }
            }
            return true;
        }
        self.set_stops(stops(
            &output.scenario,
            &output.persona,
            lang,
            output.replay.users.iter().flat_map(|u| {
                u.decisions
                    .iter()
                    .enumerate()
                    .map(move |(i, d)| (u.user, i, d))
            }),
        ));
        true
    }

    /// Replaces the decisions narrated (sorted by time, then user).
    pub fn set_stops(&mut self, mut stops: Vec<Stop>) {
        stops.sort_by_key(|s| (s.at_secs, s.user, s.index));
        self.stops = stops;
        self.current = None;
    }

    /// The decisions narrated.
    pub fn stops(&self) -> &[Stop] {
        &self.stops
    }

    /// The index of the decision shown, if the cursor reached one.
    pub fn current(&self) -> Option<usize> {
        self.current
    }

    /// The decision shown.
    pub fn current_stop(&self) -> Option<&Stop> {
        self.current.and_then(|i| self.stops.get(i))
    }

    /// Whether the replay plays on its own.
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// Follows the cursor when something else moved it (a click on the plot): the decision shown
    /// is the last one at or before it; of several at one instant, the one chosen stays.
    pub fn sync(&mut self, time_secs: f64) {
        let reached = self
            .stops
            .partition_point(|s| (s.at_secs as f64) <= time_secs);
        let last = reached.checked_sub(1);
        let keep = match (self.current, last) {
            (Some(cur), Some(last)) => {
                cur <= last && self.stops[cur].at_secs == self.stops[last].at_secs
            }
            _ => false,
        };
        if !keep {
            self.current = last;
        }
    }

    /// Applies a command, moving `cursor` to the decision shown.
    pub fn apply(&mut self, command: PresentationCommand, cursor: &mut ReplayCursor) {
        match command {
            PresentationCommand::TogglePlay => {
                self.playing = !self.playing;
                self.hold_secs = 0.0;
                if self.playing {
                    let (_, end) = cursor.range_secs();
                    if cursor.time_secs() >= end {
                        cursor.apply(CursorCommand::ToStart, &[]);
                        self.current = None;
                    }
                    cursor.apply(CursorCommand::Play, &[]);
                } else {
                    cursor.apply(CursorCommand::Pause, &[]);
                }
            }
            PresentationCommand::SetLang(lang) => self.lang = Some(lang),
            PresentationCommand::Next | PresentationCommand::Previous => {
                self.sync(cursor.time_secs());
                self.playing = false;
                self.hold_secs = 0.0;
                let target = match (command, self.current) {
                    (PresentationCommand::Next, None) => (!self.stops.is_empty()).then_some(0),
                    (PresentationCommand::Next, Some(i)) => {
                        (i + 1 < self.stops.len()).then_some(i + 1)
                    }
                    (_, None) => None,
                    (_, Some(i)) => i.checked_sub(1),
                };
                match target {
                    Some(i) => {
                        self.current = Some(i);
                        cursor.apply(CursorCommand::Scrub(self.stops[i].at_secs as f64), &[]);
                    }
                    None if command == PresentationCommand::Previous => {
                        self.current = None;
                        cursor.apply(CursorCommand::ToStart, &[]);
                    }
                    None => cursor.apply(CursorCommand::Pause, &[]),
                }
            }
        }
    }

    /// Advances a playing presentation by `dt_secs` of real time: the cursor runs at its speed,
    /// stops on each decision for [`HOLD_SECS`], and the presentation ends paused at the end.
    /// Returns whether it needs another frame.
    pub fn tick(&mut self, dt_secs: f64, cursor: &mut ReplayCursor) -> bool {
        if !self.playing {
            return false;
        }
        if self.hold_secs > 0.0 {
            self.hold_secs -= dt_secs;
            if self.hold_secs > 0.0 {
                return true;
            }
            self.hold_secs = 0.0;
            let (_, end) = cursor.range_secs();
            if cursor.time_secs() >= end {
                self.playing = false;
                return false;
            }
        }
        // The next decision after the one shown.
        let next = self.current.map_or(0, |i| i + 1);
        if let Some(stop) = self.stops.get(next)
            && (stop.at_secs as f64) <= cursor.time_secs()
        {
            self.current = Some(next);
            self.hold_secs = HOLD_SECS;
            cursor.apply(CursorCommand::Pause, &[]);
            return true;
        }
        if !cursor.is_playing() {
            cursor.apply(CursorCommand::Play, &[]);
        }
        cursor.tick(dt_secs);
        if let Some(stop) = self.stops.get(next)
            && (stop.at_secs as f64) <= cursor.time_secs()
        {
            cursor.apply(CursorCommand::Scrub(stop.at_secs as f64), &[]);
            self.current = Some(next);
            self.hold_secs = HOLD_SECS;
        } else if !cursor.is_playing() {
            // The end of the replay: the last caption stays.
            self.playing = false;
            return false;
        }
        true
    }

    /// The caption shown: the decision reached, else an introduction.
    pub fn caption(&self, scenario: &Scenario, persona: &Persona) -> String {
        match self.current_stop() {
            Some(stop) => stop.caption.clone(),
            None => introduction(scenario, persona, self.stops.len(), self.lang(persona)),
        }
    }
}

/// The stops of `decisions` (user index, decision index, decision), unsorted.
pub fn stops<'a>(
    scenario: &Scenario,
    persona: &Persona,
    lang: Lang,
    decisions: impl Iterator<Item = (usize, usize, &'a Decision)>,
) -> Vec<Stop> {
    decisions
        .map(|(user, index, d)| Stop {
            at_secs: d.at.timestamp(),
            user,
            index,
            caption: caption(scenario, user, d, persona, lang),
        })
        .collect()
}

/// The first instant of the scenario (its earliest message).
fn scenario_start(scenario: &Scenario) -> Option<DateTime<Utc>> {
    scenario
        .users
        .iter()
        .filter_map(|u| u.events.first().map(|e| e.at))
        .min()
}

/// "Day 3, 09:00": the day counted from the scenario's first day (day 1), in the user's zone.
fn day_and_time(scenario: &Scenario, user: &User, at: DateTime<Utc>, lang: Lang) -> String {
    let local = at.with_timezone(&user.timezone);
    let day = scenario_start(scenario).map_or(1, |start| {
        let first = start.with_timezone(&user.timezone).date_naive();
        (local.date_naive() - first).num_days() + 1
    });
    let time = local.format("%H:%M");
    match lang {
        Lang::Fr => format!("Jour {day}, {time}"),
        Lang::En => format!("Day {day}, {time}"),
    }
}

/// "two weeks", "7 days": a span of days in words.
fn span_words(days: i64, lang: Lang) -> String {
    match (lang, days) {
        (Lang::En, 14) => "two weeks".to_owned(),
        (Lang::En, 7) => "a week".to_owned(),
        (Lang::En, 1) => "a day".to_owned(),
        (Lang::En, n) => format!("{n} days"),
        (Lang::Fr, 14) => "deux semaines".to_owned(),
        (Lang::Fr, 7) => "une semaine".to_owned(),
        (Lang::Fr, 1) => "un jour".to_owned(),
        (Lang::Fr, n) => format!("{n} jours"),
    }
}

/// "6 times in two weeks", from the message-count check of a decision.
fn message_count(decision: &Decision, lang: Lang) -> Option<(u32, String)> {
    decision.evaluation.checks().find_map(|c| match c.evidence {
        Evidence::MessageCount {
            count,
            from_secs,
            to_secs,
        } => {
            let days = ((to_secs - from_secs) as f64 / 86_400.0).round() as i64;
            Some((count, span_words(days, lang)))
        }
        _ => None,
    })
}

fn times(n: u32, lang: Lang) -> String {
    match (lang, n) {
        (Lang::En, 1) => "once".to_owned(),
        (Lang::En, n) => format!("{n} times"),
        (Lang::Fr, 1) => "une fois".to_owned(),
        (Lang::Fr, n) => format!("{n} fois"),
    }
}

/// "de Hans Zimmer", "d'Interstellar": French elision before a vowel.
fn de(label: &str) -> String {
    let elides = label
        .chars()
        .next()
        .is_some_and(|c| "aeiouyàâéèêëîïôûüAEIOUYÀÂÉÈÊËÎÏÔÛÜ".contains(c));
    if elides {
        format!("d'{label}")
    } else {
        format!("de {label}")
    }
}

/// The caption of one decision, in plain language: when, what the user did, what the persona
/// does and why ("Day 3, 09:00 — Léa has written 6 times in two weeks: Maestro of Movie Magic
/// follows up about Hans Zimmer"), in `lang` whatever the user's own language. A follow-up the
/// quiet hours moved says so ("moved from 22:30 to 09:00 by the quiet hours").
pub fn caption(
    scenario: &Scenario,
    user: usize,
    decision: &Decision,
    persona: &Persona,
    lang: Lang,
) -> String {
    let Some(u) = scenario.users.get(user) else {
        return String::new();
    };
    let when = day_and_time(scenario, u, decision.at, lang);
    let name = &u.name;
    let bot = &persona.name;
    let count = message_count(decision, lang);
    let fr = lang == Lang::Fr;
    let what = match decision.reason {
        Reason::Sent => {
            let about = decision
                .message
                .as_ref()
                .and_then(|m| m.memory.as_ref())
                .map(|m| m.label.clone());
            let wrote = match &count {
                Some((n, span)) if fr => format!("{name} a écrit {} en {span}", times(*n, lang)),
                Some((n, span)) => format!("{name} has written {} in {span}", times(*n, lang)),
                None if fr => format!("{name} s'est tu·e"),
                None => format!("{name} has gone quiet"),
            };
            match (about, fr) {
                (Some(a), true) => format!("{wrote} : {bot} relance au sujet {}", de(&a)),
                (None, true) => format!("{wrote} : {bot} relance"),
                (Some(a), false) => format!("{wrote}: {bot} follows up about {a}"),
                (None, false) => format!("{wrote}: {bot} follows up"),
            }
        }
        reason => {
            let why = held_back_why(reason, decision, u, lang, count.as_ref());
            if fr {
                format!("{why} : {bot} reste silencieux")
            } else {
                format!("{why}: {bot} stays silent")
            }
        }
    };
    let crisis = if decision.evaluation.crisis {
        if fr {
            " ; un protocole d'aide humaine prend le relais"
        } else {
            "; a human-safety protocol takes over"
        }
    } else {
        ""
    };
    let moved = if decision.at != decision.base {
        let from = decision.base.with_timezone(&u.timezone).format("%H:%M");
        let to = decision.at.with_timezone(&u.timezone).format("%H:%M");
        if fr {
            format!(" (décalé de {from} à {to} par les heures calmes)")
        } else {
            format!(" (moved from {from} to {to} by the quiet hours)")
        }
    } else {
        String::new()
    };
    format!("{when} — {what}{crisis}{moved}")
}

fn held_back_why(
    reason: Reason,
    decision: &Decision,
    u: &User,
    lang: Lang,
    count: Option<&(u32, String)>,
) -> String {
    let name = &u.name;
    let fr = lang == Lang::Fr;
    let evidence =
        |pick: fn(&Evidence) -> bool| decision.evaluation.checks().map(|c| c.evidence).find(&pick);
    match reason {
        Reason::Minor => {
            let age = match evidence(|e| matches!(e, Evidence::Minor { .. })) {
                Some(Evidence::Minor {
                    profile_age: Some(a),
                    ..
                }) => Some((a, false)),
                Some(Evidence::Minor {
                    stated: Some((_, a)),
                    ..
                }) => Some((u32::from(a), true)),
                _ => None,
            };
            match (age, fr) {
                (Some((a, false)), false) => format!("{name} is {a}, a minor"),
                (Some((a, true)), false) => format!("{name} said they are {a}, a minor"),
                (None, false) => format!("{name} is a minor"),
                (Some((a, false)), true) => format!("{name} a {a} ans, c'est un·e mineur·e"),
                (Some((a, true)), true) => format!("{name} a dit avoir {a} ans"),
                (None, true) => format!("{name} est mineur·e"),
            }
        }
        Reason::OptedOut if fr => format!("{name} ne répond plus, mais a demandé d'arrêter"),
        Reason::OptedOut => format!("{name} has been quiet, but asked to stop"),
        Reason::Sensitive => {
            let category = match evidence(|e| matches!(e, Evidence::Sensitive { .. })) {
                Some(Evidence::Sensitive {
                    flagged: Some((_, c)),
                }) => Some(c.label()),
                _ => None,
            };
            match (category, fr) {
                (_, true) => format!("{name} a abordé récemment un sujet sensible"),
                (Some(c), false) => format!("{name} recently raised a sensitive topic ({c})"),
                (None, false) => format!("{name} recently raised a sensitive topic"),
            }
        }
        Reason::Wellbeing => {
            let (messages, nights) = match evidence(|e| matches!(e, Evidence::Wellbeing { .. })) {
                Some(Evidence::Wellbeing {
                    messages_7d,
                    nights_7d,
                }) => (messages_7d, nights_7d),
                _ => (0, 0),
            };
            if fr {
                format!(
                    "{name} a écrit {messages} messages en 7 jours, dont {nights} nuits : \
                     pour son bien-être"
                )
            } else {
                format!(
                    "{name} wrote {messages} messages in 7 days, on {nights} nights: for their \
                     wellbeing"
                )
            }
        }
        Reason::WindowExpired if fr => {
            format!("{name} ne répond plus depuis trop longtemps, la fenêtre de relance est close")
        }
        Reason::WindowExpired => {
            format!("{name} has been quiet too long, the follow-up window has closed")
        }
        Reason::TooFewMessages => match (count, fr) {
            (Some((n, span)), true) => {
                format!(
                    "{name} ne répond plus, mais n'a écrit que {} en {span}",
                    times(*n, lang)
                )
            }
            (Some((n, span)), false) => {
                format!(
                    "{name} has been quiet, but wrote only {} in {span}",
                    times(*n, lang)
                )
            }
            (None, true) => format!("{name} n'a pas assez écrit"),
            (None, false) => format!("{name} has not written enough"),
        },
        Reason::NoApprovedTemplate if fr => {
            format!("{name} est sur WhatsApp, sans modèle de message approuvé")
        }
        Reason::NoApprovedTemplate => {
            format!("{name} is on WhatsApp, with no approved message template")
        }
        Reason::NoSafeText if fr => {
            format!("aucun texte pour {name} n'a passé le contrôle de sortie")
        }
        Reason::NoSafeText => format!("no text for {name} passed the output check"),
        Reason::Sent => String::new(),
    }
}

/// The caption before the first decision.
fn introduction(scenario: &Scenario, persona: &Persona, decisions: usize, lang: Lang) -> String {
    let s = if decisions == 1 { "" } else { "s" };
    match lang {
        Lang::Fr => format!(
            "{} — {} : {decisions} décision{s} à rejouer",
            persona.name, scenario.name
        ),
        Lang::En => format!(
            "{} — {}: {decisions} decision{s} to replay",
            persona.name, scenario.name
        ),
    }
}

/// The presentation layout: the caption large at the top, the key hints under it, the
/// timeline plot below, nothing else.
pub fn presentation_ui(
    ui: &mut Ui,
    presentation: &Presentation,
    view: &mut TimelineView,
    output: Option<&SimOutput>,
    commands: &mut Vec<Command>,
) {
    let Some(output) = output else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("simulating…");
        });
        return;
    };
    let caption = presentation.caption(&output.scenario, &output.persona);
    ui.add_space(12.0);
    let decision = presentation
        .current_stop()
        .and_then(|stop| Some((stop, output.replay.of_user(stop.user).get(stop.index)?)));
    let lang = presentation.lang(&output.persona);
    // Columns lay out justified, which would stretch the spaces of a wrapped caption: each
    // column is laid out from the left instead.
    let left = egui::Layout::top_down(egui::Align::LEFT);
    ui.columns(2, |columns| {
        columns[0].with_layout(left, |ui| {
            ui.add(egui::Label::new(RichText::new(caption).size(30.0).strong()).wrap());
        });
        if let Some((stop, d)) = decision {
            columns[1].with_layout(left, |ui| {
                narrated_decision_ui(ui, output, stop.user, d, lang);
            });
        }
    });
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        let position = match presentation.current() {
            Some(i) => format!("decision {} of {}", i + 1, presentation.stops().len()),
            None => format!("{} decisions", presentation.stops().len()),
        };
        ui.label(RichText::new(position).weak());
        ui.separator();
        let state = if presentation.is_playing() {
            "playing"
        } else {
            "paused"
        };
        ui.label(RichText::new(state).weak());
        ui.separator();
        let l = ui.label(RichText::new("captions in").weak());
        let current = presentation.lang(&output.persona);
        let mut picked = current;
        egui::ComboBox::from_id_salt("caption language")
            .selected_text(current.native_name())
            .show_ui(ui, |ui| {
                for lang in Lang::ALL {
                    ui.selectable_value(&mut picked, lang, lang.native_name());
                }
            })
            .response
            .labelled_by(l.id);
        if picked != current {
            commands.push(Command::Presentation(PresentationCommand::SetLang(picked)));
        }
        ui.separator();
        ui.label(
            RichText::new(
                "Space play or pause · Left / Right previous or next decision · Esc leave",
            )
            .weak(),
        );
    });
    ui.separator();
    presentation_plot_ui(ui, view, output, commands);
}

/// What the narrated decision did: the nudge as the user would read it, or the held-back card
/// with its reason, in the captions' language.
fn narrated_decision_ui(ui: &mut Ui, output: &SimOutput, user: usize, d: &Decision, lang: Lang) {
    let name = output
        .scenario
        .users
        .get(user)
        .map_or("", |u| u.name.as_str());
    match d.text() {
        Some(text) => {
            let bot = &output.persona.name;
            let header = match lang {
                Lang::Fr => format!("{bot} à {name}"),
                Lang::En => format!("{bot} to {name}"),
            };
            ui.label(RichText::new(header).weak());
            egui::Frame::new()
                .fill(theme::tint(theme::SENT))
                .stroke(egui::Stroke::new(2.0, theme::SENT))
                .corner_radius(12.0)
                .inner_margin(12.0)
                .show(ui, |ui| {
                    let strong = ui.visuals().strong_text_color();
                    ui.add(egui::Label::new(RichText::new(text).size(22.0).color(strong)).wrap());
                });
        }
        None => {
            let color = theme::reason_color(d.reason);
            egui::Frame::new()
                .fill(theme::tint(color))
                .stroke(egui::Stroke::new(2.0, color))
                .corner_radius(6.0)
                .inner_margin(12.0)
                .show(ui, |ui| {
                    let (title, nothing) = held_back_card_words(d.reason, name, lang);
                    ui.label(RichText::new(title).size(22.0).strong());
                    let text = ui.visuals().text_color();
                    ui.label(RichText::new(nothing).size(16.0).color(text));
                });
        }
    }
}

/// The held-back card's title and line, in `lang` ("held back: too few messages", "nothing is
/// sent to Tom").
fn held_back_card_words(reason: Reason, name: &str, lang: Lang) -> (String, String) {
    match lang {
        Lang::En => (
            format!("held back: {}", theme::reason_words(reason)),
            format!("nothing is sent to {name}"),
        ),
        Lang::Fr => {
            let why = match reason {
                Reason::Sent => "envoyée",
                Reason::Minor => "mineur",
                Reason::OptedOut => "désinscription",
                Reason::Sensitive => "sujet sensible",
                Reason::Wellbeing => "bien-être",
                Reason::WindowExpired => "fenêtre expirée",
                Reason::TooFewMessages => "trop peu de messages",
                Reason::NoApprovedTemplate => "aucun modèle approuvé",
                Reason::NoSafeText => "aucun texte sûr",
            };
            (
                format!("retenue : {why}"),
                format!("rien n'est envoyé à {name}"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::{ReplayOptions, replay};
    use crate::ui::files::{DEFAULT_PERSONA, DEFAULT_SCENARIO, resource};

    fn demo() -> (Persona, Scenario, crate::engine::Replay) {
        let persona = Persona::load(&resource(DEFAULT_PERSONA)).expect("persona");
        let scenario = Scenario::load(&resource(DEFAULT_SCENARIO)).expect("scenario");
        let policy = persona.policy.resolve().expect("policy");
        let result = replay(&persona, &policy, &scenario, ReplayOptions::default());
        (persona, scenario, result)
    }

    fn user_index(scenario: &Scenario, id: &str) -> usize {
        scenario
            .users
            .iter()
            .position(|u| u.id == id)
            .expect("user")
    }

    fn captions_of(id: &str) -> Vec<String> {
        let (persona, scenario, result) = demo();
        let user = user_index(&scenario, id);
        result
            .of_user(user)
            .iter()
            .map(|d| caption(&scenario, user, d, &persona, Lang::Fr))
            .collect()
    }

    #[test]
    fn a_sent_nudge_says_how_often_the_user_wrote_and_what_it_echoes_in_french() {
        let captions = captions_of("lea");
        let sent = captions
            .iter()
            .find(|c| c.contains("relance au sujet "))
            .expect("Léa's nudge is narrated");
        assert!(sent.starts_with("Jour "), "{sent}");
        assert!(sent.contains("Léa a écrit "), "{sent}");
        assert!(sent.contains("fois en deux semaines"), "{sent}");
        assert!(
            sent.contains("Maestro of Movie Magic relance au sujet "),
            "{sent}"
        );
        // What it follows up on is what the composed nudge echoes, elided in French.
        let (persona, scenario, result) = demo();
        let user = user_index(&scenario, "lea");
        let d = result
            .of_user(user)
            .iter()
            .find(|d| d.reason == Reason::Sent)
            .expect("sent");
        let label = &d
            .message
            .as_ref()
            .and_then(|m| m.memory.as_ref())
            .expect("echo")
            .label;
        assert!(sent.ends_with(&de(label)), "{sent}");
        assert!(d.text().is_some_and(|t| t.contains(label.as_str())));
        assert_eq!(caption(&scenario, user, d, &persona, Lang::Fr), *sent);
        assert_eq!(de("Interstellar"), "d'Interstellar");
        assert_eq!(de("Hans Zimmer"), "de Hans Zimmer");
    }

    #[test]
    fn held_back_decisions_say_why_the_persona_stays_silent() {
        let (persona, scenario, result) = demo();
        let mut seen = std::collections::BTreeSet::new();
        for (i, u) in scenario.users.iter().enumerate() {
            for d in result.of_user(i) {
                let c = caption(&scenario, i, d, &persona, persona.first_language());
                assert!(c.contains(&u.name), "{c}");
                assert!(c.contains(" — "), "{c}");
                if d.reason != Reason::Sent {
                    assert!(
                        c.ends_with("reste silencieux")
                            || c.ends_with("stays silent")
                            || c.contains("protocol"),
                        "{c}"
                    );
                    seen.insert(d.reason);
                }
            }
        }
        assert!(seen.contains(&Reason::OptedOut), "{seen:?}");
        assert!(seen.contains(&Reason::Minor), "{seen:?}");
    }

    #[test]
    fn english_captions_whatever_the_users_language_and_days_count_from_the_first_message() {
        let (persona, scenario, result) = demo();
        let user = user_index(&scenario, "lea");
        let d = result
            .of_user(user)
            .iter()
            .find(|d| d.reason == Reason::Sent)
            .expect("sent");
        let c = caption(&scenario, user, d, &persona, Lang::En);
        assert!(c.starts_with("Day "), "{c}");
        assert!(c.contains("Léa has written "), "{c}");
        assert!(
            c.contains("in two weeks: Maestro of Movie Magic follows up about"),
            "{c}"
        );
        // The day is counted in the user's zone from the scenario's first day.
        let local = d.at.with_timezone(&scenario.users[user].timezone);
        let first = scenario_start(&scenario)
            .expect("start")
            .with_timezone(&scenario.users[user].timezone);
        let day = (local.date_naive() - first.date_naive()).num_days() + 1;
        assert!(
            c.starts_with(&format!("Day {day}, {}", local.format("%H:%M"))),
            "{c}"
        );
    }

    #[test]
    fn an_opt_out_caption_reads_as_the_designers_expect() {
        let (persona, mut scenario, result) = demo();
        let Some((user, d)) = scenario.users.iter().enumerate().find_map(|(i, _)| {
            result
                .of_user(i)
                .iter()
                .find(|d| d.reason == Reason::OptedOut)
                .map(|d| (i, d.clone()))
        }) else {
            panic!("the demo has an opt-out");
        };
        scenario.users[user].name = "Tom".to_owned();
        let c = caption(&scenario, user, &d, &persona, Lang::En);
        assert!(
            c.ends_with(
                "Tom has been quiet, but asked to stop: Maestro of Movie Magic stays silent"
            ),
            "{c}"
        );
    }

    #[test]
    fn one_language_for_every_caption_and_the_quiet_hours_move_is_told() {
        let (persona, scenario, result) = demo();
        let noor = user_index(&scenario, "noor");
        let d = result
            .of_user(noor)
            .iter()
            .find(|d| d.at != d.base)
            .expect("Noor's follow-up is moved by the quiet hours");
        let en = caption(&scenario, noor, d, &persona, Lang::En);
        assert!(en.contains("to 09:00 by the quiet hours"), "{en}");
        let fr = caption(&scenario, noor, d, &persona, Lang::Fr);
        assert!(fr.contains("à 09:00 par les heures calmes"), "{fr}");
        // Every caption of a French presentation starts with "Jour", English users included.
        for (i, _) in scenario.users.iter().enumerate() {
            for d in result.of_user(i) {
                let c = caption(&scenario, i, d, &persona, Lang::Fr);
                assert!(c.starts_with("Jour "), "{c}");
            }
        }
    }

    fn stop(at_secs: i64, user: usize) -> Stop {
        Stop {
            at_secs,
            user,
            index: 0,
            caption: format!("at {at_secs} for {user}"),
        }
    }

    fn presentation() -> (Presentation, ReplayCursor) {
        let mut p = Presentation::new(Restore {
            fullscreen: false,
            zoom: 1.0,
        });
        p.set_stops(vec![stop(500, 1), stop(100, 0), stop(500, 0)]);
        let mut cursor = ReplayCursor::new(0.0, 1000.0);
        cursor.apply(CursorCommand::ToStart, &[]);
        (p, cursor)
    }

    #[test]
    fn stepping_visits_every_decision_in_order_even_at_one_instant() {
        let (mut p, mut cursor) = presentation();
        assert_eq!(p.current(), None);
        p.apply(PresentationCommand::Next, &mut cursor);
        assert_eq!(p.current_stop().map(|s| s.at_secs), Some(100));
        assert_eq!(cursor.time_secs(), 100.0);
        assert!(!p.is_playing());
        p.apply(PresentationCommand::Next, &mut cursor);
        assert_eq!(
            p.current_stop().map(|s| (s.at_secs, s.user)),
            Some((500, 0))
        );
        p.apply(PresentationCommand::Next, &mut cursor);
        assert_eq!(
            p.current_stop().map(|s| (s.at_secs, s.user)),
            Some((500, 1))
        );
        // Past the last one nothing changes.
        p.apply(PresentationCommand::Next, &mut cursor);
        assert_eq!(p.current(), Some(2));
        p.apply(PresentationCommand::Previous, &mut cursor);
        assert_eq!(
            p.current_stop().map(|s| (s.at_secs, s.user)),
            Some((500, 0))
        );
        p.apply(PresentationCommand::Previous, &mut cursor);
        p.apply(PresentationCommand::Previous, &mut cursor);
        assert_eq!(p.current(), None);
        assert_eq!(cursor.time_secs(), 0.0);
    }

    #[test]
    fn playing_holds_on_each_decision_then_goes_on_and_ends_paused() {
        let (mut p, mut cursor) = presentation();
        cursor.apply(
            CursorCommand::SetSpeed(super::super::cursor::Speed::HourPerSec),
            &[],
        );
        assert!(p.is_playing());
        // 0.1 s at one hour per second is 360 s: the first decision (100) is reached and held.
        assert!(p.tick(0.1, &mut cursor));
        assert_eq!(cursor.time_secs(), 100.0);
        assert_eq!(p.current(), Some(0));
        // Held: the cursor waits.
        p.tick(HOLD_SECS / 2.0, &mut cursor);
        assert_eq!(cursor.time_secs(), 100.0);
        p.tick(HOLD_SECS, &mut cursor);
        p.tick(0.1, &mut cursor);
        assert_eq!(p.current(), Some(1));
        assert_eq!(cursor.time_secs(), 500.0);
        // The second decision at the same instant gets its own hold.
        p.tick(HOLD_SECS + 0.01, &mut cursor);
        p.tick(0.01, &mut cursor);
        assert_eq!(p.current(), Some(2));
        for _ in 0..100 {
            p.tick(1.0, &mut cursor);
        }
        assert!(!p.is_playing());
        assert_eq!(cursor.time_secs(), 1000.0);
        assert_eq!(p.current(), Some(2));
        // Space at the end plays again from the start.
        p.apply(PresentationCommand::TogglePlay, &mut cursor);
        assert!(p.is_playing());
        assert_eq!(cursor.time_secs(), 0.0);
        assert_eq!(p.current(), None);
    }

    #[test]
    fn a_click_elsewhere_moves_the_caption_with_the_cursor() {
        let (mut p, _) = presentation();
        p.sync(300.0);
        assert_eq!(p.current(), Some(0));
        p.sync(800.0);
        assert_eq!(p.current(), Some(2));
        p.sync(50.0);
        assert_eq!(p.current(), None);
    }
}
