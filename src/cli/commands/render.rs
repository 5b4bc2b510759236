//! `nvviz-bench render`: the visualizer itself — one case through the bench's
//! lifecycle (the writer chosen with the guide's fallback, the engine, NVML
//! samples, the output verified, then kept at `-o`), reporting the encoder
//! that really wrote the video.

use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use serde_json::json;

use super::Outcome;
use crate::bench::case::{expand, CaseSpec, MatrixOptions, SinkSpec};
use crate::bench::{self, EngineOptions, Keep};
use crate::cli::options;
use crate::cli::progress::{Display, Terminal};
use crate::cli::stdio::{errln, outln};
use crate::cli::RenderArgs;
use crate::results::export::{ExportFormat, ExportManager};
use crate::results::{label, CaseResult, CaseStatus, Results};
use crate::workload::Workload;

pub fn run(args: &RenderArgs) -> anyhow::Result<Outcome> {
    let observer = Arc::new(Terminal(Display::detect(args.quiet)));
    let rendered = execute(args, prepare(args, None)?, observer)?;
    if let Some(bytes) = &rendered.export {
        crate::cli::stdio::out_bytes(bytes)?;
    }
    rendered.ran?;
    report(&rendered.results.cases[0], args)
}

/// What `execute` did: the results (its one case, or none where it stopped
/// before the case ran), the JSON for stdout (`--export-json -`) and how the
/// run ended.
pub struct Rendered {
    pub results: Results,
    pub export: Option<Vec<u8>>,
    pub ran: anyhow::Result<()>,
}

/// What `render` checks and builds before its case runs: the output's
/// place, the writer's chooser and the workload — the one the arguments name,
/// or `fed` (the Python module's writer: frames handed over while it runs).
/// The Python module's visualizer gives the workload live detections here.
pub struct Prepared {
    gpu: crate::probe::gpu::GpuProbe,
    chooser: crate::encode::fallback::Chooser,
    pub workload: Workload,
}

pub fn prepare(args: &RenderArgs, fed: Option<Workload>) -> anyhow::Result<Prepared> {
    check_output(args)?;
    let gpu = crate::probe::gpu::probe();
    let chooser = options::chooser(&args.encoder, &gpu)?;
    let workload = match fed {
        Some(workload) => workload,
        None => options::workload(
            &args.workload,
            chooser.ffmpeg().ok_or(chooser.ffmpeg_unusable()),
            0,
        )?,
    };
    Ok(Prepared {
        gpu,
        chooser,
        workload,
    })
}

/// `render`'s one case through the bench's lifecycle, printing nothing but
/// the workload's notes.
pub fn execute(
    args: &RenderArgs,
    prepared: Prepared,
    observer: Arc<dyn crate::bench::progress::Observer>,
) -> anyhow::Result<Rendered> {
    let Prepared {
        gpu,
        mut chooser,
        workload,
    } = prepared;
    let spec = one_case(args, &workload);
    note_stand_in(&spec);
    let environment =
        crate::probe::fingerprint::collect(chooser.ffmpeg().zip(chooser.ffmpeg_info()), &gpu);
    let mut results = Results::begin(environment, config(args), workload.info.clone());
    let mut exports = ExportManager::default();
    if let Some(path) = &args.export_json {
        exports.add(path, ExportFormat::Json, &results)?;
    }
    let options = EngineOptions {
        runs: 1,
        warmup: 0,
        keep: Keep::File(args.output.clone()),
        write_timeout: options::seconds("--write-timeout", args.encoder.write_timeout)?
            .max(Duration::from_secs(1)),
        observer,
        gpu_sample_period: Duration::from_millis(200),
        quality: false,
        engine: args.engine.config(),
        interleave: false,
        command_timeout: Duration::MAX,
    };
    let ran = bench::run(
        std::slice::from_ref(&spec),
        &workload,
        &mut chooser,
        &options,
        &mut results,
        &exports,
    );
    results.incomplete = ran.is_err();
    let export = exports.finish(&results)?;
    Ok(Rendered {
        results,
        export,
        ran,
    })
}

/// The output path, checked before any work: a container this writes, not an
/// input, a name its file system holds, in a directory that exists.
fn check_output(args: &RenderArgs) -> anyhow::Result<()> {
    let output = &args.output;
    // The container follows the extension (the temporary file carries it, and
    // ffmpeg and OpenCV both choose by it); one that would hold h264 badly or
    // not at all is refused rather than silently written as something else.
    match output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
    {
        Some(e) if ["mp4", "mov", "mkv", "avi"].contains(&e.as_str()) => {}
        None => {}
        Some(e) => bail!(
            "-o {}: .{e} is not a container this writes; use .mp4, .mov, .mkv or .avi",
            output.display()
        ),
    }
    options::refuse_overwriting_inputs(&args.workload, &[("-o", output.clone())])?;
    crate::atomic_file::check_destination(output)?;
    // The demo's XVID fallback names its file .avi: that name must fit too.
    crate::atomic_file::check_destination(&output.with_extension("avi"))?;
    let dir = crate::atomic_file::parent_dir(output);
    if !dir.is_dir() {
        bail!(
            "output directory {} does not exist: create it or choose another -o",
            dir.display()
        );
    }
    Ok(())
}

/// The one case `render` runs: its mode, codec, preset and pipe format.
fn one_case(args: &RenderArgs, workload: &Workload) -> CaseSpec {
    let template = options::encode_template(&args.encoder, workload.info.fps);
    let preset =
        options::profile_preset(args.encoder.profile).unwrap_or_else(|| args.preset.clone());
    expand(&MatrixOptions {
        modes: &[args.mode.mode()],
        codecs: std::slice::from_ref(&args.codec),
        presets: std::slice::from_ref(&preset),
        template: &template,
        fourcc: &args.encoder.fourcc,
        opencv_built: cfg!(feature = "opencv"),
        pix_fmts: &[args.pix_fmt],
        sessions: &[1],
        pipe_size: args.engine.config().pipe.size,
        commands: &[],
    })
    .into_iter()
    .next()
    .expect("one mode, codec and preset make one case")
}

fn note_stand_in(spec: &CaseSpec) {
    if let Some(stand_in) = &spec.stand_in {
        let encoder = match &spec.sink {
            SinkSpec::OpenCvStandIn { encoder, .. } => Some(*encoder),
            _ => None,
        };
        errln!("note: {}", label::stand_in(stand_in, spec.overlay, encoder));
    }
}

/// The run's settings, for the record.
fn config(args: &RenderArgs) -> serde_json::Value {
    json!({
        "command": "render",
        "mode": args.mode.mode().name(),
        "codec": args.codec,
        "preset": args.preset,
        "profile": args.encoder.profile,
        "fourcc": args.encoder.fourcc,
        "fallback": !args.encoder.no_fallback,
        "engine": args.engine.config(),
        "pix_fmts": [args.pix_fmt],
        "start_ms": args.workload.start,
        "duration_ms": args.workload.duration,
    })
}

/// Why the case did not write its video, in one line with its fix; None when it did.
pub fn failure(case: &CaseResult) -> Option<String> {
    if case.status == CaseStatus::Ok {
        return None;
    }
    let reason = case.reason.as_ref();
    let why = match reason {
        None => "the render did not finish".into(),
        Some(r) if r.cause() == "verification_failed" => {
            format!("the encoded video failed its check: {r}")
        }
        Some(r) => r.to_string(),
    };
    Some(match reason.and_then(|r| r.fix()) {
        Some(fix) => format!("{why}: {fix}"),
        None => why,
    })
}

/// What the case did, in the words of the demo's script; a failure as the
/// tool's one-line error with its fix.
fn report(case: &CaseResult, args: &RenderArgs) -> anyhow::Result<Outcome> {
    if let Some(fb) = &case.encoder.fallback {
        errln!(
            "fell back from {} to {}: {} ({})",
            fb.from,
            case.encoder.used.as_deref().unwrap_or("-"),
            fb.cause,
            fb.cause.fix()
        );
    }
    if let Some(failure) = failure(case) {
        bail!("{failure}");
    }
    let written = case.verified.as_ref().map_or(case.frames, |v| v.frames);
    let fps = case.fps.map_or(0.0, |f| f.mean);
    outln!(
        "Successfully encoded {written} frames with {} ({fps:.1} fps)",
        label::encoder(case)
    )?;
    if let Some(decode) = label::decode(case) {
        outln!("{decode}")?;
    }
    if let Some(r) = case.runs.last().and_then(|r| r.realtime.as_ref()) {
        outln!("realtime: {}", label::realtime(r))?;
    }
    let output = case.output.as_deref().unwrap_or(&args.output);
    if output != args.output {
        errln!(
            "note: OpenCV could not open {}: written with {} into {}, as the demo does",
            crate::ffmpeg::args::DEFAULT_FOURCC,
            crate::ffmpeg::args::DEMO_SECOND_FOURCC,
            output.display()
        );
    }
    outln!("The output video has been written to {}", output.display())?;
    if args.verbose {
        if let Some(command) = &case.command {
            outln!("command: {command}")?;
        }
    }
    Ok(Outcome::Ok)
}
