//! The studio as a presenter drives it: the Timeline's replay controls, the inspector leading
//! with the deciding reason, and presentation mode telling the whole story. Driven through the
//! real UI with egui_kittest, frame by frame, with kittest's fixed step time.

#![cfg(feature = "gui")]

mod common;

use common::{settle, show_tab};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use relance::ui::command::{Command, Tab};
use relance::ui::cursor::CursorCommand;
use relance::ui::files::ScriptedDialogs;
use relance::ui::selection::Selection;
use relance::ui::{StudioApp, StudioOptions};

fn studio() -> Harness<'static, StudioApp> {
    common::studio_harness(StudioOptions::headless(
        Box::new(ScriptedDialogs::default()),
    ))
}

fn cursor_secs(harness: &Harness<'static, StudioApp>) -> f64 {
    harness.state().timeline().cursor.time_secs()
}

fn playing(harness: &Harness<'static, StudioApp>) -> bool {
    harness.state().timeline().cursor.is_playing()
}

#[test]
fn the_replay_starts_at_the_start_of_the_scenario() {
    let mut harness = studio();
    show_tab(&mut harness, Tab::Timeline);
    let (start, end) = harness.state().timeline().cursor.range_secs();
    assert!(end > start);
    assert_eq!(cursor_secs(&harness), start);
    assert!(!playing(&harness));
}

#[test]
fn play_runs_the_cursor_to_the_end_over_many_frames_and_pause_stops_it() {
    let mut harness = studio();
    show_tab(&mut harness, Tab::Timeline);
    let (start, end) = harness.state().timeline().cursor.range_secs();
    harness.get_by_label("play").click();
    harness.step();
    harness.step();
    assert!(playing(&harness));
    // While playing the button offers to pause.
    harness.get_by_label("pause");
    let mut last = cursor_secs(&harness);
    let mut frames = 0;
    while playing(&harness) && frames < 10_000 {
        harness.step();
        let now = cursor_secs(&harness);
        assert!(now >= last, "the cursor never goes back while playing");
        last = now;
        frames += 1;
    }
    assert!(frames > 20, "played in {frames} frames only");
    assert_eq!(cursor_secs(&harness), end, "played to the end");
    assert!(!playing(&harness), "stopped at the end");
    harness.step();
    harness.get_by_label("play");

    // From the start again, a few frames, then pause: the cursor stays where it was.
    harness.get_by_label("start").click();
    harness.step();
    assert_eq!(cursor_secs(&harness), start);
    harness.get_by_label("play").click();
    harness.run_steps(5);
    assert!(playing(&harness));
    let moved = cursor_secs(&harness);
    assert!(moved > start);
    harness.get_by_label("pause").click();
    harness.step();
    assert!(!playing(&harness));
    let paused_at = cursor_secs(&harness);
    harness.run_steps(10);
    assert_eq!(cursor_secs(&harness), paused_at);
}

#[test]
fn a_cursor_moved_by_the_program_off_the_minute_grid_keeps_playing() {
    let mut harness = studio();
    show_tab(&mut harness, Tab::Timeline);
    let (start, _) = harness.state().timeline().cursor.range_secs();
    // 30.5 seconds in: a slider stepping by the minute would round it and read as a drag.
    harness
        .state_mut()
        .push(Command::Cursor(CursorCommand::Scrub(start + 30.5)));
    harness.step();
    harness
        .state_mut()
        .push(Command::Cursor(CursorCommand::Play));
    harness.run_steps(10);
    assert!(playing(&harness), "redrawing the slider paused the replay");
    assert!(cursor_secs(&harness) > start + 30.5);
}

/// The top of the first node whose label contains `text`.
fn top_of(harness: &Harness<'static, StudioApp>, text: &str) -> f32 {
    harness
        .query_all_by_label_contains(text)
        .map(|n| n.rect().top())
        .fold(f32::INFINITY, f32::min)
}

#[test]
fn the_inspector_leads_with_the_deciding_reason() {
    let mut harness = studio();
    show_tab(&mut harness, Tab::Timeline);
    // Tom wrote twice: his follow-up is held back for too few messages.
    harness
        .state_mut()
        .push(Command::Select(Selection::Decision { user: 1, index: 0 }));
    harness.run_steps(3);
    let reason = top_of(&harness, "deciding reason");
    assert!(reason.is_finite(), "no deciding reason box");
    let sentence = top_of(&harness, "5 needed");
    // The box's title (the legend above the plot also names the reason: look below the box).
    let title = harness
        .query_all_by_label_contains("held back: too few messages")
        .map(|n| n.rect().top())
        .filter(|top| *top > reason)
        .fold(f32::INFINITY, f32::min);
    let recipient = top_of(&harness, "to Tom (tom)");
    let trace = top_of(&harness, "rule trace");
    let failing = top_of(&harness, "FAIL too_few_messages");
    // The box comes first, with the failing rule's sentence in it, before any other detail.
    assert!(
        reason < title && title <= sentence,
        "{reason} {title} {sentence}"
    );
    assert!(
        sentence < recipient,
        "the sentence is in the box, above the details"
    );
    assert!(recipient < trace && trace < failing);
    // Failing rules first; the passed ones are folded under one header.
    let passed = harness
        .query_all_by_label_contains("rules passed")
        .chain(harness.query_all_by_label_contains("rule passed"))
        .map(|n| n.rect().top())
        .fold(f32::INFINITY, f32::min);
    assert!(
        failing < passed,
        "failing rules come before the passed ones"
    );
    assert!(
        harness.query_by_label("pass quiet_hours").is_none(),
        "passed rules start folded"
    );
}

#[test]
fn an_empty_spot_after_the_silences_follow_up_says_it_was_already_sent() {
    let mut harness = studio();
    show_tab(&mut harness, Tab::Timeline);
    // Léa's silence from 7 January got its follow-up on 8 January at 13:00 UTC; on 9 January
    // at noon the answer is that one, not "every rule would allow it".
    harness
        .state_mut()
        .push(Command::Select(Selection::Instant {
            user: 0,
            at_secs: 1_767_960_000,
        }));
    harness.run_steps(3);
    harness.get_by_label("already followed up in this silence");
    harness.get_by_label_contains("one follow-up was already sent");
    assert!(
        harness
            .query_by_label_contains("Every rule would allow")
            .is_none()
    );
}

#[test]
fn presentation_shows_the_nudge_text_and_follows_the_narrated_user() {
    use relance::engine::Reason;
    use relance::model::{Persona, Scenario};
    use relance::replay::{ReplayOptions, replay};
    use relance::ui::command::PresentationCommand;
    use relance::ui::files::{DEFAULT_PERSONA, DEFAULT_SCENARIO, resource};

    let persona = Persona::load(&resource(DEFAULT_PERSONA)).expect("persona");
    let scenario = Scenario::load(&resource(DEFAULT_SCENARIO)).expect("scenario");
    let policy = persona.policy.resolve().expect("policy");
    let result = replay(&persona, &policy, &scenario, ReplayOptions::default());
    let sent = result
        .of_user(0)
        .iter()
        .position(|d| d.reason == Reason::Sent)
        .expect("Léa gets a follow-up");
    let text = result.of_user(0)[sent].text().expect("a text").to_owned();

    let mut harness = studio();
    show_tab(&mut harness, Tab::Timeline);
    harness.state_mut().push(Command::TogglePresentation);
    harness.step();
    assert!(harness.state().presentation().is_some());
    let mut reached = false;
    for _ in 0..40 {
        harness
            .state_mut()
            .push(Command::Presentation(PresentationCommand::Next));
        harness.step();
        harness.step();
        let stop = harness
            .state()
            .presentation()
            .and_then(|p| p.current_stop())
            .map(|s| (s.user, s.index));
        if stop == Some((0, sent)) {
            reached = true;
            break;
        }
        // Every narrated decision is the selected one, on its user's lane.
        if let Some((user, index)) = stop {
            assert_eq!(harness.state().timeline().user, user);
            assert_eq!(
                harness.state().timeline().selection,
                Selection::Decision { user, index }
            );
            // The held-back card speaks the captions' language (French here).
            if result.of_user(user)[index].reason != Reason::Sent {
                harness.get_by_label_contains("retenue : ");
                harness.get_by_label_contains("rien n'est envoyé à ");
            }
        }
    }
    assert!(reached, "Léa's follow-up is narrated");
    // The nudge itself, as Léa would read it, beside the caption.
    harness.get_by_label(&text);
    assert_eq!(harness.state().timeline().user, 0);
    // One caption language, the persona's first (French), switchable to English.
    harness.get_by_label_contains("Jour ");
    harness
        .state_mut()
        .push(Command::Presentation(PresentationCommand::SetLang(
            relance::model::Lang::En,
        )));
    harness.step();
    harness.step();
    harness.get_by_label_contains("Day ");
    harness.get_by_label(&text);
    // In English, the next held-back card too.
    let mut held = false;
    for _ in 0..10 {
        harness
            .state_mut()
            .push(Command::Presentation(PresentationCommand::Next));
        harness.step();
        harness.step();
        let Some(stop) = harness
            .state()
            .presentation()
            .and_then(|p| p.current_stop())
        else {
            break;
        };
        if result.of_user(stop.user)[stop.index].reason != Reason::Sent {
            harness.get_by_label_contains("held back: ");
            harness.get_by_label_contains("nothing is sent to ");
            held = true;
            break;
        }
    }
    assert!(held, "a held-back decision follows Léa's follow-up");
}

#[test]
fn the_newcomers_hint_shows_until_dismissed_and_the_dismissal_is_remembered() {
    let mut harness = studio();
    show_tab(&mut harness, Tab::Timeline);
    assert!(!harness.state().prefs().hint_dismissed);
    harness.get_by_label("new here?");
    harness.get_by_label("got it").click();
    harness.step();
    harness.step();
    assert!(harness.query_by_label("new here?").is_none());
    assert!(harness.state().prefs().hint_dismissed);
    // The preference is what eframe saves: a studio started from it shows no hint.
    let mut options = StudioOptions::headless(Box::new(ScriptedDialogs::default()));
    options.prefs = harness.state().prefs().clone();
    let app = StudioApp::new(options);
    let mut again = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(|ui, app: &mut StudioApp| app.studio_ui(ui), app);
    settle(&mut again);
    assert!(again.query_by_label("new here?").is_none());
}

#[test]
fn a_persona_named_at_start_opens_on_its_own_scenario() {
    use relance::ui::files::resource;
    let mut options = StudioOptions::headless(Box::new(ScriptedDialogs::default()));
    options.persona = Some(resource("personas/chef.ron"));
    let app = StudioApp::new(options);
    let mut harness = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(|ui, app: &mut StudioApp| app.studio_ui(ui), app);
    settle(&mut harness);
    let app = harness.state();
    assert_eq!(app.document().persona().id, "chef");
    assert!(
        app.document()
            .scenario_path()
            .is_some_and(|p| p.ends_with("demo-chef.json"))
    );
    // Several outcomes, none of them an echo of the cinema scenario.
    let (sent, held) = app.totals().expect("simulated");
    assert!(sent >= 2 && held >= 3, "{sent} sent, {held} held back");
    assert!(
        harness
            .query_all_by_label_contains("Interstellar")
            .next()
            .is_none()
    );
}
