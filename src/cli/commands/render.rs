//! `nvviz-bench render`: the visualizer itself — the flags made into a
//! `RenderSpec` and a workload, run by `bench::render` (one case through the
//! bench's lifecycle), the encoder that really wrote the video reported.

use std::sync::Arc;

use anyhow::bail;
use serde_json::json;

use super::Outcome;
use crate::bench::render::{execute, failure, Prepared, RenderSpec};
use crate::cli::options::{self, seconds};
use crate::cli::progress::{Display, Terminal};
use crate::cli::stdio::{errln, outln};
use crate::cli::RenderArgs;
use crate::probe::gpu::GpuChoice;
use crate::results::{label, CaseResult};
use crate::workload::Workload;

pub fn run(args: &RenderArgs) -> anyhow::Result<Outcome> {
    let observer = Arc::new(Terminal(Display::detect(args.quiet)));
    let spec = spec(args)?;
    let rendered = execute(&spec, prepare(args, &spec, None)?, observer)?;
    if let Some(bytes) = &rendered.export {
        crate::cli::stdio::out_bytes(bytes)?;
    }
    rendered.ran?;
    report(&rendered.results.cases[0], &spec, args.verbose)
}

/// What the flags ask `render` to do.
pub fn spec(args: &RenderArgs) -> anyhow::Result<RenderSpec> {
    Ok(RenderSpec {
        output: args.output.clone(),
        mode: args.mode.mode(),
        codec: args.codec.clone(),
        preset: args.preset.clone(),
        pix_fmt: args.pix_fmt,
        template: args.encoder.template(),
        fourcc: args.encoder.fourcc.clone(),
        engine: args.engine.config(),
        write_timeout: seconds("--write-timeout", args.encoder.write_timeout)?,
        export_json: args.export_json.clone(),
        config: config(args),
    })
}

/// Everything checked and built before the case runs: the output's place,
/// the writer's chooser and the workload — the one the flags name, or `fed`
/// (the Python module's: frames or detections handed over while it runs).
pub fn prepare(
    args: &RenderArgs,
    spec: &RenderSpec,
    fed: Option<Workload>,
) -> anyhow::Result<Prepared> {
    spec.check_output()?;
    options::refuse_overwriting_inputs(&args.workload, &[("-o", spec.output.clone())])?;
    if args.encoder.gpu == Some(GpuChoice::All) {
        bail!("--gpu all: render writes one video on one GPU; give its index (bench --gpu all measures every GPU)");
    }
    let gpu = crate::probe::gpu::probe();
    let pinned = args.encoder.gpus(&gpu)?.into_iter().next();
    let chooser = args.encoder.chooser(&gpu)?;
    let workload = match fed {
        Some(workload) => workload,
        None => options::workload(
            &args.workload,
            chooser.ffmpeg().ok_or(chooser.ffmpeg_unusable()),
            0,
            pinned.as_ref().map(|g| g.cuda),
        )?,
    };
    Ok(Prepared {
        gpu,
        pinned,
        chooser,
        workload,
    })
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
        "gpu": args.encoder.gpu.map(|g| g.to_string()),
        "start_ms": args.workload.start,
        "duration_ms": args.workload.duration,
    })
}

/// What the case did, in the words of the demo's script; a failure as the
/// tool's one-line error with its fix.
fn report(case: &CaseResult, spec: &RenderSpec, verbose: bool) -> anyhow::Result<Outcome> {
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
    let output = case.output.as_deref().unwrap_or(&spec.output);
    if output != spec.output {
        errln!(
            "note: OpenCV could not open {}: written with {} into {}, as the demo does",
            crate::ffmpeg::args::DEFAULT_FOURCC,
            crate::ffmpeg::args::DEMO_SECOND_FOURCC,
            output.display()
        );
    }
    outln!("The output video has been written to {}", output.display())?;
    if verbose {
        if let Some(command) = &case.command {
            outln!("command: {command}")?;
        }
    }
    Ok(Outcome::Ok)
}
