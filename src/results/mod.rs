//! The results document: what was measured, on what, with which exact commands.
//! Written after every case (atomically), so a failed or interrupted run keeps
//! everything measured before it.

pub mod export;
pub mod fingerprint;
pub mod formats;

use serde::{Deserialize, Serialize};

use crate::bench::stats::Summary;

/// Version of the results JSON (`nvviz-bench.results`); bump on breaking changes.
pub const RESULTS_SCHEMA_VERSION: u32 = 1;

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
    pub config: serde_json::Value,
    pub workload: serde_json::Value,
    pub cases: Vec<CaseResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Ok,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseResult {
    /// Stable name used to match cases across files ("nvenc/h264_nvenc/p1").
    pub id: String,
    pub mode: String,
    pub overlay: Option<String>,
    /// "ffmpeg-pipe", "opencv-writer", "null", "ffmpeg-lavfi".
    pub sink: String,
    pub codec: Option<String>,
    pub requested_encoder: Option<String>,
    /// The encoder that actually ran (differs from the requested one after a fallback).
    pub encoder: Option<String>,
    pub preset: Option<String>,
    pub fallback: Option<serde_json::Value>,
    pub width: u32,
    pub height: u32,
    pub fps_target: f64,
    pub frames: u64,
    pub warmup_frames: u64,
    pub status: CaseStatus,
    /// Why it failed or was skipped (a classified cause where there is one).
    pub reason: Option<serde_json::Value>,
    pub command: Option<String>,
    pub runs: Vec<RunResult>,
    /// Frames per second over runs (wall clock, timed frames only).
    pub fps: Option<Summary>,
    /// Mean milliseconds per frame per stage over runs.
    pub stages_ms_per_frame: Option<Stages>,
    pub verified: Option<serde_json::Value>,
    /// `bench --quality`: PSNR/SSIM/VMAF against the frames sent to the encoder.
    #[serde(default)]
    pub quality: Option<crate::encode::quality::Quality>,
    #[serde(default)]
    pub quality_error: Option<String>,
    pub gpu_samples: Vec<serde_json::Value>,
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
    /// Peak resident memory of this process so far (MiB).
    pub max_rss_mib: f64,
    /// From the encoder's start to its first frame done (ffmpeg pipe cases).
    #[serde(default)]
    pub first_frame_ms: Option<f64>,
    /// With `--sessions N` > 1: each stream's own fps (`fps` is their aggregate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stream_fps: Vec<f64>,
    /// Pipelined engine: how the overlay stage used its workers — "rows" (each
    /// frame cut into bands drawn at once) or "frames" (a frame per worker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<String>,
}
