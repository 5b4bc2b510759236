//! One case of the matrix from start to result: its writer resolved (with the
//! guide's fallback) and files made, then one timed run per call, then the
//! result — summary, the output verified, quality, the output kept. In steps so
//! that `bench` can run cases one after another or round-robin (`--interleave`).
//! Only `start` asks the chooser; a run that meets NVENC's limits after its
//! trial passed returns `Step::Retry` and the bench decides again.

use std::path::{Path, PathBuf};

use super::case::{CaseSpec, SinkSpec};
use super::progress::Progress;
use super::run::{RunContext, RunError};
use super::runner::{self, OpenSink};
use super::{gpu_sampler, EngineOptions};
use crate::encode::fallback::Chooser;
use crate::encode::verify::{verify, CheckFailure, VerifyError};
use crate::ffmpeg::args::EncodeSettings;
use crate::probe::fallback::Writer;
use crate::results::codec::{Codec, EncoderName};
use crate::results::failure::EncodeFailure;
use crate::results::stats::Summary;
use crate::results::{
    CaseResult, CaseStatus, Cause, CeilingInput, Encoder, Fallback, Preset, Reason, Sink, Stages,
};
use crate::workload::Workload;

/// The timed frames the last run's output holds: what a realtime run kept up
/// with, what a feed's caller handed over, else the workload's count.
fn last_run_frames(result: &CaseResult, workload: &Workload) -> u64 {
    let last = result.runs.last();
    last.and_then(|r| r.realtime.as_ref())
        .map(|r| r.written)
        .or_else(|| last.and_then(|r| r.fed_frames))
        .unwrap_or(workload.info.frames)
}

pub fn reason_of(e: RunError) -> Reason {
    match e {
        RunError::Encode(f) => Reason::from(f),
        RunError::Overlay(e) => Reason::error(e.to_string()),
        RunError::Other(e) => Reason::error(format!("{e:#}")),
        RunError::Interrupted => Reason::interrupted(),
        RunError::Command(message) => Reason::Other(Cause::CommandFailed { message }),
    }
}

pub fn skipped(spec: &CaseSpec, workload: &Workload, why: Reason) -> CaseResult {
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
        mode: spec.mode,
        overlay: spec.overlay,
        stand_in: spec.stand_in.clone(),
        sink: spec.sink_kind(),
        codec: settings.map(|s| s.encoder.codec().map_or("other", Codec::name).to_string()),
        encoder: Encoder {
            requested: match &spec.sink {
                SinkSpec::OpenCvStandIn { encoder, .. } => Some(encoder.to_string()),
                _ => settings.map(|s| s.encoder.to_string()),
            },
            used: match &spec.sink {
                SinkSpec::OpenCv { fourcc } => Some(format!("opencv-{fourcc}")),
                // ffmpeg's stream copy: no encoder at all.
                SinkSpec::Copy { .. } => Some("copy".into()),
                _ => None,
            },
            fallback: None,
        },
        preset: Preset {
            requested: settings.and_then(|s| s.preset.clone()),
            used: settings.and_then(|s| s.preset.clone()),
        },
        pix_fmt: spec.pix_fmt(),
        sessions: spec.sessions,
        pipe: None,
        engine: None,
        width: info.width,
        height: info.height,
        fps_target: info.fps,
        frames: info.frames,
        warmup_frames: 0,
        status: CaseStatus::Ok,
        reason: None,
        command: None,
        runs: Vec::new(),
        fps: None,
        stages_ms_per_frame: None,
        verified: None,
        quality: None,
        quality_error: None,
        gpus: spec.gpus.clone(),
        gpu_samples: Vec::new(),
        relative: None,
        ceiling_input: None,
        output: None,
        user_command: match &spec.sink {
            SinkSpec::Command(command) => Some(command.case()),
            _ => None,
        },
        gpu_path: None,
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
            Ok(crate::scratch::beside(
                out_dir,
                &format!("stream{i}"),
                ".mp4",
            )?)
        })
        .collect()
}

/// A case between its start and its result.
pub struct CaseRun<'a> {
    spec: &'a CaseSpec,
    workload: &'a Workload,
    label: String,
    result: CaseResult,
    writer: Option<Writer>,
    settings: Option<EncodeSettings>,
    /// Encoded into a temporary name beside the final one and renamed once
    /// verified: a failed case leaves no half-written file.
    partial: Option<tempfile::TempPath>,
    output: PathBuf,
    /// Where the sink wrote instead of `output` (the demo's OpenCV fallback:
    /// XVID into `.avi`), removed unless the case keeps it.
    elsewhere: Option<tempfile::TempPath>,
    /// The ceiling's frames as one file, written once for all its runs.
    ring: Option<tempfile::TempPath>,
    /// A user's command: the video and detections it reads, written once.
    inputs: Option<super::command::Inputs>,
    /// A GPU-resident case: the video NVDEC decodes, tried when it starts.
    gpu: Option<super::gpu::Source>,
    last_output: Option<PathBuf>,
    runs_done: u32,
    failed: bool,
    /// The ffmpeg every run of the case starts (the chooser's).
    ffmpeg: Option<PathBuf>,
    /// That ffmpeg measures VMAF.
    vmaf: bool,
}

/// What a case is after a step: still running, finished with its result, or
/// to be started again because its requested encoder failed for real after
/// its trial passed (the NVENC session limit, most often): the bench records
/// the failure with the chooser and starts the case over, which falls back or
/// fails as configured, with this failure as the reason.
pub enum Step<'a> {
    Running(Box<CaseRun<'a>>),
    Finished(Box<CaseResult>),
    Retry {
        encoder: EncoderName,
        failure: EncodeFailure,
    },
}

/// What the chooser decided, in the case's result: the encoder that will run,
/// the fallback and its cause, the preset it takes, the pipe's format and
/// transport.
fn record_writer(
    result: &mut CaseResult,
    spec: &CaseSpec,
    resolved: &runner::Resolved,
    options: &EngineOptions,
) {
    if let Some(choice) = &resolved.choice {
        result.encoder.fallback = choice.fallback.as_ref().map(|fb| Fallback {
            from: fb.from.clone(),
            cause: fb.reason.clone(),
        });
        // The OpenCV writer takes no preset; a CPU encoder its own name for it.
        result.preset.used = resolved.settings.as_ref().and_then(|s| s.preset.clone());
    }
    if let Some(writer) = &resolved.writer {
        result.encoder.used = Some(writer.name());
        // The guide's last fallback: OpenCV's VideoWriter wrote it, not a pipe.
        if matches!(writer, Writer::Opencv { .. }) {
            result.sink = Sink::OpencvWriter;
        }
    }
    if result.pix_fmt.is_none() {
        // A stand-in's settings are made when it starts.
        result.pix_fmt = resolved
            .settings
            .as_ref()
            .filter(|_| spec.sink_kind().is_ffmpeg())
            .map(|s| s.pix_fmt);
    }
    result.pipe = match (&spec.sink, &resolved.writer) {
        (SinkSpec::Copy { pipe, .. }, _) => Some(*pipe),
        (_, Some(Writer::Ffmpeg { .. })) if spec.sink_kind() == Sink::FfmpegPipe => {
            Some(options.engine.pipe)
        }
        _ => None,
    };
}

/// Where the case writes before its output is verified and kept: a scratch
/// file beside where it goes, or none for cases that keep nothing.
fn partial_output(
    spec: &CaseSpec,
    options: &EngineOptions,
    out_dir: &Path,
) -> Result<Option<tempfile::TempPath>, EncodeFailure> {
    if spec.mode == crate::results::Mode::EncodeToNull
        || matches!(
            spec.sink,
            SinkSpec::Null | SinkSpec::Copy { .. } | SinkSpec::Gpu { settings: None }
        )
    {
        return Ok(None);
    }
    crate::scratch::beside(out_dir, "case", &options.keep.suffix())
        .map(Some)
        .map_err(|e| EncodeFailure::OutputNotWritable {
            detail: format!("cannot write in {}: {e}", out_dir.display()),
        })
}

impl<'a> CaseRun<'a> {
    /// Resolves the case's writer (with the guide's fallback) and its files; a
    /// case that cannot run at all is finished here.
    pub fn start(
        spec: &'a CaseSpec,
        workload: &'a Workload,
        chooser: &mut Chooser,
        options: &EngineOptions,
        out_dir: &Path,
        label: String,
    ) -> Step<'a> {
        let mut result = base_result(spec, workload);
        // The ceiling's ffmpeg reads its frames itself, a user's command its own way.
        result.engine = (!matches!(
            spec.sink,
            SinkSpec::Lavfi { .. } | SinkSpec::Command(_) | SinkSpec::Gpu { .. }
        ))
        .then_some(options.engine.kind);
        result.warmup_frames = if matches!(spec.sink, SinkSpec::Lavfi { .. }) {
            0
        } else {
            options.warmup
        };
        let fail = |mut result: CaseResult, reason| {
            result.status = CaseStatus::Failed;
            result.reason = Some(reason);
            Step::Finished(Box::new(result))
        };
        let resolved = match runner::resolve(spec, workload, chooser) {
            Ok(resolved) => resolved,
            Err(failure) => return fail(result, Reason::from(failure)),
        };
        if let (SinkSpec::Gpu { .. }, Some(Writer::Opencv { .. })) = (&spec.sink, &resolved.writer)
        {
            return fail(
                result,
                Reason::Other(Cause::NoFfmpegEncoder {
                    message: "the GPU-resident path needs a working ffmpeg encoder".into(),
                }),
            );
        }
        record_writer(&mut result, spec, &resolved, options);
        let (writer, settings) = (resolved.writer, resolved.settings);
        if matches!(spec.sink, SinkSpec::Lavfi { .. }) && settings.is_none() {
            return Step::Finished(Box::new(skipped(
                spec,
                workload,
                Reason::Other(Cause::NoFfmpegEncoder {
                    message: "the encoder ceiling needs a working ffmpeg encoder".into(),
                }),
            )));
        }
        let partial = match partial_output(spec, options, out_dir) {
            Ok(partial) => partial,
            Err(failure) => return fail(result, Reason::from(failure)),
        };
        let output = partial.as_deref().map_or_else(
            || PathBuf::from(crate::ffmpeg::args::DISCARD),
            Path::to_path_buf,
        );
        let mut case = CaseRun {
            spec,
            workload,
            label,
            result,
            writer,
            settings,
            partial,
            output,
            elsewhere: None,
            ring: None,
            inputs: None,
            gpu: None,
            last_output: None,
            runs_done: 0,
            failed: false,
            ffmpeg: chooser.ffmpeg().map(Path::to_path_buf),
            vmaf: chooser.ffmpeg_info().is_some_and(|i| i.has_libvmaf()),
        };
        if let Err(e) = case.prepare_input(options) {
            return fail(case.result, reason_of(RunError::Other(e)));
        }
        Step::Running(Box::new(case))
    }

    /// A user's command: the video and detections it reads, written once, and
    /// its command line, known before it runs (a failure's fix points at it).
    fn write_command_inputs(
        &mut self,
        command: &super::command::UserCommand,
        options: &EngineOptions,
    ) -> anyhow::Result<()> {
        let ctx = self.context(options);
        let inputs = super::command::Inputs::write(&ctx, command)?;
        self.result.command = Some(super::command::line(&ctx, command, &inputs, &self.output));
        self.inputs = Some(inputs);
        Ok(())
    }

    fn context(&self, options: &EngineOptions) -> RunContext<'_> {
        RunContext {
            workload: self.workload,
            ffmpeg: self.ffmpeg.as_deref(),
            warmup: self.result.warmup_frames,
            write_timeout: options.write_timeout,
            engine: options.engine,
            gpu: self.spec.gpus.first().map(|g| g.cuda),
        }
    }

    /// What the case's input needs before its first run: the ceiling's ring
    /// file, a command's input files, the GPU path's video and trials.
    fn prepare_input(&mut self, options: &EngineOptions) -> anyhow::Result<()> {
        match &self.spec.sink {
            SinkSpec::Lavfi { .. } => {
                if let Some(s) = &self.settings {
                    let ring = runner::ring_file(&self.context(options), s.pix_fmt)?;
                    self.result.ceiling_input = Some(match ring {
                        Some(_) => CeilingInput::SameFrames,
                        None => CeilingInput::Testsrc2,
                    });
                    self.ring = ring;
                }
            }
            SinkSpec::Command(command) => self.write_command_inputs(command, options)?,
            SinkSpec::Gpu { .. } => {
                let source = super::gpu::Source::prepare(&self.context(options))?;
                self.result.gpu_path = Some(source.path(self.spec, self.settings.as_ref()));
                self.result.command = source
                    .command_line(
                        &self.context(options),
                        self.spec,
                        self.settings.as_ref(),
                        &self.output,
                    )
                    .ok();
                self.gpu = Some(source);
            }
            _ => {}
        }
        Ok(())
    }

    /// One run through the engine this case's sink takes.
    fn run_engine(
        &self,
        ctx: &RunContext,
        options: &EngineOptions,
        out_dir: &Path,
        open: OpenSink,
        progress: &Progress,
    ) -> Result<super::run::RunOutcome, RunError> {
        let spec = self.spec;
        match &spec.sink {
            SinkSpec::Copy { .. } => runner::run_copy(ctx, spec, progress),
            SinkSpec::Command(command) => {
                // What it writes, it writes afresh: nothing there counts for it.
                let _ = std::fs::remove_file(&self.output);
                super::command::run(
                    ctx,
                    command,
                    self.inputs.as_ref().expect("written in start"),
                    &self.output,
                    options.command_timeout,
                    progress,
                )
            }
            SinkSpec::Gpu { .. } => super::gpu::run(
                ctx,
                spec,
                self.gpu.as_ref().expect("prepared in start"),
                self.settings.as_ref(),
                &self.output,
                progress,
            ),
            SinkSpec::Lavfi { .. } => runner::run_lavfi(
                ctx,
                self.settings.as_ref().expect("resolved in start"),
                self.ring.as_deref(),
                &self.output,
            ),
            _ if spec.sessions > 1 => match extra_outputs(spec, &self.output, out_dir) {
                Ok(extra) => {
                    let outputs: Vec<PathBuf> = std::iter::once(self.output.clone())
                        .chain(extra.iter().map(|p| p.to_path_buf()))
                        .collect();
                    runner::run_streams(
                        ctx,
                        spec,
                        self.writer.as_ref(),
                        self.settings.as_ref(),
                        &outputs,
                        progress,
                    )
                }
                Err(e) => Err(RunError::Other(e)),
            },
            _ => {
                let open_sink = || {
                    open(
                        ctx,
                        spec,
                        self.writer.as_ref(),
                        self.settings.as_ref(),
                        &self.output,
                    )
                    .map_err(RunError::from)
                };
                runner::run_frames(ctx, spec, open_sink, progress)
            }
        }
    }

    /// One timed run, its frames written to the sink `open` gives; the case
    /// finishes after its last run or its first failure.
    pub fn run_once(
        mut self: Box<Self>,
        options: &EngineOptions,
        out_dir: &Path,
        open: OpenSink,
    ) -> Step<'a> {
        let spec = self.spec;
        let ctx = self.context(options);
        let progress = Progress::start(
            &*options.observer,
            &format!("{} run {}/{}", self.label, self.runs_done + 1, options.runs),
            ctx.warmup + self.workload.info.frames,
        );
        let pinned: Vec<u32> = spec.gpus.iter().map(|g| g.index).collect();
        let sampler = gpu_sampler::GpuSampler::start(options.gpu_sample_period, &pinned);
        let outcome = self.run_engine(&ctx, options, out_dir, open, &progress);
        progress.finish();
        if let Some(sampler) = sampler {
            // Sample times continue over the case's runs.
            let offset: f64 = self.result.runs.iter().map(|r| r.wall_s).sum();
            self.result
                .gpu_samples
                .extend(sampler.finish().into_iter().map(|mut s| {
                    s.t_s += offset;
                    s
                }));
        }
        match outcome {
            Ok(o) => {
                self.result.command = o.output.command.clone().or(self.result.command);
                // A sink that chose its writer when it opened names the one that wrote.
                if let Some(writer) = &o.output.writer {
                    self.result.encoder.used = Some(writer.clone());
                }
                if let Some(path) = o.output.path.as_ref().filter(|p| **p != self.output) {
                    // Every run of the case writes the same file: taken once.
                    if self.elsewhere.is_none() {
                        self.elsewhere = tempfile::TempPath::try_from_path(path).ok();
                    }
                }
                self.last_output = o.output.path.clone();
                self.result.runs.push(o.result);
                self.runs_done += 1;
            }
            // No fallback means the requested encoder itself ran. With several
            // sessions a limit is the finding, not a reason to fall back.
            Err(RunError::Encode(failure))
                if failure.is_nvenc_environment()
                    && spec.sessions == 1
                    && self.result.encoder.fallback.is_none()
                    && spec.settings().is_some() =>
            {
                // The trial passed but the real run met the NVENC stack's limits:
                // the case starts over with what the chooser decides then.
                let encoder = spec.settings().expect("guarded above").encoder.clone();
                return Step::Retry { encoder, failure };
            }
            Err(e) => {
                self.result.status = CaseStatus::Failed;
                self.result.reason = Some(reason_of(e));
                self.failed = true;
            }
        }
        if self.failed || self.runs_done >= options.runs {
            Step::Finished(Box::new(self.finish(options, out_dir)))
        } else {
            Step::Running(self)
        }
    }

    /// The case's result from its runs: summary, the output decoded back and
    /// checked (a short or corrupt file fails the case loudly), quality, the
    /// output moved to its final name.
    pub fn finish(self, options: &EngineOptions, out_dir: &Path) -> CaseResult {
        let spec = self.spec;
        let mut result = self.result;
        if result.encoder.used.is_none() && matches!(spec.sink, SinkSpec::Null) {
            result.encoder.used = Some("none".into());
        }
        summarize(&mut result);
        let mut decoded_on_failure = None;
        // Every encoded output is decoded back; a short or corrupt file fails the case loudly.
        if let (CaseStatus::Ok, Some(path), Some(ffmpeg)) =
            (&result.status, &self.last_output, self.ffmpeg.as_deref())
        {
            let frames = result.warmup_frames + last_run_frames(&result, self.workload);
            match verify(
                ffmpeg,
                path,
                frames,
                self.workload.info.width,
                self.workload.info.height,
            ) {
                Ok(v) => {
                    result.verified = Some(v);
                    if options.quality && options.engine.realtime {
                        result.quality_error = Some(
                            "not measured with --realtime: dropped frames leave no reference to compare with".into(),
                        );
                    } else if options.quality && matches!(spec.sink, SinkSpec::Pipe { .. }) {
                        let vmaf = self.vmaf;
                        match super::quality::measure(
                            ffmpeg,
                            path,
                            self.workload,
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
                Err(VerifyError::Interrupted) => {
                    result.status = CaseStatus::Failed;
                    result.reason = Some(Reason::interrupted());
                }
                Err(VerifyError::Failed(why)) => {
                    if let CheckFailure::FrameCount { decoded, .. } = &why {
                        decoded_on_failure = Some(*decoded);
                    }
                    result.status = CaseStatus::Failed;
                    result.reason = Some(Reason::Other(Cause::VerificationFailed {
                        message: why.to_string(),
                    }));
                }
            }
        }
        if let (CaseStatus::Ok, Some(path), None) =
            (&result.status, &self.last_output, self.ffmpeg.as_deref())
        {
            // No ffmpeg to decode it back: OpenCV reads it, as the demo would.
            let frames = result.warmup_frames + last_run_frames(&result, self.workload);
            match crate::encode::verify::read_back_with_opencv(path, frames) {
                Ok(v) => result.verified = Some(v),
                Err(why) => {
                    result.status = CaseStatus::Failed;
                    let message = why.to_string();
                    result.reason = Some(Reason::Other(Cause::VerificationFailed { message }));
                }
            }
        }
        if let SinkSpec::Command(command) = &spec.sink {
            // What wrote its stream, as the stream says: the encoder that ran.
            result.encoder.used = result
                .verified
                .as_ref()
                .map(|v| v.written_by.clone().unwrap_or_else(|| v.codec.clone()));
            super::command::judge(command, &mut result, decoded_on_failure);
        }
        if let (CaseStatus::Ok, Some(partial)) = (&result.status, self.partial) {
            let kept = options.keep.path_for(out_dir, spec);
            // Kept under the container it was written in (.avi for XVID).
            let (file, kept) = match self.elsewhere {
                Some(elsewhere) => {
                    let kept = match elsewhere.extension() {
                        Some(ext) => kept.with_extension(ext),
                        None => kept,
                    };
                    (elsewhere, kept)
                }
                None => (partial, kept),
            };
            match file.persist(&kept) {
                Ok(()) => result.output = Some(kept),
                Err(e) => {
                    result.status = CaseStatus::Failed;
                    result.reason = Some(Reason::Encode(EncodeFailure::OutputNotWritable {
                        detail: format!("cannot move the output to {}: {e}", kept.display()),
                    }));
                }
            }
        }
        result
    }

    /// Stopped by Ctrl-C before its last run: the runs so far, no output kept.
    pub fn spec(&self) -> &'a CaseSpec {
        self.spec
    }

    /// The result with the runs measured so far (what a failure keeps).
    pub fn result_so_far(&self) -> CaseResult {
        let mut result = self.result.clone();
        summarize(&mut result);
        result
    }

    pub fn interrupted(self) -> CaseResult {
        let mut result = self.result;
        summarize(&mut result);
        result.status = CaseStatus::Failed;
        result.reason = Some(Reason::interrupted());
        result
    }
}

/// fps and per-stage means over the runs the case has.
fn summarize(result: &mut CaseResult) {
    result.fps = Summary::of(&result.runs.iter().map(|r| r.fps).collect::<Vec<_>>());
    let stages: Vec<_> = result
        .runs
        .iter()
        .map(|r| r.stages_ms_per_frame.clone())
        .collect();
    // A user's command is one process to us: its stages are its own business.
    result.stages_ms_per_frame = Stages::mean(&stages).filter(|_| result.user_command.is_none());
}
