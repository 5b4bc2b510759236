//! The guide's tables, measured: visualizer comparison, presets, components per
//! 100 frames, the environment and fallbacks, and results across machines.

use super::stages::Stage;
use super::{ok_cases, Input, Section, Table};
use crate::results::{label, CaseResult, CaseStatus, Mode, Sink};

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
        // Results before the ceiling read the clip's own frames used testsrc2.
        Mode::EncoderCeiling
            if c.command
                .as_deref()
                .is_some_and(|cmd| cmd.contains("testsrc2")) =>
        {
            format!("FFmpeg testsrc2, {enc}, no pipe")
        }
        Mode::EncoderCeiling => format!("FFmpeg reading the same frames itself, {enc}, no pipe"),
        Mode::PipeCeiling => format!(
            "FFmpeg pipe, one {} frame passed on unencoded (-c:v copy), no overlay",
            c.pix_fmt.map_or("?", |f| f.name())
        ),
    }
}

/// First case of each mode (the first codec and preset asked for), all overlay-only styles.
pub fn primary_cases(input: &Input) -> Vec<&CaseResult> {
    let mut out = Vec::new();
    for mode in Mode::REPORT_ORDER {
        let of_mode = input.results.cases.iter().filter(|c| c.mode == mode);
        if mode == Mode::OverlayOnly {
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

pub fn performance(input: &Input, suffix: &str) -> Section {
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
            (m, _) => m.to_string(),
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

fn id_suffix(input: &Input) -> String {
    format!(
        "-{}",
        input
            .label
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
    )
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

fn opt(v: Option<f64>, digits: usize) -> String {
    v.filter(|x| x.is_finite())
        .map_or("-".into(), |x| format!("{x:.digits$}"))
}

pub fn presets(input: &Input, suffix: &str) -> Section {
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

/// The case whose stages stand for "the visualizer": nvenc, else native, else fast.
pub fn visualizer_case(input: &Input) -> Option<&CaseResult> {
    [Mode::Nvenc, Mode::Native, Mode::Fast, Mode::Original]
        .iter()
        .find_map(|m| ok_cases(&input.results).find(|c| c.mode == *m))
}

pub fn components(input: &Input, user: &[Stage], suffix: &str) -> Section {
    let mut t = Table::new(
        format!("components{}", id_suffix(input)),
        format!("Components (time per 100 frames){suffix}"),
        &["Component", "Time (100 frames)", "FPS"],
    );
    let row = |t: &mut Table, name: String, seconds_per_frame: f64| {
        let fps = if seconds_per_frame > 0.0 {
            format!("{:.1}", 1.0 / seconds_per_frame)
        } else {
            "-".into()
        };
        t.row(vec![
            name,
            format!("{:.2}s", seconds_per_frame * 100.0),
            fps,
        ]);
    };
    for s in user {
        row(
            &mut t,
            format!("{} (declared)", s.name),
            s.seconds_per_frame,
        );
    }
    let mut paragraphs = Vec::new();
    if let Some(c) = visualizer_case(input) {
        if let Some(s) = &c.stages_ms_per_frame {
            let label = format!("{} visualizer", c.mode);
            for (name, ms) in [
                ("input (read frame)", s.input),
                ("overlay", s.overlay),
                ("colour conversion", s.conversion),
                ("encode (pipe write + finalize)", s.write + s.finalize),
            ] {
                // A stage this visualizer does not have (no colour conversion) is not a row.
                if ms >= 0.001 {
                    row(&mut t, format!("{label}: {name}"), ms / 1000.0);
                }
            }
        }
        paragraphs.push(format!(
            "Stages of the `{}` case ({}); declared stages come from `--stage`.",
            c.id,
            label::encoder(c)
        ));
    }
    for mode in [Mode::Original, Mode::Fast, Mode::Nvenc, Mode::Native] {
        if let Some(c) = ok_cases(&input.results).find(|c| c.mode == mode) {
            let fps = c.fps.map_or(0.0, |f| f.mean);
            if fps > 0.0 {
                let name = if c.encoder.is_fallback() {
                    format!(
                        "{} visualizer, end to end ({})",
                        capitalize(mode),
                        label::encoder(c)
                    )
                } else {
                    format!("{} visualizer, end to end", capitalize(mode))
                };
                row(&mut t, name, 1.0 / fps);
            }
        }
    }
    Section {
        title: format!("Components{suffix}"),
        paragraphs,
        tables: vec![t],
        charts: Vec::new(),
    }
}

/// The guide's names for its visualizers.
fn capitalize(mode: Mode) -> String {
    match mode {
        Mode::Nvenc => "NVENC".into(),
        m => {
            let mut c = m.name().chars();
            c.next()
                .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
        }
    }
}

pub fn environment(inputs: &[Input]) -> Section {
    let mut headers = vec!["".to_string()];
    headers.extend(inputs.iter().map(|i| i.label.clone()));
    let mut t = Table {
        id: "environment".into(),
        title: "Environment".into(),
        headers,
        rows: Vec::new(),
    };
    let field = |name: &str, f: &dyn Fn(&Input) -> String| {
        let mut row = vec![name.to_string()];
        row.extend(inputs.iter().map(f));
        row
    };
    let e = |i: &Input| i.results.environment.clone();
    t.rows.push(field("CPU", &|i| e(i).host.cpu_model));
    t.rows
        .push(field("cores", &|i| e(i).host.logical_cores.to_string()));
    t.rows.push(field("memory (MiB)", &|i| {
        e(i).host
            .memory_total_mib
            .map_or("?".into(), |m| m.to_string())
    }));
    t.rows.push(field("OS", &|i| e(i).host.os));
    t.rows.push(field("GPU", &|i| {
        if e(i).gpus.is_empty() {
            "none".into()
        } else {
            e(i).gpus.join(", ")
        }
    }));
    t.rows.push(field("NVIDIA driver", &|i| {
        e(i).nvidia_driver.unwrap_or_else(|| "-".into())
    }));
    t.rows.push(field("CUDA", &|i| {
        e(i).cuda_driver.unwrap_or_else(|| "-".into())
    }));
    t.rows.push(field("ffmpeg", &|i| {
        e(i).ffmpeg_version.unwrap_or_else(|| "not found".into())
    }));
    t.rows.push(field("OpenCV", &|i| {
        e(i).opencv_version.unwrap_or_else(|| "not built".into())
    }));
    t.rows.push(field("nvviz-bench", &|i| {
        format!("{} ({})", e(i).tool_version, e(i).git_commit)
    }));
    t.rows.push(field("complete", &|i| {
        if i.results.incomplete {
            "no (interrupted or failed)".into()
        } else {
            "yes".into()
        }
    }));

    let mut fb = Table::new(
        "fallbacks",
        "Fallbacks",
        &["Results", "Case", "Requested", "Used", "Cause", "Reason"],
    );
    for input in inputs {
        for c in &input.results.cases {
            if let Some(f) = &c.encoder.fallback {
                fb.row(vec![
                    input.label.clone(),
                    c.id.clone(),
                    f.from.clone(),
                    c.encoder.used_or_requested().to_string(),
                    f.cause.kind().into(),
                    f.cause.to_string(),
                ]);
            }
        }
    }
    let mut paragraphs = Vec::new();
    if !fb.rows.is_empty() {
        paragraphs.push(format!(
            "**{} case(s) fell back from the encoder they asked for.** Their numbers are the fallback \
             encoder's (usually a CPU encoder), not NVENC's — see the Fallbacks table.",
            fb.rows.len()
        ));
    } else {
        paragraphs.push("No case fell back: every encoder ran as requested.".into());
    }
    let mut tables = vec![t];
    if !fb.rows.is_empty() {
        tables.push(fb);
    }
    Section {
        title: "Environment".into(),
        paragraphs,
        tables,
        charts: Vec::new(),
    }
}

pub fn across_machines(inputs: &[Input]) -> Section {
    let mut headers = vec!["Case".to_string()];
    headers.extend(inputs.iter().map(|i| i.label.clone()));
    let mut t = Table {
        id: "across-machines".into(),
        title: "Across machines (fps)".into(),
        headers,
        rows: Vec::new(),
    };
    let mut ids: Vec<&str> = Vec::new();
    for input in inputs {
        for c in &input.results.cases {
            if !ids.contains(&c.id.as_str()) {
                ids.push(&c.id);
            }
        }
    }
    for id in ids {
        let mut row = vec![id.to_string()];
        for input in inputs {
            row.push(match input.results.cases.iter().find(|c| c.id == id) {
                Some(c) if c.encoder.is_fallback() && c.is_ok() => {
                    format!("{} [{}]", label::fps(c), label::encoder_short(c))
                }
                Some(c) => label::outcome(c),
                None => "-".into(),
            });
        }
        t.rows.push(row);
    }
    let machines: Vec<String> = inputs
        .iter()
        .map(|i| {
            let e = &i.results.environment;
            format!(
                "`{}`: {} ({} cores){}",
                i.label,
                e.host.cpu_model,
                e.host.logical_cores,
                if e.gpus.is_empty() {
                    String::new()
                } else {
                    format!(", {}", e.gpus.join(", "))
                }
            )
        })
        .collect();
    Section {
        title: "Across machines".into(),
        paragraphs: vec![
            machines.join("; "),
            "Cells in [brackets] name the encoder that actually ran after a fallback.".into(),
        ],
        tables: vec![t],
        charts: Vec::new(),
    }
}
