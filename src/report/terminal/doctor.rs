//! `doctor`'s answer as tables for people: ffmpeg, NVENC API, the GPUs
//! (NVML), OpenCV, the trial encodes and the verdict.

use comfy_table::{Cell, Color, Table};

use crate::probe::decode_trial::DecodeOutcome;
use crate::probe::gpu::GpuProbe;
use crate::probe::opencv::OpenCvProbe;
use crate::probe::trial::TrialOutcome;
use crate::probe::{DoctorReport, FfmpegProbe};

/// The human-readable report.
pub fn render(report: &DoctorReport, verbose: bool) -> String {
    let mut out = String::new();
    let h = &report.host;
    out.push_str(&format!(
        "nvviz-bench doctor {} (commit {}) on {} ({} cores, {}) in {:.1} s\n\n",
        report.tool_version,
        report.git_commit,
        h.cpu_model,
        h.logical_cores,
        h.os,
        report.elapsed_seconds
    ));
    if let Some(c) = &report.container {
        out.push_str(&format!(
            "In a {} container; {}={}\n\n",
            c.runtime.name(),
            crate::probe::container::CAPABILITIES_VAR,
            c.driver_capabilities
                .as_deref()
                .unwrap_or("unset (the runtime's default: compute,utility)")
        ));
    }
    section(&mut out, "ffmpeg", ffmpeg_table(report));
    section(&mut out, "NVIDIA GPU (NVML)", gpu_table(report));
    section(&mut out, "OpenCV", opencv_table(&report.opencv));
    if !report.trials.is_empty() {
        section(
            &mut out,
            "Trial encodes (raw bgr24 on stdin, the guide's arguments)",
            trials_table(report, verbose),
        );
    }
    if !report.decode_trials.is_empty() {
        section(
            &mut out,
            "Trial decodes on NVDEC (-hwaccel cuda, frames kept on the GPU)",
            decode_table(report, verbose),
        );
    }
    section(&mut out, "Verdict", verdict_table(report));
    for line in &report.verdict.summary {
        out.push_str(&format!("{line}\n"));
    }
    if !report.verdict.next_steps.is_empty() {
        out.push_str("\nNext steps:\n");
        for step in &report.verdict.next_steps {
            out.push_str(&format!("  - {step}\n"));
        }
    }
    out
}

fn section(out: &mut String, title: &str, table: Table) {
    out.push_str(&format!("{title}\n{table}\n\n"));
}

fn new_table(header: &[&str]) -> Table {
    super::styled_table(header)
}

fn good(text: impl Into<String>, ok: bool) -> Cell {
    Cell::new(text.into()).fg(if ok { Color::Green } else { Color::Red })
}

fn ffmpeg_table(report: &DoctorReport) -> Table {
    let mut t = new_table(&[]);
    match &report.ffmpeg {
        FfmpegProbe::Missing { failure } => {
            t.add_row(vec![Cell::new("binary"), good(failure.to_string(), false)]);
            t.add_row(vec!["fix".to_string(), failure.fix()]);
        }
        FfmpegProbe::Found { binary, info } => {
            t.add_row(vec![
                "binary".to_string(),
                format!("{} (from {:?})", binary.path.display(), binary.source).to_lowercase(),
            ]);
            t.add_row(vec!["version", &info.version]);
            t.add_row(vec![
                "NVENC in build".to_string(),
                format!("{:?}", info.nvenc_build).to_lowercase(),
            ]);
            let listed: Vec<&str> = info.encoders.iter().map(|e| e.name.as_str()).collect();
            t.add_row(vec![
                "encoders".to_string(),
                if listed.is_empty() {
                    "none of interest".into()
                } else {
                    listed.join(", ")
                },
            ]);
            if let Some(opts) = &info.h264_nvenc_options {
                t.add_row(vec![
                    "h264_nvenc presets".to_string(),
                    opts.presets.join(" "),
                ]);
                t.add_row(vec!["h264_nvenc tunes".to_string(), opts.tunes.join(" ")]);
            }
            t.add_row(vec![
                "libvmaf".to_string(),
                if info.has_libvmaf() { "yes" } else { "no" }.to_string(),
            ]);
        }
    }
    let api = &report.nvenc_api;
    if let Some(need) = api.ffmpeg_needs {
        let offers = match (&api.driver_offers, &api.driver_version) {
            (Some(o), Some(d)) => format!("driver {d} offers {o}"),
            (Some(o), None) => format!("driver offers {o}"),
            (None, Some(d)) => format!("driver {d}: API unknown"),
            (None, None) => "no NVIDIA driver".into(),
        };
        let text = format!(
            "ffmpeg needs {need} ({}); {offers}",
            api.basis.unwrap_or("?")
        );
        t.add_row(vec![
            Cell::new("NVENC API"),
            good(text, api.compatible != Some(false)),
        ]);
    }
    t
}

fn gpu_table(report: &DoctorReport) -> Table {
    let mut t = new_table(&[]);
    match &report.gpu {
        GpuProbe::NoDriver { detail } => {
            t.add_row(vec![
                Cell::new("NVML"),
                good(format!("no NVIDIA driver: {detail}"), false),
            ]);
        }
        GpuProbe::Error { detail } => {
            t.add_row(vec![
                Cell::new("NVML"),
                good(format!("error: {detail}"), false),
            ]);
        }
        GpuProbe::Found {
            driver_version,
            cuda_driver_version,
            gpus,
        } => {
            t.add_row(vec!["driver".to_string(), driver_version.clone()]);
            t.add_row(vec![
                "CUDA driver API".to_string(),
                cuda_driver_version.clone().unwrap_or_else(|| "?".into()),
            ]);
            if gpus.is_empty() {
                t.add_row(vec!["GPUs", "none"]);
            }
            for g in gpus {
                let opt = |v: Option<u32>| v.map_or("n/a".to_string(), |v| v.to_string());
                t.add_row(vec![
                    format!("GPU {}", g.index),
                    format!(
                        "{} [{}] {}\nmemory {} / {} MiB; video clock {} / {} MHz\nNVML encoder capacity: H.264 {}, HEVC {}\nencoder sessions {}, {} fps, {} us latency, utilization {}%\ndecoder (NVDEC) utilization {}%\nNVENC hardware (model table): {}",
                        g.name,
                        g.architecture.as_deref().unwrap_or("?"),
                        g.uuid.as_deref().unwrap_or(""),
                        g.memory_used_mib.map_or("?".into(), |m| m.to_string()),
                        g.memory_total_mib.map_or("?".into(), |m| m.to_string()),
                        opt(g.video_clock_mhz),
                        opt(g.video_clock_max_mhz),
                        opt(g.encoder_capacity_h264),
                        opt(g.encoder_capacity_hevc),
                        opt(g.encoder_sessions),
                        opt(g.encoder_average_fps),
                        opt(g.encoder_average_latency_us),
                        opt(g.encoder_utilization_percent),
                        opt(g.decoder_utilization_percent),
                        format!("{:?}", g.nvenc_hardware).to_lowercase()
                    ),
                ]);
                for s in &g.active_sessions {
                    t.add_row(vec![
                        "  session".to_string(),
                        format!(
                            "pid {} {} {} {} fps {} us",
                            s.pid, s.codec, s.resolution, s.average_fps, s.average_latency_us
                        ),
                    ]);
                }
            }
        }
    }
    for lib in &report.driver_libraries {
        let text = if lib.loadable {
            "loadable".to_string()
        } else {
            "not loadable".to_string()
        };
        t.add_row(vec![Cell::new(&lib.library), good(text, lib.loadable)]);
    }
    t
}

fn opencv_table(opencv: &OpenCvProbe) -> Table {
    let mut t = new_table(&[]);
    match opencv {
        OpenCvProbe::NotBuilt => {
            t.add_row(vec![
                Cell::new("OpenCV"),
                good("built without OpenCV (--no-default-features)", false),
            ]);
        }
        OpenCvProbe::Error { detail } => {
            t.add_row(vec![
                Cell::new("OpenCV"),
                good(format!("error: {detail}"), false),
            ]);
        }
        OpenCvProbe::Available {
            version,
            ffmpeg_backend,
            writers,
        } => {
            t.add_row(vec!["version", version]);
            t.add_row(vec![
                Cell::new("videoio FFMPEG backend"),
                good(if *ffmpeg_backend { "yes" } else { "no" }, *ffmpeg_backend),
            ]);
            for w in writers {
                let text = match (&w.detail, w.frames_read_back) {
                    (None, Some(n)) => format!("wrote and read back {n} frames"),
                    (Some(d), _) => d.clone(),
                    (None, None) => "?".into(),
                };
                t.add_row(vec![
                    Cell::new(format!("VideoWriter {} (.{})", w.fourcc, w.container)),
                    good(text, w.ok),
                ]);
            }
        }
    }
    t
}

/// The encoder, and the GPU it was tried on where NVML lists one.
fn trial_name(trial: &crate::probe::trial::TrialResult) -> String {
    match &trial.gpu {
        Some(gpu) => format!("{}\non {gpu}", trial.encoder),
        None => trial.encoder.clone(),
    }
}

fn trials_table(report: &DoctorReport, verbose: bool) -> Table {
    let mut t = new_table(&["encoder", "result", "seconds", "cause", "fix"]);
    for trial in &report.trials {
        match &trial.outcome {
            TrialOutcome::Ok { frames, bytes } => {
                t.add_row(vec![
                    Cell::new(trial_name(trial)),
                    good("ok", true),
                    Cell::new(format!("{:.2}", trial.seconds)),
                    Cell::new(format!("{frames} frames decoded back, {bytes} bytes")),
                    Cell::new(""),
                ]);
            }
            TrialOutcome::Failed { failure } => {
                let mut cause = crate::probe::verdict::explain(failure, &report.gpu);
                if verbose {
                    if let crate::results::failure::EncodeFailure::Unknown { last_lines, .. }
                    | crate::results::failure::EncodeFailure::BrokenPipe {
                        last_lines, ..
                    } = failure
                    {
                        cause.push_str(&format!("\n{}", last_lines.join("\n")));
                    }
                }
                t.add_row(vec![
                    Cell::new(trial_name(trial)),
                    good(failure.kind(), false),
                    Cell::new(format!("{:.2}", trial.seconds)),
                    Cell::new(cause),
                    Cell::new(failure.fix()),
                ]);
            }
        }
        if verbose {
            t.add_row(vec!["", "command", "", &trial.command, ""]);
        }
    }
    t
}

/// A decode trial's result, what happened and its fix.
fn outcome_cells(outcome: &DecodeOutcome, made: &str, how: &str) -> (Cell, String, String) {
    match outcome {
        DecodeOutcome::Ok { frames } => (
            good("ok", true),
            format!("{frames} frames of a {made} clip decoded on NVDEC, {how}"),
            String::new(),
        ),
        DecodeOutcome::Failed { failure } => (
            good(failure.kind(), false),
            failure.to_string(),
            failure.fix(),
        ),
        DecodeOutcome::NotTried { detail } => {
            (good("not tried", false), detail.clone(), String::new())
        }
    }
}

fn decode_table(report: &DoctorReport, verbose: bool) -> Table {
    let d = report
        .ffmpeg
        .found()
        .and_then(|(_, info)| info.decode.as_ref());
    let mut t = new_table(&["codec", "result", "seconds", "what happened", "fix"]);
    for trial in &report.decode_trials {
        let listed = d.is_some_and(|d| {
            d.cuvid_decoders
                .iter()
                .any(|c| c == &format!("{}_cuvid", trial.codec))
        });
        let made = trial.made_with.as_deref().unwrap_or("-");
        let (result, what, fix) = outcome_cells(&trial.outcome, made, "through ffmpeg");
        let what = if listed {
            what
        } else {
            format!(
                "{what}
(this ffmpeg lists no {}_cuvid)",
                trial.codec
            )
        };
        t.add_row(vec![
            Cell::new(trial.codec),
            result,
            Cell::new(format!("{:.2}", trial.seconds)),
            Cell::new(what),
            Cell::new(fix),
        ]);
        if verbose && !trial.command.is_empty() {
            t.add_row(vec!["", "command", "", &trial.command, ""]);
        }
        if let Some(outcome) = &trial.in_process {
            let (result, what, fix) = outcome_cells(outcome, made, "driven in this process");
            t.add_row(vec![
                Cell::new(format!("{} in-process", trial.codec)),
                result,
                Cell::new(""),
                Cell::new(what),
                Cell::new(fix),
            ]);
        }
    }
    if let Some(missing) = d.map(|d| d.missing_filters()).filter(|m| !m.is_empty()) {
        t.add_row(vec![
            Cell::new("composite"),
            good("filter_not_compiled", false),
            Cell::new(""),
            Cell::new(format!(
                "no {}: the gpu-resident modes run on the CPU",
                missing.join(", ")
            )),
            Cell::new(
                crate::results::failure::EncodeFailure::FilterNotCompiled {
                    filter: missing[0].into(),
                }
                .fix(),
            ),
        ]);
    }
    t
}

fn verdict_table(report: &DoctorReport) -> Table {
    let mut t = new_table(&["guide mode", "writes video with", "note"]);
    for m in &report.verdict.modes {
        t.add_row(vec![
            Cell::new(m.mode),
            good(
                m.path.clone().unwrap_or_else(|| "nothing works".into()),
                m.path.is_some(),
            ),
            Cell::new(&m.note),
        ]);
    }
    t
}
