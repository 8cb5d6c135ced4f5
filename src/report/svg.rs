//! The timeline of a replay as an inline SVG: one row per user, their messages and the bot's, and
//! each decision marked sent or held back, with a tooltip (`<title>`) on every mark.
//!
//! The SVG is also well-formed XML, so it can be embedded in the HTML report or saved alone.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};

use super::markup::escape;
use crate::engine::{Outcome, Replay};
use crate::model::{Scenario, Sender};

/// Colours of the report's marks, in one place.
pub mod colours {
    /// A user's message.
    pub const USER_MESSAGE: &str = "#3465a4";
    /// A bot's message.
    pub const BOT_MESSAGE: &str = "#888a85";
    /// A nudge sent.
    pub const SENT: &str = "#2e8b57";
    /// A nudge held back.
    pub const HELD: &str = "#cc3b3b";
    /// Grid lines.
    pub const GRID: &str = "#dddddd";
    /// Text.
    pub const TEXT: &str = "#222222";
}

/// The drawing's width in SVG units.
pub const WIDTH: f64 = 960.0;
const LEFT: f64 = 150.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const ROW: f64 = 36.0;

fn span(scenario: &Scenario, replay: &Replay) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let events = scenario
        .users
        .iter()
        .flat_map(|u| u.events.iter().map(|e| e.at));
    let decisions = replay
        .users
        .iter()
        .flat_map(|u| u.decisions.iter().map(|d| d.at));
    let all: Vec<DateTime<Utc>> = events.chain(decisions).collect();
    let first = *all.iter().min()?;
    let last = *all.iter().max()?;
    let pad = ((last - first) / 40).max(Duration::hours(2));
    Some((
        first.checked_sub_signed(pad)?,
        last.checked_add_signed(pad)?,
    ))
}

/// The SVG of the timeline (an empty drawing with a note when there is nothing to show).
pub fn timeline_svg(scenario: &Scenario, replay: &Replay) -> String {
    let rows = scenario.users.len().max(1) as f64;
    let height = TOP + rows * ROW + 30.0;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-label="Timeline of messages and decisions" font-family="sans-serif" font-size="11">"#
    );
    let Some((t0, t1)) = span(scenario, replay) else {
        let _ = write!(
            out,
            r#"<text x="{LEFT}" y="{TOP}" fill="{}">No message in this scenario.</text></svg>"#,
            colours::TEXT
        );
        return out;
    };
    let total_secs = (t1 - t0).num_seconds().max(1) as f64;
    let x = |t: DateTime<Utc>| {
        LEFT + (t - t0).num_seconds() as f64 / total_secs * (WIDTH - LEFT - RIGHT)
    };
    // Day grid in UTC, about a dozen labels at most.
    let days = (t1 - t0).num_days().max(1);
    let step = [1, 2, 7, 14, 30, 61, 91, 182, 365]
        .into_iter()
        .find(|s| days / s <= 12)
        .unwrap_or(365);
    let mut day = t0.date_naive();
    let bottom = TOP + rows * ROW;
    while let Some(midnight) = day.and_hms_opt(0, 0, 0).map(|d| d.and_utc()) {
        if midnight > t1 {
            break;
        }
        if midnight >= t0 {
            let px = x(midnight);
            let _ = write!(
                out,
                r#"<line x1="{px:.1}" y1="{}" x2="{px:.1}" y2="{bottom}" stroke="{}"/><text x="{px:.1}" y="{}" fill="{}" text-anchor="middle">{}</text>"#,
                TOP - 10.0,
                colours::GRID,
                TOP - 14.0,
                colours::TEXT,
                midnight.format("%-d %b")
            );
        }
        let Some(next) = day.checked_add_days(chrono::Days::new(step as u64)) else {
            break;
        };
        day = next;
    }
    for (row, user) in scenario.users.iter().enumerate() {
        let y = TOP + row as f64 * ROW + ROW / 2.0;
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" fill="{}" text-anchor="end">{}</text><line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{}"/>"#,
            LEFT - 8.0,
            y + 4.0,
            colours::TEXT,
            escape(&user.name),
            WIDTH - RIGHT,
            colours::GRID
        );
        for e in &user.events {
            let px = x(e.at);
            let when = e.at.with_timezone(&user.timezone).format("%-d %b %H:%M");
            let short: String = e.text.chars().take(80).collect();
            match e.from {
                Sender::User => {
                    let _ = write!(
                        out,
                        r#"<circle cx="{px:.1}" cy="{:.1}" r="3.5" fill="{}"><title>{} wrote, {when}: {}</title></circle>"#,
                        y - 7.0,
                        colours::USER_MESSAGE,
                        escape(&user.name),
                        escape(&short)
                    );
                }
                Sender::Bot => {
                    let _ = write!(
                        out,
                        r#"<rect x="{:.1}" y="{:.1}" width="6" height="6" fill="{}"><title>Bot reply, {when}: {}</title></rect>"#,
                        px - 3.0,
                        y + 4.0,
                        colours::BOT_MESSAGE,
                        escape(&short)
                    );
                }
            }
        }
        for d in replay.of_user(row) {
            let px = x(d.at);
            let when = d.at.with_timezone(&user.timezone).format("%-d %b %H:%M");
            let title = match d.text() {
                Some(text) => format!("Nudge sent, {when}: {text}"),
                None => format!("Nudge held back, {when}: {}", d.reason.as_str()),
            };
            match d.outcome {
                Outcome::Sent => {
                    let _ = write!(
                        out,
                        r#"<path d="M{px:.1} {:.1} l6 8 h-12 z" fill="{}"><title>{}</title></path>"#,
                        y - 4.0,
                        colours::SENT,
                        escape(&title)
                    );
                }
                Outcome::Suppressed => {
                    let _ = write!(
                        out,
                        r#"<path d="M{:.1} {:.1} l8 8 m0 -8 l-8 8" stroke="{}" stroke-width="2"><title>{}</title></path>"#,
                        px - 4.0,
                        y - 4.0,
                        colours::HELD,
                        escape(&title)
                    );
                }
            }
        }
    }
    // Legend.
    let ly = bottom + 20.0;
    let _ = write!(
        out,
        r#"<circle cx="{LEFT}" cy="{:.1}" r="3.5" fill="{}"/><text x="{:.1}" y="{ly:.1}" fill="{t}">user message</text><rect x="{:.1}" y="{:.1}" width="6" height="6" fill="{}"/><text x="{:.1}" y="{ly:.1}" fill="{t}">bot message</text><path d="M{:.1} {:.1} l6 8 h-12 z" fill="{}"/><text x="{:.1}" y="{ly:.1}" fill="{t}">nudge sent</text><path d="M{:.1} {:.1} l8 8 m0 -8 l-8 8" stroke="{}" stroke-width="2"/><text x="{:.1}" y="{ly:.1}" fill="{t}">nudge held back</text><text x="{:.1}" y="{ly:.1}" fill="{t}" text-anchor="end">dates in UTC</text>"#,
        ly - 4.0,
        colours::USER_MESSAGE,
        LEFT + 8.0,
        LEFT + 117.0,
        ly - 9.0,
        colours::BOT_MESSAGE,
        LEFT + 128.0,
        LEFT + 240.0,
        ly - 10.0,
        colours::SENT,
        LEFT + 250.0,
        LEFT + 356.0,
        ly - 9.0,
        colours::HELD,
        LEFT + 370.0,
        WIDTH - RIGHT,
        t = colours::TEXT
    );
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, Event, Policy, User};

    #[test]
    fn instants_at_the_ends_of_time_draw_without_panicking() {
        let event = |at| Event {
            at,
            from: Sender::User,
            channel: Channel::Messenger,
            text: "hi".to_owned(),
            media: false,
        };
        let scenario = Scenario {
            name: "ends".to_owned(),
            description: String::new(),
            until: None,
            users: vec![User {
                id: "u".to_owned(),
                name: "U".to_owned(),
                age: None,
                timezone: chrono_tz::Tz::UTC,
                locale: "en".to_owned(),
                events: vec![
                    event(DateTime::<Utc>::MIN_UTC),
                    event(DateTime::<Utc>::MAX_UTC),
                ],
            }],
        };
        let replay = Replay {
            policy: Policy::omni(),
            users: Vec::new(),
        };
        let svg = timeline_svg(&scenario, &replay);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
