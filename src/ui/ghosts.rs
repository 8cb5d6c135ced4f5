//! Ghost markers on the timeline: the decisions of the persona as last saved, drawn beside the
//! edited persona's ("compare with saved version"), and the expected outcome of a failing test
//! beside the real decision (after a click in the Tests tab).
//!
//! The saved version's replay is computed when the toggle is on and the simulation, the persona
//! file or its modification time changed; per frame only the points are drawn.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use egui_plot::{MarkerShape, PlotPoint, PlotPoints, PlotUi, Points};

use super::simulation::SimOutput;
use super::theme::{self, MarkerKind};
use super::timeline_data::lane_y;
use crate::engine::{Outcome, Reason};
use crate::model::Persona;
use crate::replay::{ReplayOptions, replay};

/// How far under its lane a ghost is drawn: under the real decision markers (at -0.2), so
/// that the two stand one above the other.
const GHOST_OFFSET: f64 = -0.38;

/// One decision of the saved persona.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GhostMarker {
    /// The user's index.
    pub user: usize,
    /// When (unix seconds).
    pub at_secs: i64,
    /// Sent, or held back for this reason.
    pub reason: Reason,
}

/// The expected outcome of a failing test expectation, drawn beside the real decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedMarker {
    /// The user's index.
    pub user: usize,
    /// When it was expected (unix seconds).
    pub at_secs: i64,
    /// Whether a sent nudge was expected.
    pub sent: bool,
    /// What was expected, in words.
    pub label: String,
}

/// The ghost markers of the Timeline tab.
#[derive(Debug, Default)]
pub struct Ghosts {
    /// Whether the saved version's decisions are drawn.
    pub compare_saved: bool,
    /// The expected outcome of the test last opened from the Tests tab.
    pub expected: Option<ExpectedMarker>,
    saved: Vec<GhostMarker>,
    saved_key: Option<(u64, PathBuf, Option<SystemTime>)>,
    saved_error: Option<String>,
}

impl Ghosts {
    /// Replays the saved persona file on the simulated scenario when the toggle is on and the
    /// simulation or the file changed.
    pub fn refresh(&mut self, output: Option<&SimOutput>, persona_path: Option<&Path>) {
        if !self.compare_saved {
            return;
        }
        let (Some(output), Some(path)) = (output, persona_path) else {
            self.saved.clear();
            self.saved_key = None;
            self.saved_error = persona_path
                .is_none()
                .then(|| "the persona has never been saved".to_owned());
            return;
        };
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let key = (output.generation, path.to_owned(), modified);
        if self.saved_key.as_ref() == Some(&key) {
            return;
        }
        self.saved_key = Some(key);
        match saved_markers(path, output) {
            Ok(m) => {
                self.saved = m;
                self.saved_error = None;
            }
            Err(e) => {
                self.saved.clear();
                self.saved_error = Some(e);
            }
        }
    }

    /// The saved version's decisions (empty when the toggle is off).
    pub fn saved(&self) -> &[GhostMarker] {
        if self.compare_saved { &self.saved } else { &[] }
    }

    /// Why the saved version could not be replayed.
    pub fn saved_error(&self) -> Option<&str> {
        self.saved_error.as_deref().filter(|_| self.compare_saved)
    }

    /// What the plot draws this frame (copied out of the view before the plot borrows it).
    pub fn points(&self) -> GhostPoints {
        let at = |user: usize, secs: i64| PlotPoint::new(secs as f64, lane_y(user) + GHOST_OFFSET);
        let mut points = GhostPoints::default();
        for g in self.saved() {
            if g.reason == Reason::Sent {
                points.saved_sent.push(at(g.user, g.at_secs));
            } else {
                points.saved_held.push(at(g.user, g.at_secs));
            }
        }
        if let Some(e) = &self.expected {
            points.expected = Some((at(e.user, e.at_secs), e.sent));
        }
        points
    }
}

/// The ghost points of one frame.
#[derive(Clone, Debug, Default)]
pub struct GhostPoints {
    /// Sent nudges of the saved version.
    pub saved_sent: Vec<PlotPoint>,
    /// Held-back decisions of the saved version.
    pub saved_held: Vec<PlotPoint>,
    /// The expected outcome of a failing test, and whether it is a sent nudge.
    pub expected: Option<(PlotPoint, bool)>,
}

/// The saved persona's decisions on the simulated scenario (texts not composed: only times and
/// outcomes are drawn).
fn saved_markers(path: &Path, output: &SimOutput) -> Result<Vec<GhostMarker>, String> {
    let persona = Persona::load(path).map_err(|e| format!("{e:#}"))?;
    let policy = persona
        .policy
        .resolve()
        .ok_or_else(|| "the saved persona names an unknown preset".to_owned())?;
    let options = ReplayOptions {
        compose: false,
        seed: 0,
    };
    let r = replay(&persona, &policy, &output.scenario, options);
    Ok(r.users
        .iter()
        .flat_map(|u| {
            u.decisions.iter().map(move |d| GhostMarker {
                user: u.user,
                at_secs: d.at.timestamp(),
                reason: if d.outcome == Outcome::Sent {
                    Reason::Sent
                } else {
                    d.reason
                },
            })
        })
        .collect())
}

/// Draws the ghosts: hollow markers a little under their lane, in the comparison colour; the
/// expected outcome of a failing test as a larger hollow diamond in the failure colour.
pub fn ghosts_plot_ui(plot_ui: &mut PlotUi<'_>, points: GhostPoints) {
    let sent = MarkerKind::NudgeSent;
    if !points.saved_sent.is_empty() {
        plot_ui.points(
            Points::new("saved version: sent", PlotPoints::Owned(points.saved_sent))
                .shape(sent.shape())
                .radius(sent.radius())
                .color(theme::RUN_BASE)
                .filled(false)
                .allow_hover(false),
        );
    }
    if !points.saved_held.is_empty() {
        plot_ui.points(
            Points::new(
                "saved version: held back",
                PlotPoints::Owned(points.saved_held),
            )
            .shape(MarkerShape::Cross)
            .radius(sent.radius())
            .color(theme::RUN_BASE)
            .filled(false)
            .allow_hover(false),
        );
    }
    if let Some((p, was_sent)) = points.expected {
        let name = if was_sent {
            "expected: sent"
        } else {
            "expected: held back"
        };
        plot_ui.points(
            Points::new(name, PlotPoints::Owned(vec![p]))
                .shape(MarkerShape::Diamond)
                .radius(sent.radius() + 3.0)
                .color(theme::FAIL)
                .filled(false)
                .allow_hover(false),
        );
    }
}

/// The "compare with saved version" toggle of the Timeline's legend, and why the saved version
/// cannot be drawn when it cannot.
pub fn compare_toggle_ui(ui: &mut egui::Ui, ghosts: &mut Ghosts) {
    ui.checkbox(&mut ghosts.compare_saved, "compare with saved version")
        .on_hover_text("draw the decisions of the persona as last saved as hollow blue markers under each lane");
    if let Some(e) = ghosts.saved_error() {
        ui.colored_label(theme::readable(ui.visuals(), theme::WARNING), e);
    }
    if ghosts.expected.is_some() {
        ui.label(
            egui::RichText::new("expected by the test: red diamond")
                .color(theme::readable(ui.visuals(), theme::FAIL)),
        );
    }
}
