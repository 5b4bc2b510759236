//! The pixel format on the pipe. The guide sends bgr24, which no NVENC encoder
//! takes: ffmpeg converts it on the CPU. bgr0/bgra go to NVENC as they are (the
//! GPU converts); yuv420p converted here, across the engine's workers, sends half
//! the bytes of bgr24 and leaves ffmpeg no conversion at all; nv12 carries the
//! same bytes in NVENC's native layout. Both 4:2:0 conversions run on SIMD
//! (`yuvutils-rs`, AVX2/SSE chosen at run time), within one code value of the
//! exact integer reference kept in the tests.

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
    /// Semi-planar 4:2:0 (Y, then Cb/Cr interleaved): NVENC's native input; BT.709 limited range, converted in Rust (even sizes only)
    Nv12,
    /// Planar 4:2:0 with a full-size alpha plane: the overlay layer the GPU-resident modes composite (`overlay::layer`); a frame converts opaque
    #[value(skip)]
    Yuva420p,
}

impl PixFmt {
    /// ffmpeg's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bgr24 => "bgr24",
            Self::Bgr0 => "bgr0",
            Self::Bgra => "bgra",
            Self::Yuv420p => "yuv420p",
            Self::Nv12 => "nv12",
            Self::Yuva420p => "yuva420p",
        }
    }

    /// Every format, in the order tables list them.
    pub const ALL: [PixFmt; 5] = [
        Self::Bgr24,
        Self::Bgr0,
        Self::Bgra,
        Self::Yuv420p,
        Self::Nv12,
    ];

    /// 4:2:0 formats converted here (BT.709 limited range, even sizes only).
    pub fn is_yuv420(self) -> bool {
        matches!(self, Self::Yuv420p | Self::Nv12 | Self::Yuva420p)
    }

    pub fn frame_bytes(self, width: u32, height: u32) -> usize {
        let pixels = width as usize * height as usize;
        match self {
            Self::Bgr24 => pixels * 3,
            Self::Bgr0 | Self::Bgra => pixels * 4,
            Self::Yuv420p | Self::Nv12 => pixels + 2 * (pixels / 4),
            Self::Yuva420p => 2 * pixels + 2 * (pixels / 4),
        }
    }

    /// RGB formats that NVENC converts itself (no CPU conversion filter wanted).
    pub fn is_packed_rgb32(self) -> bool {
        matches!(self, Self::Bgr0 | Self::Bgra)
    }

    /// Why this format cannot carry `width`x`height` frames, if it cannot: the
    /// one rule for odd sizes, which every mode's cases meet before any run.
    pub fn check_size(self, width: u32, height: u32) -> Result<(), OddSize> {
        if self.is_yuv420() && (width % 2 == 1 || height % 2 == 1) {
            return Err(OddSize {
                pix_fmt: self.name(),
                width,
                height,
            });
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
    /// yuv420p and nv12 need an even `band_height` (chroma rows cover two frame rows).
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
            Self::Yuv420p | Self::Yuva420p => {
                debug_assert!(band % 2 == 0 || band >= height as usize, "odd yuv420p band");
                let pixels = w * height as usize;
                let (yuv, alpha) = out.split_at_mut(pixels + 2 * (pixels / 4));
                // A frame is opaque everywhere.
                alpha.fill(255);
                let (luma, chroma) = yuv.split_at_mut(pixels);
                let (cb, cr) = chroma.split_at_mut(chroma.len() / 2);
                let chroma_band = (band / 2).max(1) * (w / 2);
                luma.chunks_mut(band * w)
                    .zip(cb.chunks_mut(chroma_band))
                    .zip(cr.chunks_mut(chroma_band))
                    .map(|((luma, cb), cr)| WireRows::Planar { luma, cb, cr })
                    .collect()
            }
            Self::Nv12 => {
                debug_assert!(band % 2 == 0 || band >= height as usize, "odd nv12 band");
                let (luma, uv) = out.split_at_mut(w * height as usize);
                luma.chunks_mut(band * w)
                    .zip(uv.chunks_mut((band / 2).max(1) * w))
                    .map(|(luma, uv)| WireRows::SemiPlanar { luma, uv })
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
            (Self::Yuv420p | Self::Yuva420p, WireRows::Planar { luma, cb, cr }) => {
                let rows = (luma.len() / width as usize) as u32;
                let mut image = yuvutils_rs::YuvPlanarImageMut {
                    y_plane: yuvutils_rs::BufferStoreMut::Borrowed(luma),
                    y_stride: width,
                    u_plane: yuvutils_rs::BufferStoreMut::Borrowed(cb),
                    u_stride: width / 2,
                    v_plane: yuvutils_rs::BufferStoreMut::Borrowed(cr),
                    v_stride: width / 2,
                    width,
                    height: rows,
                };
                yuvutils_rs::bgr_to_yuv420(&mut image, bgr, 3 * width, RANGE, MATRIX, PRECISION)
                    .expect("wire_bands sized the planes for these rows");
            }
            (Self::Nv12, WireRows::SemiPlanar { luma, uv }) => {
                let rows = (luma.len() / width as usize) as u32;
                let mut image = yuvutils_rs::YuvBiPlanarImageMut {
                    y_plane: yuvutils_rs::BufferStoreMut::Borrowed(luma),
                    y_stride: width,
                    uv_plane: yuvutils_rs::BufferStoreMut::Borrowed(uv),
                    uv_stride: width,
                    width,
                    height: rows,
                };
                yuvutils_rs::bgr_to_yuv_nv12(&mut image, bgr, 3 * width, RANGE, MATRIX, PRECISION)
                    .expect("wire_bands sized the planes for these rows");
            }
            (fmt, _) => unreachable!("{fmt:?} wire parts come from wire_bands of the same format"),
        }
    }
}

/// An NVDEC frame brought down as nv12 (limited range; BT.709 where the
/// stream is tagged so, else BT.601, as swscale reads an untagged stream)
/// into packed BGR.
pub fn nv12_to_bgr(nv12: &[u8], width: u32, height: u32, bt709: bool, bgr: &mut [u8]) {
    let (luma, uv) = nv12.split_at(width as usize * height as usize);
    let image = yuvutils_rs::YuvBiPlanarImage {
        y_plane: luma,
        y_stride: width,
        uv_plane: uv,
        uv_stride: width,
        width,
        height,
    };
    let matrix = if bt709 {
        yuvutils_rs::YuvStandardMatrix::Bt709
    } else {
        yuvutils_rs::YuvStandardMatrix::Bt601
    };
    yuvutils_rs::yuv_nv12_to_bgr(&image, bgr, 3 * width, RANGE, matrix, PRECISION)
        .expect("the caller sized both buffers for width x height");
}

/// How a caller lays out the frames it hands over (the Python writer's
/// `layout`): packed BGR or RGB, BGR with a fourth byte (`bgra`, `bgr0`: the
/// fourth is ignored), or 4:2:0 YUV in BT.709 limited range (`nv12`,
/// `yuv420p`: a frame is height × 3/2 rows of width bytes, as the pipe
/// writes them). Each becomes the BGR frame the case draws on, in the one
/// copy an input makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    #[default]
    Bgr24,
    Rgb24,
    Bgra,
    Nv12,
    Yuv420p,
}

impl Layout {
    /// Every name a layout goes by (`bgr0` is `bgra`'s memory).
    pub const NAMES: [&'static str; 6] = ["bgr24", "rgb24", "bgra", "bgr0", "nv12", "yuv420p"];

    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "bgr24" => Self::Bgr24,
            "rgb24" => Self::Rgb24,
            "bgra" | "bgr0" => Self::Bgra,
            "nv12" => Self::Nv12,
            "yuv420p" => Self::Yuv420p,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Bgr24 => "bgr24",
            Self::Rgb24 => "rgb24",
            Self::Bgra => "bgra",
            Self::Nv12 => "nv12",
            Self::Yuv420p => "yuv420p",
        }
    }

    /// Bytes per pixel of a packed layout; None for the 4:2:0 ones.
    pub fn channels(self) -> Option<usize> {
        match self {
            Self::Bgr24 | Self::Rgb24 => Some(3),
            Self::Bgra => Some(4),
            Self::Nv12 | Self::Yuv420p => None,
        }
    }

    /// One `width`x`height` frame's bytes.
    pub fn frame_bytes(self, width: u32, height: u32) -> usize {
        let pixels = width as usize * height as usize;
        match self.channels() {
            Some(c) => pixels * c,
            None => pixels * 3 / 2,
        }
    }

    /// The 4:2:0 layouts cover 2x2 pixels with one chroma sample.
    pub fn check_size(self, width: u32, height: u32) -> Result<(), OddSize> {
        if self.channels().is_none() && (width % 2 != 0 || height % 2 != 0) {
            return Err(OddSize {
                pix_fmt: self.name(),
                width,
                height,
            });
        }
        Ok(())
    }

    /// `src` (one frame in this layout, `frame_bytes` long) into packed BGR.
    pub fn to_bgr(self, src: &[u8], width: u32, height: u32, bgr: &mut [u8]) {
        match self {
            Self::Bgr24 => bgr.copy_from_slice(src),
            Self::Rgb24 => {
                for (o, i) in bgr.chunks_exact_mut(3).zip(src.chunks_exact(3)) {
                    o.copy_from_slice(&[i[2], i[1], i[0]]);
                }
            }
            Self::Bgra => {
                for (o, i) in bgr.chunks_exact_mut(3).zip(src.chunks_exact(4)) {
                    o.copy_from_slice(&i[..3]);
                }
            }
            Self::Nv12 => nv12_to_bgr(src, width, height, true, bgr),
            Self::Yuv420p => {
                let luma = width as usize * height as usize;
                let (y, chroma) = src.split_at(luma);
                let (u, v) = chroma.split_at(luma / 4);
                let image = yuvutils_rs::YuvPlanarImage {
                    y_plane: y,
                    y_stride: width,
                    u_plane: u,
                    u_stride: width / 2,
                    v_plane: v,
                    v_stride: width / 2,
                    width,
                    height,
                };
                yuvutils_rs::yuv420_to_bgr(&image, bgr, 3 * width, RANGE, MATRIX)
                    .expect("the caller sized both buffers for width x height");
            }
        }
    }
}

/// A 4:2:0 format asked to carry an odd size (its chroma covers 2x2 pixels).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("pixel format {pix_fmt} needs an even width and height ({width}x{height} is not): use bgr24, or an even size")]
pub struct OddSize {
    pub pix_fmt: &'static str,
    pub width: u32,
    pub height: u32,
}

/// One band's part of a frame on the wire.
pub enum WireRows<'a> {
    Packed(&'a mut [u8]),
    Planar {
        luma: &'a mut [u8],
        cb: &'a mut [u8],
        cr: &'a mut [u8],
    },
    SemiPlanar {
        luma: &'a mut [u8],
        uv: &'a mut [u8],
    },
}

const RANGE: yuvutils_rs::YuvRange = yuvutils_rs::YuvRange::Limited;
const MATRIX: yuvutils_rs::YuvStandardMatrix = yuvutils_rs::YuvStandardMatrix::Bt709;
/// yuvutils' default: fixed point with SIMD, within one code value of exact.
const PRECISION: yuvutils_rs::YuvConversionMode = yuvutils_rs::YuvConversionMode::Balanced;

#[cfg(test)]
mod tests {
    use super::*;

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

    fn luma_of(b: u8, g: u8, r: u8) -> u8 {
        (16 + ((Y_R * r as i32 + Y_G * g as i32 + Y_B * b as i32 + HALF) >> 16)) as u8
    }

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

    /// Within one code value of BT.709's exact integer values.
    fn near(got: (u8, u8, u8), want: (u8, u8, u8)) -> bool {
        let close = |a: u8, b: u8| a.abs_diff(b) <= 1;
        close(got.0, want.0) && close(got.1, want.1) && close(got.2, want.2)
    }

    #[test]
    fn bt709_limited_range_reference_colours() {
        for (bgr, want) in [
            ((0, 0, 0), (16, 128, 128)),
            ((255, 255, 255), (235, 128, 128)),
            // Pure red in BT.709: Y 63, Cb 102, Cr 240.
            ((0, 0, 255), (63, 102, 240)),
            // Pure blue: Y 32, Cb 240, Cr 118.
            ((255, 0, 0), (32, 240, 118)),
        ] {
            let got = yuv(&solid(bgr.0, bgr.1, bgr.2));
            assert!(
                near(got, want),
                "{bgr:?} gave {got:?}, BT.709 says {want:?}"
            );
        }
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
        assert!(PixFmt::Nv12.check_size(160, 121).is_err());
    }

    #[test]
    fn converting_band_by_band_gives_the_same_bytes_as_converting_whole() {
        let mut frame = Frame::new(38, 22);
        crate::workload::synthetic::render_frame(&mut frame, 2);
        for fmt in PixFmt::ALL {
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

    /// nv12 is yuv420p with the chroma planes interleaved.
    fn interleaved(planar: &[u8], w: usize, h: usize) -> Vec<u8> {
        let (luma, chroma) = planar.split_at(w * h);
        let (cb, cr) = chroma.split_at(chroma.len() / 2);
        let mut out = luma.to_vec();
        out.extend(cb.iter().zip(cr).flat_map(|(u, v)| [*u, *v]));
        out
    }

    /// The SIMD conversions stay within one code value of the exact integer
    /// reference on every plane (and mostly equal it), on drawn content and
    /// saturated extremes alike.
    #[test]
    fn simd_conversion_is_within_one_of_the_exact_reference() {
        let (w, h) = (64usize, 36usize);
        let mut frame = Frame::new(w as u32, h as u32);
        crate::workload::synthetic::render_frame(&mut frame, 9);
        frame.data[..6].copy_from_slice(&[0, 0, 255, 255, 0, 0]);
        let planar = two_pass_reference(&frame);
        for (fmt, want) in [
            (PixFmt::Yuv420p, planar.clone()),
            (PixFmt::Nv12, interleaved(&planar, w, h)),
        ] {
            let mut out = Vec::new();
            fmt.convert(&frame, &mut out);
            assert_eq!(out.len(), want.len());
            let off: Vec<u8> = out.iter().zip(&want).map(|(a, b)| a.abs_diff(*b)).collect();
            assert!(off.iter().all(|d| *d <= 1), "{fmt:?} off by more than one");
            let exact = off.iter().filter(|d| **d == 0).count();
            assert!(
                exact * 4 > out.len() * 3,
                "{fmt:?}: only {exact} of {} exact",
                out.len()
            );
        }
    }

    /// NVDEC's nv12 back to BGR: a frame converted to nv12 (BT.709) and back
    /// lands near where it started (4:2:0 blurs colour edges, not flat areas);
    /// read as BT.601 instead, colours move.
    #[test]
    fn nv12_comes_back_as_the_frame_it_was() {
        let (w, h) = (64u32, 36u32);
        let mut frame = Frame::new(w, h);
        frame
            .data
            .chunks_exact_mut(3)
            .for_each(|p| p.copy_from_slice(&[40, 160, 220]));
        let mut nv12 = Vec::new();
        PixFmt::Nv12.convert(&frame, &mut nv12);
        let mut back = vec![0u8; frame.data.len()];
        nv12_to_bgr(&nv12, w, h, true, &mut back);
        assert!(back
            .iter()
            .zip(&frame.data)
            .all(|(a, b)| a.abs_diff(*b) <= 2));
        nv12_to_bgr(&nv12, w, h, false, &mut back);
        assert!(back
            .iter()
            .zip(&frame.data)
            .any(|(a, b)| a.abs_diff(*b) > 4));
    }
}
