//! The results document: what was measured, on what, with which exact commands.
//! Written after every case (atomically), so a failed or interrupted run keeps
//! everything measured before it.
//!
//! This is the typed bottom floor every consumer reads — tables, charts,
//! exports, the CI gate. Nothing here is re-derived from text: the mode, sink,
//! the encoder asked for and the one that ran, the preset, the pipe format and
//! the cause of a failure are each a field of their own type. It imports nothing
//! from the rooms that produce or consume it (bench, report, cli).

pub mod codec;
pub mod command;
pub mod decode;
pub mod encoder;
pub mod export;
pub mod failure;
pub mod fingerprint;
pub mod gpu;
pub mod kinds;
pub mod label;

/// Other processes' CPU use, or the hypervisor's steal (cores, averaged over a
/// run), from which a run is flagged busy: a quiet machine's background stays
/// well under it.
pub const BUSY_CORES: f64 = 0.25;
mod migrate;
pub mod reason;
pub mod relative;
pub mod stats;

use serde::{Deserialize, Serialize};

pub use encoder::{Encoder, Fallback};
pub use kinds::{
    CeilingInput, EngineKind, FfmpegHeap, Missing, Mode, PipeFacts, PipeOptions, PipeSize,
    PipeWrite, RssScope, Sink, Split, StandIn, StyleKind,
};
pub use reason::{Cause, Reason};
use stats::Summary;

use crate::pixfmt::PixFmt;

/// `schema` of every results file.
pub const RESULTS_SCHEMA: &str = "nvviz-bench.results";
/// Version of the results JSON; bump on breaking changes. Versions 1 and 2 are
/// still read (converted on load, see `migrate`).
pub const RESULTS_SCHEMA_VERSION: u32 = 4;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Results {
    pub schema: String,
    pub schema_version: u32,
    /// Seconds since the Unix epoch when the run started.
    pub started_unix: u64,
    /// True while the run is in progress or when it did not finish.
    pub incomplete: bool,
    /// The run was stopped by Ctrl-C or SIGTERM; the cases before it are complete.
    #[serde(default)]
    pub interrupted: bool,
    pub environment: fingerprint::Fingerprint,
    /// The command line's settings, for the record (nothing reads meaning from
    /// it: every case carries what it ran with in typed fields).
    pub config: serde_json::Value,
    pub workload: WorkloadInfo,
    pub cases: Vec<CaseResult>,
}

impl Results {
    /// A run's results before its first case: marked incomplete until it ends.
    pub fn begin(
        environment: fingerprint::Fingerprint,
        config: serde_json::Value,
        workload: WorkloadInfo,
    ) -> Self {
        Self {
            schema: RESULTS_SCHEMA.into(),
            schema_version: RESULTS_SCHEMA_VERSION,
            started_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            incomplete: true,
            interrupted: false,
            environment,
            config,
            workload,
            cases: Vec::new(),
        }
    }
}

/// What was drawn and encoded.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WorkloadInfo {
    /// "synthetic" or the video path.
    pub source: String,
    pub detections: String,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    pub frames: u64,
    pub persons: usize,
    /// The clock panel was drawn (`--no-show-time` turns it off).
    #[serde(default = "drawn")]
    pub show_time: bool,
    /// The video frame the run starts at (`--start`): frame 0 of the run is
    /// this frame of the video, its detections and its clock.
    #[serde(default)]
    pub start_frame: u64,
    /// A user's video: the decoder asked for and the one that ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decode: Option<decode::DecodeChoice>,
    /// `--preload`: the video decoded once before the runs, which then read
    /// those frames from memory (their time holds no decoding).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub preloaded: bool,
}

fn drawn() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Ok,
    Failed,
    Skipped,
}

/// The preset asked for (p1..p7, the guide's names) and the one the encoder that
/// ran was given (a CPU fallback gets its own name for the same speed rank).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Preset {
    pub requested: Option<String>,
    pub used: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseResult {
    /// Stable name used to match cases across files
    /// ("nvenc/opencv/h264_nvenc/p1"); an identifier, never parsed.
    pub id: String,
    pub mode: Mode,
    pub overlay: Option<StyleKind>,
    /// What ran in place of a part of the mode this build lacks.
    #[serde(default)]
    pub stand_in: Option<StandIn>,
    pub sink: Sink,
    /// The codec asked for ("h264", "hevc", "av1"), for ffmpeg sinks.
    pub codec: Option<String>,
    pub encoder: Encoder,
    pub preset: Preset,
    /// The raw format on the pipe (ffmpeg sinks).
    pub pix_fmt: Option<PixFmt>,
    /// Encode streams run at once (`--sessions`).
    /// ffmpeg pipe cases: the transport asked for (write method, pipe size);
    /// what the kernel gave is in each run's `pipe`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipe: Option<PipeOptions>,
    pub sessions: u32,
    /// The engine that moved the frames (none for the encoder ceiling, where
    /// ffmpeg reads them itself).
    pub engine: Option<EngineKind>,
    pub width: u32,
    pub height: u32,
    pub fps_target: f64,
    pub frames: u64,
    pub warmup_frames: u64,
    pub status: CaseStatus,
    /// Why it failed or was skipped.
    pub reason: Option<Reason>,
    pub command: Option<String>,
    pub runs: Vec<RunResult>,
    /// Frames per second over runs (wall clock, timed frames only).
    pub fps: Option<Summary>,
    /// Mean milliseconds per frame per stage over runs.
    pub stages_ms_per_frame: Option<Stages>,
    pub verified: Option<Verified>,
    /// `bench --quality`: PSNR/SSIM/VMAF against the frames sent to the encoder.
    #[serde(default)]
    pub quality: Option<Quality>,
    #[serde(default)]
    pub quality_error: Option<String>,
    /// The GPUs it was pinned to (`--gpu`): one, or one per stream.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gpus: Vec<gpu::GpuPin>,
    pub gpu_samples: Vec<GpuSample>,
    /// fps relative to a reference case of the same rounds (`--interleave` runs).
    #[serde(default)]
    pub relative: Option<relative::Relative>,
    /// Encoder-ceiling cases: what its ffmpeg read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceiling_input: Option<CeilingInput>,
    /// Where the verified output was kept (`bench --keep-outputs`, `render -o`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<std::path::PathBuf>,
    /// A user's command (`bench --command`): how it ran and what it shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_command: Option<command::CommandCase>,
    /// The GPU-resident modes: where they decoded and composited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_path: Option<decode::GpuPath>,
}

impl CaseResult {
    pub fn is_ok(&self) -> bool {
        self.status == CaseStatus::Ok && self.fps.is_some()
    }

    pub fn is_interrupted(&self) -> bool {
        self.reason.as_ref().is_some_and(Reason::is_interrupted)
    }

    /// The most CPU other processes used during any of its runs, in cores,
    /// where it reached `BUSY_CORES`: the case is flagged busy.
    pub fn flagged_others(&self) -> Option<f64> {
        self.flagged(|r| r.others_cores)
    }

    /// The most CPU time the hypervisor took during any of its runs, in
    /// cores, where it reached `BUSY_CORES`: the case is flagged stolen.
    pub fn flagged_steal(&self) -> Option<f64> {
        self.flagged(|r| r.steal_cores)
    }

    fn flagged(&self, cores: fn(&RunResult) -> Option<f64>) -> Option<f64> {
        self.runs
            .iter()
            .filter_map(cores)
            .reduce(f64::max)
            .filter(|c| *c >= BUSY_CORES)
    }
}

/// The encoded output decoded back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verified {
    pub frames: u64,
    pub width: u32,
    pub height: u32,
    pub codec: String,
    pub bytes: u64,
    /// What wrote the stream, as its metadata names it (`Lavc… libx264` →
    /// `libx264`), where the file says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pix_fmt: Option<String>,
    /// The stream's frame rate as its container says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_fps: Option<f64>,
}

impl Verified {
    /// Average bitrate in Mbit/s at `fps`.
    pub fn mbps(&self, fps: f64) -> Option<f64> {
        (self.frames > 0 && fps > 0.0)
            .then(|| self.bytes as f64 * 8.0 / (self.frames as f64 / fps) / 1e6)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    pub psnr_db: Option<f64>,
    pub ssim: Option<f64>,
    pub vmaf: Option<f64>,
    /// Why VMAF is missing, when it is.
    pub vmaf_note: Option<String>,
}

/// One NVML sample taken during a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuSample {
    pub t_s: f64,
    /// NVML's index of the GPU sampled (`--gpu`; absent: GPU 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<u32>,
    pub encoder_utilization_percent: Option<u32>,
    /// NVDEC's utilisation (absent in results written before it was sampled).
    #[serde(default)]
    pub decoder_utilization_percent: Option<u32>,
    pub encoder_sessions: Option<u32>,
    pub encoder_fps: Option<u32>,
    pub encoder_latency_us: Option<u32>,
    pub gpu_utilization_percent: Option<u32>,
    pub memory_used_mib: Option<u64>,
    pub video_clock_mhz: Option<u32>,
    pub sm_clock_mhz: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Stages {
    /// Reading the next frame (copy from the pre-rendered ring, or decoding).
    pub input: f64,
    /// Drawing the annotations (without the colour conversions below).
    pub overlay: f64,
    /// Colour conversions done in-process (Pillow's BGR↔RGBA).
    pub conversion: f64,
    /// Time blocked handing the frame to the writer (the pipe or VideoWriter).
    pub write: f64,
    /// Closing the writer: ffmpeg flushing the encoder and writing the trailer.
    pub finalize: f64,
}

impl Stages {
    pub fn total(&self) -> f64 {
        self.input + self.overlay + self.conversion + self.write + self.finalize
    }

    pub fn mean(all: &[Stages]) -> Option<Stages> {
        if all.is_empty() {
            return None;
        }
        let n = all.len() as f64;
        let sum = |f: fn(&Stages) -> f64| all.iter().map(f).sum::<f64>() / n;
        Some(Stages {
            input: sum(|s| s.input),
            overlay: sum(|s| s.overlay),
            conversion: sum(|s| s.conversion),
            write: sum(|s| s.write),
            finalize: sum(|s| s.finalize),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    pub fps: f64,
    pub wall_s: f64,
    pub stages_ms_per_frame: Stages,
    /// This process's CPU time over wall time (1.0 = one core busy).
    pub cpu_own_cores: f64,
    /// ffmpeg's CPU time over wall time, where it was a child of this run.
    pub cpu_children_cores: Option<f64>,
    /// Peak resident memory of this process (MiB), over what `rss_scope` says.
    pub max_rss_mib: f64,
    pub rss_scope: RssScope,
    /// From the encoder's start to its first frame done (ffmpeg pipe cases).
    #[serde(default)]
    pub first_frame_ms: Option<f64>,
    /// With `--sessions N` > 1: each stream's own fps (`fps` is their aggregate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stream_fps: Vec<f64>,
    /// Pipelined engine: how the overlay stage used its workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<Split>,
    /// ffmpeg pipe cases: how the frames crossed the pipe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipe: Option<PipeFacts>,
    /// CPU time other processes used during the run, in cores (from /proc/stat,
    /// less this process and its children): a busy machine measures its
    /// scheduler, not the work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub others_cores: Option<f64>,
    /// CPU time the hypervisor gave other guests while this VM's CPUs wanted
    /// to run, in cores (/proc/stat's steal): as slow a run as other processes
    /// make it, and invisible to `others_cores`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steal_cores: Option<f64>,
    /// `--realtime`: frames offered at the source rate, and how the run kept up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realtime: Option<Realtime>,
    /// A user's command: what its process tree used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<command::CommandRun>,
    /// A fed input (the Python module's writer): the frames the caller
    /// handed over, which is what this run wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fed_frames: Option<u64>,
    /// A user's video decoded by ffmpeg: what decoding cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decode: Option<decode::DecodeRun>,
}

/// A run paced as a live source (`--realtime`): frame k of the timed part
/// arrives k / fps after it starts; one that arrives while the previous is
/// still being drawn and written waits at most until a newer one arrives, and
/// is dropped then, as a camera's one-frame buffer drops it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Realtime {
    /// Frames the source offered (the run's timed frames).
    pub offered: u64,
    /// Frames drawn and written.
    pub written: u64,
    /// Frames skipped because a newer one had arrived.
    pub dropped: u64,
    /// Written frames whose latency exceeded one frame interval.
    pub late: u64,
    /// From a frame's arrival to its write returning, over written frames.
    pub latency_ms: Latency,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub max: f64,
}

/// Why a document could not be read as results.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("not an nvviz-bench results file (schema {RESULTS_SCHEMA})")]
    NotResults,
    #[error("results schema version {0}; this build reads versions 1 to {RESULTS_SCHEMA_VERSION} (a newer nvviz-bench wrote it: upgrade)")]
    UnknownVersion(u64),
    #[error("does not match the results schema (version {version}): {source}")]
    Mismatch {
        version: u64,
        source: serde_json::Error,
    },
}

impl Results {
    /// Reads a results document of any supported version (older ones converted).
    pub fn from_json(text: &str) -> Result<Self, SchemaError> {
        let mut value: serde_json::Value =
            serde_json::from_str(text).map_err(SchemaError::NotJson)?;
        if value.get("schema").and_then(|s| s.as_str()) != Some(RESULTS_SCHEMA) {
            return Err(SchemaError::NotResults);
        }
        let version = value
            .get("schema_version")
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        match version {
            1 => {
                migrate::v1_to_v2(&mut value);
                migrate::v2_to_v3(&mut value);
                migrate::v3_to_v4(&mut value);
            }
            2 => {
                migrate::v2_to_v3(&mut value);
                migrate::v3_to_v4(&mut value);
            }
            3 => migrate::v3_to_v4(&mut value),
            4 => {}
            v => return Err(SchemaError::UnknownVersion(v)),
        }
        serde_json::from_value(value).map_err(|source| SchemaError::Mismatch { version, source })
    }
}
