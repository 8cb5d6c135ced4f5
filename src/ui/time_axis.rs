//! The timeline's date/time axis: grid marks on round instants (minutes, hours, days, weeks,
//! months) for any zoom, and labels spaced for the plot's width at a step that says what the
//! zoom needs ("14:30", "Mon 5 Jan", "8 Jan", "Feb 2026").
//!
//! The x axis holds unix seconds; marks and labels are in UTC, the zone all users share.
//!
//! How labels reach the screen: egui_plot labels a mark when its `step_size`, in points, is
//! more than the axis' label spacing. [`grid_marks`] picks the label step with [`label_step`]
//! from the visible span and width, gives the marks on that step exactly that step as their
//! size, and caps every other mark below [`LABEL_SPACING_PT`]: only the chosen marks are
//! labelled, and [`mark_label`] formats each from its step.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use chrono::{DateTime, Datelike as _, NaiveDate, Timelike as _};
use egui_plot::{GridInput, GridMark};

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
const WEEK: i64 = 7 * DAY;
/// Unix time 0 was a Thursday: Mondays fall 4 days later modulo a week.
const MONDAY_OFFSET: i64 = 4 * DAY;
/// The mean length of a month (365.25 / 12 days), to compare month steps with fixed ones.
const MONTH_SECS: f64 = 30.4375 * DAY as f64;

/// The grid spacing to give the plot (egui_plot's default): [`grid_marks`] reads the width in
/// points from the smallest grid step egui_plot asks for, which is this many points.
pub const GRID_SPACING_PT: RangeInclusive<f32> = 8.0..=300.0;

/// The label spacing to give the x axis: every mark on the label step is further apart than
/// this, every other mark closer, so egui_plot labels exactly the chosen marks, at full
/// strength (the range is one point wide, so labels do not fade).
pub const LABEL_SPACING_PT: RangeInclusive<f32> = 30.0..=31.0;

/// About how wide one character of an axis label is, in points (egui's body font).
const CHAR_PT: f32 = 6.5;

/// The free space wanted between two labels, in points.
const LABEL_GAP_PT: f32 = 12.0;

/// A step between marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A fixed number of seconds: minutes and hours from midnight UTC, days from the unix
    /// epoch, weeks from Mondays.
    Secs(i64),
    /// Whole calendar months from the first of a month, January included when the count
    /// divides twelve.
    Months(u32),
}

impl Step {
    /// The step's length in seconds (months at their mean length).
    pub fn secs(self) -> f64 {
        match self {
            Step::Secs(s) => s as f64,
            Step::Months(n) => f64::from(n) * MONTH_SECS,
        }
    }

    /// The widest label this step writes, in characters: "Wed 28 Jan" for days, "28 Jan" for
    /// several days (and for midnights among hours), "Jan 2026" for months.
    fn label_chars(self) -> usize {
        match self {
            Step::Secs(DAY) => 10,
            Step::Secs(_) => 6,
            Step::Months(n) if n < 12 => 8,
            Step::Months(_) => 4,
        }
    }

    /// The least distance between two of its labels for them to be read apart, in points.
    pub fn label_spacing_pt(self) -> f32 {
        self.label_chars() as f32 * CHAR_PT + LABEL_GAP_PT
    }

    /// Whether the instant `t` (unix seconds) is on this step.
    fn holds(self, t: i64) -> bool {
        match self {
            Step::Secs(s) if s >= WEEK => (t - MONDAY_OFFSET).rem_euclid(s) == 0,
            Step::Secs(s) => t.rem_euclid(s) == 0,
            Step::Months(n) => DateTime::from_timestamp(t, 0).is_some_and(|d| {
                d.day() == 1
                    && d.num_seconds_from_midnight() == 0
                    && (i64::from(d.year()) * 12 + i64::from(d.month0())).rem_euclid(i64::from(n))
                        == 0
            }),
        }
    }

    /// The instants of this step from `lo` to `hi` (unix seconds), at most `limit` of them.
    fn instants(self, lo: f64, hi: f64, limit: usize) -> Vec<i64> {
        let mut out = Vec::new();
        match self {
            Step::Secs(s) => {
                let origin = if s >= WEEK { MONDAY_OFFSET } else { 0 };
                let mut t = ((lo.ceil() as i64 - origin).div_euclid(s)) * s + origin;
                while (t as f64) <= hi && out.len() < limit {
                    if (t as f64) >= lo {
                        out.push(t);
                    }
                    let Some(next) = t.checked_add(s) else {
                        break;
                    };
                    t = next;
                }
            }
            Step::Months(n) => {
                let Some(start) = DateTime::from_timestamp(lo.floor() as i64, 0) else {
                    return out;
                };
                let mut month = start.year() * 12 + start.month0() as i32;
                month -= month.rem_euclid(n as i32);
                while out.len() < limit {
                    let Some(t) = NaiveDate::from_ymd_opt(
                        month.div_euclid(12),
                        month.rem_euclid(12) as u32 + 1,
                        1,
                    )
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| d.and_utc().timestamp()) else {
                        break;
                    };
                    if t as f64 > hi {
                        break;
                    }
                    if t as f64 >= lo {
                        out.push(t);
                    }
                    month += n as i32;
                }
            }
        }
        out
    }
}

/// Round steps, finest first: the grid's and the labels'.
const STEPS: [Step; 22] = [
    Step::Secs(MINUTE),
    Step::Secs(5 * MINUTE),
    Step::Secs(15 * MINUTE),
    Step::Secs(30 * MINUTE),
    Step::Secs(HOUR),
    Step::Secs(2 * HOUR),
    Step::Secs(3 * HOUR),
    Step::Secs(6 * HOUR),
    Step::Secs(12 * HOUR),
    Step::Secs(DAY),
    Step::Secs(2 * DAY),
    Step::Secs(3 * DAY),
    Step::Secs(WEEK),
    Step::Secs(2 * WEEK),
    Step::Months(1),
    Step::Months(2),
    Step::Months(3),
    Step::Months(6),
    Step::Months(12),
    Step::Months(24),
    Step::Months(60),
    Step::Months(120),
];

/// The most marks drawn, whatever the zoom.
const MAX_MARKS: usize = 2000;

/// The label step for `span_secs` of time shown across `width_pt` points: the finest round
/// step whose labels stand at least their own width plus a gap apart, so a month reads in
/// days at 1280 pixels and a day in hours. The coarsest step when even that does not fit.
pub fn label_step(span_secs: f64, width_pt: f32) -> Step {
    let pt_per_sec = f64::from(width_pt) / span_secs;
    STEPS
        .into_iter()
        .find(|step| step.secs() * pt_per_sec >= f64::from(step.label_spacing_pt()))
        .unwrap_or(STEPS[STEPS.len() - 1])
}

/// The coarsest fixed step `t` is on (for the boldness of unlabelled grid lines).
fn weight(t: i64) -> f64 {
    STEPS
        .iter()
        .rev()
        .find(|s| matches!(s, Step::Secs(_)) && s.holds(t))
        .map_or(MINUTE as f64, |s| s.secs())
}

/// Grid marks for the visible range: every instant of the finest round step at least
/// `base_step_size` seconds (that is, [`GRID_SPACING_PT`]'s minimum apart), and every instant of
/// the label step. The latter carry the label step as their size; the others their coarsest
/// round step (day lines bolder than hour lines), capped below the label spacing.
pub fn grid_marks(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    if !(lo.is_finite() && hi.is_finite() && input.base_step_size.is_finite())
        || hi <= lo
        || input.base_step_size <= 0.0
    {
        return Vec::new();
    }
    let secs_per_pt = input.base_step_size / f64::from(*GRID_SPACING_PT.start());
    let width_pt = ((hi - lo) / secs_per_pt) as f32;
    let label = label_step(hi - lo, width_pt);
    let grid = STEPS
        .into_iter()
        .find(|s| s.secs() >= input.base_step_size)
        .filter(|s| s.secs() <= label.secs())
        .unwrap_or(label);
    // A point under the label spacing, so that rounding never lifts a capped mark over it.
    let unlabelled_cap = f64::from(*LABEL_SPACING_PT.start() - 1.0) * secs_per_pt;
    let mut instants: BTreeSet<i64> = label.instants(lo, hi, MAX_MARKS).into_iter().collect();
    if (hi - lo) / grid.secs() <= MAX_MARKS as f64 {
        instants.extend(grid.instants(lo, hi, MAX_MARKS));
    }
    instants
        .into_iter()
        .map(|t| GridMark {
            value: t as f64,
            step_size: if label.holds(t) {
                label.secs()
            } else {
                weight(t).min(unlabelled_cap)
            },
        })
        .collect()
}

/// The label of a grid mark, from the step its size says: the time of day under a day (the
/// date at midnight), the weekday and date for days, the date for several days or weeks, the
/// month, or the year.
pub fn mark_label(mark: GridMark) -> String {
    let Some(t) = DateTime::from_timestamp(mark.value as i64, 0) else {
        return String::new();
    };
    let step = mark.step_size;
    let midnight = t.num_seconds_from_midnight() == 0;
    let format = if step < DAY as f64 - 0.5 {
        if midnight { "%-d %b" } else { "%H:%M" }
    } else if step < DAY as f64 + 0.5 {
        "%a %-d %b"
    } else if step < 28.0 * DAY as f64 {
        "%-d %b"
    } else if step < 365.0 * DAY as f64 {
        "%b %Y"
    } else {
        "%Y"
    };
    t.format(format).to_string()
}

/// "Mon 5 Jan 2026 14:30 UTC".
pub fn instant_label(secs: f64) -> String {
    DateTime::from_timestamp(secs as i64, 0)
        .map(|t| t.format("%a %-d %b %Y %H:%M UTC").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> f64 {
        DateTime::parse_from_rfc3339(s)
            .expect("valid instant")
            .timestamp() as f64
    }

    /// The marks egui_plot gets for this range drawn `width_pt` points wide.
    fn marks(from: &str, to: &str, width_pt: f32) -> Vec<GridMark> {
        let (lo, hi) = (secs(from), secs(to));
        grid_marks(GridInput {
            bounds: (lo, hi),
            base_step_size: (hi - lo) / f64::from(width_pt) * f64::from(*GRID_SPACING_PT.start()),
        })
    }

    /// The labels egui_plot shows: marks further apart than the label spacing, with their text.
    fn labels(from: &str, to: &str, width_pt: f32) -> Vec<String> {
        let pt_per_sec = f64::from(width_pt) / (secs(to) - secs(from));
        marks(from, to, width_pt)
            .into_iter()
            .filter(|m| m.step_size * pt_per_sec > f64::from(*LABEL_SPACING_PT.start()))
            .map(mark_label)
            .collect()
    }

    const DAYS: f64 = DAY as f64;

    #[test]
    fn the_label_step_follows_span_and_width() {
        // A month on the 560 points the timeline has at 1280×720: every third day.
        assert_eq!(label_step(31.0 * DAYS, 560.0), Step::Secs(3 * DAY));
        // The same month at 1920×1080: every other day.
        assert_eq!(label_step(31.0 * DAYS, 1150.0), Step::Secs(2 * DAY));
        // Ten days: every day, with its weekday; a week on a wide plot: every twelve hours.
        assert_eq!(label_step(10.0 * DAYS, 800.0), Step::Secs(DAY));
        assert_eq!(label_step(7.0 * DAYS, 900.0), Step::Secs(12 * HOUR));
        // A day: every two hours; an hour: every five minutes.
        assert_eq!(label_step(DAYS, 800.0), Step::Secs(2 * HOUR));
        assert_eq!(label_step(3600.0, 800.0), Step::Secs(5 * MINUTE));
        // A quarter: fortnights; a year: every other month; a decade: years.
        assert_eq!(label_step(90.0 * DAYS, 560.0), Step::Secs(2 * WEEK));
        assert_eq!(label_step(365.0 * DAYS, 560.0), Step::Months(2));
        assert_eq!(label_step(3650.0 * DAYS, 560.0), Step::Months(12));
        // Wider is never coarser.
        let mut last = f64::INFINITY;
        for width in (200..3000).step_by(50) {
            let step = label_step(31.0 * DAYS, width as f32).secs();
            assert!(step <= last, "{width} pt");
            last = step;
        }
    }

    #[test]
    fn the_chosen_labels_never_overlap() {
        for (span, width) in [
            (31.0 * DAYS, 560.0),
            (31.0 * DAYS, 1150.0),
            (DAYS, 300.0),
            (400.0 * DAYS, 700.0),
        ] {
            let step = label_step(span, width);
            let apart_pt = step.secs() * f64::from(width) / span;
            assert!(apart_pt >= f64::from(step.label_spacing_pt()), "{step:?}");
            // Room for the widest label of the step ("Wed 28 Jan"), as rendered at 12.5 pt.
            assert!(apart_pt >= step.label_chars() as f64 * 5.5, "{step:?}");
        }
    }

    #[test]
    fn a_month_at_1280_pixels_gets_a_date_every_three_days() {
        let shown = labels("2026-01-03T00:00:00Z", "2026-02-03T00:00:00Z", 560.0);
        assert!(shown.len() >= 9, "{shown:?}");
        assert!(shown.iter().all(|l| l.len() <= 6), "{shown:?}");
        let spaced: Vec<&str> = shown.iter().map(String::as_str).take(3).collect();
        // Unix day numbers divisible by three: 4, 7, 10 January 2026.
        assert_eq!(spaced, ["4 Jan", "7 Jan", "10 Jan"]);
        // The grid still has a line every day (bolder on Mondays), unlabelled.
        let m = marks("2026-01-03T00:00:00Z", "2026-02-03T00:00:00Z", 560.0);
        let monday = m
            .iter()
            .find(|g| g.value == secs("2026-01-05T00:00:00Z"))
            .expect("5 Jan is a mark");
        let tuesday = m
            .iter()
            .find(|g| g.value == secs("2026-01-06T00:00:00Z"))
            .expect("6 Jan is a mark");
        assert!(monday.step_size > tuesday.step_size);
    }

    #[test]
    fn ten_days_get_a_date_a_day_with_its_weekday() {
        let shown = labels("2026-01-05T00:00:00Z", "2026-01-15T00:00:00Z", 800.0);
        assert_eq!(shown.first().map(String::as_str), Some("Mon 5 Jan"));
        assert_eq!(shown.len(), 11, "{shown:?}");
    }

    #[test]
    fn hours_and_minutes_when_zoomed_in() {
        let shown = labels("2026-01-05T09:00:00Z", "2026-01-05T12:00:00Z", 800.0);
        assert_eq!(&shown[..3], ["09:00", "09:15", "09:30"]);
        let shown = labels("2026-01-05T09:00:00Z", "2026-01-05T09:10:00Z", 800.0);
        assert_eq!(&shown[..3], ["09:00", "09:01", "09:02"]);
    }

    #[test]
    fn midnight_is_labelled_with_its_date() {
        let shown = labels("2026-01-05T20:00:00Z", "2026-01-06T04:00:00Z", 800.0);
        assert!(shown.contains(&"6 Jan".to_owned()), "{shown:?}");
        assert!(shown.contains(&"22:00".to_owned()), "{shown:?}");
    }

    #[test]
    fn months_and_years_when_zoomed_out() {
        let shown = labels("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", 560.0);
        assert_eq!(
            shown,
            [
                "Jan 2026", "Mar 2026", "May 2026", "Jul 2026", "Sep 2026", "Nov 2026", "Jan 2027"
            ]
        );
        let shown = labels("2020-06-01T00:00:00Z", "2030-06-01T00:00:00Z", 560.0);
        assert_eq!(shown.first().map(String::as_str), Some("2021"));
        assert_eq!(shown.len(), 10, "{shown:?}");
    }

    #[test]
    fn empty_or_huge_ranges_are_safe() {
        assert!(marks("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", 600.0).is_empty());
        let huge = grid_marks(GridInput {
            bounds: (-1e15, 1e15),
            base_step_size: 1e13,
        });
        assert!(huge.len() <= 2 * MAX_MARKS);
        assert!(
            grid_marks(GridInput {
                bounds: (0.0, f64::INFINITY),
                base_step_size: 1.0
            })
            .is_empty()
        );
    }
}
