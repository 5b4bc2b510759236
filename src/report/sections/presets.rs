//! The guide's preset selection, measured: speed, bitrate, size and quality per
//! codec and preset, with the preset names a fallback encoder really used.

use crate::report::select::{id_suffix, opt, output_mbps, preset_cases};
use crate::report::{Input, Section, Table};
use crate::results::label;

pub fn section(input: &Input, suffix: &str) -> Section {
    let cases = preset_cases(input);
    let mut t = Table::new(
        format!("presets{}", id_suffix(input)),
        format!("Preset selection{suffix}"),
        &[
            "Codec",
            "Preset",
            "Encoder (preset)",
            "FPS",
            "Encode ms/frame",
            "Bitrate (Mbit/s)",
            "Size (MB)",
            "PSNR (dB)",
            "SSIM",
            "VMAF",
        ],
    );
    for c in &cases {
        let stages = c.stages_ms_per_frame.as_ref();
        let q = c.quality.as_ref();
        let size = c.verified.as_ref().map(|v| v.bytes as f64 / 1e6);
        t.row(vec![
            c.codec.clone().unwrap_or_default(),
            c.preset.requested.clone().unwrap_or_default(),
            format!(
                "{} ({})",
                label::encoder(c),
                c.preset.used.as_deref().unwrap_or("-")
            ),
            label::fps(c),
            opt(stages.map(|s| s.write + s.finalize), 2),
            opt(output_mbps(c), 2),
            opt(size, 2),
            opt(q.and_then(|q| q.psnr_db), 2),
            opt(q.and_then(|q| q.ssim), 4),
            opt(q.and_then(|q| q.vmaf), 2),
        ]);
    }
    let mut paragraphs = Vec::new();
    match cases.first() {
        None => paragraphs.push("No successful ffmpeg-pipe case in this file.".into()),
        Some(c) => {
            paragraphs.push(format!(
                "From the `{}` cases (the mode that isolates the encoder best among those run). \
                 Encode ms/frame is time blocked on the pipe plus ffmpeg's finalize, per timed frame.",
                c.mode
            ));
            if cases.iter().any(|c| c.encoder.is_fallback()) {
                paragraphs.push(
                    "**NVENC fell back here: these are CPU-encoder presets of the same speed rank** \
                     (p1..p7 -> ultrafast..slow for x264/x265), not NVENC presets."
                        .into(),
                );
            }
            if cases.iter().all(|c| c.quality.is_none()) {
                paragraphs
                    .push("Quality was not measured: run `nvviz-bench bench --quality`.".into());
            } else if let Some(note) = cases
                .iter()
                .filter_map(|c| c.quality.as_ref()?.vmaf_note.clone())
                .next()
            {
                paragraphs.push(format!("VMAF: not measured ({note})."));
            }
        }
    }
    let has_quality = cases
        .iter()
        .any(|c| c.quality.as_ref().and_then(|q| q.psnr_db).is_some());
    Section {
        title: format!("Preset selection{suffix}"),
        paragraphs,
        tables: vec![t],
        charts: if has_quality {
            vec![(
                format!("presets{}.svg", id_suffix(input)),
                format!("Speed vs quality per preset{suffix}"),
            )]
        } else {
            Vec::new()
        },
    }
}
