//! The guide's original visualizer (AlphAction's `demo/visualizer.py` on Pillow),
//! with the same algorithmic work: the whole frame converted BGR→RGBA, one
//! full-frame transparent RGBA layer per person (and one for the timestamp),
//! each alpha-composited over the whole frame, then RGBA→BGR. Slow on purpose:
//! it is the reference for "original", not a fast path.

use std::time::{Duration, Instant};

use image::{Rgba, RgbaImage};
use imageproc::drawing::{draw_filled_rect_mut, draw_text_mut};
use imageproc::rect::Rect as IpRect;

use super::layout::{Caption, FrameLayout, Rect, BOX_COLOR, OVERLAY_ALPHA, TEXT_COLOR};
use super::text::Font;
use super::OverlayStyle;
use crate::frame::Frame;

pub struct PillowStyle {
    font: Font,
}

impl PillowStyle {
    pub fn new(font: Font) -> Self {
        Self { font }
    }
}

impl OverlayStyle for PillowStyle {
    fn name(&self) -> &'static str {
        "pillow"
    }

    fn draw(&mut self, frame: &mut Frame, layout: &FrameLayout) -> Duration {
        let (w, h) = (frame.width, frame.height);
        let started = Instant::now();
        // Image.fromarray(frame[..., ::-1]).convert("RGBA")
        let mut canvas = RgbaImage::new(w, h);
        bgr_to_rgba(frame, &mut canvas);
        let mut conversion = started.elapsed();

        for person in &layout.persons {
            // Image.new("RGBA", size, (0, 0, 0, 0)) per person, as the original does.
            let mut layer = RgbaImage::new(w, h);
            let bw = layout.box_width as i32;
            let r = person.outline;
            for side in [
                Rect { y1: r.y0 + bw, ..r },
                Rect { y0: r.y1 - bw, ..r },
                Rect { x1: r.x0 + bw, ..r },
                Rect { x0: r.x1 - bw, ..r },
            ] {
                fill(
                    &mut layer,
                    side,
                    Rgba([BOX_COLOR[0], BOX_COLOR[1], BOX_COLOR[2], 255]),
                );
            }
            for caption in &person.captions {
                self.caption(&mut layer, caption);
            }
            // Image.alpha_composite(frame, layer): every pixel of the frame.
            image::imageops::overlay(&mut canvas, &layer, 0, 0);
        }
        let mut layer = RgbaImage::new(w, h);
        self.caption(&mut layer, &layout.timestamp);
        image::imageops::overlay(&mut canvas, &layer, 0, 0);

        let back = Instant::now();
        rgba_to_bgr(&canvas, frame);
        conversion += back.elapsed();
        conversion
    }
}

impl PillowStyle {
    fn caption(&self, layer: &mut RgbaImage, caption: &Caption) {
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

/// Whole-frame BGR24 → RGBA (opaque), as Pillow's `convert("RGBA")` after the channel flip.
pub fn bgr_to_rgba(frame: &Frame, canvas: &mut RgbaImage) {
    for (dst, src) in canvas
        .as_flat_samples_mut()
        .samples
        .chunks_exact_mut(4)
        .zip(frame.data.chunks_exact(3))
    {
        dst.copy_from_slice(&[src[2], src[1], src[0], 255]);
    }
}

/// Whole-frame RGBA → BGR24, dropping alpha.
pub fn rgba_to_bgr(canvas: &RgbaImage, frame: &mut Frame) {
    for (dst, src) in frame
        .data
        .chunks_exact_mut(3)
        .zip(canvas.as_raw().chunks_exact(4))
    {
        dst.copy_from_slice(&[src[2], src[1], src[0]]);
    }
}

fn fill(layer: &mut RgbaImage, r: Rect, color: Rgba<u8>) {
    if let Some(r) = r.clip(layer.width(), layer.height()) {
        draw_filled_rect_mut(
            layer,
            IpRect::at(r.x0, r.y0).of_size(r.width() as u32, r.height() as u32),
            color,
        );
    }
}
