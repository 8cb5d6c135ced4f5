//! The Tests tab and the Timeline's ghost markers, driven through the real UI with egui_kittest:
//! pass and fail are shown per expectation, a click on a failing one opens the Timeline on its
//! decision with the expected outcome beside it, and "compare with saved version" draws the
//! saved persona's decisions.

#![cfg(feature = "gui")]

mod common;

use std::path::{Path, PathBuf};

use common::{TempDir, settle, show_tab};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use relance::model::Persona;
use relance::model::policy::PolicyChoice;
use relance::ui::command::Tab;
use relance::ui::files::ScriptedDialogs;
use relance::ui::selection::Selection;
use relance::ui::{StudioApp, StudioOptions};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The chef, saved in `dir` with its suite pointed back at the shipped scenario; with
/// `delay_hours`, under a custom policy with that delay.
fn chef_in(dir: &Path, delay_hours: Option<i64>) -> PathBuf {
    let mut persona = Persona::load(&root().join("personas/chef.ron")).expect("chef");
    persona.tests = vec![
        root()
            .join("personas/tests/chef-market.ron")
            .display()
            .to_string(),
    ];
    if let Some(h) = delay_hours {
        let mut policy = persona.policy.resolve().expect("preset");
        policy.delay_hours = h;
        persona.policy = PolicyChoice::Custom(policy);
    }
    let path = dir.join("chef.ron");
    persona.save(&path).expect("saved");
    path
}

fn studio(persona: PathBuf, scenario: &str) -> Harness<'static, StudioApp> {
    let mut options = StudioOptions::headless(Box::new(ScriptedDialogs::new(Vec::new())));
    options.persona = Some(persona);
    options.scenario = Some(root().join(scenario));
    common::studio_harness(options)
}

#[test]
fn the_tests_tab_shows_pass_and_fail_and_opens_the_failing_decision() {
    let dir = TempDir::new("click");
    let persona = chef_in(dir.dir(), Some(72));
    let mut harness = studio(persona, "assets/scenarios/sent.ron");
    show_tab(&mut harness, Tab::Tests);
    let (passed, failed) = harness.state().tests().counts();
    assert_eq!(failed, 1, "{:#?}", harness.state().tests().runs());
    assert!(passed >= 5);
    assert_eq!(harness.get_all_by_label("FAIL").count(), 1);
    assert_eq!(harness.get_all_by_label("pass").count(), passed);
    harness.get_by_label_contains(&format!("{passed} passed, 1 failed"));

    harness
        .get_by_label_contains("claire: sent between")
        .click();
    harness.step();
    settle(&mut harness);
    let app = harness.state();
    assert_eq!(app.tab(), Tab::Timeline);
    let scenario = app.document().scenario_path().expect("a scenario file");
    assert!(
        scenario.ends_with("chef-market.ron"),
        "{}",
        scenario.display()
    );
    let Selection::Decision { user, index } = app.timeline().selection else {
        panic!("no decision selected: {:?}", app.timeline().selection);
    };
    assert_eq!(user, 0, "Claire is the first user");
    assert_eq!(index, 0);
    let expected = app
        .timeline()
        .ghosts
        .expected
        .as_ref()
        .expect("expected marker");
    assert_eq!(expected.user, 0);
    assert!(expected.sent);
    // The expected time is the range's start, a day before the real (72-hour) nudge.
    let claire = &app.document().scenario().users[0];
    let last = claire.events.last().expect("events").at.timestamp();
    assert!(expected.at_secs < last + 72 * 3600);
}

#[test]
fn the_tests_tab_runs_again_when_the_persona_is_edited() {
    let dir = TempDir::new("edit");
    let persona = chef_in(dir.dir(), None);
    let mut harness = studio(persona, "personas/tests/chef-market.ron");
    show_tab(&mut harness, Tab::Tests);
    let (passed, failed) = harness.state().tests().counts();
    assert_eq!(failed, 0);
    harness.get_by_label_contains(&format!("{passed} passed, 0 failed"));
    // A three-day delay in the Policy tab, unsaved: Claire's nudge leaves its expected day.
    show_tab(&mut harness, Tab::Policy);
    harness
        .get_by_label("follow-up delay")
        .set_value_accesskit(72.0);
    harness.step();
    settle(&mut harness);
    show_tab(&mut harness, Tab::Tests);
    assert_eq!(harness.state().tests().counts(), (passed - 1, 1));
    harness.get_by_label_contains(&format!("{} passed, 1 failed", passed - 1));
}

#[test]
fn compare_with_saved_version_draws_the_saved_decisions_as_ghosts() {
    let dir = TempDir::new("ghosts");
    let persona = chef_in(dir.dir(), None);
    let mut harness = studio(persona, "personas/tests/chef-market.ron");
    assert!(harness.state().timeline().ghosts.saved().is_empty());
    harness.get_by_label("compare with saved version").click();
    harness.step();
    harness.step();
    let app = harness.state();
    let ghosts = app.timeline().ghosts.saved();
    let (sent, held) = app.totals().expect("simulated");
    assert_eq!(ghosts.len(), sent + held);
    assert!(ghosts.iter().any(|g| g.user == 0));
}
