//! The caption font (DejaVu Sans Bold, shipped in `assets/fonts`, free licence)
//! and a cache of rasterized glyphs for the native style.

use std::collections::HashMap;

use ab_glyph::{Font as _, FontRef, PxScale, ScaleFont};

use super::layout::{OVERLAY_ALPHA, TEXT_COLOR};

pub use crate::assets::FONT_BYTES;

#[derive(Clone)]
pub struct Font {
    font: FontRef<'static>,
    scale: PxScale,
    /// The size asked for: pixels to the em, as Pillow's `ImageFont.truetype`
    /// and FreeType take it.
    em_px: f32,
}

impl Font {
    /// The caption font at `size_px` pixels to the em (Pillow's size).
    pub fn new(size_px: f32) -> Self {
        Self::from_bytes(FONT_BYTES, size_px)
    }

    /// The demo's own font, Roboto Bold, at `size_px` pixels to the em.
    pub fn roboto(size_px: f32) -> Self {
        Self::from_bytes(crate::assets::ROBOTO_BOLD, size_px)
    }

    fn from_bytes(bytes: &'static [u8], size_px: f32) -> Self {
        let font =
            FontRef::try_from_slice(bytes).expect("the embedded fonts are valid TrueType files");
        // ab_glyph scales the font's height (ascent − descent) to the PxScale;
        // Pillow and FreeType scale its em: DejaVu's height is 1.2 em, so a
        // PxScale of the size drew text 17 % smaller than the demo's.
        let per_em = font.height_unscaled() / font.units_per_em().unwrap_or(font.height_unscaled());
        Self {
            font,
            scale: PxScale::from(size_px * per_em),
            em_px: size_px,
        }
    }

    /// Pillow's `getbbox` of `text` drawn at the origin (anchor "la": the
    /// ascender line at y 0): left, top, right, bottom of its ink, whole pixels.
    pub fn ink_box(&self, text: &str) -> (i32, i32, i32, i32) {
        let s = self.font.as_scaled(self.scale);
        let (mut x, mut prev) = (0.0f32, None);
        let (mut top, mut bottom) = (i32::MAX, i32::MIN);
        for c in text.chars() {
            let id = s.glyph_id(c);
            if let Some(p) = prev {
                x += s.kern(p, id);
            }
            // The outline's own bounds (font units, y up), not the rasterizer's
            // padded pixel box; the ascender line rounded up, as FreeType's.
            if let Some(outline) = self.font.outline(id) {
                let f = s.v_scale_factor();
                let (a, b) = (outline.bounds.min.y * f, outline.bounds.max.y * f);
                let line = s.ascent().ceil();
                top = top.min((line - a.max(b)).round() as i32);
                bottom = bottom.max((line - a.min(b)).round() as i32);
            }
            x += s.h_advance(id);
            prev = Some(id);
        }
        if top > bottom {
            return (0, 0, 0, 0);
        }
        // Pillow's right edge is the advance, not the ink.
        (0, top, x.round() as i32, bottom)
    }

    pub fn font(&self) -> &FontRef<'static> {
        &self.font
    }

    pub fn scale(&self) -> PxScale {
        self.scale
    }

    /// Pixels to the em (the size asked for).
    pub fn size(&self) -> f32 {
        self.em_px
    }

    pub fn ascent(&self) -> f32 {
        self.font.as_scaled(self.scale).ascent()
    }

    pub fn line_height(&self) -> f32 {
        let s = self.font.as_scaled(self.scale);
        s.ascent() - s.descent()
    }

    /// Advance width of `text` with kerning.
    pub fn text_width(&self, text: &str) -> f32 {
        let s = self.font.as_scaled(self.scale);
        let mut width = 0.0;
        let mut prev = None;
        for c in text.chars() {
            let id = s.glyph_id(c);
            if let Some(p) = prev {
                width += s.kern(p, id);
            }
            width += s.h_advance(id);
            prev = Some(id);
        }
        width
    }
}

/// A rasterized glyph: coverage 0–255, placed relative to the pen on the baseline.
pub struct GlyphBitmap {
    pub left: i32,
    pub top: i32,
    pub width: usize,
    pub height: usize,
    pub coverage: Vec<u8>,
    /// Per byte of a BGR row under the glyph (3 a pixel): the blend's colour
    /// term `c·a + 127` and `255 − a`, where `a` is the coverage scaled by the
    /// overlay's opacity and `c` the text colour's channel — what the native
    /// style blends with, one flat zip a row.
    pub blend_pre: Vec<u16>,
    pub blend_inv: Vec<u16>,
}

/// Glyph rasters by character, made once: the native style never rasterizes
/// twice; and each caption's laid-out line (pens with kerning), made once per
/// distinct text: captions repeat from frame to frame.
pub struct GlyphCache {
    font: Font,
    glyphs: HashMap<char, Option<GlyphBitmap>>,
    /// Pen position and character of each glyph of a line, by text.
    lines: HashMap<String, Vec<(f32, char)>>,
    /// Rows every cached glyph lies within, relative to the baseline.
    extent: (i32, i32),
}

impl GlyphCache {
    pub fn new(font: Font) -> Self {
        Self {
            font,
            glyphs: HashMap::new(),
            lines: HashMap::new(),
            extent: (0, 0),
        }
    }

    pub fn font(&self) -> &Font {
        &self.font
    }

    /// Rasterizes every glyph of `text` not yet cached, and lays the line out
    /// once. The line cache is bounded: user captions (scores) can vary without end.
    pub fn rasterize_line(&mut self, text: &str) {
        if !self.lines.contains_key(text) {
            if self.lines.len() >= MAX_LINES {
                self.lines.clear();
            }
            let laid = pens(&self.font, text);
            self.lines.insert(text.to_string(), laid);
        }
        for c in text.chars() {
            let font = &self.font;
            let extent = &mut self.extent;
            self.glyphs.entry(c).or_insert_with(|| {
                let glyph = rasterize(font, c);
                if let Some(g) = &glyph {
                    extent.0 = extent.0.min(g.top);
                    extent.1 = extent.1.max(g.top + g.height as i32);
                }
                glyph
            });
        }
    }

    /// Rows `top..bottom`, relative to the baseline, that hold every rasterized
    /// glyph: a band outside them needs no glyph of a line.
    pub fn vertical_extent(&self) -> (i32, i32) {
        self.extent
    }

    /// Calls `emit(pen_x, glyph)` for each visible glyph of `text`, pens in pixels
    /// from 0. Glyphs must have been rasterized (`rasterize_line`); shared, so
    /// bands of one frame can be drawn on several threads.
    pub fn layout_line(&self, text: &str, mut emit: impl FnMut(f32, &GlyphBitmap)) {
        let laid;
        let line = match self.lines.get(text) {
            Some(line) => line,
            None => {
                laid = pens(&self.font, text);
                &laid
            }
        };
        for &(pen, c) in line {
            debug_assert!(self.glyphs.contains_key(&c), "{c:?} not rasterized");
            if let Some(Some(g)) = self.glyphs.get(&c) {
                emit(pen, g);
            }
        }
    }
}

/// Distinct lines kept laid out; past it the cache starts over.
const MAX_LINES: usize = 4096;

/// Each character of `text` with its pen position, kerning applied.
fn pens(font: &Font, text: &str) -> Vec<(f32, char)> {
    let scaled = font.font.as_scaled(font.scale);
    let mut pen = 0.0f32;
    let mut prev = None;
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            pen += scaled.kern(p, id);
        }
        out.push((pen, c));
        pen += scaled.h_advance(id);
        prev = Some(id);
    }
    out
}

fn rasterize(font: &Font, c: char) -> Option<GlyphBitmap> {
    let glyph = font
        .font
        .glyph_id(c)
        .with_scale_and_position(font.scale, ab_glyph::point(0.0, 0.0));
    let outlined = font.font.outline_glyph(glyph)?;
    let bounds = outlined.px_bounds();
    let (width, height) = (bounds.width() as usize, bounds.height() as usize);
    let mut coverage = vec![0u8; width * height];
    outlined.draw(|x, y, c| {
        let i = y as usize * width + x as usize;
        if i < coverage.len() {
            coverage[i] = (c.clamp(0.0, 1.0) * 255.0).round() as u8;
        }
    });
    let text = [TEXT_COLOR[2], TEXT_COLOR[1], TEXT_COLOR[0]];
    let alpha = coverage
        .iter()
        .map(|&c| ((u32::from(c) * u32::from(OVERLAY_ALPHA) + 127) / 255) as u16);
    let blend_pre = alpha
        .clone()
        .flat_map(|a| text.map(|c| u16::from(c) * a + 127))
        .collect();
    let blend_inv = alpha.flat_map(|a| [255 - a; 3]).collect();
    Some(GlyphBitmap {
        left: bounds.min.x as i32,
        top: bounds.min.y as i32,
        width,
        height,
        coverage,
        blend_pre,
        blend_inv,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wider_text_measures_wider() {
        let f = Font::new(27.0);
        assert!(f.text_width("stand 0.91") > f.text_width("sit"));
        assert!(f.line_height() > 20.0 && f.line_height() < 40.0);
    }

    #[test]
    fn glyphs_are_cached_and_non_ascii_does_not_panic() {
        let mut cache = GlyphCache::new(Font::new(20.0));
        let mut n = 0;
        cache.rasterize_line("ab a");
        cache.layout_line("ab a", |_, _| n += 1);
        assert_eq!(n, 3, "space has no outline");
        assert_eq!(cache.glyphs.len(), 3);
        let (top, bottom) = cache.vertical_extent();
        assert!(
            top < 0 && bottom > 0,
            "glyphs rise above the baseline and 'a' sits on it"
        );
        cache.rasterize_line("行動 🙂 é");
        cache.layout_line("行動 🙂 é", |_, _| {});
    }
}
