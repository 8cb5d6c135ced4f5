//! The Timeline tab: scenario picker, replay controls, the egui_plot timeline with one lane per
//! user, and beside it the inspector and the selected user's conversation.
//!
//! The plot draws the markers built off the UI thread ([`TimelineData`]); per frame it only
//! splits each series at the replay cursor and looks up the marker under the pointer.

use std::path::{Path, PathBuf};

use egui::{RichText, Ui};
use egui_plot::{Line, LineStyle, Plot, PlotPoint, PlotPoints, Points, Polygon, VLine};

use super::command::Command;
use super::conversation::conversation_ui;
use super::cursor::{CursorCommand, ReplayCursor, Speed};
use super::document::{Edit, EditKey};
use super::inspector::{both_times, inspector_ui};
use super::selection::Selection;
use super::simulation::SimOutput;
use super::theme::{self, MarkerKind};
use super::time_axis;
use super::timeline_data::{Item, MarkerRef, TimelineData, lane_at, lane_y};
use crate::engine::spans::{follow_up_window, message_count_spans, quiet_hours_spans};
use crate::engine::{Explanation, Profile, UserFacts, checker_for, instant};
use crate::model::{Channel, Scenario, Sender};
use crate::replay::explain_at;

/// The selected user's shaded spans and facts, for one simulation result.
#[derive(Debug)]
pub struct UserSpans {
    generation: u64,
    user: usize,
    /// The user's message facts under the simulated policy (for traces).
    pub facts: UserFacts,
    quiet: Vec<(i64, i64)>,
    windows: Vec<(i64, i64)>,
    count_met: Option<Vec<(i64, i64)>>,
}

/// The Timeline tab's own state (not saved: it is rebuilt from the document).
#[derive(Debug)]
pub struct TimelineView {
    /// The replay cursor.
    pub cursor: ReplayCursor,
    /// What is selected.
    pub selection: Selection,
    /// The selected user's lane.
    pub user: usize,
    /// Which marker kinds are shown.
    pub shown: [bool; MarkerKind::COUNT],
    /// Fit the plot to the scenario on the next frame.
    pub fit: bool,
    /// The text of the next message to add.
    pub new_text: String,
    /// The instant typed to move the selected message to.
    pub move_to: String,
    /// Where the plot and its axes were drawn last frame (for "Export timeline as PNG…").
    pub plot_rect: Option<egui::Rect>,
    /// Ghost markers: the saved version's decisions, a failing test's expected outcome.
    pub ghosts: super::ghosts::Ghosts,
    spans: Option<UserSpans>,
    explanation: Option<(u64, usize, i64, Explanation)>,
    range: Option<(i64, i64)>,
}

impl Default for TimelineView {
    fn default() -> Self {
        Self {
            cursor: ReplayCursor::default(),
            selection: Selection::None,
            user: 0,
            shown: [true; MarkerKind::COUNT],
            fit: true,
            new_text: String::new(),
            move_to: String::new(),
            plot_rect: None,
            ghosts: super::ghosts::Ghosts::default(),
            spans: None,
            explanation: None,
            range: None,
        }
    }
}

impl TimelineView {
    /// Follows a new simulation result: the cursor's range, and a fit when the range changed.
    pub fn follow(&mut self, data: &TimelineData) {
        let range = (data.start_secs, data.end_secs);
        if self.range != Some(range) {
            if self.range.is_none() {
                self.cursor = ReplayCursor::new(range.0 as f64, range.1 as f64);
            } else {
                self.cursor.set_range(range.0 as f64, range.1 as f64);
            }
            self.range = Some(range);
            self.fit = true;
        }
        if self.user >= data.lanes.max(1) {
            self.user = 0;
        }
    }

    /// Forgets everything tied to the previous scenario (a new one was opened).
    pub fn reset_for_new_scenario(&mut self) {
        let speed = self.cursor.speed();
        *self = Self {
            shown: self.shown,
            ..Self::default()
        };
        self.cursor.apply(CursorCommand::SetSpeed(speed), &[]);
    }

    /// The selected user's spans and facts for `output`, computed once per result and user.
    pub fn user_spans(&mut self, output: &SimOutput) -> Option<&UserSpans> {
        let user = self.user;
        let fresh = self
            .spans
            .as_ref()
            .is_some_and(|s| s.generation == output.generation && s.user == user);
        if !fresh {
            let u = output.scenario.users.get(user)?;
            let policy = &output.replay.policy;
            let facts = UserFacts::from_user(u, policy, &checker_for(&output.persona));
            let (from, to) = (output.timeline.start_secs, output.timeline.end_secs);
            let quiet = policy
                .quiet_hours
                .as_ref()
                .map(|q| quiet_hours_spans(q, u.timezone, from - 86_400, to + 86_400))
                .unwrap_or_default();
            let count_met =
                message_count_spans(policy, &Profile::of(u), &facts, from - 86_400, to + 86_400);
            let mut windows = Vec::new();
            let mut last_silence = None;
            for d in output.replay.of_user(user) {
                if last_silence == Some(d.silence_start) {
                    continue;
                }
                last_silence = Some(d.silence_start);
                let t = d.silence_start.timestamp();
                let next = facts.messages.get(facts.count_up_to(t)).map(|m| m.at_secs);
                let (start, end) = follow_up_window(policy, d, next);
                windows.push((start, end.unwrap_or(to)));
            }
            self.spans = Some(UserSpans {
                generation: output.generation,
                user,
                facts,
                quiet,
                windows,
                count_met,
            });
        }
        self.spans.as_ref()
    }

    fn explanation(
        &mut self,
        output: &SimOutput,
        user: usize,
        at_secs: i64,
    ) -> Option<&Explanation> {
        let fresh = self
            .explanation
            .as_ref()
            .is_some_and(|(g, u, t, _)| *g == output.generation && *u == user && *t == at_secs);
        if !fresh {
            let u = output.scenario.users.get(user)?;
            let e = explain_at(&output.persona, &output.replay.policy, u, instant(at_secs));
            self.explanation = Some((output.generation, user, at_secs, e));
        }
        self.explanation.as_ref().map(|(_, _, _, e)| e)
    }
}

/// What the Timeline tab shows, borrowed from the app.
#[derive(Debug)]
pub struct TimelineInputs<'a> {
    /// The newest simulation result.
    pub output: Option<&'a SimOutput>,
    /// Whether a newer one is being computed.
    pub busy: bool,
    /// Why the last simulation failed, if it did.
    pub failure: Option<&'a str>,
    /// The scenario as edited now (the result may lag behind it while busy).
    pub scenario: &'a Scenario,
    /// Its file.
    pub scenario_path: Option<&'a Path>,
    /// Whether it has unsaved edits.
    pub scenario_dirty: bool,
    /// The shipped scenarios.
    pub shipped: &'a [PathBuf],
    /// The scenario of the previous session, when it is not shipped.
    pub session_scenario: Option<&'a Path>,
    /// The side panel's width.
    pub side_width: f32,
    /// Whether to show the newcomer's hint.
    pub show_hint: bool,
}

/// Shows the Timeline tab; returns the side panel's width (saved in the preferences).
pub fn timeline_ui(
    ui: &mut Ui,
    view: &mut TimelineView,
    inputs: &TimelineInputs<'_>,
    commands: &mut Vec<Command>,
) -> f32 {
    scenario_bar_ui(ui, inputs, commands);
    let Some(output) = inputs.output else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("simulating…");
        });
        if let Some(f) = inputs.failure {
            ui.colored_label(theme::readable(ui.visuals(), theme::ERROR), f);
        }
        return inputs.side_width;
    };
    playback_ui(ui, view, output, inputs.busy, commands);
    legend_ui(ui, view, &output.timeline);
    if inputs.show_hint {
        hint_ui(ui, commands);
    }
    let side = egui::Panel::right("timeline side")
        .resizable(true)
        .default_size(inputs.side_width)
        .size_range(260.0..=900.0)
        .show(ui, |ui| {
            side_ui(ui, view, output, inputs.scenario, commands)
        });
    egui::Panel::bottom("timeline editing")
        .resizable(false)
        .show(ui, |ui| add_message_ui(ui, view, inputs.scenario, commands));
    egui::CentralPanel::default().show(ui, |ui| plot_ui(ui, view, output, commands));
    side.response.rect.width()
}

/// The newcomer's hint, where they land: what to click to see why.
fn hint_ui(ui: &mut Ui, commands: &mut Vec<Command>) {
    egui::Frame::new()
        .fill(theme::tint(theme::NEUTRAL))
        .stroke(egui::Stroke::new(1.0, theme::NEUTRAL))
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(8, 4))
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new("new here?").strong());
                ui.label("click a follow-up");
                MarkerKind::NudgeSent.icon_ui(ui, theme::SENT);
                ui.label("sent or");
                let text_color = ui.visuals().text_color();
                MarkerKind::HeldBack(crate::engine::Reason::TooFewMessages).icon_ui(ui, text_color);
                ui.label(
                    "held back on a lane to see why; an empty spot of a lane tells why the bot \
                     stays silent there. Play replays the scenario.",
                );
                if ui.button("got it").clicked() {
                    commands.push(Command::DismissHint);
                }
            });
        });
}

fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn scenario_bar_ui(ui: &mut Ui, inputs: &TimelineInputs<'_>, commands: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        let l = ui.label("scenario");
        let current = inputs
            .scenario_path
            .map_or_else(|| "unsaved scenario".to_owned(), file_label);
        egui::ComboBox::from_id_salt("scenario picker")
            .selected_text(format!(
                "{current}{}",
                if inputs.scenario_dirty { " •" } else { "" }
            ))
            .width(220.0)
            .show_ui(ui, |ui| {
                ui.label(RichText::new("shipped scenarios").weak());
                for path in inputs.shipped {
                    let selected = inputs.scenario_path.is_some_and(|p| same_file(p, path));
                    if ui.selectable_label(selected, file_label(path)).clicked() && !selected {
                        commands.push(Command::Open(path.clone()));
                    }
                }
                if let Some(session) = inputs.session_scenario
                    && !inputs.shipped.iter().any(|p| same_file(p, session))
                {
                    ui.separator();
                    ui.label(RichText::new("from the last session").weak());
                    let selected = inputs.scenario_path.is_some_and(|p| same_file(p, session));
                    if ui.selectable_label(selected, file_label(session)).clicked() && !selected {
                        commands.push(Command::Open(session.to_owned()));
                    }
                }
                ui.separator();
                if ui.button("open scenario…").clicked() {
                    commands.push(Command::OpenScenarioDialog);
                }
            })
            .response
            .labelled_by(l.id);
        if ui.button("open scenario…").clicked() {
            commands.push(Command::OpenScenarioDialog);
        }
        if ui.button("save scenario as…").clicked() {
            commands.push(Command::SaveScenarioAs);
        }
        if ui
            .button("import chat…")
            .on_hover_text("a WhatsApp export or a SillyTavern log as a new scenario")
            .clicked()
        {
            commands.push(Command::ImportChatDialog);
        }
        let events: usize = inputs.scenario.users.iter().map(|u| u.events.len()).sum();
        ui.label(
            RichText::new(format!(
                "“{}”: {} user{}, {events} message{}",
                inputs.scenario.name,
                inputs.scenario.users.len(),
                if inputs.scenario.users.len() == 1 {
                    ""
                } else {
                    "s"
                },
                if events == 1 { "" } else { "s" },
            ))
            .weak(),
        )
        .on_hover_text(&inputs.scenario.description);
        if inputs.busy {
            ui.spinner();
            ui.label("simulating…");
        }
        if let Some(f) = inputs.failure {
            ui.colored_label(theme::readable(ui.visuals(), theme::ERROR), f);
        }
    });
}

/// Whether two paths name the same file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    a == b || super::prefs::absolute(a) == super::prefs::absolute(b)
}

/// The cursor slider's narrowest width, in points.
const CURSOR_SLIDER_MIN_WIDTH: f32 = 120.0;

/// The width the cursor row needs beside its slider (its label and the cursor's time), in points.
const CURSOR_ROW_REST_WIDTH: f32 = 230.0;

fn playback_ui(
    ui: &mut Ui,
    view: &mut TimelineView,
    output: &SimOutput,
    busy: bool,
    commands: &mut Vec<Command>,
) {
    let _ = busy;
    ui.horizontal_wrapped(|ui| {
        let c = &view.cursor;
        if ui
            .button("start")
            .on_hover_text("to the start of the scenario")
            .clicked()
        {
            commands.push(Command::Cursor(CursorCommand::ToStart));
        }
        if ui
            .button("step back")
            .on_hover_text("to the previous event")
            .clicked()
        {
            commands.push(Command::Cursor(CursorCommand::StepBackward));
        }
        let play_label = if c.is_playing() { "pause" } else { "play" };
        if ui
            .button(play_label)
            .on_hover_text("play or pause the replay (Space)")
            .clicked()
        {
            commands.push(Command::Cursor(CursorCommand::TogglePlay));
        }
        if ui
            .button("step forward")
            .on_hover_text("to the next event")
            .clicked()
        {
            commands.push(Command::Cursor(CursorCommand::StepForward));
        }
        if ui
            .button("end")
            .on_hover_text("to the end of the scenario")
            .clicked()
        {
            commands.push(Command::Cursor(CursorCommand::ToEnd));
        }
        let l = ui.label("speed");
        let mut speed = c.speed();
        egui::ComboBox::from_id_salt("replay speed")
            .selected_text(speed.label())
            .width(90.0)
            .show_ui(ui, |ui| {
                for s in Speed::ALL {
                    ui.selectable_value(&mut speed, s, s.label());
                }
            })
            .response
            .labelled_by(l.id);
        if speed != c.speed() {
            commands.push(Command::Cursor(CursorCommand::SetSpeed(speed)));
        }
        let (start, end) = c.range_secs();
        let mut t = c.time_secs();
        // The cursor slider takes what the row leaves beside its label and time; when that is
        // too little (a narrow window), it starts a row of its own rather than pushing the
        // time out of sight.
        super::widgets::end_row_unless_fits(ui, CURSOR_SLIDER_MIN_WIDTH + CURSOR_ROW_REST_WIDTH);
        let l = ui.label("cursor");
        let width = (ui.available_size_before_wrap().x - CURSOR_ROW_REST_WIDTH)
            .max(CURSOR_SLIDER_MIN_WIDTH);
        ui.spacing_mut().slider_width = width;
        // No step: a slider with a step rounds the value it is given, which reads as a change
        // and would pause a playing cursor at every frame.
        let r = ui
            .add(egui::Slider::new(&mut t, start..=end.max(start + 1.0)).show_value(false))
            .labelled_by(l.id);
        if scrubbed(&r, c.time_secs(), t) {
            commands.push(Command::Cursor(CursorCommand::Scrub(t)));
        }
        ui.monospace(time_axis::instant_label(c.time_secs()));
        let _ = output;
    });
}

/// Whether the cursor slider was moved by the user (a drag, a click, the keyboard or a screen
/// reader), not merely redrawn at a cursor the program moved.
fn scrubbed(r: &egui::Response, before_secs: f64, after_secs: f64) -> bool {
    r.changed() && after_secs != before_secs
}

fn legend_ui(ui: &mut Ui, view: &mut TimelineView, data: &TimelineData) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("show").weak());
        for kind in MarkerKind::all() {
            let count = data.series(kind).points.len();
            if count == 0 && kind.is_decision() && kind != MarkerKind::NudgeSent {
                continue;
            }
            let shown = &mut view.shown[kind.index()];
            let color = if *shown {
                kind.color()
            } else {
                ui.visuals().weak_text_color()
            };
            // A neutral chip with a coloured icon: the colour never carries the text.
            let label = format!("{} ({count})", kind.name());
            // The row wraps before the icon when the icon and its chip do not both fit, so
            // that a wrap never parts them.
            let chip_width = {
                let font = egui::TextStyle::Button.resolve(ui.style());
                let text_width = ui
                    .painter()
                    .layout_no_wrap(label.clone(), font, egui::Color32::PLACEHOLDER)
                    .size()
                    .x;
                let spacing = ui.spacing();
                theme::ICON_PX
                    + text_width
                    + 2.0 * (spacing.button_padding.x + spacing.item_spacing.x)
            };
            super::widgets::end_row_unless_fits(ui, chip_width);
            kind.icon_ui(ui, color);
            let text = RichText::new(label);
            if ui
                .selectable_label(*shown, text)
                .on_hover_text("show or hide these markers")
                .clicked()
            {
                *shown = !*shown;
            }
        }
        // The shaded spans on a row of their own, so that a swatch never ends a row without
        // its name.
        ui.end_row();
        for (color, name) in [
            (theme::QUIET_HOURS, "quiet hours"),
            (theme::FOLLOW_UP_WINDOW, "follow-up window"),
            (theme::COUNT_MET, "message count met"),
        ] {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 10.0), egui::Sense::hover());
            ui.painter().rect_filled(rect, 2.0, color);
            ui.label(RichText::new(name).size(theme::SMALL_TEXT_PX));
        }
        ui.label(
            RichText::new("(selected user)")
                .size(theme::SMALL_TEXT_PX)
                .weak(),
        );
        super::ghosts::compare_toggle_ui(ui, &mut view.ghosts);
    });
}

fn rect_polygon(
    name: &str,
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
    color: egui::Color32,
) -> Polygon<'static> {
    Polygon::new(
        name,
        PlotPoints::Owned(vec![
            PlotPoint::new(x0, y0),
            PlotPoint::new(x1, y0),
            PlotPoint::new(x1, y1),
            PlotPoint::new(x0, y1),
        ]),
    )
    .fill_color(color)
    .stroke(egui::Stroke::NONE)
    .allow_hover(false)
}

/// The timeline plot alone, as presentation mode shows it (same lanes, markers and cursor).
pub fn presentation_plot_ui(
    ui: &mut Ui,
    view: &mut TimelineView,
    output: &SimOutput,
    commands: &mut Vec<Command>,
) {
    plot_ui(ui, view, output, commands);
}

fn plot_ui(ui: &mut Ui, view: &mut TimelineView, output: &SimOutput, commands: &mut Vec<Command>) {
    let data = &output.timeline;
    let scenario = &output.scenario;
    let lanes = data.lanes.max(1);
    let names: Vec<String> = scenario.users.iter().map(|u| u.name.clone()).collect();
    let cursor_t = view.cursor.time_secs();
    let pad = ((data.end_secs - data.start_secs) as f64 * 0.03).max(3600.0);
    let selected_lane = view.user;
    let spans = view.user_spans(output).map(|s| {
        (
            s.quiet.clone(),
            s.windows.clone(),
            s.count_met.clone().unwrap_or_default(),
        )
    });
    let shown = view.shown;
    let ghost_points = view.ghosts.points();
    let selected_marker = view.selection.marker();
    let instant_selected = match view.selection {
        Selection::Instant { at_secs, .. } => Some(at_secs),
        _ => None,
    };
    let visuals = ui.visuals().clone();
    let mut plot = Plot::new("timeline plot")
        .grid_spacing(time_axis::GRID_SPACING_PT)
        .x_grid_spacer(time_axis::grid_marks)
        .custom_x_axes(vec![
            egui_plot::AxisHints::new_x()
                .label("time (UTC)")
                .formatter(|m, _| time_axis::mark_label(m))
                .label_spacing(time_axis::LABEL_SPACING_PT),
        ])
        .y_grid_spacer(move |input| {
            let (lo, hi) = input.bounds;
            (0..lanes)
                .map(lane_y)
                .filter(|y| *y >= lo - 1.0 && *y <= hi + 1.0)
                .map(|y| egui_plot::GridMark {
                    value: y,
                    step_size: 1.0,
                })
                .collect()
        })
        .y_axis_formatter(move |m, _| {
            lane_at(m.value, names.len())
                .filter(|i| (lane_y(*i) - m.value).abs() < 1e-6)
                .map(|i| names[i].clone())
                .unwrap_or_default()
        })
        .y_axis_min_width(70.0)
        .show_x(false)
        .show_y(false)
        .show_crosshair(false)
        .allow_double_click_reset(false)
        .default_x_bounds(data.start_secs as f64 - pad, data.end_secs as f64 + pad)
        .default_y_bounds(lane_y(lanes - 1) - 0.6, 0.6);
    if view.fit {
        plot = plot.reset();
        view.fit = false;
    }
    let (x_min, x_max) = (data.start_secs as f64 - pad, data.end_secs as f64 + pad);
    let (y_min, y_max) = (lane_y(lanes - 1) - 0.6, 0.6);
    let response = plot.show(ui, |plot_ui| {
        // The wheel and drags pan, but never past the scenario's lanes and time range.
        let b = plot_ui.plot_bounds();
        let x = bounded_range(b.min()[0], b.max()[0], x_min, x_max);
        let y_range = bounded_range(b.min()[1], b.max()[1], y_min, y_max);
        if x != (b.min()[0], b.max()[0]) {
            plot_ui.set_plot_bounds_x(x.0..=x.1);
        }
        if y_range != (b.min()[1], b.max()[1]) {
            plot_ui.set_plot_bounds_y(y_range.0..=y_range.1);
        }
        let y = lane_y(selected_lane);
        // The selected lane, faintly, and its spans.
        let bounds = plot_ui.plot_bounds();
        plot_ui.polygon(rect_polygon(
            "selected user",
            bounds.min()[0],
            bounds.max()[0],
            y - 0.48,
            y + 0.48,
            theme::SELECTED_LANE,
        ));
        if let Some((quiet, windows, count_met)) = &spans {
            for (a, b) in quiet {
                plot_ui.polygon(rect_polygon(
                    "quiet hours",
                    *a as f64,
                    *b as f64,
                    y - 0.45,
                    y + 0.45,
                    theme::QUIET_HOURS,
                ));
            }
            for (a, b) in windows {
                plot_ui.polygon(rect_polygon(
                    "follow-up window",
                    *a as f64,
                    *b as f64,
                    y - 0.3,
                    y - 0.1,
                    theme::FOLLOW_UP_WINDOW,
                ));
            }
            for (a, b) in count_met {
                plot_ui.polygon(rect_polygon(
                    "message count met",
                    *a as f64,
                    *b as f64,
                    y + 0.36,
                    y + 0.45,
                    theme::COUNT_MET,
                ));
            }
        }
        for kind in MarkerKind::all() {
            if !shown[kind.index()] {
                continue;
            }
            let s = data.series(kind);
            if s.points.is_empty() {
                continue;
            }
            let split = s.split_at_time(cursor_t);
            let (past, future) = s.points.split_at(split);
            let name = kind.name();
            if !future.is_empty() {
                plot_ui.points(
                    Points::new(name.clone(), PlotPoints::Borrowed(future))
                        .shape(kind.shape())
                        .radius(kind.radius())
                        .color(theme::dimmed(&visuals, kind.color()))
                        .filled(true)
                        .allow_hover(false),
                );
            }
            if !past.is_empty() {
                plot_ui.points(
                    Points::new(name, PlotPoints::Borrowed(past))
                        .shape(kind.shape())
                        .radius(kind.radius())
                        .color(kind.color())
                        .filled(true)
                        .allow_hover(false),
                );
            }
        }
        if let Some(sel) = selected_marker {
            for kind in MarkerKind::all() {
                let s = data.series(kind);
                if let Some(i) = s.refs.iter().position(|r| *r == sel) {
                    plot_ui.points(
                        Points::new("selected", PlotPoints::Owned(vec![s.points[i]]))
                            .shape(egui_plot::MarkerShape::Circle)
                            .radius(kind.radius() + 6.0)
                            .color(theme::CURSOR)
                            .filled(false)
                            .allow_hover(false),
                    );
                }
            }
        }
        if let Some(at) = instant_selected {
            plot_ui.line(
                Line::new(
                    "inspected instant",
                    PlotPoints::Owned(vec![
                        PlotPoint::new(at as f64, y - 0.5),
                        PlotPoint::new(at as f64, y + 0.5),
                    ]),
                )
                .color(theme::CURSOR)
                .style(LineStyle::dashed_dense())
                .allow_hover(false),
            );
        }
        super::ghosts::ghosts_plot_ui(plot_ui, ghost_points);
        plot_ui.vline(
            VLine::new("replay cursor", cursor_t)
                .color(theme::CURSOR)
                .width(1.5)
                .allow_hover(false),
        );
    });
    view.plot_rect = Some(ui.min_rect());
    let transform = response.transform;
    let r = &response.response;
    let pointer = r.hover_pos();
    let hit = pointer.and_then(|pos| {
        let p = transform.value_from_position(pos);
        let [ux, uy] = transform.dvalue_dpos();
        data.hit(p.x, p.y, (ux, uy), 4.0, |k| shown[k.index()])
            .map(|h| (h, p))
    });
    if let Some(((kind, marker), _)) = hit {
        r.clone()
            .on_hover_cursor(egui::CursorIcon::PointingHand)
            .on_hover_ui_at_pointer(|ui| tooltip_ui(ui, output, kind, marker));
    }
    if r.clicked() {
        match hit {
            Some(((_, marker), _)) => commands.push(Command::Select(match marker.item {
                Item::Event(event) => Selection::Event {
                    user: marker.user,
                    event,
                },
                Item::Decision(index) => Selection::Decision {
                    user: marker.user,
                    index,
                },
            })),
            None => {
                if let Some(pos) = r.interact_pointer_pos() {
                    let p = transform.value_from_position(pos);
                    if let Some(user) = lane_at(p.y, data.lanes) {
                        commands.push(Command::Select(Selection::Instant {
                            user,
                            at_secs: p.x.round() as i64,
                        }));
                    }
                }
            }
        }
    }
}

/// `[lo, hi]` moved (not resized) to lie inside `[min, max]`; centred on it when wider.
pub fn bounded_range(lo: f64, hi: f64, min: f64, max: f64) -> (f64, f64) {
    let width = hi - lo;
    if !(width.is_finite() && min.is_finite() && max.is_finite()) {
        return (lo, hi);
    }
    if width >= max - min {
        let centre = (min + max) / 2.0;
        if ((lo + hi) / 2.0 - centre).abs() < 1e-9 {
            return (lo, hi);
        }
        return (centre - width / 2.0, centre + width / 2.0);
    }
    if lo < min {
        (min, min + width)
    } else if hi > max {
        (max - width, max)
    } else {
        (lo, hi)
    }
}

fn tooltip_ui(ui: &mut Ui, output: &SimOutput, kind: MarkerKind, marker: MarkerRef) {
    let Some(user) = output.scenario.users.get(marker.user) else {
        return;
    };
    ui.strong(format!("{} · {}", user.name, kind.name()));
    match marker.item {
        Item::Event(i) => {
            let Some(e) = user.events.get(i) else { return };
            ui.label(both_times(e.at, user.timezone));
            ui.label(format!("on {}", e.channel));
            ui.label(RichText::new(&e.text).italics());
        }
        Item::Decision(i) => {
            let Some(d) = output.replay.of_user(marker.user).get(i) else {
                return;
            };
            ui.label(both_times(d.at, user.timezone));
            ui.label(format!("on {}", d.channel));
            match d.text() {
                Some(text) => {
                    ui.label(RichText::new(text).italics());
                }
                None => {
                    ui.label(
                        RichText::new(format!("held back: {}", theme::reason_words(d.reason)))
                            .color(theme::readable(ui.visuals(), theme::reason_color(d.reason))),
                    );
                }
            }
            ui.label(RichText::new("click for the full trace").weak());
        }
    }
}

fn side_ui(
    ui: &mut Ui,
    view: &mut TimelineView,
    output: &SimOutput,
    scenario: &Scenario,
    commands: &mut Vec<Command>,
) {
    let users = &output.scenario.users;
    ui.horizontal(|ui| {
        let l = ui.label("user");
        let current = users
            .get(view.user)
            .map_or_else(String::new, |u| format!("{} ({})", u.name, u.id));
        egui::ComboBox::from_id_salt("selected user")
            .selected_text(current)
            .show_ui(ui, |ui| {
                for (i, u) in users.iter().enumerate() {
                    if ui
                        .selectable_label(i == view.user, format!("{} ({})", u.name, u.id))
                        .clicked()
                    {
                        commands.push(Command::SelectUser(i));
                    }
                }
            })
            .response
            .labelled_by(l.id);
        if ui
            .button("fit")
            .on_hover_text("show the whole scenario")
            .clicked()
        {
            commands.push(Command::FitTimeline);
        }
    });
    let available = ui.available_height();
    egui::Panel::bottom("conversation panel")
        .resizable(true)
        .default_size(available * 0.35)
        .show(ui, |ui| {
            conversation_ui(
                ui,
                view.user,
                view.cursor.time_secs(),
                output,
                view.selection,
                commands,
            );
        });
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical()
            .id_salt("inspector scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                let selection = view.selection;
                let cursor_secs = view.cursor.time_secs();
                let explanation = match selection {
                    Selection::Instant { user, at_secs } => {
                        view.explanation(output, user, at_secs).cloned()
                    }
                    _ => None,
                };
                let facts = view.user_spans(output).map(|s| s.facts.clone());
                inspector_ui(
                    ui,
                    selection,
                    view.user,
                    output,
                    scenario,
                    facts.as_ref(),
                    explanation.as_ref(),
                    cursor_secs,
                    &mut view.move_to,
                    commands,
                );
            });
    });
}

/// The width the two "add … at cursor" buttons take beside the new message's text box, in
/// points.
const ADD_BUTTONS_WIDTH: f32 = 370.0;

/// The new message's text box's narrowest width, in points.
const NEW_TEXT_MIN_WIDTH: f32 = 120.0;

fn add_message_ui(
    ui: &mut Ui,
    view: &mut TimelineView,
    scenario: &Scenario,
    commands: &mut Vec<Command>,
) {
    let Some(user) = scenario.users.get(view.user) else {
        ui.label("This scenario has no user.");
        return;
    };
    // Wrapping: beside a wide inspector the buttons go under the text box rather than out of
    // sight.
    ui.horizontal_wrapped(|ui| {
        let l = ui.label(format!("new message for {}", user.name));
        ui.add(
            egui::TextEdit::singleline(&mut view.new_text)
                .hint_text("text of the message")
                .desired_width(
                    (ui.available_size_before_wrap().x - ADD_BUTTONS_WIDTH).max(NEW_TEXT_MIN_WIDTH),
                ),
        )
        .labelled_by(l.id);
        let at = instant(view.cursor.time_secs().round() as i64);
        let channel = user
            .events
            .iter()
            .rev()
            .find(|e| e.at <= at)
            .or(user.events.first())
            .map_or(Channel::Messenger, |e| e.channel);
        let enabled = !view.new_text.trim().is_empty();
        for (from, label) in [
            (Sender::User, "add user message at cursor"),
            (Sender::Bot, "add bot reply at cursor"),
        ] {
            if ui.add_enabled(enabled, egui::Button::new(label)).clicked() {
                commands.push(Command::Edit(
                    Edit::AddMessage {
                        user: view.user,
                        at,
                        from,
                        channel,
                        text: view.new_text.trim().to_owned(),
                    },
                    EditKey::discrete(),
                ));
                view.new_text.clear();
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::bounded_range;

    #[test]
    fn panning_stops_at_the_lanes_and_the_time_range() {
        // Inside: unchanged.
        assert_eq!(bounded_range(2.0, 4.0, 0.0, 10.0), (2.0, 4.0));
        // Scrolled past either end: moved back, same width.
        assert_eq!(bounded_range(-3.0, 1.0, 0.0, 10.0), (0.0, 4.0));
        assert_eq!(bounded_range(9.0, 13.0, 0.0, 10.0), (6.0, 10.0));
        // Wider than the range (zoomed out): centred on it.
        assert_eq!(bounded_range(-20.0, 0.0, 0.0, 10.0), (-5.0, 15.0));
        assert_eq!(bounded_range(-5.0, 15.0, 0.0, 10.0), (-5.0, 15.0));
    }
}
