//! Colours, marker shapes and names for the kinds of timeline items and decision outcomes, in
//! one place (as rerun's design tokens), plus the light/dark theme choice.
//!
//! The colours of message kinds and outcomes come from the library's [`palette`], which the
//! HTML and SVG reports use too, so that "sent" is the same green everywhere.

use egui::Color32;
use egui_plot::MarkerShape;

use crate::engine::Reason;
use crate::report::palette::{self, Rgb};

/// A palette colour as egui's.
pub const fn color32(rgb: Rgb) -> Color32 {
    Color32::from_rgb(rgb.r, rgb.g, rgb.b)
}

/// A kind of marker on the timeline: one plot series per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MarkerKind {
    /// A message from the user.
    UserMessage,
    /// A reply of the bot in the conversation.
    BotReply,
    /// A follow-up the engine sends.
    NudgeSent,
    /// A follow-up the engine holds back, for this reason.
    HeldBack(Reason),
}

impl MarkerKind {
    /// How many kinds there are.
    pub const COUNT: usize = 3 + Reason::ALL.len() - 1;

    /// Every kind, in legend order.
    pub fn all() -> impl Iterator<Item = MarkerKind> {
        [
            MarkerKind::UserMessage,
            MarkerKind::BotReply,
            MarkerKind::NudgeSent,
        ]
        .into_iter()
        .chain(
            Reason::ALL
                .into_iter()
                .filter(|r| *r != Reason::Sent)
                .map(MarkerKind::HeldBack),
        )
    }

    /// The kind of a decision with this reason.
    pub fn of_reason(reason: Reason) -> Self {
        if reason == Reason::Sent {
            MarkerKind::NudgeSent
        } else {
            MarkerKind::HeldBack(reason)
        }
    }

    /// A dense index in `0..COUNT`.
    pub fn index(self) -> usize {
        match self {
            MarkerKind::UserMessage => 0,
            MarkerKind::BotReply => 1,
            MarkerKind::NudgeSent => 2,
            MarkerKind::HeldBack(reason) => {
                2 + Reason::ALL
                    .iter()
                    .filter(|r| **r != Reason::Sent)
                    .position(|r| *r == reason)
                    .map_or(0, |i| i + 1)
            }
        }
    }

    /// The series name shown in the legend ("held back: too few messages").
    pub fn name(self) -> String {
        match self {
            MarkerKind::UserMessage => "user message".to_owned(),
            MarkerKind::BotReply => "bot reply".to_owned(),
            MarkerKind::NudgeSent => "nudge sent".to_owned(),
            MarkerKind::HeldBack(reason) => format!("held back: {}", reason_words(reason)),
        }
    }

    /// Whether it is a decision of the engine (sent or held back).
    pub fn is_decision(self) -> bool {
        matches!(self, MarkerKind::NudgeSent | MarkerKind::HeldBack(_))
    }

    /// The marker's colour.
    pub fn color(self) -> Color32 {
        match self {
            MarkerKind::UserMessage => color32(palette::USER_MESSAGE),
            MarkerKind::BotReply => color32(palette::BOT_MESSAGE),
            MarkerKind::NudgeSent => SENT,
            MarkerKind::HeldBack(reason) => reason_color(reason),
        }
    }

    /// Paints the marker's shape in a small square of the UI (for legends: the default fonts
    /// have no geometric symbols).
    pub fn icon_ui(self, ui: &mut egui::Ui, color: Color32) {
        let size = ICON_PX;
        let (rect, _) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
        let c = rect.center();
        let r = size * 0.38;
        let painter = ui.painter();
        match self.shape() {
            MarkerShape::Circle => {
                painter.circle_filled(c, r, color);
            }
            MarkerShape::Square => {
                painter.rect_filled(
                    egui::Rect::from_center_size(c, egui::vec2(r * 1.6, r * 1.6)),
                    0.0,
                    color,
                );
            }
            MarkerShape::Diamond => {
                painter.add(egui::Shape::convex_polygon(
                    vec![
                        c + egui::vec2(0.0, -r * 1.3),
                        c + egui::vec2(r * 1.3, 0.0),
                        c + egui::vec2(0.0, r * 1.3),
                        c + egui::vec2(-r * 1.3, 0.0),
                    ],
                    color,
                    egui::Stroke::NONE,
                ));
            }
            _ => {
                let stroke = egui::Stroke::new(2.0, color);
                painter.line_segment([c + egui::vec2(-r, -r), c + egui::vec2(r, r)], stroke);
                painter.line_segment([c + egui::vec2(-r, r), c + egui::vec2(r, -r)], stroke);
            }
        }
    }

    /// The marker's shape.
    pub fn shape(self) -> MarkerShape {
        match self {
            MarkerKind::UserMessage => MarkerShape::Circle,
            MarkerKind::BotReply => MarkerShape::Square,
            MarkerKind::NudgeSent => MarkerShape::Diamond,
            MarkerKind::HeldBack(_) => MarkerShape::Cross,
        }
    }

    /// The marker's radius in points: sent nudges stand out.
    pub fn radius(self) -> f32 {
        match self {
            MarkerKind::UserMessage => 4.0,
            MarkerKind::BotReply => 3.0,
            MarkerKind::NudgeSent => 8.0,
            MarkerKind::HeldBack(_) => 6.0,
        }
    }

    /// Vertical offset from the lane's centre, in lane units: messages above, decisions below.
    pub fn lane_offset(self) -> f64 {
        match self {
            MarkerKind::UserMessage => 0.22,
            MarkerKind::BotReply => 0.08,
            MarkerKind::NudgeSent | MarkerKind::HeldBack(_) => -0.2,
        }
    }
}

/// The colour of sent nudges.
pub const SENT: Color32 = color32(palette::SENT);

/// The colour of a passed check in traces.
pub const PASS: Color32 = color32(palette::PASS);

/// The colour of a failed check in traces.
pub const FAIL: Color32 = color32(palette::FAIL);

/// The colour of validation errors.
pub const ERROR: Color32 = color32(palette::FAIL);

/// The colour of lint warnings.
pub const WARNING: Color32 = Color32::from_rgb(210, 140, 20);

/// The replay cursor's colour.
pub const CURSOR: Color32 = Color32::from_rgb(230, 90, 30);

/// The population run under the persona's policy, in the charts (not the green of "sent": a run
/// is a policy, not an outcome).
pub const RUN_BASE: Color32 = Color32::from_rgb(70, 110, 210);

/// The compared population run, in the charts.
pub const RUN_COMPARED: Color32 = Color32::from_rgb(205, 80, 160);

/// Shading of the selected user's quiet hours (premultiplied: a faint indigo).
pub const QUIET_HOURS: Color32 = Color32::from_rgba_premultiplied(14, 16, 40, 45);

/// Shading of the window in which a follow-up may go out (a light green).
pub const FOLLOW_UP_WINDOW: Color32 = Color32::from_rgba_premultiplied(16, 60, 32, 80);

/// Shading of the periods in which the user meets the message-count condition (amber).
pub const COUNT_MET: Color32 = Color32::from_rgba_premultiplied(120, 90, 0, 140);

/// Shading of the selected user's lane.
pub const SELECTED_LANE: Color32 = Color32::from_rgba_premultiplied(8, 8, 8, 16);

/// The side of a marker's icon beside its name (filters, legends), in points.
pub const ICON_PX: f32 = 12.0;

/// The smallest text size the studio uses, in points: captions, legends, trace notes.
pub const SMALL_TEXT_PX: f32 = 12.0;

/// `color` as text on the panel background of the current theme: darker in the light theme,
/// lighter in the dark one, so that yellows and greens stay readable on light fills (the
/// palette's [`Rgb::on_light`] and [`Rgb::on_dark`], as in the reports).
pub fn readable(visuals: &egui::Visuals, color: Color32) -> Color32 {
    let [r, g, b, a] = color.to_srgba_unmultiplied();
    let rgb = Rgb::new(r, g, b);
    let text = if visuals.dark_mode {
        rgb.on_dark()
    } else {
        rgb.on_light()
    };
    Color32::from_rgba_unmultiplied(text.r, text.g, text.b, a)
}

/// How strong egui's weak text (hints, "mandatory", secondary labels) is in the light theme:
/// its default, 0.6 of the text colour, is too faint on the light panels.
const LIGHT_WEAK_TEXT_ALPHA: f32 = 0.8;

/// Adjusts egui's light and dark styles once, at start: weak text readable in the light theme.
pub fn install(ctx: &egui::Context) {
    ctx.style_mut_of(egui::Theme::Light, |style| {
        style.visuals.weak_text_alpha = LIGHT_WEAK_TEXT_ALPHA;
    });
}

/// Neutral accent for verdicts that are neither a rule passing nor one failing.
pub const NEUTRAL: Color32 = Color32::from_rgb(90, 120, 170);

/// A translucent fill of `color`, for a box highlighted with that colour in either theme.
pub fn tint(color: Color32) -> Color32 {
    color.gamma_multiply(0.16)
}

/// The colour of a decision with this reason (the palette's, shared with the reports).
pub fn reason_color(reason: Reason) -> Color32 {
    color32(palette::reason(reason))
}

/// A reason in plain words ("too few messages").
pub fn reason_words(reason: Reason) -> &'static str {
    match reason {
        Reason::Sent => "sent",
        Reason::Minor => "minor",
        Reason::OptedOut => "opted out",
        Reason::Sensitive => "sensitive topic",
        Reason::Wellbeing => "wellbeing",
        Reason::WindowExpired => "window expired",
        Reason::TooFewMessages => "too few messages",
        Reason::NoApprovedTemplate => "no approved template",
        Reason::NoSafeText => "no safe text",
    }
}

/// The same colour, faded for items after the replay cursor: still visible on the light
/// theme's white plot, where a quarter of a yellow or green disappears.
pub fn dimmed(visuals: &egui::Visuals, color: Color32) -> Color32 {
    color.gamma_multiply(if visuals.dark_mode { 0.3 } else { 0.5 })
}

/// The light or dark look, as saved in the preferences.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ThemeChoice {
    /// Follow the system.
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

impl ThemeChoice {
    /// Every choice, in menu order.
    pub const ALL: [ThemeChoice; 3] = [ThemeChoice::System, ThemeChoice::Light, ThemeChoice::Dark];

    /// The menu label.
    pub fn label(self) -> &'static str {
        match self {
            ThemeChoice::System => "follow the system",
            ThemeChoice::Light => "light",
            ThemeChoice::Dark => "dark",
        }
    }

    /// egui's preference.
    pub fn preference(self) -> egui::ThemePreference {
        match self {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Light => egui::ThemePreference::Light,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_dense_distinct_indexes_and_names() {
        let kinds: Vec<MarkerKind> = MarkerKind::all().collect();
        assert_eq!(kinds.len(), MarkerKind::COUNT);
        for (i, k) in kinds.iter().enumerate() {
            assert_eq!(k.index(), i, "{k:?}");
        }
        let mut names: Vec<String> = kinds.iter().map(|k| k.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), MarkerKind::COUNT);
    }

    #[test]
    fn the_studio_and_the_reports_use_one_palette() {
        let hex = |c: Color32| format!("#{:02x}{:02x}{:02x}", c.r(), c.g(), c.b());
        assert_eq!(hex(SENT), palette::SENT.hex());
        assert_eq!(hex(MarkerKind::NudgeSent.color()), palette::SENT.hex());
        assert_eq!(
            hex(MarkerKind::UserMessage.color()),
            palette::USER_MESSAGE.hex()
        );
        assert_eq!(
            hex(MarkerKind::BotReply.color()),
            palette::BOT_MESSAGE.hex()
        );
        assert_eq!(hex(PASS), palette::PASS.hex());
        assert_eq!(hex(FAIL), palette::FAIL.hex());
        for reason in Reason::ALL {
            assert_eq!(hex(reason_color(reason)), palette::reason(reason).hex());
            assert_eq!(
                hex(MarkerKind::of_reason(reason).color()),
                palette::reason(reason).hex()
            );
        }
    }

    #[test]
    fn outcome_text_reads_on_the_panels_of_both_themes() {
        for visuals in [egui::Visuals::light(), egui::Visuals::dark()] {
            let [r, g, b, _] = visuals.panel_fill.to_srgba_unmultiplied();
            let panel = Rgb::new(r, g, b);
            let colours = Reason::ALL
                .into_iter()
                .map(reason_color)
                .chain([PASS, FAIL, ERROR, WARNING, NEUTRAL, CURSOR])
                .chain(MarkerKind::all().map(MarkerKind::color));
            for c in colours {
                let [r, g, b, _] = readable(&visuals, c).to_srgba_unmultiplied();
                let ratio = palette::contrast_ratio(Rgb::new(r, g, b), panel);
                assert!(
                    ratio >= 4.5,
                    "{c:?} on the {} panel: {ratio:.2}",
                    if visuals.dark_mode { "dark" } else { "light" }
                );
            }
        }
    }

    #[test]
    fn weak_text_reads_on_the_light_panel_once_installed() {
        let ctx = egui::Context::default();
        let weak_contrast = |ctx: &egui::Context| {
            let mut ratio = 0.0;
            ctx.style_mut_of(egui::Theme::Light, |style| {
                let v = &style.visuals;
                let [r, g, b, a] = v.weak_text_color().to_srgba_unmultiplied();
                let [pr, pg, pb, _] = v.panel_fill.to_srgba_unmultiplied();
                let panel = Rgb::new(pr, pg, pb);
                // The text blended over the panel by its alpha.
                let text = panel.mix(Rgb::new(r, g, b), f32::from(a) / 255.0);
                ratio = palette::contrast_ratio(text, panel);
            });
            ratio
        };
        let before = weak_contrast(&ctx);
        install(&ctx);
        let after = weak_contrast(&ctx);
        assert!(after > before, "{before:.2} → {after:.2}");
        assert!(after >= 4.5, "weak text on the light panel: {after:.2}");
    }

    #[test]
    fn every_reason_has_its_own_colour() {
        let mut colours: Vec<[u8; 4]> = Reason::ALL
            .iter()
            .map(|r| reason_color(*r).to_array())
            .collect();
        colours.sort();
        colours.dedup();
        assert_eq!(colours.len(), Reason::ALL.len());
    }
}
