//! Measures one case: frames through overlay and writer, stage by stage.

use super::realtime::{Pacer, Take};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::case::{CaseSpec, SinkSpec};
use super::progress::Progress;
use super::run::{RunContext, RunError, RunOutcome, Timing};
use crate::encode::ffmpeg_pipe::FfmpegPipeSink;
use crate::encode::null::NullSink;
use crate::encode::{FrameSink, SinkOutput};
use crate::ffmpeg::args::{shell_line_env, EncodeSettings, RawInput};
use crate::ffmpeg::child::{exit_info, FfmpegProcess};
use crate::ffmpeg::failure::{classify, last_lines};
use crate::frame::Frame;
use crate::overlay::Overlay;
use crate::pixfmt::PixFmt;
use crate::probe::fallback::Writer;
use crate::results::failure::EncodeFailure;
use crate::results::EngineKind;
use crate::workload::Workload;

/// The sink a case writes to, with the writer already chosen.
/// The writer a case writes with and its settings, decided once before it
/// runs: the requested ffmpeg encoder or the guide's fallback (`choice`), or
/// — in a build without OpenCV — ffmpeg with OpenCV's encoder and settings for
/// the writer the mode asks for (no fallback: it would no longer be OpenCV's).
pub struct Resolved {
    pub writer: Option<Writer>,
    pub settings: Option<EncodeSettings>,
    pub choice: Option<crate::probe::fallback::Choice>,
}

pub fn resolve(
    spec: &CaseSpec,
    workload: &Workload,
    chooser: &mut crate::encode::fallback::Chooser,
) -> Result<Resolved, EncodeFailure> {
    match &spec.sink {
        SinkSpec::Pipe { settings }
        | SinkSpec::Lavfi { settings }
        | SinkSpec::Gpu {
            settings: Some(settings),
        } => {
            let (choice, settings) = chooser.resolve(settings)?;
            Ok(Resolved {
                writer: Some(choice.writer.clone()),
                settings,
                choice: Some(choice),
            })
        }
        SinkSpec::OpenCvStandIn { fourcc, encoder } => {
            let info = &workload.info;
            let settings = EncodeSettings::opencv_writer(fourcc, info.width, info.height, info.fps)
                .expect("stand-ins are made only for fourccs it knows");
            chooser.works(encoder)?;
            Ok(Resolved {
                writer: Some(Writer::Ffmpeg {
                    encoder: (*encoder).into(),
                }),
                settings: Some(settings),
                choice: None,
            })
        }
        SinkSpec::Null
        | SinkSpec::OpenCv { .. }
        | SinkSpec::Copy { .. }
        | SinkSpec::Command(_)
        | SinkSpec::Gpu { settings: None } => Ok(Resolved {
            writer: None,
            settings: None,
            choice: None,
        }),
    }
}

/// Opens the sink a run writes to: `open_sink`, or a test's fake.
pub type OpenSink = fn(
    &RunContext,
    &CaseSpec,
    Option<&Writer>,
    Option<&EncodeSettings>,
    &Path,
) -> Result<Box<dyn FrameSink>, EncodeFailure>;

pub fn open_sink(
    ctx: &RunContext,
    spec: &CaseSpec,
    writer: Option<&Writer>,
    settings: Option<&EncodeSettings>,
    output: &Path,
) -> Result<Box<dyn FrameSink>, EncodeFailure> {
    let info = &ctx.workload.info;
    match (&spec.sink, writer) {
        (SinkSpec::Null, _) => Ok(Box::new(NullSink)),
        (SinkSpec::OpenCv { fourcc }, _) => {
            open_opencv(output, Some(fourcc), info.fps, info.width, info.height)
        }
        // The nvenc mode's last fallback: mp4v, else XVID into .avi, as the demo.
        (SinkSpec::Pipe { .. }, Some(Writer::Opencv { .. })) => {
            open_opencv(output, None, info.fps, info.width, info.height)
        }
        (SinkSpec::Pipe { .. }, Some(Writer::Ffmpeg { .. }) | None)
        | (SinkSpec::OpenCvStandIn { .. }, _) => {
            let settings = settings.expect("pipe cases carry settings");
            Ok(Box::new(FfmpegPipeSink::spawn(
                ffmpeg(ctx)?,
                &pipe_input(ctx, settings.pix_fmt)?,
                settings,
                output,
                ctx.write_timeout,
                ctx.engine.pipe,
            )?))
        }
        (SinkSpec::Copy { pix_fmt, pipe }, _) => Ok(Box::new(FfmpegPipeSink::spawn_copy(
            ffmpeg(ctx)?,
            &pipe_input(ctx, *pix_fmt)?,
            output,
            ctx.write_timeout,
            *pipe,
        )?)),
        (SinkSpec::Lavfi { .. } | SinkSpec::Command(_) | SinkSpec::Gpu { .. }, _) => {
            unreachable!("the ceiling's, the GPU path's and commands' runs open their own")
        }
    }
}

/// The run's ffmpeg, or where it was looked for.
pub fn ffmpeg<'c>(ctx: &RunContext<'c>) -> Result<&'c Path, EncodeFailure> {
    ctx.ffmpeg.ok_or(EncodeFailure::FfmpegNotFound {
        searched: "--ffmpeg, $NVVIZ_FFMPEG, PATH".into(),
    })
}

/// The workload's frames on a pipe in `pix_fmt`, if that format can carry their size.
fn pipe_input(ctx: &RunContext, pix_fmt: PixFmt) -> Result<RawInput, EncodeFailure> {
    let info = &ctx.workload.info;
    pix_fmt
        .check_size(info.width, info.height)
        .map_err(|odd| EncodeFailure::InvalidParameter {
            detail: odd.to_string(),
        })?;
    Ok(RawInput::new(info.width, info.height, info.fps, pix_fmt))
}

#[cfg(feature = "opencv")]
/// OpenCV's writer with `fourcc`, or (None) the demo's fallback order.
fn open_opencv(
    output: &Path,
    fourcc: Option<&str>,
    fps: f64,
    w: u32,
    h: u32,
) -> Result<Box<dyn FrameSink>, EncodeFailure> {
    use crate::encode::opencv_writer::OpenCvWriterSink;
    Ok(Box::new(match fourcc {
        Some(fourcc) => OpenCvWriterSink::open(output, fourcc, fps, w, h)?,
        None => OpenCvWriterSink::open_demo_fallback(output, fps, w, h)?,
    }))
}

#[cfg(not(feature = "opencv"))]
fn open_opencv(
    _: &Path,
    fourcc: Option<&str>,
    _: f64,
    _: u32,
    _: u32,
) -> Result<Box<dyn FrameSink>, EncodeFailure> {
    Err(EncodeFailure::WriterFailed {
        writer: format!(
            "OpenCV VideoWriter ({})",
            fourcc.unwrap_or(crate::ffmpeg::args::DEFAULT_FOURCC)
        ),
        detail: "this build has no OpenCV (--no-default-features)".into(),
    })
}

/// One timed pass over the workload, with the engine the context names.
pub fn run_frames(
    ctx: &RunContext,
    spec: &CaseSpec,
    open: impl FnOnce() -> Result<Box<dyn FrameSink>, RunError>,
    progress: &Progress,
) -> Result<RunOutcome, RunError> {
    match ctx.engine.kind {
        EngineKind::Pipelined if !ctx.engine.realtime => {
            super::pipeline::run_frames(ctx, spec, open, progress)
        }
        _ if ctx.workload.open_ended() => Err(RunError::Other(anyhow::anyhow!(
            "a fed input runs on the pipelined engine, not paced (--engine pipelined, no --realtime)"
        ))),
        _ => run_sequential(ctx, spec, open, progress),
    }
}

/// The guide's loop: read, draw, write, one frame at a time.
fn run_sequential(
    ctx: &RunContext,
    spec: &CaseSpec,
    open: impl FnOnce() -> Result<Box<dyn FrameSink>, RunError>,
    progress: &Progress,
) -> Result<RunOutcome, RunError> {
    // Declared before the reader, so dropped after it on every path: the
    // reader may have page-locked these buffers and unregisters them on drop.
    let mut ring: Vec<(Frame, Vec<u8>)>;
    let mut skipped: Frame;
    let (mut reader, mut sink) = super::pipeline::start(ctx, open)?;
    let info = &ctx.workload.info;
    let mut overlay = spec
        .overlay
        .map(|k| Overlay::for_workload(k, info))
        .transpose()?;
    let pix_fmt = sink.pix_fmt();
    // A ring of buffers: the reader may still see the newest `held()` of them
    // (vmsplice'd pages), so a buffer is rewritten only after that many newer.
    ring = (0..=sink.held())
        .map(|_| (Frame::new(info.width, info.height), Vec::new()))
        .collect();
    // Frames read past land here: a ring buffer may still be in the pipe.
    skipped = Frame::new(
        if ctx.engine.realtime { info.width } else { 0 },
        if ctx.engine.realtime { info.height } else { 0 },
    );
    // Page-locked before the clock, as the pipelined engine's pool is.
    for (frame, _) in &mut ring {
        reader.prepare(frame);
    }
    if ctx.engine.realtime {
        reader.prepare(&mut skipped);
    }
    let mut timing = Timing::start();
    // Warm-up frames as fast as they go; with --realtime the timed ones as a live source.
    let mut pacer: Option<Pacer> = None;
    let mut next = 0;
    let mut written: u64 = 0;
    loop {
        let index = match &mut pacer {
            None if next < ctx.warmup => next,
            None if ctx.engine.realtime => {
                timing.restart();
                pacer = Some(Pacer::start(info.fps, info.frames));
                continue;
            }
            None if next < ctx.warmup + info.frames => {
                if next == ctx.warmup {
                    timing.restart();
                }
                next
            }
            None => break,
            Some(p) => match p.take() {
                Some(Take { index, skip }) => {
                    for _ in 0..skip {
                        // Arrived while the loop was busy: read past, as a camera's buffer moves on.
                        if !reader.read_into(&mut skipped)? {
                            return Err(ended(ctx.warmup + index));
                        }
                    }
                    ctx.warmup + index
                }
                None => break,
            },
        };
        next = index + 1;
        let (frame, wire) = &mut ring[written as usize % (sink.held() + 1)];
        if crate::interrupt::requested() {
            // Dropping the sink kills and reaps ffmpeg's process group.
            return Err(RunError::Interrupted);
        }
        let t = Instant::now();
        if !reader.read_into(frame)? {
            return Err(ended(index));
        }
        let t_overlay = Instant::now();
        let inner = match overlay.as_mut() {
            Some(o) => o
                .draw(frame, index, &ctx.workload.detections.persons(index))
                .map_err(|e| {
                    RunError::Other(anyhow::Error::new(e).context(format!("frame {index}")))
                })?,
            None => Duration::ZERO,
        };
        let t_convert = Instant::now();
        let bytes = pix_fmt.wire(frame, wire);
        let t_write = Instant::now();
        sink.write(frame, bytes)?;
        written += 1;
        if let Some(p) = &mut pacer {
            p.written(index - ctx.warmup);
        }
        if index >= ctx.warmup {
            let s = &mut timing.stages;
            s.input += (t_overlay - t).as_secs_f64();
            s.overlay += (t_convert - t_overlay - inner).as_secs_f64();
            s.conversion += (inner + (t_write - t_convert)).as_secs_f64();
            s.write += t_write.elapsed().as_secs_f64();
        }
        progress.frame();
    }
    let t = Instant::now();
    let output = sink.finish()?;
    timing.stages.finalize = t.elapsed().as_secs_f64();
    let realtime = pacer.map(Pacer::finish);
    let timed = realtime.as_ref().map_or(info.frames, |r| r.written);
    let mut outcome = timing.outcome(timed, output);
    outcome.result.realtime = realtime;
    outcome.result.decode = reader.finish();
    Ok(outcome)
}

fn ended(index: u64) -> RunError {
    RunError::Other(anyhow::anyhow!(
        "the input ended after {index} frames; ask for fewer with --frames"
    ))
}

/// The pipe's ceiling: the workload's first frame, converted once into the
/// pipe's format, written `warmup + frames` times through the encode modes' own
/// writer and pipe into an ffmpeg that passes it on unencoded and discards it.
/// What the pipe carries with no overlay, no conversion and no encoder — the
/// figure an encoder's speed is to be held against. ffmpeg must report every
/// frame it was sent.
pub fn run_copy(
    ctx: &RunContext,
    spec: &CaseSpec,
    progress: &Progress,
) -> Result<RunOutcome, RunError> {
    let info = &ctx.workload.info;
    let mut sink = open_sink(
        ctx,
        spec,
        None,
        None,
        Path::new(crate::ffmpeg::args::DISCARD),
    )?;
    let mut frame = Frame::new(info.width, info.height);
    if !ctx.workload.reader()?.read_into(&mut frame)? {
        return Err(RunError::Other(anyhow::anyhow!("the input has no frame")));
    }
    let mut buf = Vec::new();
    let wire = sink.pix_fmt().wire(&frame, &mut buf).to_vec();
    let total = ctx.warmup + info.frames;
    let mut timing = Timing::start();
    for index in 0..total {
        if crate::interrupt::requested() {
            return Err(RunError::Interrupted);
        }
        if index == ctx.warmup {
            timing.restart();
        }
        let t = Instant::now();
        // The same bytes every time: nothing rewrites them, vmsplice'd or not.
        sink.write(&frame, &wire)?;
        if index >= ctx.warmup {
            timing.stages.write += t.elapsed().as_secs_f64();
        }
        progress.frame();
    }
    let t = Instant::now();
    let output = sink.finish()?;
    timing.stages.finalize = t.elapsed().as_secs_f64();
    if output.frames_done != Some(total) {
        return Err(RunError::Other(anyhow::anyhow!(
            "ffmpeg passed on {} of the {total} frames written",
            output
                .frames_done
                .map_or("an unknown number".into(), |n| n.to_string())
        )));
    }
    Ok(timing.outcome(info.frames, output))
}

/// The synthetic ring in `pix_fmt`, as one raw file for ffmpeg to loop (None for videos).
pub fn ring_file(ctx: &RunContext, pix_fmt: PixFmt) -> anyhow::Result<Option<tempfile::TempPath>> {
    let crate::workload::Input::Synthetic(ring) = &ctx.workload.input else {
        return Ok(None);
    };
    let mut file = crate::scratch::file("ring", ".raw")?;
    let mut wire = Vec::new();
    for frame in ring {
        std::io::Write::write_all(&mut file, pix_fmt.wire(frame, &mut wire))?;
    }
    Ok(Some(file.into_temp_path()))
}

/// `--sessions N`: N encode streams at once, each its own pipeline and ffmpeg
/// (with `--gpu all`'s together case, stream i on the case's GPU i).
/// `fps` is their aggregate (all frames over the longest stream's wall time),
/// `stream_fps` each one's own; stream 0's output stands for the case. The first
/// failing stream's classified failure is the case's (a session limit shows here).
pub fn run_streams(
    ctx: &RunContext,
    spec: &CaseSpec,
    writer: Option<&Writer>,
    settings: Option<&EncodeSettings>,
    outputs: &[PathBuf],
    progress: &Progress,
) -> Result<RunOutcome, RunError> {
    let quiet = Progress::silent();
    let streams: Vec<Result<RunOutcome, RunError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = outputs
            .iter()
            .enumerate()
            .map(|(i, output)| {
                let progress = if i == 0 { progress } else { &quiet };
                // Streams spread over GPUs (`--gpu all`): each on its own.
                let settings = settings.map(|s| EncodeSettings {
                    gpu: spec.gpus.get(i).map_or(s.gpu, |g| Some(g.cuda)),
                    ..s.clone()
                });
                scope.spawn(move || {
                    let open = || Ok(open_sink(ctx, spec, writer, settings.as_ref(), output)?);
                    run_frames(ctx, spec, open, progress)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(RunError::Other(anyhow::anyhow!(
                        "an encode stream panicked"
                    )))
                })
            })
            .collect()
    });
    let mut outcomes = Vec::new();
    for stream in streams {
        outcomes.push(stream?);
    }
    let frames = ctx.workload.info.frames * outcomes.len() as u64;
    let wall = outcomes.iter().map(|o| o.result.wall_s).fold(0.0, f64::max);
    let stream_fps = outcomes.iter().map(|o| o.result.fps).collect();
    let mut first = outcomes.swap_remove(0);
    first.result.fps = frames as f64 / wall;
    first.result.wall_s = wall;
    first.result.stream_fps = stream_fps;
    Ok(first)
}

/// The encoder's ceiling: ffmpeg encoding on its own, with the same encoder, settings
/// and pipe format, no pipe and no overlay. For the embedded clip it reads the very
/// frames the pipe cases send (the ring, written once to a file and looped), so the
/// only difference is the pipe; for a user's video, ffmpeg's testsrc2 stands in.
/// `ring` is `ring_file`'s, written once for all of a case's runs.
pub fn run_lavfi(
    ctx: &RunContext,
    settings: &EncodeSettings,
    ring: Option<&Path>,
    output: &Path,
) -> Result<RunOutcome, RunError> {
    let info = &ctx.workload.info;
    let ffmpeg = ffmpeg(ctx)?;
    let raw = RawInput::new(info.width, info.height, info.fps, settings.pix_fmt);
    let args = crate::ffmpeg::args::ceiling_args(&raw, ring, info.frames, settings, output);
    let mut timing = Timing::start();
    // The same heap as the pipe cases: the only difference left is the pipe.
    let env = crate::ffmpeg::heap::env_here(ctx.engine.pipe.heap);
    let mut process = FfmpegProcess::spawn_env(ffmpeg, &args, env.as_ref())?;
    drop(process.take_stdin());
    let status = process.wait(ctx.write_timeout.max(Duration::from_secs(60)) * 10)?;
    // ffmpeg's whole run is one stage here: it reads, encodes and writes on its own.
    timing.stages.finalize = timing.elapsed_s();
    let lines = process.stderr_lines();
    if !status.success() {
        return Err(classify(&lines, &exit_info(&status), None).into());
    }
    let output = SinkOutput {
        path: (output != Path::new(crate::ffmpeg::args::DISCARD)).then(|| PathBuf::from(output)),
        command: Some(shell_line_env(env.as_ref(), ffmpeg, &args)),
        stderr_tail: last_lines(&lines),
        first_frame_s: None,
        pipe: None,
        frames_done: None,
        writer: None,
    };
    Ok(timing.outcome(info.frames, output))
}
