//! Which cases each section reads, and the small formats they share: one
//! choice, so a table and its chart always show the same cases.

use super::{ok_cases, Input};
use crate::results::{CaseResult, Mode, Sink};

/// First case of each mode (the first codec and preset asked for), all overlay-only styles.
pub fn primary_cases(input: &Input) -> Vec<&CaseResult> {
    let mut out = Vec::new();
    for mode in Mode::REPORT_ORDER {
        let of_mode = input.results.cases.iter().filter(|c| c.mode == mode);
        // Each overlay style, and each user's command, is a row of its own.
        if mode == Mode::OverlayOnly || mode == Mode::Command {
            out.extend(of_mode);
        } else if let Some(first) = of_mode.into_iter().next() {
            out.push(first);
        }
    }
    out
}

pub fn original_fps(input: &Input) -> Option<f64> {
    ok_cases(&input.results)
        .find(|c| c.mode == Mode::Original)
        .and_then(|c| c.fps.map(|f| f.mean))
}

/// Pipe cases that isolate the encoder best: encode-only, else native, else nvenc.
pub fn preset_cases(input: &Input) -> Vec<&CaseResult> {
    for mode in [Mode::EncodeOnly, Mode::Native, Mode::Nvenc] {
        let cases: Vec<&CaseResult> = ok_cases(&input.results)
            .filter(|c| c.mode == mode && c.sink == Sink::FfmpegPipe)
            .collect();
        if !cases.is_empty() {
            return cases;
        }
    }
    Vec::new()
}

pub fn output_mbps(c: &CaseResult) -> Option<f64> {
    c.verified.as_ref()?.mbps(c.fps_target)
}

/// The case whose stages stand for "the visualizer": nvenc, else native, else fast.
pub fn visualizer_case(input: &Input) -> Option<&CaseResult> {
    [Mode::Nvenc, Mode::Native, Mode::Fast, Mode::Original]
        .iter()
        .find_map(|m| ok_cases(&input.results).find(|c| c.mode == *m))
}

pub fn id_suffix(input: &Input) -> String {
    format!(
        "-{}",
        input
            .label
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
    )
}

pub fn opt(v: Option<f64>, digits: usize) -> String {
    v.filter(|x| x.is_finite())
        .map_or("-".into(), |x| format!("{x:.digits$}"))
}
