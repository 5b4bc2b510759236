//! What every run shares, whichever engine runs it: its context and engine
//! configuration, its clock (wall, CPU, stages, memory peak), what it produced
//! and why it stopped. The engines (`runner`'s sequential loop and ceilings,
//! `pipeline`'s threads) build on this; neither imports the other for it.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::usage;
use crate::encode::SinkOutput;
use crate::results::failure::EncodeFailure;
use crate::results::{EngineKind, RssScope, RunResult, Stages};
use crate::workload::Workload;

pub struct RunContext<'a> {
    pub workload: &'a Workload,
    pub ffmpeg: Option<&'a Path>,
    pub warmup: u64,
    pub write_timeout: Duration,
    pub engine: EngineConfig,
    /// The CUDA device the case is pinned to (`--gpu`): its NVDEC and CUDA work.
    pub gpu: Option<u32>,
}

/// What one run produced.
#[derive(Debug)]
pub struct RunOutcome {
    pub result: RunResult,
    pub output: SinkOutput,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Encode(#[from] EncodeFailure),
    /// A style that could not be made or could not draw.
    #[error(transparent)]
    Overlay(#[from] crate::overlay::OverlayError),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
    /// Ctrl-C or SIGTERM: stop, clean up, keep what was measured.
    #[error("interrupted")]
    Interrupted,
    /// A user's command failed (`bench --command`): its own words.
    #[error("{0}")]
    Command(String),
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct EngineConfig {
    pub kind: EngineKind,
    /// "--engine", or "default".
    pub chosen: &'static str,
    /// Frames each channel holds between stages.
    pub queue_depth: usize,
    /// Overlay/conversion workers.
    pub workers: usize,
    /// Niceness of the input and worker threads: the encoder is the stage to keep
    /// fed, so when cores are short ffmpeg's threads run first.
    pub worker_nice: i32,
    /// How the writer hands frames to an ffmpeg pipe.
    pub pipe: crate::results::PipeOptions,
    /// Pace the timed frames as a live source at the workload's fps (`--realtime`;
    /// the sequential engine runs it, as the demo's realtime loop).
    pub realtime: bool,
}

#[cfg(test)]
impl EngineConfig {
    /// An engine for tests: `kind`, one worker at normal priority, a queue
    /// of one, the default pipe, not paced.
    pub fn test(kind: EngineKind) -> Self {
        Self {
            kind,
            chosen: "test",
            queue_depth: 1,
            workers: 1,
            worker_nice: 0,
            pipe: Default::default(),
            realtime: false,
        }
    }
}

impl EngineConfig {
    /// Workers by default: half the cores (the encoder needs the rest), 1 to 8.
    pub fn default_workers() -> usize {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cores / 2).clamp(1, 8)
    }

    /// Frame buffers in the pool, the most that is ever allocated: one per
    /// overlay stage thread (each worker when frames are split; the one thread
    /// that hands a frame's bands to all of them when rows are), a queue's worth
    /// waiting for them, one being read and one being written. When the encoder
    /// is the slow stage, more would only wait longer.
    pub fn pool_size(&self, stage_threads: usize) -> usize {
        self.queue_depth.max(1) + stage_threads.max(1) + 2
    }
}

/// Wall clock, CPU and stage times of one run; turned into its result at the end.
pub struct Timing {
    pub stages: Stages,
    started: Instant,
    cpu: usage::CpuTimes,
    rss_scope: RssScope,
}

impl Timing {
    /// Starts the clock; the memory peak counts from here (this run's own).
    pub fn start() -> Self {
        Self {
            stages: Stages::default(),
            rss_scope: usage::reset_peak_rss(),
            started: Instant::now(),
            cpu: usage::now(),
        }
    }

    /// Seconds since the clock started (or restarted).
    pub fn elapsed_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// The timed part begins (after the warm-up frames).
    pub fn restart(&mut self) {
        self.started = Instant::now();
        self.cpu = usage::now();
    }

    /// Stage seconds become milliseconds per timed frame.
    pub fn outcome(self, frames: u64, output: SinkOutput) -> RunOutcome {
        let wall = self.started.elapsed().as_secs_f64();
        let cpu = usage::now();
        let per_frame = 1000.0 / frames.max(1) as f64;
        let s = &self.stages;
        let uses_ffmpeg = output.command.is_some();
        RunOutcome {
            result: RunResult {
                fps: frames as f64 / wall,
                wall_s: wall,
                stages_ms_per_frame: Stages {
                    input: s.input * per_frame,
                    overlay: s.overlay * per_frame,
                    conversion: s.conversion * per_frame,
                    write: s.write * per_frame,
                    finalize: s.finalize * per_frame,
                },
                cpu_own_cores: (cpu.own_s - self.cpu.own_s) / wall,
                cpu_children_cores: uses_ffmpeg
                    .then(|| (cpu.children_s - self.cpu.children_s) / wall),
                max_rss_mib: usage::peak_rss_mib(),
                rss_scope: self.rss_scope,
                first_frame_ms: output.first_frame_s.map(|s| s * 1000.0),
                stream_fps: Vec::new(),
                split: None,
                pipe: output.pipe,
                others_cores: cpu.others_cores(&self.cpu, wall),
                steal_cores: cpu.steal_cores(&self.cpu, wall),
                realtime: None,
                command: None,
                fed_frames: None,
                decode: None,
            },
            output,
        }
    }
}
