//! The replay cursor: a small state machine over simulated time, driven by [`CursorCommand`]s
//! and by [`ReplayCursor::tick`] with the real time elapsed between frames.
//!
//! It knows nothing of egui, so it is tested by stepping a fixed `dt` (as rerun's time control).

/// How fast simulated time runs while playing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Speed {
    /// One hour of simulated time per second.
    HourPerSec,
    /// Six hours per second.
    SixHoursPerSec,
    /// One day per second.
    DayPerSec,
    /// Three days per second.
    ThreeDaysPerSec,
    /// One week per second.
    WeekPerSec,
}

impl Speed {
    /// Every speed, slowest first.
    pub const ALL: [Speed; 5] = [
        Speed::HourPerSec,
        Speed::SixHoursPerSec,
        Speed::DayPerSec,
        Speed::ThreeDaysPerSec,
        Speed::WeekPerSec,
    ];

    /// Simulated seconds per real second.
    pub fn sim_secs_per_sec(self) -> f64 {
        match self {
            Speed::HourPerSec => 3600.0,
            Speed::SixHoursPerSec => 6.0 * 3600.0,
            Speed::DayPerSec => 86_400.0,
            Speed::ThreeDaysPerSec => 3.0 * 86_400.0,
            Speed::WeekPerSec => 7.0 * 86_400.0,
        }
    }

    /// "1 day/s".
    pub fn label(self) -> &'static str {
        match self {
            Speed::HourPerSec => "1 hour/s",
            Speed::SixHoursPerSec => "6 hours/s",
            Speed::DayPerSec => "1 day/s",
            Speed::ThreeDaysPerSec => "3 days/s",
            Speed::WeekPerSec => "1 week/s",
        }
    }
}

/// What the cursor can be told to do.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CursorCommand {
    /// Start playing (from the start when at the end).
    Play,
    /// Stop playing.
    Pause,
    /// Play or pause.
    TogglePlay,
    /// Jump to the first event after the cursor.
    StepForward,
    /// Jump to the last event before the cursor.
    StepBackward,
    /// Change the speed.
    SetSpeed(Speed),
    /// Move the cursor to an instant (unix seconds), clamped to the range; pauses.
    Scrub(f64),
    /// Jump to the start of the range.
    ToStart,
    /// Jump to the end of the range.
    ToEnd,
}

/// The replay cursor over `[start_secs, end_secs]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayCursor {
    time_secs: f64,
    start_secs: f64,
    end_secs: f64,
    playing: bool,
    speed: Speed,
}

impl Default for ReplayCursor {
    fn default() -> Self {
        Self {
            time_secs: 0.0,
            start_secs: 0.0,
            end_secs: 0.0,
            playing: false,
            speed: Speed::DayPerSec,
        }
    }
}

impl ReplayCursor {
    /// A paused cursor at the start of `[start_secs, end_secs]`, ready to play the scenario
    /// from its first message.
    pub fn new(start_secs: f64, end_secs: f64) -> Self {
        let end_secs = end_secs.max(start_secs);
        Self {
            time_secs: start_secs,
            start_secs,
            end_secs,
            ..Self::default()
        }
    }

    /// The cursor's instant (unix seconds).
    pub fn time_secs(&self) -> f64 {
        self.time_secs
    }

    /// The range the cursor moves in.
    pub fn range_secs(&self) -> (f64, f64) {
        (self.start_secs, self.end_secs)
    }

    /// Whether it is playing.
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// The playing speed.
    pub fn speed(&self) -> Speed {
        self.speed
    }

    /// Changes the range (after the scenario changed), keeping the cursor inside it; a cursor
    /// that was at the old end stays at the new end.
    pub fn set_range(&mut self, start_secs: f64, end_secs: f64) {
        let end_secs = end_secs.max(start_secs);
        let was_at_end = self.time_secs >= self.end_secs;
        self.start_secs = start_secs;
        self.end_secs = end_secs;
        self.time_secs = if was_at_end {
            end_secs
        } else {
            self.time_secs.clamp(start_secs, end_secs)
        };
    }

    /// Applies a command; `events_secs` are the instants of every event, sorted, for stepping.
    pub fn apply(&mut self, command: CursorCommand, events_secs: &[i64]) {
        match command {
            CursorCommand::Play => {
                if self.time_secs >= self.end_secs {
                    self.time_secs = self.start_secs;
                }
                self.playing = self.end_secs > self.start_secs;
            }
            CursorCommand::Pause => self.playing = false,
            CursorCommand::TogglePlay => {
                let command = if self.playing {
                    CursorCommand::Pause
                } else {
                    CursorCommand::Play
                };
                self.apply(command, events_secs);
            }
            CursorCommand::StepForward => {
                self.playing = false;
                let i = events_secs.partition_point(|&e| (e as f64) <= self.time_secs);
                self.time_secs = events_secs
                    .get(i)
                    .map_or(self.end_secs, |&e| e as f64)
                    .min(self.end_secs);
            }
            CursorCommand::StepBackward => {
                self.playing = false;
                let i = events_secs.partition_point(|&e| (e as f64) < self.time_secs);
                self.time_secs = i
                    .checked_sub(1)
                    .map_or(self.start_secs, |i| events_secs[i] as f64)
                    .max(self.start_secs);
            }
            CursorCommand::SetSpeed(speed) => self.speed = speed,
            CursorCommand::Scrub(t) => {
                self.playing = false;
                self.time_secs = t.clamp(self.start_secs, self.end_secs);
            }
            CursorCommand::ToStart => {
                self.playing = false;
                self.time_secs = self.start_secs;
            }
            CursorCommand::ToEnd => {
                self.playing = false;
                self.time_secs = self.end_secs;
            }
        }
    }

    /// Advances a playing cursor by `dt_secs` of real time; stops at the end. Returns whether
    /// the cursor moved.
    pub fn tick(&mut self, dt_secs: f64) -> bool {
        if !self.playing || dt_secs <= 0.0 {
            return false;
        }
        let before = self.time_secs;
        self.time_secs =
            (self.time_secs + dt_secs * self.speed.sim_secs_per_sec()).min(self.end_secs);
        if self.time_secs >= self.end_secs {
            self.playing = false;
        }
        self.time_secs != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: f64 = 86_400.0;
    const EVENTS: [i64; 4] = [0, 3600, 86_400, 5 * 86_400];

    fn cursor() -> ReplayCursor {
        ReplayCursor::new(0.0, 10.0 * DAY)
    }

    #[test]
    fn starts_paused_at_the_start() {
        let c = cursor();
        assert!(!c.is_playing());
        assert_eq!(c.time_secs(), 0.0);
    }

    #[test]
    fn play_from_the_end_restarts_and_runs_at_speed() {
        let mut c = cursor();
        c.apply(CursorCommand::ToEnd, &EVENTS);
        c.apply(CursorCommand::Play, &EVENTS);
        assert!(c.is_playing());
        assert_eq!(c.time_secs(), 0.0);
        // 1 day/s by default: ten quarter-second frames make two and a half days.
        for _ in 0..10 {
            assert!(c.tick(0.25));
        }
        assert!((c.time_secs() - 2.5 * DAY).abs() < 1e-6);
        c.apply(CursorCommand::SetSpeed(Speed::HourPerSec), &EVENTS);
        c.tick(2.0);
        assert!((c.time_secs() - (2.5 * DAY + 2.0 * 3600.0)).abs() < 1e-6);
    }

    #[test]
    fn playing_stops_at_the_end() {
        let mut c = cursor();
        c.apply(CursorCommand::Scrub(9.0 * DAY), &EVENTS);
        c.apply(CursorCommand::SetSpeed(Speed::WeekPerSec), &EVENTS);
        c.apply(CursorCommand::Play, &EVENTS);
        assert!(c.tick(1.0));
        assert_eq!(c.time_secs(), 10.0 * DAY);
        assert!(!c.is_playing());
        assert!(!c.tick(1.0));
    }

    #[test]
    fn pause_and_toggle() {
        let mut c = cursor();
        c.apply(CursorCommand::TogglePlay, &EVENTS);
        assert!(c.is_playing());
        assert_eq!(c.time_secs(), 0.0, "play from the start stays at the start");
        c.tick(0.5);
        let t = c.time_secs();
        c.apply(CursorCommand::TogglePlay, &EVENTS);
        assert!(!c.is_playing());
        assert!(!c.tick(1.0));
        assert_eq!(c.time_secs(), t);
        c.apply(CursorCommand::Play, &EVENTS);
        c.apply(CursorCommand::Pause, &EVENTS);
        assert!(!c.is_playing());
    }

    #[test]
    fn steps_visit_each_event_and_stop_at_the_ends() {
        let mut c = cursor();
        c.apply(CursorCommand::ToStart, &EVENTS);
        assert_eq!(c.time_secs(), 0.0);
        let mut visited = Vec::new();
        for _ in 0..5 {
            c.apply(CursorCommand::StepForward, &EVENTS);
            visited.push(c.time_secs());
        }
        assert_eq!(visited, [3600.0, DAY, 5.0 * DAY, 10.0 * DAY, 10.0 * DAY]);
        c.apply(CursorCommand::StepBackward, &EVENTS);
        assert_eq!(c.time_secs(), 5.0 * DAY);
        c.apply(CursorCommand::Scrub(DAY + 1.0), &EVENTS);
        c.apply(CursorCommand::StepBackward, &EVENTS);
        assert_eq!(c.time_secs(), DAY);
        for _ in 0..4 {
            c.apply(CursorCommand::StepBackward, &EVENTS);
        }
        assert_eq!(c.time_secs(), 0.0);
    }

    #[test]
    fn stepping_pauses() {
        let mut c = cursor();
        c.apply(CursorCommand::Play, &EVENTS);
        c.apply(CursorCommand::StepForward, &EVENTS);
        assert!(!c.is_playing());
        assert_eq!(c.time_secs(), 3600.0);
    }

    #[test]
    fn scrub_clamps_and_pauses() {
        let mut c = cursor();
        c.apply(CursorCommand::Play, &EVENTS);
        c.apply(CursorCommand::Scrub(-5.0), &EVENTS);
        assert!(!c.is_playing());
        assert_eq!(c.time_secs(), 0.0);
        c.apply(CursorCommand::Scrub(99.0 * DAY), &EVENTS);
        assert_eq!(c.time_secs(), 10.0 * DAY);
        c.apply(CursorCommand::Scrub(3.0 * DAY), &EVENTS);
        assert_eq!(c.time_secs(), 3.0 * DAY);
    }

    #[test]
    fn range_changes_keep_the_cursor_inside() {
        let mut c = cursor();
        c.apply(CursorCommand::ToEnd, &EVENTS);
        c.set_range(0.0, 20.0 * DAY);
        assert_eq!(
            c.time_secs(),
            20.0 * DAY,
            "a cursor at the end follows the end"
        );
        c.apply(CursorCommand::Scrub(15.0 * DAY), &EVENTS);
        c.set_range(0.0, 12.0 * DAY);
        assert_eq!(c.time_secs(), 12.0 * DAY);
        c.apply(CursorCommand::Scrub(5.0 * DAY), &EVENTS);
        c.set_range(0.0, 30.0 * DAY);
        assert_eq!(c.time_secs(), 5.0 * DAY);
    }

    #[test]
    fn an_empty_range_never_plays() {
        let mut c = ReplayCursor::new(5.0, 5.0);
        c.apply(CursorCommand::Play, &[]);
        assert!(!c.is_playing());
        assert!(!c.tick(1.0));
    }

    #[test]
    fn every_speed_is_faster_than_the_one_before() {
        for pair in Speed::ALL.windows(2) {
            assert!(pair[0].sim_secs_per_sec() < pair[1].sim_secs_per_sec());
        }
    }
}
