//! The pixel format on the pipe. The guide sends bgr24, which no NVENC encoder
//! takes: ffmpeg converts it on the CPU. bgr0/bgra go to NVENC as they are (the
//! GPU converts); yuv420p converted here, across the engine's workers, sends half
//! the bytes of bgr24 and leaves ffmpeg no conversion at all.

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::frame::Frame;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum PixFmt {
    /// The guide's format: packed B, G, R (ffmpeg converts on the CPU)
    #[default]
    Bgr24,
    /// B, G, R, padding byte: NVENC converts on the GPU
    Bgr0,
    /// B, G, R, opaque alpha: NVENC converts on the GPU
    Bgra,
    /// Planar 4:2:0, BT.709 limited range, converted in Rust (even sizes only)
    Yuv420p,
}

impl PixFmt {
    /// ffmpeg's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bgr24 => "bgr24",
            Self::Bgr0 => "bgr0",
            Self::Bgra => "bgra",
            Self::Yuv420p => "yuv420p",
        }
    }

    pub fn frame_bytes(self, width: u32, height: u32) -> usize {
        let pixels = width as usize * height as usize;
        match self {
            Self::Bgr24 => pixels * 3,
            Self::Bgr0 | Self::Bgra => pixels * 4,
            Self::Yuv420p => pixels + 2 * (pixels / 4),
        }
    }

    /// RGB formats that NVENC converts itself (no CPU conversion filter wanted).
    pub fn is_packed_rgb32(self) -> bool {
        matches!(self, Self::Bgr0 | Self::Bgra)
    }

    /// Why this format cannot carry `width`x`height` frames, if it cannot.
    pub fn check_size(self, width: u32, height: u32) -> Result<(), String> {
        if self == Self::Yuv420p && (width % 2 == 1 || height % 2 == 1) {
            return Err(format!(
                "--pix-fmt yuv420p needs an even width and height ({width}x{height} is not): use bgr24, or an even --resolution"
            ));
        }
        Ok(())
    }

    /// The bytes of `frame` in this format: the frame itself for bgr24, else
    /// converted into `buf` (no allocation once it is sized).
    pub fn wire<'a>(self, frame: &'a Frame, buf: &'a mut Vec<u8>) -> &'a [u8] {
        if self == Self::Bgr24 {
            return &frame.data;
        }
        self.convert(frame, buf);
        buf
    }

    /// Writes `frame` in this format into `out` (resized to fit; no allocation once sized).
    pub fn convert(self, frame: &Frame, out: &mut Vec<u8>) {
        let whole = self.wire_bands(out, frame.width, frame.height, frame.height);
        for band in whole {
            self.convert_rows(&frame.data, frame.width, band);
        }
    }

    /// `out`, sized for a `width`x`height` frame, cut into the parts that rows
    /// `0..band_height`, `band_height..2·band_height`, … of the frame become: the
    /// bands of `Frame::bands(band_height)`, converted each on its own thread.
    /// yuv420p needs an even `band_height` (chroma rows cover two frame rows).
    pub fn wire_bands(
        self,
        out: &mut Vec<u8>,
        width: u32,
        height: u32,
        band_height: u32,
    ) -> Vec<WireRows<'_>> {
        out.resize(self.frame_bytes(width, height), 0);
        let (w, band) = (width as usize, band_height.max(1) as usize);
        match self {
            Self::Bgr24 => out.chunks_mut(band * w * 3).map(WireRows::Packed).collect(),
            Self::Bgr0 | Self::Bgra => out.chunks_mut(band * w * 4).map(WireRows::Packed).collect(),
            Self::Yuv420p => {
                debug_assert!(band % 2 == 0 || band >= height as usize, "odd yuv420p band");
                let (luma, chroma) = out.split_at_mut(w * height as usize);
                let (cb, cr) = chroma.split_at_mut(chroma.len() / 2);
                let chroma_band = (band / 2).max(1) * (w / 2);
                luma.chunks_mut(band * w)
                    .zip(cb.chunks_mut(chroma_band))
                    .zip(cr.chunks_mut(chroma_band))
                    .map(|((luma, cb), cr)| WireRows::Planar { luma, cb, cr })
                    .collect()
            }
        }
    }

    /// Converts `bgr` (whole rows of a `width`-wide frame) into its part of the wire.
    pub fn convert_rows(self, bgr: &[u8], width: u32, out: WireRows) {
        match (self, out) {
            (Self::Bgr24, WireRows::Packed(dst)) => dst.copy_from_slice(bgr),
            (Self::Bgr0 | Self::Bgra, WireRows::Packed(dst)) => {
                for (dst, src) in dst.chunks_exact_mut(4).zip(bgr.chunks_exact(3)) {
                    dst[..3].copy_from_slice(src);
                    dst[3] = 255;
                }
            }
            (Self::Yuv420p, WireRows::Planar { luma, cb, cr }) => {
                bgr_to_yuv420p_bt709(bgr, width as usize, luma, cb, cr)
            }
            (fmt, _) => unreachable!("{fmt:?} wire parts come from wire_bands of the same format"),
        }
    }
}

/// One band's part of a frame on the wire.
pub enum WireRows<'a> {
    Packed(&'a mut [u8]),
    Planar {
        luma: &'a mut [u8],
        cb: &'a mut [u8],
        cr: &'a mut [u8],
    },
}

// BT.709, limited range, in 16.16 fixed point: Y = 16 + 219/255·(0.2126 R +
// 0.7152 G + 0.0722 B); Cb, Cr = 128 + 224/255·(B−Y)/1.8556, (R−Y)/1.5748.
const Y_R: i32 = 11966;
const Y_G: i32 = 40254;
const Y_B: i32 = 4064;
const CB_R: i32 = -6596;
const CB_G: i32 = -22189;
const CB_B: i32 = 28784;
const CR_R: i32 = 28784;
const CR_G: i32 = -26145;
const CR_B: i32 = -2639;
const HALF: i32 = 1 << 15;

#[inline(always)]
fn luma_of(b: u8, g: u8, r: u8) -> u8 {
    (16 + ((Y_R * r as i32 + Y_G * g as i32 + Y_B * b as i32 + HALF) >> 16)) as u8
}

/// One pass over each pair of rows: the four lumas of every 2x2 block and its
/// chroma from their mean (centre-sited, as ffmpeg's default). Even sizes only.
fn bgr_to_yuv420p_bt709(
    bgr: &[u8],
    w: usize,
    luma: &mut [u8],
    cb_plane: &mut [u8],
    cr_plane: &mut [u8],
) {
    let (stride, half) = (w * 3, w / 2);
    let rows = bgr
        .chunks_exact(2 * stride)
        .zip(luma.chunks_exact_mut(2 * w))
        .zip(cb_plane.chunks_exact_mut(half))
        .zip(cr_plane.chunks_exact_mut(half));
    for (((pair, luma_pair), cb_row), cr_row) in rows {
        let (top, bottom) = pair.split_at(stride);
        let (luma_top, luma_bottom) = luma_pair.split_at_mut(w);
        let blocks = top
            .chunks_exact(6)
            .zip(bottom.chunks_exact(6))
            .zip(luma_top.chunks_exact_mut(2))
            .zip(luma_bottom.chunks_exact_mut(2))
            .zip(cb_row.iter_mut().zip(cr_row.iter_mut()));
        for ((((t, b), lt), lb), (cb, cr)) in blocks {
            lt[0] = luma_of(t[0], t[1], t[2]);
            lt[1] = luma_of(t[3], t[4], t[5]);
            lb[0] = luma_of(b[0], b[1], b[2]);
            lb[1] = luma_of(b[3], b[4], b[5]);
            let sum = |c: usize| t[c] as i32 + t[3 + c] as i32 + b[c] as i32 + b[3 + c] as i32;
            let (sb, sg, sr) = (sum(0), sum(1), sum(2));
            // Sums of four: shift two more bits.
            let u = 128 + ((CB_R * sr + CB_G * sg + CB_B * sb + (HALF << 2)) >> 18);
            let v = 128 + ((CR_R * sr + CR_G * sg + CR_B * sb + (HALF << 2)) >> 18);
            *cb = u.clamp(0, 255) as u8;
            *cr = v.clamp(0, 255) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(b: u8, g: u8, r: u8) -> Frame {
        let mut f = Frame::new(4, 2);
        for px in f.data.chunks_exact_mut(3) {
            px.copy_from_slice(&[b, g, r]);
        }
        f
    }

    fn yuv(frame: &Frame) -> (u8, u8, u8) {
        let mut out = Vec::new();
        PixFmt::Yuv420p.convert(frame, &mut out);
        assert_eq!(out.len(), 4 * 2 + 2 * 2);
        (out[0], out[8], out[10])
    }

    #[test]
    fn bt709_limited_range_reference_colours() {
        assert_eq!(yuv(&solid(0, 0, 0)), (16, 128, 128));
        assert_eq!(yuv(&solid(255, 255, 255)), (235, 128, 128));
        // Pure red in BT.709: Y 63, Cb 102, Cr 240.
        assert_eq!(yuv(&solid(0, 0, 255)), (63, 102, 240));
        // Pure blue: Y 32, Cb 240, Cr 118.
        assert_eq!(yuv(&solid(255, 0, 0)), (32, 240, 118));
    }

    #[test]
    fn packed_formats_keep_bgr_and_add_an_opaque_byte() {
        let f = solid(1, 2, 3);
        let mut out = Vec::new();
        PixFmt::Bgr0.convert(&f, &mut out);
        assert_eq!(&out[..8], &[1, 2, 3, 255, 1, 2, 3, 255]);
        assert_eq!(out.len(), PixFmt::Bgr0.frame_bytes(4, 2));
    }

    #[test]
    fn odd_sizes_are_refused_for_yuv420p_only() {
        assert!(PixFmt::Yuv420p.check_size(161, 120).is_err());
        assert!(PixFmt::Bgr24.check_size(161, 121).is_ok());
        assert!(PixFmt::Yuv420p.check_size(160, 120).is_ok());
    }

    #[test]
    fn converting_band_by_band_gives_the_same_bytes_as_converting_whole() {
        let mut frame = Frame::new(38, 22);
        crate::workload::synthetic::render_frame(&mut frame, 2);
        for fmt in [PixFmt::Bgr0, PixFmt::Bgra, PixFmt::Yuv420p, PixFmt::Bgr24] {
            let mut whole = Vec::new();
            fmt.convert(&frame, &mut whole);
            for band in [2, 4, 6, 22] {
                let mut banded = Vec::new();
                let parts = fmt.wire_bands(&mut banded, 38, 22, band);
                let rows = frame.data.chunks(band as usize * 38 * 3);
                assert_eq!(parts.len(), rows.len());
                for (part, bgr) in parts.into_iter().zip(rows) {
                    fmt.convert_rows(bgr, 38, part);
                }
                assert!(banded == whole, "{fmt:?} in bands of {band}");
            }
        }
    }

    /// The straightforward two-pass form (luma, then chroma): the fused
    /// converter must give the same bytes.
    fn two_pass_reference(frame: &Frame) -> Vec<u8> {
        let (w, h) = (frame.width as usize, frame.height as usize);
        let mut out = vec![0u8; w * h + 2 * (w / 2) * (h / 2)];
        let (luma, chroma) = out.split_at_mut(w * h);
        let (cb_plane, cr_plane) = chroma.split_at_mut((w / 2) * (h / 2));
        for (i, px) in frame.data.chunks_exact(3).enumerate() {
            luma[i] = luma_of(px[0], px[1], px[2]);
        }
        for cy in 0..h / 2 {
            for cx in 0..w / 2 {
                let at = |y: usize, x: usize, c: usize| frame.data[(y * w + x) * 3 + c] as i32;
                let sum = |c| {
                    at(2 * cy, 2 * cx, c)
                        + at(2 * cy, 2 * cx + 1, c)
                        + at(2 * cy + 1, 2 * cx, c)
                        + at(2 * cy + 1, 2 * cx + 1, c)
                };
                let (b, g, r) = (sum(0), sum(1), sum(2));
                let cb = 128 + ((CB_R * r + CB_G * g + CB_B * b + (HALF << 2)) >> 18);
                let cr = 128 + ((CR_R * r + CR_G * g + CR_B * b + (HALF << 2)) >> 18);
                cb_plane[cy * (w / 2) + cx] = cb.clamp(0, 255) as u8;
                cr_plane[cy * (w / 2) + cx] = cr.clamp(0, 255) as u8;
            }
        }
        out
    }

    #[test]
    fn fused_conversion_matches_the_two_pass_reference() {
        let mut frame = Frame::new(64, 36);
        crate::workload::synthetic::render_frame(&mut frame, 9);
        // Extremes too: saturated colours clamp the same way.
        frame.data[..6].copy_from_slice(&[0, 0, 255, 255, 0, 0]);
        let mut out = Vec::new();
        PixFmt::Yuv420p.convert(&frame, &mut out);
        assert!(out == two_pass_reference(&frame));
    }
}
