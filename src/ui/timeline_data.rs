//! What the timeline plot shows, derived once from a scenario and its replay (not every frame):
//! one series of markers per [`MarkerKind`], sorted by time so that the part before the replay
//! cursor and the markers near the pointer are found by binary search.

use egui_plot::PlotPoint;

use super::theme::MarkerKind;
use crate::engine::Replay;
use crate::model::{Scenario, Sender};

/// What a marker stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Item {
    /// A scenario event, by index in the user's events.
    Event(usize),
    /// A decision, by index in the user's decisions.
    Decision(usize),
}

/// A marker's user and item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MarkerRef {
    /// The user's index in the scenario.
    pub user: usize,
    /// The event or decision.
    pub item: Item,
}

/// The markers of one kind, sorted by time.
#[derive(Clone, Debug, Default)]
pub struct Series {
    /// Plot positions: x in unix seconds, y the lane's position plus the kind's offset.
    pub points: Vec<PlotPoint>,
    /// What each point stands for.
    pub refs: Vec<MarkerRef>,
}

impl Series {
    /// How many points lie at or before `time_secs`: `points[..n]` are past, the rest future.
    pub fn split_at_time(&self, time_secs: f64) -> usize {
        self.points.partition_point(|p| p.x <= time_secs)
    }
}

/// The y position of a user's lane: the first user on top.
pub fn lane_y(user: usize) -> f64 {
    -(user as f64)
}

/// The lane at plot height `y`, if any.
pub fn lane_at(y: f64, lanes: usize) -> Option<usize> {
    let i = (-y).round();
    (i >= 0.0 && (i as usize) < lanes).then_some(i as usize)
}

/// Everything the plot draws, built off the UI thread after each replay.
#[derive(Clone, Debug, Default)]
pub struct TimelineData {
    /// One series per [`MarkerKind`], indexed by [`MarkerKind::index`].
    pub series: Vec<Series>,
    /// Every instant with a marker, sorted and unique: where the cursor steps.
    pub instants_secs: Vec<i64>,
    /// The first instant shown (unix seconds).
    pub start_secs: i64,
    /// The last instant shown: the scenario's horizon or its last decision.
    pub end_secs: i64,
    /// Sent and held-back decisions.
    pub totals: (usize, usize),
    /// How many lanes (users).
    pub lanes: usize,
}

impl TimelineData {
    /// Builds the markers of `scenario` and its `replay`.
    pub fn build(scenario: &Scenario, replay: &Replay) -> Self {
        let mut series: Vec<Series> = (0..MarkerKind::COUNT).map(|_| Series::default()).collect();
        let mut instants = Vec::new();
        for (u, user) in scenario.users.iter().enumerate() {
            let y = lane_y(u);
            for (i, e) in user.events.iter().enumerate() {
                let kind = match e.from {
                    Sender::User => MarkerKind::UserMessage,
                    Sender::Bot => MarkerKind::BotReply,
                };
                let t = e.at.timestamp();
                instants.push(t);
                let s = &mut series[kind.index()];
                s.points
                    .push(PlotPoint::new(t as f64, y + kind.lane_offset()));
                s.refs.push(MarkerRef {
                    user: u,
                    item: Item::Event(i),
                });
            }
            for (i, d) in replay.of_user(u).iter().enumerate() {
                let kind = MarkerKind::of_reason(d.reason);
                let t = d.at.timestamp();
                instants.push(t);
                let s = &mut series[kind.index()];
                s.points
                    .push(PlotPoint::new(t as f64, y + kind.lane_offset()));
                s.refs.push(MarkerRef {
                    user: u,
                    item: Item::Decision(i),
                });
            }
        }
        for s in &mut series {
            let mut order: Vec<usize> = (0..s.points.len()).collect();
            order.sort_by(|&a, &b| s.points[a].x.total_cmp(&s.points[b].x));
            s.points = order.iter().map(|&i| s.points[i]).collect();
            s.refs = order.iter().map(|&i| s.refs[i]).collect();
        }
        instants.sort_unstable();
        instants.dedup();
        let start_secs = instants.first().copied().unwrap_or(0);
        let end_secs = scenario
            .horizon()
            .map(|h| h.timestamp())
            .into_iter()
            .chain(instants.last().copied())
            .max()
            .unwrap_or(start_secs + 86_400);
        Self {
            series,
            instants_secs: instants,
            start_secs,
            end_secs,
            totals: replay.totals(),
            lanes: scenario.users.len(),
        }
    }

    /// The series of a kind.
    pub fn series(&self, kind: MarkerKind) -> &Series {
        &self.series[kind.index()]
    }

    /// The marker nearest to plot position (`x`, `y`) within `radius_px` screen points, given
    /// the plot's scale in plot units per screen point; `visible` filters the kinds searched.
    pub fn hit(
        &self,
        x: f64,
        y: f64,
        units_per_px: (f64, f64),
        radius_px: f64,
        visible: impl Fn(MarkerKind) -> bool,
    ) -> Option<(MarkerKind, MarkerRef)> {
        let (ux, uy) = (
            units_per_px.0.abs().max(1e-12),
            units_per_px.1.abs().max(1e-12),
        );
        let mut best: Option<(f64, MarkerKind, MarkerRef)> = None;
        for kind in MarkerKind::all().filter(|k| visible(*k)) {
            let s = self.series(kind);
            let reach = radius_px + f64::from(kind.radius());
            let lo = s.points.partition_point(|p| p.x < x - reach * ux);
            for (p, r) in s.points[lo..].iter().zip(&s.refs[lo..]) {
                if p.x > x + reach * ux {
                    break;
                }
                let dx = (p.x - x) / ux;
                let dy = (p.y - y) / uy;
                let d = (dx * dx + dy * dy).sqrt();
                // Decisions win ties over messages at the same place.
                let d = if kind.is_decision() { d - 0.5 } else { d };
                if d <= reach && best.as_ref().is_none_or(|(bd, _, _)| d < *bd) {
                    best = Some((d, kind, *r));
                }
            }
        }
        best.map(|(_, k, r)| (k, r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scenario::ScenarioFormat;
    use crate::model::{Persona, Policy};
    use crate::replay::{ReplayOptions, replay};

    const JSON: &str = r#"{"name": "s", "users": [
      {"id": "a", "timezone": "UTC", "locale": "en", "events": [
        {"at": "2026-01-01T10:00:00Z", "from": "user", "channel": "messenger", "text": "one"},
        {"at": "2026-01-01T10:01:00Z", "from": "bot", "channel": "messenger", "text": "reply"}]},
      {"id": "b", "timezone": "UTC", "locale": "en", "events": [
        {"at": "2025-12-31T10:00:00Z", "from": "user", "channel": "messenger", "text": "early"}]}]}"#;

    fn data() -> TimelineData {
        let (s, _) =
            Scenario::from_str(JSON, ScenarioFormat::Json, "s.json".as_ref()).expect("loads");
        let r = replay(
            &Persona::new_blank("p", "P"),
            &Policy::omni(),
            &s,
            ReplayOptions::default(),
        );
        TimelineData::build(&s, &r)
    }

    #[test]
    fn markers_are_sorted_per_kind_with_lanes() {
        let d = data();
        let users = d.series(MarkerKind::UserMessage);
        assert_eq!(users.points.len(), 2);
        assert!(users.points[0].x < users.points[1].x);
        assert_eq!(users.refs[0].user, 1, "user b wrote first");
        assert!((users.points[0].y - (lane_y(1) + 0.22)).abs() < 1e-9);
        let held = d.series(MarkerKind::HeldBack(crate::engine::Reason::TooFewMessages));
        assert_eq!(held.points.len(), 2, "one held-back decision per user");
        assert_eq!(d.totals, (0, 2));
        assert_eq!(d.lanes, 2);
        assert!(d.instants_secs.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(d.start_secs, d.instants_secs[0]);
    }

    #[test]
    fn splitting_at_the_cursor() {
        let d = data();
        let users = d.series(MarkerKind::UserMessage);
        assert_eq!(users.split_at_time(0.0), 0);
        assert_eq!(users.split_at_time(users.points[0].x), 1);
        assert_eq!(users.split_at_time(f64::MAX), 2);
    }

    #[test]
    fn hit_finds_the_nearest_marker_within_reach() {
        let d = data();
        let p = d.series(MarkerKind::UserMessage).points[1];
        // One minute per point horizontally, a hundredth of a lane vertically.
        let scale = (60.0, 0.01);
        let (kind, r) = d
            .hit(p.x + 120.0, p.y, scale, 4.0, |_| true)
            .expect("two points away is a hit");
        assert_eq!(kind, MarkerKind::UserMessage);
        assert_eq!(
            r,
            MarkerRef {
                user: 0,
                item: Item::Event(0)
            }
        );
        assert!(
            d.hit(p.x + 60.0 * 50.0, p.y, scale, 4.0, |_| true)
                .is_none()
        );
        assert!(
            d.hit(p.x, p.y, scale, 4.0, |k| k != MarkerKind::UserMessage)
                .is_none_or(|(k, _)| k != MarkerKind::UserMessage)
        );
    }

    #[test]
    fn lanes_round_trip() {
        assert_eq!(lane_at(lane_y(3) + 0.3, 5), Some(3));
        assert_eq!(lane_at(0.6, 5), None);
        assert_eq!(lane_at(lane_y(5), 5), None);
    }
}
