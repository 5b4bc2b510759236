//! The guide's NVENC visualizer sink: raw frames into an ffmpeg child's stdin.
//! ffmpeg's stderr is drained on its own thread (in `FfmpegProcess`); a watchdog
//! kills ffmpeg when one write blocks longer than the deadline, so a hung
//! encoder becomes a `timeout`, never a hung benchmark.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::pipe_writer::PipeWriter;
use super::{FrameSink, SinkOutput};
use crate::ffmpeg::args::{copy_args, pipe_args, shell_line_env, EncodeSettings, RawInput};
use crate::ffmpeg::child::{exit_info, FfmpegProcess};
use crate::ffmpeg::failure::{classify, classify_gpu_decode, last_lines, ExitInfo};
use crate::frame::Frame;
use crate::pixfmt::PixFmt;
use crate::results::failure::EncodeFailure;
use crate::results::PipeFacts;
use crate::results::PipeOptions;

pub struct FfmpegPipeSink {
    process: FfmpegProcess,
    /// None once ffmpeg stopped reading (or at the end).
    writer: Option<PipeWriter>,
    encoder: String,
    command: String,
    output: PathBuf,
    frames_written: u64,
    finish_timeout: Duration,
    watchdog: Watchdog,
    pix_fmt: PixFmt,
    pipe: PipeFacts,
    /// ffmpeg decodes on NVDEC too: its failures are classified as a GPU decode's.
    gpu: bool,
}

impl FfmpegPipeSink {
    /// The guide's sink: frames encoded by `settings.encoder` into `output`.
    pub fn spawn(
        binary: &Path,
        input: &RawInput,
        settings: &EncodeSettings,
        output: &Path,
        write_timeout: Duration,
        pipe: PipeOptions,
    ) -> Result<Self, EncodeFailure> {
        let args = pipe_args(input, settings, output);
        let mut sink = Self::start(binary, args, input, output, write_timeout, pipe)?;
        sink.encoder = settings.encoder.to_string();
        Ok(sink)
    }

    /// The GPU-resident path (`ffmpeg::gpu`): the overlay layer on stdin,
    /// the video decoded, composited and encoded (or discarded) by ffmpeg;
    /// its failures read as a GPU decode's first.
    pub fn spawn_gpu(
        binary: &Path,
        args: Vec<String>,
        layer: &RawInput,
        output: &Path,
        encoder: Option<&str>,
        write_timeout: Duration,
        pipe: PipeOptions,
    ) -> Result<Self, EncodeFailure> {
        let mut sink = Self::start(binary, args, layer, output, write_timeout, pipe)?;
        sink.encoder = encoder.unwrap_or("none").to_string();
        sink.gpu = true;
        Ok(sink)
    }

    /// The pipe's ceiling: frames passed on unencoded (`-c:v copy`), discarded
    /// for `DISCARD`, else written raw to `output`.
    pub fn spawn_copy(
        binary: &Path,
        input: &RawInput,
        output: &Path,
        write_timeout: Duration,
        pipe: PipeOptions,
    ) -> Result<Self, EncodeFailure> {
        Self::start(
            binary,
            copy_args(input, output),
            input,
            output,
            write_timeout,
            pipe,
        )
    }

    fn start(
        binary: &Path,
        args: Vec<String>,
        input: &RawInput,
        output: &Path,
        write_timeout: Duration,
        options: PipeOptions,
    ) -> Result<Self, EncodeFailure> {
        // Progress every 50 ms (not 500): time to the first encoded frame is measured from it.
        let args: Vec<String> = ["-stats_period", "0.05"]
            .map(String::from)
            .into_iter()
            .chain(args)
            .collect();
        let env = crate::ffmpeg::heap::env_here(options.heap);
        let mut process = FfmpegProcess::spawn_env(binary, &args, env.as_ref())?;
        let writer = process
            .take_stdin()
            .map(|stdin| PipeWriter::new(stdin, input.frame_bytes(), options));
        let pipe = writer.as_ref().map_or(
            PipeFacts {
                write: options.write,
                bytes: 0,
                wanted_bytes: None,
                frames_held: 0,
            },
            PipeWriter::facts,
        );
        let watchdog = Watchdog::start(process.pid(), write_timeout);
        Ok(Self {
            process,
            writer,
            encoder: "copy".into(),
            command: shell_line_env(env.as_ref(), binary, &args),
            output: output.to_path_buf(),
            frames_written: 0,
            finish_timeout: write_timeout.max(Duration::from_secs(30)),
            watchdog,
            pix_fmt: input.pix_fmt,
            pipe,
            gpu: false,
        })
    }

    /// How frames cross this sink's pipe.
    pub fn pipe(&self) -> PipeFacts {
        self.pipe
    }

    pub fn command(&self) -> &str {
        &self.command
    }

    /// ffmpeg's own words as a cause: a GPU decode's first where it decodes on NVDEC.
    fn classify(&self, lines: &[String], exit: &ExitInfo, broke: Option<u64>) -> EncodeFailure {
        if self.gpu {
            let failure = classify_gpu_decode(lines, exit);
            if !matches!(failure, EncodeFailure::Unknown { .. }) {
                return failure;
            }
        }
        classify(lines, exit, broke)
    }

    /// ffmpeg is gone or stuck: wait for it briefly, then name the cause.
    fn failure(&mut self, pipe_broke: bool) -> EncodeFailure {
        if crate::interrupt::requested() {
            self.process.kill();
            return EncodeFailure::Interrupted;
        }
        if self.watchdog.fired() {
            self.process.kill();
            return EncodeFailure::Timeout {
                seconds: self.watchdog.timeout.as_secs_f64(),
            };
        }
        let status = self.process.wait(Duration::from_secs(5));
        let lines = self.process.stderr_lines();
        match status {
            Ok(status) => self.classify(
                &lines,
                &exit_info(&status),
                pipe_broke.then_some(self.frames_written),
            ),
            Err(_) => EncodeFailure::BrokenPipe {
                frames_written: self.frames_written,
                last_lines: last_lines(&lines),
            },
        }
    }
}

impl FrameSink for FfmpegPipeSink {
    fn label(&self) -> String {
        format!("ffmpeg:{}", self.encoder)
    }

    fn pix_fmt(&self) -> PixFmt {
        self.pix_fmt
    }

    fn held(&self) -> usize {
        self.pipe.frames_held as usize
    }

    fn write(&mut self, _frame: &Frame, wire: &[u8]) -> Result<(), EncodeFailure> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(self.failure(true));
        };
        self.watchdog.arm();
        let result = writer.write_frame(wire);
        self.watchdog.disarm();
        match result {
            Ok(()) => {
                self.frames_written += 1;
                Ok(())
            }
            Err(_) => {
                self.writer = None;
                Err(self.failure(true))
            }
        }
    }

    fn finish(mut self: Box<Self>) -> Result<SinkOutput, EncodeFailure> {
        // Closing stdin is ffmpeg's end-of-input: it flushes the encoder and writes the trailer.
        drop(self.writer.take());
        let status = self.process.wait(self.finish_timeout)?;
        let lines = self.process.stderr_lines();
        if !status.success() {
            return Err(self.classify(&lines, &exit_info(&status), None));
        }
        Ok(SinkOutput {
            path: (self.output != Path::new(crate::ffmpeg::args::DISCARD))
                .then(|| self.output.clone()),
            command: Some(self.command.clone()),
            stderr_tail: last_lines(&lines),
            first_frame_s: self
                .process
                .first_frame_after_start()
                .map(|d| d.as_secs_f64()),
            pipe: Some(self.pipe),
            frames_done: self.process.last_progress().map(|p| u64::from(p.frame)),
            writer: None,
        })
    }
}

/// Kills ffmpeg's process group when a write stays blocked past the deadline.
struct Watchdog {
    started: Instant,
    /// Nanoseconds since `started` when the current write began; 0 when idle.
    write_began: Arc<AtomicU64>,
    fired: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    timeout: Duration,
}

impl Watchdog {
    fn start(pid: u32, timeout: Duration) -> Self {
        let started = Instant::now();
        let write_began = Arc::new(AtomicU64::new(0));
        let fired = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (write_began, fired, stop) = (write_began.clone(), fired.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(50));
                    let began = write_began.load(Ordering::Relaxed);
                    // A write blocked on a stopped ffmpeg does not wait out
                    // the deadline when Ctrl-C/SIGTERM comes: the group is
                    // killed now and the write returns (read as interrupted).
                    let signalled = began != 0 && crate::interrupt::requested();
                    let overdue = began != 0
                        && started.elapsed().as_nanos() as u64 - began > timeout.as_nanos() as u64;
                    if signalled || overdue {
                        fired.store(overdue, Ordering::Relaxed);
                        // SAFETY: signal to the process group we created for this ffmpeg.
                        unsafe {
                            libc::kill(-(pid as i32), libc::SIGKILL);
                        }
                        return;
                    }
                }
            });
        }
        Self {
            started,
            write_began,
            fired,
            stop,
            timeout,
        }
    }

    fn arm(&self) {
        let now = self.started.elapsed().as_nanos().max(1) as u64;
        self.write_began.store(now, Ordering::Relaxed);
    }

    fn disarm(&self) {
        self.write_began.store(0, Ordering::Relaxed);
    }

    fn fired(&self) -> bool {
        self.fired.load(Ordering::Relaxed)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
