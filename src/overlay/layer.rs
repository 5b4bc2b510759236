//! The overlay as a layer for the GPU to composite (the GPU-resident modes):
//! what a style draws, with its coverage, in yuva420p — a mostly transparent
//! frame in which only the drawn regions are ever touched.
//!
//! A style blends onto whatever is under it. Drawn once over black and once
//! over white, a pixel's two results give its coverage `a` and colour `C`
//! exactly (over black: `C·a`; over white: `C·a + 255·(1−a)`), so the layer
//! put over any frame with `out = C·a + frame·(1−a)` — what `overlay_cuda`
//! does — gives what the style would have drawn on that frame (tested below
//! against the style drawing on a real frame).

use std::time::{Duration, Instant};

use super::layout::{FrameLayout, Rect};
use super::{Overlay, OverlayError};
use crate::frame::Frame;
use crate::pixfmt::PixFmt;
use crate::workload::detections::Person;

/// The drawing surfaces: the style draws each frame's annotations on both.
pub struct Layer {
    black: Frame,
    white: Frame,
    /// What was drawn on them last: restored before the next frame.
    drawn: Vec<Rect>,
}

/// One yuva420p layer frame, as it goes down the pipe, and what it holds.
pub struct LayerFrame {
    pub bytes: Vec<u8>,
    /// Regions whose alpha may be non-zero: cleared before it is reused.
    drawn: Vec<Rect>,
}

impl LayerFrame {
    /// A transparent `width`x`height` layer (even sides).
    pub fn new(width: u32, height: u32) -> Self {
        let mut bytes = vec![0; PixFmt::Yuva420p.frame_bytes(width, height)];
        let pixels = (width * height) as usize;
        // Neutral chroma under zero alpha: the plane reads as grey, not green.
        bytes[pixels..pixels + pixels / 2].fill(128);
        Self {
            bytes,
            drawn: Vec::new(),
        }
    }
}

/// Time spent drawing (the style, twice) and making the layer (coverage and
/// colour conversion) for one frame.
#[derive(Debug, Clone, Copy, Default)]
pub struct LayerTimes {
    pub draw: Duration,
    pub convert: Duration,
}

impl Layer {
    pub fn new(width: u32, height: u32) -> Self {
        let mut white = Frame::new(width, height);
        white.data.fill(255);
        Self {
            black: Frame::new(width, height),
            white,
            drawn: Vec::new(),
        }
    }

    /// Draws frame `index`'s annotations into `out`.
    pub fn draw(
        &mut self,
        overlay: &mut Overlay,
        index: u64,
        persons: &[Person],
        out: &mut LayerFrame,
    ) -> Result<LayerTimes, OverlayError> {
        let (w, h) = (self.black.width, self.black.height);
        let (t, inner) = self.draw_both(overlay, index, persons)?;
        let t_convert = Instant::now();
        clear_alpha(out, w, h);
        for r in &self.drawn {
            extract(&self.black, &self.white, r, &mut out.bytes);
        }
        out.drawn.clone_from(&self.drawn);
        Ok(LayerTimes {
            draw: t_convert - t - inner,
            convert: t_convert.elapsed() + inner,
        })
    }

    /// Draws frame `index`'s annotations into `out` as the GPU composite
    /// takes them (`Packed`): each region's two drawings, packed.
    pub fn draw_packed(
        &mut self,
        overlay: &mut Overlay,
        index: u64,
        persons: &[Person],
        out: &mut Packed,
    ) -> Result<LayerTimes, OverlayError> {
        let (t, inner) = self.draw_both(overlay, index, persons)?;
        let t_pack = Instant::now();
        out.pack(&self.black, &self.white, &self.drawn);
        Ok(LayerTimes {
            draw: t_pack - t - inner,
            convert: t_pack.elapsed() + inner,
        })
    }

    /// The style's drawing of frame `index` over black and over white, the
    /// previous frame's regions restored first; `self.drawn` becomes this
    /// frame's. Returns when it began and the time the style spent
    /// converting inside its drawing.
    fn draw_both(
        &mut self,
        overlay: &mut Overlay,
        index: u64,
        persons: &[Person],
    ) -> Result<(Instant, Duration), OverlayError> {
        let t = Instant::now();
        for r in &self.drawn {
            fill(&mut self.black, r, 0);
            fill(&mut self.white, r, 255);
        }
        let layout = overlay.layout(index, persons);
        self.drawn = regions(&layout);
        let mut inner = overlay.style.draw(&mut self.black, &layout)?;
        inner += overlay.style.draw(&mut self.white, &layout)?;
        Ok((t, inner))
    }
}

/// A frame's layer as the GPU composite takes it (`cuda`'s
/// `composite_regions`): each drawn region's pixels over black, then over
/// white (BGR rows of its width), one after another in `bytes`; `table`
/// holds six ints a region: x0, y0, x1, y1 (even), the offset of its
/// pixels, and the 2x2 blocks before it.
#[derive(Debug, Default)]
pub struct Packed {
    pub bytes: Vec<u8>,
    pub table: Vec<i32>,
    /// 2x2 blocks in all the regions.
    pub blocks: i32,
}

impl Packed {
    fn pack(&mut self, black: &Frame, white: &Frame, regions: &[Rect]) {
        self.bytes.clear();
        self.table.clear();
        self.blocks = 0;
        let stride = black.stride();
        for r in regions.iter().filter(|r| r.x1 > r.x0 && r.y1 > r.y0) {
            self.table
                .extend([r.x0, r.y0, r.x1, r.y1, self.bytes.len() as i32, self.blocks]);
            for frame in [black, white] {
                for y in r.y0 as usize..r.y1 as usize {
                    let row = y * stride;
                    self.bytes.extend_from_slice(
                        &frame.data[row + r.x0 as usize * 3..row + r.x1 as usize * 3],
                    );
                }
            }
            self.blocks += (r.x1 - r.x0) / 2 * ((r.y1 - r.y0) / 2);
        }
    }

    /// Regions in the table.
    pub fn count(&self) -> i32 {
        self.table.len() as i32 / 6
    }
}

/// Where a layout's annotations can touch: each box's four sides, each
/// caption's panel (its text lies within), clipped and widened to even
/// coordinates (4:2:0 chroma covers 2x2 pixels).
pub fn regions(layout: &FrameLayout) -> Vec<Rect> {
    let bw = layout.box_width as i32;
    let (w, h) = (layout.width, layout.height);
    let even = |r: Rect| {
        Rect {
            x0: r.x0 & !1,
            y0: r.y0 & !1,
            x1: (r.x1 + 1) & !1,
            y1: (r.y1 + 1) & !1,
        }
        .clip(w, h)
    };
    let sides = layout.persons.iter().flat_map(|p| {
        let r = p.outline;
        let s = bw.min(r.width().max(1)).min(r.height().max(1));
        [
            Rect { y1: r.y0 + s, ..r },
            Rect { y0: r.y1 - s, ..r },
            Rect { x1: r.x0 + s, ..r },
            Rect { x0: r.x1 - s, ..r },
        ]
    });
    sides
        .chain(layout.captions().map(|c| c.panel))
        .filter_map(even)
        .collect()
}

fn fill(frame: &mut Frame, r: &Rect, value: u8) {
    let stride = frame.stride();
    for y in r.y0..r.y1 {
        let row = y as usize * stride;
        frame.data[row + r.x0 as usize * 3..row + r.x1 as usize * 3].fill(value);
    }
}

/// Zero alpha wherever the layer frame last held something.
fn clear_alpha(out: &mut LayerFrame, w: u32, h: u32) {
    let (w, pixels) = (w as usize, (w * h) as usize);
    let alpha = pixels + pixels / 2;
    for r in out.drawn.drain(..) {
        for y in r.y0..r.y1 {
            let row = alpha + y as usize * w;
            out.bytes[row + r.x0 as usize..row + r.x1 as usize].fill(0);
        }
    }
}

/// A pixel's coverage (0..=255) and colour from the style's result over black
/// and over white (B, G, R each): the reference `extract` computes in its
/// own terms (luma and chroma straight from the premultiplied colour).
#[cfg(test)]
fn coverage(over_black: &[u8], over_white: &[u8]) -> (u8, [u8; 3]) {
    let a = alpha(over_black, over_white);
    if a == 0 {
        return (0, [0; 3]);
    }
    let colour = |c: usize| ((u32::from(over_black[c]) * 255 + a / 2) / a).min(255) as u8;
    (a as u8, [colour(0), colour(1), colour(2)])
}

/// BT.709 limited range, as the pipe's yuv420p (`pixfmt`): 256 × (Y − 16) of
/// B, G, R — linear, so it holds for colours premultiplied by coverage too.
fn luma256([b, g, r]: [u32; 3]) -> u32 {
    47 * r + 157 * g + 16 * b
}

#[cfg(test)]
fn luma(c: [u8; 3]) -> u8 {
    (16 + ((luma256(c.map(u32::from)) + 128) >> 8)) as u8
}

fn chroma([b, g, r]: [i32; 3]) -> (u8, u8) {
    let cb = 128 + ((-26 * r - 87 * g + 112 * b + 128) >> 8);
    let cr = 128 + ((112 * r - 102 * g - 10 * b + 128) >> 8);
    (cb.clamp(16, 240) as u8, cr.clamp(16, 240) as u8)
}

/// `255 · 2^16 / n`, rounded, for n in 1..=1020 (a pixel's coverage, or four
/// pixels' together): a multiply and a shift where a division would be.
const RECIP: [u64; 1021] = {
    let mut table = [0u64; 1021];
    let mut n = 1;
    while n < 1021 {
        table[n] = (255 * 65536 + n as u64 / 2) / n as u64;
        n += 1;
    }
    table
};

/// A pixel's coverage from its two drawings (the mean over B, G, R of what
/// shows through: white over black).
fn alpha(b: &[u8], w: &[u8]) -> u32 {
    let through: u32 = (0..3).map(|c| u32::from(w[c].saturating_sub(b[c]))).sum();
    255 - (through + 1) / 3
}

/// The region `r` (even coordinates) of the layer from the two drawings:
/// per pixel its coverage and luma (of its colour `over_black · 255 / a`),
/// per 2x2 block the chroma of the coverage-weighted mean colour, which is
/// `255 · Σ over_black / Σ a` — one reciprocal each, no division.
fn extract(black: &Frame, white: &Frame, r: &Rect, out: &mut [u8]) {
    let (w, h) = (black.width as usize, black.height as usize);
    let pixels = w * h;
    let (luma_plane, rest) = out.split_at_mut(pixels);
    let (cb_plane, rest) = rest.split_at_mut(pixels / 4);
    let (cr_plane, alpha_plane) = rest.split_at_mut(pixels / 4);
    let (x0, x1) = (r.x0 as usize, r.x1 as usize);
    for y in r.y0 as usize..r.y1 as usize {
        let px = y * w + x0..y * w + x1;
        let rgb = px.start * 3..px.end * 3;
        let pairs = black.data[rgb.clone()]
            .chunks_exact(3)
            .zip(white.data[rgb].chunks_exact(3));
        for ((b, wh), (l, a_out)) in pairs.zip(
            luma_plane[px.clone()]
                .iter_mut()
                .zip(alpha_plane[px].iter_mut()),
        ) {
            let a = alpha(b, wh);
            *a_out = a as u8;
            *l = if a == 0 {
                16
            } else {
                let premultiplied = u64::from(luma256([b[0], b[1], b[2]].map(u32::from)));
                let y = (((premultiplied * RECIP[a as usize]) >> 16) + 128) >> 8;
                16 + y.min(219) as u8
            };
        }
    }
    let row_bytes = |y: usize| &black.data[(y * w + x0) * 3..(y * w + x1) * 3];
    let row_alpha = |y: usize| &alpha_plane[y * w + x0..y * w + x1];
    for by in (r.y0 as usize..r.y1 as usize).step_by(2) {
        let (top, bottom) = (row_bytes(by), row_bytes(by + 1));
        let (a_top, a_bottom) = (row_alpha(by), row_alpha(by + 1));
        let chroma_row = (by / 2) * (w / 2) + x0 / 2..(by / 2) * (w / 2) + x1 / 2;
        let blocks = top
            .chunks_exact(6)
            .zip(bottom.chunks_exact(6))
            .zip(a_top.chunks_exact(2).zip(a_bottom.chunks_exact(2)));
        for ((((t, b), (at, ab)), cb), cr) in blocks
            .zip(cb_plane[chroma_row.clone()].iter_mut())
            .zip(cr_plane[chroma_row].iter_mut())
        {
            let weight = u32::from(at[0]) + u32::from(at[1]) + u32::from(ab[0]) + u32::from(ab[1]);
            if weight == 0 {
                (*cb, *cr) = (128, 128);
                continue;
            }
            let sum = |c: usize| {
                u64::from(t[c]) + u64::from(t[c + 3]) + u64::from(b[c]) + u64::from(b[c + 3])
            };
            let recip = RECIP[weight as usize];
            let mean = |c: usize| (((sum(c) * recip + (1 << 15)) >> 16).min(255)) as i32;
            (*cb, *cr) = chroma([mean(0), mean(1), mean(2)]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::StyleKind;
    use crate::workload::synthetic;

    /// Frames 3, 4 and 17 of a 640x360 clip of 6 persons, each drawn by the
    /// native style: `check` gets the overlay and a layer to draw the same
    /// annotations with, the frame index, its persons, the frame as it was,
    /// and as the style drew on it.
    fn each_drawn_frame(
        mut check: impl FnMut(&mut Overlay, &mut Layer, u64, &[Person], &[u8], &Frame),
    ) {
        let (w, h) = (640, 360);
        let tracks = synthetic::tracks(w, h, 30, 6);
        let mut overlay = Overlay::new(StyleKind::Native, w, h, 30.0).unwrap();
        let mut layer = Layer::new(w, h);
        for index in [3u64, 4, 17] {
            let persons = tracks.persons(index);
            let mut frame = Frame::new(w, h);
            synthetic::render_frame(&mut frame, index);
            let plain = frame.data.clone();
            overlay.draw(&mut frame, index, &persons).unwrap();
            check(&mut overlay, &mut layer, index, &persons, &plain, &frame);
        }
    }

    /// The packed layer as `cuda/kernels.cu`'s `composite_regions` reads it
    /// (its table, each region's pixels over black then over white) and
    /// blends luma (`16 + luma(over black) + through · (Y − 16) / 255`): the
    /// luma of the style drawn on the frame, within rounding, at every pixel
    /// of every region; and the table counts the kernel's 2x2 blocks.
    #[test]
    fn the_packed_layer_blended_as_the_kernel_does_is_the_style_drawn_on_it() {
        let mut packed = Packed::default();
        each_drawn_frame(|overlay, layer, index, persons, plain, frame| {
            let w = frame.width;
            layer
                .draw_packed(overlay, index, persons, &mut packed)
                .unwrap();
            assert!(packed.count() > 6, "{}", packed.count());
            let mut blocks = 0;
            let mut worst = 0;
            for reg in packed.table.chunks_exact(6) {
                let [x0, y0, x1, y1, offset, before] = reg.try_into().unwrap();
                assert_eq!(before, blocks, "blocks before the region");
                assert!(x0 % 2 == 0 && y0 % 2 == 0 && x1 % 2 == 0 && y1 % 2 == 0);
                blocks += (x1 - x0) / 2 * ((y1 - y0) / 2);
                let rw = (x1 - x0) as usize;
                let white_at = offset as usize + 3 * rw * (y1 - y0) as usize;
                for y in y0..y1 {
                    for x in x0..x1 {
                        let k = 3 * ((y - y0) as usize * rw + (x - x0) as usize);
                        let b = &packed.bytes[offset as usize + k..offset as usize + k + 3];
                        let wh = &packed.bytes[white_at + k..white_at + k + 3];
                        let through = 255 - alpha(b, wh);
                        let p = 3 * (y as usize * w as usize + x as usize);
                        let under = f64::from(luma([plain[p], plain[p + 1], plain[p + 2]]));
                        let premultiplied = f64::from(luma256([b[0], b[1], b[2]].map(u32::from)));
                        let blended = (16.0
                            + premultiplied / 256.0
                            + f64::from(through) * (under - 16.0) / 255.0
                            + 0.5)
                            .floor() as i32;
                        let drawn = luma([frame.data[p], frame.data[p + 1], frame.data[p + 2]]);
                        worst = worst.max((blended - i32::from(drawn)).abs());
                    }
                }
            }
            assert_eq!(blocks, packed.blocks);
            assert!(worst <= 2, "frame {index}: luma off by {worst}");
            // Far less than a frame crosses to the GPU.
            assert!(
                packed.bytes.len() < (w * frame.height) as usize,
                "{}",
                packed.bytes.len()
            );
        });
    }

    /// The layer over a real frame (`C·a + frame·(1−a)`, per channel) is what
    /// the style draws on that frame, within rounding; outside the regions
    /// the style draws nothing (so the layer misses nothing).
    #[test]
    fn the_layer_over_a_frame_is_the_style_drawn_on_it() {
        let mut out = LayerFrame::new(640, 360);
        each_drawn_frame(|overlay, layer, index, persons, plain, frame| {
            let (w, h) = (frame.width, frame.height);
            layer.draw(overlay, index, persons, &mut out).unwrap();
            let inside: Vec<bool> = {
                let mut m = vec![false; (w * h) as usize];
                for r in &layer.drawn {
                    for y in r.y0..r.y1 {
                        for x in r.x0..r.x1 {
                            m[(y as u32 * w + x as u32) as usize] = true;
                        }
                    }
                }
                m
            };
            let mut worst = 0;
            for (p, &drawn_here) in inside.iter().enumerate() {
                let i = p * 3;
                if !drawn_here {
                    assert_eq!(
                        frame.data[i..i + 3],
                        plain[i..i + 3],
                        "drawn outside at {p}"
                    );
                    continue;
                }
                let (a, c) = coverage(&layer.black.data[i..i + 3], &layer.white.data[i..i + 3]);
                for k in 0..3 {
                    let composed = (u32::from(c[k]) * u32::from(a)
                        + u32::from(plain[i + k]) * (255 - u32::from(a))
                        + 127)
                        / 255;
                    worst = worst.max((composed as i32 - i32::from(frame.data[i + k])).abs());
                }
            }
            assert!(worst <= 2, "frame {index}: off by {worst}");
            // The alpha plane holds the coverage: something drawn, most of it clear.
            let alpha = &out.bytes[(w * h) as usize * 3 / 2..];
            let opaque = alpha.iter().filter(|&&a| a > 0).count();
            assert!(opaque > 1000 && opaque < alpha.len() / 2, "{opaque}");
        });
    }

    #[test]
    fn a_reused_layer_frame_keeps_nothing_of_its_last_frame() {
        let (w, h) = (320, 240);
        let tracks = synthetic::tracks(w, h, 60, 3);
        let mut overlay = Overlay::new(StyleKind::Native, w, h, 30.0).unwrap();
        let (mut layer, mut out) = (Layer::new(w, h), LayerFrame::new(w, h));
        layer
            .draw(&mut overlay, 0, &tracks.persons(0), &mut out)
            .unwrap();
        layer
            .draw(&mut overlay, 50, &tracks.persons(50), &mut out)
            .unwrap();
        let (mut fresh_layer, mut fresh) = (Layer::new(w, h), LayerFrame::new(w, h));
        fresh_layer
            .draw(&mut overlay, 50, &tracks.persons(50), &mut fresh)
            .unwrap();
        let alpha = (w * h) as usize * 3 / 2;
        assert_eq!(out.bytes[alpha..], fresh.bytes[alpha..]);
    }

    #[test]
    fn coverage_of_solid_blended_and_untouched_pixels() {
        assert_eq!(coverage(&[10, 20, 30], &[10, 20, 30]), (255, [10, 20, 30]));
        assert_eq!(coverage(&[0, 0, 0], &[255, 255, 255]), (0, [0; 3]));
        // 60 % of (100, 150, 200): over black 60, 90, 120; over white + 102.
        let (a, c) = coverage(&[60, 90, 120], &[162, 192, 222]);
        assert_eq!(a, 153);
        assert_eq!(c, [100, 150, 200]);
        assert_eq!(luma([255, 255, 255]), 235);
        assert_eq!(luma([0, 0, 0]), 16);
    }
}
