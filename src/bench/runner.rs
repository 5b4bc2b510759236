//! Measures one case: frames through overlay and writer, stage by stage.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::case::{CaseSpec, SinkSpec};
use super::progress::Progress;
use super::usage;
use crate::encode::fallback::Writer;
use crate::encode::ffmpeg_pipe::FfmpegPipeSink;
use crate::encode::null::NullSink;
use crate::encode::{FrameSink, SinkOutput};
use crate::ffmpeg::args::{
    browser_args, encoder_args, format_fps, shell_line, EncodeSettings, RawInput,
};
use crate::ffmpeg::child::{exit_info, FfmpegProcess};
use crate::ffmpeg::failure::{classify, last_lines};
use crate::ffmpeg::EncodeFailure;
use crate::frame::Frame;
use crate::overlay::Overlay;
use crate::results::{RunResult, Stages};
use crate::workload::Workload;

pub struct RunContext<'a> {
    pub workload: &'a Workload,
    pub ffmpeg: Option<&'a Path>,
    pub warmup: u64,
    pub write_timeout: Duration,
}

/// What one run produced.
pub struct RunOutcome {
    pub result: RunResult,
    pub output: SinkOutput,
}

/// Why a run stopped.
#[derive(Debug)]
pub enum RunError {
    Encode(EncodeFailure),
    Other(anyhow::Error),
    /// Ctrl-C or SIGTERM: stop, clean up, keep what was measured.
    Interrupted,
}

impl From<EncodeFailure> for RunError {
    fn from(e: EncodeFailure) -> Self {
        Self::Encode(e)
    }
}

impl From<anyhow::Error> for RunError {
    fn from(e: anyhow::Error) -> Self {
        Self::Other(e)
    }
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Encode(e) => write!(f, "{e}"),
            Self::Other(e) => write!(f, "{e:#}"),
            Self::Interrupted => write!(f, "interrupted"),
        }
    }
}

/// The sink a case writes to, with the writer already chosen.
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
        (SinkSpec::OpenCv { fourcc }, _)
        | (SinkSpec::Pipe { .. }, Some(Writer::Opencv { fourcc })) => {
            open_opencv(output, fourcc, info.fps, info.width, info.height)
        }
        (SinkSpec::Pipe { .. }, Some(Writer::Ffmpeg { .. })) | (SinkSpec::Pipe { .. }, None) => {
            let settings = settings.expect("pipe cases carry settings");
            let ffmpeg = ctx.ffmpeg.ok_or(EncodeFailure::FfmpegNotFound {
                searched: "--ffmpeg, $NVVIZ_FFMPEG, PATH".into(),
            })?;
            let input = RawInput::bgr24(info.width, info.height, info.fps);
            Ok(Box::new(FfmpegPipeSink::spawn(
                ffmpeg,
                &input,
                settings,
                output,
                ctx.write_timeout,
            )?))
        }
        (SinkSpec::Lavfi { .. }, _) => unreachable!("lavfi cases do not use a frame sink"),
    }
}

#[cfg(feature = "opencv")]
fn open_opencv(
    output: &Path,
    fourcc: &str,
    fps: f64,
    w: u32,
    h: u32,
) -> Result<Box<dyn FrameSink>, EncodeFailure> {
    Ok(Box::new(
        crate::encode::opencv_writer::OpenCvWriterSink::open(output, fourcc, fps, w, h)?,
    ))
}

#[cfg(not(feature = "opencv"))]
fn open_opencv(
    _: &Path,
    fourcc: &str,
    _: f64,
    _: u32,
    _: u32,
) -> Result<Box<dyn FrameSink>, EncodeFailure> {
    Err(EncodeFailure::WriterFailed {
        writer: format!("OpenCV VideoWriter ({fourcc})"),
        detail: "this build has no OpenCV (--no-default-features)".into(),
    })
}

/// One timed pass over the workload.
pub fn run_frames(
    ctx: &RunContext,
    spec: &CaseSpec,
    mut sink: Box<dyn FrameSink>,
    progress: &Progress,
) -> Result<RunOutcome, RunError> {
    let info = &ctx.workload.info;
    let mut reader = ctx.workload.reader()?;
    let mut overlay = spec
        .overlay
        .map(|k| Overlay::new(k, info.width, info.height, info.fps))
        .transpose()?;
    let mut frame = Frame::new(info.width, info.height);
    let total = ctx.warmup + info.frames;
    let mut stages = Stages::default();
    let mut timed_from: Option<(Instant, usage::CpuTimes)> = None;
    for index in 0..total {
        if crate::interrupt::requested() {
            // Dropping the sink kills and reaps ffmpeg's process group.
            return Err(RunError::Interrupted);
        }
        if index == ctx.warmup {
            timed_from = Some((Instant::now(), usage::now()));
        }
        let timed = index >= ctx.warmup;
        let t = Instant::now();
        if !reader.read_into(&mut frame)? {
            return Err(RunError::Other(anyhow::anyhow!(
                "the input ended after {index} frames; ask for fewer with --frames"
            )));
        }
        let t_overlay = Instant::now();
        let conversion = overlay.as_mut().map_or(Duration::ZERO, |o| {
            o.draw(&mut frame, index, ctx.workload.detections.persons(index))
        });
        let t_write = Instant::now();
        sink.write(&frame)?;
        let done = Instant::now();
        if timed {
            stages.input += (t_overlay - t).as_secs_f64();
            stages.overlay += (t_write - t_overlay - conversion).as_secs_f64();
            stages.conversion += conversion.as_secs_f64();
            stages.write += (done - t_write).as_secs_f64();
        }
        progress.frame();
    }
    let t = Instant::now();
    let output = sink.finish()?;
    stages.finalize = t.elapsed().as_secs_f64();
    let (started, cpu0) = timed_from.unwrap_or((t, usage::now()));
    let wall = started.elapsed().as_secs_f64();
    let cpu1 = usage::now();
    let per_frame = 1000.0 / info.frames.max(1) as f64;
    let stages_ms = Stages {
        input: stages.input * per_frame,
        overlay: stages.overlay * per_frame,
        conversion: stages.conversion * per_frame,
        write: stages.write * per_frame,
        finalize: stages.finalize * per_frame,
    };
    let uses_ffmpeg = output.command.is_some();
    Ok(RunOutcome {
        result: RunResult {
            fps: info.frames as f64 / wall,
            wall_s: wall,
            stages_ms_per_frame: stages_ms,
            cpu_own_cores: (cpu1.own_s - cpu0.own_s) / wall,
            cpu_children_cores: uses_ffmpeg.then(|| (cpu1.children_s - cpu0.children_s) / wall),
            max_rss_mib: cpu1.max_rss_mib,
        },
        output,
    })
}

/// ffmpeg generating frames itself with the same encoder: no pipe, no overlay.
pub fn run_lavfi(
    ctx: &RunContext,
    settings: &EncodeSettings,
    output: &Path,
) -> Result<RunOutcome, RunError> {
    let info = &ctx.workload.info;
    let ffmpeg = ctx.ffmpeg.ok_or(EncodeFailure::FfmpegNotFound {
        searched: "--ffmpeg, $NVVIZ_FFMPEG, PATH".into(),
    })?;
    let mut args: Vec<String> = vec![
        "-y".into(),
        "-f".into(),
        "lavfi".into(),
        "-i".into(),
        format!(
            "testsrc2=size={}x{}:rate={}",
            info.width,
            info.height,
            format_fps(info.fps)
        ),
        "-frames:v".into(),
        info.frames.to_string(),
    ];
    args.extend(encoder_args(settings));
    if settings.browser_compat {
        args.extend(browser_args(info.width, info.height));
    }
    crate::ffmpeg::args::push_output(&mut args, output);
    let cpu0 = usage::now();
    let started = Instant::now();
    let mut process = FfmpegProcess::spawn(ffmpeg, &args)?;
    drop(process.take_stdin());
    let status = process.wait(ctx.write_timeout.max(Duration::from_secs(60)) * 10)?;
    let wall = started.elapsed().as_secs_f64();
    let cpu1 = usage::now();
    let lines = process.stderr_lines();
    if !status.success() {
        return Err(classify(&lines, &exit_info(&status), None).into());
    }
    let per_frame = 1000.0 * wall / info.frames.max(1) as f64;
    Ok(RunOutcome {
        result: RunResult {
            fps: info.frames as f64 / wall,
            wall_s: wall,
            stages_ms_per_frame: Stages {
                finalize: per_frame,
                ..Stages::default()
            },
            cpu_own_cores: (cpu1.own_s - cpu0.own_s) / wall,
            cpu_children_cores: Some((cpu1.children_s - cpu0.children_s) / wall),
            max_rss_mib: cpu1.max_rss_mib,
        },
        output: SinkOutput {
            path: (output != Path::new(crate::ffmpeg::args::DISCARD))
                .then(|| PathBuf::from(output)),
            command: Some(shell_line(ffmpeg, &args)),
            stderr_tail: last_lines(&lines),
        },
    })
}
