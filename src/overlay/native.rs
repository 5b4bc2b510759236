//! The fastest overlay we can write: draws straight onto the BGR frame, blends
//! only the pixels under panels and glyphs (integer arithmetic, row slices the
//! compiler vectorizes), and rasterizes each glyph once.

use std::time::Duration;

use super::layout::{Caption, FrameLayout, Rect, Rgb, BOX_COLOR, OVERLAY_ALPHA, TEXT_COLOR};
use super::text::{Font, GlyphCache};
use super::{OverlayStyle, RowOverlay};
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

    fn draw(&mut self, frame: &mut Frame, layout: &FrameLayout) -> Duration {
        self.prepare(layout);
        self.draw_rows(&mut frame.rows(), layout);
        Duration::ZERO
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
            // The gate's self-test: a known slowdown it must catch.
            #[cfg(feature = "gate-selftest")]
            outline(rows, person.outline, bw, BOX_COLOR);
            for caption in &person.captions {
                self.caption(rows, caption);
            }
        }
        self.caption(rows, &layout.timestamp);
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
            for row in 0..g.height as i32 {
                let y = gy + row;
                if y < y0 || y >= y1 {
                    continue;
                }
                let cov_row = &g.coverage[row as usize * g.width..][..g.width];
                let line = rows.span_mut(y as u32, 0, w as u32);
                for (col, &cov) in cov_row.iter().enumerate() {
                    let x = gx + col as i32;
                    if cov == 0 || x < 0 || x >= w {
                        continue;
                    }
                    let alpha = (u32::from(cov) * u32::from(OVERLAY_ALPHA) + 127) / 255;
                    let i = x as usize * 3;
                    blend_px(&mut line[i..i + 3], bgr(TEXT_COLOR), alpha);
                }
            }
        });
    }
}

fn bgr(c: Rgb) -> [u8; 3] {
    [c[2], c[1], c[0]]
}

#[inline(always)]
fn blend_px(px: &mut [u8], color: [u8; 3], alpha: u32) {
    let inv = 255 - alpha;
    for k in 0..3 {
        px[k] = ((u32::from(color[k]) * alpha + u32::from(px[k]) * inv + 127) / 255) as u8;
    }
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
    let a = u32::from(alpha);
    // Precomputed colour term: per byte one multiply-add and a division the compiler turns into shifts.
    let pre = [
        u32::from(c[0]) * a + 127,
        u32::from(c[1]) * a + 127,
        u32::from(c[2]) * a + 127,
    ];
    let inv = 255 - a;
    for y in r.y0..r.y1 {
        for px in rows
            .span_mut(y as u32, r.x0 as u32, r.x1 as u32)
            .chunks_exact_mut(3)
        {
            px[0] = ((pre[0] + u32::from(px[0]) * inv) / 255) as u8;
            px[1] = ((pre[1] + u32::from(px[1]) * inv) / 255) as u8;
            px[2] = ((pre[2] + u32::from(px[2]) * inv) / 255) as u8;
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
        let layout = super::super::layout::layout(w, h, &tracks.persons(5), "00:00:05", &font);
        let mut style = NativeStyle::new(font);
        style.draw(&mut whole, &layout);
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
