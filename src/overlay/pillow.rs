//! The guide's original visualizer (AlphAction's `demo/visualizer.py` on Pillow),
//! with the same algorithmic work: the whole frame converted BGR→RGBA, one
//! full-frame transparent RGBA layer per person (and one for the timestamp),
//! each alpha-composited over the whole frame, then RGBA→BGR. Slow on purpose:
//! it is the reference for "original", not a fast path.
//!
//! The RGBA canvas is the frame's own buffer, widened in place to four bytes a
//! pixel and narrowed back: the same full-frame conversions and composites as
//! a separate canvas, without a second frame-sized image per worker (8 workers
//! at 1080p kept 66 MB of canvases beside the frames they were drawing).

use std::time::{Duration, Instant};

use image::{Rgba, RgbaImage};
use imageproc::drawing::{draw_filled_rect_mut, draw_text_mut};
use imageproc::rect::Rect as IpRect;

use super::layout::{Caption, FrameLayout, Rect, BOX_COLOR, OVERLAY_ALPHA, TEXT_COLOR};
use super::text::Font;
use super::{OverlayError, OverlayStyle};
use crate::frame::Frame;

pub struct PillowStyle {
    font: Font,
    /// The per-person layer, cleared before each person as `Image.new` would
    /// give it: reusing the buffer keeps Pillow's work (a full-frame clear and a
    /// full-frame composite per person) without a fresh 8 MB allocation and its
    /// page faults every time — Python's allocator reuses that memory too.
    layer: RgbaImage,
}

impl PillowStyle {
    pub fn new(font: Font) -> Self {
        Self {
            font,
            layer: RgbaImage::new(0, 0),
        }
    }
}

impl OverlayStyle for PillowStyle {
    fn name(&self) -> &'static str {
        "pillow"
    }

    fn stacking(&self) -> super::layout::Stacking {
        super::layout::Stacking::Demo
    }

    fn draw(&mut self, frame: &mut Frame, layout: &FrameLayout) -> Result<Duration, OverlayError> {
        let (w, h) = (frame.width, frame.height);
        if self.layer.dimensions() != (w, h) {
            self.layer = RgbaImage::new(w, h);
        }
        let started = Instant::now();
        // Image.fromarray(frame[..., ::-1]).convert("RGBA")
        bgr_to_rgba_in_place(&mut frame.data);
        let mut conversion = started.elapsed();
        let canvas = &mut frame.data[..];

        for person in &layout.persons {
            // Image.new("RGBA", size, (0, 0, 0, 0)) per person, as the original does.
            clear(&mut self.layer);
            let bw = layout.box_width as i32;
            let r = person.outline;
            for side in [
                Rect { y1: r.y0 + bw, ..r },
                Rect { y0: r.y1 - bw, ..r },
                Rect { x1: r.x0 + bw, ..r },
                Rect { x0: r.x1 - bw, ..r },
            ] {
                fill(
                    &mut self.layer,
                    side,
                    Rgba([BOX_COLOR[0], BOX_COLOR[1], BOX_COLOR[2], 255]),
                );
            }
            for caption in &person.captions {
                self.caption(caption);
            }
            // Image.alpha_composite(frame, layer): every pixel of the frame.
            alpha_composite(canvas, self.layer.as_raw());
        }
        clear(&mut self.layer);
        if let Some(stamp) = &layout.timestamp {
            self.caption(stamp);
        }
        alpha_composite(canvas, self.layer.as_raw());

        let back = Instant::now();
        rgba_to_bgr_in_place(&mut frame.data);
        conversion += back.elapsed();
        Ok(conversion)
    }
}

fn clear(layer: &mut RgbaImage) {
    layer.as_flat_samples_mut().samples.fill(0);
}

/// Pillow's `ImagingAlphaComposite` (libImaging/AlphaComposite.c), integer for
/// integer: `src` over `dst` for every pixel, in place. Fully transparent source
/// pixels keep the destination, as Pillow's own branch does.
pub fn alpha_composite(dst: &mut [u8], src: &[u8]) {
    const PRECISION_BITS: u32 = 7;
    let div255 = |a: u32| ((a >> 8) + a) >> 8;
    for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
        let src_a = s[3] as u32;
        if src_a == 0 {
            continue;
        }
        let blend = d[3] as u32 * (255 - src_a);
        let outa255 = src_a * 255 + blend;
        let coef1 = src_a * 255 * 255 * (1 << PRECISION_BITS) / outa255;
        let coef2 = 255 * (1 << PRECISION_BITS) - coef1;
        for c in 0..3 {
            let tmp = s[c] as u32 * coef1 + d[c] as u32 * coef2;
            d[c] = (div255(tmp + (0x80 << PRECISION_BITS)) >> PRECISION_BITS) as u8;
        }
        d[3] = div255(outa255 + 0x80) as u8;
    }
}

impl PillowStyle {
    fn caption(&mut self, caption: &Caption) {
        let layer = &mut self.layer;
        let c = caption.color;
        fill(
            layer,
            caption.panel,
            Rgba([c[0], c[1], c[2], OVERLAY_ALPHA]),
        );
        draw_text_mut(
            layer,
            Rgba([TEXT_COLOR[0], TEXT_COLOR[1], TEXT_COLOR[2], OVERLAY_ALPHA]),
            caption.text_x,
            caption.text_y,
            self.font.scale(),
            self.font.font(),
            &caption.text,
        );
    }
}

/// Whole-frame BGR24 → RGBA (opaque), as Pillow's `convert("RGBA")` after the
/// channel flip, in the same buffer: it grows to four bytes a pixel and is
/// filled from the last pixel back, so no pixel is overwritten before it is read.
pub fn bgr_to_rgba_in_place(data: &mut Vec<u8>) {
    let pixels = data.len() / 3;
    data.resize(pixels * 4, 0);
    let mut block = [0u8; 3 * BLOCK];
    let mut end = pixels;
    while end > 0 {
        let start = end.saturating_sub(BLOCK);
        let src = &mut block[..3 * (end - start)];
        src.copy_from_slice(&data[3 * start..3 * end]);
        for (d, p) in data[4 * start..4 * end]
            .chunks_exact_mut(4)
            .zip(src.chunks_exact(3))
        {
            d.copy_from_slice(&[p[2], p[1], p[0], 255]);
        }
        end = start;
    }
}

/// Whole-frame RGBA → BGR24 in the same buffer, dropping alpha: filled from
/// the first pixel on, then cut back to three bytes a pixel and its memory
/// with it (a frame-sized buffer is its own mapping, `bench::usage::steady_allocator`,
/// so growing and shrinking is a remap, not a copy): only the frames being
/// drawn hold the wider buffer, not every frame in the pool.
pub fn rgba_to_bgr_in_place(data: &mut Vec<u8>) {
    let pixels = data.len() / 4;
    let mut block = [0u8; 4 * BLOCK];
    let mut start = 0;
    while start < pixels {
        let end = (start + BLOCK).min(pixels);
        let src = &mut block[..4 * (end - start)];
        src.copy_from_slice(&data[4 * start..4 * end]);
        for (d, p) in data[3 * start..3 * end]
            .chunks_exact_mut(3)
            .zip(src.chunks_exact(4))
        {
            d.copy_from_slice(&[p[2], p[1], p[0]]);
        }
        start = end;
    }
    data.truncate(pixels * 3);
    data.shrink_to_fit();
}

/// Pixels converted at a time: each block's source is copied aside first, so
/// the widening (back to front) and the narrowing (front to back) never read
/// what they already overwrote.
const BLOCK: usize = 1024;

fn fill(layer: &mut RgbaImage, r: Rect, color: Rgba<u8>) {
    if let Some(r) = r.clip(layer.width(), layer.height()) {
        draw_filled_rect_mut(
            layer,
            IpRect::at(r.x0, r.y0).of_size(r.width() as u32, r.height() as u32),
            color,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2,003 random and overlay-like pixel pairs through Pillow 12.3's own
    /// `Image.alpha_composite` (captured on the H100 machine by
    /// lab/scripts/pillow-composite-fixture.py): every output byte must match.
    #[test]
    fn alpha_composite_matches_pillow_on_its_own_fixture() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/pillow/alpha-composite.json"
        );
        let fixture: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let pixels = |key: &str| -> Vec<u8> {
            fixture[key]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|px| {
                    px.as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_u64().unwrap() as u8)
                })
                .collect()
        };
        let (dst, src, expected) = (pixels("dst"), pixels("src"), pixels("out"));
        let n = dst.len() / 4;
        let mut dst = dst;
        alpha_composite(&mut dst, &src);
        let wrong = dst
            .chunks_exact(4)
            .zip(expected.chunks_exact(4))
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(wrong, 0, "{wrong} of {n} pixels differ from Pillow");
    }

    /// One pixel worked by hand through Pillow's formula.
    #[test]
    fn alpha_composite_matches_pillow() {
        let mut dst = vec![10, 200, 30, 255, 0, 0, 0, 255, 90, 90, 90, 255];
        let src = [255, 0, 0, 100, 0, 0, 0, 0, 200, 100, 0, 255];
        alpha_composite(&mut dst, &src);
        assert_eq!(dst, [106, 122, 18, 255, 0, 0, 0, 255, 200, 100, 0, 255]);
    }

    /// The in-place widening and narrowing against a separate-buffer reference,
    /// on every byte value in every channel.
    #[test]
    fn in_place_conversions_match_a_separate_buffer() {
        let bgr: Vec<u8> = (0..3 * 1000u32).map(|i| (i * 37 % 251) as u8).collect();
        let expected: Vec<u8> = bgr
            .chunks_exact(3)
            .flat_map(|p| [p[2], p[1], p[0], 255])
            .collect();
        let mut data = bgr.clone();
        bgr_to_rgba_in_place(&mut data);
        assert_eq!(data, expected);
        rgba_to_bgr_in_place(&mut data);
        assert_eq!(data, bgr);
    }
}
