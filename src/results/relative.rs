//! In-run ratios: each case's fps relative to a reference case measured in the
//! same rounds (`bench --interleave` runs every case's run *i* in round *i*), so
//! that a machine that is 20 % slower this hour, or another machine of the same
//! type, moves both and leaves the ratio. The CI gate can judge these
//! (`compare --metric ratio`) where absolute fps on a shared runner cannot.
//!
//! References, chosen so that each ratio isolates one part of the path:
//! - `nvenc`, `native` → `encode-only` of the same encoder, preset, pipe format
//!   and streams: what drawing adds on top of the pipe and encoder;
//! - `encode-only`, `encode-to-null` → `encoder-ceiling` of the same encoder,
//!   preset and format: what the pipe (and the disk) cost the encoder;
//! - `original`, `fast` → `overlay-only` of the style that drew: what the writer
//!   adds to the drawing;
//! - `overlay-only` of another style → `overlay-only` native;
//! - `pipe-ceiling` → the guide's transport (bgr24 written into the kernel's
//!   default pipe): what a format, a pipe size and vmsplice each gain;
//! - a user's command → the first `encoder-ceiling` case: its fps as a share
//!   of what this machine's encoder does alone, gated on a noisy runner.

use serde::{Deserialize, Serialize};

use super::stats::Summary;
use super::{CaseResult, Mode, PipeOptions, StyleKind};
use crate::pixfmt::PixFmt;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relative {
    /// The reference case's id.
    pub reference: String,
    /// This case's fps over the reference's, one value per round.
    pub ratio: Summary,
}

fn same_encode(a: &CaseResult, b: &CaseResult) -> bool {
    a.encoder.requested == b.encoder.requested
        && a.preset.requested == b.preset.requested
        && a.pix_fmt == b.pix_fmt
}

/// The case `c` is measured against, if the file has it.
pub fn reference<'a>(c: &CaseResult, cases: &'a [CaseResult]) -> Option<&'a CaseResult> {
    cases.iter().find(|r| match (c.mode, r.mode) {
        (Mode::Nvenc | Mode::Native, Mode::EncodeOnly) => {
            same_encode(c, r) && c.sessions == r.sessions
        }
        (Mode::EncodeOnly | Mode::EncodeToNull, Mode::EncoderCeiling) => {
            same_encode(c, r) && c.sessions == 1
        }
        (Mode::Original | Mode::Fast, Mode::OverlayOnly) => r.overlay == c.overlay,
        (Mode::OverlayOnly, Mode::OverlayOnly) => {
            c.overlay != Some(StyleKind::Native) && r.overlay == Some(StyleKind::Native)
        }
        (Mode::PipeCeiling, Mode::PipeCeiling) => {
            let guide = |x: &CaseResult| {
                x.pix_fmt == Some(PixFmt::Bgr24) && x.pipe == Some(PipeOptions::GUIDE)
            };
            guide(r) && !guide(c)
        }
        (Mode::Command, Mode::EncoderCeiling) => true,
        // The GPU path against NVDEC's own decode of the same video, where
        // both ran on the same side (the GPU, or the CPU fallback).
        (Mode::GpuResident | Mode::CompositeCeiling, Mode::NvdecCeiling) => {
            let on_gpu = |x: &CaseResult| x.gpu_path.as_ref().map(|p| p.on_gpu);
            on_gpu(c) == on_gpu(r) && r.sessions == 1
        }
        _ => false,
    })
}

/// `c`'s fps over `r`'s, run by run (round by round when interleaved), where both ran.
pub fn per_round(c: &CaseResult, r: &CaseResult) -> Option<Summary> {
    if !c.is_ok() || !r.is_ok() {
        return None;
    }
    let ratios: Vec<f64> = c
        .runs
        .iter()
        .zip(&r.runs)
        .filter(|(a, b)| a.fps > 0.0 && b.fps > 0.0)
        .map(|(a, b)| a.fps / b.fps)
        .collect();
    Summary::of(&ratios)
}

/// Sets `relative` on every case whose reference ran in the same rounds.
/// Only for interleaved runs: otherwise run *i* of two cases were minutes apart.
pub fn attach(cases: &mut [CaseResult]) {
    let ratios: Vec<Option<Relative>> = cases
        .iter()
        .map(|c| {
            let r = reference(c, cases)?;
            Some(Relative {
                reference: r.id.clone(),
                ratio: per_round(c, r)?,
            })
        })
        .collect();
    for (c, ratio) in cases.iter_mut().zip(ratios) {
        c.relative = ratio;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Results;

    #[test]
    fn each_case_is_divided_by_its_reference_round_by_round() {
        let text = include_str!("../../tests/fixtures/results/h100-bench.json");
        let mut results = Results::from_json(text).unwrap();
        attach(&mut results.cases);
        let by_id = |id: &str| results.cases.iter().find(|c| c.id == id).unwrap();
        let nvenc = by_id("nvenc/native/h264_nvenc/p1");
        let rel = nvenc.relative.as_ref().unwrap();
        assert_eq!(rel.reference, "encode-only/none/h264_nvenc/p1");
        let reference = by_id(&rel.reference);
        let expected: Vec<f64> = nvenc
            .runs
            .iter()
            .zip(&reference.runs)
            .map(|(a, b)| a.fps / b.fps)
            .collect();
        assert_eq!(rel.ratio, Summary::of(&expected).unwrap());
        assert_eq!(rel.ratio.n, nvenc.runs.len());
        // encode-only over the encoder's ceiling; a style over the native one.
        assert_eq!(
            by_id("encode-only/none/h264_nvenc/p1")
                .relative
                .as_ref()
                .unwrap()
                .reference,
            "encoder-ceiling/none/h264_nvenc/p1"
        );
        assert_eq!(
            by_id("overlay-only/pillow/null")
                .relative
                .as_ref()
                .unwrap()
                .reference,
            "overlay-only/native/null"
        );
        // The reference itself, and cases whose reference did not run, have none.
        assert!(by_id("overlay-only/native/null").relative.is_none());
        assert!(by_id("encoder-ceiling/none/h264_nvenc/p1")
            .relative
            .is_none());
        assert!(by_id("overlay-only/opencv/null").relative.is_none());
    }
}
