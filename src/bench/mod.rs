//! The bench engine: runs every case of the matrix `runs` times, records
//! per-stage timings, GPU samples and verified outputs, and keeps the results
//! file current after every case.

pub mod case;
pub mod gpu_sampler;
pub mod pipeline;
pub mod progress;
pub mod runner;
pub mod stats;
pub mod usage;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use crate::encode::fallback::{codec_of, Chooser};
use crate::encode::verify::verify;
use crate::results::export::JsonExport;
use crate::results::{CaseResult, CaseStatus, Results, Stages};
use crate::workload::Workload;
use case::{CaseSpec, SinkSpec};
use progress::{Display, Progress};
use runner::{RunContext, RunError};
use stats::Summary;

pub struct EngineOptions {
    pub runs: u32,
    pub warmup: u64,
    pub keep_outputs: Option<PathBuf>,
    pub write_timeout: Duration,
    pub display: Display,
    pub gpu_sample_period: Duration,
    /// Measure PSNR/SSIM (and VMAF where available) of every ffmpeg-pipe output.
    pub quality: bool,
    pub engine: pipeline::EngineConfig,
}

fn reason_json(e: &RunError) -> serde_json::Value {
    match e {
        RunError::Encode(f) => {
            serde_json::to_value(f).unwrap_or_else(|_| json!({"cause": "unknown"}))
        }
        RunError::Other(e) => json!({"cause": "error", "message": format!("{e:#}")}),
        RunError::Interrupted => {
            json!({"cause": "interrupted", "message": "stopped by Ctrl-C or SIGTERM"})
        }
    }
}

fn skipped(spec: &CaseSpec, workload: &Workload, why: serde_json::Value) -> CaseResult {
    let mut r = base_result(spec, workload);
    r.status = CaseStatus::Skipped;
    r.reason = Some(why);
    r
}

fn base_result(spec: &CaseSpec, workload: &Workload) -> CaseResult {
    let settings = spec.settings();
    let info = &workload.info;
    CaseResult {
        id: spec.id(),
        mode: spec.mode.name().into(),
        overlay: spec.overlay.map(|k| k.name().to_string()),
        sink: spec.sink_kind().into(),
        codec: settings.map(|s| codec_of(&s.encoder).to_string()),
        requested_encoder: settings.map(|s| s.encoder.clone()),
        encoder: match &spec.sink {
            SinkSpec::OpenCv { fourcc } => Some(format!("opencv-{fourcc}")),
            _ => None,
        },
        preset: settings.and_then(|s| s.preset.clone()),
        fallback: None,
        width: info.width,
        height: info.height,
        fps_target: info.fps,
        frames: info.frames,
        warmup_frames: 0,
        status: CaseStatus::Ok,
        reason: spec
            .overlay_note
            .as_ref()
            .map(|n| json!({"cause": "note", "message": n})),
        command: None,
        runs: Vec::new(),
        fps: None,
        stages_ms_per_frame: None,
        verified: None,
        quality: None,
        quality_error: None,
        gpu_samples: Vec::new(),
    }
}

/// Runs `cases`, appending each finished case to `results` and rewriting `export`.
pub fn run(
    cases: &[CaseSpec],
    workload: &Workload,
    chooser: &mut Chooser,
    options: &EngineOptions,
    results: &mut Results,
    export: Option<&JsonExport>,
) -> anyhow::Result<()> {
    let scratch = tempfile::Builder::new().prefix("nvviz-bench-").tempdir()?;
    let out_dir = options
        .keep_outputs
        .clone()
        .unwrap_or_else(|| scratch.path().to_path_buf());
    std::fs::create_dir_all(&out_dir).map_err(|e| {
        anyhow::anyhow!("cannot create output directory {}: {e}", out_dir.display())
    })?;
    // Checked before the long run: a read-only or full directory fails now.
    tempfile::tempfile_in(&out_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot write in output directory {}: {e} (choose another --keep-outputs)",
            out_dir.display()
        )
    })?;
    let opencv_built = cfg!(feature = "opencv");
    for (n, spec) in cases.iter().enumerate() {
        let label = format!("[{}/{}] {}", n + 1, cases.len(), spec.id());
        let needs_opencv = spec.overlay.is_some_and(|k| !k.available())
            || matches!(spec.sink, SinkSpec::OpenCv { .. });
        let result = if needs_opencv && !opencv_built {
            skipped(
                spec,
                workload,
                json!({"cause": "not_built", "message": "this build has no OpenCV (--no-default-features)"}),
            )
        } else {
            run_case(spec, workload, chooser, options, &out_dir, &label)
        };
        if options.display != Display::Quiet {
            eprintln!("{label}: {}", one_line(&result));
        }
        let interrupted =
            result.reason.as_ref().and_then(|r| r.get("cause")) == Some(&json!("interrupted"));
        results.cases.push(result);
        if interrupted {
            results.interrupted = true;
        }
        if let Some(export) = export {
            export.write(results)?;
        }
        if interrupted {
            return Err(crate::interrupt::Interrupted.into());
        }
    }
    Ok(())
}

fn one_line(r: &CaseResult) -> String {
    match (&r.status, &r.fps) {
        (CaseStatus::Ok, Some(fps)) => format!(
            "{:.1} fps ± {:.1} with {}{}",
            fps.mean,
            fps.stddev,
            r.encoder.as_deref().unwrap_or("no encoder"),
            if r.fallback.is_some() {
                " (fallback)"
            } else {
                ""
            }
        ),
        (status, _) => format!(
            "{status:?}: {}",
            r.reason
                .as_ref()
                .and_then(|v| v.get("message").or(v.get("cause")))
                .map(|v| v.to_string())
                .unwrap_or_default()
        ),
    }
}

/// Temporary outputs for streams 2..N of a `--sessions` case (removed when dropped).
fn extra_outputs(
    spec: &CaseSpec,
    first: &Path,
    out_dir: &Path,
) -> anyhow::Result<Vec<tempfile::TempPath>> {
    if first == Path::new(crate::ffmpeg::args::DISCARD) {
        anyhow::bail!("--sessions with encode-to-null is not supported: use encode-only");
    }
    (1..spec.sessions)
        .map(|i| {
            Ok(tempfile::Builder::new()
                .prefix(&format!(".nvviz-stream{i}-"))
                .suffix(".mp4")
                .tempfile_in(out_dir)?
                .into_temp_path())
        })
        .collect()
}

fn run_case(
    spec: &CaseSpec,
    workload: &Workload,
    chooser: &mut Chooser,
    options: &EngineOptions,
    out_dir: &std::path::Path,
    label: &str,
) -> CaseResult {
    let mut result = base_result(spec, workload);
    result.warmup_frames = if matches!(spec.sink, SinkSpec::Lavfi { .. }) {
        0
    } else {
        options.warmup
    };
    // Resolve the writer (with the guide's fallback) for ffmpeg cases.
    let (writer, settings) = match spec.settings() {
        Some(settings) => match chooser.resolve(settings) {
            Ok((choice, settings)) => {
                if let Some(fb) = &choice.fallback {
                    result.fallback = serde_json::to_value(fb).ok();
                }
                result.encoder = Some(choice.writer.name());
                result.preset = settings
                    .as_ref()
                    .and_then(|s| s.preset.clone())
                    .or(result.preset);
                (Some(choice.writer), settings)
            }
            Err(failure) => {
                result.status = CaseStatus::Failed;
                result.reason = serde_json::to_value(&failure).ok();
                return result;
            }
        },
        None => (None, None),
    };
    if matches!(spec.sink, SinkSpec::Lavfi { .. }) && settings.is_none() {
        return skipped(
            spec,
            workload,
            json!({"cause": "no_ffmpeg_encoder", "message": "the encoder ceiling needs a working ffmpeg encoder"}),
        );
    }
    let ctx = RunContext {
        workload,
        ffmpeg: chooser.ffmpeg(),
        warmup: result.warmup_frames,
        write_timeout: options.write_timeout,
        engine: options.engine,
    };
    // Encoded into a temporary name beside the final one and renamed once verified: a
    // failed case leaves no half-written file (and frees its disk space at once).
    let partial = if spec.mode == case::Mode::EncodeToNull || matches!(spec.sink, SinkSpec::Null) {
        None
    } else {
        match tempfile::Builder::new()
            .prefix(".nvviz-case-")
            .suffix(".mp4")
            .tempfile_in(out_dir)
        {
            Ok(file) => Some(file.into_temp_path()),
            Err(e) => {
                result.status = CaseStatus::Failed;
                result.reason = Some(json!({
                    "cause": "output_not_writable",
                    "message": format!("cannot write in {}: {e}", out_dir.display()),
                }));
                return result;
            }
        }
    };
    let output = partial.as_deref().map_or_else(
        || PathBuf::from(crate::ffmpeg::args::DISCARD),
        Path::to_path_buf,
    );
    // The ceiling's frames as one file, written once for all its runs.
    let ring = match (&spec.sink, &settings) {
        (SinkSpec::Lavfi { .. }, Some(s)) => match runner::ring_file(&ctx, s.pix_fmt) {
            Ok(ring) => ring,
            Err(e) => {
                result.status = CaseStatus::Failed;
                result.reason = Some(reason_json(&RunError::Other(e)));
                return result;
            }
        },
        _ => None,
    };
    let sampler = gpu_sampler::GpuSampler::start(options.gpu_sample_period);
    let mut last_output = None;
    for run in 0..options.runs {
        let progress = Progress::start(
            options.display,
            &format!("{label} run {}/{}", run + 1, options.runs),
            ctx.warmup + workload.info.frames,
        );
        let outcome = match &spec.sink {
            SinkSpec::Lavfi { .. } => runner::run_lavfi(
                &ctx,
                settings.as_ref().expect("resolved above"),
                ring.as_deref(),
                &output,
            ),
            _ if spec.sessions > 1 => match extra_outputs(spec, &output, out_dir) {
                Ok(extra) => {
                    let outputs: Vec<PathBuf> = std::iter::once(output.clone())
                        .chain(extra.iter().map(|p| p.to_path_buf()))
                        .collect();
                    runner::run_streams(
                        &ctx,
                        spec,
                        writer.as_ref(),
                        settings.as_ref(),
                        &outputs,
                        &progress,
                    )
                }
                Err(e) => Err(RunError::Other(e)),
            },
            _ => runner::open_sink(&ctx, spec, writer.as_ref(), settings.as_ref(), &output)
                .map_err(RunError::from)
                .and_then(|sink| runner::run_frames(&ctx, spec, sink, &progress)),
        };
        progress.finish();
        match outcome {
            Ok(o) => {
                result.command = o.output.command.clone().or(result.command);
                last_output = o.output.path.clone();
                result.runs.push(o.result);
            }
            // No fallback means the requested encoder itself ran. With several
            // sessions a limit is the finding, not a reason to fall back.
            Err(RunError::Encode(failure))
                if failure.is_nvenc_environment()
                    && spec.sessions == 1
                    && result.fallback.is_none()
                    && spec.settings().is_some() =>
            {
                // The trial passed but the real run met the NVENC stack's limits (a
                // session limit, most often): decide again, which falls back or
                // fails as configured, with this failure as the reason.
                drop(sampler);
                let requested = &spec.settings().expect("guarded above").encoder;
                chooser.mark_failed(requested, failure);
                return run_case(spec, workload, chooser, options, out_dir, label);
            }
            Err(e) => {
                result.status = CaseStatus::Failed;
                result.reason = Some(reason_json(&e));
                break;
            }
        }
    }
    if let Some(sampler) = sampler {
        result.gpu_samples = sampler
            .finish()
            .iter()
            .filter_map(|s| serde_json::to_value(s).ok())
            .collect();
    }
    if result.encoder.is_none() && matches!(spec.sink, SinkSpec::Null) {
        result.encoder = Some("none".into());
    }
    result.fps = Summary::of(&result.runs.iter().map(|r| r.fps).collect::<Vec<_>>());
    result.stages_ms_per_frame = Stages::mean(
        &result
            .runs
            .iter()
            .map(|r| r.stages_ms_per_frame.clone())
            .collect::<Vec<_>>(),
    );
    // Every encoded output is decoded back; a short or corrupt file fails the case loudly.
    if let (CaseStatus::Ok, Some(path), Some(ffmpeg)) = (&result.status, &last_output, ctx.ffmpeg) {
        let frames = result.warmup_frames + workload.info.frames;
        match verify(
            ffmpeg,
            path,
            frames,
            workload.info.width,
            workload.info.height,
        ) {
            Ok(v) => {
                result.verified = serde_json::to_value(v).ok();
                if options.quality && matches!(spec.sink, SinkSpec::Pipe { .. }) {
                    let vmaf = chooser.ffmpeg_info().is_some_and(|i| i.has_libvmaf());
                    match crate::encode::quality::measure(
                        ffmpeg,
                        path,
                        workload,
                        spec.overlay,
                        frames,
                        vmaf,
                    ) {
                        Ok(q) => result.quality = Some(q),
                        Err(e) => {
                            result.quality_error = Some(format!("{e:#}"));
                        }
                    }
                }
            }
            Err(why) => {
                result.status = CaseStatus::Failed;
                result.reason = Some(json!({"cause": "verification_failed", "message": why}));
            }
        }
    }
    if let (CaseStatus::Ok, Some(partial)) = (&result.status, partial) {
        let kept = out_dir.join(spec.output_file_name());
        if let Err(e) = partial.persist(&kept) {
            result.status = CaseStatus::Failed;
            result.reason = Some(json!({
                "cause": "output_not_writable",
                "message": format!("cannot move the output to {}: {e}", kept.display()),
            }));
        }
    }
    result
}
