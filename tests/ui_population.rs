//! The studio's Population tab driven through its real UI with egui_kittest: settings typed into
//! the fields, Run and Cancel clicked, results compared with the library's own run of the same
//! configuration, and a sampled user opened on the Timeline tab.
//!
//! Runs happen on a worker thread: the tests step frames until the run answers (a bounded number
//! of frames with short sleeps) and never assert on timing.

#![cfg(feature = "gui")]

mod common;

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use common::TempDir;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use relance::model::Persona;
use relance::sim::report::thousands;
use relance::sim::{PopulationConfig, Progress};
use relance::ui::command::Tab;
use relance::ui::files::{ScriptedDialogs, resource};
use relance::ui::population_run::RunEnd;
use relance::ui::{StudioApp, StudioOptions};

/// The studio on the maestro without its emoji, so that a missing glyph in the Population tab's
/// own text fails the test (the harness is built without `allow_missing_glyphs`).
fn studio(dir: &TempDir) -> Harness<'static, StudioApp> {
    let path = dir.path("plain.ron");
    let mut persona =
        Persona::load(&resource("personas/cinema-maestro.ron")).expect("the maestro loads");
    persona.tone.emoji_set.clear();
    persona.tone.emoji = relance::model::persona::EmojiUse::None;
    persona.save(&path).expect("saves");
    let mut options = StudioOptions::headless(Box::new(ScriptedDialogs::default()));
    options.persona = Some(path);
    let mut app = StudioApp::new(options);
    app.wait_for_simulation();
    let mut harness = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(|ui, app: &mut StudioApp| app.studio_ui(ui), app);
    harness.step();
    harness.step();
    harness.get_by_label("Population").click();
    harness.step();
    harness.step();
    assert_eq!(harness.state().tab(), Tab::Population);
    harness
}

fn set_number(harness: &mut Harness<'static, StudioApp>, label: &str, value: f64) {
    harness.get_by_label(label).set_value_accesskit(value);
    harness.step();
    harness.step();
}

/// Steps frames until the population run has answered.
fn wait_for_run(harness: &mut Harness<'static, StudioApp>) {
    for _ in 0..20_000 {
        harness.step();
        if !harness.state().population().is_running() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        !harness.state().population().is_running(),
        "the population run never answered"
    );
    harness.step();
    harness.step();
}

/// The configuration the panel runs for `users` and `days`, built with the library directly.
fn direct_config(harness: &Harness<'static, StudioApp>, users: u64, days: u32) -> PopulationConfig {
    let persona = harness.state().document().persona().clone();
    let policy = persona
        .policy
        .resolve()
        .expect("the maestro's preset exists");
    let mut config = PopulationConfig::new(persona, policy).expect("config");
    config.users = users;
    config.days = days;
    config
}

fn run_small(harness: &mut Harness<'static, StudioApp>) {
    set_number(harness, "users", 300.0);
    set_number(harness, "days", 30.0);
    let settings = &harness.state().population().settings;
    assert_eq!((settings.users, settings.days), (300, 30));
    harness.get_by_label("Run").click();
    harness.step();
    wait_for_run(harness);
    assert_eq!(
        harness.state().population().runner().end(),
        Some(&RunEnd::Finished)
    );
}

#[test]
fn a_run_shows_its_charts_and_totals_equal_to_the_library_run() {
    let dir = TempDir::new("run");
    let mut harness = studio(&dir);
    harness.get_by_label_contains("Run a population");
    run_small(&mut harness);

    let direct = relance::sim::run(
        &direct_config(&harness, 300, 30),
        &Progress::default(),
        &AtomicBool::new(false),
    )
    .expect("the library runs");
    let shown = harness
        .state()
        .population()
        .latest()
        .expect("a result")
        .base
        .clone();
    assert_eq!(shown, direct);
    let total = direct.total();
    assert!(total.decisions > 0, "a month of 300 users has decisions");
    // The totals are on screen, in words.
    harness.get_by_label_contains(&format!(
        "omni: {} nudges sent, {} held back, {} users nudged",
        thousands(total.sent),
        thousands(total.held_back_total()),
        thousands(total.nudged_users)
    ));
    harness.get_by_label_contains("300 users over 30 days");
    for title in [
        "nudges per day",
        "held back by reason",
        "sends by the user's local hour",
        "nudges per nudged user",
        "per archetype under omni",
        "returned within 48 h",
        "user samples",
    ] {
        harness.get_by_label(title);
    }
    // One table row per archetype, with its user count.
    for (info, m) in direct.archetypes.iter().zip(&direct.per_archetype) {
        assert!(
            harness.query_all_by_label(&info.name).next().is_some(),
            "no row for {}",
            info.name
        );
        assert!(m.users > 0, "{} has users", info.name);
    }
    // The settings go with the preferences.
    assert_eq!(harness.state().prefs().population.users, 300);
}

#[test]
fn comparing_two_policies_shows_both_and_their_differences() {
    let dir = TempDir::new("compare");
    let mut harness = studio(&dir);
    // The compare box lists the presets; choose pushy through the combo box.
    harness.get_by_label("compare with").click();
    harness.step();
    harness.step();
    harness
        .query_all_by_label("pushy")
        .last()
        .expect("pushy in the list")
        .click();
    harness.step();
    harness.step();
    assert_eq!(
        harness.state().population().settings.compare,
        Some(Some("pushy".to_owned()))
    );
    run_small(&mut harness);
    let out = harness
        .state()
        .population()
        .latest()
        .expect("a result")
        .clone();
    let compared = out.compared.as_ref().expect("a second run");
    assert_eq!(compared.policy, "pushy");
    let mut config = direct_config(&harness, 300, 30);
    config.policy = relance::model::Policy::preset("pushy").expect("preset");
    let direct = relance::sim::run(&config, &Progress::default(), &AtomicBool::new(false))
        .expect("the library runs");
    assert_eq!(*compared, direct);
    harness.get_by_label("differences: pushy minus omni");
    harness.get_by_label("per archetype under pushy");
    let d = direct.total().sent as i64 - out.base.total().sent as i64;
    assert_ne!(d, 0, "the two policies send different numbers of nudges");
    let sign = if d > 0 { "+" } else { "-" };
    assert!(
        harness
            .query_all_by_label(&format!("{sign}{}", thousands(d.unsigned_abs())))
            .next()
            .is_some(),
        "the difference of nudges sent ({d}) is shown"
    );
}

#[test]
fn cancel_stops_a_large_run() {
    let dir = TempDir::new("cancel");
    let mut harness = studio(&dir);
    set_number(&mut harness, "users", 1_000_000.0);
    assert_eq!(harness.state().population().settings.users, 1_000_000);
    harness.get_by_label("Run").click();
    harness.step();
    harness.step();
    assert!(harness.state().population().is_running());
    let total = harness
        .state()
        .population()
        .runner()
        .progress()
        .expect("progress while running")
        .total;
    assert_eq!(total, 1_000_000);
    // The progress bar shows users done over the total.
    harness.get_by_label_contains("/ 1,000,000 users");
    harness.get_by_label("Cancel").click();
    harness.step();
    wait_for_run(&mut harness);
    let population = harness.state().population();
    assert_eq!(population.runner().end(), Some(&RunEnd::Cancelled));
    assert!(population.runner().progress().is_none());
    assert!(population.latest().is_none());
    harness.get_by_label("cancelled");
}

#[test]
fn clicking_a_user_sample_opens_it_on_the_timeline() {
    let dir = TempDir::new("open");
    let mut harness = studio(&dir);
    run_small(&mut harness);
    let sample = harness
        .state()
        .population()
        .latest()
        .expect("a result")
        .base
        .samples
        .first()
        .copied()
        .expect("a sample");
    let label = format!("#{}", sample.index);
    harness
        .query_all_by_label(&label)
        .next()
        .expect("the sample's button")
        .click();
    harness.step();
    harness.step();
    let app = harness.state();
    assert_eq!(app.tab(), Tab::Timeline);
    let expected = relance::sim::user_scenario(&direct_config(&harness, 300, 30), sample.index)
        .expect("the user exists");
    assert_eq!(**app.document().scenario(), expected);
    assert_eq!(
        app.document().scenario().name,
        format!("Population user #{}", sample.index)
    );
    assert!(app.document().scenario_path().is_none());
    harness.state_mut().wait_for_simulation();
    harness.step();

    // The "user #" field opens any user, not only the samples.
    harness.get_by_label("Population").click();
    harness.step();
    harness.step();
    set_number(&mut harness, "user #", 42.0);
    harness.get_by_label("open in the timeline").click();
    harness.step();
    harness.step();
    assert_eq!(harness.state().tab(), Tab::Timeline);
    assert_eq!(
        harness.state().document().scenario().name,
        "Population user #42"
    );
}

#[test]
fn a_user_past_the_population_is_refused_in_the_panel() {
    let dir = TempDir::new("past");
    let mut harness = studio(&dir);
    run_small(&mut harness);
    let before = harness.state().document().scenario().clone();
    harness
        .state_mut()
        .push(relance::ui::command::Command::OpenPopulationUser(300));
    harness.step();
    harness.step();
    assert_eq!(harness.state().tab(), Tab::Population);
    assert_eq!(*harness.state().document().scenario(), before);
    harness.get_by_label_contains("user #300 does not exist");
}

#[test]
fn unsaved_scenario_edits_are_never_replaced_by_a_population_user() {
    use relance::ui::command::Command;
    use relance::ui::document::{Edit, EditKey};
    let dir = TempDir::new("dirty");
    let mut harness = studio(&dir);
    let at = harness.state().document().scenario().users[0].events[0].at;
    harness.state_mut().push(Command::Edit(
        Edit::AddMessage {
            user: 0,
            at,
            from: relance::model::Sender::User,
            channel: relance::model::Channel::Messenger,
            text: "an edit worth keeping".to_owned(),
        },
        EditKey::discrete(),
    ));
    harness.step();
    assert!(harness.state().document().scenario_dirty());
    let before = harness.state().document().scenario().clone();
    harness.state_mut().push(Command::OpenPopulationUser(3));
    harness.step();
    harness.step();
    assert_eq!(harness.state().tab(), Tab::Population);
    assert_eq!(*harness.state().document().scenario(), before);
    harness.get_by_label_contains("has unsaved changes");
}
