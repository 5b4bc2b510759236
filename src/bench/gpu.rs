//! The GPU-resident modes' part of a case: ffmpeg decodes the video on NVDEC
//! and composites the overlay layer this process draws (yuva420p on its
//! stdin, `overlay::layer`) on the GPU; NVENC encodes the CUDA frames, a CPU
//! encoder gets them after one download. The baselines stop after the
//! composite (`composite-ceiling`) or after the decode (`nvdec-ceiling`).
//! Started and run by `case_run.rs` like every case.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::time::{Duration, Instant};

use super::case::CaseSpec;
use super::progress::Progress;
use super::run::{RunContext, RunError, RunOutcome, Timing};
use crate::encode::ffmpeg_pipe::FfmpegPipeSink;
use crate::encode::{FrameSink, SinkOutput};
use crate::ffmpeg::args::{shell_line, EncodeSettings, DISCARD};
use crate::ffmpeg::child::{exit_info, FfmpegProcess};
use crate::ffmpeg::decode::DecodeOn;
use crate::ffmpeg::decode::NvdecCodec as Codec;
use crate::ffmpeg::failure::{classify_gpu_decode, last_lines};
use crate::ffmpeg::gpu::{gpu_args, GpuInput, GpuStage};
use crate::ffmpeg::probe_file::ColorTags;
use crate::frame::Frame;
use crate::overlay::layer::{Layer, LayerFrame, LayerTimes};
use crate::overlay::{Overlay, OverlayError};
use crate::results::decode::GpuPath;
use crate::results::failure::EncodeFailure;
use crate::results::{Mode, StyleKind};
use crate::workload::detections::Person;
use crate::workload::Input;

/// How long NVDEC's trial may take when a case starts.
const TRIAL_TIMEOUT: Duration = Duration::from_secs(30);

/// What a GPU case reads, made once when it starts: the user's video, or the
/// embedded clip written as H.264 for the decoder to read; and where it runs.
pub struct Source {
    video: PathBuf,
    seek: Option<f64>,
    color: ColorTags,
    _written: Option<tempfile::TempPath>,
    path: GpuPath,
    /// NVDEC and the composite driven in this process (`gpu_cuda`), on this
    /// codec's stream; None: ffmpeg's CUDA filters.
    in_process: Option<Codec>,
}

impl Source {
    /// The case's video, and where it can run: CUDA's and NVDEC's trials
    /// decide, the CPU path is the fallback with their failure as the reason.
    pub fn prepare(ctx: &RunContext) -> anyhow::Result<Self> {
        let ffmpeg = super::runner::ffmpeg(ctx)?;
        // No driver or no GPU: known before the embedded clip is written.
        let cuda = crate::ffmpeg::decode::cuda_trial(ffmpeg, ctx.gpu, TRIAL_TIMEOUT);
        let info = &ctx.workload.info;
        let (video, seek, color, codec, written) = match &ctx.workload.input {
            Input::Video {
                path, color, codec, ..
            } => (
                path.clone(),
                crate::workload::video::seek_seconds(info.start_frame, info.fps),
                color.clone(),
                codec.as_str(),
                None,
            ),
            Input::Feed(_) => {
                anyhow::bail!("the GPU-resident modes read a video file; a fed input has none")
            }
            Input::Synthetic(_) => {
                let written = super::command::write_video(ctx)?;
                (
                    written.to_path_buf(),
                    None,
                    ColorTags::bt709_limited(),
                    // `write_video`'s libx264.
                    "h264",
                    Some(written),
                )
            }
        };
        let trial = cuda.and_then(|()| {
            crate::ffmpeg::decode::nvdec_trial(ffmpeg, &video, seek, ctx.gpu, TRIAL_TIMEOUT)
        });
        if let Err(EncodeFailure::Interrupted) = trial {
            anyhow::bail!("interrupted");
        }
        let in_process = match trial {
            Ok(()) => in_process(ctx, ffmpeg, &video, codec),
            Err(_) => Err("NVDEC failed its trial".into()),
        };
        Ok(Self {
            video,
            seek,
            color,
            _written: written,
            path: GpuPath {
                on_gpu: trial.is_ok(),
                fallback: trial.err(),
                in_process: in_process.is_ok(),
                through_ffmpeg_because: in_process.as_ref().err().cloned(),
            },
            in_process: in_process.ok(),
        })
    }

    /// Where the case runs, for its result: in this process where the
    /// stage runs here, else through ffmpeg's filters and why.
    pub fn path(&self, spec: &CaseSpec, settings: Option<&EncodeSettings>) -> GpuPath {
        let stage = stage(spec, settings);
        let mut path = self.path.clone();
        path.in_process = self.cuda_video(stage).is_some();
        if self.in_process.is_some() && !path.in_process {
            path.through_ffmpeg_because = Some(match stage {
                GpuStage::Decode => "NVDEC alone is timed through ffmpeg".into(),
                _ => "NVENC takes the CUDA frames inside ffmpeg".into(),
            });
        }
        path
    }

    fn input(&self, ctx: &RunContext) -> GpuInput<'_> {
        let info = &ctx.workload.info;
        GpuInput {
            video: &self.video,
            seek: self.seek,
            width: info.width,
            height: info.height,
            fps: info.fps,
            frames: ctx.warmup + info.frames,
            on: if self.path.on_gpu {
                DecodeOn::Nvdec(ctx.gpu)
            } else {
                DecodeOn::Cpu
            },
            color: &self.color,
        }
    }
}

/// The codec NVDEC decodes `video` as, driven in this process, where its
/// trial passes; else why not (the case says so and runs ffmpeg's filters).
fn in_process(ctx: &RunContext, ffmpeg: &Path, video: &Path, name: &str) -> Result<Codec, String> {
    let codec = Codec::from_ffmpeg(name)
        .ok_or_else(|| format!("{name} goes to NVDEC through ffmpeg only (h264 and hevc here)"))?;
    let info = &ctx.workload.info;
    crate::cuda::video::trial(ffmpeg, video, codec, (info.width, info.height), ctx.gpu)
        .map_err(|e| e.to_string())?;
    Ok(codec)
}

/// How far a case's mode takes the GPU path.
fn stage<'s>(spec: &CaseSpec, settings: Option<&'s EncodeSettings>) -> GpuStage<'s> {
    match (spec.mode, settings) {
        (Mode::NvdecCeiling, _) => GpuStage::Decode,
        (Mode::GpuResident, Some(settings)) => GpuStage::Encode(settings),
        _ => GpuStage::Composite,
    }
}

impl Source {
    /// The command line each run of the case starts, known before it runs
    /// (a failed case's fix points at it).
    pub fn command_line(
        &self,
        ctx: &RunContext,
        spec: &CaseSpec,
        settings: Option<&EncodeSettings>,
        output: &Path,
    ) -> anyhow::Result<String> {
        let ffmpeg = super::runner::ffmpeg(ctx)?;
        if let Some(video) = self.cuda_video(stage(spec, settings)) {
            return Ok(crate::cuda::video::NvdecStream::demux_line(
                ffmpeg,
                video.path,
                video.codec,
            ));
        }
        Ok(shell_line(
            ffmpeg,
            &gpu_args(&self.input(ctx), stage(spec, settings), output),
        ))
    }

    /// The video for the in-process path, where it runs this stage: the
    /// composite, and an encode by a CPU encoder (NVENC takes CUDA frames
    /// inside ffmpeg; NVDEC alone is ffmpeg's, with its sessions).
    fn cuda_video(&self, stage: GpuStage) -> Option<super::gpu_cuda::Video<'_>> {
        let runs_here = match stage {
            GpuStage::Decode => false,
            GpuStage::Composite => true,
            GpuStage::Encode(settings) => !settings.encoder.is_nvenc(),
        };
        let codec = self.in_process.filter(|_| runs_here)?;
        Some(super::gpu_cuda::Video {
            path: &self.video,
            codec,
        })
    }
}

/// One run of a GPU case; `settings` are the resolved encoder's (gpu-resident).
pub fn run(
    ctx: &RunContext,
    spec: &CaseSpec,
    source: &Source,
    settings: Option<&EncodeSettings>,
    output: &Path,
    progress: &Progress,
) -> Result<RunOutcome, RunError> {
    let stage = stage(spec, settings);
    if stage == GpuStage::Decode {
        return run_decode(ctx, source, spec.sessions, progress);
    }
    if let Some(video) = source.cuda_video(stage) {
        return super::gpu_cuda::run(ctx, spec, &video, settings, output, progress);
    }
    let input = source.input(ctx);
    let output = match stage {
        GpuStage::Encode(_) => output,
        _ => Path::new(DISCARD),
    };
    let sink = FfmpegPipeSink::spawn_gpu(
        super::runner::ffmpeg(ctx)?,
        gpu_args(&input, stage, output),
        &input.layer(),
        output,
        settings.map(|s| s.encoder.as_str()),
        ctx.write_timeout,
        ctx.engine.pipe,
    )?;
    run_layers(ctx, spec, Box::new(sink), progress)
}

/// A layer frame drawn for frame `index`, with what drawing it took.
pub(super) struct Drawn<L> {
    pub index: u64,
    pub layer: L,
    pub times: LayerTimes,
}

/// What one way of drawing the layer needs (`Layer::draw`, a yuva420p
/// frame; `Layer::draw_packed`, the packed regions).
pub(super) type DrawFn<L> =
    fn(&mut Layer, &mut Overlay, u64, &[Person], &mut L) -> Result<LayerTimes, OverlayError>;

/// The drawing thread's loop: each frame's layer drawn into a buffer from
/// `free` and sent on `drawn`, until either channel closes or drawing fails.
pub(super) fn draw_layers<L>(
    ctx: &RunContext,
    mut overlay: Overlay,
    total: u64,
    free: Receiver<L>,
    drawn: SyncSender<Result<Drawn<L>, RunError>>,
    draw: DrawFn<L>,
) {
    let info = &ctx.workload.info;
    let mut layer = Layer::new(info.width, info.height);
    for index in 0..total {
        let Ok(mut buffer) = free.recv() else {
            return;
        };
        let persons = ctx.workload.detections.persons(index);
        let result = draw(&mut layer, &mut overlay, index, &persons, &mut buffer)
            .map(|times| Drawn {
                index,
                layer: buffer,
                times,
            })
            .map_err(RunError::Overlay);
        let stop = result.is_err();
        if drawn.send(result).is_err() || stop {
            return;
        }
    }
}

/// The next drawn layer (an interrupt or the drawing thread's end stops
/// the run); the clock restarts when the warm-up is over.
pub(super) fn next_drawn<L>(
    ctx: &RunContext,
    drawn: &Receiver<Result<Drawn<L>, RunError>>,
    timing: &mut Timing,
) -> Result<Drawn<L>, RunError> {
    if crate::interrupt::requested() {
        return Err(RunError::Interrupted);
    }
    let next = drawn
        .recv()
        .map_err(|_| RunError::Other(anyhow::anyhow!("the layer's drawing stopped")))??;
    if next.index == ctx.warmup {
        timing.restart();
    }
    Ok(next)
}

/// A frame's stages counted, after the warm-up: drawing, making the layer,
/// and the rest since `started` (writing it, or compositing it here).
pub(super) fn count<L>(ctx: &RunContext, timing: &mut Timing, drawn: &Drawn<L>, started: Instant) {
    if drawn.index >= ctx.warmup {
        let s = &mut timing.stages;
        s.overlay += drawn.times.draw.as_secs_f64();
        s.conversion += drawn.times.convert.as_secs_f64();
        s.write += started.elapsed().as_secs_f64();
    }
}

/// The overlay drawn as a layer into the GPU path's stdin, the two
/// overlapped: one thread draws frame n + 1 while this one writes frame n
/// (both bound the rate: on the lent H200 one after the other reached 0.6
/// of NVDEC's). Buffers go round a pool; one just written waits out the
/// `held()` newer ones before it is drawn on again (vmsplice'd pages may
/// still be in the pipe).
fn run_layers(
    ctx: &RunContext,
    spec: &CaseSpec,
    mut sink: Box<dyn FrameSink>,
    progress: &Progress,
) -> Result<RunOutcome, RunError> {
    let info = &ctx.workload.info;
    let overlay = Overlay::for_workload(spec.overlay.unwrap_or(StyleKind::Native), info)?;
    let held = sink.held();
    let (free_tx, free_rx) = sync_channel::<LayerFrame>(held + 2);
    for _ in 0..held + 2 {
        free_tx
            .send(LayerFrame::new(info.width, info.height))
            .expect("the pool's channel holds the pool");
    }
    let (drawn_tx, drawn_rx) = sync_channel::<Result<Drawn<LayerFrame>, RunError>>(1);
    let total = ctx.warmup + info.frames;
    let mut timing = Timing::start();
    let written: Result<(), RunError> = std::thread::scope(|scope| {
        scope.spawn(move || draw_layers(ctx, overlay, total, free_rx, drawn_tx, Layer::draw));
        // Owned here: whichever way this ends, they drop before the scope
        // waits for the drawing thread, which then stops waiting on them.
        let (free_tx, drawn_rx) = (free_tx, drawn_rx);
        // The sink reads the bytes only; the frame argument is for writers that draw.
        let unused = Frame::new(0, 0);
        let mut in_pipe = std::collections::VecDeque::with_capacity(held + 1);
        for _ in 0..total {
            let drawn = next_drawn(ctx, &drawn_rx, &mut timing)?;
            let t = Instant::now();
            sink.write(&unused, &drawn.layer.bytes)?;
            count(ctx, &mut timing, &drawn, t);
            progress.frame();
            in_pipe.push_back(drawn.layer);
            if in_pipe.len() > held {
                let reusable = in_pipe.pop_front().expect("longer than held");
                let _ = free_tx.send(reusable);
            }
        }
        // Returning drops the channels' ends here: a drawing thread still
        // waiting for a buffer or a slot ends.
        Ok(())
    });
    written?;
    let t = Instant::now();
    let output = sink.finish()?;
    timing.stages.finalize = t.elapsed().as_secs_f64();
    all_frames(&output, total)?;
    Ok(timing.outcome(info.frames, output))
}

/// ffmpeg must report every frame the run gave it.
pub(super) fn all_frames(output: &SinkOutput, total: u64) -> Result<(), RunError> {
    if output.frames_done == Some(total) {
        return Ok(());
    }
    Err(RunError::Other(anyhow::anyhow!(
        "ffmpeg passed on {} of the {total} frames",
        output
            .frames_done
            .map_or("an unknown number".into(), |n| n.to_string())
    )))
}

/// NVDEC alone: ffmpeg decodes the frames into GPU memory and discards them,
/// in `sessions` processes at once (`--sessions`: what several NVDEC
/// sessions give together). Each is timed from its own progress lines, from
/// the first at or past the warm-up to its last (a CUDA context's start is
/// not the decoder's rate); the case's fps is their sum, `stream_fps` each.
fn run_decode(
    ctx: &RunContext,
    source: &Source,
    sessions: u32,
    progress: &Progress,
) -> Result<RunOutcome, RunError> {
    let ffmpeg = super::runner::ffmpeg(ctx)?;
    let input = source.input(ctx);
    let args: Vec<String> = ["-stats_period", "0.05"]
        .map(String::from)
        .into_iter()
        .chain(gpu_args(&input, GpuStage::Decode, Path::new(DISCARD)))
        .collect();
    let timing = Timing::start();
    let started = Instant::now();
    let mut processes = (0..sessions.max(1))
        .map(|_| FfmpegProcess::spawn(ffmpeg, &args))
        .collect::<Result<Vec<_>, _>>()?;
    let timeout = ctx.write_timeout.max(Duration::from_secs(60)) * 10;
    let total = input.frames;
    let mut rates = Vec::new();
    let mut output = None;
    for process in &mut processes {
        let status = process.wait(timeout)?;
        let lines = process.stderr_lines();
        if !status.success() {
            return Err(classify_gpu_decode(&lines, &exit_info(&status)).into());
        }
        let stream = SinkOutput {
            path: None,
            command: Some(shell_line(ffmpeg, &args)),
            stderr_tail: last_lines(&lines),
            first_frame_s: process.first_frame_after_start().map(|d| d.as_secs_f64()),
            pipe: None,
            frames_done: process.last_progress().map(|p| u64::from(p.frame)),
            writer: None,
        };
        all_frames(&stream, total)?;
        // Its last progress line is its end (waited for in turn, it may have
        // ended while another was being waited for).
        let marks = process.progress_marks();
        let ended = marks.last().map_or_else(Instant::now, |(at, _)| *at);
        // Too short a run for a steady window: the whole process, start-up included.
        let whole = total as f64
            / ended
                .saturating_duration_since(started)
                .as_secs_f64()
                .max(1e-9);
        rates.push(steady_fps(&marks, ctx.warmup, (ended, total)).unwrap_or(whole));
        output.get_or_insert(stream);
    }
    for _ in 0..total {
        progress.frame();
    }
    let output = output.expect("at least one session");
    let mut outcome = timing.outcome(
        ctx.workload.info.frames * u64::from(sessions.max(1)),
        output,
    );
    let fps: f64 = rates.iter().sum();
    outcome.result.fps = fps;
    outcome.result.wall_s = (ctx.workload.info.frames * u64::from(sessions.max(1))) as f64 / fps;
    if rates.len() > 1 {
        outcome.result.stream_fps = rates;
    }
    Ok(outcome)
}

/// Frames per second from the first progress mark at or past `warmup` frames
/// to the end (`ended`, `total` frames done); None where no mark comes before
/// at least half of the frames after the warm-up are left.
fn steady_fps(
    marks: &[(Instant, u64)],
    warmup: u64,
    (ended, total): (Instant, u64),
) -> Option<f64> {
    let &(at, done) = marks.iter().find(|(_, n)| *n >= warmup)?;
    let seconds = ended.saturating_duration_since(at).as_secs_f64();
    // A window of a few frames (progress comes every 50 ms) says little.
    let enough = (total - warmup.min(total)) / 2;
    (done < total && total - done >= enough.max(1) && seconds > 0.0)
        .then(|| (total - done) as f64 / seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decoders_rate_is_counted_from_the_warm_up_on() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        // A slow start (CUDA's context), then 10 frames each 10 ms.
        let marks = [(at(400), 0), (at(450), 5), (at(500), 10), (at(550), 15)];
        let fps = steady_fps(&marks, 10, (at(1400), 100)).unwrap();
        assert!((fps - 100.0).abs() < 1e-6, "{fps}");
        // No mark before the end: no steady rate to give.
        assert_eq!(steady_fps(&marks, 20, (at(1400), 100)), None);
        assert_eq!(steady_fps(&[], 0, (at(10), 100)), None);
        // A first mark past the warm-up with few frames left: no steady window.
        assert_eq!(steady_fps(&[(at(50), 90)], 10, (at(60), 100)), None);
    }

    use crate::bench::case::{CaseSpec, SinkSpec};
    use crate::bench::run::EngineConfig;
    use crate::encode::{FrameSink, SinkOutput};
    use crate::results::EngineKind;
    use crate::workload::Workload;

    fn context(workload: &Workload) -> RunContext<'_> {
        RunContext {
            workload,
            ffmpeg: None,
            warmup: 2,
            write_timeout: Duration::from_secs(5),
            engine: EngineConfig::test(EngineKind::Pipelined),
            gpu: None,
        }
    }

    fn spec() -> CaseSpec {
        CaseSpec {
            mode: Mode::CompositeCeiling,
            overlay: Some(StyleKind::Native),
            stand_in: None,
            sink: SinkSpec::Gpu { settings: None },
            sessions: 1,
            gpus: Vec::new(),
        }
    }

    /// Records each layer's alpha plane; says it holds `held` frames.
    struct Layers {
        held: usize,
        seen: std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
        fail_at: Option<usize>,
    }

    impl FrameSink for Layers {
        fn label(&self) -> String {
            "layers".into()
        }
        fn held(&self) -> usize {
            self.held
        }
        fn write(&mut self, _: &Frame, wire: &[u8]) -> Result<(), EncodeFailure> {
            let mut seen = self.seen.lock().unwrap();
            if Some(seen.len()) == self.fail_at {
                return Err(EncodeFailure::BrokenPipe {
                    frames_written: seen.len() as u64,
                    last_lines: vec![],
                });
            }
            seen.push(wire.to_vec());
            Ok(())
        }
        fn finish(self: Box<Self>) -> Result<SinkOutput, EncodeFailure> {
            let frames = self.seen.lock().unwrap().len() as u64;
            Ok(SinkOutput {
                frames_done: Some(frames),
                ..SinkOutput::default()
            })
        }
    }

    /// Drawn on one thread and written on another, the layers are each
    /// frame's own, in order — the same coverage, and the same luma wherever
    /// it covers, as drawn one after the other into fresh buffers (a reused
    /// buffer keeps stale colour under zero coverage) — whatever the pipe holds.
    #[test]
    fn overlapped_layers_are_each_frames_own_in_order() {
        let workload = Workload::synthetic(320, 240, 30.0, 12, 4);
        let ctx = context(&workload);
        let mut overlay = Overlay::for_workload(StyleKind::Native, &workload.info).unwrap();
        let mut layer = Layer::new(320, 240);
        let want: Vec<Vec<u8>> = (0..14)
            .map(|i| {
                let mut f = LayerFrame::new(320, 240);
                layer
                    .draw(&mut overlay, i, &workload.detections.persons(i), &mut f)
                    .unwrap();
                f.bytes
            })
            .collect();
        for held in [0, 1, 3] {
            let seen = std::sync::Arc::default();
            let sink = Layers {
                held,
                seen: std::sync::Arc::clone(&seen),
                fail_at: None,
            };
            run_layers(&ctx, &spec(), Box::new(sink), &Progress::silent()).unwrap();
            let seen = seen.lock().unwrap();
            assert_eq!(seen.len(), 14, "held {held}");
            let pixels = 320 * 240;
            let visible = |b: &[u8]| -> Vec<(u8, u8)> {
                let alpha = &b[pixels * 3 / 2..];
                alpha
                    .iter()
                    .zip(&b[..pixels])
                    .map(|(&a, &y)| (a, if a > 0 { y } else { 0 }))
                    .collect()
            };
            for (i, (got, want)) in seen.iter().zip(&want).enumerate() {
                assert!(
                    visible(got) == visible(want),
                    "held {held}: frame {i}'s layer differs"
                );
            }
        }
    }

    /// A writer that fails mid-run: the call returns its failure (the
    /// drawing thread stops too: no hang).
    #[test]
    fn a_failing_writer_stops_both_threads() {
        let workload = Workload::synthetic(320, 240, 30.0, 40, 4);
        let ctx = context(&workload);
        let sink = Layers {
            held: 1,
            seen: Default::default(),
            fail_at: Some(3),
        };
        let got = run_layers(&ctx, &spec(), Box::new(sink), &Progress::silent());
        assert!(matches!(
            got,
            Err(RunError::Encode(EncodeFailure::BrokenPipe { .. }))
        ));
    }
}
