//! The fastest overlay we can write: draws straight onto the BGR frame, blends
//! only the pixels under panels and glyphs (integer arithmetic, row slices the
//! compiler vectorizes), and rasterizes each glyph once.

use std::time::Duration;

use super::layout::{Caption, FrameLayout, Rect, Rgb, BOX_COLOR, OVERLAY_ALPHA};
use super::text::{Font, GlyphCache};
use super::{OverlayError, OverlayStyle, RowOverlay};
use crate::frame::{Frame, FrameRows};

pub struct NativeStyle {
    glyphs: GlyphCache,
}

impl NativeStyle {
    pub fn new(font: Font) -> Self {
        Self {
            glyphs: GlyphCache::new(font),
        }
    }
}

impl OverlayStyle for NativeStyle {
    fn name(&self) -> &'static str {
        "native"
    }

    fn draw(&mut self, frame: &mut Frame, layout: &FrameLayout) -> Result<Duration, OverlayError> {
        self.prepare(layout);
        self.draw_rows(&mut frame.rows(), layout);
        Ok(Duration::ZERO)
    }

    fn by_rows(&mut self) -> Option<&mut dyn RowOverlay> {
        Some(self)
    }
}

// Every operation below is per pixel, in the same order for each pixel whatever
// the band: drawing a frame band by band gives the same bytes as drawing it whole.
impl RowOverlay for NativeStyle {
    fn prepare(&mut self, layout: &FrameLayout) {
        for caption in layout.captions() {
            self.glyphs.rasterize_line(&caption.text);
        }
    }

    fn draw_rows(&self, rows: &mut FrameRows, layout: &FrameLayout) {
        let bw = layout.box_width as i32;
        for person in &layout.persons {
            outline(rows, person.outline, bw, BOX_COLOR);
            for caption in &person.captions {
                self.caption(rows, caption);
            }
        }
        if let Some(stamp) = &layout.timestamp {
            self.caption(rows, stamp);
        }
    }
}

impl NativeStyle {
    fn caption(&self, rows: &mut FrameRows, caption: &Caption) {
        blend_rect(rows, caption.panel, caption.color, OVERLAY_ALPHA);
        let baseline = caption.text_y + self.glyphs.font().ascent().round() as i32;
        let (y0, y1, w) = (rows.y0 as i32, rows.y1() as i32, rows.width as i32);
        // A band no glyph of the line reaches skips the line's layout altogether.
        let (top, bottom) = self.glyphs.vertical_extent();
        if baseline + bottom <= y0 || baseline + top >= y1 {
            return;
        }
        self.glyphs.layout_line(&caption.text, |pen, g| {
            let gx = caption.text_x + pen.round() as i32 + g.left;
            let gy = baseline + g.top;
            // The glyph's columns inside the frame, once per glyph.
            let c0 = (-gx).max(0) as usize;
            let c1 = ((w - gx).max(0) as usize).min(g.width);
            if c0 >= c1 {
                return;
            }
            for row in (y0 - gy).max(0)..(y1 - gy).min(g.height as i32) {
                // Bytes of this glyph row inside the frame (3 a pixel).
                let bytes =
                    row as usize * g.width * 3 + c0 * 3..row as usize * g.width * 3 + c1 * 3;
                let x0 = (gx + c0 as i32) as u32;
                let line = rows.span_mut((gy + row) as u32, x0, x0 + (c1 - c0) as u32);
                // Uncovered pixels blend with a = 0, which leaves them exactly as they were.
                for ((p, &pre), &inv) in line
                    .iter_mut()
                    .zip(&g.blend_pre[bytes.clone()])
                    .zip(&g.blend_inv[bytes])
                {
                    *p = blend_u16(pre, *p, inv);
                }
            }
        });
    }
}

fn bgr(c: Rgb) -> [u8; 3] {
    [c[2], c[1], c[0]]
}

/// `(c·a + p·(255−a) + 127) / 255`, exactly, in 16 bits (the sum is at most
/// 65 152; `(x + 1 + (x >> 8)) >> 8` is `x / 255` for every such x): lanes the
/// compiler packs sixteen to a register.
#[inline(always)]
fn blend_u16(pre: u16, p: u8, inv: u16) -> u8 {
    let x = pre + u16::from(p) * inv;
    ((x + 1 + (x >> 8)) >> 8) as u8
}

/// `rect` clipped to the frame's width and the band's rows.
fn clip_to_band(rect: Rect, rows: &FrameRows) -> Option<Rect> {
    let r = rect.clip(rows.width, rows.height)?;
    let r = Rect {
        y0: r.y0.max(rows.y0 as i32),
        y1: r.y1.min(rows.y1() as i32),
        ..r
    };
    (r.y0 < r.y1).then_some(r)
}

/// Alpha-blends `color` over the rectangle (clipped), one row slice at a time.
pub fn blend_rect(rows: &mut FrameRows, rect: Rect, color: Rgb, alpha: u8) {
    let Some(r) = clip_to_band(rect, rows) else {
        return;
    };
    let c = bgr(color);
    let a = u16::from(alpha);
    let inv = 255 - a;
    // The colour term of each byte of a row, once per rectangle: a row is then
    // one flat zip the compiler vectorizes.
    let pre: Vec<u16> = (0..(r.x1 - r.x0) as usize * 3)
        .map(|i| u16::from(c[i % 3]) * a + 127)
        .collect();
    for y in r.y0..r.y1 {
        let span = rows.span_mut(y as u32, r.x0 as u32, r.x1 as u32);
        for (p, &pre) in span.iter_mut().zip(&pre) {
            *p = blend_u16(pre, *p, inv);
        }
    }
}

/// Opaque fill of a rectangle (clipped).
pub fn fill_rect(rows: &mut FrameRows, rect: Rect, color: Rgb) {
    let Some(r) = clip_to_band(rect, rows) else {
        return;
    };
    let c = bgr(color);
    for y in r.y0..r.y1 {
        for px in rows
            .span_mut(y as u32, r.x0 as u32, r.x1 as u32)
            .chunks_exact_mut(3)
        {
            px.copy_from_slice(&c);
        }
    }
}

/// Box outline `width` pixels thick, drawn inwards from the box edges as Pillow does.
pub fn outline(rows: &mut FrameRows, r: Rect, width: i32, color: Rgb) {
    let w = width.min(r.width().max(1)).min(r.height().max(1));
    for side in [
        Rect { y1: r.y0 + w, ..r },
        Rect { y0: r.y1 - w, ..r },
        Rect { x1: r.x0 + w, ..r },
        Rect { x0: r.x1 - w, ..r },
    ] {
        fill_rect(rows, side, color);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The per-pixel form the native style had before its blends became flat
    /// 16-bit zips: glyph by glyph, pixel by pixel, skipping uncovered and
    /// off-frame ones, with a u32 division.
    fn reference_caption(frame: &mut Frame, glyphs: &GlyphCache, caption: &Caption) {
        let (w, h) = (frame.width as i32, frame.height as i32);
        let mut px = |x: i32, y: i32, color: [u8; 3], alpha: u32| {
            let i = (y * w + x) as usize * 3;
            for (d, c) in frame.data[i..i + 3].iter_mut().zip(color) {
                let p = u32::from(*d);
                *d = ((u32::from(c) * alpha + p * (255 - alpha) + 127) / 255) as u8;
            }
        };
        let r = caption.panel;
        for y in r.y0.max(0)..r.y1.min(h) {
            for x in r.x0.max(0)..r.x1.min(w) {
                px(x, y, bgr(caption.color), u32::from(OVERLAY_ALPHA));
            }
        }
        let baseline = caption.text_y + glyphs.font().ascent().round() as i32;
        glyphs.layout_line(&caption.text, |pen, g| {
            let gx = caption.text_x + pen.round() as i32 + g.left;
            let gy = baseline + g.top;
            for row in 0..g.height as i32 {
                for col in 0..g.width as i32 {
                    let cov = g.coverage[(row * g.width as i32 + col) as usize];
                    let (x, y) = (gx + col, gy + row);
                    if cov == 0 || x < 0 || x >= w || y < 0 || y >= h {
                        continue;
                    }
                    let alpha = (u32::from(cov) * u32::from(OVERLAY_ALPHA) + 127) / 255;
                    px(x, y, bgr(super::super::layout::TEXT_COLOR), alpha);
                }
            }
        });
    }

    #[test]
    fn captions_are_byte_for_byte_the_per_pixel_reference_even_clipped() {
        let mut style = NativeStyle::new(Font::new(18.0));
        let (w, h) = (96u32, 40u32);
        let mut base = Frame::new(w, h);
        crate::workload::synthetic::render_frame(&mut base, 3);
        // Inside, and hanging off every edge: clipping must match too.
        for (x, y) in [(4, 6), (-20, -9), (70, 30), (-5, 25)] {
            let caption = Caption {
                panel: Rect {
                    x0: x,
                    y0: y,
                    x1: x + 80,
                    y1: y + 22,
                },
                color: [10, 200, 90],
                text: "walk: 0.87 Äg".into(),
                text_x: x + 3,
                text_y: y + 2,
            };
            style.glyphs.rasterize_line(&caption.text);
            let mut fast = base.clone();
            style.caption(&mut fast.rows(), &caption);
            let mut slow = base.clone();
            reference_caption(&mut slow, &style.glyphs, &caption);
            assert!(fast.data == slow.data, "caption at ({x}, {y})");
        }
    }

    #[test]
    fn sixteen_bit_blend_is_the_exact_division() {
        for a in 0..=255u32 {
            for c in 0..=255u32 {
                for p in 0..=255u32 {
                    let want = ((c * a + p * (255 - a) + 127) / 255) as u8;
                    let got = blend_u16((c * a + 127) as u16, p as u8, (255 - a) as u16);
                    assert_eq!(got, want, "a {a} c {c} p {p}");
                }
            }
        }
    }

    #[test]
    fn blend_at_60_percent() {
        let mut f = Frame::new(4, 4);
        f.data.fill(100);
        blend_rect(
            &mut f.rows(),
            Rect {
                x0: 1,
                y0: 1,
                x1: 3,
                y1: 3,
            },
            [200, 0, 50],
            153,
        );
        let px = |x: usize, y: usize| &f.data[(y * 4 + x) * 3..(y * 4 + x) * 3 + 3];
        assert_eq!(px(0, 0), &[100, 100, 100]);
        // B = 50*0.6 + 100*0.4 = 70, G = 40, R = 160.
        assert_eq!(px(1, 1), &[70, 40, 160]);
    }

    #[test]
    fn outline_is_drawn_inwards_and_clipped() {
        let mut f = Frame::new(10, 10);
        outline(
            &mut f.rows(),
            Rect {
                x0: -3,
                y0: 2,
                x1: 8,
                y1: 20,
            },
            2,
            [1, 2, 3],
        );
        let px = |x: usize, y: usize| f.data[(y * 10 + x) * 3..(y * 10 + x) * 3 + 3].to_vec();
        assert_eq!(px(6, 5), vec![3, 2, 1]);
        assert_eq!(px(3, 5), vec![0, 0, 0]);
        assert_eq!(px(3, 2), vec![3, 2, 1]);
    }

    #[test]
    fn drawing_band_by_band_gives_the_same_bytes_as_drawing_whole() {
        use crate::workload::synthetic;
        let (w, h) = (320, 240);
        let mut whole = Frame::new(w, h);
        synthetic::render_frame(&mut whole, 5);
        let banded = whole.clone();
        let tracks = synthetic::tracks(w, h, 8, 6);
        let font = Font::new(super::super::layout::font_size(w, h) as f32);
        let layout = super::super::layout::layout(
            w,
            h,
            &tracks.persons(5),
            Some("00:00:05.000"),
            &font,
            super::super::layout::Stacking::Native,
        );
        let mut style = NativeStyle::new(font);
        style.draw(&mut whole, &layout).unwrap();
        // Band heights that cut through boxes, panels and glyphs at every offset.
        for band in [1, 2, 7, 16, 33, 240] {
            let mut frame = banded.clone();
            style.prepare(&layout);
            for mut rows in frame.bands(band) {
                style.draw_rows(&mut rows, &layout);
            }
            assert!(frame == whole, "bands of {band} rows differ");
        }
    }
}
