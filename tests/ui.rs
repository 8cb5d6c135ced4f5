//! The studio driven through its real UI with egui_kittest: widgets are found by their labels,
//! clicked and typed into, and the app's state is checked after each frame.
//!
//! No test opens a native dialog (dialogs answer from a script), touches the user's preferences
//! (the app starts from default preferences and nothing saves them), or writes outside a
//! temporary folder.

#![cfg(feature = "gui")]

mod common;

use std::path::{Path, PathBuf};

use common::{TempDir, settle, show_tab};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use relance::model::policy::PolicyChoice;
use relance::model::{Persona, Scenario};
use relance::safety::percent_of_bp;
use relance::ui::command::Tab;
use relance::ui::files::{ScriptedDialogs, resource};
use relance::ui::selection::Selection;
use relance::ui::{StudioApp, StudioOptions};

fn studio_with(options: StudioOptions) -> Harness<'static, StudioApp> {
    let app = StudioApp::new(options);
    // Every glyph must be drawable: the studio's own text and the shipped personas' emoji
    // (egui's monochrome emoji fonts are on).
    let mut harness = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(|ui, app: &mut StudioApp| app.studio_ui(ui), app);
    settle(&mut harness);
    harness
}

fn studio(answers: Vec<PathBuf>) -> Harness<'static, StudioApp> {
    studio_with(StudioOptions::headless(Box::new(ScriptedDialogs::new(
        answers,
    ))))
}

fn rename(harness: &mut Harness<'static, StudioApp>, name: &str) {
    show_tab(harness, Tab::Persona);
    harness.get_by_label("name").set_text_value_accesskit(name);
    harness.step();
    harness.step();
}

#[test]
fn it_starts_on_the_cinema_maestro_and_the_demo_scenario() {
    let harness = studio(Vec::new());
    let app = harness.state();
    assert_eq!(app.document().persona().id, "cinema-maestro");
    assert!(
        app.document()
            .scenario_path()
            .is_some_and(|p| p.ends_with("demo-cinema.json"))
    );
    assert_eq!(app.window_title(), "Maestro of Movie Magic — Relance");
    assert_eq!(app.totals(), Some((2, 5)));
    assert!(app.error().is_none());
    // The status line says it in words.
    harness.get_by_label_contains("2 sent, 5 held back");
}

#[test]
fn editing_the_name_marks_the_persona_unsaved_and_undo_restores_it() {
    let mut harness = studio(Vec::new());
    rename(&mut harness, "Maestro of Sound");
    let app = harness.state();
    assert_eq!(app.document().persona().name, "Maestro of Sound");
    assert!(app.document().persona_dirty());
    assert_eq!(app.window_title(), "Maestro of Sound ● — Relance");
    // Validation runs as you type: an empty name is reported beside the field.
    harness.get_by_label("name").set_text_value_accesskit("");
    harness.step();
    harness.step();
    harness.get_by_label_contains("the name is empty");
    // Undo, through the toolbar button, restores the original name: two edits of one field in
    // quick succession are one undo step.
    harness.get_by_label("undo").click();
    harness.step();
    harness.step();
    let app = harness.state();
    assert_eq!(app.document().persona().name, "Maestro of Movie Magic");
    assert!(!app.document().persona_dirty());
    assert_eq!(app.window_title(), "Maestro of Movie Magic — Relance");
    // Redo with the keyboard brings the edit back.
    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    harness.step();
    assert_eq!(harness.state().document().persona().name, "");
}

#[test]
fn lowering_the_minimum_message_count_sends_more_nudges() {
    let mut harness = studio(Vec::new());
    assert_eq!(harness.state().totals(), Some((2, 5)));
    show_tab(&mut harness, Tab::Policy);
    harness
        .get_by_label("minimum messages")
        .set_value_accesskit(2.0);
    harness.step();
    settle(&mut harness);
    let app = harness.state();
    let PolicyChoice::Custom(policy) = &app.document().persona().policy else {
        panic!("editing a preset makes it custom");
    };
    assert_eq!(policy.min_messages.map(|m| m.count), Some(2));
    // Tom wrote twice: with 2 messages enough, his follow-up goes out.
    assert_eq!(app.totals(), Some((3, 4)));
    harness.get_by_label_contains("3 sent, 4 held back");
    // Undo brings back the preset and its numbers.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.step();
    settle(&mut harness);
    assert_eq!(
        harness.state().document().persona().policy,
        PolicyChoice::Preset("omni".into())
    );
    assert_eq!(harness.state().totals(), Some((2, 5)));
}

#[test]
fn selecting_a_decision_shows_its_trace_text_and_channel() {
    let mut harness = studio(Vec::new());
    show_tab(&mut harness, Tab::Timeline);
    // Léa is the first user; her follow-up is sent on 8 January.
    harness.get_by_label("sent · Thu 8 Jan 13:00 UTC").click();
    harness.step();
    harness.step();
    assert_eq!(
        harness.state().timeline().selection,
        Selection::Decision { user: 0, index: 0 }
    );
    harness.get_by_label("rule trace");
    harness.get_by_label("channel: messenger");
    // The generated text, in the inspector and in the conversation.
    assert!(harness.get_all_by_label_contains("Hans Zimmer").count() >= 2);
    // Each rule with its sentence.
    harness.get_by_label("pass too_few_messages");
    harness.get_by_label_contains("user messages in the 14 days before");
    // A held-back decision of another user names the failing rule.
    harness.get_by_label("user").click();
    harness.run_steps(3);
    harness.get_by_label("Tom (tom)").click();
    harness.step();
    harness.step();
    harness
        .get_by_label("held back (too few messages) · Thu 8 Jan 01:12 UTC")
        .click();
    harness.step();
    harness.step();
    harness.get_by_label("FAIL too_few_messages");
    // In the deciding-reason box at the top, and on the failing rule's row.
    assert_eq!(harness.query_all_by_label_contains("5 needed").count(), 2);
}

#[test]
fn saving_writes_a_file_that_loads_back_equal() {
    let dir = TempDir::new("save");
    let target = dir.path("maestro-copy.ron");
    let mut harness = studio(vec![target.clone()]);
    rename(&mut harness, "Maestro, saved");
    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::S);
    harness.step();
    harness.step();
    let app = harness.state();
    assert!(app.error().is_none(), "{:?}", app.error());
    let loaded = Persona::load(&target).expect("the saved file loads");
    assert_eq!(&loaded, app.document().persona());
    assert_eq!(loaded.name, "Maestro, saved");
    assert!(!app.document().persona_dirty());
    assert_eq!(app.document().persona_path(), Some(target.as_path()));
    assert_eq!(app.window_title(), "Maestro, saved — Relance");
    // No temporary file is left beside it.
    let leftovers: Vec<_> = std::fs::read_dir(dir.dir())
        .expect("readable")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn a_broken_persona_file_shows_an_error_and_keeps_the_previous_persona() {
    let dir = TempDir::new("broken");
    let broken = dir.path("broken.ron");
    std::fs::write(
        &broken,
        "Persona(\n    version: 1,\n    id: \"x\",\n    name: 12,\n)\n",
    )
    .expect("writes");
    let mut harness = studio(vec![broken.clone()]);
    rename(&mut harness, "Maestro, edited");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::O);
    harness.step();
    harness.step();
    let app = harness.state();
    let report = app.error().expect("the error is shown");
    assert!(report.title.contains("broken.ron"), "{report:?}");
    assert!(
        report.lines.iter().any(|l| l.contains("broken.ron:4:")),
        "file, line and column: {report:?}"
    );
    // The current work is untouched, edits included.
    assert_eq!(app.document().persona().name, "Maestro, edited");
    assert!(app.document().persona_dirty());
    harness.get_by_label(&format!("cannot open {}", broken.display()));
    harness.get_by_label("dismiss").click();
    harness.step();
    assert!(harness.state().error().is_none());
}

#[test]
fn a_file_that_cannot_be_opened_at_start_is_reported_and_the_studio_opens() {
    let mut options = StudioOptions::headless(Box::new(ScriptedDialogs::default()));
    options.persona = Some(PathBuf::from("/nonexistent/persona.ron"));
    let harness = studio_with(options);
    let app = harness.state();
    assert!(
        app.error()
            .is_some_and(|e| e.title.contains("/nonexistent/persona.ron"))
    );
    assert_eq!(app.document().persona().id, "cinema-maestro");
    assert_eq!(app.totals(), Some((2, 5)));
}

#[test]
fn opening_over_unsaved_changes_asks_first() {
    let other = resource("personas/chef.ron");
    let mut harness = studio(vec![other.clone(), other.clone()]);
    rename(&mut harness, "Maestro, unsaved");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::O);
    harness.step();
    harness.step();
    assert!(
        harness.state().dialog().is_some(),
        "Save / Discard / Cancel"
    );
    harness.get_by_label("Cancel").click();
    harness.step();
    harness.step();
    assert!(harness.state().dialog().is_none());
    assert_eq!(
        harness.state().document().persona().name,
        "Maestro, unsaved"
    );
    harness.key_press_modifiers(Modifiers::COMMAND, Key::O);
    harness.step();
    harness.step();
    harness.get_by_label("Discard").click();
    harness.step();
    settle(&mut harness);
    let app = harness.state();
    assert_eq!(app.document().persona_path(), Some(other.as_path()));
    assert!(!app.document().persona_dirty());
}

#[test]
fn adding_a_message_at_the_cursor_reruns_the_simulation() {
    let mut harness = studio(Vec::new());
    show_tab(&mut harness, Tab::Timeline);
    let before = harness.state().document().scenario().users[0].events.len();
    // Step the cursor back to Léa's last message, then add one right after.
    harness.get_by_label("start").click();
    harness.step();
    harness
        .get_by_label("new message for Léa")
        .set_text_value_accesskit("Et la BO de Dune, alors ?");
    harness.step();
    harness.get_by_label("add user message at cursor").click();
    harness.step();
    settle(&mut harness);
    let app = harness.state();
    let lea = &app.document().scenario().users[0];
    assert_eq!(lea.events.len(), before + 1);
    assert!(app.document().scenario_dirty());
    assert!(app.window_title().contains('●'));
    // The new message is selected, at the cursor: the start of the scenario.
    let Selection::Event { user: 0, event } = app.timeline().selection else {
        panic!("the new message is selected");
    };
    assert_eq!(lea.events[event].text, "Et la BO de Dune, alors ?");
    assert_eq!(lea.events[event].at, lea.events[0].at);
    // Undo removes it and the simulation follows.
    harness.get_by_label("undo").click();
    harness.step();
    settle(&mut harness);
    assert_eq!(
        harness.state().document().scenario().users[0].events.len(),
        before
    );
}

#[test]
fn editing_and_deleting_a_message_from_the_inspector() {
    let dir = TempDir::new("scenario");
    let saved = dir.path("edited.json");
    let mut harness = studio(vec![saved.clone()]);
    show_tab(&mut harness, Tab::Timeline);
    harness
        .state_mut()
        .push(relance::ui::command::Command::Select(Selection::Event {
            user: 1,
            event: 0,
        }));
    harness.step();
    harness.step();
    harness
        .get_by_label("message text")
        .set_text_value_accesskit("Hello again");
    harness.step();
    harness.get_by_label("+1 day").click();
    harness.step();
    settle(&mut harness);
    let tom = &harness.state().document().scenario().users[1];
    assert!(tom.events.iter().any(|e| e.text == "Hello again"));
    assert!(tom.events.windows(2).all(|w| w[0].at <= w[1].at));
    harness.get_by_label("delete this message").click();
    harness.step();
    settle(&mut harness);
    let tom = &harness.state().document().scenario().users[1];
    assert!(!tom.events.iter().any(|e| e.text == "Hello again"));
    // Save the edited scenario as JSON and load it back.
    harness.get_by_label("save scenario as…").click();
    harness.step();
    harness.step();
    let app = harness.state();
    let back = Scenario::load(&saved).expect("the saved scenario loads");
    assert_eq!(&back, app.document().scenario().as_ref());
    assert!(!app.document().scenario_dirty());
}

#[test]
fn space_plays_and_pauses_the_replay() {
    let mut harness = studio(Vec::new());
    show_tab(&mut harness, Tab::Timeline);
    assert!(!harness.state().timeline().cursor.is_playing());
    harness.get_by_label("end").click();
    harness.step();
    let end = harness.state().timeline().cursor.time_secs();
    harness.key_press(Key::Space);
    harness.step();
    let cursor = &harness.state().timeline().cursor;
    assert!(cursor.is_playing());
    assert!(cursor.time_secs() < end, "play from the end starts over");
    harness.key_press(Key::Space);
    harness.step();
    assert!(!harness.state().timeline().cursor.is_playing());
}

#[test]
fn the_persona_tab_previews_the_follow_up_live() {
    let mut harness = studio(Vec::new());
    show_tab(&mut harness, Tab::Persona);
    let before = harness.state().previews()[0].text.clone();
    assert!(before.is_some());
    // Every template the persona has (the maestro has several per language).
    let mut edited = 0;
    for i in 1.. {
        let label = format!("template text {i}");
        let Some(node) = harness.query_by_label(&label) else {
            break;
        };
        node.set_text_value_accesskit("Coucou, ici {persona_name} !");
        edited += 1;
    }
    assert!(edited >= 3, "only {edited} template fields found");
    harness.step();
    harness.step();
    let after = harness.state().previews()[0].text.clone();
    assert_eq!(
        after.as_deref(),
        Some("Coucou, ici Maestro of Movie Magic !")
    );
    harness.get_by_label("Coucou, ici Maestro of Movie Magic !");
    // A mistyped placeholder is reported beside the template.
    harness
        .get_by_label("template text 1")
        .set_text_value_accesskit("Coucou {persona_nam}");
    harness.step();
    harness.step();
    assert!(
        harness
            .query_all_by_label_contains("unknown placeholder `{persona_nam}`")
            .next()
            .is_some(),
        "the mistyped placeholder is reported"
    );
}

/// Every tab, dialog and inspector view is drawn with the strict defaults of kittest: a glyph
/// the bundled fonts lack, or two widgets sharing an id (egui paints a warning with a glyph they
/// lack), fails the test. The persona is the maestro without its emoji.
#[test]
fn every_tab_renders_without_missing_glyphs_or_id_clashes() {
    let dir = TempDir::new("glyphs");
    let path = dir.path("plain.ron");
    let mut persona =
        Persona::load(&resource("personas/cinema-maestro.ron")).expect("the maestro loads");
    persona.tone.emoji_set.clear();
    persona.tone.emoji = relance::model::persona::EmojiUse::None;
    persona.save(&path).expect("saves");
    let mut options = StudioOptions::headless(Box::new(ScriptedDialogs::default()));
    options.persona = Some(path);
    let app = StudioApp::new(options);
    let mut harness = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(|ui, app: &mut StudioApp| app.studio_ui(ui), app);
    settle(&mut harness);
    show_tab(&mut harness, Tab::Timeline);
    for selection in [
        Selection::Decision { user: 0, index: 0 },
        Selection::Decision { user: 5, index: 0 },
        Selection::Event { user: 1, event: 0 },
        Selection::Instant {
            user: 2,
            at_secs: 1_767_960_000,
        },
    ] {
        harness
            .state_mut()
            .push(relance::ui::command::Command::Select(selection));
        harness.step();
        harness.step();
    }
    show_tab(&mut harness, Tab::Persona);
    show_tab(&mut harness, Tab::Policy);
    for dialog in [
        relance::ui::command::Command::ShowShortcuts,
        relance::ui::command::Command::ShowAbout,
    ] {
        harness.state_mut().push(dialog);
        harness.run_steps(10);
        harness.get_by_label("Close").click();
        harness.step();
    }
    for menu in ["File", "Edit", "View", "Help"] {
        harness.get_by_label(menu).click();
        harness.step();
        harness.step();
    }
}

/// The shipped files are never written by these tests.
#[test]
fn shipped_files_exist() {
    assert!(Path::new(&resource("personas/cinema-maestro.ron")).is_file());
}

/// Moves the persona tab's crisis threshold slider to `value`, as assistive technology would.
fn set_crisis_threshold(harness: &mut Harness<'static, StudioApp>, value: f64) {
    harness
        .get_by_role_and_label(
            egui::accesskit::Role::Slider,
            "crisis threshold (lower holds more back)",
        )
        .set_value_accesskit(value);
    harness.step();
    settle(harness);
}

#[test]
fn a_persona_makes_the_crisis_classifier_stricter_from_the_persona_tab() {
    let floor = relance::safety::SafetyChecker::crisis_floor();
    let mut harness = studio(Vec::new());
    show_tab(&mut harness, Tab::Persona);
    assert_eq!(
        harness.state().document().persona().safety.crisis_threshold,
        None
    );
    harness
        .get_by_label_contains("stricter crisis classifier")
        .click_accesskit();
    harness.step();
    settle(&mut harness);
    let ticked = harness.state().document().persona().safety.crisis_threshold;
    assert!(
        ticked.is_some_and(|t| t < floor && t > floor - 0.1),
        "ticking it starts a little under the highest shipped threshold: {ticked:?}"
    );
    let ticked_cost = relance::safety::SafetyAdditions {
        crisis_threshold: ticked,
        ..Default::default()
    }
    .crisis_threshold_cost()
    .expect("the shipped model carries its curve");
    assert!(!ticked_cost.is_costly(), "{ticked_cost:?}");
    assert!(harness.state().document().persona_dirty());
    set_crisis_threshold(&mut harness, 0.35);
    let t = harness.state().document().persona().safety.crisis_threshold;
    assert!(t.is_some_and(|t| (t - 0.35).abs() < 1e-6), "{t:?}");
    assert!(harness.state().error().is_none());
    // Costly (more than twice the shipped threshold's share of ordinary chat), it is warned
    // about under the slider.
    let cost = |t: f32| {
        relance::safety::SafetyAdditions {
            crisis_threshold: Some(t),
            ..Default::default()
        }
        .crisis_threshold_cost()
        .expect("the shipped model carries its curve")
    };
    assert!(cost(0.35).is_costly());
    harness.get_by_label_contains(&format!(
        "crisis_threshold 0.35 reads about {} % of ordinary chat as a crisis",
        percent_of_bp(cost(0.35).flagged_bp)
    ));
    // Under it, a quiet line beside the slider says it.
    let cheap = floor - 0.02;
    assert!(!cost(cheap).is_costly());
    set_crisis_threshold(&mut harness, f64::from(cheap));
    harness.get_by_label(&format!(
        "ordinary dev chat read as a crisis: {} % ({} % at the shipped thresholds)",
        percent_of_bp(cost(cheap).flagged_bp),
        percent_of_bp(cost(cheap).flagged_at_floor_bp)
    ));
    assert!(
        harness
            .query_by_label_contains("times the shipped")
            .is_none()
    );
    set_crisis_threshold(&mut harness, 0.35);
    // The demo's outcomes stay: a stricter check only adds holds, and it has none to add here.
    assert_eq!(harness.state().totals(), Some((2, 5)));
}
