//! Persona avatars on screen: PNG files decoded once (with the `png` crate, eframe is built
//! without image loaders) into egui textures, cached by file and reloaded when the file changes.
//! Also the other way round: a screen region encoded as PNG, for "Export timeline as PNG…".

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use egui::{ColorImage, TextureHandle, TextureOptions};

use super::files::FileStamp;
use crate::model::Persona;

/// The largest avatar side decoded, in pixels; larger images are refused rather than uploaded.
pub const MAX_AVATAR_SIDE_PX: u32 = 4096;

/// Decodes PNG bytes into an egui image (any colour type and bit depth).
pub fn decode_png(bytes: &[u8]) -> Result<ColorImage, String> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let (width, height) = {
        let info = reader.info();
        (info.width, info.height)
    };
    if width > MAX_AVATAR_SIDE_PX || height > MAX_AVATAR_SIDE_PX {
        return Err(format!(
            "the image is {width}×{height} pixels; avatars are at most {MAX_AVATAR_SIDE_PX} a side"
        ));
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| "the image is too large".to_owned())?;
    let mut buf = vec![0; size];
    let frame = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    let data = &buf[..frame.buffer_size()];
    let pixels = (frame.width as usize) * (frame.height as usize);
    let mut rgba = Vec::with_capacity(pixels * 4);
    match frame.color_type {
        png::ColorType::Rgba => rgba.extend_from_slice(data),
        png::ColorType::Rgb => {
            for p in data.chunks_exact(3) {
                rgba.extend_from_slice(&[p[0], p[1], p[2], 255]);
            }
        }
        png::ColorType::GrayscaleAlpha => {
            for p in data.chunks_exact(2) {
                rgba.extend_from_slice(&[p[0], p[0], p[0], p[1]]);
            }
        }
        png::ColorType::Grayscale => {
            for &g in data {
                rgba.extend_from_slice(&[g, g, g, 255]);
            }
        }
        png::ColorType::Indexed => return Err("an indexed image was not expanded".to_owned()),
    }
    if rgba.len() != pixels * 4 {
        return Err("the image data is truncated".to_owned());
    }
    Ok(ColorImage::from_rgba_unmultiplied(
        [frame.width as usize, frame.height as usize],
        &rgba,
    ))
}

/// Encodes an egui image as an RGBA PNG.
pub fn encode_png(image: &ColorImage) -> Result<Vec<u8>, String> {
    let [w, h] = image.size;
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w as u32, h as u32);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        let data: Vec<u8> = image
            .pixels
            .iter()
            .flat_map(|c| c.to_srgba_unmultiplied())
            .collect();
        writer.write_image_data(&data).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// The part of a screenshot under `rect` (in points), scaled by `pixels_per_point` and clamped
/// to the image; `None` when nothing is left.
pub fn crop(image: &ColorImage, rect: egui::Rect, pixels_per_point: f32) -> Option<ColorImage> {
    let [w, h] = image.size;
    let px = |v: f32, max: usize| ((v * pixels_per_point).round().max(0.0) as usize).min(max);
    let (x0, x1) = (px(rect.min.x, w), px(rect.max.x, w));
    let (y0, y1) = (px(rect.min.y, h), px(rect.max.y, h));
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    Some(image.region_by_pixels([x0, y0], [x1 - x0, y1 - y0]))
}

/// How often a shown avatar's file is checked for changes, in seconds.
const RECHECK_SECS: f64 = 1.0;

struct Entry {
    stamp: Option<FileStamp>,
    checked_secs: f64,
    texture: Result<TextureHandle, String>,
}

/// Avatar textures by image file; each file is decoded once, and again when it changes on disk.
#[derive(Default)]
pub struct AvatarCache {
    entries: HashMap<PathBuf, Entry>,
}

impl std::fmt::Debug for AvatarCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvatarCache")
            .field("files", &self.entries.len())
            .finish()
    }
}

impl AvatarCache {
    /// The texture of the image file `path`, or why it cannot be shown. The file is read once,
    /// and again when it changed (checked at most every [`RECHECK_SECS`]).
    pub fn texture(&mut self, ctx: &egui::Context, path: &Path) -> Result<TextureHandle, String> {
        let now_secs = ctx.input(|i| i.time);
        if let Some(entry) = self.entries.get_mut(path) {
            if now_secs - entry.checked_secs < RECHECK_SECS {
                return entry.texture.clone();
            }
            entry.checked_secs = now_secs;
            if FileStamp::of(path) == entry.stamp {
                return entry.texture.clone();
            }
        }
        let stamp = FileStamp::of(path);
        let texture = std::fs::read(path)
            .map_err(|e| format!("{}: {e}", path.display()))
            .and_then(|bytes| decode_png(&bytes).map_err(|e| format!("{}: {e}", path.display())))
            .map(|image| {
                ctx.load_texture(
                    format!("avatar {}", path.display()),
                    image,
                    TextureOptions::LINEAR,
                )
            });
        self.entries.insert(
            path.to_owned(),
            Entry {
                stamp,
                checked_secs: now_secs,
                texture: texture.clone(),
            },
        );
        texture
    }

    /// The avatar of `persona` saved at `persona_file`: `None` when it names none.
    pub fn of_persona(
        &mut self,
        ctx: &egui::Context,
        persona: &Persona,
        persona_file: Option<&Path>,
    ) -> Option<Result<TextureHandle, String>> {
        let file = persona_file?;
        let path = crate::interop::avatar_path(persona, file)?;
        Some(self.texture(ctx, &path))
    }
}

/// Shows an avatar texture in a `side`×`side` square (aspect kept), or nothing.
pub fn avatar_image_ui(ui: &mut egui::Ui, texture: &TextureHandle, side: f32) -> egui::Response {
    ui.add(
        egui::Image::new(texture)
            .fit_to_exact_size(egui::vec2(side, side))
            .maintain_aspect_ratio(true)
            .corner_radius(side * 0.1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_cards_decode_to_their_colour() {
        let bytes = crate::interop::png::placeholder_png(8, 6, [10, 20, 30]);
        let image = decode_png(&bytes).expect("decodes");
        assert_eq!(image.size, [8, 6]);
        // The placeholder is the colour with a lighter band: both, and nothing else.
        let light = [10 + 245 / 3, 20 + 235 / 3, 30 + 225 / 3, 255];
        assert_eq!(image.pixels[1].to_srgba_unmultiplied(), [10, 20, 30, 255]);
        assert!(image.pixels.iter().all(|c| {
            let px = c.to_srgba_unmultiplied();
            px == [10, 20, 30, 255] || px == light
        }));
    }

    #[test]
    fn encoded_images_decode_back_equal() {
        let mut image = ColorImage::filled([5, 4], egui::Color32::from_rgb(200, 100, 50));
        image.pixels[7] = egui::Color32::from_rgb(1, 2, 3);
        let bytes = encode_png(&image).expect("encodes");
        assert!(crate::interop::png::is_png(&bytes));
        assert_eq!(decode_png(&bytes).expect("decodes"), image);
    }

    #[test]
    fn crops_scale_by_pixels_per_point_and_stay_inside() {
        let mut image = ColorImage::filled([100, 80], egui::Color32::BLACK);
        image.pixels[20 * 100 + 10] = egui::Color32::WHITE;
        let rect = egui::Rect::from_min_max(egui::pos2(5.0, 10.0), egui::pos2(30.0, 60.0));
        let cut = crop(&image, rect, 2.0).expect("inside");
        assert_eq!(cut.size, [50, 60]);
        assert_eq!(cut.pixels[0], egui::Color32::WHITE);
        let outside = egui::Rect::from_min_max(egui::pos2(200.0, 0.0), egui::pos2(300.0, 10.0));
        assert!(crop(&image, outside, 1.0).is_none());
    }

    #[test]
    fn text_is_not_an_image() {
        assert!(decode_png(b"not a png").is_err());
    }
}
