//! The colours of message kinds and decision outcomes, once for every view: the HTML and SVG
//! reports take them from here, and so does the studio's theme (which adds egui types on top).
//!
//! Colours are plain sRGB bytes. Text drawn in one of them goes through [`Rgb::on_light`] or
//! [`Rgb::on_dark`], so that yellows and greens stay readable on a light page and reds and
//! greys on a dark one; [`contrast_ratio`] measures the result as WCAG 2 does.

use crate::engine::Reason;

/// A colour as red, green and blue bytes (sRGB).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgb {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
}

impl Rgb {
    /// The colour with these bytes.
    pub const fn new(r: u8, g: u8, b: u8) -> Self {
        Rgb { r, g, b }
    }

    /// The colour in CSS and SVG notation, `#1eaa5a`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }

    /// The colour moved a fraction `t` (0 to 1) of the way to `other`, byte by byte.
    pub fn mix(self, other: Rgb, t: f32) -> Rgb {
        let t = t.clamp(0.0, 1.0);
        let lerp = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
        Rgb::new(
            lerp(self.r, other.r),
            lerp(self.g, other.g),
            lerp(self.b, other.b),
        )
    }

    /// The colour for text on a light background: darker, so that it keeps a 4.5:1 contrast.
    pub fn on_light(self) -> Rgb {
        self.mix(Rgb::new(0, 0, 0), DARKEN_ON_LIGHT)
    }

    /// The colour for text on a dark background: lighter, so that it keeps a 4.5:1 contrast.
    pub fn on_dark(self) -> Rgb {
        self.mix(Rgb::new(255, 255, 255), LIGHTEN_ON_DARK)
    }

    /// Relative luminance (WCAG 2), from 0 for black to 1 for white.
    pub fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.r) + 0.7152 * channel(self.g) + 0.0722 * channel(self.b)
    }
}

/// How far [`Rgb::on_light`] moves a colour towards black.
pub const DARKEN_ON_LIGHT: f32 = 0.45;

/// How far [`Rgb::on_dark`] moves a colour towards white.
pub const LIGHTEN_ON_DARK: f32 = 0.2;

/// The contrast ratio between two colours (WCAG 2): 1 for the same colour, 21 for black on
/// white. Body text needs 4.5.
pub fn contrast_ratio(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// A message from the user.
pub const USER_MESSAGE: Rgb = Rgb::new(66, 133, 244);

/// A reply of the bot.
pub const BOT_MESSAGE: Rgb = Rgb::new(140, 140, 150);

/// A nudge sent.
pub const SENT: Rgb = Rgb::new(30, 170, 90);

/// A rule that passed, in traces.
pub const PASS: Rgb = Rgb::new(30, 150, 80);

/// A rule that failed, in traces; also a nudge held back when its reason is not shown.
pub const FAIL: Rgb = Rgb::new(215, 60, 60);

/// The colour of a decision with this reason: [`SENT`] for sent nudges, one colour per reason
/// for the held-back ones.
pub fn reason(reason: Reason) -> Rgb {
    match reason {
        Reason::Sent => SENT,
        Reason::Minor => Rgb::new(150, 80, 200),
        Reason::OptedOut => Rgb::new(120, 110, 100),
        Reason::Sensitive => Rgb::new(220, 50, 50),
        Reason::Wellbeing => Rgb::new(240, 130, 30),
        Reason::WindowExpired => Rgb::new(90, 120, 160),
        Reason::TooFewMessages => Rgb::new(215, 175, 20),
        Reason::NoApprovedTemplate => Rgb::new(20, 160, 170),
        Reason::NoSafeText => Rgb::new(220, 90, 160),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHITE: Rgb = Rgb::new(255, 255, 255);
    const BLACK: Rgb = Rgb::new(0, 0, 0);

    #[test]
    fn hex_is_css_notation() {
        assert_eq!(SENT.hex(), "#1eaa5a");
        assert_eq!(Rgb::new(0, 10, 255).hex(), "#000aff");
    }

    #[test]
    fn contrast_follows_wcag() {
        assert!((contrast_ratio(BLACK, WHITE) - 21.0).abs() < 1e-9);
        assert!((contrast_ratio(SENT, SENT) - 1.0).abs() < 1e-9);
        // WCAG's own example: #777777 on white is just under 4.5.
        let grey = Rgb::new(0x77, 0x77, 0x77);
        assert!((contrast_ratio(grey, WHITE) - 4.48).abs() < 0.01);
    }

    #[test]
    fn outcome_colours_as_text_read_on_white_and_on_a_dark_page() {
        let dark_page = Rgb::new(27, 27, 27);
        for r in Reason::ALL {
            let c = reason(r);
            let on_light = contrast_ratio(c.on_light(), WHITE);
            let on_dark = contrast_ratio(c.on_dark(), dark_page);
            assert!(on_light >= 4.5, "{r:?} on white: {on_light:.2}");
            assert!(on_dark >= 4.5, "{r:?} on dark: {on_dark:.2}");
        }
        for c in [USER_MESSAGE, BOT_MESSAGE, PASS, FAIL] {
            assert!(contrast_ratio(c.on_light(), WHITE) >= 4.5, "{c:?}");
            assert!(contrast_ratio(c.on_dark(), dark_page) >= 4.5, "{c:?}");
        }
    }

    #[test]
    fn every_reason_has_its_own_colour() {
        let mut colours: Vec<String> = Reason::ALL.iter().map(|r| reason(*r).hex()).collect();
        colours.sort();
        colours.dedup();
        assert_eq!(colours.len(), Reason::ALL.len());
    }
}
