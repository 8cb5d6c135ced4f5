//! The studio's imports, exports and presentation mode, driven through menus, forms and keys
//! with egui_kittest. File dialogs answer from a script; every file written goes to a temporary
//! folder.

#![cfg(feature = "gui")]

mod common;

use std::path::{Path, PathBuf};

use common::{TempDir, settle};
use egui::Key;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use relance::interop::{PersonaFormat, import_persona};
use relance::ui::command::{Command, Tab};
use relance::ui::files::{ScriptedDialogs, resource};
use relance::ui::interop_dialogs::InteropDialog;
use relance::ui::{StudioApp, StudioOptions};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}

/// The studio with dialogs that answer `answers` in order, and `personas_dir` as its library.
fn studio(answers: Vec<PathBuf>, personas_dir: Option<&Path>) -> Harness<'static, StudioApp> {
    let mut options = StudioOptions::headless(Box::new(ScriptedDialogs::new(answers)));
    options.persona = Some(resource("personas/cinema-maestro.ron"));
    options.scenario = Some(resource("assets/scenarios/demo-cinema.json"));
    if let Some(dir) = personas_dir {
        options.personas_dir = dir.to_owned();
    }
    let app = StudioApp::new(options);
    let mut harness = Harness::builder()
        .with_size([1600.0, 1000.0])
        .allow_missing_glyphs()
        .build_ui_state(|ui, app: &mut StudioApp| app.studio_ui(ui), app);
    settle(&mut harness);
    harness
}

/// Opens a menu of the menu bar and clicks one of its items.
/// The menu bar comes first, so its button is the first node of that name.
fn menu(harness: &mut Harness<'static, StudioApp>, menu: &str, item: &str) {
    harness
        .get_all_by_label(menu)
        .next()
        .expect("the menu")
        .click();
    harness.run_steps(3);
    harness.get_by_label_contains(item).click();
    harness.run_steps(5);
}

#[test]
fn file_import_saves_a_card_as_a_persona_and_opens_it() {
    let dir = TempDir::new("import");
    let out = dir.path("nightjar.ron");
    let mut harness = studio(
        vec![fixture("cards/v3-nightjar.json"), out.clone()],
        Some(dir.dir()),
    );
    menu(&mut harness, "File", "Import…");
    settle(&mut harness);
    let app = harness.state();
    assert!(app.error().is_none(), "{:?}", app.error());
    assert_eq!(app.document().persona().name, "Nightjar");
    assert_eq!(app.document().persona_path(), Some(out.as_path()));
    assert!(out.is_file());
    // The name shows in the window title and in the library.
    assert_eq!(app.window_title(), "Nightjar — Relance");
    assert!(harness.get_all_by_label_contains("Nightjar").count() >= 1);
    assert!(
        harness
            .state()
            .status()
            .is_some_and(|s| s.contains("v3-nightjar.json")),
        "{:?}",
        harness.state().status()
    );
}

#[test]
fn a_broken_card_is_reported_with_its_file_and_changes_nothing() {
    let dir = TempDir::new("broken-card");
    let broken = dir.path("broken.png");
    std::fs::write(&broken, b"not a png at all").expect("writes");
    let mut harness = studio(vec![broken], None);
    menu(&mut harness, "File", "Import…");
    let app = harness.state();
    let report = app.error().expect("reported");
    assert!(report.title.contains("broken.png"), "{report:?}");
    assert!(
        report
            .lines
            .iter()
            .any(|l| l.contains("broken.png") && l.contains("byte 0")),
        "{report:?}"
    );
    assert_eq!(app.document().persona().id, "cinema-maestro");
    harness.get_by_label_contains("Your current work is untouched");
}

#[test]
fn export_as_png_card_then_import_gives_the_same_persona_and_shows_the_avatar() {
    let dir = TempDir::new("export");
    let card = dir.path("maestro.png");
    let reimported = dir.path("maestro-again.ron");
    let mut harness = studio(
        vec![card.clone(), card.clone(), reimported.clone()],
        Some(dir.dir()),
    );
    menu(&mut harness, "File", "Export…");
    assert!(matches!(
        harness.state().interop_dialog(),
        Some(InteropDialog::ExportPersona(_))
    ));
    harness.get_by_label(PersonaFormat::CardPng.label()).click();
    harness.step();
    harness.get_by_label("Export…").click();
    harness.step();
    harness.step();
    assert!(harness.state().interop_dialog().is_none());
    assert!(
        harness.state().error().is_none(),
        "{:?}",
        harness.state().error()
    );
    assert!(card.is_file());
    let original = harness.state().document().persona().clone();
    let imported = import_persona(&card).expect("the card imports");
    assert_eq!(imported.persona.name, original.name);
    assert_eq!(imported.persona.greetings, original.greetings);
    assert_eq!(imported.persona.languages, original.languages);
    assert!(imported.avatar_png.is_some());

    // Back through File ▸ Import…: the persona opens with its avatar, in the library too.
    menu(&mut harness, "File", "Import…");
    settle(&mut harness);
    let app = harness.state();
    assert!(app.error().is_none(), "{:?}", app.error());
    assert_eq!(app.document().persona().name, original.name);
    assert_eq!(
        app.document().persona().avatar.as_deref(),
        Some("maestro-again.png")
    );
    assert!(dir.path("maestro-again.png").is_file());
    harness.get_by_label(Tab::Persona.label()).click();
    harness.step();
    harness.step();
    harness.get_by_label("avatar maestro-again.png");
    assert!(harness.query_all_by_role(Role::Image).count() >= 1);
}

#[test]
fn import_chat_lists_participants_and_replaces_the_scenario() {
    let mut harness = studio(vec![fixture("chats/android-fr.txt")], None);
    menu(&mut harness, "Scenario", "Import chat…");
    let Some(InteropDialog::ImportChat(form)) = harness.state().interop_dialog() else {
        panic!("the import form is open");
    };
    assert_eq!(form.participants, ["Léa", "Maestro"]);
    // Pick the roles the wrong way round, then right: the bot's row is the second radio.
    harness
        .get_all_by_role_and_label(Role::RadioButton, "Maestro")
        .next()
        .expect("user row")
        .click();
    harness.step();
    harness
        .get_all_by_role_and_label(Role::RadioButton, "Léa")
        .nth(1)
        .expect("bot row")
        .click();
    harness.step();
    let Some(InteropDialog::ImportChat(form)) = harness.state().interop_dialog() else {
        panic!("still open");
    };
    assert_eq!((form.user, form.bot), (1, 0));
    harness
        .get_all_by_role_and_label(Role::RadioButton, "Léa")
        .next()
        .expect("user row")
        .click();
    harness.step();
    harness
        .get_all_by_role_and_label(Role::RadioButton, "Maestro")
        .nth(1)
        .expect("bot row")
        .click();
    harness.step();
    // A wrong time zone is refused, with a clear message.
    harness
        .get_by_label("time zone")
        .set_text_value_accesskit("Europe/Pariss");
    harness.step();
    harness.step();
    harness.get_by_label_contains("unknown time zone `Europe/Pariss`");
    harness
        .get_by_label("time zone")
        .set_text_value_accesskit("Europe/Paris");
    harness.step();
    harness.step();
    harness.get_by_label("pseudonymise names, e-mail addresses and phone numbers");
    harness.get_by_label("Import").click();
    harness.step();
    settle(&mut harness);
    let app = harness.state();
    assert!(app.interop_dialog().is_none());
    let scenario = app.document().scenario();
    assert_eq!(scenario.users.len(), 1);
    assert_eq!(scenario.users[0].name, "Léa");
    assert!(app.document().scenario_path().is_none());
    assert!(app.document().scenario_dirty());
    assert_eq!(app.tab(), Tab::Timeline);
    // The timeline replays it: one lane.
    assert!(app.totals().is_some());
    assert_eq!(app.timeline().user, 0);
    assert!(
        app.status().is_some_and(|s| s.contains("android-fr.txt")),
        "{:?}",
        app.status()
    );
}

#[test]
fn the_timeline_tab_imports_a_chat_too() {
    let mut harness = studio(vec![fixture("chats/android-fr.txt")], None);
    harness.get_by_label(Tab::Timeline.label()).click();
    harness.step();
    harness.step();
    assert_eq!(harness.state().tab(), Tab::Timeline);
    harness.get_by_label("import chat…").click();
    harness.step();
    harness.step();
    let Some(InteropDialog::ImportChat(form)) = harness.state().interop_dialog() else {
        panic!("the import form is open");
    };
    assert_eq!(form.participants, ["Léa", "Maestro"]);
}

#[test]
fn malformed_chat_lines_are_listed_in_the_form() {
    let mut harness = studio(vec![fixture("chats/malformed.txt")], None);
    menu(&mut harness, "Scenario", "Import chat…");
    assert!(harness.get_all_by_label_contains("malformed line").count() >= 1);
    harness.get_by_label_contains("line 3:");
    // Import waits until the designer agrees to leave them out.
    harness.get_by_label("skip the malformed lines").click();
    harness.step();
    harness.step();
    harness.get_by_label("Import").click();
    harness.step();
    settle(&mut harness);
    let status = harness.state().status().unwrap_or_default().to_owned();
    assert!(status.contains("left out"), "{status}");
    assert!(status.contains("3 ("), "{status}");
}

#[test]
fn export_report_writes_html_with_every_decisions_user() {
    let dir = TempDir::new("report");
    let out = dir.path("report.html");
    let mut harness = studio(vec![out.clone()], None);
    menu(&mut harness, "File", "Export report…");
    harness.get_by_label("HTML report").click();
    harness.step();
    harness.get_by_label("Export report…").click();
    harness.step();
    harness.step();
    assert!(
        harness.state().error().is_none(),
        "{:?}",
        harness.state().error()
    );
    let html = std::fs::read_to_string(&out).expect("written");
    assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"));
    let scenario = harness.state().document().scenario().clone();
    assert_eq!(harness.state().totals(), Some((2, 5)));
    for user in &scenario.users {
        assert!(html.contains(&user.name), "{} is missing", user.name);
    }
}

#[test]
fn presentation_mode_narrates_decisions_and_esc_restores_the_studio() {
    let mut harness = studio(Vec::new(), None);
    harness.get_by_label(Tab::Persona.label());
    harness.key_press(Key::F11);
    harness.step();
    harness.step();
    assert!(harness.state().presentation().is_some());
    // Editors are hidden: no tab, no library; a caption is shown.
    assert!(harness.query_by_label(Tab::Persona.label()).is_none());
    assert!(harness.query_by_label("personas").is_none());
    harness.get_by_label_contains("Space play or pause");
    // Right steps to the next decision's caption.
    let before = harness.state().presentation().and_then(|p| p.current());
    harness.key_press(Key::ArrowRight);
    harness.step();
    harness.step();
    let p = harness.state().presentation().expect("presenting");
    let expected = before.map_or(0, |i| i + 1);
    assert_eq!(p.current(), Some(expected));
    assert!(!p.is_playing());
    let caption = p.stops()[expected].caption.clone();
    assert!(caption.contains(" — "), "{caption}");
    harness.get_by_label(&caption);
    assert_eq!(
        harness.state().timeline().cursor.time_secs(),
        p.stops()[expected].at_secs as f64
    );
    harness.key_press(Key::ArrowRight);
    harness.step();
    let p = harness.state().presentation().expect("presenting");
    assert_eq!(p.current(), Some(expected + 1));
    harness.get_by_label(&p.stops()[expected + 1].caption.clone());
    harness.key_press(Key::ArrowLeft);
    harness.step();
    assert_eq!(
        harness.state().presentation().and_then(|p| p.current()),
        Some(expected)
    );
    // Space plays again.
    harness.key_press(Key::Space);
    harness.step();
    assert!(
        harness
            .state()
            .presentation()
            .is_some_and(|p| p.is_playing())
    );
    // Esc leaves: the tabs are back.
    harness.key_press(Key::Escape);
    harness.step();
    harness.step();
    assert!(harness.state().presentation().is_none());
    harness.get_by_label(Tab::Persona.label());
    assert!(!harness.state().timeline().cursor.is_playing());
}

#[test]
fn the_presentation_menu_item_and_f11_toggle() {
    let mut harness = studio(Vec::new(), None);
    menu(&mut harness, "View", "Presentation");
    assert!(harness.state().presentation().is_some());
    harness.key_press(Key::F11);
    harness.step();
    harness.step();
    assert!(harness.state().presentation().is_none());
    harness.state_mut().push(Command::TogglePresentation);
    harness.step();
    assert!(harness.state().presentation().is_some());
}

#[test]
fn export_timeline_as_png_writes_the_plot_region_of_the_screenshot() {
    let dir = TempDir::new("timeline-png");
    let out = dir.path("timeline.png");
    let mut harness = studio(vec![out.clone()], None);
    harness
        .get_all_by_label("Scenario")
        .next()
        .expect("the menu")
        .click();
    harness.run_steps(3);
    harness.get_by_label("Export timeline as PNG…").click();
    harness.step();
    // The app asked the window for a screenshot; this harness has no renderer, so the test
    // answers it with an image of the window's size, the plot's area painted white.
    let callbacks: Vec<egui::ScreenshotCallback> = harness
        .output()
        .viewport_output
        .values()
        .flat_map(|v| {
            v.commands.iter().filter_map(|c| match c {
                egui::ViewportCommand::Screenshot(callback) => Some(callback.clone()),
                _ => None,
            })
        })
        .collect();
    assert_eq!(callbacks.len(), 1);
    harness.run_steps(2);
    let rect = harness
        .state()
        .timeline()
        .plot_rect
        .expect("the plot was drawn");
    let mut image = egui::ColorImage::filled([1600, 1000], egui::Color32::BLACK);
    for y in rect.min.y.round() as usize..rect.max.y.round() as usize {
        for x in rect.min.x.round() as usize..rect.max.x.round() as usize {
            image.pixels[y * 1600 + x] = egui::Color32::WHITE;
        }
    }
    for callback in callbacks {
        callback.complete(std::sync::Arc::new(image.clone()));
    }
    harness.step();
    assert!(
        harness.state().error().is_none(),
        "{:?}",
        harness.state().error()
    );
    let png = std::fs::read(&out).expect("written");
    let written = relance::ui::avatar::decode_png(&png).expect("a PNG");
    assert_eq!(
        written.size,
        [
            rect.width().round() as usize,
            rect.height().round() as usize
        ]
    );
    assert!(written.pixels.iter().all(|c| *c == egui::Color32::WHITE));
    assert!(
        harness
            .state()
            .status()
            .is_some_and(|s| s.contains("wrote the timeline")),
        "{:?}",
        harness.state().status()
    );
}
