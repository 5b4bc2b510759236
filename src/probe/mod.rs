//! Doctor's probes: what this machine can really encode. Each probe runs on its
//! own thread with a deadline, so one stuck library or binary cannot hang doctor.

pub mod container;
pub mod decode_trial;
pub mod driver_libs;
pub mod fallback;
pub mod fingerprint;
pub mod gpu;
pub mod host;
pub mod nvenc_api_check;
pub mod opencv;
pub mod trial;
pub mod verdict;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::ffmpeg::info::FfmpegInfo;
use crate::ffmpeg::{locate, FfmpegBinary};
use crate::results::codec::{is_nvenc, Codec, NVENC_ENCODERS};
use crate::results::failure::EncodeFailure;

/// Version of the `doctor --json` document; bump on incompatible changes.
pub const DOCTOR_SCHEMA_VERSION: u32 = 1;

/// The encoder the guide's nvenc mode asks for: doctor walks its fallback chain.
pub const GUIDE_REQUEST: &str = Codec::H264.nvenc();

#[derive(Debug, Clone)]
pub struct ProbeOptions {
    pub ffmpeg: Option<PathBuf>,
    /// Deadline for each query (`-version`, NVML, OpenCV).
    pub probe_timeout: Duration,
    /// Deadline for each trial encode.
    pub trial_timeout: Duration,
    pub trial_frames: u32,
    pub skip_trials: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    pub schema: &'static str,
    pub schema_version: u32,
    pub tool_version: String,
    pub git_commit: String,
    pub host: crate::results::fingerprint::Host,
    /// The container this runs in, if any, and the driver capabilities it was granted.
    pub container: Option<container::Container>,
    pub ffmpeg: FfmpegProbe,
    pub gpu: gpu::GpuProbe,
    pub driver_libraries: Vec<driver_libs::LibraryCheck>,
    pub nvenc_api: nvenc_api_check::NvencApiCheck,
    pub opencv: opencv::OpenCvProbe,
    pub trials: Vec<trial::TrialResult>,
    /// NVDEC per codec: a clip made on the spot, decoded on the GPU.
    pub decode_trials: Vec<decode_trial::DecodeTrial>,
    pub verdict: verdict::Verdict,
    pub elapsed_seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FfmpegProbe {
    Found {
        #[serde(flatten)]
        binary: FfmpegBinary,
        #[serde(flatten)]
        info: FfmpegInfo,
    },
    Missing {
        failure: EncodeFailure,
    },
}

impl FfmpegProbe {
    pub fn found(&self) -> Option<(&FfmpegBinary, &FfmpegInfo)> {
        match self {
            Self::Found { binary, info } => Some((binary, info)),
            Self::Missing { .. } => None,
        }
    }
}

/// Runs every probe, concurrently, and derives the verdict.
pub fn run(options: &ProbeOptions) -> DoctorReport {
    let started = Instant::now();
    let timeout = options.probe_timeout;
    let gpu = spawn_bounded(timeout, gpu::probe);
    let libs = spawn_bounded(timeout, driver_libs::probe);
    let frames = options.trial_frames;
    let opencv = spawn_bounded(timeout + options.trial_timeout, move || {
        opencv::probe(frames)
    });
    let host = host::probe();
    let container = container::detect();

    let ffmpeg = probe_ffmpeg(
        options.ffmpeg.as_deref(),
        timeout,
        crate::ffmpeg::info::Listing::WithDecoders,
    );
    // NVML first: the trials name the GPU each ran on, one per model.
    let gpu = gpu.wait().unwrap_or_else(|| gpu::GpuProbe::Error {
        detail: format!("NVML did not answer within {:.0} s", timeout.as_secs_f64()),
    });
    let devices = gpu::trial_devices(&gpu, std::env::var("CUDA_VISIBLE_DEVICES").ok().as_deref());
    let (trials, decode_trials) = match (&ffmpeg, options.skip_trials) {
        (FfmpegProbe::Found { binary, info }, false) => std::thread::scope(|s| {
            let decode = s.spawn(|| run_decode_trials(&binary.path, info, options));
            let trials = run_trials(&binary.path, info, options, &devices);
            (trials, decode.join().unwrap_or_default())
        }),
        _ => (Vec::new(), Vec::new()),
    };

    let driver_libraries = libs.wait().unwrap_or_default();
    let opencv = opencv.wait().unwrap_or_else(|| opencv::OpenCvProbe::Error {
        detail: "OpenCV probe timed out".into(),
    });
    let nvenc_api = nvenc_api_check::check(ffmpeg.found().map(|(_, i)| i), &gpu, &trials);
    let verdict = verdict::decide(
        &ffmpeg,
        &gpu,
        &nvenc_api,
        &opencv,
        &trials,
        container.as_ref(),
    );
    DoctorReport {
        schema: "nvviz-bench.doctor",
        schema_version: DOCTOR_SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: crate::GIT_COMMIT.to_string(),
        host,
        container,
        ffmpeg,
        gpu,
        driver_libraries,
        nvenc_api,
        opencv,
        trials,
        decode_trials,
        verdict,
        elapsed_seconds: started.elapsed().as_secs_f64(),
    }
}

pub fn probe_ffmpeg(
    flag: Option<&Path>,
    timeout: Duration,
    listing: crate::ffmpeg::info::Listing,
) -> FfmpegProbe {
    let found = locate::locate(flag).and_then(|binary| {
        let info = crate::ffmpeg::info::probe(&binary.path, timeout, listing)?;
        Ok((binary, info))
    });
    match found {
        Ok((binary, info)) => FfmpegProbe::Found { binary, info },
        Err(failure) => FfmpegProbe::Missing { failure },
    }
}

/// One trial per hardware encoder the build lists — on each of `devices`
/// where the node mixes GPU models (`gpu::trial_devices`), each result
/// naming its GPU — plus the CPU encoders the guide's nvenc mode would fall
/// back to (`fallback::stand_ins`), concurrently.
fn run_trials(
    binary: &Path,
    info: &FfmpegInfo,
    options: &ProbeOptions,
    devices: &[crate::results::gpu::GpuPin],
) -> Vec<trial::TrialResult> {
    let mut encoders: Vec<&str> = NVENC_ENCODERS
        .into_iter()
        .chain(fallback::stand_ins(GUIDE_REQUEST))
        .filter(|e| info.has_encoder(e))
        .collect();
    // Without OpenCV, the guide's OpenCV modes write with OpenCV's encoder through ffmpeg.
    if !cfg!(feature = "opencv") {
        encoders.extend(
            crate::ffmpeg::args::opencv_fourcc_encoder(crate::ffmpeg::args::DEFAULT_FOURCC)
                .filter(|e| info.has_encoder(e)),
        );
    }
    let dir = match crate::scratch::dir("doctor") {
        Ok(dir) => dir,
        Err(e) => {
            return encoders
                .iter()
                .map(|encoder| trial::TrialResult {
                    gpu: None,
                    encoder: encoder.to_string(),
                    command: String::new(),
                    seconds: 0.0,
                    outcome: trial::TrialOutcome::Failed {
                        failure: EncodeFailure::OutputNotWritable {
                            detail: format!("cannot create a temporary directory: {e}"),
                        },
                    },
                })
                .collect()
        }
    };
    // (encoder, the device it is pinned to, the GPU to name): NVENC on each
    // device (one unpinned, CUDA's default, where the node has one model).
    let several = devices.len() > 1;
    let on: Vec<Option<crate::results::gpu::GpuPin>> = if devices.is_empty() {
        vec![None]
    } else {
        devices.iter().cloned().map(Some).collect()
    };
    let mut runs: Vec<(&str, Option<u32>, Option<crate::results::gpu::GpuPin>)> = Vec::new();
    for &encoder in &encoders {
        if !is_nvenc(encoder) {
            runs.push((encoder, None, None));
            continue;
        }
        for gpu in &on {
            let device = gpu.as_ref().filter(|_| several).map(|g| g.cuda);
            runs.push((encoder, device, gpu.clone()));
        }
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = runs
            .into_iter()
            .map(|(encoder, device, gpu)| {
                let dir = dir.path();
                s.spawn(move || trial::TrialResult {
                    gpu,
                    ..trial::run(
                        binary,
                        encoder,
                        device,
                        options.trial_frames,
                        options.trial_timeout,
                        dir,
                    )
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    })
}

/// NVDEC's trial decodes, in their own temporary directory.
fn run_decode_trials(
    binary: &Path,
    info: &FfmpegInfo,
    options: &ProbeOptions,
) -> Vec<decode_trial::DecodeTrial> {
    match crate::scratch::dir("doctor-decode") {
        Ok(dir) => decode_trial::run(binary, info, options.trial_timeout, dir.path()),
        // The encode trials say the same of the temporary directory.
        Err(_) => Vec::new(),
    }
}

/// A probe on a detached thread; `wait` gives up at the deadline.
struct Bounded<T> {
    rx: mpsc::Receiver<T>,
    deadline: Instant,
}

impl<T> Bounded<T> {
    fn wait(self) -> Option<T> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        self.rx.recv_timeout(left).ok()
    }
}

fn spawn_bounded<T: Send + 'static>(
    timeout: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Bounded<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    Bounded {
        rx,
        deadline: Instant::now() + timeout,
    }
}
