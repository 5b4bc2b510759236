//! The one place where a case becomes words: its encoder, its fps, and the
//! series name under which exports, charts and history services file it. Every
//! name is built from what *ran* (`encoder.used`), so a CPU fallback can never
//! be filed under an NVENC name.

use super::{CaseResult, CaseStatus, StandIn, StyleKind};

/// "61.2 fps ± 0.3 with libx264 (fallback from h264_nvenc)", or the status and cause.
pub fn case_line(r: &CaseResult) -> String {
    match (&r.status, &r.fps) {
        (super::CaseStatus::Ok, Some(fps)) => format!(
            "{:.1} fps ± {:.1} with {}",
            fps.mean,
            fps.stddev,
            encoder(r),
        ),
        (status, _) => format!(
            "{status:?}: {}",
            r.reason
                .as_ref()
                .map(|v| format!("{} ({v})", v.cause()))
                .unwrap_or_default()
        ),
    }
}

/// "libx264 (fallback from h264_nvenc)", "mpeg4 via ffmpeg (for OpenCV's mp4v
/// writer: OpenCV not built)" — for tables, where there is room.
pub fn encoder(c: &CaseResult) -> String {
    encoder_named(c, false)
}

/// `encoder` with the fallback's cause: "libx264 (fallback from h264_nvenc:
/// no_nvenc_engine)", for exports read without the rest of the results.
pub fn encoder_with_cause(c: &CaseResult) -> String {
    encoder_named(c, true)
}

fn encoder_named(c: &CaseResult, with_cause: bool) -> String {
    let e = &c.encoder;
    if let (Some(used), Some(s)) = (e.used.as_ref().or(e.requested.as_ref()), &c.stand_in) {
        if let Some(fourcc) = &s.writer_for {
            return format!(
                "{used} via ffmpeg (for OpenCV's {fourcc} writer: {})",
                s.missing.describe()
            );
        }
    }
    match (&e.used, &e.fallback) {
        (Some(used), Some(fb)) if with_cause => {
            format!("{used} (fallback from {}: {})", fb.from, fb.cause.kind())
        }
        (Some(used), Some(fb)) => format!("{used} (fallback from {})", fb.from),
        (Some(used), None) => used.clone(),
        (None, _) => e.requested.clone().unwrap_or_else(|| "-".into()),
    }
}

/// "libx264 (fallback)", "mpeg4 (for opencv-mp4v)" — short, for chart bars
/// and series names.
pub fn encoder_short(c: &CaseResult) -> String {
    let used = c.encoder.used_or_requested();
    if c.encoder.is_fallback() {
        format!("{used} (fallback)")
    } else if let Some(fourcc) = c.stand_in.as_ref().and_then(|s| s.writer_for.as_ref()) {
        format!("{used} (for opencv-{fourcc})")
    } else {
        used.to_string()
    }
}

/// The mode, or the user's command by its name ("command mine").
pub fn mode(c: &CaseResult) -> String {
    match &c.user_command {
        Some(command) => format!("command {}", command.name),
        None => c.mode.name().to_string(),
    }
}

/// The style that drew, "native (for opencv)" when it stood in for another;
/// "none" when nothing was drawn ("its own" for a user's command).
pub fn overlay(c: &CaseResult) -> String {
    if c.user_command.is_some() {
        return "its own".into();
    }
    let drawn = c.overlay.map_or("none", StyleKind::name);
    match c.stand_in.as_ref().and_then(|s| s.overlay_for) {
        Some(for_style) => format!("{drawn} (for {for_style})"),
        None => drawn.to_string(),
    }
}

/// One sentence on what stood in for what, and why; for notes under tables,
/// `render`'s message and the exports' `stand_in` column.
pub fn stand_in(s: &StandIn, overlay: Option<StyleKind>, encoder: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let (Some(fourcc), Some(encoder)) = (&s.writer_for, encoder) {
        parts.push(format!(
            "ffmpeg's {encoder} with OpenCV's settings writes for OpenCV's {fourcc} writer"
        ));
    }
    if let (Some(for_style), Some(drawn)) = (s.overlay_for, overlay) {
        parts.push(format!("the {drawn} style draws for the {for_style} style"));
    }
    format!("{}: {}", s.missing.describe(), parts.join("; "))
}

/// `stand_in` for a case, if anything stood in.
pub fn case_stand_in(c: &CaseResult) -> Option<String> {
    let s = c.stand_in.as_ref()?;
    Some(stand_in(s, c.overlay, c.encoder.used.as_deref()))
}

/// "71.3 ± 2.1 (noisy)", "71.3" for one run, "-" when nothing was measured;
/// " (busy: 1.3 cores)" added when other processes ran during it, " (stolen:
/// 0.8 cores)" when the hypervisor ran other guests on its CPUs.
pub fn fps(c: &CaseResult) -> String {
    let flag = |cores: Option<f64>, what: &str| {
        cores.map_or(String::new(), |o| format!(" ({what}: {o:.1} cores)"))
    };
    let busy = flag(c.flagged_others(), "busy") + &flag(c.flagged_steal(), "stolen");
    match &c.fps {
        Some(f) if f.n > 1 => format!(
            "{:.1} ± {:.1}{}{busy}",
            f.mean,
            f.stddev,
            if f.is_noisy() { " (noisy)" } else { "" }
        ),
        Some(f) => format!("{:.1}{busy}", f.mean),
        None => "-".into(),
    }
}

/// How a case's frames crossed the pipe: "nv12, vmsplice, 1 MiB pipe"; "bgr24"
/// without a recorded transport; "-" without a pipe.
pub fn pipe(c: &CaseResult) -> String {
    if let Some(path) = &c.gpu_path {
        let (decode, composite) = if path.in_process {
            ("NVDEC in-process", "CUDA kernel")
        } else if path.on_gpu {
            ("NVDEC", "overlay_cuda")
        } else {
            ("CPU decode", "CPU overlay (no CUDA)")
        };
        return match c.pix_fmt {
            Some(_) if path.in_process => format!("{decode}, drawn regions, {composite}"),
            Some(pix) => format!("{decode}, {} layer, {composite}", pix.name()),
            None => decode.into(),
        };
    }
    match (c.pix_fmt, transport(c)) {
        (Some(pix), Some(t)) => format!("{}, {t}", pix.name()),
        (Some(pix), None) => pix.name().into(),
        (None, _) => "-".into(),
    }
}

/// The transport alone: "vmsplice, 1 MiB pipe", "write, default pipe (64 KiB)".
/// The capacity is what the kernel gave (the first run's), not what was asked.
pub fn transport(c: &CaseResult) -> Option<String> {
    let asked = c.pipe?;
    let got = c.runs.iter().find_map(|r| r.pipe);
    let write = got.map_or(asked.write, |g| g.write);
    let size = match (asked.size, got.map(|g| g.bytes)) {
        (super::PipeSize::KernelDefault, Some(b)) => format!("default pipe ({})", bytes(b)),
        (super::PipeSize::KernelDefault, None) => "default pipe".into(),
        (_, Some(b)) => format!("{} pipe", bytes(b)),
        (super::PipeSize::Frames(n), None) => format!("{n}-frame pipe asked"),
    };
    let heap = match asked.heap {
        super::FfmpegHeap::Glibc => "",
        super::FfmpegHeap::Fixed => ", ffmpeg heap fixed",
    };
    Some(format!("{}, {size}{heap}", write.name()))
}

/// "64 KiB", "1 MiB", "8 MiB".
fn bytes(b: u64) -> String {
    if b >= 1 << 20 && b % (1 << 20) == 0 {
        format!("{} MiB", b >> 20)
    } else if b >= 1 << 20 {
        format!("{:.1} MiB", b as f64 / f64::from(1 << 20))
    } else {
        format!("{} KiB", b >> 10)
    }
}

/// fps when it ran, else "failed (cause)" / "skipped (cause)".
pub fn outcome(c: &CaseResult) -> String {
    match c.status {
        CaseStatus::Ok => fps(c),
        CaseStatus::Failed | CaseStatus::Skipped => format!(
            "{} ({})",
            if c.status == CaseStatus::Failed {
                "failed"
            } else {
                "skipped"
            },
            c.reason.as_ref().map_or("?", |r| r.cause())
        ),
    }
}

/// The series a history service files this case under, built from typed
/// fields: mode, overlay, the encoder that ran (marked when it is a fallback),
/// the preset asked for, the pipe format when not the guide's, streams,
/// resolution. E.g. `nvenc/opencv/libx264 (fallback)/p1 1920x1080`.
pub fn series(c: &CaseResult) -> String {
    let mut parts = vec![c.mode.name().to_string(), overlay(c), encoder_short(c)];
    if let Some(p) = &c.preset.requested {
        parts.push(p.clone());
    }
    if let Some(f) = c.pix_fmt.filter(|f| *f != crate::pixfmt::PixFmt::Bgr24) {
        parts.push(f.name().to_string());
    }
    if c.sessions > 1 {
        parts.push(format!("x{}", c.sessions));
    }
    // The pipe ceiling's steps differ by transport alone.
    if let Some(pipe) = c.pipe.filter(|_| c.mode == super::Mode::PipeCeiling) {
        parts.push(pipe.name());
    }
    format!("{} {}x{}", parts.join("/"), c.width, c.height)
}
/// How a `--realtime` run kept up: "wrote 57 of 60 frames (3 dropped, 4 late);
/// arrival to write p50 12.1 ms, p95 40.2 ms, max 51.0 ms".
pub fn realtime(r: &super::Realtime) -> String {
    let l = &r.latency_ms;
    format!(
        "wrote {} of {} frames ({} dropped, {} late); arrival to write p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        r.written, r.offered, r.dropped, r.late, l.p50, l.p95, l.max
    )
}

/// "decoded by NVDEC: 0.41 core-ms a frame (+ 0.52 ms converting nv12 to
/// BGR here)" over the case's runs (None where no ffmpeg decoder ran: the
/// embedded clip, OpenCV's reader).
pub fn decode(c: &CaseResult) -> Option<String> {
    let runs: Vec<_> = c.runs.iter().filter_map(|r| r.decode).collect();
    let first = runs.first()?;
    let mean = |f: fn(&super::decode::DecodeRun) -> Option<f64>| {
        let values: Vec<f64> = runs.iter().filter_map(f).collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let decoding = mean(|d| Some(d.cpu_ms_per_frame)).unwrap_or_default();
    let converting = mean(|d| d.convert_ms_per_frame)
        .map(|ms| format!(" (+ {ms:.2} ms converting nv12 to BGR here)"))
        .unwrap_or_default();
    Some(format!(
        "decoded by {}: {decoding:.2} core-ms a frame{converting}",
        first.decoder
    ))
}

/// The encoder that ran is NVENC.
pub fn nvenc_ran(c: &CaseResult) -> bool {
    c.encoder
        .used
        .as_deref()
        .is_some_and(super::codec::is_nvenc)
}
