//! The timeline's date/time axis: grid marks on round instants (minutes, hours, days, weeks) for
//! any zoom, and labels that say what the step needs ("Mon 5 Jan", "14:30").
//!
//! The x axis holds unix seconds; marks and labels are in UTC, the zone all users share.

use chrono::{DateTime, Timelike as _};
use egui_plot::{GridInput, GridMark};

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
const WEEK: i64 = 7 * DAY;
/// Unix time 0 was a Thursday: Mondays fall 4 days later modulo a week.
const MONDAY_OFFSET: i64 = 4 * DAY;

/// Round steps, finest first.
const STEPS: [i64; 13] = [
    MINUTE,
    5 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    WEEK,
    2 * WEEK,
    4 * WEEK,
    8 * WEEK,
];

/// Whether `t` is a multiple of `step` (weeks counted from Mondays).
fn aligned(t: i64, step: i64) -> bool {
    if step >= WEEK {
        (t - MONDAY_OFFSET).rem_euclid(step) == 0
    } else {
        t.rem_euclid(step) == 0
    }
}

/// Grid marks for the visible range: the finest round step at least `base_step_size` seconds,
/// each mark weighted by the coarsest step it falls on (so day lines are bolder than hour lines).
pub fn grid_marks(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return Vec::new();
    }
    let Some(first) = STEPS.iter().position(|&s| s as f64 >= input.base_step_size) else {
        return Vec::new();
    };
    let step = STEPS[first];
    // Weeks are counted from Mondays, and days only divide weeks: two steps of a kind.
    let start = if step >= WEEK {
        ((lo as i64 - MONDAY_OFFSET).div_euclid(step)) * step + MONDAY_OFFSET
    } else {
        (lo as i64).div_euclid(step) * step
    };
    let mut marks = Vec::new();
    let mut t = start;
    while (t as f64) <= hi && marks.len() < 2000 {
        if (t as f64) >= lo {
            let weight = STEPS[first..]
                .iter()
                .rev()
                .find(|&&s| aligned(t, s))
                .copied()
                .unwrap_or(step);
            marks.push(GridMark {
                value: t as f64,
                step_size: weight as f64,
            });
        }
        t += step;
    }
    marks
}

/// The label of a grid mark: a date on day boundaries and for steps of a day or more, else the
/// time of day.
pub fn mark_label(mark: GridMark) -> String {
    let Some(t) = DateTime::from_timestamp(mark.value as i64, 0) else {
        return String::new();
    };
    if mark.step_size >= DAY as f64 || (t.hour() == 0 && t.minute() == 0) {
        t.format("%a %-d %b").to_string()
    } else {
        t.format("%H:%M").to_string()
    }
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

    fn marks(from: &str, to: &str, base: f64) -> Vec<GridMark> {
        grid_marks(GridInput {
            bounds: (secs(from), secs(to)),
            base_step_size: base,
        })
    }

    #[test]
    fn weeks_of_data_get_day_marks_with_readable_dates() {
        let m = marks("2026-01-01T00:00:00Z", "2026-01-29T00:00:00Z", 50_000.0);
        assert_eq!(m[1].value - m[0].value, DAY as f64);
        assert_eq!(mark_label(m[0]), "Thu 1 Jan");
        // Mondays carry the week's weight.
        let monday = m
            .iter()
            .find(|g| g.value == secs("2026-01-05T00:00:00Z"))
            .expect("5 Jan is a mark");
        assert!(monday.step_size >= WEEK as f64);
    }

    #[test]
    fn hours_and_minutes_when_zoomed_in() {
        let m = marks("2026-01-05T09:00:00Z", "2026-01-05T12:00:00Z", 600.0);
        assert_eq!(m[1].value - m[0].value, (15 * MINUTE) as f64);
        assert_eq!(mark_label(m[1]), "09:15");
        let hourly = m
            .iter()
            .find(|g| g.value == secs("2026-01-05T10:00:00Z"))
            .expect("10:00 is a mark");
        assert!(hourly.step_size >= HOUR as f64);
        let m = marks("2026-01-05T09:00:00Z", "2026-01-05T09:10:00Z", 30.0);
        assert_eq!(m[1].value - m[0].value, MINUTE as f64);
        assert_eq!(mark_label(m[3]), "09:03");
    }

    #[test]
    fn midnight_is_labelled_with_its_date() {
        let m = marks("2026-01-05T20:00:00Z", "2026-01-06T04:00:00Z", 3000.0);
        let midnight = m
            .iter()
            .find(|g| g.value == secs("2026-01-06T00:00:00Z"))
            .expect("midnight is a mark");
        assert_eq!(mark_label(*midnight), "Tue 6 Jan");
    }

    #[test]
    fn months_get_monday_weeks() {
        let m = marks(
            "2026-01-01T00:00:00Z",
            "2026-04-01T00:00:00Z",
            3.0 * DAY as f64,
        );
        assert_eq!(m[1].value - m[0].value, WEEK as f64);
        assert_eq!(mark_label(m[0]), "Mon 5 Jan");
    }

    #[test]
    fn empty_or_huge_ranges_are_safe() {
        assert!(marks("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", 60.0).is_empty());
        assert!(
            grid_marks(GridInput {
                bounds: (0.0, 1e12),
                base_step_size: 1e11
            })
            .is_empty()
        );
    }
}
