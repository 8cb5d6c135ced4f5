//! Persona test suites: the shipped suites pass, a broken persona fails with readable messages,
//! expectations are checked when the scenario loads, JUnit output is valid XML with the right
//! counts, `--record` then `test` passes, and `diff` names what changed between two versions.

use std::path::{Path, PathBuf};

mod run;
use run::{path_str, relance, root, scratch, stdout};

use relance::model::Persona;
use relance::model::policy::PolicyChoice;
use relance::model::scenario::ScenarioFormat;
use relance::model::{LoadError, Scenario};
use relance::suite::diff::{ChangeKind, diff_replays};
use relance::suite::{PersonaRun, replay_for_suite, run_persona};

fn shipped(name: &str) -> Persona {
    Persona::load(&root().join("personas").join(name)).expect("shipped persona loads")
}

/// `persona` saved in `dir` with its suite scenarios pointed back at the shipped ones.
fn save_with_shipped_suites(mut persona: Persona, dir: &Path, file: &str) -> PathBuf {
    persona.tests = persona
        .tests
        .iter()
        .map(|t| root().join("personas").join(t).display().to_string())
        .collect();
    let path = dir.join(file);
    persona.save(&path).expect("saved");
    path
}

fn failures(run: &PersonaRun) -> Vec<(String, String, String)> {
    let suites = run.suites.as_ref().expect("persona loads");
    suites
        .iter()
        .flat_map(|s| s.results.as_ref().expect("scenario loads"))
        .filter(|r| !r.passed)
        .map(|r| (r.name.clone(), r.actual.clone(), r.trace.clone()))
        .collect()
}

#[test]
fn every_shipped_persona_has_a_suite_and_it_passes() {
    for name in ["cinema-maestro.ron", "chef.ron", "minimal.ron"] {
        let run = run_persona(&root().join("personas").join(name));
        let (passed, failed) = run.counts();
        assert!(passed >= 3, "{name}: only {passed} expectations");
        assert_eq!(failed, 0, "{name}: {:#?}", failures(&run));
    }
}

#[test]
fn relance_test_passes_on_the_shipped_personas_and_says_so() {
    let o = relance(&["test"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("3 personas, 3 suites"), "{out}");
    assert!(out.contains(" 0 failed"), "{out}");
}

#[test]
fn a_longer_delay_fails_the_expected_times_with_the_schedule_sentence() {
    let dir = scratch("delay");
    let mut persona = shipped("chef.ron");
    let mut policy = persona.policy.resolve().expect("preset");
    policy.delay_hours = 72;
    persona.policy = PolicyChoice::Custom(policy);
    let path = save_with_shipped_suites(persona, &dir, "chef.ron");
    let run = run_persona(&path);
    let failed = failures(&run);
    let claire = failed
        .iter()
        .find(|(name, _, _)| name.starts_with("claire: sent between"))
        .expect("Claire's nudge fails");
    assert!(
        claire
            .1
            .contains("no decision in that time; nearest: sent at 2026-03-07"),
        "{claire:?}"
    );
    assert!(claire.2.contains("3 days later is 7 Mar"), "{claire:?}");
}

#[test]
fn removed_templates_fail_the_text_checks_in_words() {
    let dir = scratch("templates");
    let mut persona = shipped("chef.ron");
    persona.templates.clear();
    let path = save_with_shipped_suites(persona, &dir, "chef.ron");
    let o = relance(&["test", path_str(&path)]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("FAIL"), "{out}");
    assert!(out.contains("expected  sent between"), "{out}");
    assert!(out.contains("actual    sent at"), "{out}");
}

#[test]
fn impossible_and_unknown_expectations_are_errors_with_their_place() {
    let base = std::fs::read_to_string(root().join("personas/tests/minimal-basics.ron"))
        .expect("shipped suite");
    let path = Path::new("suite.ron");
    let swapped = base.replace(
        "after: \"2026-02-11T00:00:00Z\",\n                    before: \"2026-02-12T12:00:00Z\"",
        "after: \"2026-02-12T12:00:00Z\",\n                    before: \"2026-02-11T00:00:00Z\"",
    );
    assert_ne!(swapped, base);
    let Err(LoadError::Invalid { diagnostics, .. }) =
        Scenario::from_str_with_expectations(&swapped, ScenarioFormat::Ron, path)
    else {
        panic!("a range ending before it starts is an error");
    };
    let d = &diagnostics[0];
    assert!(d.message.contains("ends"), "{d:?}");
    let line = swapped
        .lines()
        .position(|l| l.contains("before: \"2026-02-11"))
        .expect("line")
        + 1;
    assert_eq!(d.position.map(|p| p.0), Some(line), "{d:?}");

    let unknown_reason = base.replace("reason: too_few_messages", "reason: too_quiet");
    let e = Scenario::from_str_with_expectations(&unknown_reason, ScenarioFormat::Ron, path)
        .expect_err("unknown reason");
    let text = format!("{e:#}");
    assert!(
        text.contains("suite.ron:") && text.contains("too_quiet"),
        "{text}"
    );

    let held_for_sent = base.replace("reason: too_few_messages", "reason: sent");
    assert_ne!(held_for_sent, base);
    let Err(LoadError::Invalid { diagnostics, .. }) =
        Scenario::from_str_with_expectations(&held_for_sent, ScenarioFormat::Ron, path)
    else {
        panic!("held back for `sent` is an error");
    };
    assert!(
        diagnostics[0]
            .message
            .contains("is `held` for reason `sent`"),
        "{diagnostics:?}"
    );
    let line = held_for_sent
        .lines()
        .position(|l| l.contains("reason: sent"))
        .expect("line")
        + 1;
    assert_eq!(diagnostics[0].position.map(|p| p.0), Some(line));

    let unknown_field = base.replace("max_chars: 300", "max_chars: 300, colour: red");
    let e = Scenario::from_str_with_expectations(&unknown_field, ScenarioFormat::Ron, path)
        .expect_err("unknown field");
    let text = format!("{e:#}");
    assert!(text.contains("colour"), "{text}");
}

#[test]
fn a_scenario_without_expectations_reads_and_writes_as_before() {
    let path = root().join("assets/scenarios/sent.ron");
    let text = std::fs::read_to_string(&path).expect("shipped scenario");
    let (plain, _) = Scenario::from_str(&text, ScenarioFormat::Ron, &path).expect("loads");
    let (with, expectations, _) =
        Scenario::from_str_with_expectations(&text, ScenarioFormat::Ron, &path).expect("loads");
    assert_eq!(plain, with);
    assert!(expectations.is_empty());
    assert!(!plain.to_string(ScenarioFormat::Json).contains("expect"));
}

#[test]
fn junit_output_is_xml_with_the_counts_of_the_run() {
    let dir = scratch("junit");
    let mut persona = shipped("chef.ron");
    let mut policy = persona.policy.resolve().expect("preset");
    policy.delay_hours = 72;
    persona.policy = PolicyChoice::Custom(policy);
    let broken = save_with_shipped_suites(persona, &dir, "chef.ron");
    let junit = dir.join("results.xml");
    let o = relance(&[
        "test",
        "personas/minimal.ron",
        path_str(&broken),
        "--junit",
        path_str(&junit),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let xml = std::fs::read_to_string(&junit).expect("written");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failed, mut declared) = (0, 0, None);
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    b"testcase" => cases += 1,
                    b"failure" => failed += 1,
                    b"testsuites" => {
                        let attr = |n: &[u8]| -> usize {
                            let a = e.try_get_attribute(n).expect("attribute").expect("present");
                            String::from_utf8_lossy(&a.value).parse().expect("number")
                        };
                        declared = Some((attr(b"tests"), attr(b"failures")));
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    assert!(failed > 0);
    assert_eq!(declared, Some((cases, failed)));
}

#[test]
fn record_then_test_passes() {
    let dir = scratch("record");
    let scenario = dir.join("quiet-hours.ron");
    std::fs::copy(
        root().join("assets/scenarios/quiet-hours-shift.ron"),
        &scenario,
    )
    .expect("copied");
    let mut persona = shipped("cinema-maestro.ron");
    persona.tests = vec!["quiet-hours.ron".to_owned()];
    let path = dir.join("maestro.ron");
    persona.save(&path).expect("saved");
    let p = path_str(&path);
    let o = relance(&["test", "--record", p]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let text = std::fs::read_to_string(&scenario).expect("recorded");
    assert!(text.contains("expect:"), "{text}");
    let o = relance(&["test", p]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let run = run_persona(&path);
    assert!(run.counts().0 >= 1);
}

#[test]
fn usage_errors_exit_with_2() {
    assert_eq!(
        relance(&["test", "no/such/persona.ron"]).status.code(),
        Some(2)
    );
    assert_eq!(relance(&["test", "--junit"]).status.code(), Some(2));
    let o = relance(&[
        "diff",
        "--scenario",
        "assets/scenarios/sent.ron",
        "--persona",
        "personas/chef.ron",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

/// The cinema maestro and a version of it with a longer delay, a stricter engagement rule and
/// reworded templates.
fn crafted_pair(dir: &Path) -> (PathBuf, PathBuf) {
    let old = shipped("cinema-maestro.ron");
    let mut new = old.clone();
    let mut policy = new.policy.resolve().expect("preset");
    policy.delay_hours += 12;
    if let Some(m) = policy.min_messages.as_mut() {
        m.count += 1;
    }
    new.policy = PolicyChoice::Custom(policy);
    for t in &mut new.templates {
        t.text = format!("{} Bonne séance !", t.text);
    }
    let a = dir.join("maestro-old.ron");
    let b = dir.join("maestro-new.ron");
    old.save(&a).expect("saved");
    new.save(&b).expect("saved");
    (a, b)
}

#[test]
fn diff_shows_a_moved_nudge_a_changed_text_and_a_changed_reason() {
    let dir = scratch("diff");
    let (a, b) = crafted_pair(&dir);
    let scenario = Scenario::load(&root().join("personas/tests/cinema-demo.json")).expect("loads");
    let old = Persona::load(&a).expect("old");
    let new = Persona::load(&b).expect("new");
    let replay = |p: &Persona| {
        let policy = p.policy.resolve().expect("policy");
        replay_for_suite(p, &policy, &scenario)
    };
    let diff = diff_replays(&scenario, &replay(&old), &replay(&new));
    for kind in [ChangeKind::Moved, ChangeKind::Text, ChangeKind::Reason] {
        assert!(diff.count(kind) > 0, "no {kind:?} in {}", diff.to_text());
    }

    let o = relance(&[
        "diff",
        "--scenario",
        "personas/tests/cinema-demo.json",
        "--persona",
        path_str(&b),
        "--against",
        path_str(&a),
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("{+") && out.contains("+}"), "{out}");
    assert!(
        out.lines().last().is_some_and(|l| l.contains("differ")),
        "{out}"
    );

    let o = relance(&[
        "diff",
        "--scenario",
        "personas/tests/cinema-demo.json",
        "--persona",
        path_str(&b),
        "--against",
        path_str(&a),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let kinds: Vec<&str> = v["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .flat_map(|c| c["kinds"].as_array().expect("kinds"))
        .filter_map(|k| k.as_str())
        .collect();
    for k in ["moved", "text", "reason"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
}

#[test]
fn diff_against_a_policy_with_no_change_says_so() {
    let o = relance(&[
        "diff",
        "--scenario",
        "personas/tests/chef-market.ron",
        "--persona",
        "personas/chef.ron",
        "--against-policy",
        "omni",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.starts_with("no difference"), "{out}");
}

#[test]
fn relance_check_reports_an_impossible_expectation_with_its_place() {
    let dir = scratch("check-expect");
    let path = dir.join("impossible.ron");
    std::fs::write(
        &path,
        "(\n  name: \"x\",\n  users: [(id: \"a\", name: \"A\", timezone: \"Europe/Paris\", locale: \"fr\", events: [],\n    expect: [(outcome: sent, after: \"2026-01-02T00:00:00Z\", before: \"2026-01-01T00:00:00Z\")])],\n)\n",
    )
    .expect("write");
    let out = relance(&["check", path_str(&path)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("impossible.ron:4:"), "{err}");
    assert!(
        err.contains("ends") && err.contains("before it starts"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn saving_a_suite_scenario_keeps_its_expectations() {
    let original = root().join("personas/tests/chef-market.ron");
    let source = std::fs::read_to_string(&original).expect("read");
    let (_, expected, _) =
        Scenario::from_str_with_expectations(&source, ScenarioFormat::Ron, &original)
            .expect("parses");
    assert!(
        !expected.users.is_empty(),
        "precondition: it has expectations"
    );
    // The studio opens it without its expectations, edits it and saves it elsewhere.
    let mut scenario = Scenario::load(&original).expect("loads");
    scenario.name.push_str(" (edited)");
    let dir = scratch("save-keeps");
    let copy = dir.join("copy.ron");
    scenario
        .save_keeping_expectations(&copy, Some(&original))
        .expect("saves");
    let saved = std::fs::read_to_string(&copy).expect("read");
    let (back, kept, _) =
        Scenario::from_str_with_expectations(&saved, ScenarioFormat::Ron, &copy).expect("parses");
    assert_eq!(kept, expected);
    assert!(back.name.ends_with("(edited)"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A persona's safety problems are warned about, placed in its file, by `relance test` as by
/// `relance simulate`: here a crisis threshold above the shipped floor, run at the floor.
#[test]
fn relance_test_and_simulate_warn_about_safety_problems_at_their_place() {
    let dir = scratch("safety-warning");
    let path = dir.join("loose.ron");
    let suite = root().join("personas/tests/minimal-basics.ron");
    std::fs::write(
        &path,
        format!(
            "Persona(\n    version: 1,\n    id: \"loose\",\n    name: \"Loose\",\n    languages: [en],\n    safety: (crisis_threshold: 0.8),\n    tests: [{:?}],\n)\n",
            path_str(&suite)
        ),
    )
    .expect("persona written");
    let place = format!("{}:6:", path.display());
    for args in [
        vec!["test", path_str(&path)],
        vec![
            "simulate",
            "--persona",
            path_str(&path),
            "--scenario",
            "assets/scenarios/sent.ron",
        ],
    ] {
        let o = relance(&args);
        let err = run::stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{args:?}\n{err}");
        let warning = err
            .lines()
            .find(|l| {
                l.contains("crisis_threshold 0.8 is above")
                    && l.contains("the highest shipped threshold")
            })
            .unwrap_or_else(|| panic!("{args:?}: no warning in\n{err}"));
        assert!(
            warning.starts_with(&place) && warning.contains("warning"),
            "{args:?}: {warning}"
        );
    }
    // The JUnit report carries it too, in the suite's `system-err`.
    let junit = dir.join("results.xml");
    let o = relance(&["test", path_str(&path), "--junit", path_str(&junit)]);
    assert_eq!(o.status.code(), Some(0), "{}", run::stderr(&o));
    let xml = std::fs::read_to_string(&junit).expect("written");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut logged = String::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) if e.name().as_ref() == b"system-err" => {
                let raw = reader.read_text(e.name()).expect("text");
                let raw = raw.decode().expect("UTF-8");
                logged.push_str(&quick_xml::escape::unescape(&raw).expect("escaped"));
            }
            _ => {}
        }
    }
    assert!(
        logged.starts_with(&place)
            && logged.contains("crisis_threshold 0.8 is above")
            && logged.contains("the highest shipped threshold"),
        "{xml}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
