//! The timeline of a replay as an inline SVG: one row per user, their messages and the bot's, and
//! each decision marked sent or held back, with a tooltip (`<title>`) on every mark.
//!
//! The SVG is also well-formed XML, so it can be embedded in the HTML report or saved alone.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};

use super::markup::escape;
use super::palette;
use crate::engine::{Outcome, Reason, Replay};
use crate::model::{Scenario, Sender};

/// Colours of the drawing that are not outcomes (those come from the shared [`palette`]).
pub mod colours {
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

/// The shape of a legend entry's mark.
#[derive(Clone, Copy)]
enum LegendMark {
    Circle,
    Square,
    Triangle,
    Cross,
}

/// One legend entry: its mark, colour and words.
struct LegendEntry {
    mark: LegendMark,
    colour: String,
    words: String,
}

impl LegendEntry {
    /// The entry's width: the mark, about 6.5 units a character at font size 11, then a gap.
    fn width(&self) -> f64 {
        16.0 + self.words.chars().count() as f64 * 6.5 + 18.0
    }

    /// Draws the entry with its mark's left at `x` and its text's baseline at `y`.
    fn draw(&self, out: &mut String, x: f64, y: f64) {
        let colour = &self.colour;
        let _ = match self.mark {
            LegendMark::Circle => write!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{colour}"/>"#,
                x + 4.0,
                y - 4.0
            ),
            LegendMark::Square => write!(
                out,
                r#"<rect x="{:.1}" y="{:.1}" width="6" height="6" fill="{colour}"/>"#,
                x + 1.0,
                y - 9.0
            ),
            LegendMark::Triangle => write!(
                out,
                r#"<path d="M{:.1} {:.1} l6 8 h-12 z" fill="{colour}"/>"#,
                x + 6.0,
                y - 10.0
            ),
            LegendMark::Cross => write!(
                out,
                r#"<path d="M{x:.1} {:.1} l8 8 m0 -8 l-8 8" stroke="{colour}" stroke-width="2"/>"#,
                y - 9.0
            ),
        };
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{y:.1}" fill="{}">{}</text>"#,
            x + 16.0,
            colours::TEXT,
            escape(&self.words)
        );
    }
}

/// The legend's entries: the kinds of marks, then each held-back reason the replay has, in its
/// own colour as on the timeline.
fn legend_entries(replay: &Replay) -> Vec<LegendEntry> {
    let entry = |mark, colour: palette::Rgb, words: &str| LegendEntry {
        mark,
        colour: colour.hex(),
        words: words.to_owned(),
    };
    let mut entries = vec![
        entry(LegendMark::Circle, palette::USER_MESSAGE, "user message"),
        entry(LegendMark::Square, palette::BOT_MESSAGE, "bot message"),
        entry(LegendMark::Triangle, palette::SENT, "nudge sent"),
    ];
    for reason in Reason::ALL {
        let present = replay
            .users
            .iter()
            .flat_map(|u| &u.decisions)
            .any(|d| d.outcome == Outcome::Suppressed && d.reason == reason);
        if present {
            let words = format!("held back: {}", reason.as_str().replace('_', " "));
            entries.push(entry(LegendMark::Cross, palette::reason(reason), &words));
        }
    }
    entries
}

/// Where each legend entry goes: `(x, row)`, rows wrapped to the drawing's width (the first
/// row leaves room for "dates in UTC" at its right).
fn legend_layout(entries: &[LegendEntry]) -> Vec<(f64, usize)> {
    let right = WIDTH - RIGHT - 90.0;
    let mut x = LEFT;
    let mut row = 0;
    entries
        .iter()
        .map(|e| {
            if x + e.width() > right && x > LEFT {
                x = LEFT;
                row += 1;
            }
            let at = (x, row);
            x += e.width();
            at
        })
        .collect()
}

/// The height of a legend row.
const LEGEND_ROW: f64 = 18.0;

/// The SVG of the timeline (an empty drawing with a note when there is nothing to show).
pub fn timeline_svg(scenario: &Scenario, replay: &Replay) -> String {
    let rows = scenario.users.len().max(1) as f64;
    let legend = legend_entries(replay);
    let layout = legend_layout(&legend);
    let legend_rows = layout.last().map_or(1, |(_, row)| row + 1);
    let height = TOP + rows * ROW + 30.0 + (legend_rows - 1) as f64 * LEGEND_ROW;
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
                        palette::USER_MESSAGE.hex(),
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
                        palette::BOT_MESSAGE.hex(),
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
                        palette::SENT.hex(),
                        escape(&title)
                    );
                }
                Outcome::Suppressed => {
                    let _ = write!(
                        out,
                        r#"<path d="M{:.1} {:.1} l8 8 m0 -8 l-8 8" stroke="{}" stroke-width="2"><title>{}</title></path>"#,
                        px - 4.0,
                        y - 4.0,
                        palette::reason(d.reason).hex(),
                        escape(&title)
                    );
                }
            }
        }
    }
    let ly = bottom + 20.0;
    for (entry, (x, row)) in legend.iter().zip(layout) {
        entry.draw(&mut out, x, ly + row as f64 * LEGEND_ROW);
    }
    let _ = write!(
        out,
        r#"<text x="{:.1}" y="{ly:.1}" fill="{}" text-anchor="end">dates in UTC</text>"#,
        WIDTH - RIGHT,
        colours::TEXT
    );
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, Event, Policy, User};

    #[test]
    fn marks_and_legend_use_the_shared_palette_and_the_legend_wraps() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let persona = crate::model::Persona::load(&root.join("personas/cinema-maestro.ron"))
            .expect("shipped persona");
        let scenario = Scenario::load(&root.join("assets/scenarios/demo-cinema.json"))
            .expect("shipped scenario");
        let replay = crate::replay::replay(
            &persona,
            &persona
                .policy
                .resolve()
                .expect("the persona names a known policy"),
            &scenario,
            crate::replay::ReplayOptions::default(),
        );
        let svg = timeline_svg(&scenario, &replay);
        let sent = format!("fill=\"{}\"><title>Nudge sent", palette::SENT.hex());
        assert!(svg.contains(&sent), "sent marks in the palette's green");
        let mut held = 0;
        for d in replay.users.iter().flat_map(|u| &u.decisions) {
            if d.outcome == Outcome::Suppressed {
                held += 1;
                let cross = format!(
                    "stroke=\"{}\" stroke-width=\"2\"><title>Nudge held back",
                    palette::reason(d.reason).hex()
                );
                assert!(svg.contains(&cross), "{:?} in its own colour", d.reason);
                let words = format!(">held back: {}<", d.reason.as_str().replace('_', " "));
                assert!(svg.contains(&words), "{words} in the legend");
            }
        }
        assert!(held >= 3, "the demo holds several reasons back");
        // The legend needs a second row, and the drawing is tall enough for it.
        let layout = legend_layout(&legend_entries(&replay));
        assert!(layout.iter().any(|(_, row)| *row > 0));
        assert!(layout.iter().all(|(x, _)| *x < WIDTH - RIGHT));
        let rows = scenario.users.len() as f64;
        let height = TOP + rows * ROW + 30.0 + LEGEND_ROW;
        assert!(svg.contains(&format!("viewBox=\"0 0 {WIDTH} {height}\"")));
    }

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
