//! The guide's visualizer comparison, measured: every mode's fps, its speedup
//! over `original`, the technology that ran (fallbacks named) and its use case.

use crate::report::select::{id_suffix, original_fps, primary_cases};
use crate::report::{Input, Section, Table};
use crate::results::{label, CaseResult, CaseStatus, CeilingInput, Mode};

fn use_case(mode: Mode) -> &'static str {
    match mode {
        Mode::Original => "Compatibility (the guide's reference)",
        Mode::Fast => "CPU-based speed",
        Mode::Nvenc => "GPU-accelerated (the guide's declared target: 80-150 fps)",
        Mode::Native => "Fastest overlay (nvviz-bench)",
        Mode::OverlayOnly => "Baseline: the overlay's cost",
        Mode::EncodeOnly => "Baseline: pipe + encoder cost",
        Mode::EncodeToNull => "Baseline: without disk writes",
        Mode::EncoderCeiling => "Baseline: the encoder's limit",
        Mode::PipeCeiling => "Baseline: the pipe's limit",
        Mode::GpuResident => "GPU-resident: the CPU out of the video path",
        Mode::CompositeCeiling => "Baseline: decode + GPU composite, no encoder",
        Mode::NvdecCeiling => "Baseline: NVDEC's own decode rate",
        Mode::Command => "Your visualizer, measured beside these",
    }
}

fn technology(c: &CaseResult) -> String {
    let enc = label::encoder(c);
    let overlay = label::overlay(c);
    let writer_stood_in = c.stand_in.as_ref().is_some_and(|s| s.writer_for.is_some());
    match c.mode {
        Mode::Original if writer_stood_in => {
            format!("Pillow-style RGBA compositing + FFmpeg pipe, {enc}")
        }
        Mode::Fast if writer_stood_in => format!("{overlay} drawing + FFmpeg pipe, {enc}"),
        Mode::Original => format!("Pillow-style RGBA compositing + OpenCV VideoWriter ({enc})"),
        Mode::Fast => format!("OpenCV drawing + OpenCV VideoWriter ({enc})"),
        Mode::Nvenc | Mode::Native => format!("{overlay} overlay + FFmpeg pipe, {enc}"),
        Mode::OverlayOnly => format!("{overlay} overlay, frames discarded"),
        Mode::EncodeOnly => format!("FFmpeg pipe, {enc}, no overlay"),
        Mode::EncodeToNull => format!("FFmpeg pipe, {enc}, output discarded"),
        Mode::EncoderCeiling => match c.ceiling_input {
            Some(CeilingInput::Testsrc2) => format!("FFmpeg testsrc2, {enc}, no pipe"),
            Some(CeilingInput::SameFrames) => {
                format!("FFmpeg reading the same frames itself, {enc}, no pipe")
            }
            None => format!("FFmpeg on its own, {enc}, no pipe"),
        },
        Mode::PipeCeiling => format!(
            "FFmpeg pipe, one {} frame passed on unencoded (-c:v copy), no overlay",
            c.pix_fmt.map_or("?", |f| f.name())
        ),
        Mode::GpuResident if label::nvenc_ran(c) => format!(
            "NVDEC decode, {overlay} layer composited on the GPU (overlay_cuda), {enc} from CUDA frames"
        ),
        Mode::GpuResident => format!(
            "NVDEC decode, {overlay} layer composited on the GPU (overlay_cuda), frames brought down once for {enc}"
        ),
        Mode::CompositeCeiling => {
            format!("NVDEC decode, {overlay} layer composited on the GPU, output discarded")
        }
        Mode::NvdecCeiling => "NVDEC decode alone, frames left on the GPU".into(),
        Mode::Command => format!("its own drawing and writer, written by {enc}"),
    }
}

pub fn section(input: &Input, suffix: &str) -> Section {
    let mut t = Table::new(
        format!("performance{}", id_suffix(input)),
        format!("Performance comparison{suffix}"),
        &[
            "Visualizer",
            "Technology",
            "Speed (FPS)",
            "vs original",
            "Use case",
        ],
    );
    let original = original_fps(input);
    let cases = primary_cases(input);
    for c in &cases {
        let speedup = match (original, &c.fps, &c.status) {
            (Some(o), Some(f), CaseStatus::Ok) if o > 0.0 => format!("{:.1}x", f.mean / o),
            _ => "-".into(),
        };
        let name = match (c.mode, c.overlay) {
            (Mode::OverlayOnly, Some(o)) => format!("overlay-only ({o})"),
            _ => label::mode(c),
        };
        t.row(vec![
            name,
            technology(c),
            label::outcome(c),
            speedup,
            use_case(c.mode).into(),
        ]);
    }
    let info = &input.results.workload;
    let mut paragraphs = vec![format!(
        "{}x{} @ {} fps, {} timed frames per run, {} persons; fps is wall-clock over the timed frames \
         (mean ± stddev over runs).",
        info.width, info.height, info.fps, info.frames, info.persons
    )];
    if original.is_none() {
        paragraphs.push(
            "No `original` case succeeded in this file, so there is no speedup column to fill."
                .into(),
        );
    }
    Section {
        title: format!("Performance comparison{suffix}"),
        paragraphs,
        tables: vec![t],
        charts: vec![(
            format!("fps{}.svg", id_suffix(input)),
            format!("Frames per second per mode{suffix}"),
        )],
    }
}
