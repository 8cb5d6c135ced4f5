//! The Tests tab: the persona's test suites (the scenarios it lists under `tests`), pass or fail
//! per expectation, re-run whenever the persona is edited. A click on an expectation opens the
//! Timeline on its decision, with the expected outcome drawn beside the real one.

use std::path::Path;

use egui::{RichText, Ui};

use super::command::{Command, TestTarget};
use super::ghosts::ExpectedMarker;
use super::theme;
use crate::model::Persona;
use crate::suite::{ExpectationResult, SuiteRun, run_suite, suite_paths};

/// The Tests tab's state: the last run and the persona revision it ran on.
#[derive(Debug, Default)]
pub struct TestsView {
    revision: Option<u64>,
    runs: Vec<SuiteRun>,
    problem: Option<String>,
}

impl TestsView {
    /// Runs the persona's suites again when the persona changed since the last run.
    pub fn refresh(&mut self, revision: u64, persona: &Persona, persona_path: Option<&Path>) {
        if self.revision == Some(revision) {
            return;
        }
        self.revision = Some(revision);
        self.runs.clear();
        self.problem = None;
        let Some(path) = persona_path else {
            self.problem = Some(
                "save the persona first: its test scenarios are found next to its file".to_owned(),
            );
            return;
        };
        if persona.tests.is_empty() {
            self.problem = Some(
                "this persona lists no test scenario; add `tests: [\"tests/my-scenario.ron\"]` to its file"
                    .to_owned(),
            );
            return;
        }
        let Some(policy) = persona.policy.resolve() else {
            self.problem = Some(format!("no preset is named `{}`", persona.policy.name()));
            return;
        };
        self.runs = suite_paths(path, persona)
            .iter()
            .map(|p| run_suite(persona, &policy, p))
            .collect();
    }

    /// Forgets the last run, so that the next frame runs the suites again.
    pub fn invalidate(&mut self) {
        self.revision = None;
    }

    /// The last run, one entry per suite scenario.
    pub fn runs(&self) -> &[SuiteRun] {
        &self.runs
    }

    /// Passed and failed expectations of the last run.
    pub fn counts(&self) -> (usize, usize) {
        self.runs
            .iter()
            .map(SuiteRun::counts)
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    }
}

/// Where a click on `result` of the suite at `scenario` leads.
pub fn target_of(scenario: &Path, result: &ExpectationResult) -> TestTarget {
    let expected = result
        .user
        .zip(result.expected_at)
        .map(|(user, at)| ExpectedMarker {
            user,
            at_secs: at.timestamp(),
            sent: result.expected.starts_with("sent"),
            label: result.expected.clone(),
        });
    TestTarget {
        scenario: scenario.to_owned(),
        decision: result.decision,
        expected,
    }
}

/// Shows the Tests tab (running the suites first when the persona changed).
pub fn tests_ui(
    ui: &mut Ui,
    view: &mut TestsView,
    persona: &Persona,
    persona_path: Option<&Path>,
    revision: u64,
    commands: &mut Vec<Command>,
) {
    view.refresh(revision, persona, persona_path);
    let (passed, failed) = view.counts();
    ui.horizontal(|ui| {
        let summary = format!(
            "{} expectation{}: {passed} passed, {failed} failed",
            passed + failed,
            if passed + failed == 1 { "" } else { "s" }
        );
        let color = if failed == 0 {
            theme::PASS
        } else {
            theme::FAIL
        };
        ui.label(RichText::new(summary).strong().color(color));
        if ui
            .button("run again")
            .on_hover_text("the suites run by themselves whenever the persona changes")
            .clicked()
        {
            commands.push(Command::RerunTests);
        }
    });
    if let Some(p) = &view.problem {
        ui.label(RichText::new(p).weak());
    }
    ui.separator();
    egui::ScrollArea::vertical().show(ui, |ui| {
        for suite in &view.runs {
            suite_ui(ui, suite, commands);
        }
    });
}

fn suite_ui(ui: &mut Ui, suite: &SuiteRun, commands: &mut Vec<Command>) {
    let (p, f) = suite.counts();
    let name = suite.path.file_name().map_or_else(
        || suite.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    ui.horizontal_wrapped(|ui| {
        let color = if f == 0 { theme::PASS } else { theme::FAIL };
        ui.label(RichText::new(&name).heading());
        ui.label(RichText::new(format!("{p}/{} passed", p + f)).color(color));
        if ui
            .button(format!("record {name}…"))
            .on_hover_text(
                "write the current decisions as this scenario's expectations, to review and trim",
            )
            .clicked()
        {
            commands.push(Command::RecordSuite(suite.path.clone()));
        }
    });
    match &suite.results {
        Err(e) => {
            ui.colored_label(theme::readable(ui.visuals(), theme::ERROR), e);
        }
        Ok(results) => {
            for r in results {
                result_ui(ui, &suite.path, r, commands);
            }
        }
    }
    ui.add_space(8.0);
}

fn result_ui(ui: &mut Ui, scenario: &Path, r: &ExpectationResult, commands: &mut Vec<Command>) {
    // Wrapping: an expectation's name is long ("lea: sent at …, text contains …").
    ui.horizontal_wrapped(|ui| {
        let (word, color) = if r.passed {
            ("pass", theme::PASS)
        } else {
            ("FAIL", theme::FAIL)
        };
        ui.label(RichText::new(word).monospace().strong().color(color));
        let clickable = r.decision.is_some() || r.expected_at.is_some();
        if clickable {
            if ui
                .link(&r.name)
                .on_hover_text("open the Timeline on this decision")
                .clicked()
            {
                commands.push(Command::OpenTestResult(Box::new(target_of(scenario, r))));
            }
        } else {
            ui.label(&r.name);
        }
    });
    if !r.passed {
        ui.indent(("why", &r.name), |ui| {
            ui.label(format!("expected  {}", r.expected));
            ui.label(format!("actual    {}", r.actual));
            if !r.trace.is_empty() {
                ui.label(RichText::new(format!("why       {}", r.trace)).weak());
            }
        });
    }
}
