//! Trial encodes: a few small frames piped as raw bgr24 through stdin with the
//! guide's arguments, exactly as the real visualizer would, then decoded back.
//! Only this tells whether an encoder works: listings and NVML can both be wrong.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::ffmpeg::args::{pipe_args, shell_line, EncodeSettings, RawInput};
use crate::ffmpeg::child::{exit_info, FfmpegProcess};
use crate::ffmpeg::failure::classify;
use crate::ffmpeg::verify;
use crate::results::failure::EncodeFailure;

/// Small, even, above NVENC's minimum frame size (145x49 for H.264).
pub const TRIAL_WIDTH: u32 = 320;
pub const TRIAL_HEIGHT: u32 = 240;

#[derive(Debug, Clone, Serialize)]
pub struct TrialResult {
    pub encoder: String,
    /// The GPU an NVENC trial ran on (CUDA's device 0 unless pinned), where
    /// NVML lists one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<crate::results::gpu::GpuPin>,
    pub command: String,
    pub seconds: f64,
    #[serde(flatten)]
    pub outcome: TrialOutcome,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum TrialOutcome {
    Ok { frames: u64, bytes: u64 },
    Failed { failure: EncodeFailure },
}

impl TrialResult {
    pub fn ok(&self) -> bool {
        matches!(self.outcome, TrialOutcome::Ok { .. })
    }

    pub fn failure(&self) -> Option<&EncodeFailure> {
        match &self.outcome {
            TrialOutcome::Failed { failure } => Some(failure),
            TrialOutcome::Ok { .. } => None,
        }
    }
}

/// Encodes `frames` frames with `encoder` (NVENC on CUDA device `gpu`,
/// where given) into a file under `dir`.
pub fn run(
    binary: &Path,
    encoder: &str,
    gpu: Option<u32>,
    frames: u32,
    timeout: Duration,
    dir: &Path,
) -> TrialResult {
    let input = RawInput::bgr24(TRIAL_WIDTH, TRIAL_HEIGHT, 30.0);
    let on = gpu.map(|g| format!("-gpu{g}")).unwrap_or_default();
    let output = dir.join(format!("trial-{encoder}{on}.mp4"));
    let settings = EncodeSettings {
        gpu,
        ..EncodeSettings::guide(encoder)
    };
    let args = pipe_args(&input, &settings, &output);
    let started = Instant::now();
    let outcome = encode(binary, &args, &input, frames, timeout)
        .and_then(|()| check_output(binary, &output, frames, timeout))
        // Whatever failed while a signal was pending (ffmpeg or its decode killed
        // by it) says nothing about the encoder.
        .map_err(|failure| {
            if crate::interrupt::requested() {
                EncodeFailure::Interrupted
            } else {
                failure
            }
        });
    TrialResult {
        encoder: encoder.to_string(),
        gpu: None,
        command: shell_line(binary, &args),
        seconds: started.elapsed().as_secs_f64(),
        outcome: match outcome {
            Ok((frames, bytes)) => TrialOutcome::Ok { frames, bytes },
            Err(failure) => TrialOutcome::Failed { failure },
        },
    }
}

fn encode(
    binary: &Path,
    args: &[String],
    input: &RawInput,
    frames: u32,
    timeout: Duration,
) -> Result<(), EncodeFailure> {
    let mut process = FfmpegProcess::spawn(binary, args)?;
    let stdin = process.take_stdin();
    let frame_bytes = input.frame_bytes();
    // The writer has its own thread: if ffmpeg hangs without reading, the wait
    // below times out and kills it, which unblocks the writer with EPIPE.
    let writer = std::thread::spawn(move || -> Option<u64> {
        let mut stdin = stdin?;
        let mut frame = vec![0u8; frame_bytes];
        for i in 0..frames {
            trial_frame(&mut frame, TRIAL_WIDTH as usize, i as usize);
            if stdin.write_all(&frame).is_err() {
                return Some(u64::from(i));
            }
        }
        None // stdin is dropped here: ffmpeg sees EOF and finishes
    });
    let status = process.wait(timeout)?;
    let broke_at = writer.join().unwrap_or(Some(0));
    let exit = exit_info(&status);
    if status.success() && broke_at.is_none() {
        return Ok(());
    }
    Err(classify(&process.stderr_lines(), &exit, broke_at))
}

fn check_output(
    binary: &Path,
    output: &Path,
    frames: u32,
    timeout: Duration,
) -> Result<(u64, u64), EncodeFailure> {
    let bytes = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    let unknown = |why: String| EncodeFailure::Unknown {
        exit: "exit code 0".into(),
        last_lines: vec![why],
    };
    if bytes == 0 {
        return Err(unknown(format!(
            "ffmpeg succeeded but {} is empty or missing",
            output.display()
        )));
    }
    let decoded =
        verify::decoded_frames(binary, output, timeout).map_err(|e| unknown(e.to_string()))?;
    if decoded != u64::from(frames) {
        return Err(unknown(format!(
            "wrote {frames} frames, the output decodes to {decoded}"
        )));
    }
    Ok((decoded, bytes))
}

/// A moving diagonal gradient: cheap, deterministic, not flat (flat frames can hide encoder bugs).
fn trial_frame(frame: &mut [u8], width: usize, index: usize) {
    for (p, px) in frame.chunks_exact_mut(3).enumerate() {
        let (x, y) = (p % width, p / width);
        px[0] = ((x + index * 8) % 256) as u8;
        px[1] = ((y * 2) % 256) as u8;
        px[2] = ((x + y + index * 4) % 256) as u8;
    }
}
