//! `nvviz-bench render`: the visualizer itself — one pass of the engine that
//! writes the annotated video, reporting the encoder actually used.

use std::time::Duration;

use anyhow::bail;

use super::Outcome;
use crate::bench::case::{expand, MatrixOptions, SinkSpec};
use crate::bench::progress::Progress;
use crate::bench::runner::{self, RunContext};
use crate::cli::options;
use crate::cli::progress::{Display, Terminal};
use crate::cli::RenderArgs;
use crate::encode::verify::{verify, VerifyError};
use crate::probe::fallback::Writer;

pub fn run(args: &RenderArgs) -> anyhow::Result<Outcome> {
    let mode = args.mode.mode();
    let output = &args.output;
    // The container follows the extension (the temporary file carries it, and
    // ffmpeg and OpenCV both choose by it); one that would hold h264 badly or
    // not at all is refused rather than silently written as something else.
    let container = match output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
    {
        Some(e) if ["mp4", "mov", "mkv", "avi"].contains(&e.as_str()) => e,
        None => "mp4".to_string(),
        Some(e) => bail!(
            "-o {}: .{e} is not a container this writes; use .mp4, .mov, .mkv or .avi",
            output.display()
        ),
    };
    options::refuse_overwriting_inputs(&args.workload, &[("-o", output.clone())])?;
    crate::atomic_file::check_destination(output)?;
    // The demo's XVID fallback names its file .avi: that name must fit too.
    crate::atomic_file::check_destination(&output.with_extension("avi"))?;
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if !dir.is_dir() {
        bail!(
            "output directory {} does not exist: create it or choose another -o",
            dir.display()
        );
    }
    let mut chooser = options::chooser(&args.encoder, &crate::probe::gpu::probe())?;
    let workload = options::workload(
        &args.workload,
        chooser.ffmpeg().ok_or(chooser.ffmpeg_unusable()),
        0,
    )?;
    let template = options::encode_template(&args.encoder, workload.info.fps);
    let preset =
        options::profile_preset(args.encoder.profile).unwrap_or_else(|| args.preset.clone());
    let spec = expand(&MatrixOptions {
        modes: &[mode],
        codecs: std::slice::from_ref(&args.codec),
        presets: std::slice::from_ref(&preset),
        template: &template,
        fourcc: &args.encoder.fourcc,
        opencv_built: cfg!(feature = "opencv"),
        pix_fmts: &[args.pix_fmt],
        sessions: &[1],
        pipe_size: args.engine.config().pipe.size,
    })
    .into_iter()
    .next()
    .expect("one mode, codec and preset make one case");
    if let Some(stand_in) = &spec.stand_in {
        let encoder = match &spec.sink {
            SinkSpec::OpenCvStandIn { encoder, .. } => Some(*encoder),
            _ => None,
        };
        crate::cli::stdio::errln!(
            "note: {}",
            crate::results::label::stand_in(stand_in, spec.overlay, encoder)
        );
    }
    let resolved = runner::resolve(&spec, &workload, &mut chooser).map_err(encode_error)?;
    if let Some(fb) = resolved.choice.as_ref().and_then(|c| c.fallback.as_ref()) {
        crate::cli::stdio::errln!(
            "falling back from {} to {}: {} ({})",
            fb.from,
            fb.to,
            fb.reason,
            fb.reason.fix()
        );
    }
    let (writer, settings) = (resolved.writer, resolved.settings);
    let ctx = RunContext {
        workload: &workload,
        ffmpeg: chooser.ffmpeg(),
        warmup: 0,
        write_timeout: options::seconds("--write-timeout", args.encoder.write_timeout)?
            .max(Duration::from_secs(1)),
        engine: args.engine.config(),
    };
    // Encode into a temporary file beside the output, renamed on success: a failed
    // render never leaves half a video where a good one was.
    // Named by our PID: a render killed outright leaves it behind, and the
    // next run that writes here removes it.
    crate::scratch::sweep_dead_runs_in(dir);
    let partial = crate::scratch::beside(dir, "render", &format!(".{container}")).map_err(|e| {
        anyhow::anyhow!("cannot write in {}: {e} (choose another -o)", dir.display())
    })?;
    let sink = runner::open_sink(&ctx, &spec, writer.as_ref(), settings.as_ref(), &partial)
        .map_err(encode_error)?;
    let used = writer.as_ref().map_or_else(
        || format!("OpenCV VideoWriter ({})", args.encoder.fourcc),
        Writer::name,
    );
    if !args.quiet {
        crate::cli::stdio::errln!("Using {} visualizer, writing with {used}", mode.name());
    }
    let progress = Progress::start(
        &Terminal(Display::detect(args.quiet)),
        "Video Writer",
        workload.info.frames,
    );
    let outcome = runner::run_frames(&ctx, &spec, sink, &progress);
    progress.finish();
    let outcome = outcome.map_err(|e| match e {
        runner::RunError::Interrupted => anyhow::Error::new(crate::interrupt::Interrupted),
        runner::RunError::Encode(f) => encode_error(f),
        e => anyhow::anyhow!("{e}"),
    })?;
    // The demo's OpenCV fallback writes XVID into .avi when mp4v will not open:
    // that file, under the name asked for with .avi.
    let (partial, output) = match outcome.output.path.as_ref().filter(|p| **p != *partial) {
        Some(written) => {
            let written = tempfile::TempPath::try_from_path(written)?;
            let avi = output.with_extension(written.extension().unwrap_or_default());
            crate::cli::stdio::errln!(
                "note: OpenCV could not open {}: written with {} into {}, as the demo does",
                crate::ffmpeg::args::DEFAULT_FOURCC,
                crate::ffmpeg::args::DEMO_SECOND_FOURCC,
                avi.display()
            );
            (written, avi)
        }
        None => (partial, output.clone()),
    };
    let used = outcome
        .output
        .writer
        .clone()
        .filter(|_| writer.is_some())
        .unwrap_or(used);
    // --realtime writes the frames it kept up with.
    let written = outcome
        .result
        .realtime
        .as_ref()
        .map_or(workload.info.frames, |r| r.written);
    if let Some(ffmpeg) = ctx.ffmpeg {
        verify(
            ffmpeg,
            &partial,
            written,
            workload.info.width,
            workload.info.height,
        )
        .map_err(|e| match e {
            VerifyError::Interrupted => anyhow::Error::new(crate::interrupt::Interrupted),
            VerifyError::Failed(why) => {
                anyhow::anyhow!("the encoded video failed its check: {why}")
            }
        })?;
    }
    partial
        .persist(&output)
        .map_err(|e| anyhow::anyhow!("cannot move the video to {}: {e}", output.display()))?;
    crate::cli::stdio::outln!(
        "Successfully encoded {written} frames with {used} ({:.1} fps)",
        outcome.result.fps
    )?;
    if let Some(r) = &outcome.result.realtime {
        crate::cli::stdio::outln!("realtime: {}", crate::results::label::realtime(r))?;
    }
    crate::cli::stdio::outln!("The output video has been written to {}", output.display())?;
    if args.verbose {
        if let Some(command) = &outcome.output.command {
            crate::cli::stdio::outln!("command: {command}")?;
        }
    }
    Ok(Outcome::Ok)
}

/// A failure as render's error: the interruption (exit 130) or the failure with its fix.
fn encode_error(f: crate::ffmpeg::EncodeFailure) -> anyhow::Error {
    match f {
        crate::ffmpeg::EncodeFailure::Interrupted => {
            anyhow::Error::new(crate::interrupt::Interrupted)
        }
        f => anyhow::anyhow!("{f}: {}", f.fix()),
    }
}
