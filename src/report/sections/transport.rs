//! The pipe's ceiling: what raw frames through ffmpeg's stdin can carry on this
//! machine, per pipe format and transport step, held against what one NVENC
//! engine is declared to encode. The guide's "80–150 fps" is often this number.

use super::headroom::{PUBLISHED, SOURCE};
use crate::pixfmt::PixFmt;
use crate::report::{ok_cases, Input, Section, Table};
use crate::results::{label, CaseResult, Mode, PipeOptions};

/// NVIDIA's declared 1080p H.264 P1 range per engine (lowest and highest architecture).
fn declared_p1() -> (f64, f64) {
    let p1 = PUBLISHED
        .iter()
        .filter(|(_, codec, preset, _)| *codec == "h264" && *preset == "p1")
        .map(|x| x.3);
    let lo = p1.clone().fold(f64::INFINITY, f64::min);
    let hi = p1.fold(0.0, f64::max);
    (lo, hi)
}

fn is_guide(c: &CaseResult) -> bool {
    c.pipe == Some(PipeOptions::GUIDE)
}

/// The pipe's ceiling per format and transport step, with its ratio to the guide's.
fn table(input: &Input, cases: &[&CaseResult], suffix: &str) -> Table {
    let mut t = Table::new(
        format!("transport-{}", input.label),
        format!("What the pipe carries, no encoder{suffix}"),
        &[
            "Pipe format",
            "Transport (as the kernel gave it)",
            "fps",
            "MB/s",
            "× the guide's transport (bgr24, write, default pipe), same rounds",
        ],
    );
    for c in cases {
        let bytes = c.pix_fmt.map_or(0, |f| f.frame_bytes(c.width, c.height)) as f64;
        let fps = c.fps.map_or(0.0, |f| f.mean);
        let ratio = c.relative.as_ref().map_or_else(
            || {
                if is_guide(c) && c.pix_fmt == Some(PixFmt::Bgr24) {
                    "1 (the reference)".to_string()
                } else {
                    "- (run with --interleave)".to_string()
                }
            },
            |r| format!("{:.2} ± {:.2}", r.ratio.mean, r.ratio.stddev),
        );
        t.row(vec![
            c.pix_fmt.map_or("?".into(), |f| f.name().to_string()),
            label::transport(c).unwrap_or_default(),
            label::fps(c),
            format!("{:.0}", fps * bytes / 1e6),
            ratio,
        ]);
    }
    t
}

pub fn section(input: &Input, suffix: &str) -> Section {
    let results = &input.results;
    let cases: Vec<&CaseResult> = ok_cases(results)
        .filter(|c| c.mode == Mode::PipeCeiling)
        .collect();
    let title = format!("The pipe's ceiling{suffix}");
    if cases.is_empty() {
        return Section {
            title,
            paragraphs: vec![
                "Not measured in this file: `nvviz-bench bench --modes pipe-ceiling --pix-fmts bgr24,yuv420p,nv12 --interleave` \
                 measures what the pipe alone carries (ffmpeg passes the frames on unencoded), per format and transport step."
                    .into(),
            ],
            ..Section::default()
        };
    }
    let w = &results.workload;
    let t = table(input, &cases, suffix);
    let mut paragraphs = vec![format!(
        "One frame of {}x{}, made once, written {} times a run through the writer the encode modes use, into \
         `ffmpeg -f rawvideo … -i - -c:v copy -f null -`: no overlay, no conversion, no encoder. The steps change one \
         thing: write(2) into the kernel's default pipe (the guide's Python writer) or into a larger pipe (`--pipe-frames`, \
         what the kernel allowed is shown); vmsplice(2) (`--pipe-write`, the default) into each; the last, with the reading \
         ffmpeg's heap fixed (`--ffmpeg-heap`, the default: glibc's thresholds pinned through `GLIBC_TUNABLES`, so a \
         frame-sized packet is not a fresh mapping each frame).",
        w.width, w.height, w.frames
    )];
    let best = |fmt: PixFmt| {
        cases
            .iter()
            .filter(|c| c.pix_fmt == Some(fmt))
            .filter_map(|c| Some((c.fps?, *c)))
            .max_by(|a, b| a.0.mean.total_cmp(&b.0.mean))
    };
    let guide = cases
        .iter()
        .find(|c| is_guide(c) && c.pix_fmt == Some(PixFmt::Bgr24))
        .and_then(|c| c.fps);
    let (lo, hi) = declared_p1();
    if (w.width, w.height) == (1920, 1080) {
        if let Some(guide) = guide {
            let g = guide.mean;
            // Over the runs' whole range, not the mean alone: from the fastest
            // run against the slowest engine to the slowest run against the fastest.
            let idle = |fps: &crate::results::stats::Summary| {
                let (a, b) = ((1.0 - fps.max / lo).max(0.0), (1.0 - fps.min / hi).max(0.0));
                let runs = format!("its runs {:.0}–{:.0} fps", fps.min, fps.max);
                if b <= 0.0 {
                    format!("none of the time (the pipe outruns one engine; {runs})")
                } else {
                    format!("{:.0}–{:.0} % of the time ({runs})", 100.0 * a, 100.0 * b)
                }
            };
            let mut finding = format!(
                "**Finding**: with the guide's transport this machine's pipe carries {g:.0} fps of 1080p bgr24. \
                 One NVENC engine encodes 1080p H.264 at P1 at {lo:.0}–{hi:.0} fps (declared by NVIDIA, not measured \
                 here: {SOURCE}), so fed this way NVENC would sit idle {}, whatever the preset.",
                idle(&guide)
            );
            let formats = [PixFmt::Nv12, PixFmt::Yuv420p, PixFmt::Bgr0];
            if let Some((summary, c)) = formats
                .iter()
                .filter_map(|f| best(*f))
                .max_by(|a, b| a.0.mean.total_cmp(&b.0.mean))
            {
                let fps = summary.mean;
                finding.push_str(&format!(
                    " The best measured here, {} at {fps:.0} fps ({:.1}× the guide's), leaves it idle {}: send nv12 \
                     (NVENC's own input) or yuv420p, or bgr0 and let NVENC convert.",
                    label::pipe(c),
                    fps / g,
                    idle(&summary)
                ));
            }
            paragraphs.push(finding);
        }
    } else {
        paragraphs.push(format!(
            "NVIDIA declares {lo:.0}–{hi:.0} fps per engine for 1080p H.264 P1; this file measured {}x{}, so the \
             two are not set side by side.",
            w.width, w.height
        ));
    }
    Section {
        title,
        paragraphs,
        tables: vec![t],
        charts: Vec::new(),
    }
}
