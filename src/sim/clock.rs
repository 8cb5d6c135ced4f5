//! Local time without a time-zone lookup per message: the offsets of one zone over the span of a
//! run, found once, then an array search per instant.
//!
//! A run converts hundreds of millions of instants to local time (nights for the wellbeing rule,
//! hours of sends). [`LocalClock`] gives exactly what `chrono-tz` gives inside its span, and asks
//! `chrono-tz` itself outside it.

use chrono::{NaiveTime, Offset as _, TimeZone as _, Timelike as _};
use chrono_tz::Tz;

use crate::model::policy::{in_daily_range, night_of};

/// Days from 1 January of year 1 (the proleptic Gregorian calendar's day 1) to 1970-01-01, as
/// `chrono`'s `num_days_from_ce` counts them.
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// The UTC offsets of a time zone over a span of time.
#[derive(Clone, Debug)]
pub struct LocalClock {
    tz: Tz,
    from_secs: i64,
    to_secs: i64,
    /// `(since_secs, offset_secs)`, sorted; each offset holds from its instant to the next one.
    offsets: Vec<(i64, i64)>,
}

fn offset_at(tz: Tz, secs: i64) -> i64 {
    match tz.timestamp_opt(secs, 0).single() {
        Some(t) => i64::from(t.offset().fix().local_minus_utc()),
        None => 0,
    }
}

impl LocalClock {
    /// The clock of `tz` over `[from_secs, to_secs]`.
    pub fn new(tz: Tz, from_secs: i64, to_secs: i64) -> Self {
        // Offsets change at most twice a year: probe every 3 hours and bisect each change to the
        // second. Two changes less than 3 hours apart do not happen in the tz database.
        const STEP_SECS: i64 = 3 * 3600;
        let mut offsets = vec![(from_secs, offset_at(tz, from_secs))];
        let mut t = from_secs;
        while t < to_secs {
            let next = (t + STEP_SECS).min(to_secs);
            let (_, current) = offsets[offsets.len() - 1];
            let later = offset_at(tz, next);
            if later != current {
                // The change lies in (t, next]: find its first second.
                let (mut lo, mut hi) = (t, next);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if offset_at(tz, mid) == current {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                offsets.push((hi, later));
            }
            t = next;
        }
        Self {
            tz,
            from_secs,
            to_secs,
            offsets,
        }
    }

    /// The zone.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// Local time at `secs`, as seconds since 1970-01-01T00:00 local.
    #[inline]
    pub fn local_secs(&self, secs: i64) -> i64 {
        if secs < self.from_secs || secs > self.to_secs {
            return secs + offset_at(self.tz, secs);
        }
        // A handful of offsets at most: the last one that started at or before `secs`.
        let mut offset = self.offsets[0].1;
        for &(since, o) in &self.offsets[1..] {
            if since > secs {
                break;
            }
            offset = o;
        }
        secs + offset
    }

    /// Whether the local time of day at `secs` falls in `[start, end)`, a range that may wrap
    /// midnight (by [`in_daily_range`], as the engine's quiet hours decide).
    #[inline]
    pub fn in_range(&self, secs: i64, start: NaiveTime, end: NaiveTime) -> bool {
        let time = self.local_secs(secs).rem_euclid(86_400);
        let start = i64::from(start.num_seconds_from_midnight());
        let end = i64::from(end.num_seconds_from_midnight());
        in_daily_range(time, start, end)
    }

    /// The local hour of day (0–23) at `secs`.
    pub fn hour(&self, secs: i64) -> u32 {
        (self.local_secs(secs).rem_euclid(86_400) / 3600) as u32
    }

    /// The night `secs` falls in, as [`night_of`] numbers it, if the local time is inside
    /// `[start, end)` (a range that may wrap midnight).
    pub fn night(&self, secs: i64, start: NaiveTime, end: NaiveTime) -> Option<i32> {
        let local = self.local_secs(secs);
        let day = (local.div_euclid(86_400) + UNIX_EPOCH_DAYS_FROM_CE) as i32;
        let time = local.rem_euclid(86_400);
        let start = i64::from(start.num_seconds_from_midnight());
        let end = i64::from(end.num_seconds_from_midnight());
        night_of(day, time, start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::random::{Purpose, Stream};
    use chrono::Datelike as _;

    #[test]
    fn agrees_with_chrono_tz_across_clock_changes() {
        let zones = [
            chrono_tz::Europe::Paris,
            chrono_tz::America::New_York,
            chrono_tz::Australia::Sydney,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::Asia::Kolkata,
            chrono_tz::UTC,
        ];
        let from = 1_767_225_600; // 2026-01-01
        let to = from + 400 * 86_400;
        let start = NaiveTime::from_hms_opt(0, 0, 0).unwrap_or(NaiveTime::MIN);
        let end = NaiveTime::from_hms_opt(5, 0, 0).unwrap_or(NaiveTime::MIN);
        let late = NaiveTime::from_hms_opt(22, 30, 0).unwrap_or(NaiveTime::MIN);
        let mut rng = Stream::new(5, 0, Purpose::Traits);
        for tz in zones {
            let clock = LocalClock::new(tz, from, to);
            let mut probes: Vec<i64> = (0..20_000)
                .map(|_| from - 86_400 + i64::from(rng.below(402 * 86_400 / 60)) * 60)
                .collect();
            // Around every change, second by second.
            for &(since, _) in &clock.offsets[1..] {
                probes.extend(since - 5..since + 5);
            }
            for secs in probes {
                let local = tz
                    .timestamp_opt(secs, 0)
                    .single()
                    .expect("a UTC instant maps");
                assert_eq!(
                    clock.local_secs(secs),
                    local.naive_local().and_utc().timestamp(),
                    "{tz} at {secs}"
                );
                assert_eq!(clock.hour(secs), local.hour());
                let day = local.date_naive().num_days_from_ce();
                assert_eq!(
                    clock.night(secs, start, end),
                    night_of(day, local.time(), start, end)
                );
                assert_eq!(
                    clock.night(secs, late, end),
                    night_of(day, local.time(), late, end)
                );
                let quiet = crate::model::policy::QuietHours { start: late, end };
                assert_eq!(
                    clock.in_range(secs, late, end),
                    quiet.contains(local.time())
                );
            }
        }
    }
}
