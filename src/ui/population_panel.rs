//! The Population tab: what a policy does to thousands of synthetic users. On the left, the
//! inputs (archetype mix, users, days, seed, policy and an optional second policy to compare),
//! Run and Cancel with a progress bar, and a field to open any user; on the right, the results of
//! the last run: nudges per day, held back by reason, sends by local hour, nudges per user, a
//! table per archetype, the differences between the two policies and the sampled users, each of
//! which opens on the Timeline tab.
//!
//! The inputs are preferences ([`PopulationSettings`], from the library, saved with the others); the results are
//! runtime state, computed off the UI thread by [`PopulationRunner`].

use std::collections::BTreeMap;
use std::sync::Arc;

use egui::{Color32, RichText, Ui};
use egui_plot::{Bar, BarChart, GridMark, Line, Plot, PlotPoints};

use super::command::Command;
use super::population_run::{PopulationOutput, PopulationRequest, PopulationRunner, RunEnd};
use super::theme;
use crate::engine::Reason;
use crate::model::policy::PRESET_NAMES;
use crate::model::{Persona, Scenario};
use crate::sim::metrics::{Metrics, NUDGES_PER_USER_BUCKETS};
use crate::sim::population::MAX_DAYS;
use crate::sim::report::{DifferenceJson, difference, thousands};
use crate::sim::settings::PopulationSettings;
use crate::sim::{Mix, PopulationReport};

/// Most users a run from the studio may have.
pub const MAX_USERS: u64 = 1_000_000;

/// Height of each chart, in points.
const PLOT_HEIGHT: f32 = 190.0;

/// How a policy choice reads in the UI ("the persona's (omni)" or "pushy").
fn policy_label(choice: Option<&str>, persona: &Persona) -> String {
    match choice {
        Some(name) => name.to_owned(),
        None => format!("the persona's ({})", persona.policy.name()),
    }
}

/// The run `settings` ask for with `persona`, or why there is none (in words, for the panel).
fn request(
    settings: &PopulationSettings,
    persona: &Persona,
    default_mix: &Mix,
) -> Result<PopulationRequest, String> {
    let (config, compare) = settings
        .config(persona, default_mix)
        .map_err(|e| e.to_string())?;
    Ok(PopulationRequest { config, compare })
}

/// What the results show, computed once per run.
#[derive(Debug)]
struct ResultView {
    output: Arc<PopulationOutput>,
    base_total: Metrics,
    compared_total: Option<Metrics>,
    difference: Option<DifferenceJson>,
}

impl ResultView {
    fn new(output: Arc<PopulationOutput>) -> Self {
        let base_total = output.base.total();
        let compared_total = output.compared.as_ref().map(PopulationReport::total);
        let difference = output
            .compared
            .as_ref()
            .map(|other| difference(&output.base, other));
        Self {
            output,
            base_total,
            compared_total,
            difference,
        }
    }
}

/// The Population tab's state: its settings (saved) and its runs (not saved).
#[derive(Debug)]
pub struct PopulationState {
    /// The inputs.
    pub settings: PopulationSettings,
    /// The user the "user #" field opens.
    pub user_index: u64,
    default_mix: Result<Mix, String>,
    runner: PopulationRunner,
    view: Option<ResultView>,
    open_error: Option<String>,
}

impl PopulationState {
    /// The tab with `settings`, and no run yet.
    pub fn new(settings: PopulationSettings) -> Self {
        Self {
            settings,
            user_index: 0,
            default_mix: Mix::builtin().map_err(|e| format!("cannot load the default mix: {e}")),
            runner: PopulationRunner::default(),
            view: None,
            open_error: None,
        }
    }

    /// Repaints `ctx` when a run ends.
    pub fn set_wake(&mut self, ctx: egui::Context) {
        self.runner.set_wake(ctx);
    }

    /// Starts a run of the settings with `persona`; a run that cannot start says why in the
    /// panel.
    pub fn start(&mut self, persona: &Persona) {
        let request = self
            .default_mix
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|mix| request(&self.settings, persona, mix));
        match request {
            Ok(request) => {
                self.runner.start(request);
            }
            Err(message) => self.runner.fail(message),
        }
    }

    /// Asks the run under way to stop.
    pub fn cancel(&mut self) {
        self.runner.cancel();
    }

    /// Takes a finished run; returns whether anything changed.
    pub fn poll(&mut self) -> bool {
        let changed = self.runner.poll();
        if let Some(latest) = self.runner.latest()
            && self
                .view
                .as_ref()
                .is_none_or(|v| v.output.generation != latest.generation)
        {
            self.view = Some(ResultView::new(latest.clone()));
        }
        changed
    }

    /// The runner.
    pub fn runner(&self) -> &PopulationRunner {
        &self.runner
    }

    /// Whether a run is under way.
    pub fn is_running(&self) -> bool {
        self.runner.is_running()
    }

    /// The newest finished run.
    pub fn latest(&self) -> Option<&Arc<PopulationOutput>> {
        self.runner.latest()
    }

    /// Waits for the run under way and takes its result (for tests and headless use).
    pub fn wait(&mut self) {
        self.runner.wait();
        self.poll();
    }

    /// User `index` as a scenario: of the last run's population, else of the settings' with
    /// `persona`. Also returns the name of the policy it was run under.
    pub fn user_scenario(
        &mut self,
        persona: &Persona,
        index: u64,
    ) -> Result<(Scenario, String), String> {
        let config = match self.runner.latest() {
            Some(output) => output.request.config.clone(),
            None => {
                let mix = self.default_mix.as_ref().map_err(Clone::clone)?;
                request(&self.settings, persona, mix)?.config
            }
        };
        let scenario = crate::sim::user_scenario(&config, index).map_err(|e| e.to_string())?;
        Ok((scenario, config.policy.name))
    }

    /// Shows why a user could not be opened (`None` clears it).
    pub fn set_open_error(&mut self, message: Option<String>) {
        self.open_error = message;
    }
}

/// Shows the Population tab.
pub fn population_ui(
    ui: &mut Ui,
    state: &mut PopulationState,
    persona: &Persona,
    commands: &mut Vec<Command>,
) {
    egui::Panel::left("population inputs")
        .resizable(false)
        .default_size(310.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("population inputs scroll")
                .show(ui, |ui| inputs_ui(ui, state, persona, commands));
        });
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical()
            .id_salt("population results scroll")
            .show(ui, |ui| match &state.view {
                Some(view) => results_ui(ui, view, commands),
                None => {
                    ui.label(
                        "Run a population to see when and how often the policy would write to \
                         thousands of synthetic users, and why it would stay silent.",
                    );
                }
            });
    });
}

fn inputs_ui(
    ui: &mut Ui,
    state: &mut PopulationState,
    persona: &Persona,
    commands: &mut Vec<Command>,
) {
    ui.heading("population");
    numbers_ui(ui, &mut state.settings, persona);
    ui.add_space(6.0);
    ui.label(RichText::new("archetype mix").strong());
    match &state.default_mix {
        Err(e) => {
            ui.colored_label(theme::readable(ui.visuals(), theme::ERROR), e);
        }
        Ok(mix) => mix_ui(ui, &mut state.settings, mix),
    }
    run_ui(ui, state, commands);
    open_user_ui(ui, state, commands);
}

/// Users, days, seed, the policy and the one to compare with.
fn numbers_ui(ui: &mut Ui, settings: &mut PopulationSettings, persona: &Persona) {
    egui::Grid::new("population numbers")
        .num_columns(2)
        .show(ui, |ui| {
            let l = ui.label("users");
            ui.add(
                egui::DragValue::new(&mut settings.users)
                    .range(1..=MAX_USERS)
                    .speed(50.0)
                    .custom_formatter(|n, _| thousands(n as u64))
                    .custom_parser(|text| text.replace([',', ' ', '_'], "").parse().ok()),
            )
            .labelled_by(l.id);
            ui.end_row();
            let l = ui.label("days");
            ui.add(
                egui::DragValue::new(&mut settings.days)
                    .range(1..=MAX_DAYS)
                    .speed(0.5),
            )
            .labelled_by(l.id);
            ui.end_row();
            let l = ui.label("seed");
            ui.add(egui::DragValue::new(&mut settings.seed).speed(1.0))
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label("policy");
            egui::ComboBox::from_id_salt("population policy")
                .selected_text(policy_label(settings.policy.as_deref(), persona))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut settings.policy, None, policy_label(None, persona));
                    for name in PRESET_NAMES {
                        ui.selectable_value(&mut settings.policy, Some(name.to_owned()), name);
                    }
                })
                .response
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label("compare with");
            let selected = match &settings.compare {
                None => "nothing".to_owned(),
                Some(choice) => policy_label(choice.as_deref(), persona),
            };
            egui::ComboBox::from_id_salt("population compare")
                .selected_text(selected)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut settings.compare, None, "nothing");
                    ui.selectable_value(
                        &mut settings.compare,
                        Some(None),
                        policy_label(None, persona),
                    );
                    for name in PRESET_NAMES {
                        ui.selectable_value(
                            &mut settings.compare,
                            Some(Some(name.to_owned())),
                            name,
                        );
                    }
                })
                .response
                .labelled_by(l.id);
            ui.end_row();
        });
}

/// Run and Cancel, the progress bar, and how the last run ended.
fn run_ui(ui: &mut Ui, state: &PopulationState, commands: &mut Vec<Command>) {
    let running = state.runner.is_running();
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(!running, egui::Button::new("Run"))
            .on_hover_text("simulate the population with these settings")
            .clicked()
        {
            commands.push(Command::RunPopulation);
        }
        if ui
            .add_enabled(
                running && !state.runner.is_cancelling(),
                egui::Button::new("Cancel"),
            )
            .clicked()
        {
            commands.push(Command::CancelPopulation);
        }
    });
    if let Some(p) = state.runner.progress() {
        ui.add(egui::ProgressBar::new(p.fraction()).text(format!(
            "{} / {} users · {:.1} s",
            thousands(p.done),
            thousands(p.total),
            p.elapsed.as_secs_f64()
        )));
        if state.runner.is_cancelling() {
            ui.label("cancelling…");
        }
    }
    match state.runner.end() {
        Some(RunEnd::Cancelled) => {
            ui.colored_label(theme::readable(ui.visuals(), theme::WARNING), "cancelled");
        }
        Some(RunEnd::Failed(message)) => {
            ui.colored_label(theme::readable(ui.visuals(), theme::ERROR), message);
        }
        Some(RunEnd::Finished) | None => {}
    }
}

/// The field that opens any user of the population on the Timeline tab.
fn open_user_ui(ui: &mut Ui, state: &mut PopulationState, commands: &mut Vec<Command>) {
    ui.add_space(8.0);
    ui.label(RichText::new("open a user").strong());
    ui.horizontal(|ui| {
        let l = ui.label("user #");
        let max = state
            .runner
            .latest()
            .map_or(state.settings.users, |o| o.base.users)
            .saturating_sub(1);
        ui.add(egui::DragValue::new(&mut state.user_index).range(0..=max))
            .labelled_by(l.id);
        if ui
            .button("open in the timeline")
            .on_hover_text("replace the scenario with this user's messages")
            .clicked()
        {
            commands.push(Command::OpenPopulationUser(state.user_index));
        }
    });
    if let Some(e) = &state.open_error {
        ui.colored_label(theme::readable(ui.visuals(), theme::ERROR), e);
    }
}

fn mix_ui(ui: &mut Ui, settings: &mut PopulationSettings, mix: &Mix) {
    let total: f64 = mix
        .archetypes
        .iter()
        .map(|(a, w)| settings.weight(&a.id, *w).max(0.0))
        .sum();
    egui::Grid::new("population mix")
        .num_columns(3)
        .show(ui, |ui| {
            for (archetype, default) in &mix.archetypes {
                let mut weight = settings.weight(&archetype.id, *default);
                let l = ui
                    .label(&archetype.name)
                    .on_hover_text(&archetype.description);
                let changed = ui
                    .add(
                        egui::DragValue::new(&mut weight)
                            .range(0.0..=100.0)
                            .speed(0.05)
                            .max_decimals(2),
                    )
                    .labelled_by(l.id)
                    .changed();
                if changed {
                    if (weight - default).abs() < 1e-9 {
                        settings.weights.remove(&archetype.id);
                    } else {
                        settings.weights.insert(archetype.id.clone(), weight);
                    }
                }
                let share = if total > 0.0 {
                    100.0 * weight.max(0.0) / total
                } else {
                    0.0
                };
                ui.label(RichText::new(format!("{share:.0}%")).weak());
                ui.end_row();
            }
        });
    if ui
        .add_enabled(
            !settings.weights.is_empty(),
            egui::Button::new("reset to the default mix"),
        )
        .clicked()
    {
        settings.weights.clear();
    }
}

fn percent(share: f64) -> String {
    format!("{:.1}%", 100.0 * share)
}

fn signed(n: i64) -> String {
    match n {
        0 => "0".to_owned(),
        n if n > 0 => format!("+{}", thousands(n.unsigned_abs())),
        n => format!("-{}", thousands(n.unsigned_abs())),
    }
}

fn summary_line(report: &PopulationReport, total: &Metrics) -> String {
    format!(
        "{}: {} nudges sent, {} held back, {} users nudged, answer rate {}",
        report.policy,
        thousands(total.sent),
        thousands(total.held_back_total()),
        thousands(total.nudged_users),
        percent(total.answer_rate())
    )
}

fn results_ui(ui: &mut Ui, view: &ResultView, commands: &mut Vec<Command>) {
    let out = &view.output;
    let base = &out.base;
    ui.label(format!(
        "{} users over {} days from {}, seed {}, mix {} · run in {:.1} s",
        thousands(base.users),
        base.days,
        base.start,
        base.seed,
        base.mix,
        out.elapsed.as_secs_f64()
    ));
    run_line_ui(ui, theme::RUN_BASE, summary_line(base, &view.base_total));
    if let (Some(other), Some(total)) = (&out.compared, &view.compared_total) {
        run_line_ui(ui, theme::RUN_COMPARED, summary_line(other, total));
    }
    if !base.warnings.is_empty() {
        egui::CollapsingHeader::new(
            RichText::new(format!(
                "{} warning{} about the mix",
                base.warnings.len(),
                if base.warnings.len() == 1 { "" } else { "s" }
            ))
            .color(theme::readable(ui.visuals(), theme::WARNING)),
        )
        .id_salt("population warnings")
        .show(ui, |ui| {
            for w in &base.warnings {
                ui.colored_label(theme::readable(ui.visuals(), theme::WARNING), w);
            }
        });
    }
    let runs: Vec<(&PopulationReport, &Metrics, Color32)> =
        std::iter::once((base, &view.base_total, theme::RUN_BASE))
            .chain(
                out.compared
                    .as_ref()
                    .zip(view.compared_total.as_ref())
                    .map(|(r, t)| (r, t, theme::RUN_COMPARED)),
            )
            .collect();

    if runs.len() > 1 {
        // The charts have no legend (it would hide bars): this line is their key.
        ui.horizontal(|ui| {
            ui.label("in the charts");
            for (report, _, color) in &runs {
                swatch_ui(ui, *color);
                ui.label(report.policy.as_str());
            }
        });
    }
    ui.add_space(6.0);
    ui.columns(2, |columns| {
        per_day_ui(&mut columns[0], &runs);
        held_back_ui(&mut columns[1], &runs);
    });
    ui.columns(2, |columns| {
        by_hour_ui(&mut columns[0], &runs);
        per_user_ui(&mut columns[1], &runs);
    });

    ui.add_space(6.0);
    for (i, (report, total, _)) in runs.iter().enumerate() {
        ui.label(RichText::new(format!("per archetype under {}", report.policy)).strong());
        archetype_table_ui(ui, i, report, total);
        ui.add_space(6.0);
    }
    if let (Some(d), Some(other)) = (&view.difference, &out.compared) {
        difference_ui(ui, d, base, other);
        ui.add_space(6.0);
    }
    samples_ui(ui, base, commands);
}

/// A coloured square, the key of a run's colour in the charts.
fn swatch_ui(ui: &mut Ui, color: Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, color);
}

/// A run's summary line, keyed by its colour (the text itself stays in the text colour).
fn run_line_ui(ui: &mut Ui, color: Color32, text: String) {
    ui.horizontal_wrapped(|ui| {
        swatch_ui(ui, color);
        ui.label(text);
    });
}

fn chart(id: &str) -> Plot<'static> {
    Plot::new(id.to_owned())
        .height(PLOT_HEIGHT)
        .grid_spacing(super::time_axis::GRID_SPACING_PT)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .show_x(false)
        .show_y(false)
        .include_y(0.0)
}

/// Shows `text` beside the pointer while it is over the chart: the values under it, in words.
fn hover_values_ui<R>(
    response: &egui_plot::PlotResponse<R>,
    text: impl FnOnce(egui_plot::PlotPoint) -> Option<String>,
) {
    let r = &response.response;
    let Some(pos) = r.hover_pos() else {
        return;
    };
    if let Some(text) = text(response.transform.value_from_position(pos)) {
        r.clone().on_hover_text_at_pointer(text);
    }
}

/// The least distance between two labels of a count axis, in points (room for "20+" and a
/// gap).
const COUNT_LABEL_SPACING_PT: f64 = 36.0;

/// Whole-number marks for a count axis: multiples of the finest of `steps` whose labels stand
/// at least [`COUNT_LABEL_SPACING_PT`] apart at the chart's width, and `first` too (day 1, one
/// nudge) when the next one is at least half a step away. Every mark carries the step as its
/// size, so every one is labelled (see [`count_axis`]).
fn integer_marks(input: egui_plot::GridInput, first: f64, steps: &[f64]) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    if !(lo.is_finite() && hi.is_finite() && input.base_step_size > 0.0) || hi <= lo {
        return Vec::new();
    }
    let grid_pt = f64::from(*super::time_axis::GRID_SPACING_PT.start());
    let pt_per_unit = grid_pt / input.base_step_size;
    let step = steps
        .iter()
        .copied()
        .find(|s| s * pt_per_unit >= COUNT_LABEL_SPACING_PT)
        .unwrap_or_else(|| {
            let coarsest = steps.last().copied().unwrap_or(1.0);
            (COUNT_LABEL_SPACING_PT / pt_per_unit / coarsest).ceil() * coarsest
        });
    let mut marks = Vec::new();
    let start = first.max((lo / step).ceil() * step);
    if first >= lo && first <= hi && (first / step).fract().abs() > 1e-9 {
        let next = (first / step).ceil() * step;
        if next - first >= step / 2.0 {
            marks.push(first);
        }
    }
    let mut v = (start / step).ceil() * step;
    while v <= hi && marks.len() < 1000 {
        marks.push(v);
        v += step;
    }
    marks
        .into_iter()
        .map(|value| GridMark {
            value,
            step_size: step,
        })
        .collect()
}

/// An x axis for whole numbers, named `label`, its marks from [`integer_marks`]: every mark is
/// labelled, at full strength, by `format`.
fn count_axis(
    label: &str,
    format: impl Fn(f64) -> String + 'static,
) -> Vec<egui_plot::AxisHints<'static>> {
    let spacing = COUNT_LABEL_SPACING_PT as f32 - 6.0;
    vec![
        egui_plot::AxisHints::new_x()
            .label(label.to_owned())
            .formatter(move |mark, _| format(mark.value))
            .label_spacing(spacing..=spacing + 1.0),
    ]
}

#[cfg(test)]
mod chart_tests {
    use super::*;

    /// The marks of `lo..hi` drawn `width_pt` wide.
    fn marks(lo: f64, hi: f64, width_pt: f64, first: f64, steps: &[f64]) -> Vec<f64> {
        let grid_pt = f64::from(*super::super::time_axis::GRID_SPACING_PT.start());
        integer_marks(
            egui_plot::GridInput {
                bounds: (lo, hi),
                base_step_size: (hi - lo) / width_pt * grid_pt,
            },
            first,
            steps,
        )
        .into_iter()
        .map(|m| m.value)
        .collect()
    }

    #[test]
    fn ninety_days_on_a_narrow_chart_get_labelled_days() {
        let days = [1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 90.0];
        // The 1280-pixel layout gives the chart about 310 points: every 20 days, day 1 first.
        assert_eq!(
            marks(-2.0, 93.0, 310.0, 1.0, &days),
            [1.0, 20.0, 40.0, 60.0, 80.0]
        );
        // Wider, every 10 days; wider still, every 5.
        assert_eq!(marks(-2.0, 93.0, 500.0, 1.0, &days).len(), 10);
        assert_eq!(marks(-2.0, 93.0, 700.0, 1.0, &days).len(), 19);
        // A week: every day.
        assert_eq!(
            marks(0.5, 7.5, 310.0, 1.0, &days),
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
        );
    }

    #[test]
    fn hours_come_in_steps_that_divide_a_day() {
        let hours = [1.0, 2.0, 3.0, 6.0, 12.0];
        assert_eq!(
            marks(-0.5, 23.5, 310.0, 0.0, &hours),
            [0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0]
        );
    }

    #[test]
    fn labels_never_crowd_and_bad_bounds_give_nothing() {
        for width in [120.0, 310.0, 900.0] {
            let m = marks(-2.0, 365.0, width, 1.0, &[1.0, 2.0, 5.0, 10.0]);
            let pt_per_day = width / 367.0;
            for pair in m.windows(2) {
                assert!((pair[1] - pair[0]) * pt_per_day >= COUNT_LABEL_SPACING_PT / 2.0);
            }
        }
        assert!(marks(5.0, 5.0, 300.0, 1.0, &[1.0]).is_empty());
        assert!(marks(0.0, f64::NAN, 300.0, 1.0, &[1.0]).is_empty());
    }
}

fn per_day_ui(ui: &mut Ui, runs: &[(&PopulationReport, &Metrics, Color32)]) {
    ui.label(RichText::new("nudges per day").strong());
    let days = runs
        .iter()
        .map(|(_, t, _)| t.per_day.len())
        .max()
        .unwrap_or(0);
    let response = chart("population per day")
        .custom_x_axes(count_axis("day of the run (day 1 = start date)", |day| {
            format!("{day:.0}")
        }))
        .y_axis_label("nudges sent")
        .include_x(1.0)
        .include_x(days.max(2) as f64)
        .x_grid_spacer(|input| {
            integer_marks(input, 1.0, &[1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 90.0])
        })
        .show(ui, |plot| {
            for (report, total, color) in runs {
                let points: Vec<[f64; 2]> = total
                    .per_day
                    .iter()
                    .enumerate()
                    .map(|(d, n)| [d as f64 + 1.0, *n as f64])
                    .collect();
                plot.line(
                    Line::new(report.policy.clone(), PlotPoints::from(points))
                        .color(*color)
                        .width(1.5),
                );
            }
        });
    hover_values_ui(&response, |p| {
        let day = p.x.round();
        if day < 1.0 || day as usize > days {
            return None;
        }
        let i = day as usize - 1;
        let lines: Vec<String> = runs
            .iter()
            .map(|(report, total, _)| {
                let n = total.per_day.get(i).copied().unwrap_or(0);
                format!("{}: {} nudges", report.policy, thousands(n))
            })
            .collect();
        Some(format!("day {day:.0}\n{}", lines.join("\n")))
    });
}

/// The reasons a nudge is held back, in display order (top to bottom).
fn held_reasons() -> impl Iterator<Item = Reason> {
    Reason::ALL.into_iter().filter(|r| *r != Reason::Sent)
}

fn held_back_ui(ui: &mut Ui, runs: &[(&PopulationReport, &Metrics, Color32)]) {
    ui.label(RichText::new("held back by reason").strong());
    let reasons: Vec<Reason> = held_reasons().collect();
    let count = reasons.len();
    // Top to bottom in Reason::ALL order: the first reason gets the highest y.
    let y_of = move |i: usize| (count - 1 - i) as f64;
    let width = 0.8 / runs.len() as f64;
    let names = reasons.clone();
    let response = chart("population held back")
        .x_axis_label("follow-ups held back")
        .y_axis_min_width(130.0)
        .y_grid_spacer(move |_| {
            (0..count)
                .map(|i| GridMark {
                    value: y_of(i),
                    // Marks this far apart are drawn at full strength.
                    step_size: count as f64,
                })
                .collect()
        })
        .y_axis_formatter(move |mark, _| {
            let i = count as f64 - 1.0 - mark.value;
            if i.fract().abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            names
                .get(i as usize)
                .map_or_else(String::new, |r| theme::reason_words(*r).to_owned())
        })
        .show(ui, |plot| {
            for (k, (report, total, color)) in runs.iter().enumerate() {
                let offset = (k as f64 - (runs.len() as f64 - 1.0) / 2.0) * width;
                let bars = reasons
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        Bar::new(y_of(i) + offset, total.held(*r) as f64)
                            .width(width * 0.9)
                            .name(theme::reason_words(*r))
                            .fill(if runs.len() == 1 {
                                theme::reason_color(*r)
                            } else {
                                *color
                            })
                    })
                    .collect();
                plot.add(BarChart::new(report.policy.clone(), bars).horizontal());
            }
        });
    hover_values_ui(&response, |p| {
        let i = count as f64 - 1.0 - p.y.round();
        if i < 0.0 {
            return None;
        }
        let reason = *reasons.get(i as usize)?;
        let lines: Vec<String> = runs
            .iter()
            .map(|(report, total, _)| {
                format!(
                    "{}: {} held back",
                    report.policy,
                    thousands(total.held(reason))
                )
            })
            .collect();
        Some(format!(
            "{}\n{}",
            theme::reason_words(reason),
            lines.join("\n")
        ))
    });
}

fn by_hour_ui(ui: &mut Ui, runs: &[(&PopulationReport, &Metrics, Color32)]) {
    ui.label(RichText::new("sends by the user's local hour").strong());
    let width = 0.8 / runs.len() as f64;
    let response = chart("population by hour")
        .custom_x_axes(count_axis("user's local hour (0–23 h)", |h| {
            if (0.0..24.0).contains(&h) {
                format!("{h:.0} h")
            } else {
                String::new()
            }
        }))
        .x_grid_spacer(|input| integer_marks(input, 0.0, &[1.0, 2.0, 3.0, 6.0, 12.0]))
        .y_axis_label("nudges sent")
        .include_x(-0.5)
        .include_x(23.5)
        .show(ui, |plot| {
            for (k, (report, total, color)) in runs.iter().enumerate() {
                let offset = (k as f64 - (runs.len() as f64 - 1.0) / 2.0) * width;
                let bars = total
                    .by_local_hour
                    .iter()
                    .enumerate()
                    .map(|(h, n)| {
                        Bar::new(h as f64 + offset, *n as f64)
                            .width(width * 0.9)
                            .name(format!("{h:02}:00"))
                            .fill(*color)
                    })
                    .collect();
                plot.add(BarChart::new(report.policy.clone(), bars));
            }
        });
    hover_values_ui(&response, |p| {
        let h = p.x.round();
        if !(0.0..24.0).contains(&h) {
            return None;
        }
        let lines: Vec<String> = runs
            .iter()
            .map(|(report, total, _)| {
                let n = total.by_local_hour.get(h as usize).copied().unwrap_or(0);
                format!("{}: {} nudges", report.policy, thousands(n))
            })
            .collect();
        Some(format!("{h:02.0}:00–{h:02.0}:59\n{}", lines.join("\n")))
    });
}

fn per_user_ui(ui: &mut Ui, runs: &[(&PopulationReport, &Metrics, Color32)]) {
    ui.label(RichText::new("nudges per nudged user").strong());
    let width = 0.8 / runs.len() as f64;
    let last = NUDGES_PER_USER_BUCKETS - 1;
    let response = chart("population per user")
        .custom_x_axes(count_axis("nudges received by one user", move |n| {
            if n < 1.0 || n > last as f64 {
                String::new()
            } else if n as usize == last {
                format!("{last}+")
            } else {
                format!("{n:.0}")
            }
        }))
        .x_grid_spacer(|input| integer_marks(input, 1.0, &[1.0, 2.0, 5.0, 10.0]))
        .y_axis_label("users")
        .show(ui, |plot| {
            for (k, (report, total, color)) in runs.iter().enumerate() {
                let offset = (k as f64 - (runs.len() as f64 - 1.0) / 2.0) * width;
                let bars = total
                    .nudges_per_user
                    .iter()
                    .enumerate()
                    .skip(1)
                    .map(|(n, users)| {
                        Bar::new(n as f64 + offset, *users as f64)
                            .width(width * 0.9)
                            .name(if n == last {
                                format!("{n} nudges or more")
                            } else {
                                format!("{n} nudge{}", if n == 1 { "" } else { "s" })
                            })
                            .fill(*color)
                    })
                    .collect();
                plot.add(BarChart::new(report.policy.clone(), bars));
            }
        });
    hover_values_ui(&response, |p| {
        let n = p.x.round();
        if n < 1.0 || n as usize > last {
            return None;
        }
        let n = n as usize;
        let what = if n == last {
            format!("{n} nudges or more")
        } else {
            format!("{n} nudge{}", if n == 1 { "" } else { "s" })
        };
        let lines: Vec<String> = runs
            .iter()
            .map(|(report, total, _)| {
                let users = total.nudges_per_user.get(n).copied().unwrap_or(0);
                format!("{}: {} users", report.policy, thousands(users))
            })
            .collect();
        Some(format!("{what}\n{}", lines.join("\n")))
    });
    for (report, total, _) in runs {
        ui.label(
            RichText::new(format!(
                "{}: {} users received no nudge",
                report.policy,
                thousands(total.nudges_per_user[0])
            ))
            .weak(),
        );
    }
}

/// Users protected by a safety rule: minors, users in distress, flagged and opted-out users who
/// had a nudge held back for it.
fn protected(m: &Metrics) -> u64 {
    m.minors_protected + m.distress_protected + m.flagged_protected + m.opted_out_protected
}

fn archetype_table_ui(ui: &mut Ui, run: usize, report: &PopulationReport, total: &Metrics) {
    egui::Grid::new(("population archetypes", run))
        .striped(true)
        .num_columns(8)
        .show(ui, |ui| {
            for header in [
                "archetype",
                "users",
                "messages",
                "sent",
                "held back",
                "answer rate",
                "returned within 48 h",
                "protected",
            ] {
                ui.label(RichText::new(header).strong());
            }
            ui.end_row();
            let row = |ui: &mut Ui, name: &str, m: &Metrics| {
                ui.label(name);
                ui.label(thousands(m.users));
                ui.label(thousands(m.user_messages));
                ui.label(thousands(m.sent));
                ui.label(thousands(m.held_back_total()));
                ui.label(percent(m.answer_rate()));
                ui.label(format!(
                    "{} ({})",
                    thousands(m.returned_within_48h),
                    percent(m.returned_rate())
                ));
                ui.label(thousands(protected(m))).on_hover_text(format!(
                    "minors {}, in distress {}, flagged {}, opted out {}",
                    m.minors_protected,
                    m.distress_protected,
                    m.flagged_protected,
                    m.opted_out_protected
                ));
                ui.end_row();
            };
            for (info, m) in report.archetypes.iter().zip(&report.per_archetype) {
                row(ui, &info.name, m);
            }
            row(ui, "all", total);
        });
}

fn difference_ui(
    ui: &mut Ui,
    d: &DifferenceJson,
    base: &PopulationReport,
    other: &PopulationReport,
) {
    ui.label(
        RichText::new(format!(
            "differences: {} minus {}",
            other.policy, base.policy
        ))
        .strong(),
    );
    egui::Grid::new("population differences")
        .striped(true)
        .num_columns(2)
        .show(ui, |ui| {
            let mut row = |name: &str, value: String| {
                ui.label(name);
                ui.label(value);
                ui.end_row();
            };
            row("nudges sent", signed(d.sent));
            row("decisions", signed(d.decisions));
            row("users nudged", signed(d.nudged_users));
            row("nudges answered", signed(d.answered));
            row(
                "answer rate",
                format!("{:+.1} points", 100.0 * d.answer_rate),
            );
            row("returned within 48 h", signed(d.returned_within_48h));
            row("revived users", signed(d.revived_users));
            row("minors nudged", signed(d.minors_nudged));
            row("users who opted out", signed(d.opted_out_users));
            row("user messages", signed(d.user_messages));
            row("nudges per user", format!("{:+.3}", d.sent_per_user));
            for reason in held_reasons() {
                let n = d.held_back.get(reason.as_str()).copied().unwrap_or(0);
                row(
                    &format!("held back: {}", theme::reason_words(reason)),
                    signed(n),
                );
            }
            for info in &base.archetypes {
                let n = d.sent_per_archetype.get(&info.id).copied().unwrap_or(0);
                row(&format!("sent to {}", info.name), signed(n));
            }
        });
}

fn samples_ui(ui: &mut Ui, report: &PopulationReport, commands: &mut Vec<Command>) {
    ui.label(RichText::new("user samples").strong());
    ui.label(
        RichText::new("the first users of each archetype with each outcome; click one to open it")
            .weak(),
    );
    let mut rows: BTreeMap<(usize, Reason), Vec<u64>> = BTreeMap::new();
    for s in &report.samples {
        rows.entry((s.archetype, s.reason))
            .or_default()
            .push(s.index);
    }
    egui::Grid::new("population samples")
        .striped(true)
        .num_columns(3)
        .show(ui, |ui| {
            for ((archetype, reason), users) in &rows {
                let name = report
                    .archetypes
                    .get(*archetype)
                    .map_or("?", |a| a.name.as_str());
                ui.label(name);
                ui.colored_label(
                    theme::readable(ui.visuals(), theme::reason_color(*reason)),
                    theme::reason_words(*reason),
                );
                ui.horizontal(|ui| {
                    for index in users {
                        if ui
                            .button(format!("#{index}"))
                            .on_hover_text(format!("open user #{index} in the timeline"))
                            .clicked()
                        {
                            commands.push(Command::OpenPopulationUser(*index));
                        }
                    }
                });
                ui.end_row();
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_numbers_read_well() {
        assert_eq!(signed(0), "0");
        assert_eq!(signed(1234), "+1,234");
        assert_eq!(signed(-56), "-56");
    }
}
