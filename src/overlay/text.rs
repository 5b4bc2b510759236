//! The caption font (DejaVu Sans Bold, shipped in `assets/fonts`, free licence)
//! and a cache of rasterized glyphs for the native style.

use std::collections::HashMap;

use ab_glyph::{Font as _, FontRef, PxScale, ScaleFont};

use super::layout::{OVERLAY_ALPHA, TEXT_COLOR};

use crate::assets::FONT_BYTES;

#[derive(Clone)]
pub struct Font {
    font: FontRef<'static>,
    scale: PxScale,
    /// The size asked for: pixels to the em, as Pillow's `ImageFont.truetype`
    /// and FreeType take it.
    em_px: f32,
    /// Where FreeType's hinting puts the ink's top and bottom (the Pillow
    /// style's font, whose ink box sets the demo's caption geometry).
    hinting: Option<Hinting>,
}

impl Font {
    /// The caption font at `size_px` pixels to the em (Pillow's size).
    pub fn new(size_px: f32) -> Self {
        Self::from_bytes(FONT_BYTES, size_px)
    }

    /// The demo's own font, Roboto Bold, at `size_px` pixels to the em.
    pub fn roboto(size_px: f32) -> Self {
        let bytes = crate::assets::ROBOTO_BOLD;
        let mut font = Self::from_bytes(bytes, size_px);
        font.hinting = Some(Hinting::new(&font.font, bytes, size_px));
        font
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
            hinting: None,
        }
    }

    /// Pillow's `getbbox` of `text` drawn at the origin (anchor "la": the
    /// ascender line at y 0): left, top, right, bottom of its ink, whole pixels.
    pub fn ink_box(&self, text: &str) -> (i32, i32, i32, i32) {
        let s = self.font.as_scaled(self.scale);
        let line = s.ascent().ceil();
        let (hf, vf) = (s.h_scale_factor(), s.v_scale_factor());
        let (mut x, mut prev) = (0.0f32, None);
        // Pillow's box holds the pen's path too: the origin, the advance and
        // the baseline, whatever the ink does.
        let (mut left, mut right) = (0.0f32, 0.0f32);
        let (mut top, mut bottom) = (i32::MAX, line as i32);
        let mut inked = false;
        for c in text.chars() {
            let id = s.glyph_id(c);
            if let Some(p) = prev {
                x += self.kern(p, id);
            }
            // The outline's own bounds (font units, y up, in ab_glyph's
            // y-down rect), not the rasterizer's padded pixel box; the
            // ascender line rounded up, as FreeType's.
            if let Some(outline) = self.font.outline(id) {
                let b = outline.bounds;
                let (lo, hi) = (b.min.y.min(b.max.y), b.min.y.max(b.max.y));
                let (hi, lo) = match &self.hinting {
                    Some(h) => (h.top(hi), h.bottom(lo)),
                    None => ((hi * vf).round(), (lo * vf).round()),
                };
                top = top.min((line - hi) as i32);
                bottom = bottom.max((line - lo) as i32);
                // Pillow places each glyph at its pen rounded to a pixel, its
                // ink box taken outward to whole pixels.
                left = left.min(x.round() + (b.min.x * hf).floor());
                right = right.max(x.round() + (b.max.x * hf).ceil());
                inked = true;
            }
            x += self.advance(id);
            prev = Some(id);
        }
        if !inked {
            return (0, 0, 0, 0);
        }
        let (left, right) = match self.hinting {
            Some(_) => (left, right.max(x.round())),
            None => (0.0, x.round()),
        };
        (left as i32, top, right as i32, bottom)
    }

    /// A glyph's advance in pixels (to FreeType's 64ths for the Pillow style's font).
    fn advance(&self, id: ab_glyph::GlyphId) -> f32 {
        let advance = self.font.as_scaled(self.scale).h_advance(id);
        match self.hinting {
            Some(_) => to_26_6(advance) / 64.0,
            None => advance,
        }
    }

    /// The kerning between two glyphs, in pixels: the GPOS pairs HarfBuzz
    /// applies for Pillow where the font has them (Roboto has no `kern`
    /// table), else the `kern` table's.
    fn kern(&self, first: ab_glyph::GlyphId, second: ab_glyph::GlyphId) -> f32 {
        let s = self.font.as_scaled(self.scale);
        match self.hinting.as_ref().and_then(|h| h.layout.as_ref()) {
            Some(face) => to_26_6(gpos_kern(face, first.0, second.0) * s.h_scale_factor()) / 64.0,
            None => s.kern(first, second),
        }
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
                width += self.kern(p, id);
            }
            width += self.advance(id);
            prev = Some(id);
        }
        width
    }
}

/// Roboto's vertical hinting as FreeType applies it (its instructions are
/// ttfautohint's, which follow FreeType's auto-hinter): the vertical scale
/// stretched so the x-height's overshoot lands on a whole pixel (rounded up
/// from 24/64 of one), edges near a blue zone (cap height, ascender,
/// x-height, baseline, descender) snapped to the zone's rounded reference or
/// overshoot, other edges left where they fall, and the ink box taken to
/// whole pixels outward. Heights are in pixels above the baseline.
#[derive(Clone)]
struct Hinting {
    /// Font units to hinted pixels, vertically.
    scale: f32,
    tops: Vec<Zone>,
    bottoms: Vec<Zone>,
    /// How far from a zone an edge is still snapped to it (font units).
    fuzz: f32,
    /// The font's OpenType layout tables, for GPOS kerning.
    layout: Option<ttf_parser::Face<'static>>,
}

/// GPOS pair adjustment of the first glyph's advance (font units), summed
/// over the lookups, the first subtable that covers the pair in each.
fn gpos_kern(face: &ttf_parser::Face<'static>, first: u16, second: u16) -> f32 {
    use ttf_parser::gpos::{PairAdjustment, PositioningSubtable};
    use ttf_parser::GlyphId;
    let Some(gpos) = face.tables().gpos else {
        return 0.0;
    };
    let (first, second) = (GlyphId(first), GlyphId(second));
    let mut total = 0.0;
    for lookup in gpos.lookups {
        let pair = lookup
            .subtables
            .into_iter::<PositioningSubtable>()
            .find_map(|sub| {
                let PositioningSubtable::Pair(pair) = sub else {
                    return None;
                };
                let index = pair.coverage().get(first)?;
                let (value, _) = match pair {
                    PairAdjustment::Format1 { sets, .. } => sets.get(index)?.get(second)?,
                    PairAdjustment::Format2 {
                        classes, matrix, ..
                    } => matrix.get((classes.0.get(first), classes.1.get(second)))?,
                };
                Some(f32::from(value.x_advance))
            });
        total += pair.unwrap_or(0.0);
    }
    total
}

/// A blue zone: its flat reference and round overshoot (font units), and
/// where hinting puts them (pixels).
#[derive(Clone, Copy)]
struct Zone {
    reference: f32,
    overshoot: f32,
    fit_reference: f32,
    fit_overshoot: f32,
}

impl Hinting {
    fn new(font: &FontRef<'static>, bytes: &'static [u8], em_px: f32) -> Self {
        let upem = font.units_per_em().unwrap_or(2048.0);
        let extent = |chars: &str, top: bool| -> Vec<f32> {
            chars
                .chars()
                .filter_map(|c| font.outline(font.glyph_id(c)))
                // ab_glyph's bounds keep the font's y-up numbers in a y-down rect.
                .map(|o| {
                    let (a, b) = (o.bounds.min.y, o.bounds.max.y);
                    if top {
                        a.max(b)
                    } else {
                        a.min(b)
                    }
                })
                .collect()
        };
        let lowest = |v: Vec<f32>| v.into_iter().fold(f32::MAX, f32::min);
        let highest = |v: Vec<f32>| v.into_iter().fold(f32::MIN, f32::max);
        // FreeType's Latin blue strings: flat letters give the reference,
        // round ones the overshoot.
        let x_overshoot = highest(extent("oesc", true));
        let scale = em_px / upem;
        // In FreeType's 26.6 fixed point: the overshoot's height to a 64th,
        // then up to a whole pixel from 24/64 on.
        let scaled = to_26_6(x_overshoot * scale);
        let fitted = ((scaled + 40.0) / 64.0).floor() * 64.0;
        let scale = if scaled > 0.0 && fitted > 0.0 {
            scale * fitted / scaled
        } else {
            scale
        };
        let zone = |reference: f32, overshoot: f32| Zone::fit(reference, overshoot, scale);
        Self {
            scale,
            tops: vec![
                zone(lowest(extent("THEZ", true)), highest(extent("OCQS", true))),
                zone(lowest(extent("bdhk", true)), highest(extent("f", true))),
                zone(lowest(extent("xz", true)), x_overshoot),
            ],
            bottoms: vec![
                zone(
                    highest(extent("HEZLxz", false)),
                    lowest(extent("OCUSoesc", false)),
                ),
                zone(highest(extent("pq", false)), lowest(extent("gjy", false))),
            ],
            fuzz: upem / 40.0,
            layout: ttf_parser::Face::parse(bytes, 0).ok(),
        }
    }

    /// The hinted height of a glyph's top (font units in), whole pixels up.
    fn top(&self, y: f32) -> f32 {
        let v = Self::snap(&self.tops, y, self.fuzz).unwrap_or(y * self.scale);
        (to_26_6(v) / 64.0).ceil()
    }

    /// The hinted height of a glyph's bottom, whole pixels down.
    fn bottom(&self, y: f32) -> f32 {
        let v = Self::snap(&self.bottoms, y, self.fuzz).unwrap_or(y * self.scale);
        (to_26_6(v) / 64.0).floor()
    }

    fn snap(zones: &[Zone], y: f32, fuzz: f32) -> Option<f32> {
        zones
            .iter()
            .flat_map(|z| {
                [
                    ((y - z.reference).abs(), z.fit_reference),
                    ((y - z.overshoot).abs(), z.fit_overshoot),
                ]
            })
            .filter(|(d, _)| *d <= fuzz)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, fit)| fit)
    }
}

/// FreeType's coordinates are whole 64ths of a pixel.
fn to_26_6(v: f32) -> f32 {
    (v * 64.0).round()
}

impl Zone {
    /// The reference rounded to a pixel; the overshoot a whole, a half or no
    /// pixel beyond it (FreeType: under 32/64 none, under 48/64 a half).
    fn fit(reference: f32, overshoot: f32, scale: f32) -> Self {
        let fit_reference = (reference * scale).round();
        let delta = (overshoot - reference) * scale;
        let step: f32 = match delta.abs() {
            d if d < 0.5 => 0.0,
            d if d < 0.75 => 0.5,
            _ => 1.0,
        };
        Self {
            reference,
            overshoot,
            fit_reference,
            fit_overshoot: fit_reference + step.copysign(delta),
        }
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
            pen += font.kern(p, id);
        }
        out.push((pen, c));
        pen += font.advance(id);
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

    /// The Pillow style's font measures its captions as the demo's Pillow
    /// does: Pillow 13.0's `getbbox` (FreeType 2.14, Raqm layout) of the
    /// demo's captions in Roboto Bold at the demo's sizes for 540p, 720p and
    /// 1080p (14, 18, 27 px). FreeType's hinting raises the x-height to a
    /// whole pixel and snaps tops to the blue zones (unhinted, every top here
    /// was a pixel low), GPOS kerning and 64ths set the widths. Measured
    /// over all 80 AVA captions: every box at 14 and 18 px, 80 of 82 at 27
    /// (a pixel wide), the tallest glyphs' tips at 9 px and parentheses,
    /// which the hinter moves its own way, a pixel off.
    #[test]
    fn roboto_ink_boxes_are_pillows() {
        for (size, text, pillow) in [
            (27.0, "stand 0.95", (0, 5, 129, 26)),
            (27.0, "walk 0.95", (0, 5, 117, 26)),
            (27.0, "run/jog 0.95", (0, 5, 149, 32)),
            (27.0, "answer phone 0.95", (0, 5, 231, 32)),
            (27.0, "00:12:34.567", (0, 6, 162, 26)),
            (14.0, "jump/leap 0.95", (-1, 2, 95, 16)),
            (14.0, "lie/sleep 0.95", (0, 2, 86, 16)),
            (18.0, "jump/leap 0.95", (-1, 3, 122, 21)),
            (18.0, "lie/sleep 0.95", (0, 3, 110, 21)),
        ] {
            assert_eq!(
                Font::roboto(size).ink_box(text),
                pillow,
                "{text} at {size} px"
            );
        }
    }

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
